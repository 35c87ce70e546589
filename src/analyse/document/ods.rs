//! OpenDocument spreadsheets (ODS): each sheet's rows, cells as shown.
//!
//! Read from `content.xml` directly rather than through calamine, because an ODS cell keeps
//! the text exactly as the application displayed it (`<text:p>£650.00</text:p>` beside
//! `office:value="650"`): that *is* "numbers as shown", with no format language to
//! interpret. Repeats are expanded within the cell budget: `table:number-columns-repeated`
//! and `table:number-rows-repeated` (a sheet's tail is often one empty row repeated a million
//! times, which is skipped without being expanded). Annotations are not read.

use super::text::TextOut;
use super::xml::{attr, read_part, Part};
use super::zipped::Zipped;
use super::{Deadline, DocKind, Limits, Stop};

const KIND: DocKind = DocKind::Ods;
/// The most columns a row is expanded to (ODF allows 16,384, like XLSX).
const MAX_COLUMNS: usize = 16_384;

pub(super) fn read(bytes: &[u8], limits: &Limits, deadline: Deadline) -> Result<String, Stop> {
    let mut zip = Zipped::open(bytes, KIND, limits, deadline)?;
    let Some(content) = zip.read("content.xml")? else {
        return Err(Stop::malformed(KIND, "no content.xml"));
    };
    let mut sheets = Sheets {
        out: TextOut::new(limits.max_output_bytes),
        budget: limits.max_cells,
        over_budget: false,
        stack: Vec::new(),
        row: None,
        cell: None,
        skip: 0,
    };
    read_part(&content, KIND, limits.max_xml_depth, deadline, &mut sheets)?;
    if sheets.over_budget {
        return Err(Stop::Unavailable(format!(
            "too large: more than {} cells",
            limits.max_cells
        )));
    }
    Ok(sheets.out.finish())
}

struct Row {
    cells: Vec<String>,
    /// Empty cells seen since the last non-empty one (materialised only if one follows).
    pending_empty: usize,
    repeat: u64,
}

struct Cell {
    text: String,
    repeat: usize,
    paragraphs: usize,
}

struct Sheets {
    out: TextOut,
    budget: u64,
    over_budget: bool,
    stack: Vec<Vec<u8>>,
    row: Option<Row>,
    cell: Option<Cell>,
    skip: usize,
}

fn repeat_attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> u64 {
    attr(e, name)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

impl Part for Sheets {
    fn open_elements(&mut self) -> &mut Vec<Vec<u8>> {
        &mut self.stack
    }

    fn open(&mut self, name: &[u8], e: &quick_xml::events::BytesStart<'_>) {
        match name {
            b"annotation" => self.skip += 1,
            b"table" if self.stack.last().is_some_and(|n| n == b"spreadsheet") => {
                let sheet = attr(e, b"name").unwrap_or_default();
                self.out.heading(1, &format!("Sheet: {sheet}"));
            }
            b"table-row" => {
                self.row = Some(Row {
                    cells: Vec::new(),
                    pending_empty: 0,
                    repeat: repeat_attr(e, b"number-rows-repeated"),
                });
            }
            b"table-cell" | b"covered-table-cell" if self.row.is_some() => {
                let repeat = repeat_attr(e, b"number-columns-repeated");
                self.cell = Some(Cell {
                    text: String::new(),
                    repeat: usize::try_from(repeat)
                        .unwrap_or(MAX_COLUMNS)
                        .min(MAX_COLUMNS),
                    paragraphs: 0,
                });
            }
            b"p" => {
                if let Some(cell) = self.cell.as_mut() {
                    if cell.paragraphs > 0 {
                        cell.text.push(' ');
                    }
                    cell.paragraphs += 1;
                }
            }
            b"s" | b"tab" | b"line-break" => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.text.push(' ');
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, name: &[u8]) {
        match name {
            b"annotation" => self.skip = self.skip.saturating_sub(1),
            b"table-cell" | b"covered-table-cell" => self.end_cell(),
            b"table-row" => self.end_row(),
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        if self.skip == 0 {
            if let Some(cell) = self.cell.as_mut() {
                cell.text.push_str(t);
            }
        }
    }

    fn done(&self) -> bool {
        self.out.is_full() || self.over_budget
    }
}

impl Sheets {
    fn end_cell(&mut self) {
        let (Some(cell), Some(row)) = (self.cell.take(), self.row.as_ref()) else {
            return;
        };
        let width = row.cells.len().saturating_add(row.pending_empty);
        let empty = cell.text.trim().is_empty();
        let repeat = cell.repeat.min(MAX_COLUMNS.saturating_sub(width));
        if !empty && (repeat == 0 || !self.spend((row.pending_empty + repeat) as u64)) {
            return;
        }
        let Some(row) = self.row.as_mut() else { return };
        if empty {
            row.pending_empty = row.pending_empty.saturating_add(cell.repeat);
            return;
        }
        row.cells
            .extend(std::iter::repeat_n(String::new(), row.pending_empty));
        row.pending_empty = 0;
        row.cells.extend(std::iter::repeat_n(cell.text, repeat));
    }

    fn end_row(&mut self) {
        let Some(row) = self.row.take() else { return };
        if row.cells.is_empty() {
            return;
        }
        // The first copy's cells were counted as they were read.
        for copy in 0..row.repeat {
            if self.out.is_full() || (copy > 0 && !self.spend(row.cells.len() as u64)) {
                return;
            }
            self.out.cells_row(&row.cells);
        }
    }

    fn spend(&mut self, cells: u64) -> bool {
        match self.budget.checked_sub(cells) {
            Some(left) => {
                self.budget = left;
                true
            }
            None => {
                self.over_budget = true;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_as_shown_with_repeats_expanded_and_empty_tails_skipped() {
        let content = r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x">
          <office:body><office:spreadsheet>
            <table:table table:name="Prices">
              <table:table-row><table:table-cell><text:p>Role</text:p></table:table-cell>
                <table:table-cell office:value="650"><text:p>£650.00</text:p></table:table-cell></table:table-row>
              <table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2"/>
                <table:table-cell table:number-columns-repeated="2"><text:p>x</text:p></table:table-cell></table:table-row>
              <table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
            </table:table>
          </office:spreadsheet></office:body></office:document-content>"#;
        let bytes = super::super::docx::tests::zip_of(&[("content.xml", content)]);
        let limits = Limits::default();
        let text = read(&bytes, &limits, Deadline::after(limits.timeout)).unwrap();
        assert_eq!(
            text,
            "# Sheet: Prices\nRole | £650.00\n|  | x | x\n|  | x | x"
        );
        let small = Limits {
            max_cells: 5,
            ..Limits::default()
        };
        let err = read(&bytes, &small, Deadline::after(small.timeout)).unwrap_err();
        assert!(err.to_string().contains("more than 5 cells"), "{err}");
    }
}
