//! Word documents (DOCX, Office Open XML): the body's paragraphs, headings, list items and
//! table rows.
//!
//! What is read: `word/document.xml`'s body. A paragraph (`w:p`) is a heading when its style
//! (resolved through `word/styles.xml`, following `basedOn`) is named `heading N` or `Title`,
//! or carries an outline level; a list item when it or its style is numbered (`w:numPr`). A
//! table row (`w:tr`) is one `| a | b |` line, each cell's paragraphs joined by spaces (a
//! nested table's text joins its cell). Text is `w:t` only: deleted revisions (`w:delText`),
//! field codes (`w:instrText`) and the fallback copy of alternate content (`mc:Fallback`,
//! which repeats the `mc:Choice` text) are left out. Headers, footers, footnotes and comments
//! are not read: headers and footers carry page numbers and print dates, which would be
//! noise on every re-export.

use super::text::Flow;
use super::xml::{attr, read_part, walk, Part, Step};
use super::zipped::Zipped;
use super::{Deadline, DocKind, Limits, Stop};
use std::collections::HashMap;

const KIND: DocKind = DocKind::Docx;

/// What a paragraph style says, after `basedOn` is followed.
#[derive(Clone, Default)]
struct Style {
    heading: Option<usize>,
    numbered: bool,
    based_on: Option<String>,
}

pub(super) fn read(bytes: &[u8], limits: &Limits, deadline: Deadline) -> Result<String, Stop> {
    let mut zip = Zipped::open(bytes, KIND, limits, deadline)?;
    let styles = match zip.read("word/styles.xml")? {
        Some(xml) => read_styles(&xml, limits, deadline)?,
        None => HashMap::new(),
    };
    let Some(document) = zip.read("word/document.xml")? else {
        return Err(Stop::malformed(KIND, "no word/document.xml"));
    };
    let mut body = Body::new(&styles, limits.max_output_bytes);
    read_part(&document, KIND, limits.max_xml_depth, deadline, &mut body)?;
    Ok(body.flow.out.finish())
}

/// Style ids to what they say, `basedOn` chains resolved (at most 16 links deep).
fn read_styles(
    xml: &[u8],
    limits: &Limits,
    deadline: Deadline,
) -> Result<HashMap<String, Style>, Stop> {
    let mut styles: HashMap<String, Style> = HashMap::new();
    let mut current: Option<(String, Style)> = None;
    let mut stack: Vec<Vec<u8>> = Vec::new();
    walk(xml, KIND, limits.max_xml_depth, deadline, |step| {
        match step {
            Step::Open(name, e) => {
                match name {
                    b"style" if attr(e, b"type").as_deref() == Some("paragraph") => {
                        current = attr(e, b"styleId").map(|id| (id, Style::default()));
                    }
                    b"name" => {
                        if let (Some((_, s)), Some(v)) = (current.as_mut(), attr(e, b"val")) {
                            s.heading = s.heading.or_else(|| heading_of_name(&v));
                        }
                    }
                    b"basedOn" => {
                        if let Some((_, s)) = current.as_mut() {
                            s.based_on = attr(e, b"val");
                        }
                    }
                    b"outlineLvl" => {
                        if let Some((_, s)) = current.as_mut() {
                            s.heading = s.heading.or_else(|| outline_level(e));
                        }
                    }
                    b"numId" if stack.iter().any(|n| n == b"numPr") => {
                        if let Some((_, s)) = current.as_mut() {
                            s.numbered = attr(e, b"val").is_some_and(|v| v != "0");
                        }
                    }
                    _ => {}
                }
                stack.push(name.to_vec());
            }
            Step::Close => {
                if stack.pop().as_deref() == Some(b"style") {
                    if let Some((id, s)) = current.take() {
                        styles.insert(id, s);
                    }
                }
            }
            Step::Text(_) => {}
        }
        styles.len() < 100_000
    })?;
    let resolved = styles
        .keys()
        .map(|id| (id.clone(), resolve(&styles, id)))
        .collect();
    Ok(resolved)
}

fn resolve(styles: &HashMap<String, Style>, id: &str) -> Style {
    let mut out = Style::default();
    let mut at = styles.get(id);
    for _ in 0..16 {
        let Some(s) = at else { break };
        out.heading = out.heading.or(s.heading);
        out.numbered |= s.numbered;
        at = s.based_on.as_deref().and_then(|b| styles.get(b));
    }
    out
}

/// `heading 1`…`heading 6` (Word's built-in names, any case) and `Title`.
fn heading_of_name(name: &str) -> Option<usize> {
    let lower = name.trim().to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    let n: usize = lower.strip_prefix("heading")?.trim().parse().ok()?;
    (1..=9).contains(&n).then_some(n.min(6))
}

/// `w:outlineLvl w:val="0"` is a level-1 heading; 9 is body text.
fn outline_level(e: &quick_xml::events::BytesStart<'_>) -> Option<usize> {
    let v: usize = attr(e, b"val")?.parse().ok()?;
    (v < 9).then_some((v + 1).min(6))
}

/// The walk over the body.
struct Body<'s> {
    styles: &'s HashMap<String, Style>,
    flow: Flow,
    /// Open elements by local name.
    stack: Vec<Vec<u8>>,
    /// The paragraph being read: its heading level and whether it is numbered.
    heading: Option<usize>,
    numbered: bool,
    /// Inside `mc:Fallback`, `w:delText` or `w:instrText`: text not read.
    skip: usize,
}

