//! Facts from text lines: a document's extracted text (PDF, DOCX, spreadsheets, CSV), and
//! the line recognisers the HTML reader shares — `Label: value` lines, lot lines.
//!
//! Documents have no markup left, only lines in the extraction format (`# ` headings, `- `
//! list items, `| a | b |` rows). So: `Label: value` lines, runs of two-cell rows (a run with
//! any row of more cells is a table of data, not labels), and lot lines (`Lot 1: Title`, in
//! any line form) with the status or expiry on the same line or on the tag lines just after.

use std::sync::LazyLock;

use regex::Regex;

use super::labels::{is_label, is_status, name_of};
use super::values::{fold, parse_date};
use super::{compile, Fact, Facts};

/// A `Label: value` value has at most this many characters…
const MAX_VALUE_LEN: usize = 150;
/// …and this many words (longer is a sentence).
const MAX_VALUE_WORDS: usize = 20;
/// A lot title is capped at this many characters.
const MAX_TITLE_LEN: usize = 150;
/// Lines after a lot line looked at for its status or expiry.
pub(super) const LOT_LOOKAHEAD: usize = 3;
/// Lines of a document looked at.
const MAX_LINES: usize = 100_000;

const DATE: &str = r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?\s+\d{4}|[A-Za-z]{3,9}\.?\s+\d{4})";

static LOT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(r"(?i)^lot\s+(\d{1,3}[a-z]?(?:\.\d{1,3}){0,3})(?:\s*[:\-–—.)]\s*(.*)|\s*)$")
});
static LOT_ID: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?i)^(?:lot\s+)?(\d{1,3}[a-z]?(?:\.\d{1,3}){0,3})$"));
static EXPIRY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)\b(expired|expires|expiring|expiry(?:\s+date)?|ends|ended|end\s+date)\b(?:\s+on)?\s*:?\s*({DATE})"
    ))
});
static BEFORE_FRAMEWORK: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?i)\b(?:lot\s+)?expires\s+before\s+(?:the\s+)?framework\b"));
static SUPPLIER_COUNT: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?i)\b\d{1,5}\s+suppliers?\b"));

/// A lot as one line (or block) shows it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LotParts {
    pub id: String,
    pub title: String,
    pub status: Option<String>,
    pub expires: Option<String>,
}

impl LotParts {
    pub fn into_fact(self) -> Fact {
        Fact::lot(&self.id, &self.title, self.status, self.expires)
    }

    /// Takes the status and expiry of a tag line the lot did not show itself.
    pub fn absorb(&mut self, tags: Tags) {
        if self.status.is_none() {
            self.status = tags.status;
        }
        if self.expires.is_none() {
            self.expires = tags.expires;
        }
    }
}

/// The status and expiry a text shows (`Expired: 31/03/2025`, `Live`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Tags {
    pub status: Option<String>,
    pub expires: Option<String>,
    /// Where in the text the first tag starts.
    pub start: Option<usize>,
}

