//! The `changed` verdict: did a page's content change, how much does it matter, and one
//! line saying what changed.
//!
//! This is where SPEC.md's significance rule lives. A change is **major** when the title or
//! a heading changed, when a figure (money, percentage, date, framework or notice number)
//! was added, removed or changed, when a linked document was added or removed, or when more
//! than 10% of the words changed; otherwise **minor**. The rule is deliberately asymmetric:
//! a one-figure edit in a 5,000-word page ("£25bn" → "£17 billion") is exactly the quiet
//! rewrite a reader must not miss, while a typo fix is not worth a morning's attention.
//!
//! The summary is for a human scanning a digest: the most important facts first (title,
//! figures, sections, documents, then word counts), at most [`MAX_SUMMARY_CHARS`].
//!
//! Inputs are extracted text (see [`crate::analyse::extract`]): heading lines start with `#`.

use crate::analyse::diff::LineDiff;
use crate::analyse::figures::figure_changes_in;
use crate::model::{ChangeDetail, FigureChange, Significance};

/// Summaries are cut to this many characters.
pub const MAX_SUMMARY_CHARS: usize = 200;
/// Excerpt bounds for digests.
pub const EXCERPT_LINES: usize = 12;
pub const EXCERPT_LINE_CHARS: usize = 300;
/// More than this fraction of changed words makes a change major (see [`compare`]).
pub const MAJOR_WORD_FRACTION: f64 = 0.10;

/// One version of a page as compared: its title, extracted text and linked documents.
#[derive(Debug, Clone, Copy)]
pub struct PageText<'a> {
    pub title: &'a str,
    pub text: &'a str,
    /// Linked document URLs (PDF, DOCX, …), as stored.
    pub documents: &'a [String],
}

/// The verdict on two versions of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// True iff the title or the text differ. When false, the other fields are neutral
    /// (minor, empty summary, no words, similarity 1).
    pub changed: bool,
    pub significance: Significance,
    /// One human line, most important first, at most [`MAX_SUMMARY_CHARS`] characters.
    pub summary: String,
    pub words_added: u64,
    pub words_removed: u64,
    /// Word similarity of the texts, 0..=1 (see [`crate::analyse::diff::DiffStats`]).
    pub similarity: f64,
    pub detail: ChangeDetail,
}

/// Compares two versions of a page.
///
/// `changed` iff the title or text differ. The change is [`Significance::Major`] when any
/// of these hold, else [`Significance::Minor`]:
/// * the title changed;
/// * the multiset of heading lines (lines starting `#`) changed — a heading was added,
///   removed or reworded (reordering alone is not a heading change);
/// * [`crate::analyse::figures::figure_changes`] reports any figure added, removed or changed;
/// * a linked document was added or removed (by URL, among `documents`);
/// * the changed-word fraction `(words_added + words_removed) / max(old_words, 1)` is
///   greater than [`MAJOR_WORD_FRACTION`] (10%), where `old_words` counts the
///   whitespace-separated words of the old text and `words_added`/`words_removed` come from
///   the line-then-word diff ([`crate::analyse::diff::diff_stats`]). A moved paragraph counts as removed and
///   added. Exactly 10% is minor; any words appearing in a previously empty text is major.
///
/// Linked documents are only compared when the title or text changed too: a document link
/// in the content shows in the text as `text (URL)`, so a content document cannot change
/// unseen.
pub fn compare(old: &PageText, new: &PageText) -> Comparison {
    if old.title == new.title && old.text == new.text {
        return Comparison {
            changed: false,
            significance: Significance::Minor,
            summary: String::new(),
            words_added: 0,
            words_removed: 0,
            similarity: 1.0,
            detail: ChangeDetail::default(),
        };
    }

    // One line diff, read three ways: word counts, figures and the excerpt.
    let diff = LineDiff::new(old.text, new.text);
    let stats = diff.stats();
    let figures = figure_changes_in(&diff);
    let documents_added: Vec<String> = new
        .documents
        .iter()
        .filter(|d| !old.documents.contains(d))
        .cloned()
        .collect();
    let documents_removed: Vec<String> = old
        .documents
        .iter()
        .filter(|d| !new.documents.contains(d))
        .cloned()
        .collect();
    let headings = HeadingChange::between(old.text, new.text);
    let title_changed = old.title != new.title;

    let old_words = old.text.split_whitespace().count().max(1) as f64;
    let changed_fraction = (stats.words_added + stats.words_removed) as f64 / old_words;

    let major = title_changed
        || headings.changed()
        || !figures.is_empty()
        || !documents_added.is_empty()
        || !documents_removed.is_empty()
        || changed_fraction > MAJOR_WORD_FRACTION;

    let mut pieces: Vec<String> = Vec::new();
    if title_changed {
        pieces.push(format!(
            "title changed: {} → {}",
            shorten(old.title, 70),
            shorten(new.title, 70)
        ));
    }
    if let Some(p) = figures_piece(&figures) {
        pieces.push(p);
    }
    if let Some(p) = headings.piece() {
        pieces.push(p);
    }
    if let Some(p) = documents_piece("added", &documents_added) {
        pieces.push(p);
    }
    if let Some(p) = documents_piece("removed", &documents_removed) {
        pieces.push(p);
    }
    pieces.push(words_piece(stats.words_added, stats.words_removed));

    Comparison {
        changed: true,
        significance: if major {
            Significance::Major
        } else {
            Significance::Minor
        },
        summary: join_within(&pieces, MAX_SUMMARY_CHARS),
        words_added: stats.words_added,
        words_removed: stats.words_removed,
        similarity: stats.similarity,
        detail: ChangeDetail {
            figures,
            excerpt: diff.excerpt(EXCERPT_LINES, EXCERPT_LINE_CHARS),
            documents_added,
            documents_removed,
        },
    }
}

