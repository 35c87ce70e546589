//! Plain-text renderings for the terminal: a page's history, the `show` header, diffs
//! (coloured when stdout is a terminal) and search results.
//!
//! Kept apart from what they render, as ripgrep keeps its printer apart from its searcher:
//! [`crate::archive`] answers with data and [`crate::analyse::diff`] with hunks and word
//! spans; only here do they become lines of text and ANSI colour. Every time printed is UTC
//! with its `Z`.

use crate::analyse::diff::{DiffLine, LineDiff};
use crate::archive::history::{served_version, PageHistory, VersionAt};
use crate::archive::search::SearchHit;
use crate::model::Change;
use crate::store::{format_ms, FetchRow, VersionSpan};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Unchanged lines shown around each change in `quietwatch diff`.
const DIFF_CONTEXT: usize = 3;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const EMPHASIS: &str = "\x1b[1;4m";
const NO_EMPHASIS: &str = "\x1b[22;24m";
const RESET: &str = "\x1b[0m";

/// `start,len` in unified-diff convention (1-based; an empty range names the line before).
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{}", start + 1, len),
    }
}

/// A unified-style diff for `quietwatch diff`: `@@ -a,b +c,d @@` hunk headers with three
/// lines of context, `-`/`+` lines; with `color`, removed lines red, added lines green and
/// the changed words bold and underlined. Empty when the texts are equal.
pub fn unified_diff(old: &str, new: &str, color: bool) -> String {
    if old == new {
        return String::new();
    }
    let diff = LineDiff::new(old, new);
    let mut out = String::new();
    for hunk in diff.hunks(DIFF_CONTEXT, usize::MAX).hunks {
        let header = format!(
            "@@ -{} +{} @@",
            hunk_range(hunk.old_start, hunk.old_len),
            hunk_range(hunk.new_start, hunk.new_len)
        );
        if color {
            out.push_str(CYAN);
            out.push_str(&header);
            out.push_str(RESET);
        } else {
            out.push_str(&header);
        }
        out.push('\n');
        for DiffLine { tag, segments, .. } in &hunk.lines {
            let line_color = match tag {
                '-' => RED,
                '+' => GREEN,
                _ => "",
            };
            if !color || line_color.is_empty() {
                out.push(*tag);
                segments.iter().for_each(|s| out.push_str(&s.text));
            } else {
                out.push_str(line_color);
                out.push(*tag);
                for s in segments {
                    if s.emphasised {
                        out.push_str(EMPHASIS);
                        out.push_str(&s.text);
                        out.push_str(NO_EMPHASIS);
                    } else {
                        out.push_str(&s.text);
                    }
                }
                out.push_str(RESET);
            }
            out.push('\n');
        }
    }
    out
}

/// One change as `changes` lists it: id, time, kind, significance, site, URL, then the
/// summary on its own line.
pub fn change_line(c: &Change) -> String {
    format!(
        "#{} {} {} [{}] {} — {}\n    {}",
        c.id,
        c.detected_at,
        c.kind.label(),
        c.significance,
        c.site,
        c.url,
        c.summary
    )
}

/// One delivery channel as `quietwatch channels` lists it.
pub fn channel_line(name: &str, status: Option<&crate::store::ChannelStatus>) -> String {
    match status {
        None => format!("{name}: configured, not yet used by a run"),
        Some(s) => format!(
            "{name}: {} pending, last delivery {}",
            s.pending,
            s.last_delivered
                .map_or_else(|| "never".to_string(), format_ms)
        ),
    }
}

/// What consecutive fetches must share to be collapsed into one line.
#[derive(Debug, Clone, PartialEq)]
enum GroupKey {
    /// Served versions with this text (or this version, when it has no text).
    Text(Option<i64>, i64),
    /// Anything else: same first and final status, same destination, failed or not.
    Other {
        first_status: Option<u16>,
        status: Option<u16>,
        final_url: Option<String>,
        failed: bool,
    },
}

