//! Excel workbooks (XLSX and XLS) through calamine: `# Sheet: NAME`, then one line per
//! non-empty row, cells joined by ` | `.
//!
//! XLSX is read cell by cell (calamine's streaming cell reader), never as a dense range: a
//! sheet with one cell in A1 and one in XFD1048576 is two cells here, not seventeen billion.
//! Before calamine inflates anything, every XML part is inflated once through the bounded
//! counter ([`super::zipped`]), so a deflate bomb stops at the size cap. A cell shows as the
//! spreadsheet shows it where its number format is known (XLSX: [`super::numfmt`] renders
//! the cell's format code); XLS numbers are General (calamine gives no format codes for
//! XLS), and its dates are detected by calamine and shown as `YYYY-MM-DD`.
//!
//! ODS goes to [`super::ods`], which reads the displayed text the file itself stores.

use super::numfmt;
use super::text::TextOut;
use super::zipped::Zipped;
use super::{Deadline, DocKind, Limits, Stop};
use calamine::{Data, DataRef, ExcelDateTime, Reader};
use std::collections::BTreeMap;
use std::io::Cursor;

pub(super) fn read(
    kind: DocKind,
    bytes: &[u8],
    limits: &Limits,
    deadline: Deadline,
) -> Result<String, Stop> {
    match kind {
        DocKind::Ods => super::ods::read(bytes, limits, deadline),
        DocKind::Xls => read_xls(bytes, limits, deadline),
        _ => read_xlsx(bytes, limits, deadline),
    }
}

fn read_xlsx(bytes: &[u8], limits: &Limits, deadline: Deadline) -> Result<String, Stop> {
    let kind = DocKind::Xlsx;
    Zipped::open(bytes, kind, limits, deadline)?.check_sizes(|name| {
        let lower = name.to_ascii_lowercase();
        lower.ends_with(".xml") || lower.ends_with(".rels")
    })?;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| Stop::malformed(kind, e))?;
    let mut out = TextOut::new(limits.max_output_bytes);
    let mut budget = limits.max_cells;
    for name in book.sheet_names() {
        deadline.check()?;
        out.heading(1, &format!("Sheet: {name}"));
        let mut cells = book
            .worksheet_cells_reader(&name)
            .map_err(|e| Stop::malformed(kind, e))?;
        let mut rows: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
        let mut seen = 0u64;
        while let Some((cell, style)) = cells
            .next_cell_with_style_id()
            .map_err(|e| Stop::malformed(kind, e))?
        {
            seen += 1;
            if seen.is_multiple_of(4096) {
                deadline.check()?;
            }
            let code = cells
                .styles()
                .get(style)
                .and_then(|s| s.number_format.as_ref())
                .map(|f| match f.format_id {
                    // Built-in 14 and 22 are "the system's short date": shown here as a
                    // UK reader sees them, not in their US placeholder codes.
                    Some(14) => "dd/mm/yyyy",
                    Some(22) => "dd/mm/yyyy hh:mm",
                    _ => f.format_code.as_str(),
                });
            let text = show_ref(cell.get_value(), code);
            if text.trim().is_empty() {
                continue;
            }
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| too_many_cells(limits))?;
            let (row, col) = cell.get_position();
            rows.entry(row).or_default().insert(col, text);
        }
        write_rows(&mut out, rows);
        if out.is_full() {
            break;
        }
    }
    Ok(out.finish())
}

fn read_xls(bytes: &[u8], limits: &Limits, deadline: Deadline) -> Result<String, Stop> {
    let kind = DocKind::Xls;
    let mut book: calamine::Xls<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| Stop::malformed(kind, e))?;
    let mut out = TextOut::new(limits.max_output_bytes);
    let mut budget = limits.max_cells;
    for name in book.sheet_names() {
        deadline.check()?;
        let range = book
            .worksheet_range(&name)
            .map_err(|e| Stop::malformed(kind, e))?;
        out.heading(1, &format!("Sheet: {name}"));
        let mut rows: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
        for (row, col, value) in range.used_cells() {
            let text = show(value);
            if text.trim().is_empty() {
                continue;
            }
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| too_many_cells(limits))?;
            let (r, c) = (u32::try_from(row).unwrap_or(u32::MAX), col as u32);
            rows.entry(r).or_default().insert(c, text);
        }
        write_rows(&mut out, rows);
        if out.is_full() {
            break;
        }
    }
    Ok(out.finish())
}

fn too_many_cells(limits: &Limits) -> Stop {
    Stop::Unavailable(format!("too large: more than {} cells", limits.max_cells))
}

/// Rows in order; within a row, the gaps between cells kept as empty cells (a value that
/// moves to another column is a change), columns before the first used one dropped.
fn write_rows(out: &mut TextOut, rows: BTreeMap<u32, BTreeMap<u32, String>>) {
    let first_col = rows
        .values()
        .filter_map(|r| r.keys().next().copied())
        .min()
        .unwrap_or(0);
    for cells in rows.into_values() {
        let mut line: Vec<String> = Vec::with_capacity(cells.len());
        let mut next = first_col;
        for (col, text) in cells {
            // A run of empty columns shows as one empty cell: keeps the line short whatever
            // the gap (a cell in column XFD), and still shows that a gap is there.
            if col > next {
                line.push(String::new());
            }
            line.push(text);
            next = col.saturating_add(1);
        }
        out.cells_row(&line);
        if out.is_full() {
            return;
        }
    }
}

fn show_ref(value: &DataRef<'_>, code: Option<&str>) -> String {
    match value {
        DataRef::Int(i) => numfmt::number(*i as f64, code),
        DataRef::Float(f) => numfmt::number(*f, code),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => bool_text(*b),
        DataRef::DateTime(d) => date_text(d, code),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

fn show(value: &Data) -> String {
    match value {
        Data::Int(i) => numfmt::general(*i as f64),
        Data::Float(f) => numfmt::general(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => bool_text(*b),
        Data::DateTime(d) => date_text(d, None),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

fn bool_text(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_string()
}

fn date_text(d: &ExcelDateTime, code: Option<&str>) -> String {
    if d.is_duration() {
        let secs = (d.as_f64() * 86_400.0).round() as i64;
        return format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    }
    let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
    numfmt::date((y, mo, day, h, mi, s), code)
}
