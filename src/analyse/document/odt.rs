//! OpenDocument text (ODT): the body's paragraphs, headings, list items and table rows.
//!
//! What is read: `content.xml`'s `office:text`. `text:h` is a heading at its
//! `text:outline-level`; a `text:p` inside a `text:list-item` is a list item; `text:p`
//! elsewhere a plain line; a `table:table-row` one `| a | b |` line (a cell's paragraphs
//! joined by spaces). `text:s`, `text:tab` and `text:line-break` are spaces. Left out:
//! tracked deletions (`text:tracked-changes`), notes (`text:note`: a footnote's text would
//! land mid-sentence), annotations, and the sequence and variable declarations.

use super::text::Flow;
use super::xml::{attr, read_part, Part};
use super::zipped::Zipped;
use super::{Deadline, DocKind, Limits, Stop};

const KIND: DocKind = DocKind::Odt;

pub(super) fn read(bytes: &[u8], limits: &Limits, deadline: Deadline) -> Result<String, Stop> {
    let mut zip = Zipped::open(bytes, KIND, limits, deadline)?;
    let Some(content) = zip.read("content.xml")? else {
        return Err(Stop::malformed(KIND, "no content.xml"));
    };
    let mut body = Body {
        flow: Flow::new(limits.max_output_bytes),
        stack: Vec::new(),
        heading: None,
        depth_in_para: 0,
        skip: 0,
        in_text: false,
    };
    read_part(&content, KIND, limits.max_xml_depth, deadline, &mut body)?;
    Ok(body.flow.out.finish())
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
    flow: Flow,
    stack: Vec<Vec<u8>>,
    heading: Option<usize>,
    /// Paragraph elements open (`text:p`/`text:h`; a frame can hold paragraphs in one).
    depth_in_para: usize,
    skip: usize,
    /// Inside `office:text`.
    in_text: bool,
}

impl Part for Body {
    fn open_elements(&mut self) -> &mut Vec<Vec<u8>> {
        &mut self.stack
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
                    self.flow.para.clear();
                    self.heading = (name == b"h").then(|| {
                        attr(e, b"outline-level")
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(1)
                            .clamp(1, 6)
                    });
                } else {
                    self.flow.para.push(' ');
                }
                self.depth_in_para += 1;
            }
            b"s" | b"tab" | b"line-break" if self.depth_in_para > 0 => self.flow.para.push(' '),
            b"table-row" => self.flow.start_row(),
            b"table-cell" | b"covered-table-cell" => self.flow.start_cell(),
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
            b"table-row" => self.flow.end_row(),
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        if self.skip == 0 && self.depth_in_para > 0 {
            self.flow.para.push_str(t);
        }
    }

    fn done(&self) -> bool {
        self.flow.out.is_full()
    }
}

impl Body {
    fn end_paragraph(&mut self) {
        let in_item = self.stack.iter().any(|n| n == b"list-item");
        self.flow.end_paragraph(self.heading, in_item);
    }
}