/// Headings that disappeared and appeared (as multisets, in text order).
struct HeadingChange<'a> {
    old_count: usize,
    removed: Vec<&'a str>,
    added: Vec<&'a str>,
}

impl<'a> HeadingChange<'a> {
    fn between(old: &'a str, new: &'a str) -> Self {
        let old_h: Vec<&str> = headings(old).collect();
        let mut unmatched_new: Vec<Option<&str>> = headings(new).map(Some).collect();
        let mut removed = Vec::new();
        for h in &old_h {
            match unmatched_new.iter_mut().find(|n| **n == Some(*h)) {
                Some(slot) => *slot = None,
                None => removed.push(*h),
            }
        }
        HeadingChange {
            old_count: old_h.len(),
            removed,
            added: unmatched_new.into_iter().flatten().collect(),
        }
    }

    fn changed(&self) -> bool {
        !self.removed.is_empty() || !self.added.is_empty()
    }

    fn piece(&self) -> Option<String> {
        let (r, a) = (self.removed.len(), self.added.len());
        match (r, a) {
            (0, 0) => None,
            (1, 1) => Some(format!(
                "heading changed: {} → {}",
                shorten(heading_text(self.removed.first()?), 60),
                shorten(heading_text(self.added.first()?), 60)
            )),
            (r, 0) => Some(format!("lost {r} of {} sections", self.old_count)),
            (0, 1) => Some(format!(
                "section added: {}",
                shorten(heading_text(self.added.first()?), 60)
            )),
            (0, a) => Some(format!("{a} sections added")),
            (r, a) => Some(format!(
                "lost {r} of {} sections, {a} added",
                self.old_count
            )),
        }
    }
}

/// Heading lines of extracted text: one to six `#` then a space.
fn headings(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| {
        let hashes = l.bytes().take_while(|b| *b == b'#').count();
        (1..=6).contains(&hashes) && l.as_bytes().get(hashes) == Some(&b' ')
    })
}

fn heading_text(line: &str) -> &str {
    line.trim_start_matches('#').trim_start()
}

fn figures_piece(figures: &[FigureChange]) -> Option<String> {
    const SHOWN: usize = 3;
    if figures.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = figures
        .iter()
        .take(SHOWN)
        .map(|f| match (&f.before, &f.after) {
            (Some(b), Some(a)) => format!("{} → {}", shorten(b, 40), shorten(a, 40)),
            (Some(b), None) => format!("{} removed", shorten(b, 40)),
            (None, Some(a)) => format!("{} added", shorten(a, 40)),
            (None, None) => String::new(),
        })
        .collect();
    if figures.len() > SHOWN {
        parts.push(format!("{} more figures", figures.len() - SHOWN));
    }
    Some(parts.join("; "))
}

