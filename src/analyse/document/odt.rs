//! OpenDocument text (ODT): the body's paragraphs, headings, list items and table rows.
//!
//! What is read: `content.xml`'s `office:text`. `text:h` is a heading at its
//! `text:outline-level`; a `text:p` inside a `text:list-item` is a list item; `text:p`
//! elsewhere a plain line; a `table:table-row` one `| a | b |` line (a cell's paragraphs
//! joined by spaces). `text:s`, `text:tab` and `text:line-break` are spaces. Left out:
//! tracked deletions (`text:tracked-changes`), notes (`text:note`: a footnote's text would
//! land mid-sentence), annotations, and the sequence and variable declarations.

use super::text::TextOut;
use super::xml::{attr, walk, Step};
use super::zipped::Zipped;
use super::{Deadline, DocKind, Limits, Stop};

const KIND: DocKind = DocKind::Odt;

pub(super) fn read(bytes: &[u8], limits: &Limits, deadline: Deadline) -> Result<String, Stop> {
    let mut zip = Zipped::open(bytes, KIND, limits, deadline)?;
    let Some(content) = zip.read("content.xml")? else {
        return Err(Stop::malformed(KIND, "no content.xml"));
    };
    let mut body = Body {
        out: TextOut::new(limits.max_output_bytes),
        stack: Vec::new(),
        para: String::new(),
        heading: None,
        depth_in_para: 0,
        rows: Vec::new(),
        skip: 0,
        in_text: false,
    };
    walk(&content, KIND, limits.max_xml_depth, deadline, |step| {
        body.step(step);
        !body.out.is_full()
    })?;
    Ok(body.out.finish())
}

/// Elements whose text is not the document's.
const SKIPPED: &[&[u8]] = &[
    b"tracked-changes",
    b"note",
    b"annotation",
    b"sequence-decls",
    b"variable-decls",
    b"user-field-decls",
];

struct Body {
    out: TextOut,
    stack: Vec<Vec<u8>>,
    para: String,
    heading: Option<usize>,
    /// Paragraph elements open (`text:p`/`text:h`; a frame can hold paragraphs in one).
    depth_in_para: usize,
    rows: Vec<Vec<String>>,
    skip: usize,
    /// Inside `office:text`.
    in_text: bool,
}

impl Body {
    fn step(&mut self, step: Step<'_, '_>) {
        match step {
            Step::Open(name, e) => {
                self.open(name, e);
                self.stack.push(name.to_vec());
            }
            Step::Close => {
                if let Some(name) = self.stack.pop() {
                    self.close(&name);
                }
            }
            Step::Text(t) => {
                if self.skip == 0 && self.depth_in_para > 0 {
                    self.para.push_str(t);
                }
            }
        }
    }

    fn open(&mut self, name: &[u8], e: &quick_xml::events::BytesStart<'_>) {
        if SKIPPED.contains(&name) {
            self.skip += 1;
            return;
        }
        match name {
            b"text" if self.stack.last().is_some_and(|n| n == b"body") => self.in_text = true,
            b"p" | b"h" if self.in_text => {
                if self.depth_in_para == 0 {
                    self.para.clear();
                    self.heading = (name == b"h").then(|| {
                        attr(e, b"outline-level")
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(1)
                            .clamp(1, 6)
                    });
                } else {
                    self.para.push(' ');
                }
                self.depth_in_para += 1;
            }
            b"s" | b"tab" | b"line-break" if self.depth_in_para > 0 => self.para.push(' '),
            b"table-row" => self.rows.push(Vec::new()),
            b"table-cell" | b"covered-table-cell" => {
                if let Some(row) = self.rows.last_mut() {
                    row.push(String::new());
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, name: &[u8]) {
        if SKIPPED.contains(&name) {
            self.skip = self.skip.saturating_sub(1);
            return;
        }
        match name {
            b"text" if self.stack.last().is_some_and(|n| n == b"body") => self.in_text = false,
            b"p" | b"h" if self.depth_in_para > 0 => {
                self.depth_in_para -= 1;
                if self.depth_in_para == 0 {
                    self.end_paragraph();
                }
            }
            b"table-row" => {
                if let Some(row) = self.rows.pop() {
                    match self.rows.last_mut().and_then(|r| r.last_mut()) {
                        Some(outer) => {
                            outer.push(' ');
                            outer.push_str(&row.join(" "));
                        }
                        None => self.out.table_row(&row),
                    }
                }
            }
            _ => {}
        }
    }

    fn end_paragraph(&mut self) {
        let text = std::mem::take(&mut self.para);
        let in_item = self.stack.iter().any(|n| n == b"list-item");
        if let Some(cell) = self.rows.last_mut().and_then(|r| r.last_mut()) {
            if !cell.is_empty() {
                cell.push(' ');
            }
            cell.push_str(&text);
        } else if let Some(level) = self.heading {
            self.out.heading(level, &text);
        } else if in_item {
            self.out.item(&text);
        } else {
            self.out.line(&text);
        }
    }
}
