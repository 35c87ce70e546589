//! The archive as evidence: `history`, `show`, `diff` and `search`.
//!
//! A journalist asks the archive three questions — what did this page say on a date, what
//! changed between two dates, and when did a phrase disappear — and must be able to hand the
//! answer over as evidence. So this module:
//! - returns **data** (the CLI and the web UI only print it), with plain-text renderers that
//!   state every time in UTC with its zone ("2026-02-01T06:00:12Z");
//! - answers "what was live at T" from the version spans (`first_seen`/`last_seen`), and says
//!   so plainly when the page no longer served that version at T (a 404 after it), so dead
//!   content is never shown as if it were live;
//! - gives the raw bytes exactly as stored, after checking them against their SHA-256;
//! - searches every version through the contentless FTS5 index (text ids → versions by
//!   `text_id`), never decompressing a text per hit, so it stays fast on large stores;
//! - turns what a user types into a safe FTS5 query: plain text is one phrase ("market
//!   engagement", "RM6281", "£25bn" just work), an explicit `"…"` phrase, a `foo*` prefix,
//!   `AND`/`OR`/`NOT` and parentheses pass through, and bad syntax is a clear error.
//!
//! It reads the store through [`Store::conn`] with its own read-only queries rather than the
//! store's text-decompressing helpers where only spans are needed.

use crate::model::Change;
use crate::store::{format_ms, ChangeFilter, FetchRow, PageRow, Store, StoreError, VersionRow};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Most version rows one search gathers; a query matching more (a very common word on a
/// huge store) is answered from the first ones, with a warning in the log.
const MAX_SEARCH_ROWS: usize = 1_000_000;

/// Longest search query accepted, in bytes: FTS5 parses it, and nobody types more.
const MAX_QUERY_BYTES: usize = 2_000;

/// Errors from the history queries, each naming the URL or query so the message stands alone.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Store(StoreError),
    #[error("reading the archive: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no page with URL {url} in the archive (not under an old address or with/without a trailing slash either)")]
    UnknownPage { url: String },
    #[error("{url} has no stored version (it never answered with a page worth keeping)")]
    NoVersions { url: String },
    #[error("{url} had no stored version yet at {at}; the first was seen at {first}")]
    NoVersionYet {
        url: String,
        at: String,
        first: String,
    },
    #[error("{url} has only one stored version (seen {first}); there is nothing to diff it with")]
    NotEnoughVersions { url: String, first: String },
    #[error("body of version {version} is missing from the archive")]
    BodyMissing { version: i64 },
    #[error("body of version {version} does not match its recorded SHA-256 (expected {expected}, found {found}): the archive is damaged")]
    BodyMismatch {
        version: i64,
        expected: String,
        found: String,
    },
    #[error("empty search query")]
    EmptyQuery,
    #[error("search query {query:?} is not valid ({message}); use plain words, a \"quoted phrase\", a prefix such as engag*, AND/OR/NOT and parentheses")]
    BadQuery { query: String, message: String },
}

impl From<StoreError> for HistoryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadQuery { query, message } => HistoryError::BadQuery { query, message },
            other => HistoryError::Store(other),
        }
    }
}

type Result<T> = std::result::Result<T, HistoryError>;

/// A version without its text: what listings need, without decompressing anything.
#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    pub id: i64,
    pub body_id: i64,
    /// Versions with the same `text_id` read the same (their bodies differ only in noise).
    pub text_id: Option<i64>,
    /// SHA-256 of the body, hex.
    pub sha256: String,
    pub size: u64,
    pub title: String,
    pub content_type: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub seen_count: u64,
}

/// Everything the archive knows about one page, oldest first.
#[derive(Debug, Clone)]
pub struct PageHistory {
    pub page: PageRow,
    pub site: String,
    /// When the page entered its current state (set by detection).
    pub state_since: Option<i64>,
    /// Other URLs that lead to this page (old addresses, redirecting twins).
    pub aliases: Vec<String>,
    pub versions: Vec<VersionSummary>,
    pub fetches: Vec<FetchRow>,
    pub changes: Vec<ChangeAt>,
}