fn documents_piece(verb: &str, documents: &[String]) -> Option<String> {
    match documents {
        [] => None,
        [one] => Some(format!("document {verb}: {}", shorten(&file_name(one), 60))),
        [first, second] => Some(format!(
            "documents {verb}: {}, {}",
            shorten(&file_name(first), 40),
            shorten(&file_name(second), 40)
        )),
        many => Some(format!("{} documents {verb}", many.len())),
    }
}

fn words_piece(added: u64, removed: u64) -> String {
    let plural = |n: u64| if n == 1 { "word" } else { "words" };
    match (added, removed) {
        (0, 0) => "line breaks changed".to_owned(),
        (a, r) if a == r => format!("{a} {} changed", plural(a)),
        (a, 0) => format!("{a} {} added", plural(a)),
        (0, r) => format!("{r} {} removed", plural(r)),
        (a, r) => format!("{r} {} removed, {a} added", plural(r)),
    }
}

/// The last path segment of a URL, percent-decoded for reading ("Price Schedule.pdf").
fn file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    percent_decode(if last.is_empty() { url } else { last })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |j: usize| b.get(j).and_then(|h| (*h as char).to_digit(16));
        match (c, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Cuts to `max` characters, ending with "…" when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let keep: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", keep.trim_end())
}

/// Joins pieces with "; " in order, skipping any that no longer fit; a first piece too long
/// on its own is shortened.
fn join_within(pieces: &[String], max: usize) -> String {
    let mut out = String::new();
    let mut len = 0usize;
    for piece in pieces {
        let piece_len = piece.chars().count();
        if out.is_empty() {
            let p = shorten(piece, max);
            len = p.chars().count();
            out = p;
        } else if len + 2 + piece_len <= max {
            out.push_str("; ");
            out.push_str(piece);
            len += 2 + piece_len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long realistic page: 5 sections of prose with the figures a framework page has.
    fn page(end_date: &str, spend: &str) -> String {
        let mut lines = vec![
            "# Framework host management guidance".to_owned(),
            format!("About {spend} of spend goes through frameworks each year."),
        ];
        for section in ["Scope", "Benefits", "How to buy", "Lots", "Documents"] {
            lines.push(format!("## {section}"));
            for i in 0..12 {
                lines.push(format!(
                    "Paragraph {i} of {section} explains how public bodies buy services \
                     through the agreement and what suppliers must provide in return."
                ));
            }
        }
        lines.push(format!("| End date | {end_date} |"));
        lines.join("\n")
    }

    fn docs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn cmp(old: &str, new: &str) -> Comparison {
        compare(
            &PageText {
                title: "Guidance",
                text: old,
                documents: &[],
            },
            &PageText {
                title: "Guidance",
                text: new,
                documents: &[],
            },
        )
    }

    #[test]
    fn identical_is_not_changed() {
        let t = page("31/03/2026", "£25bn");
        let c = cmp(&t, &t);
        assert!(!c.changed);
        assert_eq!(c.summary, "");
        assert_eq!(c.detail, ChangeDetail::default());
    }

    #[test]
    fn one_figure_in_a_long_page_is_major() {
        let old = page("31/03/2026", "£25bn");
        let new = page("31/03/2026", "£17 billion");
        assert!(old.split_whitespace().count() > 1000);
        let c = cmp(&old, &new);
        assert!(c.changed);
        assert_eq!(c.significance, Significance::Major);
        assert_eq!(c.summary, "£25bn → £17 billion; 1 word removed, 2 added");
        assert_eq!(c.detail.figures.len(), 1);
        assert_eq!((c.words_added, c.words_removed), (2, 1));
        assert!(c.similarity > 0.99);
        assert!(c.detail.excerpt.iter().any(|l| l.tag == '+'));

        let c = cmp(&old, &page("31/03/2027", "£25bn"));
        assert_eq!(c.significance, Significance::Major);
        assert!(
            c.summary.starts_with("31/03/2026 → 31/03/2027"),
            "{}",
            c.summary
        );
    }

    #[test]
    fn typo_fix_is_minor() {
        let old = page("31/03/2026", "£25bn");
        let new = old.replacen("explains how public", "explains how pubic", 1);
        let new_fixed = new.replacen("explains how pubic", "explains how public", 1);
        let c = cmp(&new, &new_fixed);
        assert!(c.changed);
        assert_eq!(c.significance, Significance::Minor);
        assert_eq!(c.summary, "1 word changed");
    }

    #[test]
    fn heading_change_is_major() {
        let old = page("31/03/2026", "£25bn");
        let c = cmp(&old, &old.replace("## How to buy", "## How to apply"));
        assert_eq!(c.significance, Significance::Major);
        assert_eq!(
            c.summary,
            "heading changed: How to buy → How to apply; 1 word changed"
        );
    }

    #[test]
    fn lost_sections_are_summarised() {
        let old = page("31/03/2026", "£25bn");
        let keep: Vec<&str> = old
            .lines()
            .filter(|l| !l.contains("of Benefits") && !l.contains("of Lots"))
            .filter(|l| *l != "## Benefits" && *l != "## Lots")
            .collect();
        let c = cmp(&old, &keep.join("\n"));
        assert_eq!(c.significance, Significance::Major);
        assert!(
            c.summary.starts_with("lost 2 of 6 sections; ") && c.summary.ends_with("words removed"),
            "{}",
            c.summary
        );
    }

    #[test]
    fn more_than_ten_percent_rewrite_is_major_and_ten_is_minor() {
        // 100 words of plain prose, no figures or headings.
        let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let old = words.join(" ");
        let rewrite = |n: usize| {
            words
                .iter()
                .enumerate()
                .map(|(i, w)| if i < n { format!("x{i}") } else { w.clone() })
                .collect::<Vec<_>>()
                .join(" ")
        };
        // 5 replaced: 5 removed + 5 added = 10% → not more than 10%.
        let c = cmp(&old, &rewrite(5));
        assert_eq!((c.words_added, c.words_removed), (5, 5));
        assert_eq!(c.significance, Significance::Minor);
        // 6 replaced: 12%.
        let c = cmp(&old, &rewrite(6));
        assert_eq!(c.significance, Significance::Major);
        assert_eq!(c.summary, "6 words changed");
    }

    #[test]
    fn document_link_removed_is_major() {
        let old_docs = docs(&[
            "https://assets.example/uploads/Price%20Schedule.xlsx",
            "https://assets.example/uploads/terms.pdf",
        ]);
        let new_docs = docs(&["https://assets.example/uploads/terms.pdf"]);
        let old = "Documents\nPrice schedule (https://assets.example/uploads/Price%20Schedule.xlsx)\nTerms (https://assets.example/uploads/terms.pdf)";
        let new = "Documents\nTerms (https://assets.example/uploads/terms.pdf)";
        let c = compare(
            &PageText {
                title: "RM6281",
                text: old,
                documents: &old_docs,
            },
            &PageText {
                title: "RM6281",
                text: new,
                documents: &new_docs,
            },
        );
        assert_eq!(c.significance, Significance::Major);
        assert_eq!(
            c.detail.documents_removed,
            vec!["https://assets.example/uploads/Price%20Schedule.xlsx"]
        );
        assert!(c.detail.documents_added.is_empty());
        assert_eq!(
            c.summary,
            "document removed: Price Schedule.xlsx; 3 words removed"
        );
    }

    #[test]
    fn title_change_is_major_and_summary_is_bounded() {
        let long_old = "Old title ".repeat(40);
        let long_new = "New title ".repeat(40);
        let c = compare(
            &PageText {
                title: &long_old,
                text: "same",
                documents: &[],
            },
            &PageText {
                title: &long_new,
                text: "same",
                documents: &[],
            },
        );
        assert!(c.changed);
        assert_eq!(c.significance, Significance::Major);
        assert!(c.summary.starts_with("title changed: Old title"));
        assert!(c.summary.chars().count() <= MAX_SUMMARY_CHARS);
        assert_eq!((c.words_added, c.words_removed), (0, 0));
    }

    #[test]
    fn excerpt_is_bounded() {
        let old = page("31/03/2026", "£25bn");
        let new = old.replace("suppliers", "providers");
        let c = cmp(&old, &new);
        assert!(c.detail.excerpt.len() <= EXCERPT_LINES);
        assert!(c
            .detail
            .excerpt
            .iter()
            .all(|l| l.text().chars().count() <= EXCERPT_LINE_CHARS));
        assert!(c.summary.chars().count() <= MAX_SUMMARY_CHARS);
    }

    #[test]
    fn file_names_read_well() {
        assert_eq!(
            file_name("https://a.test/x/Price%20Schedule.pdf?v=1"),
            "Price Schedule.pdf"
        );
        assert_eq!(file_name("https://a.test/x/%E2%82%AC.pdf"), "€.pdf");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
