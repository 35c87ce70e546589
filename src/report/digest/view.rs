//! The digest's view model: what each item, site note and headline says, already capped and
//! cleaned of unsafe characters, for the templates to lay out.

use super::*;

#[derive(Debug, Serialize)]
pub(super) struct View {
    pub(super) generated: String,
    pub(super) headline: String,
    pub(super) empty: bool,
    pub(super) sites: Vec<SiteView>,
    pub(super) more: usize,
    pub(super) skipped: usize,
    pub(super) min_significance: &'static str,
    pub(super) down: Vec<String>,
    pub(super) baselines: Vec<String>,
    pub(super) archive_url: Option<String>,
    // Facts the subject is built from, kept here so subject and body agree.
    #[serde(skip)]
    pub(super) kind_counts: Vec<(ChangeKind, usize)>,
    /// Watched-phrase records (both kinds), counted first in the subject.
    #[serde(skip)]
    pub(super) phrase_hits: usize,
    /// Records with fact changes, counted next in the subject.
    #[serde(skip)]
    pub(super) fact_changes: usize,
    #[serde(skip)]
    pub(super) subject_sites: Vec<String>,
    #[serde(skip)]
    pub(super) baseline_pages: u64,
    #[serde(skip)]
    pub(super) sites_down_alerting: usize,
}

/// A section of items: one site's, or a topic across sites ("Watched phrases", "Ending
/// soon"), whose items then name their site.
#[derive(Debug, Serialize)]
pub(super) struct SiteView {
    pub(super) name: String,
    /// A topic section: listed before the sites, each item names its site.
    pub(super) topic: bool,
    pub(super) items: Vec<ItemView>,
}

/// Which section a change is listed in: watched phrases first, then what ends soon, then
/// each site's own changes (SPEC.md, "Watched phrases").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Section {
    Phrases,
    Ending,
    Site,
}

