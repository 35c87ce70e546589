//! What one change shows in a feed entry or a chat message, decided once for every channel.
//!
//! Why it is shaped so:
//! - **One view, three renderers.** The Atom feed, Slack and Teams all show the same pieces of a
//!   change — a scannable heading (`REMOVED — Health Sector Resourcing`), the summary, the fact
//!   changes, a bounded excerpt with word-level marks, the page link and the archive link. The
//!   pieces, their caps and their fallbacks are chosen here; each renderer only escapes them for
//!   its own markup. So a reader sees the same change the same way everywhere, and the hygiene
//!   rules live in one place.
//! - **Page text is hostile and this is the first line of defence.** Every string that came
//!   from a crawled site is put through [`one_line`] or [`strip_controls`]: C0/C1 controls,
//!   bidi overrides and isolates, line and paragraph separators, the BOM and Unicode
//!   noncharacters become spaces (which also makes every string legal XML 1.0 character
//!   data), and each piece is capped. Only absolute `http(s)` URLs ever become link targets
//!   ([`http_url`]); anything else (`javascript:`, `data:`, relative, oversized) is shown as
//!   text. Escaping for HTML, mrkdwn or JSON is the renderer's job, after this.
//! - **Ready for what the change record gains.** Nothing here matches exhaustively on
//!   [`ChangeKind`] (a new kind renders with its own `label()`), and [`fact_rows`] is the one
//!   place where a change's fact changes become table rows.

use crate::analyse::doc_reading::document_type_name;
use crate::markup::{http_url, one_line, MAX_LINK_URL_CHARS};
use crate::model::{Change, ChangeKind, Significance};

/// Characters of a title kept (the rest is cut with `…`).
pub const MAX_TITLE_CHARS: usize = 300;
/// Characters of a summary kept.
pub const MAX_SUMMARY_CHARS: usize = 500;
/// A URL longer than this is shown as text, never linked.
/// Excerpt lines shown; the rest are counted.
pub const MAX_EXCERPT_LINES: usize = 12;
/// Characters of one excerpt line shown.
pub const MAX_LINE_CHARS: usize = 300;
/// Fact rows shown; the rest are counted.
pub const MAX_FACT_ROWS: usize = 10;
/// Characters of one fact label or value.
pub const MAX_FACT_CHARS: usize = 200;
/// Characters of a site name.
pub const MAX_SITE_CHARS: usize = 100;

/// One change, cleaned and capped, ready for any channel's renderer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeView {
    pub id: i64,
    pub kind: ChangeKind,
    /// The kind as a reader scans it: `REMOVED`, `SOFT REMOVED`.
    pub kind_label: String,
    pub significance: Significance,
    pub site: String,
    /// The page's title; its URL when it has none; `(untitled)` when it has neither.
    pub title: String,
    /// `REMOVED — Health Sector Resourcing`.
    pub heading: String,
    /// The page URL as text (cleaned, capped).
    pub url: String,
    /// The page URL as a link target, when it is an absolute http(s) URL.
    pub href: Option<String>,
    pub summary: String,
    /// Where a redirect now leads, as text and (when http(s)) as a link target.
    pub redirect_to: Option<String>,
    pub redirect_href: Option<String>,
    /// Fact, figure and document changes, as table rows (at most [`MAX_FACT_ROWS`]).
    pub facts: Vec<FactRow>,
    /// Rows beyond the cap, counted.
    pub facts_more: usize,
    /// The excerpt (at most [`MAX_EXCERPT_LINES`] lines).
    pub excerpt: Vec<LineView>,
    /// Excerpt lines beyond the cap, counted.
    pub excerpt_more: usize,
    /// The change's view in `quietwatch serve` (its diff, else the page's timeline), when an
    /// archive URL is configured.
    pub archive_href: Option<String>,
    /// RFC 3339, as recorded.
    pub detected_at: String,
}

/// One row of the "what changed" table: a fact, a figure or a linked document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRow {
    pub label: String,
    /// `None` when it was added.
    pub before: Option<String>,
    /// `None` when it was removed.
    pub after: Option<String>,
}

/// Whether an excerpt line is context, removed or added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTag {
    Context,
    Removed,
    Added,
}

/// One excerpt line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineView {
    pub tag: LineTag,
    /// A removed or added line that changed as a whole (every segment is marked).
    pub whole: bool,
    pub segments: Vec<SegmentView>,
}

