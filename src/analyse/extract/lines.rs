//! Rendering content as stable text lines: headings `# `…, list items `- `, table rows
//! `| a | b |`, plain lines; whitespace folded and invisible characters dropped, so two
//! fetches that differ only in markup give the same bytes.

use super::*;

/// What an opened element did, so its close can undo it.
pub(super) enum Action {
    None,
    Block,
    Space,
    Heading,
    ListItem,
    Row,
    Cell,
    InnerCell,
    Link(Option<String>),
}

/// Accumulates lines in the format described in the module docs.
pub(super) struct Lines<'r> {
    patterns: &'r [Regex],
    link_base: &'r Url,
    out: Vec<String>,
    bytes: usize,
    full: bool,
    buf: String,
    prefix: Option<&'static str>,
    headings: usize,
    row: Option<Vec<String>>,
    cell: String,
    cell_depth: usize,
    actions: Vec<Action>,
}

impl<'r> Lines<'r> {
    pub(super) fn new(patterns: &'r [Regex], link_base: &'r Url) -> Self {
        Lines {
            patterns,
            link_base,
            out: Vec::new(),
            bytes: 0,
            full: false,
            buf: String::new(),
            prefix: None,
            headings: 0,
            row: None,
            cell: String::new(),
            cell_depth: 0,
            actions: Vec::new(),
        }
    }

    /// Renders `root`'s lines; `facts`, when given, reads the same walk.
    pub(super) fn render(
        &mut self,
        root: ElementRef,
        filter: &Filter,
        mut facts: Option<&mut Collector>,
    ) {
        walk(root, filter, |step| {
            match step {
                Step::Open(el) => {
                    self.open(el);
                    if let Some(f) = facts.as_deref_mut() {
                        f.open(el);
                    }
                }
                Step::Close(_) => {
                    self.close();
                    if let Some(f) = facts.as_deref_mut() {
                        f.close();
                    }
                }
                Step::Text(t) => {
                    self.push(t);
                    if let Some(f) = facts.as_deref_mut() {
                        f.text(t);
                    }
                }
            }
            !self.full
        });
        self.flush();
        self.prefix = None;
        self.actions.clear();
        self.headings = 0;
        self.cell_depth = 0;
        self.row = None;
    }

    pub(super) fn finish(self) -> String {
        self.out.join("\n")
    }

    fn push(&mut self, text: &str) {
        let target = if self.cell_depth > 0 {
            &mut self.cell
        } else {
            &mut self.buf
        };
        if target.len() + text.len() <= MAX_LINE_BYTES {
            target.push_str(text);
        } else {
            let mut end = MAX_LINE_BYTES.saturating_sub(target.len()).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            target.push_str(text.get(..end).unwrap_or(""));
        }
    }

    /// A soft boundary: inside cells and headings blocks only separate words.
    fn boundary(&mut self) -> Action {
        if self.cell_depth > 0 || self.headings > 0 {
            self.push(" ");
            Action::Space
        } else {
            self.flush();
            Action::Block
        }
    }