impl Section {
    pub(super) fn of(c: &Change) -> Section {
        match c.kind {
            k if k.is_phrase() => Section::Phrases,
            ChangeKind::Ending => Section::Ending,
            _ => Section::Site,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Section::Phrases => "Watched phrases",
            Section::Ending => "Ending soon",
            Section::Site => "",
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct ItemView {
    pub(super) kind: &'static str,
    pub(super) kind_label: String,
    pub(super) colour: &'static str,
    pub(super) significance: &'static str,
    pub(super) major: bool,
    /// The site, shown in topic sections.
    pub(super) site: String,
    pub(super) title: String,
    /// A document's type ("PDF", "spreadsheet"), shown beside its title.
    pub(super) doc_type: Option<&'static str>,
    /// The page that links to a document.
    pub(super) linked_from: Option<Link>,
    pub(super) url: String,
    pub(super) href: Option<String>,
    pub(super) summary: String,
    pub(super) notes: Vec<String>,
    pub(super) redirect_to: Option<String>,
    pub(super) redirect_href: Option<String>,
    /// The fact changes, as a before/after table shown above the excerpt.
    pub(super) facts: Vec<FactRowView>,
    /// Fact changes beyond the cap, counted.
    pub(super) facts_more: usize,
    pub(super) figures: Vec<String>,
    pub(super) documents_added: Vec<Link>,
    pub(super) documents_removed: Vec<Link>,
    pub(super) excerpt: Vec<LineView>,
    pub(super) excerpt_cut: bool,
    pub(super) page_link: Option<String>,
    pub(super) diff_link: Option<String>,
    pub(super) detected_at: String,
}

/// One fact change: its label, and the value as shown before and after (`None`: the fact
/// was added, or removed).
#[derive(Debug, Serialize)]
pub(super) struct FactRowView {
    pub(super) label: String,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Link {
    pub(super) text: String,
    pub(super) href: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct LineView {
    /// "-", "+" or " ".
    pub(super) tag: &'static str,
    /// A removed or added line with no emphasised words: the whole line changed.
    pub(super) whole: bool,
    pub(super) segments: Vec<SegView>,
    pub(super) text: String,
}

#[derive(Debug, Serialize)]
pub(super) struct SegView {
    pub(super) text: String,
    pub(super) emph: bool,
}

/// Everything the templates show, built from the digest's input.
pub(super) fn build_view(
    input: &DigestInput,
    settings: &DigestSettings,
    now: DateTime<Utc>,
) -> View {
    let archive = archive_base(settings);
    // Sites in order of first appearance (change ids follow crawl order, i.e. config order).
    let mut site_order: Vec<&str> = Vec::new();
    for c in &input.changes {
        if !site_order.contains(&c.site.as_str()) {
            site_order.push(&c.site);
        }
    }
    // Which items are listed in full: the most important first, across all sites — watched
    // phrases and what ends soon before anything else.
    let mut ranked: Vec<&Change> = input.changes.iter().collect();
    ranked.sort_by_key(|c| (Section::of(c), c.significance, c.kind, c.id));
    let more = ranked.len().saturating_sub(MAX_ITEMS);
    ranked.truncate(MAX_ITEMS);
    let kind_counts: Vec<(ChangeKind, usize)> = ChangeKind::ALL
        .iter()
        .map(|k| (*k, input.changes.iter().filter(|c| c.kind == *k).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let phrase_hits = input.changes.iter().filter(|c| c.kind.is_phrase()).count();
    // Records that state fact changes (an `ending` record's fact is its end date: counted
    // as "ending soon", not here).
    let fact_changes = input
        .changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Ending && !c.facts.is_empty())
        .count();
    // Sites with a major change come first, otherwise in first-appearance order.
    let has_major = |site: &str| {
        input
            .changes
            .iter()
            .any(|c| c.site == site && c.significance == Significance::Major)
    };
    let mut sites_sorted = site_order.clone();
    sites_sorted.sort_by_key(|s| !has_major(s));
    let mut sites = topic_views(&ranked, archive.as_deref(), &input.linked_from);
    sites.extend(site_views(
        &sites_sorted,
        &ranked,
        archive.as_deref(),
        &input.linked_from,
    ));
    let down = down_notes(input);
    let (baselines, baseline_pages, baseline_sites) = baseline_notes(input);
    let mut subject_sites: Vec<String> = sites_sorted.iter().map(|s| s.to_string()).collect();
    for s in baseline_sites
        .into_iter()
        .chain(down.alerting.iter().cloned())
    {
        if !subject_sites.contains(&s) {
            subject_sites.push(s);
        }
    }
    let total = input.changes.len();
    let majors = input
        .changes
        .iter()
        .filter(|c| c.significance == Significance::Major)
        .count();
    let headline = if total == 0 {
        "No changes since the last digest.".to_string()
    } else {
        format!(
            "{total} {} on {} {} ({majors} major, {} minor).",
            plural(total, "change", "changes"),
            site_order.len(),
            plural(site_order.len(), "site", "sites"),
            total - majors
        )
    };
    View {
        generated: now.format("%Y-%m-%d %H:%M UTC").to_string(),
        headline,
        empty: total == 0 && baselines.is_empty() && down.alerting.is_empty(),
        sites,
        more,
        skipped: input.skipped.len(),
        min_significance: settings.min_significance.as_str(),
        sites_down_alerting: down.alerting.len(),
        down: down.lines,
        baselines,
        archive_url: archive,
        kind_counts,
        phrase_hits,
        fact_changes,
        subject_sites,
        baseline_pages,
    }
}

/// The topic sections, in order, each with its listed items across sites.
fn topic_views(
    ranked: &[&Change],
    archive: Option<&str>,
    linked_from: &BTreeMap<i64, String>,
) -> Vec<SiteView> {
    [Section::Phrases, Section::Ending]
        .into_iter()
        .filter_map(|section| {
            let items: Vec<ItemView> = ranked
                .iter()
                .filter(|c| Section::of(c) == section)
                .map(|c| item_view(c, archive, linked_from.get(&c.id).map(String::as_str)))
                .collect();
            (!items.is_empty()).then(|| SiteView {
                name: section.title().to_string(),
                topic: true,
                items,
            })
        })
        .collect()
}

/// `[digest] archive_url` without its trailing slash, when it is an http(s) URL.
fn archive_base(settings: &DigestSettings) -> Option<String> {
    settings
        .archive_url
        .as_deref()
        .map(|a| a.trim().trim_end_matches('/').to_string())
        .filter(|a| {
            let ok = http_url(a).is_some();
            if !ok {
                tracing::warn!(archive_url = %a, "archive_url is not an http(s) URL; digest items will not link to it");
            }
            ok
        })
}

/// The listed items, by site, most important first within each.
fn site_views(
    sites: &[&str],
    ranked: &[&Change],
    archive: Option<&str>,
    linked_from: &BTreeMap<i64, String>,
) -> Vec<SiteView> {
    let mut out = Vec::new();
    for site in sites {
        let mut items: Vec<&Change> = ranked
            .iter()
            .copied()
            .filter(|c| c.site == *site && Section::of(c) == Section::Site)
            .collect();
        if items.is_empty() {
            continue;
        }
        items.sort_by_key(|c| (c.significance, c.kind, c.id));
        out.push(SiteView {
            name: one_line(site, MAX_TITLE_CHARS),
            topic: false,
            items: items
                .iter()
                .map(|c| item_view(c, archive, linked_from.get(&c.id).map(String::as_str)))
                .collect(),
        });
    }
    out
}

/// Sites that did not answer: one line each, and those down long enough to alert.
struct DownNotes {
    lines: Vec<String>,
    alerting: Vec<String>,
}

fn down_notes(input: &DigestInput) -> DownNotes {
    let streak_of = |site: &str| {
        input
            .failure_streaks
            .iter()
            .find(|(s, _)| s == site)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let mut failed: Vec<(&str, usize, Option<&str>)> = Vec::new();
    for n in input
        .notes
        .iter()
        .filter(|n| n.record.outcome == SiteOutcome::Failed)
    {
        match failed.iter_mut().find(|(s, _, _)| *s == n.site) {
            Some(entry) => {
                entry.1 += 1;
                if n.record.error.is_some() {
                    entry.2 = n.record.error.as_deref();
                }
            }
            None => failed.push((&n.site, 1, n.record.error.as_deref())),
        }
    }
    let mut notes = DownNotes {
        lines: Vec::new(),
        alerting: Vec::new(),
    };
    for (site, count, error) in &failed {
        let streak = streak_of(site);
        let name = one_line(site, MAX_TITLE_CHARS);
        let mut line = if streak > 0 {
            format!(
                "{name}: no answer for {streak} {}",
                plural(streak as usize, "run", "runs")
            )
        } else {
            format!(
                "{name}: did not answer in {count} {} since the last digest; answering again",
                plural(*count, "run", "runs")
            )
        };
        if streak >= input.site_down_after {
            notes.alerting.push(site.to_string());
        }
        if let Some(e) = error {
            let e = one_line(e, MAX_ERROR_CHARS);
            if !e.is_empty() {
                line.push_str(&format!(" (last error: {e})"));
            }
        }
        notes.lines.push(line);
    }
    notes
}

/// Baselines recorded: one line each, the pages they hold, and the sites.
fn baseline_notes(input: &DigestInput) -> (Vec<String>, u64, Vec<String>) {
    let mut lines = Vec::new();
    let mut pages = 0u64;
    let mut sites = Vec::new();
    for n in input
        .notes
        .iter()
        .filter(|n| n.record.outcome == SiteOutcome::Baseline)
    {
        pages = pages.saturating_add(n.record.pages);
        lines.push(format!(
            "{}: baseline recorded, {} {}",
            one_line(&n.site, MAX_TITLE_CHARS),
            n.record.pages,
            plural(n.record.pages as usize, "page", "pages")
        ));
        if !sites.contains(&n.site) {
            sites.push(n.site.clone());
        }
    }
    (lines, pages, sites)
}

fn item_view(c: &Change, archive: Option<&str>, linked_from: Option<&str>) -> ItemView {
    let mut notes = Vec::new();
    if matches!(
        c.kind,
        ChangeKind::Removed | ChangeKind::SoftRemoved | ChangeKind::Unreachable
    ) {
        if let Some(s) = c.http_status {
            notes.push(format!("HTTP {s}"));
        }
    }
    let d = &c.detail;
    // The web UI's routes come from `links`: the page's timeline, and the diff when the
    // change has two versions to compare.
    let (page_link, diff_link) = match archive {
        Some(a) => (
            Some(crate::links::page_link(a, &c.url)),
            crate::links::change_diff_link(a, c),
        ),
        None => (None, None),
    };
    let title = one_line(&c.title, MAX_TITLE_CHARS);
    ItemView {
        kind: c.kind.as_str(),
        kind_label: c.kind.label().to_uppercase(),
        colour: kind_colour(c.kind),
        significance: c.significance.as_str(),
        major: c.significance == Significance::Major,
        site: one_line(&c.site, MAX_TITLE_CHARS),
        title: if title.is_empty() {
            "(untitled)".to_string()
        } else {
            title
        },
        doc_type: document_type_name(c.content_type.as_deref(), &c.url),
        linked_from: linked_from.map(|u| Link {
            text: one_line(u, crate::markup::MAX_LINK_URL_CHARS),
            href: http_url(u),
        }),
        href: http_url(&c.url),
        url: one_line(&c.url, crate::markup::MAX_LINK_URL_CHARS),
        summary: one_line(&c.summary, MAX_SUMMARY_CHARS),
        notes,
        redirect_href: c.redirect_to.as_deref().and_then(http_url),
        redirect_to: c
            .redirect_to
            .as_deref()
            .map(|r| one_line(r, crate::markup::MAX_LINK_URL_CHARS)),
        facts: fact_rows(c),
        facts_more: c.facts.len().saturating_sub(MAX_FACTS),
        figures: figure_lines(c),
        documents_added: document_links(&d.documents_added),
        documents_removed: document_links(&d.documents_removed),
        excerpt_cut: d.excerpt.len() > MAX_EXCERPT_LINES,
        excerpt: excerpt_view(c),
        page_link,
        diff_link,
        detected_at: one_line(&c.detected_at, 40),
    }
}

/// The fact changes as table rows, capped; each cell one line.
fn fact_rows(c: &Change) -> Vec<FactRowView> {
    c.facts
        .iter()
        .take(MAX_FACTS)
        .map(|f| FactRowView {
            label: one_line(&f.label, 120),
            before: crate::model::fact_before(f).map(|s| one_line(&s, 120)),
            after: crate::model::fact_after(f).map(|s| one_line(&s, 120)),
        })
        .collect()
}

/// "£25bn → £17bn", "new: …", "gone: …", capped.
fn figure_lines(c: &Change) -> Vec<String> {
    let figures = &c.detail.figures;
    let mut out: Vec<String> = figures
        .iter()
        .take(MAX_FIGURES)
        .map(|f| {
            let before = f.before.as_deref().map(|s| one_line(s, 80));
            let after = f.after.as_deref().map(|s| one_line(s, 80));
            match (before, after) {
                (Some(b), Some(a)) => format!("{b} → {a}"),
                (None, Some(a)) => format!("new: {a}"),
                (Some(b), None) => format!("gone: {b}"),
                (None, None) => String::new(),
            }
        })
        .filter(|f| !f.is_empty())
        .collect();
    let more = figures.len().saturating_sub(MAX_FIGURES);
    if more > 0 {
        out.push(format!("and {more} more"));
    }
    out
}

fn document_links(list: &[String]) -> Vec<Link> {
    let mut links: Vec<Link> = list
        .iter()
        .take(MAX_DOCUMENTS)
        .map(|u| Link {
            text: one_line(u, crate::markup::MAX_LINK_URL_CHARS),
            href: http_url(u),
        })
        .collect();
    if list.len() > MAX_DOCUMENTS {
        links.push(Link {
            text: format!("and {} more", list.len() - MAX_DOCUMENTS),
            href: None,
        });
    }
    links
}

/// The excerpt's lines, each capped at [`MAX_LINE_CHARS`] across its segments.
fn excerpt_view(c: &Change) -> Vec<LineView> {
    let mut excerpt = Vec::new();
    for line in c.detail.excerpt.iter().take(MAX_EXCERPT_LINES) {
        let tag = match line.tag {
            '-' => "-",
            '+' => "+",
            _ => " ",
        };
        let segments: Vec<SegView> = crate::markup::capped_segments(&line.segments, MAX_LINE_CHARS)
            .into_iter()
            .map(|(text, emph)| SegView { text, emph })
            .collect();
        let whole = tag != " " && line.whole;
        let text = segments.iter().map(|s| s.text.as_str()).collect();
        excerpt.push(LineView {
            tag,
            whole,
            segments,
            text,
        });
    }
    excerpt
}

fn kind_colour(k: ChangeKind) -> &'static str {
    match k {
        ChangeKind::Removed
        | ChangeKind::SoftRemoved
        | ChangeKind::Redirected
        | ChangeKind::Unlinked => "#b3261e",
        ChangeKind::Changed => "#a15c00",
        ChangeKind::Added | ChangeKind::Restored => "#1e7b34",
        ChangeKind::Moved | ChangeKind::Unreachable => "#5f6368",
        ChangeKind::PhraseAppeared | ChangeKind::PhraseDisappeared => "#6a1b9a",
        ChangeKind::Ending => "#0b57d0",
    }
}