/// A run of text within an excerpt line; `changed` marks the words that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentView {
    pub text: String,
    pub changed: bool,
}

impl LineView {
    /// Whether a segment is shown as removed (on a `-` line) or added (on a `+` line).
    pub fn marks(&self, seg: &SegmentView) -> bool {
        self.tag != LineTag::Context && (self.whole || seg.changed)
    }
}

impl ChangeView {
    /// The view of `c`; `archive_url` is `[digest] archive_url` (links into `quietwatch serve`).
    pub fn new(c: &Change, archive_url: Option<&str>) -> ChangeView {
        let mut kind_label = c.kind.label().to_uppercase();
        if let Some(phrase) = c.phrase.as_deref().filter(|_| c.kind.is_phrase()) {
            kind_label = format!("{kind_label} “{}”", one_line(phrase, MAX_FACT_CHARS));
        }
        let url = one_line(&c.url, MAX_LINK_URL_CHARS);
        let mut title = one_line(&c.title, MAX_TITLE_CHARS);
        if title.is_empty() {
            title = one_line(&c.url, MAX_TITLE_CHARS);
        }
        if title.is_empty() {
            title = "(untitled)".to_string();
        }
        // A document says what it is, as in the digest: "CHANGED — prices.xlsx (spreadsheet)".
        let heading = match document_type_name(c.content_type.as_deref(), &c.url) {
            Some(t) => format!("{kind_label} — {title} ({t})"),
            None => format!("{kind_label} — {title}"),
        };
        let (facts, facts_more) = {
            let mut rows = fact_rows(c);
            let more = rows.len().saturating_sub(MAX_FACT_ROWS);
            rows.truncate(MAX_FACT_ROWS);
            (rows, more)
        };
        let excerpt: Vec<LineView> = c
            .detail
            .excerpt
            .iter()
            .take(MAX_EXCERPT_LINES)
            .map(|line| {
                let tag = match line.tag {
                    '-' => LineTag::Removed,
                    '+' => LineTag::Added,
                    _ => LineTag::Context,
                };
                let segments = crate::markup::capped_segments(&line.segments, MAX_LINE_CHARS)
                    .into_iter()
                    .filter(|(text, _)| !text.is_empty())
                    .map(|(text, changed)| SegmentView { text, changed })
                    .collect();
                LineView {
                    tag,
                    whole: tag != LineTag::Context && line.whole,
                    segments,
                }
            })
            .collect();
        let archive_href = archive_url
            .map(|base| crate::links::change_link(base, c))
            .and_then(|link| http_url(&link));
        ChangeView {
            id: c.id,
            kind: c.kind,
            kind_label,
            significance: c.significance,
            site: one_line(&c.site, MAX_SITE_CHARS),
            title,
            heading,
            href: http_url(&c.url),
            url,
            summary: one_line(&c.summary, MAX_SUMMARY_CHARS),
            redirect_href: c.redirect_to.as_deref().and_then(http_url),
            redirect_to: c
                .redirect_to
                .as_deref()
                .map(|r| one_line(r, MAX_LINK_URL_CHARS)),
            facts,
            facts_more,
            excerpt_more: c.detail.excerpt.len().saturating_sub(MAX_EXCERPT_LINES),
            excerpt,
            archive_href,
            detected_at: one_line(&c.detected_at, 40),
        }
    }
}

/// The rows of a change's "what changed" table, uncapped: its fact changes first, then
/// changed figures, then linked documents added and removed.
pub fn fact_rows(c: &Change) -> Vec<FactRow> {
    let cell = |s: &str| one_line(s, MAX_FACT_CHARS);
    let mut rows = Vec::new();
    // Fact changes (SPEC "Facts") first: one row per fact, its label, before/after as shown.
    for f in &c.facts {
        rows.push(FactRow {
            label: cell(&f.label),
            before: crate::model::fact_before(f).as_deref().map(cell),
            after: crate::model::fact_after(f).as_deref().map(cell),
        });
    }
    for f in &c.detail.figures {
        if f.before.is_none() && f.after.is_none() {
            continue;
        }
        rows.push(FactRow {
            label: "Figure".to_string(),
            before: f.before.as_deref().map(cell),
            after: f.after.as_deref().map(cell),
        });
    }
    for d in &c.detail.documents_added {
        rows.push(FactRow {
            label: "Document".to_string(),
            before: None,
            after: Some(one_line(d, MAX_LINK_URL_CHARS)),
        });
    }
    for d in &c.detail.documents_removed {
        rows.push(FactRow {
            label: "Document".to_string(),
            before: Some(one_line(d, MAX_LINK_URL_CHARS)),
            after: None,
        });
    }
    rows
}