impl<'s> Body<'s> {
    fn new(styles: &'s HashMap<String, Style>, max: usize) -> Self {
        Body {
            styles,
            flow: Flow::new(max),
            stack: Vec::new(),
            heading: None,
            numbered: false,
            skip: 0,
        }
    }
}

impl<'s> Part for Body<'s> {
    fn open_elements(&mut self) -> &mut Vec<Vec<u8>> {
        &mut self.stack
    }

    fn open(&mut self, name: &[u8], e: &quick_xml::events::BytesStart<'_>) {
        match name {
            b"Fallback" | b"delText" | b"instrText" => self.skip += 1,
            b"p" if !self.in_para() => {
                self.flow.para.clear();
                self.heading = None;
                self.numbered = false;
            }
            b"pStyle" if self.in_para() => {
                if let Some(s) = attr(e, b"val").and_then(|v| self.styles.get(&v)) {
                    self.heading = self.heading.or(s.heading);
                    self.numbered |= s.numbered;
                }
            }
            b"outlineLvl" if self.in_para() => self.heading = outline_level(e).or(self.heading),
            b"numId" if self.stack.iter().any(|n| n == b"numPr") => {
                self.numbered |= attr(e, b"val").is_some_and(|v| v != "0");
            }
            b"tab" | b"br" | b"cr" if self.in_para() => self.flow.para.push(' '),
            b"tr" => self.flow.start_row(),
            b"tc" => self.flow.start_cell(),
            _ => {}
        }
    }

    fn close(&mut self, name: &[u8]) {
        match name {
            b"Fallback" | b"delText" | b"instrText" => self.skip = self.skip.saturating_sub(1),
            // A paragraph inside another (a text box) joins the outer one.
            b"p" if !self.in_para() => self.end_paragraph(),
            b"p" => self.flow.para.push(' '),
            b"tr" => self.flow.end_row(),
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        if self.skip == 0 && self.stack.last().is_some_and(|n| n == b"t") {
            self.flow.para.push_str(t);
        }
    }

    fn done(&self) -> bool {
        self.flow.out.is_full()
    }
}

impl<'s> Body<'s> {
    fn in_para(&self) -> bool {
        self.stack.iter().any(|n| n == b"p")
    }

    fn end_paragraph(&mut self) {
        self.flow.end_paragraph(self.heading, self.numbered);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn headings_lists_tables_and_what_is_left_out() {
        let styles = r#"<w:styles xmlns:w="w">
            <w:style w:type="paragraph" w:styleId="Kop2"><w:name w:val="heading 2"/></w:style>
            <w:style w:type="paragraph" w:styleId="Sub"><w:basedOn w:val="Kop2"/></w:style>
            <w:style w:type="paragraph" w:styleId="Bullets"><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr></w:style>
        </w:styles>"#;
        let body = r#"<w:document xmlns:w="w" xmlns:mc="mc"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Kop2"/></w:pPr><w:r><w:t>Rates</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="Sub"/></w:pPr><w:r><w:t>Day rates</w:t></w:r></w:p>
            <w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Top</w:t></w:r></w:p>
            <w:p><w:pPr><w:pStyle w:val="Bullets"/></w:pPr><w:r><w:t>ISO 27001</w:t></w:r></w:p>
            <w:p><w:pPr><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>not a list</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Senior </w:t></w:r><w:r><w:delText>junior </w:delText><w:t>consultant</w:t><w:tab/><w:t>&#163;650 &amp; VAT</w:t></w:r></w:p>
            <w:p><w:r><w:instrText>PAGE</w:instrText></w:r><mc:AlternateContent><mc:Choice><w:t>boxed</w:t></mc:Choice><mc:Fallback><w:t>boxed</w:t></mc:Fallback></mc:AlternateContent></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Role</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Rate</w:t></w:r></w:p><w:p><w:r><w:t>per day</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:tc><w:p><w:r><w:t>Lead</w:t></w:r></w:p></w:tc><w:tc/></w:tr></w:tbl>
        </w:body></w:document>"#;
        let bytes = zip_of(&[("word/styles.xml", styles), ("word/document.xml", body)]);
        let limits = Limits::default();
        let text = read(&bytes, &limits, Deadline::after(limits.timeout)).unwrap();
        assert_eq!(
            text,
            "## Rates\n## Day rates\n# Top\n- ISO 27001\nnot a list\n\
             Senior consultant \u{a3}650 & VAT\nboxed\n| Role | Rate per day |\n| Lead |  |"
        );
    }

    #[test]
    fn deep_nesting_and_missing_parts_are_malformed() {
        let limits = Limits::default();
        let deep = format!(
            "<w:document xmlns:w=\"w\">{}</w:document>",
            "<w:p>".repeat(limits.max_xml_depth + 1)
        );
        let bytes = zip_of(&[("word/document.xml", &deep)]);
        let err = read(&bytes, &limits, Deadline::after(limits.timeout)).unwrap_err();
        assert!(err.to_string().contains("nested deeper"), "{err}");
        let bytes = zip_of(&[("word/other.xml", "<x/>")]);
        let err = read(&bytes, &limits, Deadline::after(limits.timeout)).unwrap_err();
        assert!(err.to_string().contains("malformed DOCX"), "{err}");
    }

    #[test]
    fn style_names_give_heading_levels() {
        assert_eq!(heading_of_name("heading 2"), Some(2));
        assert_eq!(heading_of_name("Heading 8"), Some(6));
        assert_eq!(heading_of_name("Title"), Some(1));
        assert_eq!(heading_of_name("Normal"), None);
        assert_eq!(heading_of_name("heading"), None);
    }
}