struct Group<'a> {
    key: GroupKey,
    fetches: Vec<&'a FetchRow>,
}

fn group_key(f: &FetchRow, text_of: &BTreeMap<i64, Option<i64>>) -> GroupKey {
    match served_version(f) {
        Some(v) => GroupKey::Text(text_of.get(&v).copied().flatten(), v),
        None => GroupKey::Other {
            first_status: f.meta.first_status,
            status: f.meta.status,
            final_url: f.meta.final_url.clone(),
            failed: f.meta.status.is_none() || f.meta.error.is_some(),
        },
    }
}

fn same_group(a: &GroupKey, b: &GroupKey) -> bool {
    match (a, b) {
        // Same text: collapse even across versions (bodies differing only in noise).
        (GroupKey::Text(Some(x), _), GroupKey::Text(Some(y), _)) => x == y,
        (GroupKey::Text(None, x), GroupKey::Text(None, y)) => x == y,
        (GroupKey::Other { .. }, GroupKey::Other { .. }) => a == b,
        _ => false,
    }
}

const INDENT: &str = "                      ";

fn short_sha(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

fn status_text(f: &FetchRow) -> String {
    let mut s = match (f.meta.first_status, f.meta.status) {
        (_, None) => format!(
            "fetch failed: {}",
            f.meta.error.as_deref().unwrap_or("no response")
        ),
        (Some(first), Some(last)) if first != last => {
            format!("HTTP {first}, final HTTP {last}")
        }
        (_, Some(last)) => format!("HTTP {last}"),
    };
    if let Some(to) = &f.meta.final_url {
        if !f.meta.hops.is_empty() {
            let _ = write!(s, " (redirected to {to})");
        }
    }
    if f.meta.status.is_some() {
        if let Some(e) = &f.meta.error {
            let _ = write!(s, " — {e}");
        }
    }
    s
}

fn render_change(out: &mut String, c: &Change) {
    let _ = write!(
        out,
        "{}  ** {} ({}): {}",
        c.detected_at,
        c.kind.label(),
        c.significance,
        c.summary
    );
    let mut extra = vec![format!("change {}", c.id)];
    match (c.from, c.to) {
        (Some(a), Some(b)) => extra.push(format!("versions {a} → {b}")),
        (None, Some(b)) => extra.push(format!("version {b}")),
        (Some(a), None) => extra.push(format!("last version {a}")),
        (None, None) => {}
    }
    if let Some(s) = c.http_status {
        extra.push(format!("HTTP {s}"));
    }
    if let Some(r) = &c.redirect_to {
        extra.push(format!("to {r}"));
    }
    let _ = writeln!(out, "  [{}]", extra.join("; "));
}

/// A version's fact changes, one per line beneath it: `facts: end date 16/06/2026 →
/// 16/12/2026 (+6 months)`.
fn render_fact_changes(out: &mut String, changes: Option<&Vec<crate::model::FactChange>>) {
    for c in changes.into_iter().flatten() {
        let _ = writeln!(
            out,
            "{INDENT}fact: {}",
            crate::markup::one_line(&c.words(), 300)
        );
    }
}

/// What `history` needs to render a run of checks: the page's versions, each version's
/// predecessor and fact changes, and which versions have been shown already.
struct Timeline<'h> {
    versions: BTreeMap<i64, &'h VersionSpan>,
    previous: BTreeMap<i64, i64>,
    fact_changes: &'h BTreeMap<i64, Vec<crate::model::FactChange>>,
    introduced: std::collections::BTreeSet<i64>,
}

impl Timeline<'_> {
    /// Renders the run `current` holds, if any, and empties it.
    fn flush(&mut self, out: &mut String, current: &mut Option<Group<'_>>) {
        if let Some(g) = current.take() {
            render_group(out, &g, self);
        }
    }
}

