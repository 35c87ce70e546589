//! The digest: one message that tells a reader, in five seconds per item, what changed since
//! the last one.
//!
//! Why it looks like this:
//! - **Pure.** [`collect`] only reads the store and [`render`] only formats, so a
//!   `digest --dry-run` shows exactly what a real run would send and marks nothing; marking is
//!   [`crate::report::mail::deliver`]'s job, after the mail server accepted the message.
//! - **A digest settles everything it was built from.** [`Digest::change_ids`] holds every
//!   change the digest accounts for: the ones it lists, the ones beyond the item cap (counted
//!   in "and N more"), *and* the ones below `min_significance`. The last are never sent — the
//!   operator asked not to hear about them — but they are marked with the digest that skipped
//!   them, so they do not pile up as "pending" forever and never surface later in a digest
//!   whose threshold was lowered. Site notes (baselines, failed sites) are settled the same
//!   way.
//! - **No crying wolf about sites.** A site whose start pages all failed is listed with its
//!   failure streak whenever a digest goes out, but on its own it makes a digest worth sending
//!   only once it has failed `[crawl] unreachable_after` runs in a row (the patience pages
//!   get): one timeout is not news.
//! - **Page text is hostile.** Titles, summaries, excerpts and URLs come from the crawled
//!   sites. The subject never contains any of it (only counts and site names from the
//!   config, still stripped of control characters and capped); the HTML part is rendered by
//!   minijinja with auto-escaping on; only `http(s)` URLs become links; every piece is
//!   stripped of control and bidi-override characters and capped in length, and the number
//!   of items, excerpt lines and figures is bounded.
//! - **Mail clients are hostile too.** The HTML uses tables and inline styles only — no
//!   `<style>` block, scripts or images — so Gmail and Outlook show it as written.

use crate::analyse::doc_reading::document_type_name;
use crate::markup::{cap_chars, http_url, one_line};
use crate::model::{Change, ChangeKind, Significance, SiteOutcome};
use crate::store::{ChangeFilter, SiteRunRow, Store, StoreError};
use chrono::{DateTime, Utc};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use std::collections::BTreeMap;

/// The `[digest]` and `[smtp]` settings this module and [`crate::report::mail`] need.
pub use crate::config::{DigestSettings, SmtpSecurity, SmtpSettings};

/// Items listed in full; the rest of a huge digest is counted ("and N more").
pub const MAX_ITEMS: usize = 500;
/// Pending changes read for one digest; anything beyond waits for the next digest (oldest
/// first), so a runaway site cannot make the digest unbounded.
pub const MAX_COLLECT: u64 = 20_000;
/// Consecutive failed runs after which a site that does not answer is worth an email on its
/// own, when no `[crawl] unreachable_after` is given (its default).
pub const SITE_DOWN_ALERT_RUNS: u32 = 3;
/// Subject length cap, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;

const MAX_EXCERPT_LINES: usize = 12;
const MAX_LINE_CHARS: usize = 300;
const MAX_FIGURES: usize = 10;
const MAX_FACTS: usize = 12;
const MAX_DOCUMENTS: usize = 10;
const MAX_TITLE_CHARS: usize = 300;
const MAX_SUMMARY_CHARS: usize = 500;
const MAX_ERROR_CHARS: usize = 200;
const MAX_SUBJECT_SITES: usize = 4;

mod view;

use view::{build_view, View};

const HTML_TEMPLATE: &str = include_str!("../../../templates/digest.html.j2");
const TEXT_TEMPLATE: &str = include_str!("../../../templates/digest.txt.j2");

/// Errors while building a digest.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("digest template: {0}")]
    Template(#[from] minijinja::Error),
}

/// Everything a digest is built from, read from the store by [`collect`].
#[derive(Debug, Clone)]
pub struct DigestInput {
    /// Pending changes at or above `min_significance`, oldest first.
    pub changes: Vec<Change>,
    /// Pending changes below `min_significance`: never listed, but settled by the digest.
    pub skipped: Vec<i64>,
    /// Pending site notes: baselines and failed sites.
    pub notes: Vec<SiteRunRow>,
    /// The current failure streak of every site with a failed note.
    pub failure_streaks: Vec<(String, u32)>,
    /// Failed runs in a row before a site that does not answer is worth an email
    /// (`[crawl] unreachable_after`, the same patience as for pages).
    pub site_down_after: u32,
    /// For a change of a document: the page that links to it (by change id).
    pub linked_from: BTreeMap<i64, String>,
}