    fn open(&mut self, el: ElementRef) {
        let name = el.value().name();
        let action = match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if self.cell_depth > 0 || self.headings > 0 {
                    self.push(" ");
                    Action::Space
                } else {
                    self.flush();
                    self.prefix = Some(match name {
                        "h1" => "# ",
                        "h2" => "## ",
                        "h3" => "### ",
                        "h4" => "#### ",
                        "h5" => "##### ",
                        _ => "###### ",
                    });
                    self.headings += 1;
                    Action::Heading
                }
            }
            "li" => {
                if self.cell_depth > 0 || self.headings > 0 {
                    self.push(" ");
                    Action::Space
                } else {
                    self.flush();
                    self.prefix = Some("- ");
                    Action::ListItem
                }
            }
            "tr" => {
                if self.cell_depth > 0 || self.row.is_some() || self.headings > 0 {
                    self.push(" ");
                    Action::Space
                } else {
                    self.flush();
                    self.row = Some(Vec::new());
                    Action::Row
                }
            }
            "td" | "th" => {
                if self.cell_depth > 0 {
                    self.cell_depth += 1;
                    self.push(" ");
                    Action::InnerCell
                } else if self.row.is_some() {
                    self.cell_depth = 1;
                    self.cell.clear();
                    Action::Cell
                } else {
                    self.boundary()
                }
            }
            "a" => Action::Link(
                attr(el.value(), "href")
                    .filter(|h| may_be_document(h))
                    .and_then(|h| crate::urlnorm::resolve(self.link_base, h))
                    .filter(crate::urlnorm::is_document)
                    .map(String::from),
            ),
            // Form labels, buttons and media sit inline with their neighbours.
            "label" | "button" | "img" | "video" | "audio" | "picture" => {
                self.push(" ");
                Action::Space
            }
            "br" | "hr" | "p" | "div" | "section" | "article" | "aside" | "main" | "header"
            | "footer" | "blockquote" | "pre" | "address" | "figure" | "figcaption" | "details"
            | "summary" | "dl" | "dt" | "dd" | "ul" | "ol" | "menu" | "dir" | "table"
            | "caption" | "thead" | "tbody" | "tfoot" | "form" | "fieldset" | "legend"
            | "center" | "hgroup" | "dialog" | "body" | "html" | "option" | "optgroup" => {
                self.boundary()
            }
            _ => Action::None,
        };
        self.actions.push(action);
    }

    fn close(&mut self) {
        match self.actions.pop() {
            Some(Action::Block) => self.flush(),
            Some(Action::Space) => self.push(" "),
            Some(Action::Heading) => {
                self.flush();
                self.headings = self.headings.saturating_sub(1);
                self.prefix = None;
            }
            Some(Action::ListItem) => {
                self.flush();
                self.prefix = None;
            }
            Some(Action::Row) => {
                if let Some(cells) = self.row.take() {
                    self.emit_row(cells);
                }
            }
            Some(Action::Cell) => {
                self.cell_depth = 0;
                let cell = std::mem::take(&mut self.cell);
                if let Some(row) = self.row.as_mut() {
                    if row.len() < 1000 {
                        row.push(cell);
                    }
                }
            }
            Some(Action::InnerCell) => {
                self.cell_depth = self.cell_depth.saturating_sub(1);
                self.push(" ");
            }
            Some(Action::Link(Some(url))) => {
                self.push(" (");
                self.push(&url);
                self.push(")");
            }
            Some(Action::Link(None)) | Some(Action::None) | None => {}
        }
    }

    /// The line's content: folded, `ignore_text` removed, folded again.
    fn clean(&self, raw: &str) -> String {
        let mut line = fold(raw);
        if line.is_empty() {
            return line;
        }
        let mut touched = false;
        for re in self.patterns {
            if let std::borrow::Cow::Owned(s) = re.replace_all(&line, "") {
                line = s;
                touched = true;
            }
        }
        if touched {
            line = fold(&line);
        }
        line
    }

    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let raw = std::mem::take(&mut self.buf);
        let content = self.clean(&raw);
        if content.is_empty() {
            return;
        }
        let line = match self.prefix.take() {
            Some(p) => format!("{p}{content}"),
            None => content,
        };
        self.emit(line);
    }

    fn emit_row(&mut self, cells: Vec<String>) {
        let cells: Vec<String> = cells.iter().map(|c| self.clean(c)).collect();
        if cells.iter().all(String::is_empty) {
            return;
        }
        self.emit(format!("| {} |", cells.join(" | ")));
    }

    fn emit(&mut self, line: String) {
        if self.full {
            return;
        }
        if self.bytes + line.len() + 1 > MAX_TEXT_BYTES {
            tracing::debug!("text cap reached");
            self.full = true;
            return;
        }
        self.bytes += line.len() + 1;
        self.out.push(line);
    }
}

pub(super) use crate::markup::fold_whitespace as fold;