/// A change with its detection time in milliseconds (the JSON shape carries only seconds,
/// too coarse to place it among the fetches of the same second).
#[derive(Debug, Clone)]
pub struct ChangeAt {
    pub at_ms: i64,
    pub change: Change,
}

/// One version picked for `show` or `diff`, with the fetch that first delivered its bytes.
#[derive(Debug, Clone)]
pub struct VersionAt {
    /// The page's URL as the store knows it now.
    pub url: String,
    pub page_id: i64,
    /// The moment asked about (`None`: the latest).
    pub asked_at: Option<i64>,
    pub version: VersionRow,
    /// The first fetch that stored these bytes (its time and status are the evidence).
    pub fetch: Option<FetchRow>,
    /// The last definite answer at or before the moment asked about, when it did *not* serve
    /// this version (a 404, a redirect, another body): the page was no longer showing it
    /// then. Timeouts, 5xx and 429 answers are passed over: they say nothing about content.
    pub later_check: Option<FetchRow>,
}

/// One page whose stored versions contain the searched text.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub url: String,
    pub site: String,
    /// The title of the page's latest version ("" when it has none).
    pub title: String,
    /// Earliest `first_seen` among the page's versions containing the text.
    pub first_seen: i64,
    /// Latest `last_seen` among them: the last time the text was seen on the page.
    pub last_seen: i64,
    /// The page's latest version contains the text and the page is live (state `live`, or
    /// `moved` — its content lives on at the new URL — or `new`, not yet judged).
    pub present_now: bool,
    /// The page's latest version contains the text, whatever the page's state (a removed
    /// page's last words still had it).
    pub in_latest: bool,
    /// Versions of the page containing the text, oldest first.
    pub version_ids: Vec<i64>,
    /// The page's state as detection left it (live, removed, redirected…).
    pub page_state: String,
    pub state_since: Option<i64>,
    /// When the text was last dropped: the version that followed the last one containing it.
    pub gone_in_version: Option<i64>,
    /// That version's `first_seen`.
    pub gone_since: Option<i64>,
}

// ---------------------------------------------------------------- page lookup

/// Finds a page by what a user typed: the URL as given, then without its fragment (the store
/// never keeps fragments). The store also tries aliases and the trailing-slash twin. Public so
/// the CLI and the web UI resolve an address the same way.
pub fn find_page(store: &Store, url: &str) -> Result<PageRow> {
    let url = url.trim();
    if let Some(p) = store.find_page_by_url(url)? {
        return Ok(p);
    }
    if let Some((base, _)) = url.split_once('#') {
        if let Some(p) = store.find_page_by_url(base)? {
            return Ok(p);
        }
    }
    Err(HistoryError::UnknownPage {
        url: url.to_string(),
    })
}