impl Default for DigestInput {
    fn default() -> Self {
        DigestInput {
            changes: Vec::new(),
            skipped: Vec::new(),
            notes: Vec::new(),
            failure_streaks: Vec::new(),
            site_down_after: SITE_DOWN_ALERT_RUNS,
            linked_from: BTreeMap::new(),
        }
    }
}

/// Reads what the next digest should carry: pending changes (split by `min_significance`),
/// pending site notes and the failure streak of each failed site.
pub fn collect(
    store: &Store,
    settings: &DigestSettings,
    site_down_after: u32,
) -> Result<DigestInput, DigestError> {
    let pending = store.changes(&ChangeFilter {
        pending_only: true,
        limit: Some(MAX_COLLECT),
        ..Default::default()
    })?;
    let mut input = DigestInput {
        site_down_after,
        ..Default::default()
    };
    for c in pending {
        if c.significance.at_least(settings.min_significance) {
            input.changes.push(c);
        } else {
            input.skipped.push(c.id);
        }
    }
    for c in &input.changes {
        if document_type_name(c.content_type.as_deref(), &c.url).is_some() {
            if let Some(page) = store.pages_linking_to(&c.url, 1)?.into_iter().next() {
                input.linked_from.insert(c.id, page);
            }
        }
    }
    input.notes = store.pending_site_notes()?;
    for note in input
        .notes
        .iter()
        .filter(|n| n.record.outcome == SiteOutcome::Failed)
    {
        if !input.failure_streaks.iter().any(|(s, _)| *s == note.site) {
            let streak = store.site_failure_streak(&note.site)?;
            input.failure_streaks.push((note.site.clone(), streak));
        }
    }
    tracing::debug!(
        changes = input.changes.len(),
        skipped = input.skipped.len(),
        notes = input.notes.len(),
        "digest input collected"
    );
    Ok(input)
}

/// A rendered digest and what it settles once delivered.
#[derive(Debug, Clone)]
pub struct Digest {
    /// One line, built from counts and configured site names only.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
    /// Every change this digest settles: listed, counted beyond the cap, or below
    /// `min_significance`.
    pub change_ids: Vec<i64>,
    /// Every site note this digest settles: (run id, site name).
    pub site_notes: Vec<(i64, String)>,
    /// Nothing worth an email: no change to list, no baseline, no site down for long.
    pub is_empty: bool,
}

/// Formats a digest. Pure: the same input and time give the same digest.
pub fn render(
    input: &DigestInput,
    settings: &DigestSettings,
    now: DateTime<Utc>,
) -> Result<Digest, DigestError> {
    let view = build_view(input, settings, now);
    let env = environment()?;
    let html = env.get_template("digest.html.j2")?.render(&view)?;
    let text = env.get_template("digest.txt.j2")?.render(&view)?;
    let subject = subject(settings, &view);

    let mut change_ids: Vec<i64> = input.changes.iter().map(|c| c.id).collect();
    change_ids.extend(input.skipped.iter().copied());
    let site_notes = input
        .notes
        .iter()
        .map(|n| (n.run_id, n.site.clone()))
        .collect();
    Ok(Digest {
        subject,
        text,
        html,
        change_ids,
        site_notes,
        is_empty: view.empty,
    })
}

fn environment() -> Result<Environment<'static>, DigestError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    // Explicit rather than relying on the extension rules: HTML is always escaped.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(crate::markup::html_formatter);
    env.add_template("digest.html.j2", HTML_TEMPLATE)?;
    env.add_template("digest.txt.j2", TEXT_TEMPLATE)?;
    Ok(env)
}