/// The tags in `text`; `segments` are the text's pieces as the markup cut them (a status is
/// only a status when a whole piece says it: "Live events" is a title).
pub(super) fn tags_in(text: &str, segments: &[&str]) -> Tags {
    let mut tags = Tags::default();
    let first = |tags: &mut Tags, at: usize| {
        tags.start = Some(tags.start.map_or(at, |s: usize| s.min(at)));
    };
    if let Some(c) = EXPIRY.as_ref().and_then(|re| re.captures(text)) {
        if let (Some(word), Some(date)) = (c.get(1), c.get(2)) {
            if let Some(d) = parse_date(date.as_str()) {
                tags.expires = Some(d);
                let w = word.as_str().to_ascii_lowercase();
                if w == "expired" || w == "ended" {
                    tags.status = Some(capitalised(&w));
                }
                first(&mut tags, word.start());
            }
        }
    }
    if let Some(m) = BEFORE_FRAMEWORK.as_ref().and_then(|re| re.find(text)) {
        tags.status.get_or_insert_with(|| fold(m.as_str()));
        first(&mut tags, m.start());
    }
    if let Some(m) = SUPPLIER_COUNT.as_ref().and_then(|re| re.find(text)) {
        first(&mut tags, m.start());
    }
    for seg in segments {
        if is_status(seg) {
            if let Some(at) = text.rfind(seg) {
                tags.status.get_or_insert_with(|| fold(seg));
                first(&mut tags, at);
            }
        }
    }
    tags
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Whether `text` is only tags (a line a lot's status or expiry sits on, after the lot).
pub(super) fn is_tag_line(text: &str, segments: &[&str]) -> bool {
    let t = fold(text);
    if t.is_empty() || t.chars().count() > 80 {
        return false;
    }
    let tags = tags_in(&t, segments);
    tags.start == Some(0) || is_status(&t)
}

/// A lot line: `Lot 1: Title`, `Lot 2a – Title Expired: 31/03/2025`, `Lot 3.1 - Title`.
/// A bare `Lot 4` has an empty title (a table row's next cell may hold it).
pub(super) fn lot_of(text: &str, segments: &[&str]) -> Option<LotParts> {
    if !text
        .trim_start()
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("lot"))
    {
        return None;
    }
    let text = fold(text);
    let c = LOT.as_ref()?.captures(&text)?;
    let id = c.get(1)?.as_str().to_lowercase();
    let rest = c.get(2).map_or("", |m| m.as_str());
    let tags = tags_in(rest, segments);
    let end = tags.start.unwrap_or(rest.len());
    let title = rest.get(..end).unwrap_or(rest);
    let title = title
        .trim_end_matches(|c: char| c.is_whitespace() || "-–—|,:(".contains(c))
        .trim();
    Some(LotParts {
        id,
        title: crate::markup::truncate_chars(title, MAX_TITLE_LEN),
        status: tags.status,
        expires: tags.expires,
    })
}

/// A lot id on its own (`2a`, `Lot 2a`), for a table whose first column is headed "Lot".
pub(super) fn lot_id(text: &str) -> Option<String> {
    let c = LOT_ID.as_ref()?.captures(text.trim())?;
    Some(c.get(1)?.as_str().to_lowercase())
}

/// A `Label: value` line (short label, no sentence): the label and the value. With
/// `segments`, a first piece ending in a colon is the label even with no space after it
/// (`<strong>Label:</strong>value`).
pub(super) fn label_value(text: &str, segments: &[&str]) -> Option<(String, String)> {
    if !text.contains(':') {
        return None;
    }
    let text = fold(text);
    let (label, value) = match segments
        .first()
        .filter(|s| s.ends_with(':') && segments.len() > 1)
    {
        Some(first) => {
            let label = first.trim_end_matches(':').trim();
            let at = text.find(first.trim())? + first.trim().len();
            (label.to_owned(), text.get(at..)?.trim().to_owned())
        }
        None => {
            let at = text.find(": ")?;
            (
                text.get(..at)?.trim().to_owned(),
                text.get(at + 2..)?.trim().to_owned(),
            )
        }
    };
    acceptable(&label, &value).then_some((label, value))
}

/// Whether `label` and `value` make a label/value fact.
pub(super) fn acceptable(label: &str, value: &str) -> bool {
    is_label(label)
        && !value.is_empty()
        && value.chars().count() <= MAX_VALUE_LEN
        && value.split(' ').count() <= MAX_VALUE_WORDS
        && !is_sentence(value)
}

/// A value that reads as a sentence: two of them, or one of more than six words ending in a
/// full stop ("in the region of £17 billion … found.").
fn is_sentence(value: &str) -> bool {
    let two = value.match_indices(". ").any(|(i, _)| {
        value
            .get(i + 2..)
            .is_some_and(|r| r.starts_with(char::is_uppercase))
    });
    two || value.ends_with('.') && value.split(' ').count() > 6
}

/// One line in the extraction format, without its prefix.
enum Line<'a> {
    Heading(&'a str),
    Item(&'a str),
    Row(Vec<&'a str>),
    Plain(&'a str),
}

fn line_of(raw: &str) -> Line<'_> {
    let t = raw.trim();
    if let Some(h) = t.strip_prefix('#') {
        let h = h.trim_start_matches('#');
        if h.starts_with(' ') {
            return Line::Heading(h.trim());
        }
    }
    if let Some(i) = t.strip_prefix("- ") {
        return Line::Item(i.trim());
    }
    if t.len() >= 2 && t.starts_with('|') && t.ends_with('|') {
        let inner = t.get(1..t.len() - 1).unwrap_or("");
        return Line::Row(inner.split(" | ").map(str::trim).collect());
    }
    Line::Plain(t)
}

/// The facts of a document's text (lines in the extraction format).
pub fn facts_from_text(text: &str) -> Facts {
    let lines: Vec<Line> = text.lines().take(MAX_LINES).map(line_of).collect();
    let mut facts = Facts::new();
    let mut i = 0;
    while i < lines.len() {
        match lines.get(i) {
            Some(Line::Row(_)) => {
                let start = i;
                while matches!(lines.get(i), Some(Line::Row(_))) {
                    i += 1;
                }
                rows_facts(lines.get(start..i).unwrap_or(&[]), &mut facts);
                continue;
            }
            Some(Line::Heading(t) | Line::Item(t) | Line::Plain(t)) => {
                if let Some(mut lot) = lot_of(t, &[]) {
                    let mut j = i + 1;
                    while j < lines.len() && j <= i + LOT_LOOKAHEAD {
                        match lines.get(j) {
                            Some(Line::Plain(n) | Line::Item(n)) if is_tag_line(n, &[n]) => {
                                lot.absorb(tags_in(n, &[n]));
                                j += 1;
                            }
                            _ => break,
                        }
                    }
                    facts.push(lot.into_fact());
                    i = j;
                    continue;
                }
                if !matches!(lines.get(i), Some(Line::Heading(_))) {
                    if let Some((label, value)) = label_value(t, &[]) {
                        facts.push(Fact::new(name_of(&label), &label, &value));
                    }
                }
            }
            None => break,
        }
        i += 1;
    }
    facts
}

/// A run of table rows: two-cell rows are label/value unless any row of the run has more
/// cells; a row starting with a lot is a lot either way.
fn rows_facts(rows: &[Line], facts: &mut Facts) {
    let pairs = rows
        .iter()
        .all(|r| matches!(r, Line::Row(cells) if cells.len() == 2));
    for row in rows {
        let Line::Row(cells) = row else { continue };
        let first = cells.first().copied().unwrap_or("");
        if let Some(mut lot) = lot_of(first, &[]) {
            let rest = cells.get(1..).unwrap_or(&[]);
            if lot.title.is_empty() {
                if let Some(t) = rest.first().filter(|t| !is_tag_line(t, &[t])) {
                    lot.title = crate::markup::truncate_chars(t, MAX_TITLE_LEN);
                }
            }
            for cell in rest {
                lot.absorb(tags_in(cell, &[cell]));
            }
            facts.push(lot.into_fact());
        } else if pairs {
            let value = cells.get(1).copied().unwrap_or("");
            if acceptable(first, value) {
                facts.push(Fact::new(name_of(first), first, value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::facts::FactValue;

    #[test]
    fn lot_lines_in_their_forms() {
        let l = lot_of("Lot 1: Hardware", &[]).unwrap();
        assert_eq!((l.id.as_str(), l.title.as_str()), ("1", "Hardware"));
        let l = lot_of("Lot 2a – Cloud hosting Expired: 31/03/2025", &[]).unwrap();
        assert_eq!(l.id, "2a");
        assert_eq!(l.title, "Cloud hosting");
        assert_eq!(l.expires.as_deref(), Some("2025-03-31"));
        assert_eq!(l.status.as_deref(), Some("Expired"));
        let l = lot_of(
            "LOT 3.1 - Software Lot expires before framework 12 suppliers",
            &[],
        )
        .unwrap();
        assert_eq!((l.id.as_str(), l.title.as_str()), ("3.1", "Software"));
        assert_eq!(l.status.as_deref(), Some("Lot expires before framework"));
        let l = lot_of("Lot 4: Live events Live", &["Lot 4: Live events", "Live"]).unwrap();
        assert_eq!(l.title, "Live events");
        assert_eq!(l.status.as_deref(), Some("Live"));
        assert_eq!(lot_of("Lot 5", &[]).unwrap().title, "");
        for t in [
            "Lots of suppliers: 42",
            "Lot 1 is for hardware",
            "A lot 1: x",
            "Lot: 3",
        ] {
            assert_eq!(lot_of(t, &[]), None, "{t}");
        }
    }

    #[test]
    fn label_value_lines() {
        assert_eq!(
            label_value("End date: 16/06/2026", &[]),
            Some(("End date".into(), "16/06/2026".into()))
        );
        assert_eq!(
            label_value("Agreement ID:RM6098", &["Agreement ID:", "RM6098"]),
            Some(("Agreement ID".into(), "RM6098".into()))
        );
        for t in [
            "The end date of the consultation was moved: it is now in June",
            "Note: you must apply by 16 June 2026",
            "Opening at 10:30 today",
            "Apply now",
            "Contact: ",
        ] {
            assert_eq!(label_value(t, &[]), None, "{t}");
        }
    }

    #[test]
    fn document_text() {
        let text = "# Page 1\nFramework reference: RM6098\n| Start date | 17/06/2022 |\n\
                    | End date | 16 June 2026 |\n## Lots\n- Lot 1: Hardware\nExpired: 31/03/2025\n\
                    - Lot 2: Software\n| Lot | Title | Suppliers |\n| Lot 3 | Services | 4 |\n\
                    | Name | Role | Phone |\n| A | B | C |\n\
                    The end date of the consultation was moved to 1 July 2026.";
        let f = facts_from_text(text);
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "reference",
                "start_date",
                "end_date",
                "lot:1",
                "lot:2",
                "lot:3"
            ]
        );
        assert_eq!(
            f.get("reference").unwrap().value,
            FactValue::Reference("RM6098".into())
        );
        assert_eq!(
            f.get("end_date").unwrap().value,
            FactValue::Date("2026-06-16".into())
        );
        let lot1 = f.get("lot:1").unwrap();
        assert_eq!(lot1.expires.as_deref(), Some("2025-03-31"));
        assert_eq!(lot1.value, FactValue::Text("Expired".into()));
        assert_eq!(f.get("lot:3").unwrap().text, "Services");
        assert_eq!(
            f.get("lot:2").unwrap().value,
            FactValue::Text("Software".into())
        );
    }

    #[test]
    fn prose_lines_yield_nothing() {
        let prose = "The end date of the consultation was moved.\nWe will publish the \
                     results in June 2026: please check back.\n- You can apply: online or by post\n\
                     Suppliers must register by 16/06/2026.";
        assert!(facts_from_text(prose).is_empty());
    }
}