fn version_summaries(store: &Store, page_id: i64) -> Result<Vec<VersionSummary>> {
    let mut st = store.conn().prepare(
        "SELECT v.id, v.body_id, v.text_id, b.sha256, b.size, v.title, v.content_type,
                v.first_seen, v.last_seen, v.seen_count
         FROM versions v JOIN bodies b ON b.id = v.body_id
         WHERE v.page_id = ?1 ORDER BY v.id",
    )?;
    let rows = st.query_map([page_id], |r| {
        Ok(VersionSummary {
            id: r.get(0)?,
            body_id: r.get(1)?,
            text_id: r.get(2)?,
            sha256: hex::encode(r.get::<_, Vec<u8>>(3)?),
            size: r.get::<_, i64>(4)?.max(0) as u64,
            title: r.get(5)?,
            content_type: r.get(6)?,
            first_seen: r.get(7)?,
            last_seen: r.get(8)?,
            seen_count: r.get::<_, i64>(9)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The page (by URL, alias or trailing-slash twin) with its versions, fetches and changes,
/// oldest first.
pub fn page_history(store: &Store, url: &str) -> Result<PageHistory> {
    let page = find_page(store, url)?;
    let c = store.conn();
    let site: String = c
        .query_row(
            "SELECT name FROM sites WHERE id = ?1",
            [page.site_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    let state_since: Option<i64> = c
        .query_row(
            "SELECT state_since FROM pages WHERE id = ?1",
            [page.id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let aliases = {
        let mut st = c.prepare("SELECT url FROM aliases WHERE page_id = ?1 ORDER BY url")?;
        let rows = st.query_map([page.id], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let versions = version_summaries(store, page.id)?;
    let fetches = store.fetches_of_page(page.id)?;
    let times: BTreeMap<i64, i64> = {
        let mut st = c.prepare("SELECT id, detected_at FROM changes WHERE page_id = ?1")?;
        let rows = st.query_map([page.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let changes = store
        .changes(&ChangeFilter {
            page_id: Some(page.id),
            ..Default::default()
        })?
        .into_iter()
        .map(|change| ChangeAt {
            at_ms: times.get(&change.id).copied().unwrap_or(i64::MAX),
            change,
        })
        .collect();
    Ok(PageHistory {
        page,
        site,
        state_since,
        aliases,
        versions,
        fetches,
        changes,
    })
}

// ---------------------------------------------------------------- history rendering

/// Whether a fetch saw a version of the page (a 200 with a stored version, or a 304).
fn served_version(f: &FetchRow) -> Option<i64> {
    match f.status {
        Some(200..=299) | Some(304) => f.version_id,
        _ => None,
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
            first_status: f.first_status,
            status: f.status,
            final_url: f.final_url.clone(),
            failed: f.status.is_none() || f.error.is_some(),
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
    let mut s = match (f.first_status, f.status) {
        (_, None) => format!(
            "fetch failed: {}",
            f.error.as_deref().unwrap_or("no response")
        ),
        (Some(first), Some(last)) if first != last => {
            format!("HTTP {first}, final HTTP {last}")
        }
        (_, Some(last)) => format!("HTTP {last}"),
    };
    if let Some(to) = &f.final_url {
        if !f.hops.is_empty() {
            let _ = write!(s, " (redirected to {to})");
        }
    }
    if f.status.is_some() {
        if let Some(e) = &f.error {
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

fn render_group(
    out: &mut String,
    g: &Group<'_>,
    versions: &BTreeMap<i64, &VersionSummary>,
    previous: &BTreeMap<i64, i64>,
    introduced: &mut std::collections::BTreeSet<i64>,
) {
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
                let _ = writeln!(
                    out,
                    "{}  version {}: {:?}, {} bytes, sha256 {}…{same}",
                    format_ms(v.first_seen),
                    v.id,
                    v.title,
                    v.size,
                    short_sha(&v.sha256)
                );
            }
            let not_modified = g.fetches.iter().filter(|f| f.status == Some(304)).count();
            let nm = if not_modified > 0 {
                format!(" ({not_modified} answered 304 Not Modified)")
            } else {
                String::new()
            };
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
                format!("{}  version {a} again: ", format_ms(first.fetched_at))
            };
            if n == 1 {
                let _ = writeln!(out, "{lead}seen once{nm}{which}");
            } else {
                let _ = writeln!(
                    out,
                    "{lead}unchanged {} → {}, {n} checks{nm}{which}",
                    format_ms(first.fetched_at),
                    format_ms(last.fetched_at)
                );
            }
        }
        GroupKey::Other { .. } => {
            let what = status_text(first);
            if n == 1 {
                let _ = writeln!(out, "{}  {what}", format_ms(first.fetched_at));
            } else {
                let _ = writeln!(
                    out,
                    "{}  {what} — {n} checks until {}",
                    format_ms(first.fetched_at),
                    format_ms(last.fetched_at)
                );
            }
        }
    }
}

/// The compact timeline of `history URL`: runs of checks that saw the same text collapsed
/// into one line, every change with its kind, significance and summary, failed fetches and
/// non-200 answers shown. Times are UTC ("Z").
pub fn render_history(h: &PageHistory) -> String {
    let mut out = String::new();
    let p = &h.page;
    let since = h
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
        "first seen {}; {} versions, {} fetches, {} changes",
        format_ms(p.first_seen),
        h.versions.len(),
        h.fetches.len(),
        h.changes.len()
    );
    if !h.aliases.is_empty() {
        let _ = writeln!(out, "also reached as: {}", h.aliases.join(", "));
    }
    out.push('\n');

    let versions: BTreeMap<i64, &VersionSummary> = h.versions.iter().map(|v| (v.id, v)).collect();
    let text_of: BTreeMap<i64, Option<i64>> =
        h.versions.iter().map(|v| (v.id, v.text_id)).collect();
    let previous: BTreeMap<i64, i64> = h
        .versions
        .windows(2)
        .filter_map(|w| match w {
            [a, b] => Some((b.id, a.id)),
            _ => None,
        })
        .collect();
    let mut introduced = std::collections::BTreeSet::new();
    let mut changes = h.changes.iter().peekable();
    let mut current: Option<Group<'_>> = None;

    for f in &h.fetches {
        // A change detected before this fetch ends the current run of checks.
        while let Some(c) = changes.next_if(|c| c.at_ms <= f.fetched_at) {
            if let Some(g) = current.take() {
                render_group(&mut out, &g, &versions, &previous, &mut introduced);
            }
            render_change(&mut out, &c.change);
        }
        let key = group_key(f, &text_of);
        match current.as_mut() {
            Some(g) if same_group(&g.key, &key) => g.fetches.push(f),
            _ => {
                if let Some(g) = current.take() {
                    render_group(&mut out, &g, &versions, &previous, &mut introduced);
                }
                current = Some(Group {
                    key,
                    fetches: vec![f],
                });
            }
        }
    }
    if let Some(g) = current.take() {
        render_group(&mut out, &g, &versions, &previous, &mut introduced);
    }
    for c in changes {
        render_change(&mut out, &c.change);
    }
    // Versions no fetch points at (should not happen, but never hide evidence).
    for v in &h.versions {
        if !introduced.contains(&v.id) {
            let _ = writeln!(
                out,
                "{}  version {}: {:?}, {} bytes, sha256 {}…, seen until {} ({} checks)",
                format_ms(v.first_seen),
                v.id,
                v.title,
                v.size,
                short_sha(&v.sha256),
                format_ms(v.last_seen),
                v.seen_count
            );
        }
    }
    out
}

/// `history --json`: one object per event — `"event": "fetch" | "version" | "change"` —
/// oldest first (a fetch before the version it produced, changes after the fetches of their
/// run). Times are RFC 3339 UTC strings in `at` plus milliseconds in `at_ms`. Field names are
/// stable; fields may be added, never renamed.
pub fn history_json(h: &PageHistory) -> Vec<serde_json::Value> {
    let url = &h.page.url;
    let sha_of_body: BTreeMap<i64, &str> = h
        .versions
        .iter()
        .map(|v| (v.body_id, v.sha256.as_str()))
        .collect();
    let mut events: Vec<(i64, u8, i64, serde_json::Value)> = Vec::new();
    for f in &h.fetches {
        let hops: Vec<serde_json::Value> = f
            .hops
            .iter()
            .map(|(u, s)| json!({"url": u, "status": s}))
            .collect();
        events.push((
            f.fetched_at,
            0,
            f.id,
            json!({
                "event": "fetch",
                "at": format_ms(f.fetched_at),
                "at_ms": f.fetched_at,
                "url": f.url.as_deref().unwrap_or(url),
                "page_url": url,
                "fetch_id": f.id,
                "run_id": f.run_id,
                "purpose": f.purpose,
                "http_status": f.first_status,
                "final_status": f.status,
                "hops": hops,
                "final_url": f.final_url,
                "not_modified": f.status == Some(304),
                "error": f.error,
                "bytes": f.bytes,
                "truncated": f.truncated,
                "duration_ms": f.duration_ms,
                "version": f.version_id,
                "body_sha256": f.body_id.and_then(|b| sha_of_body.get(&b).copied()),
            }),
        ));
    }
    for v in &h.versions {
        events.push((
            v.first_seen,
            1,
            v.id,
            json!({
                "event": "version",
                "at": format_ms(v.first_seen),
                "at_ms": v.first_seen,
                "url": url,
                "version": v.id,
                "title": v.title,
                "sha256": v.sha256,
                "size": v.size,
                "content_type": v.content_type,
                "text_id": v.text_id,
                "first_seen": format_ms(v.first_seen),
                "last_seen": format_ms(v.last_seen),
                "seen_count": v.seen_count,
            }),
        ));
    }
    for ChangeAt {
        at_ms: at,
        change: c,
    } in &h.changes
    {
        let at = *at;
        let mut obj = serde_json::to_value(c).unwrap_or_else(|_| json!({}));
        if let Some(m) = obj.as_object_mut() {
            m.insert("event".into(), json!("change"));
            m.insert("at".into(), json!(c.detected_at));
            m.insert("at_ms".into(), json!(at));
        }
        events.push((at, 2, c.id, obj));
    }
    events.sort_by_key(|e| (e.0, e.1, e.2));
    events.into_iter().map(|e| e.3).collect()
}

// ---------------------------------------------------------------- show

/// The version live at `at_ms` (`None`: the latest): the latest version whose `first_seen`
/// is at or before that moment. An error says when the first version was if there was none
/// yet. When the last check before that moment did not serve this version (the page was
/// removed, redirected or failing), [`VersionAt::later_check`] says so.
pub fn version_at(store: &Store, url: &str, at_ms: Option<i64>) -> Result<VersionAt> {
    let page = find_page(store, url)?;
    let c = store.conn();
    let first: Option<i64> = c.query_row(
        "SELECT MIN(first_seen) FROM versions WHERE page_id = ?1",
        [page.id],
        |r| r.get(0),
    )?;
    let Some(first) = first else {
        return Err(HistoryError::NoVersions { url: page.url });
    };
    let id: Option<i64> = c
        .query_row(
            "SELECT id FROM versions WHERE page_id = ?1 AND first_seen <= ?2
             ORDER BY first_seen DESC, id DESC LIMIT 1",
            params![page.id, at_ms.unwrap_or(i64::MAX)],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else {
        return Err(HistoryError::NoVersionYet {
            url: page.url,
            at: format_ms(at_ms.unwrap_or(i64::MAX)),
            first: format_ms(first),
        });
    };
    build_version_at(store, &page, id, at_ms)
}

fn build_version_at(
    store: &Store,
    page: &PageRow,
    version_id: i64,
    at_ms: Option<i64>,
) -> Result<VersionAt> {
    let version = store
        .version(version_id)?
        .ok_or_else(|| HistoryError::NoVersions {
            url: page.url.clone(),
        })?;
    let fetches = store.fetches_of_page(page.id)?;
    let fetch = fetches
        .iter()
        .find(|f| f.version_id == Some(version_id) && f.body_id == Some(version.body_id))
        .cloned();
    let limit = at_ms.unwrap_or(i64::MAX);
    // Only a definite answer says what the page served: a timeout, a 5xx or a 429 says
    // nothing about it (SPEC: such failures are never a removal), so they are passed over.
    let last_check = fetches
        .iter()
        .filter(|f| {
            f.fetched_at <= limit
                && (f.purpose == "page" || f.purpose == "confirm")
                && matches!(f.status, Some(s) if s < 500 && s != 429)
        })
        .max_by_key(|f| (f.fetched_at, f.id));
    let later_check = last_check
        .filter(|f| f.fetched_at >= version.first_seen && served_version(f) != Some(version_id))
        .cloned();
    Ok(VersionAt {
        url: page.url.clone(),
        page_id: page.id,
        asked_at: at_ms,
        version,
        fetch,
        later_check,
    })
}

/// The header of `show`: fetch time, HTTP status, SHA-256 of the body and the span over
/// which this exact version was seen — plus a second line when the page had stopped serving
/// it by the moment asked about.
pub fn render_show_header(v: &VersionAt) -> String {
    let ver = &v.version;
    let fetched = v
        .fetch
        .as_ref()
        .map(|f| format_ms(f.fetched_at))
        .unwrap_or_else(|| format_ms(ver.first_seen));
    let status = v
        .fetch
        .as_ref()
        .and_then(|f| f.status)
        .map(|s| format!("HTTP {s}"))
        .unwrap_or_else(|| "HTTP status not recorded".to_string());
    let checks = if ver.seen_count == 1 {
        "1 check".to_string()
    } else {
        format!("{} checks", ver.seen_count)
    };
    let mut out = format!(
        "# {} — version {}, fetched {fetched}, {status}, sha256 {}, seen {} → {} ({checks})",
        v.url,
        ver.id,
        hex::encode(ver.body_sha256),
        format_ms(ver.first_seen),
        format_ms(ver.last_seen),
    );
    if let Some(f) = &v.later_check {
        let _ = match v.asked_at {
            Some(t) => write!(
                out,
                "\n# note: by {} the page no longer served this version: the last check before then ({}) got {}",
                format_ms(t),
                format_ms(f.fetched_at),
                status_text(f)
            ),
            None => write!(
                out,
                "\n# note: the page no longer serves this version: the latest check ({}) got {}",
                format_ms(f.fetched_at),
                status_text(f)
            ),
        };
    }
    out
}

/// `show --raw`: the body exactly as served (after content decoding), checked against the
/// SHA-256 recorded when it was stored.
pub fn raw_body(store: &Store, v: &VersionAt) -> Result<Vec<u8>> {
    match store.verified_body(v.version.body_id) {
        Ok(Some((bytes, _))) => Ok(bytes),
        Ok(None) => Err(HistoryError::BodyMissing {
            version: v.version.id,
        }),
        Err(StoreError::BodyMismatch {
            expected, found, ..
        }) => Err(HistoryError::BodyMismatch {
            version: v.version.id,
            expected,
            found,
        }),
        Err(e) => Err(HistoryError::Store(e)),
    }
}

// ---------------------------------------------------------------- diff

/// Two versions of a page for `diff`, oldest-asked first: `to` is the version live at that
/// moment (default: the latest); `from` the version live at its moment (default: the version
/// before `to`). Any two versions, not only consecutive ones.
pub fn diff_versions(
    store: &Store,
    url: &str,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<(VersionAt, VersionAt)> {
    let new = version_at(store, url, to)?;
    let old = match from {
        Some(t) => version_at(store, url, Some(t))?,
        None => {
            let prev: Option<i64> = store
                .conn()
                .query_row(
                    "SELECT id FROM versions WHERE page_id = ?1 AND id < ?2
                     ORDER BY id DESC LIMIT 1",
                    params![new.page_id, new.version.id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(prev) = prev else {
                return Err(HistoryError::NotEnoughVersions {
                    url: new.url.clone(),
                    first: format_ms(new.version.first_seen),
                });
            };
            let page = find_page(store, &new.url)?;
            build_version_at(store, &page, prev, Some(new.version.first_seen - 1))?
        }
    };
    Ok((old, new))
}

/// The text of `diff URL`: which two versions (with their times and hashes), a title change
/// if any, then the text diff.
pub fn render_diff(old: &VersionAt, new: &VersionAt, color: bool) -> String {
    let line = |sign: &str, v: &VersionAt| {
        format!(
            "{sign} {} version {} (seen {} → {}, sha256 {})\n",
            v.url,
            v.version.id,
            format_ms(v.version.first_seen),
            format_ms(v.version.last_seen),
            hex::encode(v.version.body_sha256)
        )
    };
    let mut out = line("---", old);
    out.push_str(&line("+++", new));
    if old.version.id == new.version.id {
        out.push_str("(the same version)\n");
        return out;
    }
    if old.version.title != new.version.title {
        let _ = writeln!(
            out,
            "title: {:?} → {:?}",
            old.version.title, new.version.title
        );
    }
    if old.version.text == new.version.text {
        out.push_str("(the compared text is identical; the bodies differ)\n");
    } else {
        out.push_str(&crate::diff::render(
            &old.version.text,
            &new.version.text,
            color,
        ));
    }
    out
}

// ---------------------------------------------------------------- search

#[derive(Debug, PartialEq)]
enum Tok {
    Phrase { inner: String, prefix: bool },
    Word(String),
    Open,
    Close,
}

fn quote(inner: &str) -> String {
    format!("\"{}\"", inner.replace('"', "\"\""))
}

/// Turns what a user typed into an FTS5 query.
///
/// - Plain text (no `"`, no parentheses, no `AND`/`OR`/`NOT`) is one phrase: `market
///   engagement` finds those words together, and characters FTS5 would read as syntax
///   (`£25bn`, `RM1557.14`, `e-tendering`, `body:x`) are inside quotes, so they just work.
///   A trailing `*` makes it a prefix phrase (`engag*`, `market engag*`).
/// - Otherwise it is an expression: `"…"` phrases (with an optional `*`), `AND`, `OR`, `NOT`
///   and parentheses pass through; every other word is quoted (keeping a trailing `*`).
pub fn fts_query(input: &str) -> Result<String> {
    let input = input.trim();
    if input.is_empty() || input.chars().all(|c| c == '*' || c.is_whitespace()) {
        return Err(HistoryError::EmptyQuery);
    }
    if input.len() > MAX_QUERY_BYTES {
        return Err(HistoryError::BadQuery {
            query: input.chars().take(40).collect::<String>() + "…",
            message: format!("longer than {MAX_QUERY_BYTES} bytes"),
        });
    }
    let toks = tokenize(input)?;
    let expression = toks.iter().any(|t| match t {
        Tok::Phrase { .. } | Tok::Open | Tok::Close => true,
        Tok::Word(w) => matches!(w.as_str(), "AND" | "OR" | "NOT"),
    });
    if !expression {
        return Ok(match input.strip_suffix('*') {
            Some(core) if !core.ends_with(char::is_whitespace) => format!("{}*", quote(core)),
            _ => quote(input),
        });
    }
    let parts: Vec<String> = toks
        .into_iter()
        .map(|t| match t {
            Tok::Open => "(".to_string(),
            Tok::Close => ")".to_string(),
            Tok::Phrase { inner, prefix } => {
                format!("{}{}", quote(&inner), if prefix { "*" } else { "" })
            }
            Tok::Word(w) if matches!(w.as_str(), "AND" | "OR" | "NOT") => w,
            Tok::Word(w) => match w.strip_suffix('*') {
                Some(core) if !core.is_empty() => format!("{}*", quote(core)),
                _ => quote(&w),
            },
        })
        .collect();
    Ok(parts.join(" "))
}

fn tokenize(input: &str) -> Result<Vec<Tok>> {
    let mut toks = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            chars.next();
            toks.push(Tok::Open);
        } else if c == ')' {
            chars.next();
            toks.push(Tok::Close);
        } else if c == '"' {
            chars.next();
            let mut inner = String::new();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        inner.push('"');
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    inner.push(c);
                }
            }
            if !closed {
                return Err(HistoryError::BadQuery {
                    query: input.to_string(),
                    message: "a quote is not closed".to_string(),
                });
            }
            let prefix = chars.peek() == Some(&'*');
            if prefix {
                chars.next();
            }
            toks.push(Tok::Phrase { inner, prefix });
        } else {
            let mut w = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' || c == '(' || c == ')' {
                    break;
                }
                w.push(c);
                chars.next();
            }
            toks.push(Tok::Word(w));
        }
    }
    Ok(toks)
}

struct PageAcc {
    url: String,
    site: String,
    state: String,
    state_since: Option<i64>,
    latest_version: Option<i64>,
    latest_title: Option<String>,
    first_seen: i64,
    last_seen: i64,
    version_ids: Vec<i64>,
}

/// `search TEXT`: every page one of whose versions contains the text, with when it was first
/// and last seen there and whether it is there now; sorted by URL.
///
/// One SQL statement: the FTS5 index gives the matching text ids, `versions_text` the
/// versions that carry them. No text is decompressed.
pub fn search(store: &Store, query: &str) -> Result<Vec<SearchHit>> {
    let fts = fts_query(query)?;
    // Syntax check through the store, which turns FTS5's complaints into BadQuery.
    store.search_text_ids(&fts, 1).map_err(|e| match e {
        StoreError::BadQuery { message, .. } => HistoryError::BadQuery {
            query: query.to_string(),
            message,
        },
        other => HistoryError::from(other),
    })?;
    let c = store.conn();
    let mut st = c.prepare(
        "SELECT v.id, v.page_id, v.first_seen, v.last_seen,
                p.url, s.name, p.state, p.state_since, p.latest_version, lv.title
         FROM versions v
         JOIN pages p ON p.id = v.page_id
         JOIN sites s ON s.id = p.site_id
         LEFT JOIN versions lv ON lv.id = p.latest_version
         WHERE v.text_id IN (SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?1)
         ORDER BY v.page_id, v.id",
    )?;
    let mut rows = st.query([&fts])?;
    let mut pages: BTreeMap<i64, PageAcc> = BTreeMap::new();
    let mut n = 0usize;
    while let Some(r) = rows.next()? {
        n += 1;
        if n > MAX_SEARCH_ROWS {
            tracing::warn!(query, "search matched more than {MAX_SEARCH_ROWS} versions; answering from the first ones");
            break;
        }
        let vid: i64 = r.get(0)?;
        let page_id: i64 = r.get(1)?;
        let first: i64 = r.get(2)?;
        let last: i64 = r.get(3)?;
        let acc = match pages.entry(page_id) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(PageAcc {
                url: r.get(4)?,
                site: r.get(5)?,
                state: r.get(6)?,
                state_since: r.get(7)?,
                latest_version: r.get(8)?,
                latest_title: r.get(9)?,
                first_seen: first,
                last_seen: last,
                version_ids: Vec::new(),
            }),
        };
        acc.first_seen = acc.first_seen.min(first);
        acc.last_seen = acc.last_seen.max(last);
        acc.version_ids.push(vid);
    }
    drop(rows);
    drop(st);

    let mut next_version = c.prepare(
        "SELECT id, first_seen FROM versions WHERE page_id = ?1 AND id > ?2 ORDER BY id LIMIT 1",
    )?;
    let mut hits = Vec::with_capacity(pages.len());
    for (page_id, acc) in pages {
        let last_match = acc.version_ids.last().copied().unwrap_or(0);
        let latest_has = acc
            .latest_version
            .is_some_and(|l| acc.version_ids.contains(&l));
        let live = matches!(acc.state.as_str(), "live" | "new" | "moved");
        let (gone_in_version, gone_since) = if latest_has {
            (None, None)
        } else {
            next_version
                .query_row(params![page_id, last_match], |r| {
                    Ok((Some(r.get::<_, i64>(0)?), Some(r.get::<_, i64>(1)?)))
                })
                .optional()?
                .unwrap_or((None, None))
        };
        hits.push(SearchHit {
            url: acc.url,
            site: acc.site,
            title: acc.latest_title.unwrap_or_default(),
            first_seen: acc.first_seen,
            last_seen: acc.last_seen,
            present_now: latest_has && live,
            in_latest: latest_has,
            version_ids: acc.version_ids,
            page_state: acc.state,
            state_since: acc.state_since,
            gone_in_version,
            gone_since,
        });
    }
    hits.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(hits)
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
    fn plain_text_is_one_phrase() {
        assert_eq!(
            fts_query("market engagement").unwrap(),
            "\"market engagement\""
        );
        assert_eq!(fts_query("RM6281").unwrap(), "\"RM6281\"");
        assert_eq!(fts_query("£25bn").unwrap(), "\"£25bn\"");
        assert_eq!(fts_query("RM1557.14").unwrap(), "\"RM1557.14\"");
        assert_eq!(fts_query("body:x - y").unwrap(), "\"body:x - y\"");
        assert_eq!(fts_query("engag*").unwrap(), "\"engag\"*");
        assert_eq!(fts_query("market engag*").unwrap(), "\"market engag\"*");
    }

    #[test]
    fn explicit_syntax_passes_through_and_bare_words_are_quoted() {
        assert_eq!(
            fts_query("\"market engagement\"").unwrap(),
            "\"market engagement\""
        );
        assert_eq!(
            fts_query("\"market engag\"* OR RM6281").unwrap(),
            "\"market engag\"* OR \"RM6281\""
        );
        assert_eq!(
            fts_query("(£25bn OR £17bn) NOT draft*").unwrap(),
            "( \"£25bn\" OR \"£17bn\" ) NOT \"draft\"*"
        );
        assert_eq!(
            fts_query("\"say \"\"hi\"\"\"").unwrap(),
            "\"say \"\"hi\"\"\""
        );
    }

    #[test]
    fn empty_and_unterminated_queries_are_errors() {
        assert!(matches!(fts_query("  "), Err(HistoryError::EmptyQuery)));
        assert!(matches!(fts_query("*"), Err(HistoryError::EmptyQuery)));
        let e = fts_query("\"market engagement").unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
    }
}
