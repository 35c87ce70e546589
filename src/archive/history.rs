//! The archive as evidence: a page's history, the version live at a moment, two versions to
//! diff.
//!
//! A journalist asks the archive what a page said on a date and what changed between two
//! dates, and must be able to hand the answer over as evidence. So this module:
//! - returns **data**; [`crate::output`] renders it for the terminal and [`crate::serve`]
//!   for the browser, and every time it carries is UTC;
//! - answers "what was live at T" from the version spans (`first_seen`/`last_seen`), and says
//!   so plainly when the page no longer served that version at T (a 404 after it), so dead
//!   content is never shown as if it were live;
//! - gives the raw bytes exactly as stored, after checking them against their SHA-256;
//! - finds a page by what a user typed the same way everywhere ([`find_page`]): the URL as
//!   given, an alias, the trailing-slash twin, or the URL without its fragment.

use crate::analyse::facts::{self, Facts};
use crate::model::{Change, FactChange, FetchPurpose};
use crate::store::{
    format_ms, ChangeFilter, FetchRow, PageRow, Store, StoreError, Version, VersionSpan,
};
use std::collections::BTreeMap;

/// Errors from the history queries, each naming the URL or query so the message stands alone.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Store(StoreError),
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

pub(crate) type Result<T> = std::result::Result<T, HistoryError>;

/// Everything the archive knows about one page, oldest first.
#[derive(Debug, Clone)]
pub struct PageHistory {
    pub page: PageRow,
    pub site: String,
    /// Other URLs that lead to this page (old addresses, redirecting twins).
    pub aliases: Vec<String>,
    pub versions: Vec<VersionSpan>,
    pub fetches: Vec<FetchRow>,
    pub changes: Vec<ChangeAt>,
    /// Each version's fact changes against the version before it (from the facts stored
    /// with them; nothing is parsed again), by version id; versions whose facts are the same
    /// as the previous one's are absent.
    pub fact_changes: BTreeMap<i64, Vec<FactChange>>,
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
    pub version: Version,
    /// The first fetch that stored these bytes (its time and status are the evidence).
    pub fetch: Option<FetchRow>,
    /// The last definite answer at or before the moment asked about, when it did *not* serve
    /// this version (a 404, a redirect, another body): the page was no longer showing it
    /// then. Timeouts, 5xx and 429 answers are passed over: they say nothing about content.
    pub later_check: Option<FetchRow>,
}

/// Finds a page by what a user typed: the URL as given, then without its fragment (the store
/// never keeps fragments). The store also tries aliases and the trailing-slash twin. Public so
/// the CLI and the web UI resolve an address the same way.
pub fn find_page(store: &Store, url: &str) -> Result<PageRow> {
    let url = url.trim();
    if let Some(p) = store.page_for_url(url)? {
        return Ok(p);
    }
    if let Some((base, _)) = url.split_once('#') {
        if let Some(p) = store.page_for_url(base)? {
            return Ok(p);
        }
    }
    Err(HistoryError::UnknownPage {
        url: url.to_string(),
    })
}

/// The page (by URL, alias or trailing-slash twin) with its versions, fetches and changes,
/// oldest first.
pub fn page_history(store: &Store, url: &str) -> Result<PageHistory> {
    let page = find_page(store, url)?;
    let site = store
        .site_of_page(page.id)?
        .map(|s| s.name)
        .unwrap_or_default();
    let aliases = store.aliases_of_page(page.id)?;
    let versions = store.versions_of_page(page.id)?;
    let fetches = store.fetches_of_page(page.id)?;
    let times = store.change_times_of_page(page.id)?;
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
    let fact_changes = fact_changes_of_versions(store, &versions)?;
    Ok(PageHistory {
        page,
        site,
        aliases,
        versions,
        fetches,
        changes,
        fact_changes,
    })
}

/// Each version's fact changes against the one before it (the first version has none, nor
/// does the first one after versions stored before facts were kept).
fn fact_changes_of_versions(
    store: &Store,
    versions: &[VersionSpan],
) -> Result<BTreeMap<i64, Vec<FactChange>>> {
    let mut out = BTreeMap::new();
    let mut previous: Option<Facts> = None;
    for v in versions {
        let now = store.read_facts_of_version(v.id)?.map(Facts::from);
        if let (Some(before), Some(now)) = (&previous, &now) {
            let changes = facts::diff(before, now);
            if !changes.is_empty() {
                out.insert(v.id, changes);
            }
        }
        previous = now;
    }
    Ok(out)
}

/// Whether a fetch saw a version of the page (a 2xx with a stored version, or a 304).
pub fn served_version(f: &FetchRow) -> Option<i64> {
    match f.meta.status {
        Some(200..=299) | Some(304) => f.version_id,
        _ => None,
    }
}

/// The version live at `at_ms` (`None`: the latest): the latest version whose `first_seen`
/// is at or before that moment. An error says when the first version was if there was none
/// yet. When the last check before that moment did not serve this version (the page was
/// removed, redirected or failing), [`VersionAt::later_check`] says so.
pub fn version_at(store: &Store, url: &str, at_ms: Option<i64>) -> Result<VersionAt> {
    let page = find_page(store, url)?;
    let first = store.first_version_seen(page.id)?;
    let Some(first) = first else {
        return Err(HistoryError::NoVersions { url: page.url });
    };
    let id = store.version_live_at(page.id, at_ms.unwrap_or(i64::MAX))?;
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
        .find(|f| f.version_id == Some(version_id) && f.body_id == Some(version.span.body_id))
        .cloned();
    let limit = at_ms.unwrap_or(i64::MAX);
    // Only a definite answer says what the page served: a timeout, a 5xx or a 429 says
    // nothing about it (SPEC: such failures are never a removal), so they are passed over.
    let last_check = fetches
        .iter()
        .filter(|f| {
            f.meta.fetched_at <= limit
                && matches!(f.meta.purpose, FetchPurpose::Page | FetchPurpose::Confirm)
                && matches!(f.meta.status, Some(s) if s < 500 && s != 429)
        })
        .max_by_key(|f| (f.meta.fetched_at, f.id));
    let later_check = last_check
        .filter(|f| {
            f.meta.fetched_at >= version.span.first_seen && served_version(f) != Some(version_id)
        })
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

/// `show --raw`: the body exactly as served (after content decoding), checked against the
/// SHA-256 recorded when it was stored.
pub fn raw_body(store: &Store, v: &VersionAt) -> Result<Vec<u8>> {
    match store.verified_body(v.version.span.body_id) {
        Ok(Some((bytes, _))) => Ok(bytes),
        Ok(None) => Err(HistoryError::BodyMissing {
            version: v.version.span.id,
        }),
        Err(StoreError::BodyMismatch {
            expected, found, ..
        }) => Err(HistoryError::BodyMismatch {
            version: v.version.span.id,
            expected,
            found,
        }),
        Err(e) => Err(HistoryError::Store(e)),
    }
}

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
            let (prev, _) = store.neighbour_versions(new.page_id, new.version.span.id)?;
            let Some(prev) = prev else {
                return Err(HistoryError::NotEnoughVersions {
                    url: new.url.clone(),
                    first: format_ms(new.version.span.first_seen),
                });
            };
            let page = find_page(store, &new.url)?;
            build_version_at(store, &page, prev, Some(new.version.span.first_seen - 1))?
        }
    };
    Ok((old, new))
}