/// The order chat messages list changes in: watched phrases first, then what ends soon
/// (as the digest's sections), then major before minor, otherwise as given (the caller's
/// order, oldest first). A capped message therefore never leaves a major change to the "and
/// N more" count while it lists a minor one.
pub fn delivery_order(changes: &[&Change]) -> Vec<usize> {
    let section = |k: ChangeKind| match k {
        k if k.is_phrase() => 0u8,
        ChangeKind::Ending => 1,
        _ => 2,
    };
    let mut idx: Vec<usize> = (0..changes.len()).collect();
    idx.sort_by_key(|&i| (section(changes[i].kind), changes[i].significance));
    idx
}

/// "3 removed, 2 changed" — counts per kind, in kind order, for headers and trailers.
pub fn kind_counts(changes: &[&Change]) -> String {
    let mut counts: Vec<(ChangeKind, usize)> = Vec::new();
    for c in changes {
        match counts.iter_mut().find(|(k, _)| *k == c.kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((c.kind, 1)),
        }
    }
    counts.sort_by_key(|(k, _)| *k);
    counts
        .iter()
        .map(|(k, n)| format!("{n} {}", k.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The archive's list of changes from the newest of `rest` back, where a capped message
/// sends the reader for what it only counted: `{base}/changes?before=NEWEST+1` (the list is
/// newest first, so later runs' changes do not push these off its first page).
pub fn archive_changes_link(base: &str, rest: &[&Change]) -> Option<String> {
    let newest = rest.iter().map(|c| c.id).max()?;
    http_url(&format!(
        "{}/changes?before={}",
        base.trim_end_matches('/'),
        newest.saturating_add(1)
    ))
}

/// "1 more change" / "3 more changes".
pub fn more_changes_phrase(n: usize) -> String {
    if n == 1 {
        "1 more change".to_string()
    } else {
        format!("{n} more changes")
    }
}

/// "1 change" / "3 changes".
/// "quietwatch: 12 changes (3 major)" — the opening words of every chat message.
pub fn headline(changes: &[&Change]) -> String {
    let major = changes
        .iter()
        .filter(|c| c.significance == crate::model::Significance::Major)
        .count();
    format!(
        "quietwatch: {} ({major} major)",
        changes_phrase(changes.len())
    )
}

pub fn changes_phrase(n: usize) -> String {
    if n == 1 {
        "1 change".to_string()
    } else {
        format!("{n} changes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChangeDetail, ExcerptLine, FigureChange, Segment};

    fn change() -> Change {
        Change {
            facts: Vec::new(),
            id: 7,
            detected_at: "2026-11-22T06:00:12Z".into(),
            site: "GCA agreements".into(),
            url: "https://www.gca.gov.uk/agreements/RM6281".into(),
            kind: ChangeKind::SoftRemoved,
            significance: Significance::Major,
            title: "".into(),
            summary: "line one\nline\u{202e}two\u{0}".into(),
            from: Some(1),
            to: Some(2),
            http_status: Some(200),
            redirect_to: Some("javascript:alert(1)".into()),
            words_added: 0,
            words_removed: 3,
            similarity: None,
            phrase: None,
            content_type: None,
            detail: ChangeDetail::default(),
        }
    }

    #[test]
    fn phrase_and_ending_records_lead_and_name_their_phrase() {
        let mut minor = change();
        minor.significance = Significance::Minor;
        let mut major = change();
        major.id = 2;
        let mut ending = change();
        ending.id = 3;
        ending.kind = ChangeKind::Ending;
        let mut hit = change();
        hit.id = 4;
        hit.kind = ChangeKind::PhraseDisappeared;
        hit.phrase = Some("market\u{202e} engagement".into());
        let all = [&minor, &major, &ending, &hit];
        assert_eq!(delivery_order(&all), vec![3, 2, 1, 0]);
        let v = ChangeView::new(&hit, None);
        assert!(
            v.heading
                .starts_with("PHRASE DISAPPEARED “market engagement” — "),
            "{}",
            v.heading
        );
        assert_eq!(ChangeView::new(&ending, None).kind_label, "ENDING SOON");
    }

    #[test]
    fn heading_falls_back_to_the_url_and_labels_the_kind() {
        let v = ChangeView::new(&change(), None);
        assert_eq!(
            v.heading,
            "SOFT REMOVED — https://www.gca.gov.uk/agreements/RM6281"
        );
        let mut c = change();
        c.url = "\u{1}".into();
        assert_eq!(ChangeView::new(&c, None).title, "(untitled)");
    }

    #[test]
    fn unsafe_characters_become_spaces_and_links_are_http_only() {
        let v = ChangeView::new(&change(), None);
        assert_eq!(v.summary, "line one line two");
        assert_eq!(v.redirect_href, None);
        assert_eq!(v.redirect_to.as_deref(), Some("javascript:alert(1)"));
        assert!(v.href.is_some());
        for bad in [
            "\u{fffe}",
            "\u{ffff}",
            "\u{1fffe}",
            "\u{fdd0}",
            "\u{85}",
            "\u{b}",
        ] {
            assert_eq!(one_line(&format!("a{bad}b"), 10), "a b", "{bad:?}");
        }
        assert_eq!(http_url("https://x.example/a b"), None);
        assert_eq!(http_url("/relative"), None);
        assert_eq!(http_url("data:text/html,x"), None);
    }

    #[test]
    fn caps_hold_for_huge_input() {
        let mut c = change();
        c.title = "x".repeat(100_000);
        c.detail = ChangeDetail {
            figures: (0..50)
                .map(|i| FigureChange {
                    before: Some(format!("£{i}bn")),
                    after: None,
                })
                .collect(),
            excerpt: (0..40)
                .map(|_| ExcerptLine {
                    tag: '+',
                    segments: vec![Segment {
                        text: "y".repeat(10_000),
                        emphasised: true,
                    }],
                    whole: false,
                })
                .collect(),
            ..Default::default()
        };
        let v = ChangeView::new(&c, Some("http://127.0.0.1:8080"));
        assert_eq!(v.title.chars().count(), MAX_TITLE_CHARS);
        assert_eq!(v.facts.len(), MAX_FACT_ROWS);
        assert_eq!(v.facts_more, 40);
        assert_eq!(v.excerpt.len(), MAX_EXCERPT_LINES);
        assert_eq!(v.excerpt_more, 28);
        assert!(v.excerpt[0].segments[0].text.chars().count() <= MAX_LINE_CHARS + 1);
        assert_eq!(
            v.archive_href.as_deref(),
            Some("http://127.0.0.1:8080/diff?url=https%3A%2F%2Fwww.gca.gov.uk%2Fagreements%2FRM6281&from=1&to=2")
        );
    }

    #[test]
    fn fact_changes_are_the_first_rows_cleaned() {
        let mut c = change();
        c.detail.figures = vec![FigureChange {
            before: Some("£25bn".into()),
            after: Some("£17bn".into()),
        }];
        c.facts = vec![
            crate::model::FactChange {
                name: "end_date".into(),
                label: "End\u{202e} date\n".into(),
                from: Some(crate::model::FactValue::Date("2026-06-16".into())),
                to: Some(crate::model::FactValue::Date("2026-12-16".into())),
                from_text: Some("16/06/2026".into()),
                to_text: None,
            },
            crate::model::FactChange {
                name: "lot:3".into(),
                label: "Lot 3: Cloud hosting".into(),
                from: Some(crate::model::FactValue::Text("Live".into())),
                to: None,
                from_text: Some("Cloud hosting".into()),
                to_text: None,
            },
        ];
        let rows = fact_rows(&c);
        assert_eq!(rows[0].label, "End date");
        assert_eq!(rows[0].before.as_deref(), Some("16/06/2026"));
        // No text shown: the typed value stands in.
        assert_eq!(rows[0].after.as_deref(), Some("2026-12-16"));
        assert_eq!(
            (rows[1].before.as_deref(), rows[1].after.as_deref()),
            (Some("Cloud hosting"), None)
        );
        assert_eq!(rows[2].label, "Figure");
    }

    #[test]
    fn major_changes_come_first_in_delivery_order() {
        let mut a = change();
        a.significance = Significance::Minor;
        let b = change();
        let mut c = change();
        c.significance = Significance::Minor;
        let list = [&a, &b, &c];
        assert_eq!(delivery_order(&list), vec![1, 0, 2]);
        assert_eq!(kind_counts(&list), "3 soft removed");
    }
}