fn render_group(out: &mut String, g: &Group<'_>, t: &mut Timeline<'_>) {
    let Timeline {
        versions,
        previous,
        fact_changes,
        introduced,
    } = t;
    let (Some(first), Some(last)) = (g.fetches.first(), g.fetches.last()) else {
        return;
    };
    let n = g.fetches.len();
    match &g.key {
        GroupKey::Text(..) => {
            let mut ids: Vec<i64> = g.fetches.iter().filter_map(|f| served_version(f)).collect();
            ids.dedup();
            let mut introduced_here = false;
            for id in &ids {
                if !introduced.insert(*id) {
                    continue;
                }
                let Some(v) = versions.get(id) else { continue };
                introduced_here = true;
                let same = match previous.get(id).and_then(|p| versions.get(p)) {
                    Some(p) if p.text_id.is_some() && p.text_id == v.text_id => {
                        format!(
                            " — same text as version {}, the body differs only in noise",
                            p.id
                        )
                    }
                    _ => String::new(),
                };
                let same = format!("{same}{}", unread_note(&v.text_status));
                let _ = writeln!(
                    out,
                    "{}  version {}: {:?}, {} bytes, sha256 {}…{same}",
                    format_ms(v.first_seen),
                    v.id,
                    v.title,
                    v.body_size,
                    short_sha(&v.sha256_hex())
                );
                render_fact_changes(out, fact_changes.get(id));
            }
            let answered = answered(&g.fetches);
            let (a, b) = (
                ids.first().copied().unwrap_or(0),
                ids.last().copied().unwrap_or(0),
            );
            let which = if a != b {
                format!("; versions {a}–{b} have the same text (their bodies differ only in noise)")
            } else {
                String::new()
            };
            // A run that continues an earlier version (after a change or an outage) names it.
            let lead = if introduced_here {
                INDENT.to_string()
            } else {
                format!("{}  version {a} again: ", format_ms(first.meta.fetched_at))
            };
            if n == 1 {
                let _ = writeln!(out, "{lead}seen once ({answered}){which}");
            } else {
                let _ = writeln!(
                    out,
                    "{lead}unchanged {} → {}, {n} checks: {answered}{which}",
                    format_ms(first.meta.fetched_at),
                    format_ms(last.meta.fetched_at)
                );
            }
        }
        GroupKey::Other { .. } => {
            let what = status_text(first);
            if n == 1 {
                let _ = writeln!(out, "{}  {what}", format_ms(first.meta.fetched_at));
            } else {
                let _ = writeln!(
                    out,
                    "{}  {what} — {n} checks until {}",
                    format_ms(first.meta.fetched_at),
                    format_ms(last.meta.fetched_at)
                );
            }
        }
    }
}

