//! The line format every document reader writes, in one place: folded lines, heading and
//! list prefixes, rows joined by ` | `, the output cap. Same rules as the HTML extractor's
//! lines, so a document and a page compare alike.

use crate::markup::{is_invisible, is_unsafe_char};

/// Accumulates a document's lines up to a byte cap.
pub(super) struct TextOut {
    out: String,
    max: usize,
    full: bool,
}

impl TextOut {
    pub(super) fn new(max: usize) -> TextOut {
        TextOut {
            out: String::new(),
            max,
            full: false,
        }
    }

    /// Whether the cap was reached (readers stop reading then).
    pub(super) fn is_full(&self) -> bool {
        self.full
    }

    /// A plain line (folded; nothing if it folds to nothing).
    pub(super) fn line(&mut self, raw: &str) {
        let content = fold(raw);
        self.push(&content);
    }

    /// A heading line at `level` (1–6).
    pub(super) fn heading(&mut self, level: usize, raw: &str) {
        let content = fold(raw);
        if content.is_empty() {
            return;
        }
        let hashes = "######".get(..level.clamp(1, 6)).unwrap_or("#");
        self.push(&format!("{hashes} {content}"));
    }

    /// A list item line.
    pub(super) fn item(&mut self, raw: &str) {
        let content = fold(raw);
        if !content.is_empty() {
            self.push(&format!("- {content}"));
        }
    }

    /// A table row as the HTML extractor writes it: `| a | b |` (nothing if every cell is
    /// empty).
    pub(super) fn table_row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells: Vec<String> = cells.iter().map(|c| fold(c.as_ref())).collect();
        if cells.iter().all(String::is_empty) {
            return;
        }
        self.push(&format!("| {} |", cells.join(" | ")));
    }

    /// A sheet or CSV row: non-empty cells' text joined by ` | `, trailing empty cells
    /// dropped, inner empty cells kept (a column shift is a change).
    pub(super) fn cells_row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let mut cells: Vec<String> = cells.iter().map(|c| fold(c.as_ref())).collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            return;
        }
        // A row that starts with an empty cell starts `| b`, not ` | b`.
        self.push(cells.join(" | ").trim_start());
    }

    fn push(&mut self, line: &str) {
        if self.full || line.is_empty() {
            return;
        }
        let extra = line.len() + usize::from(!self.out.is_empty());
        if self.out.len() + extra > self.max {
            tracing::debug!("document text cap reached");
            self.full = true;
            return;
        }
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out.push_str(line);
    }

    pub(super) fn finish(self) -> String {
        self.out
    }
}

/// A word-processing body as it is read (DOCX and ODT differ in markup, not in this): the
/// paragraph being read and the table rows open, a nested table's row sitting inside an
/// outer cell, written to a [`TextOut`].
pub(super) struct Flow {
    pub(super) out: TextOut,
    /// The paragraph's text so far.
    pub(super) para: String,
    rows: Vec<Vec<String>>,
}

impl Flow {
    pub(super) fn new(max: usize) -> Flow {
        Flow {
            out: TextOut::new(max),
            para: String::new(),
            rows: Vec::new(),
        }
    }

    pub(super) fn start_row(&mut self) {
        self.rows.push(Vec::new());
    }

    pub(super) fn start_cell(&mut self) {
        if let Some(row) = self.rows.last_mut() {
            row.push(String::new());
        }
    }

    /// A row ends: written as `| a | b |`, or joined into the outer cell when nested.
    pub(super) fn end_row(&mut self) {
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

    /// The paragraph ends: into the open cell if any, else as a heading, item or line.
    pub(super) fn end_paragraph(&mut self, heading: Option<usize>, item: bool) {
        let text = std::mem::take(&mut self.para);
        if let Some(cell) = self.rows.last_mut().and_then(|r| r.last_mut()) {
            if !cell.is_empty() {
                cell.push(' ');
            }
            cell.push_str(&text);
        } else if let Some(level) = heading {
            self.out.heading(level, &text);
        } else if item {
            self.out.item(&text);
        } else {
            self.out.line(&text);
        }
    }
}

/// Folds runs of whitespace and unsafe characters (controls, bidi overrides, …) to one
/// space, drops invisible ones (zero-width space, soft hyphen, BOM) and trims.
pub(super) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || is_unsafe_char(c) {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_folded_prefixed_and_capped() {
        let mut t = TextOut::new(40);
        t.heading(2, "  Rates\u{200B} ");
        t.item("a\tb");
        t.table_row(&["x", " ", "y"]);
        t.cells_row(&["1", "", "2", "", ""]);
        t.line("\u{202e}");
        t.line("this line is long enough to pass the cap");
        assert!(t.is_full());
        assert_eq!(t.finish(), "## Rates\n- a b\n| x |  | y |\n1 |  | 2");
        let mut t = TextOut::new(100);
        t.cells_row(&["", "b"]);
        assert_eq!(t.finish(), "| b");
    }

    #[test]
    fn fold_matches_the_html_rules() {
        assert_eq!(fold("  a \u{a0}\t b\n\u{200B} c\u{AD}d\u{0}e "), "a b cd e");
        assert_eq!(fold("\u{FEFF}"), "");
    }
}