fn subject(settings: &DigestSettings, view: &View) -> String {
    let prefix = one_line(&settings.subject_prefix, 60);
    // What the reader watches for comes first: phrase hits and fact changes, then what ends
    // soon, then every kind in SPEC's order.
    let mut parts: Vec<String> = Vec::new();
    if view.phrase_hits > 0 {
        parts.push(format!(
            "{} {}",
            view.phrase_hits,
            plural(view.phrase_hits, "phrase hit", "phrase hits")
        ));
    }
    if view.fact_changes > 0 {
        parts.push(format!(
            "{} {}",
            view.fact_changes,
            plural(view.fact_changes, "fact change", "fact changes")
        ));
    }
    let (ending, rest): (Vec<_>, Vec<_>) = view
        .kind_counts
        .iter()
        .filter(|(k, _)| !k.is_phrase())
        .partition(|(k, _)| *k == ChangeKind::Ending);
    parts.extend(
        ending
            .iter()
            .chain(rest.iter())
            .map(|(k, n)| format!("{n} {}", k.label())),
    );
    if view.baseline_pages > 0 || !view.baselines.is_empty() {
        parts.push(format!(
            "baseline: {} {}",
            view.baseline_pages,
            plural(view.baseline_pages as usize, "page", "pages")
        ));
    }
    if view.sites_down_alerting > 0 {
        parts.push(format!(
            "{} {} not answering",
            view.sites_down_alerting,
            plural(view.sites_down_alerting, "site", "sites")
        ));
    }
    // Nothing worth a headline (at most a site that failed once or twice): "no changes".
    let body = if parts.is_empty() {
        "no changes".to_string()
    } else {
        let mut names: Vec<String> = view
            .subject_sites
            .iter()
            .take(MAX_SUBJECT_SITES)
            .map(|s| one_line(s, 60))
            .collect();
        let rest = view.subject_sites.len().saturating_sub(MAX_SUBJECT_SITES);
        if rest > 0 {
            names.push(format!("{rest} more"));
        }
        if names.is_empty() {
            parts.join(", ")
        } else {
            format!("{} — {}", parts.join(", "), names.join(", "))
        }
    };
    let s = if prefix.is_empty() {
        body
    } else {
        format!("{prefix} {body}")
    };
    cap_chars(&s, MAX_SUBJECT_CHARS)
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChangeDetail, ExcerptLine, FigureChange, Segment};
    use std::path::PathBuf;

    fn settings() -> DigestSettings {
        DigestSettings {
            to: vec!["team@example.org".into()],
            from: Some("quietwatch <qw@example.org>".into()),
            subject_prefix: "[quietwatch]".into(),
            min_significance: Significance::Minor,
            out_dir: PathBuf::from("digests"),
            send_empty: false,
            archive_url: Some("http://127.0.0.1:8080/".into()),
            ending_within_days: 90,
        }
    }

    fn change(id: i64, site: &str, kind: ChangeKind, sig: Significance, title: &str) -> Change {
        Change {
            facts: Vec::new(),
            id,
            detected_at: "2026-11-22T06:00:12Z".into(),
            site: site.into(),
            url: format!("https://www.gca.gov.uk/agreements/{id}"),
            kind,
            significance: sig,
            title: title.into(),
            summary: "lost 2 of 5 sections".into(),
            from: Some(17),
            to: Some(93),
            http_status: Some(200),
            redirect_to: None,
            words_added: 18,
            words_removed: 412,
            similarity: Some(0.31),
            phrase: None,
            content_type: None,
            detail: ChangeDetail::default(),
        }
    }

    fn note(run: i64, site: &str, outcome: &str, pages: u64) -> SiteRunRow {
        SiteRunRow {
            run_id: run,
            site: site.into(),
            record: crate::store::SiteRunRecord {
                outcome: outcome.parse().unwrap(),
                pages,
                error: Some("connection refused".into()),
                ..Default::default()
            },
            finished_at: 0,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn subject_counts_kinds_in_kind_order_and_names_sites() {
        use ChangeKind::*;
        use Significance::*;
        let mut changes = vec![change(1, "GCA agreements", Added, Major, "a")];
        for i in 2..7 {
            changes.push(change(i, "NHS England", Changed, Minor, "c"));
        }
        changes.push(change(7, "GCA agreements", Removed, Major, "r"));
        changes.push(change(8, "NHS England", Removed, Major, "r"));
        let input = DigestInput {
            changes,
            ..Default::default()
        };
        let d = render(&input, &settings(), now()).unwrap();
        assert_eq!(
            d.subject,
            "[quietwatch] 2 removed, 5 changed, 1 added — GCA agreements, NHS England"
        );
        assert!(!d.is_empty);
        assert_eq!(d.change_ids.len(), 8);
    }

    #[test]
    fn baseline_only_and_nothing_subjects() {
        let input = DigestInput {
            notes: vec![note(3, "GCA agreements", "baseline", 412)],
            ..Default::default()
        };
        let d = render(&input, &settings(), now()).unwrap();
        assert_eq!(
            d.subject,
            "[quietwatch] baseline: 412 pages — GCA agreements"
        );
        assert!(!d.is_empty);
        assert!(d
            .text
            .contains("GCA agreements: baseline recorded, 412 pages"));
        assert_eq!(d.site_notes, vec![(3, "GCA agreements".to_string())]);

        let d = render(&DigestInput::default(), &settings(), now()).unwrap();
        assert_eq!(d.subject, "[quietwatch] no changes");
        assert!(d.is_empty);
    }

    #[test]
    fn a_site_failing_once_is_not_news_but_three_times_is() {
        let once = DigestInput {
            notes: vec![note(5, "NHS SBS frameworks", "failed", 0)],
            failure_streaks: vec![("NHS SBS frameworks".into(), 1)],
            ..Default::default()
        };
        let d = render(&once, &settings(), now()).unwrap();
        assert!(d.is_empty);
        assert_eq!(d.site_notes.len(), 1, "settled even when not sent");

        let three = DigestInput {
            failure_streaks: vec![("NHS SBS frameworks".into(), 3)],
            ..once
        };
        let d = render(&three, &settings(), now()).unwrap();
        assert!(!d.is_empty);
        assert_eq!(
            d.subject,
            "[quietwatch] 1 site not answering — NHS SBS frameworks"
        );
        assert!(d.text.contains("NHS SBS frameworks: no answer for 3 runs"));
        assert!(d.html.contains("NHS SBS frameworks: no answer for 3 runs"));

        // The patience follows `[crawl] unreachable_after`: with 5, three failures are not
        // yet news.
        let patient = DigestInput {
            site_down_after: 5,
            ..three
        };
        assert!(render(&patient, &settings(), now()).unwrap().is_empty);
    }

    #[test]
    fn fact_changes_are_a_before_after_table_above_the_excerpt() {
        let mut c = change(
            1,
            "GCA agreements",
            ChangeKind::Changed,
            Significance::Major,
            "RM6098",
        );
        c.facts = vec![
            crate::model::FactChange {
                name: "end_date".into(),
                label: "End date".into(),
                from: Some(crate::model::FactValue::Date("2026-06-16".into())),
                to: Some(crate::model::FactValue::Date("2026-12-16".into())),
                from_text: Some("16/06/2026".into()),
                to_text: Some("16/12/2026".into()),
            },
            crate::model::FactChange {
                name: "lot:3".into(),
                label: "Lot 3: <i>Cloud</i> hosting".into(),
                from: Some(crate::model::FactValue::Text("Live".into())),
                to: None,
                from_text: Some("Cloud hosting".into()),
                to_text: None,
            },
        ];
        c.detail.excerpt = vec![ExcerptLine {
            tag: '+',
            segments: vec![Segment {
                text: "16/12/2026".into(),
                emphasised: true,
            }],
            whole: false,
        }];
        let input = DigestInput {
            changes: vec![c],
            ..Default::default()
        };
        let d = render(&input, &settings(), now()).unwrap();
        let table = d.html.find("<th").expect("a fact table");
        let excerpt = d.html.find("Consolas").expect("an excerpt");
        assert!(table < excerpt, "the facts come first");
        assert!(d.html.contains(">End date</td>"), "{}", d.html);
        assert!(
            d.html.contains(">16/06/2026</td>") && d.html.contains("<strong>16/12/2026</strong>")
        );
        assert!(
            d.html.contains("Lot 3: &lt;i&gt;Cloud&lt;/i&gt; hosting"),
            "{}",
            d.html
        );
        assert!(d.html.contains("<em>(removed)</em>"));
        assert!(
            d.text
                .contains("  Facts:\n    End date: 16/06/2026 → 16/12/2026\n"),
            "{}",
            d.text
        );
        assert!(d
            .text
            .contains("    Lot 3: <i>Cloud</i> hosting: Cloud hosting → (removed)"));
        assert!(d.text.find("Facts:") < d.text.find("Diff excerpt:"));
    }

    #[test]
    fn hostile_title_is_escaped_and_never_reaches_the_subject() {
        let mut c = change(
            1,
            "GCA\r\nBcc: evil@example.org",
            ChangeKind::Changed,
            Significance::Major,
            "<script>alert(1)</script>\r\nBcc: x@y.z £25bn é",
        );
        c.url = "javascript:alert(1)".into();
        c.detail = ChangeDetail {
            figures: vec![FigureChange {
                before: Some("£25bn".into()),
                after: Some("£17 billion".into()),
            }],
            excerpt: vec![
                ExcerptLine {
                    tag: '-',
                    segments: vec![
                        Segment {
                            text: "worth ".into(),
                            emphasised: false,
                        },
                        Segment {
                            text: "£25bn".into(),
                            emphasised: true,
                        },
                    ],
                    whole: false,
                },
                ExcerptLine {
                    tag: '+',
                    segments: vec![
                        Segment {
                            text: "worth ".into(),
                            emphasised: false,
                        },
                        Segment {
                            text: "<b>£17 billion</b>".into(),
                            emphasised: true,
                        },
                    ],
                    whole: false,
                },
            ],
            ..Default::default()
        };
        let input = DigestInput {
            changes: vec![c],
            ..Default::default()
        };
        let d = render(&input, &settings(), now()).unwrap();
        assert!(!d.subject.contains('\n') && !d.subject.contains('\r'));
        assert!(!d.subject.contains("script"));
        assert!(d.html.contains("&lt;script&gt;alert(1)"));
        assert!(!d.html.contains("<script"));
        assert!(!d.html.contains("<b>£17"));
        assert!(!d.html.contains("href=\"javascript"));
        assert!(d.html.contains("£25bn → £17 billion"));
        assert!(d.text.contains("£25bn → £17 billion"));
        assert!(d.text.contains("- worth £25bn"));
        assert!(d.text.contains("+ worth <b>£17 billion</b>"));
        assert!(d.html.contains("line-through"));
        // The title is on one line in the text part.
        assert!(d
            .text
            .lines()
            .any(|l| l.contains("<script>alert(1)</script> Bcc: x@y.z £25bn é")));
    }

    #[test]
    fn minor_changes_below_threshold_are_settled_but_not_listed() {
        let mut s = settings();
        s.min_significance = Significance::Major;
        let input = DigestInput {
            changes: vec![change(
                1,
                "S",
                ChangeKind::Removed,
                Significance::Major,
                "gone",
            )],
            skipped: vec![2, 3],
            ..Default::default()
        };
        let d = render(&input, &s, now()).unwrap();
        assert_eq!(d.change_ids, vec![1, 2, 3]);
        assert!(d.text.contains("2 minor changes not listed"));
        assert_eq!(d.subject, "[quietwatch] 1 removed — S");
    }

    #[test]
    fn archive_links_use_the_web_ui_routes() {
        let input = DigestInput {
            changes: vec![change(
                1,
                "S",
                ChangeKind::Changed,
                Significance::Major,
                "t",
            )],
            ..Default::default()
        };
        let d = render(&input, &settings(), now()).unwrap();
        let enc = "https%3A%2F%2Fwww.gca.gov.uk%2Fagreements%2F1";
        assert!(d
            .text
            .contains(&format!("http://127.0.0.1:8080/page?url={enc}")));
        assert!(d.text.contains(&format!(
            "http://127.0.0.1:8080/diff?url={enc}&from=17&to=93"
        )));
        // In HTML attributes `&` is escaped, which browsers decode back.
        assert!(d.html.contains("from=17&amp;to=93"));
    }

    #[test]
    fn watched_phrases_then_ending_soon_come_first_and_are_escaped() {
        use ChangeKind::*;
        use Significance::*;
        let mut hit = change(3, "NHS England", PhraseAppeared, Major, "<b>Staffing</b>");
        hit.phrase = Some("market engagement".into());
        hit.summary = "“market engagement” appeared: “<script>x</script> market engagement”".into();
        let mut ending = change(2, "GCA agreements", Ending, Major, "RM6187");
        ending.summary = "RM6187 ends on 31/01/2027 (in 60 days)".into();
        let input = DigestInput {
            changes: vec![
                change(1, "GCA agreements", Changed, Minor, "A page"),
                ending,
                hit,
            ],
            ..Default::default()
        };
        let d = render(&input, &settings(), now()).unwrap();
        assert_eq!(
            d.subject,
            "[quietwatch] 1 phrase hit, 1 ending soon, 1 changed — GCA agreements, NHS England"
        );
        let at = |s: &str| d.text.find(s).unwrap_or_else(|| panic!("{s}: {}", d.text));
        assert!(at("== Watched phrases ==") < at("== Ending soon =="));
        assert!(at("== Ending soon ==") < at("== GCA agreements =="));
        // A topic section names each item's site; the site's own section lists only the rest.
        assert!(
            d.text.contains("] NHS England: <b>Staffing</b>"),
            "{}",
            d.text
        );
        assert!(!d.text.contains("== NHS England =="), "{}", d.text);
        assert!(d.html.contains("Watched phrases") && d.html.contains("Ending soon"));
        assert!(
            d.html.contains("&lt;script&gt;x&lt;/script&gt;"),
            "{}",
            d.html
        );
        assert!(!d.html.contains("<script>") && !d.html.contains("<b>Staffing"));
    }

    #[test]
    fn item_count_is_capped() {
        let changes = (1..=(MAX_ITEMS as i64 + 7))
            .map(|i| change(i, "S", ChangeKind::Changed, Significance::Minor, "t"))
            .collect();
        let input = DigestInput {
            changes,
            ..Default::default()
        };
        let d = render(&input, &settings(), now()).unwrap();
        assert!(d.text.contains("and 7 more — run `quietwatch changes`"));
        assert_eq!(d.change_ids.len(), MAX_ITEMS + 7);
        assert!(d.subject.len() <= MAX_SUBJECT_CHARS * 4);
    }

    #[test]
    fn subject_is_capped_and_clean() {
        let mut s = settings();
        s.subject_prefix = "[qw]\u{7}\r\n".into();
        let changes = (1..=6)
            .map(|i| {
                change(
                    i,
                    &format!("{}{i}", "Very long site name ".repeat(5)),
                    ChangeKind::Added,
                    Significance::Major,
                    "t",
                )
            })
            .collect();
        let d = render(
            &DigestInput {
                changes,
                ..Default::default()
            },
            &s,
            now(),
        )
        .unwrap();
        assert!(d.subject.chars().count() <= MAX_SUBJECT_CHARS);
        assert!(!d.subject.chars().any(|c| c.is_control()));
        assert!(d.subject.starts_with("[qw] 6 added — "));
    }

    #[test]
    fn only_lines_changed_as_a_whole_are_struck_through_whole() {
        let line = |tag: char, text: &str, whole: bool| ExcerptLine {
            tag,
            segments: vec![Segment {
                text: text.into(),
                emphasised: false,
            }],
            whole,
        };
        let mut c = change(
            1,
            "GCA agreements",
            ChangeKind::Changed,
            Significance::Major,
            "T",
        );
        c.detail.excerpt = vec![
            line('-', "Lot 3 withdrawn", true),
            // A line that only gained words elsewhere: shown, not struck out whole.
            line('-', "Suppliers must hold", false),
        ];
        let input = DigestInput {
            changes: vec![c],
            ..Default::default()
        };
        let d = render(&input, &settings(), now()).unwrap();
        assert!(
            d.html.contains("line-through;\">Lot 3 withdrawn</del>"),
            "{}",
            d.html
        );
        assert!(!d.html.contains("line-through;\">Suppliers must hold</del>"));
        assert!(d.html.contains("Suppliers must hold"));
    }
}