/// What a run of checks was answered, as evidence: `HTTP 200` for one check; `200 ×3, 304
/// ×38` for many (a redirect that ended at the page shows as `301→200`), in order of first
/// appearance.
fn answered(fetches: &[&FetchRow]) -> String {
    let label = |f: &FetchRow| match (f.meta.first_status, f.meta.status) {
        (Some(a), Some(b)) if a != b => format!("{a}→{b}"),
        (_, Some(b)) => b.to_string(),
        (_, None) => "no answer".to_string(),
    };
    if let [one] = fetches {
        return format!("HTTP {}", label(one));
    }
    let mut tally: Vec<(String, usize)> = Vec::new();
    for f in fetches {
        let l = label(f);
        match tally.iter_mut().find(|(k, _)| *k == l) {
            Some((_, n)) => *n += 1,
            None => tally.push((l, 1)),
        }
    }
    tally
        .iter()
        .map(|(l, n)| format!("{l} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The compact timeline of `history URL`: runs of checks that saw the same text collapsed
/// into one line, every change with its kind, significance and summary, failed fetches and
/// non-200 answers shown. Times are UTC ("Z").
pub fn render_history(h: &PageHistory) -> String {
    let mut out = String::new();
    let p = &h.page;
    let since = p
        .state_since
        .map(|t| format!(" since {}", format_ms(t)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} — site {:?}, state {}{since}",
        p.url,
        h.site,
        p.state.as_str()
    );
    let _ = writeln!(
        out,
        "first seen {}; {}, {}, {}",
        format_ms(p.first_seen),
        plural(h.versions.len(), "version", "versions"),
        plural(h.fetches.len(), "fetch", "fetches"),
        plural(h.changes.len(), "change", "changes")
    );
    if !h.aliases.is_empty() {
        let _ = writeln!(out, "also reached as: {}", h.aliases.join(", "));
    }
    out.push('\n');

    let mut timeline = Timeline {
        versions: h.versions.iter().map(|v| (v.id, v)).collect(),
        previous: h
            .versions
            .windows(2)
            .filter_map(|w| match w {
                [a, b] => Some((b.id, a.id)),
                _ => None,
            })
            .collect(),
        fact_changes: &h.fact_changes,
        introduced: std::collections::BTreeSet::new(),
    };
    let text_of: BTreeMap<i64, Option<i64>> =
        h.versions.iter().map(|v| (v.id, v.text_id)).collect();
    let mut changes = h.changes.iter().peekable();
    let mut current: Option<Group<'_>> = None;

    for f in &h.fetches {
        // A change detected before this fetch ends the current run of checks.
        while let Some(c) = changes.next_if(|c| c.at_ms <= f.meta.fetched_at) {
            timeline.flush(&mut out, &mut current);
            render_change(&mut out, &c.change);
        }
        let key = group_key(f, &text_of);
        match current.as_mut() {
            Some(g) if same_group(&g.key, &key) => g.fetches.push(f),
            _ => {
                timeline.flush(&mut out, &mut current);
                current = Some(Group {
                    key,
                    fetches: vec![f],
                });
            }
        }
    }
    timeline.flush(&mut out, &mut current);
    for c in changes {
        render_change(&mut out, &c.change);
    }
    // Versions no fetch points at (should not happen, but never hide evidence).
    for v in &h.versions {
        if !timeline.introduced.contains(&v.id) {
            let _ = writeln!(
                out,
                "{}  version {}: {:?}, {} bytes, sha256 {}…, seen until {} ({} checks)",
                format_ms(v.first_seen),
                v.id,
                v.title,
                v.body_size,
                short_sha(&v.sha256_hex()),
                format_ms(v.last_seen),
                v.seen_count
            );
        }
    }
    out
}

/// "; text unavailable: encrypted PDF" for a version whose text could not be read.
fn unread_note(status: &crate::store::TextStatus) -> String {
    match status.reason() {
        Some(why) => format!(" — text unavailable: {}", crate::markup::one_line(why, 120)),
        None => String::new(),
    }
}

/// The header of `show`: fetch time, HTTP status, SHA-256 of the body and the span over
/// which this exact version was seen — plus a second line when the page had stopped serving
/// it by the moment asked about.
pub fn render_show_header(v: &VersionAt) -> String {
    let ver = &v.version;
    let fetched = v
        .fetch
        .as_ref()
        .map(|f| format_ms(f.meta.fetched_at))
        .unwrap_or_else(|| format_ms(ver.span.first_seen));
    let status = v
        .fetch
        .as_ref()
        .and_then(|f| f.meta.status)
        .map(|s| format!("HTTP {s}"))
        .unwrap_or_else(|| "HTTP status not recorded".to_string());
    let checks = if ver.span.seen_count == 1 {
        "1 check".to_string()
    } else {
        format!("{} checks", ver.span.seen_count)
    };
    let mut out = format!(
        "# {} — version {}, fetched {fetched}, {status}, sha256 {}, seen {} → {} ({checks})",
        v.url,
        ver.span.id,
        ver.span.sha256_hex(),
        format_ms(ver.span.first_seen),
        format_ms(ver.span.last_seen),
    );
    if !ver.span.text_status.is_read() {
        let _ = write!(
            out,
            "\n# note{}; `show --raw` writes the bytes as served",
            unread_note(&ver.span.text_status).replacen(" —", ":", 1)
        );
    }
    if let Some(f) = &v.later_check {
        let _ = match v.asked_at {
            Some(t) => write!(
                out,
                "\n# note: by {} the page no longer served this version: the last check before then ({}) got {}",
                format_ms(t),
                format_ms(f.meta.fetched_at),
                status_text(f)
            ),
            None => write!(
                out,
                "\n# note: the page no longer serves this version: the latest check ({}) got {}",
                format_ms(f.meta.fetched_at),
                status_text(f)
            ),
        };
    }
    out
}

/// The text of `diff URL`: which two versions (with their times and hashes), a title change
/// if any, then the text diff.
pub fn render_diff(old: &VersionAt, new: &VersionAt, color: bool) -> String {
    let line = |sign: &str, v: &VersionAt| {
        format!(
            "{sign} {} version {} (seen {} → {}, sha256 {})\n",
            v.url,
            v.version.span.id,
            format_ms(v.version.span.first_seen),
            format_ms(v.version.span.last_seen),
            v.version.span.sha256_hex()
        )
    };
    let mut out = line("---", old);
    out.push_str(&line("+++", new));
    if old.version.span.id == new.version.span.id {
        out.push_str("(the same version)\n");
        return out;
    }
    if old.version.span.title != new.version.span.title {
        let _ = writeln!(
            out,
            "title: {:?} → {:?}",
            old.version.span.title, new.version.span.title
        );
    }
    if old.version.text == new.version.text {
        out.push_str("(the compared text is identical; the bodies differ)\n");
    } else {
        out.push_str(&unified_diff(&old.version.text, &new.version.text, color));
    }
    out
}

/// The text of `search`: one line per page — first and last seen, and "still there", "gone
/// since the version of …" or the page's own fate ("page removed since …").
pub fn render_search(hits: &[SearchHit], query: &str) -> String {
    let mut out = String::new();
    if hits.is_empty() {
        let _ = writeln!(out, "no stored version of any page contains {query:?}");
        return out;
    }
    let _ = writeln!(
        out,
        "{} page{} with {query:?} in some stored version (times UTC):",
        hits.len(),
        if hits.len() == 1 { "" } else { "s" }
    );
    for h in hits {
        let fate = if h.present_now {
            "still there".to_string()
        } else if let (Some(v), Some(t)) = (h.gone_in_version, h.gone_since) {
            format!("gone since the version of {} (version {v})", format_ms(t))
        } else {
            match h.state_since {
                Some(t) => format!("page {} since {}", h.page_state, format_ms(t)),
                None => format!("page {}", h.page_state),
            }
        };
        let versions = if h.version_ids.len() <= 6 {
            h.version_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            format!(
                "{} versions, {}…{}",
                h.version_ids.len(),
                h.version_ids.first().copied().unwrap_or(0),
                h.version_ids.last().copied().unwrap_or(0)
            )
        };
        let _ = writeln!(
            out,
            "{}  first {}, last {}, {fate}  [{}; versions {versions}]",
            h.url,
            format_ms(h.first_seen),
            format_ms(h.last_seen),
            h.site
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_plain_and_coloured() {
        let old = "one\ntwo\nthree four\nfive";
        let new = "one\ntwo\nthree FOUR\nfive\nsix";
        assert_eq!(
            unified_diff(old, new, false),
            "@@ -1,4 +1,5 @@\n one\n two\n-three four\n+three FOUR\n five\n+six\n"
        );
        let coloured = unified_diff(old, new, true);
        assert!(coloured.contains(&format!("{RED}-three {EMPHASIS}four{NO_EMPHASIS}{RESET}")));
        assert!(coloured.contains(&format!("{GREEN}+six{RESET}")));
        assert!(coloured.starts_with(CYAN));
    }

    #[test]
    fn appended_line_does_not_touch_the_previous_last_line() {
        let r = unified_diff("a\nb", "a\nb\nc", false);
        assert_eq!(r, "@@ -1,2 +1,3 @@\n a\n b\n+c\n");
    }
}
