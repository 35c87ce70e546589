//! The archive: every fetch, every distinct body, every version and every change, in one
//! SQLite file.
//!
//! Why it looks like this:
//! - **Evidence first.** A journalist must be able to show the bytes a server sent on a date.
//!   Every distinct body is kept once, keyed by its SHA-256, zstd-compressed; every fetch is a
//!   row pointing at it. A recheck of an unchanged page (a 304, or the same bytes again) adds
//!   one small fetch row and no body.
//! - **Versions are spans.** A version is a run of identical bodies at one page: it records
//!   when it was first and last seen and how often, so "unchanged 2026-02-01 → 2026-03-14, 41
//!   checks" needs no scan of the fetch log, and an unchanged recheck updates a row in place.
//! - **Text is kept once too.** The extracted text of a body is stored (compressed) in
//!   `texts`, deduplicated by hash — pages with a rotating CSRF token produce a new body on
//!   every fetch but the same text — and indexed once in a contentless FTS5 table for
//!   `search`.
//! - **Detection state lives on the page.** `pages.state` and `pages.reported_version` change
//!   only when detection files its records, in the same transaction. A crash between crawl
//!   and detection therefore loses nothing: the next run compares against the same state and
//!   finds the same transitions.
//! - **Crash safety.** WAL with `synchronous=NORMAL`, one transaction per page at crawl time
//!   and one per site at detection time: a kill -9 leaves a consistent database. Times are
//!   UTC milliseconds since the epoch.

use crate::model::{Change, ChangeDetail, ChangeKind, Significance};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Errors from the archive. They name the database file so an operator knows which one.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("database {path} was written by a newer quietwatch (schema {found}, this build knows {known})")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database {path}: body {body} does not match its recorded SHA-256 (expected {expected}, found {found}): the archive is damaged")]
    BodyMismatch {
        path: PathBuf,
        body: i64,
        expected: String,
        found: String,
    },
    #[error("database {0} does not exist (run `quietwatch crawl` first)")]
    Missing(PathBuf),
    #[error("search query {query:?} is not valid: {message}")]
    BadQuery { query: String, message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The schema, one step per element; `PRAGMA user_version` says how many have been applied.
/// Steps are never edited once released, only appended.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    baseline_at INTEGER
);
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    command     TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    summary     TEXT
);
-- One row per site per run: what the run found, and whether the digest has told anyone.
CREATE TABLE site_runs (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    outcome     TEXT NOT NULL,            -- baseline | ok | failed
    pages       INTEGER NOT NULL DEFAULT 0,
    fetched     INTEGER NOT NULL DEFAULT 0,
    not_modified INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    changes     INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    finished_at INTEGER NOT NULL,
    digest_id   INTEGER,
    PRIMARY KEY (run_id, site_id)
);
CREATE TABLE bodies (
    id          INTEGER PRIMARY KEY,
    sha256      BLOB NOT NULL UNIQUE,
    size        INTEGER NOT NULL,
    data        BLOB NOT NULL             -- zstd
);
CREATE TABLE texts (
    id          INTEGER PRIMARY KEY,
    sha256      BLOB NOT NULL UNIQUE,
    data        BLOB NOT NULL             -- zstd of the extracted text
);
CREATE VIRTUAL TABLE texts_fts USING fts5(body, content='', tokenize='unicode61 remove_diacritics 2');
CREATE TABLE pages (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    url         TEXT NOT NULL,
    is_document INTEGER NOT NULL DEFAULT 0,
    depth       INTEGER NOT NULL DEFAULT 0,
    first_seen  INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'new',  -- new | live | removed | redirected | moved | soft_removed | unreachable
    state_since INTEGER,
    reported_version INTEGER,                 -- the version detection last accepted
    latest_version INTEGER,
    fail_streak INTEGER NOT NULL DEFAULT 0,
    linked      INTEGER NOT NULL DEFAULT 0,
    redirect_to TEXT,
    etag        TEXT,
    last_modified TEXT,
    UNIQUE (site_id, url)
);
-- Other URLs that lead to a page: old addresses of a moved page, redirecting aliases,
-- trailing-slash twins.
CREATE TABLE aliases (
    site_id     INTEGER NOT NULL,
    url         TEXT NOT NULL,
    page_id     INTEGER NOT NULL REFERENCES pages(id),
    PRIMARY KEY (site_id, url)
);
CREATE TABLE versions (
    id          INTEGER PRIMARY KEY,
    page_id     INTEGER NOT NULL REFERENCES pages(id),
    body_id     INTEGER NOT NULL REFERENCES bodies(id),
    text_id     INTEGER REFERENCES texts(id),
    title       TEXT NOT NULL,
    content_type TEXT,
    links       BLOB,                     -- zstd of newline-separated absolute URLs
    documents   TEXT,                     -- newline-separated absolute URLs
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    seen_count  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX versions_page ON versions(page_id, id);
CREATE INDEX versions_text ON versions(text_id);
CREATE TABLE fetches (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL,
    page_id     INTEGER,                  -- null for robots.txt, sitemaps, probes
    url         TEXT,                     -- the URL asked for when it is not the page's
    purpose     TEXT NOT NULL,            -- page | confirm | robots | sitemap | probe
    fetched_at  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    first_status INTEGER,                 -- status of the first response (SPEC's http_status)
    status      INTEGER,                  -- status of the final response; null on a network error
    hops        TEXT,                     -- JSON [[url, status], …] of redirect responses
    final_url   TEXT,                     -- where the redirects ended, when they did
    etag        TEXT,
    last_modified TEXT,
    content_type TEXT,
    headers     TEXT,                     -- JSON [[name, value], …], not kept for 304s
    bytes       INTEGER,
    truncated   INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    body_id     INTEGER,
    version_id  INTEGER
);
CREATE INDEX fetches_page ON fetches(page_id, id);
CREATE TABLE digests (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    subject     TEXT NOT NULL,
    message_id  TEXT,
    eml_path    TEXT,
    html_path   TEXT
);
CREATE TABLE changes (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL,
    detected_at INTEGER NOT NULL,
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    page_id     INTEGER NOT NULL REFERENCES pages(id),
    url         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    significance TEXT NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    from_version INTEGER,
    to_version  INTEGER,
    http_status INTEGER,
    redirect_to TEXT,
    words_added INTEGER NOT NULL DEFAULT 0,
    words_removed INTEGER NOT NULL DEFAULT 0,
    similarity  REAL,
    detail      TEXT,                     -- JSON ChangeDetail
    digest_id   INTEGER                   -- null: not yet sent
);
CREATE INDEX changes_pending ON changes(digest_id);
CREATE INDEX changes_page ON changes(page_id, id);
"#];

/// zstd level for bodies and texts: level 3 is ~4× smaller on HTML at ~0.15 ms a page.
const ZSTD_LEVEL: i32 = 3;

/// Milliseconds since the epoch, UTC: the one time format inside the store.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Formats a stored time as RFC 3339 UTC with second precision ("2026-11-22T06:00:12Z").
pub fn format_ms(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => format!("@{ms}"),
    }
}

/// Converts a UTC instant to the store's milliseconds.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The state detection last settled on for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    /// Seen for the first time in the current run; not yet accepted by detection.
    New,
    Live,
    Removed,
    Redirected,
    Moved,
    SoftRemoved,
    Unreachable,
}

impl PageState {
    pub fn as_str(self) -> &'static str {
        match self {
            PageState::New => "new",
            PageState::Live => "live",
            PageState::Removed => "removed",
            PageState::Redirected => "redirected",
            PageState::Moved => "moved",
            PageState::SoftRemoved => "soft_removed",
            PageState::Unreachable => "unreachable",
        }
    }

    fn parse(s: &str) -> PageState {
        match s {
            "live" => PageState::Live,
            "removed" => PageState::Removed,
            "redirected" => PageState::Redirected,
            "moved" => PageState::Moved,
            "soft_removed" => PageState::SoftRemoved,
            "unreachable" => PageState::Unreachable,
            _ => PageState::New,
        }
    }
}

/// A site as the store knows it.
#[derive(Debug, Clone)]
pub struct SiteRow {
    pub id: i64,
    pub name: String,
    pub baseline_at: Option<i64>,
}

/// A page as the store knows it.
#[derive(Debug, Clone)]
pub struct PageRow {
    pub id: i64,
    pub site_id: i64,
    pub url: String,
    pub is_document: bool,
    pub depth: u32,
    pub first_seen: i64,
    pub state: PageState,
    pub reported_version: Option<i64>,
    pub latest_version: Option<i64>,
    pub fail_streak: u32,
    pub linked: bool,
    pub redirect_to: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

const PAGE_COLUMNS: &str =
    "id, site_id, url, is_document, depth, first_seen, state, reported_version, \
     latest_version, fail_streak, linked, redirect_to, etag, last_modified";

fn page_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PageRow> {
    Ok(PageRow {
        id: r.get(0)?,
        site_id: r.get(1)?,
        url: r.get(2)?,
        is_document: r.get(3)?,
        depth: r.get(4)?,
        first_seen: r.get(5)?,
        state: PageState::parse(&r.get::<_, String>(6)?),
        reported_version: r.get(7)?,
        latest_version: r.get(8)?,
        fail_streak: r.get(9)?,
        linked: r.get(10)?,
        redirect_to: r.get(11)?,
        etag: r.get(12)?,
        last_modified: r.get(13)?,
    })
}

/// A stored version, with its text decompressed.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub id: i64,
    pub page_id: i64,
    pub body_id: i64,
    pub body_sha256: [u8; 32],
    pub body_size: u64,
    pub title: String,
    pub text: String,
    pub content_type: Option<String>,
    pub links: Vec<String>,
    pub documents: Vec<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub seen_count: u64,
}

/// What the crawler hands over for one response, to be stored in one transaction.
#[derive(Debug, Clone, Default)]
pub struct FetchRecord {
    pub run_id: i64,
    pub page_id: Option<i64>,
    /// The URL asked for, when it differs from the page's URL (or there is no page).
    pub url: Option<String>,
    pub purpose: &'static str,
    pub fetched_at: i64,
    pub duration_ms: i64,
    pub first_status: Option<u16>,
    pub status: Option<u16>,
    /// Redirect responses before the final one: (URL, status).
    pub hops: Vec<(String, u16)>,
    pub final_url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
    pub truncated: bool,
    pub error: Option<String>,
    /// The body, when the response carried one worth keeping (not for 304s).
    pub body: Option<Vec<u8>>,
    /// What extraction made of the body; when set together with `page_id` and a body, the
    /// body becomes (or extends) a version of that page.
    pub content: Option<Content>,
    /// Validators to remember on the page for the next conditional GET.
    pub remember_validators: bool,
    /// A 304: the page's latest version was seen again.
    pub not_modified: bool,
}

/// The extracted parts of a body that detection and history need.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub title: String,
    pub text: String,
    pub links: Vec<String>,
    pub documents: Vec<String>,
}

/// What storing a fetch produced.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stored {
    pub fetch_id: i64,
    pub body_id: Option<i64>,
    pub version_id: Option<i64>,
    pub new_version: bool,
    pub new_body: bool,
}

/// A change about to be filed by detection.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub page_id: i64,
    pub url: String,
    pub kind: ChangeKind,
    pub significance: Significance,
    pub title: String,
    pub summary: String,
    pub from_version: Option<i64>,
    pub to_version: Option<i64>,
    pub http_status: Option<u16>,
    pub redirect_to: Option<String>,
    pub words_added: u64,
    pub words_removed: u64,
    pub similarity: Option<f64>,
    pub detail: ChangeDetail,
}

/// How detection leaves a page.
#[derive(Debug, Clone)]
pub struct PageUpdate {
    pub page_id: i64,
    pub state: PageState,
    pub reported_version: Option<i64>,
    pub fail_streak: u32,
    pub linked: bool,
    pub redirect_to: Option<String>,
}

/// A page folded into another: `from` (a page first seen at a redirect's target) merges into
/// `into` (the moved page whose history continues there), which takes `url`.
#[derive(Debug, Clone)]
pub struct PageMerge {
    pub into: i64,
    pub from: Option<i64>,
    pub new_url: String,
    pub old_url: String,
}

/// One site's outcome in a run.
#[derive(Debug, Clone, Default)]
pub struct SiteRunRecord {
    pub outcome: &'static str,
    pub pages: u64,
    pub fetched: u64,
    pub not_modified: u64,
    pub failed: u64,
    pub changes: u64,
    pub error: Option<String>,
}

/// A stored site-run, as the digest reports baselines and failed sites.
#[derive(Debug, Clone)]
pub struct SiteRunRow {
    pub run_id: i64,
    pub site: String,
    pub outcome: String,
    pub pages: u64,
    pub error: Option<String>,
    pub finished_at: i64,
}

/// Which changes to list.
#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub site: Option<String>,
    pub page_id: Option<i64>,
    /// Only the changes filed by this run.
    pub run_id: Option<i64>,
    pub kind: Option<ChangeKind>,
    /// Exactly this significance.
    pub significance: Option<Significance>,
    /// Only changes no digest has carried yet.
    pub pending_only: bool,
    /// Only changes older than this id (keyset pagination, newest first).
    pub before_id: Option<i64>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    pub limit: Option<u64>,
}

/// One fetch as `history` lists it.
#[derive(Debug, Clone)]
pub struct FetchRow {
    pub id: i64,
    pub run_id: i64,
    pub purpose: String,
    pub fetched_at: i64,
    pub duration_ms: i64,
    pub first_status: Option<u16>,
    pub status: Option<u16>,
    pub hops: Vec<(String, u16)>,
    pub final_url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
    pub bytes: Option<u64>,
    pub truncated: bool,
    pub error: Option<String>,
    pub body_id: Option<i64>,
    pub version_id: Option<i64>,
    pub url: Option<String>,
    pub page_id: Option<i64>,
}

/// The SQLite archive.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the archive for writing and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Corrupt {
                    path: path.to_path_buf(),
                    message: format!("cannot create directory {}: {e}", dir.display()),
                })?;
            }
        }
        let conn = Connection::open(path).map_err(|e| sqlite(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing archive for reading only (history, show, search, serve); never
    /// creates a file and never takes a write lock, so it runs beside a crawl.
    pub fn open_readonly(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite(path, e))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| sqlite(path, e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        let version: i64 = store.q(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))?;
        if version > MIGRATIONS.len() as i64 {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known: MIGRATIONS.len() as i64,
            });
        }
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for read-only modules (history, warc, serve) that run their
    /// own queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    fn q<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&self.conn).map_err(|e| sqlite(&self.path, e))
    }

    fn configure(&mut self) -> Result<()> {
        self.conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| sqlite(&self.path, e))?;
        self.q(|c| {
            c.execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;",
            )
        })
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self.q(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let next = i as i64 + 1;
            let path = self.path.clone();
            let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
            tx.execute_batch(step).map_err(|e| sqlite(&path, e))?;
            tx.pragma_update(None, "user_version", next)
                .map_err(|e| sqlite(&path, e))?;
            tx.commit().map_err(|e| sqlite(&path, e))?;
            tracing::info!(db = %path.display(), version = next, "database schema migrated");
        }
        Ok(())
    }

    /// `PRAGMA integrity_check`: "ok" on a sound file.
    pub fn integrity_check(&self) -> Result<String> {
        self.q(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
    }

    // ---------------------------------------------------------------- runs and sites

    /// Starts a run record.
    pub fn begin_run(&self, command: &str) -> Result<i64> {
        self.q(|c| {
            c.execute(
                "INSERT INTO runs (command, started_at) VALUES (?1, ?2)",
                params![command, now_ms()],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Closes a run record with its summary line.
    pub fn finish_run(&self, run_id: i64, summary: &str) -> Result<()> {
        self.q(|c| {
            c.execute(
                "UPDATE runs SET finished_at = ?2, summary = ?3 WHERE id = ?1",
                params![run_id, now_ms(), summary],
            )
            .map(|_| ())
        })
    }

    /// The site of that name, created on first use.
    pub fn site(&self, name: &str) -> Result<SiteRow> {
        self.q(|c| {
            c.execute(
                "INSERT OR IGNORE INTO sites (name, created_at) VALUES (?1, ?2)",
                params![name, now_ms()],
            )?;
            c.query_row(
                "SELECT id, name, baseline_at FROM sites WHERE name = ?1",
                [name],
                |r| {
                    Ok(SiteRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        baseline_at: r.get(2)?,
                    })
                },
            )
        })
    }

    /// Every site the store knows, by name.
    pub fn sites(&self) -> Result<Vec<SiteRow>> {
        self.q(|c| {
            let mut st = c.prepare("SELECT id, name, baseline_at FROM sites ORDER BY name")?;
            let rows = st.query_map([], |r| {
                Ok(SiteRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    baseline_at: r.get(2)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Looks a site up without creating it.
    pub fn find_site(&self, name: &str) -> Result<Option<SiteRow>> {
        self.q(|c| {
            c.query_row(
                "SELECT id, name, baseline_at FROM sites WHERE name = ?1",
                [name],
                |r| {
                    Ok(SiteRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        baseline_at: r.get(2)?,
                    })
                },
            )
            .optional()
        })
    }

    // ---------------------------------------------------------------- pages

    /// Every page of a site.
    pub fn pages_of_site(&self, site_id: i64) -> Result<Vec<PageRow>> {
        self.q(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {PAGE_COLUMNS} FROM pages WHERE site_id = ?1 ORDER BY id"
            ))?;
            let rows = st.query_map([site_id], page_from_row)?;
            rows.collect()
        })
    }

    /// One page by id.
    pub fn page(&self, page_id: i64) -> Result<Option<PageRow>> {
        self.q(|c| {
            c.query_row(
                &format!("SELECT {PAGE_COLUMNS} FROM pages WHERE id = ?1"),
                [page_id],
                page_from_row,
            )
            .optional()
        })
    }

    /// The page a URL leads to in any site: its own URL, an alias (an old address of a moved
    /// page) or its trailing-slash twin.
    pub fn find_page_by_url(&self, url: &str) -> Result<Option<PageRow>> {
        let direct = self.q(|c| {
            c.query_row(
                &format!("SELECT {PAGE_COLUMNS} FROM pages WHERE url = ?1 ORDER BY id LIMIT 1"),
                [url],
                page_from_row,
            )
            .optional()
        })?;
        if direct.is_some() {
            return Ok(direct);
        }
        let alias: Option<i64> = self.q(|c| {
            c.query_row(
                "SELECT page_id FROM aliases WHERE url = ?1 LIMIT 1",
                [url],
                |r| r.get(0),
            )
            .optional()
        })?;
        if let Some(id) = alias {
            return self.page(id);
        }
        let Some(twin) = crate::urlnorm::trailing_slash_twin_str(url) else {
            return Ok(None);
        };
        self.q(|c| {
            c.query_row(
                &format!("SELECT {PAGE_COLUMNS} FROM pages WHERE url = ?1 ORDER BY id LIMIT 1"),
                [&twin],
                page_from_row,
            )
            .optional()
        })
    }

    /// Every alias of a site: (URL, page id).
    pub fn aliases_of_site(&self, site_id: i64) -> Result<Vec<(String, i64)>> {
        self.q(|c| {
            let mut st = c.prepare("SELECT url, page_id FROM aliases WHERE site_id = ?1")?;
            let rows = st.query_map([site_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    /// Records that `url` leads to `page_id` (a redirecting alias). Idempotent.
    pub fn add_alias(&self, site_id: i64, url: &str, page_id: i64) -> Result<()> {
        self.q(|c| {
            c.execute(
                "INSERT OR REPLACE INTO aliases (site_id, url, page_id) VALUES (?1, ?2, ?3)",
                params![site_id, url, page_id],
            )
            .map(|_| ())
        })
    }

    /// The page at `url` in a site, created (state `new`) if the store did not know it.
    pub fn ensure_page(
        &self,
        site_id: i64,
        url: &str,
        depth: u32,
        is_document: bool,
    ) -> Result<PageRow> {
        self.q(|c| {
            c.execute(
                "INSERT OR IGNORE INTO pages (site_id, url, depth, is_document, first_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![site_id, url, depth, is_document, now_ms()],
            )?;
            c.query_row(
                &format!("SELECT {PAGE_COLUMNS} FROM pages WHERE site_id = ?1 AND url = ?2"),
                params![site_id, url],
                page_from_row,
            )
        })
    }

    /// Lowers a page's recorded depth when it was found closer to a start page.
    pub fn lower_depth(&self, page_id: i64, depth: u32) -> Result<()> {
        self.q(|c| {
            c.execute(
                "UPDATE pages SET depth = ?2 WHERE id = ?1 AND depth > ?2",
                params![page_id, depth],
            )
            .map(|_| ())
        })
    }

    // ---------------------------------------------------------------- fetches and versions

    /// Stores one response in one transaction: its body (if new), its text (if new), the
    /// version it makes or extends, and the fetch row. A crash leaves all or none of it.
    pub fn record_fetch(&mut self, rec: &FetchRecord) -> Result<Stored> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let stored = record_fetch_tx(&tx, rec).map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(stored)
    }

    /// A version with its text.
    pub fn version(&self, id: i64) -> Result<Option<VersionRow>> {
        let row = self.q(|c| {
            c.query_row(
                "SELECT v.id, v.page_id, v.body_id, b.sha256, b.size, v.title, t.data,
                        v.content_type, v.links, v.documents, v.first_seen, v.last_seen, v.seen_count
                 FROM versions v JOIN bodies b ON b.id = v.body_id
                 LEFT JOIN texts t ON t.id = v.text_id WHERE v.id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<Vec<u8>>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<Vec<u8>>>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, i64>(10)?,
                        r.get::<_, i64>(11)?,
                        r.get::<_, i64>(12)?,
                    ))
                },
            )
            .optional()
        })?;
        let Some((
            id,
            page_id,
            body_id,
            sha,
            size,
            title,
            text,
            ct,
            links,
            docs,
            first,
            last,
            count,
        )) = row
        else {
            return Ok(None);
        };
        let text = match text {
            Some(z) => self.unzstd_text(&z)?,
            None => String::new(),
        };
        let links = match links {
            Some(z) => split_lines(&self.unzstd_text(&z)?),
            None => Vec::new(),
        };
        let mut body_sha256 = [0u8; 32];
        if sha.len() == 32 {
            body_sha256.copy_from_slice(&sha);
        }
        Ok(Some(VersionRow {
            id,
            page_id,
            body_id,
            body_sha256,
            body_size: size.max(0) as u64,
            title,
            text,
            content_type: ct,
            links,
            documents: split_lines(&docs.unwrap_or_default()),
            first_seen: first,
            last_seen: last,
            seen_count: count.max(0) as u64,
        }))
    }

    /// The links of a version, without reading its text (a 304 recheck needs only these).
    pub fn version_links(&self, id: i64) -> Result<Vec<String>> {
        let z: Option<Vec<u8>> = self.q(|c| {
            c.query_row("SELECT links FROM versions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map(Option::flatten)
        })?;
        Ok(match z {
            Some(z) => split_lines(&self.unzstd_text(&z)?),
            None => Vec::new(),
        })
    }

    /// The versions of a page, oldest first (text included).
    pub fn versions_of_page(&self, page_id: i64) -> Result<Vec<VersionRow>> {
        let ids: Vec<i64> = self.q(|c| {
            let mut st = c.prepare("SELECT id FROM versions WHERE page_id = ?1 ORDER BY id")?;
            let rows = st.query_map([page_id], |r| r.get(0))?;
            rows.collect()
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(v) = self.version(id)? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// The raw bytes of a stored body, exactly as served (after content-encoding).
    pub fn body(&self, body_id: i64) -> Result<Option<Vec<u8>>> {
        let z: Option<Vec<u8>> = self.q(|c| {
            c.query_row("SELECT data FROM bodies WHERE id = ?1", [body_id], |r| {
                r.get(0)
            })
            .optional()
        })?;
        match z {
            None => Ok(None),
            Some(z) => zstd::decode_all(&z[..])
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    path: self.path.clone(),
                    message: format!("body {body_id} does not decompress: {e}"),
                }),
        }
    }

    /// The raw bytes of a stored body and their SHA-256, checked against the hash recorded
    /// when the body was stored. Everything that hands bytes over as evidence (`show --raw`,
    /// the WARC export, the web UI's raw download) reads through this.
    pub fn verified_body(&self, body_id: i64) -> Result<Option<(Vec<u8>, [u8; 32])>> {
        let Some(bytes) = self.body(body_id)? else {
            return Ok(None);
        };
        let found = sha256(&bytes);
        let expected = self.body_sha256(body_id)?.unwrap_or_default();
        if expected[..] != found[..] {
            return Err(StoreError::BodyMismatch {
                path: self.path.clone(),
                body: body_id,
                expected: hex::encode(expected),
                found: hex::encode(found),
            });
        }
        Ok(Some((bytes, found)))
    }

    /// The SHA-256 of a stored body.
    pub fn body_sha256(&self, body_id: i64) -> Result<Option<Vec<u8>>> {
        self.q(|c| {
            c.query_row("SELECT sha256 FROM bodies WHERE id = ?1", [body_id], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    /// Every fetch of a page, oldest first.
    pub fn fetches_of_page(&self, page_id: i64) -> Result<Vec<FetchRow>> {
        self.fetch_rows("WHERE page_id = ?1 ORDER BY id", params![page_id])
    }

    /// Fetches in id order, from `after_id` on, at most `limit` of them (for exports).
    pub fn fetches_after(&self, after_id: i64, limit: u32) -> Result<Vec<FetchRow>> {
        self.fetch_rows(
            "WHERE id > ?1 ORDER BY id LIMIT ?2",
            params![after_id, limit],
        )
    }

    fn fetch_rows(&self, tail: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<FetchRow>> {
        self.q(|c| {
            let mut st = c.prepare(&format!(
                "SELECT id, run_id, purpose, fetched_at, duration_ms, first_status, status, hops,
                        final_url, etag, last_modified, content_type, headers, bytes, truncated,
                        error, body_id, version_id, url, page_id
                 FROM fetches {tail}"
            ))?;
            let rows = st.query_map(p, |r| {
                let hops: Option<String> = r.get(7)?;
                let headers: Option<String> = r.get(12)?;
                Ok(FetchRow {
                    id: r.get(0)?,
                    run_id: r.get(1)?,
                    purpose: r.get(2)?,
                    fetched_at: r.get(3)?,
                    duration_ms: r.get(4)?,
                    first_status: r.get(5)?,
                    status: r.get(6)?,
                    hops: hops
                        .and_then(|h| serde_json::from_str(&h).ok())
                        .unwrap_or_default(),
                    final_url: r.get(8)?,
                    etag: r.get(9)?,
                    last_modified: r.get(10)?,
                    content_type: r.get(11)?,
                    headers: headers
                        .and_then(|h| serde_json::from_str(&h).ok())
                        .unwrap_or_default(),
                    bytes: r.get::<_, Option<i64>>(13)?.map(|b| b.max(0) as u64),
                    truncated: r.get(14)?,
                    error: r.get(15)?,
                    body_id: r.get(16)?,
                    version_id: r.get(17)?,
                    url: r.get(18)?,
                    page_id: r.get(19)?,
                })
            })?;
            rows.collect()
        })
    }

    fn unzstd_text(&self, z: &[u8]) -> Result<String> {
        let bytes = zstd::decode_all(z).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            message: format!("stored text does not decompress: {e}"),
        })?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    // ---------------------------------------------------------------- detection

    /// Files one site's detection results in one transaction: page states, merges of moved
    /// pages, change records, the baseline mark and the site-run row.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_detection(
        &mut self,
        run_id: i64,
        site: &SiteRow,
        merges: &[PageMerge],
        updates: &[PageUpdate],
        changes: &[NewChange],
        baseline: bool,
        site_run: &SiteRunRecord,
    ) -> Result<Vec<i64>> {
        let path = self.path.clone();
        let now = now_ms();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let ids = (|| -> rusqlite::Result<Vec<i64>> {
            for m in merges {
                // Fetches made under the old address keep it: history and WARC must show
                // what was asked for then, not the page's new URL.
                tx.execute(
                    "UPDATE fetches SET url = ?2 WHERE page_id = ?1 AND url IS NULL",
                    params![m.into, m.old_url],
                )?;
                if let Some(from) = m.from {
                    tx.execute(
                        "UPDATE versions SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    tx.execute(
                        "UPDATE fetches SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    tx.execute(
                        "UPDATE aliases SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    tx.execute(
                        "UPDATE changes SET page_id = ?1 WHERE page_id = ?2",
                        params![m.into, from],
                    )?;
                    tx.execute(
                        "UPDATE pages SET latest_version = (SELECT MAX(id) FROM versions WHERE page_id = ?1),
                             etag = (SELECT etag FROM pages WHERE id = ?2),
                             last_modified = (SELECT last_modified FROM pages WHERE id = ?2)
                         WHERE id = ?1",
                        params![m.into, from],
                    )?;
                    tx.execute("DELETE FROM pages WHERE id = ?1", [from])?;
                }
                tx.execute(
                    "UPDATE pages SET url = ?2 WHERE id = ?1",
                    params![m.into, m.new_url],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO aliases (site_id, url, page_id) VALUES (?1, ?2, ?3)",
                    params![site.id, m.old_url, m.into],
                )?;
            }
            for u in updates {
                tx.execute(
                    "UPDATE pages SET
                        state_since = CASE WHEN state = ?2 THEN state_since ELSE ?7 END,
                        state = ?2, reported_version = ?3, fail_streak = ?4, linked = ?5,
                        redirect_to = ?6
                     WHERE id = ?1",
                    params![
                        u.page_id,
                        u.state.as_str(),
                        u.reported_version,
                        u.fail_streak,
                        u.linked,
                        u.redirect_to,
                        now
                    ],
                )?;
            }
            let mut ids = Vec::with_capacity(changes.len());
            for ch in changes {
                tx.execute(
                    "INSERT INTO changes (run_id, detected_at, site_id, page_id, url, kind,
                        significance, title, summary, from_version, to_version, http_status,
                        redirect_to, words_added, words_removed, similarity, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                    params![
                        run_id,
                        now,
                        site.id,
                        ch.page_id,
                        ch.url,
                        ch.kind.as_str(),
                        ch.significance.as_str(),
                        ch.title,
                        ch.summary,
                        ch.from_version,
                        ch.to_version,
                        ch.http_status,
                        ch.redirect_to,
                        ch.words_added as i64,
                        ch.words_removed as i64,
                        ch.similarity,
                        serde_json::to_string(&ch.detail).unwrap_or_default(),
                    ],
                )?;
                ids.push(tx.last_insert_rowid());
            }
            if baseline {
                tx.execute(
                    "UPDATE sites SET baseline_at = ?2 WHERE id = ?1 AND baseline_at IS NULL",
                    params![site.id, now],
                )?;
            }
            insert_site_run(&tx, run_id, site.id, site_run, now)?;
            Ok(ids)
        })()
        .map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(ids)
    }

    /// Records a site-run row on its own (a site that could not be crawled at all).
    pub fn record_site_run(&self, run_id: i64, site_id: i64, rec: &SiteRunRecord) -> Result<()> {
        self.q(|c| insert_site_run(c, run_id, site_id, rec, now_ms()))
    }

    // ---------------------------------------------------------------- changes and digests

    /// Changes matching a filter, oldest first (or newest first).
    pub fn changes(&self, f: &ChangeFilter) -> Result<Vec<Change>> {
        let mut sql = String::from(
            "SELECT c.id, c.detected_at, s.name, c.url, c.kind, c.significance, c.title, c.summary,
                    c.from_version, c.to_version, c.http_status, c.redirect_to, c.words_added,
                    c.words_removed, c.similarity, c.detail
             FROM changes c JOIN sites s ON s.id = c.site_id WHERE 1 = 1",
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(since) = f.since_ms {
            args.push(Box::new(since));
            sql.push_str(&format!(" AND c.detected_at >= ?{}", args.len()));
        }
        if let Some(until) = f.until_ms {
            args.push(Box::new(until));
            sql.push_str(&format!(" AND c.detected_at < ?{}", args.len()));
        }
        if let Some(site) = &f.site {
            args.push(Box::new(site.clone()));
            sql.push_str(&format!(" AND s.name = ?{}", args.len()));
        }
        if let Some(page) = f.page_id {
            args.push(Box::new(page));
            sql.push_str(&format!(" AND c.page_id = ?{}", args.len()));
        }
        if let Some(run) = f.run_id {
            args.push(Box::new(run));
            sql.push_str(&format!(" AND c.run_id = ?{}", args.len()));
        }
        if let Some(kind) = f.kind {
            args.push(Box::new(kind.as_str()));
            sql.push_str(&format!(" AND c.kind = ?{}", args.len()));
        }
        if let Some(sig) = f.significance {
            args.push(Box::new(sig.as_str()));
            sql.push_str(&format!(" AND c.significance = ?{}", args.len()));
        }
        if let Some(before) = f.before_id {
            args.push(Box::new(before));
            sql.push_str(&format!(" AND c.id < ?{}", args.len()));
        }
        if f.pending_only {
            sql.push_str(" AND c.digest_id IS NULL");
        }
        sql.push_str(if f.newest_first {
            " ORDER BY c.id DESC"
        } else {
            " ORDER BY c.id"
        });
        if let Some(limit) = f.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        self.q(|c| {
            let mut st = c.prepare(&sql)?;
            let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
            let rows = st.query_map(&refs[..], change_from_row)?;
            rows.collect()
        })
    }

    /// Site-run rows (baselines and failed sites) that no digest has carried yet.
    pub fn pending_site_notes(&self) -> Result<Vec<SiteRunRow>> {
        self.q(|c| {
            let mut st = c.prepare(
                "SELECT r.run_id, s.name, r.outcome, r.pages, r.error, r.finished_at
                 FROM site_runs r JOIN sites s ON s.id = r.site_id
                 WHERE r.digest_id IS NULL AND r.outcome IN ('baseline', 'failed')
                 ORDER BY r.run_id, s.name",
            )?;
            let rows = st.query_map([], |r| {
                Ok(SiteRunRow {
                    run_id: r.get(0)?,
                    site: r.get(1)?,
                    outcome: r.get(2)?,
                    pages: r.get::<_, i64>(3)?.max(0) as u64,
                    error: r.get(4)?,
                    finished_at: r.get(5)?,
                })
            })?;
            rows.collect()
        })
    }

    /// How many consecutive runs, most recent first, a site has failed outright.
    pub fn site_failure_streak(&self, site_name: &str) -> Result<u32> {
        self.q(|c| {
            let mut st = c.prepare(
                "SELECT r.outcome FROM site_runs r JOIN sites s ON s.id = r.site_id
                 WHERE s.name = ?1 ORDER BY r.run_id DESC LIMIT 1000",
            )?;
            let outcomes = st.query_map([site_name], |r| r.get::<_, String>(0))?;
            let mut n = 0;
            for o in outcomes {
                if o? == "failed" {
                    n += 1;
                } else {
                    break;
                }
            }
            Ok(n)
        })
    }

    /// Marks changes and site notes as carried by a digest that the mail server accepted (or
    /// that was written, without SMTP). Called only after the send succeeded.
    pub fn mark_digested(
        &mut self,
        digest: &DigestRecord,
        change_ids: &[i64],
        site_notes: &[(i64, String)],
    ) -> Result<i64> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let id = (|| -> rusqlite::Result<i64> {
            tx.execute(
                "INSERT INTO digests (created_at, sent_at, subject, message_id, eml_path, html_path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    digest.created_at,
                    digest.sent_at,
                    digest.subject,
                    digest.message_id,
                    digest.eml_path,
                    digest.html_path
                ],
            )?;
            let id = tx.last_insert_rowid();
            for c in change_ids {
                tx.execute(
                    "UPDATE changes SET digest_id = ?1 WHERE id = ?2 AND digest_id IS NULL",
                    params![id, c],
                )?;
            }
            for (run, site) in site_notes {
                tx.execute(
                    "UPDATE site_runs SET digest_id = ?1
                     WHERE run_id = ?2 AND site_id = (SELECT id FROM sites WHERE name = ?3)
                       AND digest_id IS NULL",
                    params![id, run, site],
                )?;
            }
            Ok(id)
        })()
        .map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(id)
    }

    // ---------------------------------------------------------------- search

    /// Text ids whose text matches an FTS5 query (phrase `"a b"`, prefix `foo*`).
    pub fn search_text_ids(&self, query: &str, limit: u32) -> Result<Vec<i64>> {
        let res = self.q(|c| {
            let mut st = c.prepare(
                "SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?1 ORDER BY rowid LIMIT ?2",
            )?;
            let rows = st.query_map(params![query, limit], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<Vec<i64>>>()
        });
        match res {
            Err(StoreError::Sqlite { source, .. }) if is_query_error(&source) => {
                Err(StoreError::BadQuery {
                    query: query.to_string(),
                    message: source.to_string(),
                })
            }
            other => other,
        }
    }

    // ---- serve queries (h7)
    //
    // Read-only, bounded queries for the web UI (`serve`): each view costs a fixed handful of
    // statements whatever the archive's size (GROUP BY instead of one query per site or page,
    // LIMITs everywhere, texts decompressed only for the versions actually shown).

    /// Every site with its page counts by state and its latest site-run: three statements.
    pub fn serve_site_overview(&self) -> Result<Vec<SiteOverview>> {
        let mut sites: Vec<SiteOverview> = self
            .sites()?
            .into_iter()
            .map(|s| SiteOverview {
                id: s.id,
                name: s.name,
                baseline_at: s.baseline_at,
                pages: 0,
                documents: 0,
                states: Vec::new(),
                last_run: None,
            })
            .collect();
        let counts: Vec<(i64, String, i64, i64)> = self.q(|c| {
            let mut st = c.prepare(
                "SELECT site_id, state, COUNT(*), SUM(is_document) FROM pages
                 GROUP BY site_id, state ORDER BY site_id, state",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect()
        })?;
        for (site_id, state, n, docs) in counts {
            if let Some(s) = sites.iter_mut().find(|s| s.id == site_id) {
                s.pages += n.max(0) as u64;
                s.documents += docs.max(0) as u64;
                s.states.push((state, n.max(0) as u64));
            }
        }
        let runs: Vec<(i64, SiteRunBrief)> = self.q(|c| {
            let mut st = c.prepare(
                "SELECT r.site_id, r.run_id, r.outcome, r.pages, r.fetched, r.failed, r.changes,
                        r.error, r.finished_at
                 FROM site_runs r
                 JOIN (SELECT site_id, MAX(run_id) AS run_id FROM site_runs GROUP BY site_id) l
                   ON l.site_id = r.site_id AND l.run_id = r.run_id",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    SiteRunBrief {
                        run_id: r.get(1)?,
                        outcome: r.get(2)?,
                        pages: r.get::<_, i64>(3)?.max(0) as u64,
                        fetched: r.get::<_, i64>(4)?.max(0) as u64,
                        failed: r.get::<_, i64>(5)?.max(0) as u64,
                        changes: r.get::<_, i64>(6)?.max(0) as u64,
                        error: r.get(7)?,
                        finished_at: r.get(8)?,
                    },
                ))
            })?;
            rows.collect()
        })?;
        for (site_id, run) in runs {
            if let Some(s) = sites.iter_mut().find(|s| s.id == site_id) {
                s.last_run = Some(run);
            }
        }
        Ok(sites)
    }

    /// The most recent run of any command: (command, started_at, finished_at, summary).
    pub fn serve_last_run(&self) -> Result<Option<RunBrief>> {
        self.q(|c| {
            c.query_row(
                "SELECT id, command, started_at, finished_at, summary FROM runs
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(RunBrief {
                        id: r.get(0)?,
                        command: r.get(1)?,
                        started_at: r.get(2)?,
                        finished_at: r.get(3)?,
                        summary: r.get(4)?,
                    })
                },
            )
            .optional()
        })
    }

    /// One page of a site's pages, ordered by URL, with the latest version's title; and the
    /// number of pages matching (for pagination).
    pub fn serve_pages_of_site(
        &self,
        site_id: i64,
        state: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<PageListItem>, u64)> {
        self.q(|c| {
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM pages WHERE site_id = ?1 AND (?2 IS NULL OR state = ?2)",
                params![site_id, state],
                |r| r.get(0),
            )?;
            let mut st = c.prepare(
                "SELECT p.id, p.url, p.state, p.state_since, p.is_document, v.title, v.last_seen
                 FROM pages p LEFT JOIN versions v ON v.id = p.latest_version
                 WHERE p.site_id = ?1 AND (?2 IS NULL OR p.state = ?2)
                 ORDER BY p.url LIMIT ?3 OFFSET ?4",
            )?;
            let rows = st.query_map(
                params![site_id, state, limit, offset.min(i64::MAX as u64) as i64],
                |r| {
                    Ok(PageListItem {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        state: r.get(2)?,
                        state_since: r.get(3)?,
                        is_document: r.get(4)?,
                        title: r.get(5)?,
                        last_seen: r.get(6)?,
                    })
                },
            )?;
            Ok((
                rows.collect::<rusqlite::Result<Vec<_>>>()?,
                total.max(0) as u64,
            ))
        })
    }

    /// The newest `limit` versions of a page without their texts (oldest first), and how many
    /// versions the page has in all.
    pub fn serve_version_briefs(
        &self,
        page_id: i64,
        limit: u32,
    ) -> Result<(Vec<VersionBrief>, u64)> {
        self.q(|c| {
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM versions WHERE page_id = ?1",
                [page_id],
                |r| r.get(0),
            )?;
            let mut st = c.prepare(
                "SELECT v.id, v.text_id, v.title, v.content_type, b.size, b.sha256, v.first_seen,
                        v.last_seen, v.seen_count
                 FROM versions v JOIN bodies b ON b.id = v.body_id
                 WHERE v.page_id = ?1 ORDER BY v.id DESC LIMIT ?2",
            )?;
            let rows = st.query_map(params![page_id, limit], |r| {
                Ok(VersionBrief {
                    id: r.get(0)?,
                    text_id: r.get(1)?,
                    title: r.get(2)?,
                    content_type: r.get(3)?,
                    size: r.get::<_, i64>(4)?.max(0) as u64,
                    sha256: hex::encode(r.get::<_, Vec<u8>>(5)?),
                    first_seen: r.get(6)?,
                    last_seen: r.get(7)?,
                    seen_count: r.get::<_, i64>(8)?.max(0) as u64,
                })
            })?;
            let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            out.reverse();
            Ok((out, total.max(0) as u64))
        })
    }

    /// A page's fetch counts: (fetches, first fetched_at, last fetched_at).
    pub fn serve_fetch_stats(&self, page_id: i64) -> Result<(u64, Option<i64>, Option<i64>)> {
        self.q(|c| {
            c.query_row(
                "SELECT COUNT(*), MIN(fetched_at), MAX(fetched_at) FROM fetches WHERE page_id = ?1",
                [page_id],
                |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?, r.get(2)?)),
            )
        })
    }

    /// The newest `limit` fetches of a page that did not simply answer 2xx (network errors,
    /// 4xx/5xx, redirects), newest first.
    pub fn serve_fetch_problems(&self, page_id: i64, limit: u32) -> Result<Vec<FetchRow>> {
        self.fetch_rows(
            "WHERE page_id = ?1 AND (error IS NOT NULL OR status IS NULL OR status >= 300
                OR first_status >= 300) ORDER BY id DESC LIMIT ?2",
            params![page_id, limit],
        )
    }

    /// The fetch that first stored a version (its time, status, headers).
    pub fn serve_version_first_fetch(
        &self,
        page_id: i64,
        version_id: i64,
    ) -> Result<Option<FetchRow>> {
        Ok(self
            .fetch_rows(
                "WHERE page_id = ?1 AND version_id = ?2 ORDER BY id LIMIT 1",
                params![page_id, version_id],
            )?
            .into_iter()
            .next())
    }

    /// What the raw download of a version needs, without decompressing its text:
    /// (body id, page URL, content type).
    pub fn serve_version_raw_ref(
        &self,
        version_id: i64,
    ) -> Result<Option<(i64, String, Option<String>)>> {
        self.q(|c| {
            c.query_row(
                "SELECT v.body_id, p.url, v.content_type FROM versions v
                 JOIN pages p ON p.id = v.page_id WHERE v.id = ?1",
                [version_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
    }

    /// The versions of a page just before and just after `version_id`, for navigation.
    pub fn serve_neighbour_versions(
        &self,
        page_id: i64,
        version_id: i64,
    ) -> Result<(Option<i64>, Option<i64>)> {
        self.q(|c| {
            c.query_row(
                "SELECT (SELECT MAX(id) FROM versions WHERE page_id = ?1 AND id < ?2),
                        (SELECT MIN(id) FROM versions WHERE page_id = ?1 AND id > ?2)",
                params![page_id, version_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }
}

// ---- serve queries (h7): row types

/// A site on the web UI's front page.
#[derive(Debug, Clone)]
pub struct SiteOverview {
    pub id: i64,
    pub name: String,
    pub baseline_at: Option<i64>,
    pub pages: u64,
    pub documents: u64,
    /// (state, pages in it), by state name.
    pub states: Vec<(String, u64)>,
    pub last_run: Option<SiteRunBrief>,
}

/// A site's outcome in its latest run.
#[derive(Debug, Clone)]
pub struct SiteRunBrief {
    pub run_id: i64,
    pub outcome: String,
    pub pages: u64,
    pub fetched: u64,
    pub failed: u64,
    pub changes: u64,
    pub error: Option<String>,
    pub finished_at: i64,
}

/// A run of any command.
#[derive(Debug, Clone)]
pub struct RunBrief {
    pub id: i64,
    pub command: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub summary: Option<String>,
}

/// A page in a site's page list.
#[derive(Debug, Clone)]
pub struct PageListItem {
    pub id: i64,
    pub url: String,
    pub state: String,
    pub state_since: Option<i64>,
    pub is_document: bool,
    pub title: Option<String>,
    pub last_seen: Option<i64>,
}

/// A version without its text, for timelines.
#[derive(Debug, Clone)]
pub struct VersionBrief {
    pub id: i64,
    pub text_id: Option<i64>,
    pub title: String,
    pub content_type: Option<String>,
    pub size: u64,
    /// Hex SHA-256 of the body.
    pub sha256: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub seen_count: u64,
}

/// A digest that went out (or was written).
#[derive(Debug, Clone, Default)]
pub struct DigestRecord {
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub subject: String,
    pub message_id: Option<String>,
    pub eml_path: Option<String>,
    pub html_path: Option<String>,
}

/// The non-empty lines of a newline-separated list.
fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_query_error(e: &rusqlite::Error) -> bool {
    let msg = e.to_string();
    msg.contains("fts5")
        || msg.contains("syntax error")
        || msg.contains("no such column")
        || msg.contains("unterminated")
}

fn change_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Change> {
    let kind: String = r.get(4)?;
    let sig: String = r.get(5)?;
    let detail: Option<String> = r.get(15)?;
    Ok(Change {
        id: r.get(0)?,
        detected_at: format_ms(r.get(1)?),
        site: r.get(2)?,
        url: r.get(3)?,
        kind: kind.parse().unwrap_or(ChangeKind::Changed),
        significance: sig.parse().unwrap_or(Significance::Major),
        title: r.get(6)?,
        summary: r.get(7)?,
        from: r.get(8)?,
        to: r.get(9)?,
        http_status: r.get(10)?,
        redirect_to: r.get(11)?,
        words_added: r.get::<_, i64>(12)?.max(0) as u64,
        words_removed: r.get::<_, i64>(13)?.max(0) as u64,
        similarity: r.get(14)?,
        detail: detail
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or_default(),
    })
}

fn insert_site_run(
    c: &Connection,
    run_id: i64,
    site_id: i64,
    rec: &SiteRunRecord,
    now: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO site_runs (run_id, site_id, outcome, pages, fetched, not_modified,
            failed, changes, error, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            run_id,
            site_id,
            rec.outcome,
            rec.pages as i64,
            rec.fetched as i64,
            rec.not_modified as i64,
            rec.failed as i64,
            rec.changes as i64,
            rec.error,
            now
        ],
    )?;
    Ok(())
}

fn zstd_bytes(data: &[u8]) -> rusqlite::Result<Vec<u8>> {
    zstd::encode_all(data, ZSTD_LEVEL)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Inserts a body or finds it by hash; returns (id, newly stored).
fn put_body(tx: &Connection, body: &[u8]) -> rusqlite::Result<(i64, bool)> {
    let sha = sha256(body);
    if let Some(id) = tx
        .query_row("SELECT id FROM bodies WHERE sha256 = ?1", [&sha[..]], |r| {
            r.get(0)
        })
        .optional()?
    {
        return Ok((id, false));
    }
    tx.execute(
        "INSERT INTO bodies (sha256, size, data) VALUES (?1, ?2, ?3)",
        params![&sha[..], body.len() as i64, zstd_bytes(body)?],
    )?;
    Ok((tx.last_insert_rowid(), true))
}

/// Inserts an extracted text (and indexes it) or finds it by hash.
fn put_text(tx: &Connection, text: &str) -> rusqlite::Result<i64> {
    let sha = sha256(text.as_bytes());
    if let Some(id) = tx
        .query_row("SELECT id FROM texts WHERE sha256 = ?1", [&sha[..]], |r| {
            r.get(0)
        })
        .optional()?
    {
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO texts (sha256, data) VALUES (?1, ?2)",
        params![&sha[..], zstd_bytes(text.as_bytes())?],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO texts_fts (rowid, body) VALUES (?1, ?2)",
        params![id, text],
    )?;
    Ok(id)
}

fn record_fetch_tx(tx: &Connection, rec: &FetchRecord) -> rusqlite::Result<Stored> {
    let mut stored = Stored::default();
    let mut version_id: Option<i64> = None;
    let body_len = rec.body.as_ref().map(|b| b.len() as i64);

    if let Some(body) = &rec.body {
        let (body_id, new_body) = put_body(tx, body)?;
        stored.body_id = Some(body_id);
        stored.new_body = new_body;
        if let (Some(page_id), Some(content)) = (rec.page_id, &rec.content) {
            let latest: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT v.id, v.body_id FROM pages p JOIN versions v ON v.id = p.latest_version
                     WHERE p.id = ?1",
                    [page_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match latest {
                Some((vid, latest_body)) if latest_body == body_id => {
                    tx.execute(
                        "UPDATE versions SET last_seen = ?2, seen_count = seen_count + 1 WHERE id = ?1",
                        params![vid, rec.fetched_at],
                    )?;
                    version_id = Some(vid);
                }
                _ => {
                    let text_id = put_text(tx, &content.text)?;
                    let links = if content.links.is_empty() {
                        None
                    } else {
                        Some(zstd_bytes(content.links.join("\n").as_bytes())?)
                    };
                    tx.execute(
                        "INSERT INTO versions (page_id, body_id, text_id, title, content_type, links,
                            documents, first_seen, last_seen)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                        params![
                            page_id,
                            body_id,
                            text_id,
                            content.title,
                            rec.content_type,
                            links,
                            content.documents.join("\n"),
                            rec.fetched_at
                        ],
                    )?;
                    let vid = tx.last_insert_rowid();
                    tx.execute(
                        "UPDATE pages SET latest_version = ?2 WHERE id = ?1",
                        params![page_id, vid],
                    )?;
                    version_id = Some(vid);
                    stored.new_version = true;
                }
            }
        }
    } else if rec.not_modified {
        if let Some(page_id) = rec.page_id {
            let latest: Option<i64> = tx
                .query_row(
                    "SELECT latest_version FROM pages WHERE id = ?1",
                    [page_id],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if let Some(vid) = latest {
                tx.execute(
                    "UPDATE versions SET last_seen = ?2, seen_count = seen_count + 1 WHERE id = ?1",
                    params![vid, rec.fetched_at],
                )?;
                version_id = Some(vid);
            }
        }
    }

    if rec.remember_validators {
        if let Some(page_id) = rec.page_id {
            tx.execute(
                "UPDATE pages SET etag = ?2, last_modified = ?3 WHERE id = ?1",
                params![page_id, rec.etag, rec.last_modified],
            )?;
        }
    }

    let hops = if rec.hops.is_empty() {
        None
    } else {
        serde_json::to_string(&rec.hops).ok()
    };
    let headers = if rec.headers.is_empty() {
        None
    } else {
        serde_json::to_string(&rec.headers).ok()
    };
    tx.execute(
        "INSERT INTO fetches (run_id, page_id, url, purpose, fetched_at, duration_ms, first_status,
            status, hops, final_url, etag, last_modified, content_type, headers, bytes, truncated,
            error, body_id, version_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        params![
            rec.run_id,
            rec.page_id,
            rec.url,
            rec.purpose,
            rec.fetched_at,
            rec.duration_ms,
            rec.first_status,
            rec.status,
            hops,
            rec.final_url,
            // Validators and content type are already on the page and version for 304s.
            if rec.not_modified { None } else { rec.etag.as_deref() },
            if rec.not_modified { None } else { rec.last_modified.as_deref() },
            if rec.not_modified { None } else { rec.content_type.as_deref() },
            headers,
            body_len,
            rec.truncated,
            rec.error,
            stored.body_id,
            version_id
        ],
    )?;
    stored.fetch_id = tx.last_insert_rowid();
    stored.version_id = version_id;
    Ok(stored)
}

fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_fetch(run: i64, page: i64, body: &[u8], text: &str) -> FetchRecord {
        FetchRecord {
            run_id: run,
            page_id: Some(page),
            purpose: "page",
            fetched_at: now_ms(),
            status: Some(200),
            first_status: Some(200),
            body: Some(body.to_vec()),
            content: Some(Content {
                title: "T".into(),
                text: text.into(),
                links: vec!["https://e.org/a".into()],
                documents: vec![],
            }),
            remember_validators: true,
            etag: Some("\"x\"".into()),
            ..Default::default()
        }
    }

    #[test]
    fn identical_bodies_extend_a_version_and_store_no_new_body() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("q.db")).unwrap();
        let run = s.begin_run("crawl").unwrap();
        let site = s.site("S").unwrap();
        let p = s.ensure_page(site.id, "https://e.org/", 0, false).unwrap();
        let a = s
            .record_fetch(&page_fetch(run, p.id, b"<p>one</p>", "one"))
            .unwrap();
        let b = s
            .record_fetch(&page_fetch(run, p.id, b"<p>one</p>", "one"))
            .unwrap();
        assert!(a.new_body && a.new_version);
        assert!(!b.new_body && !b.new_version);
        assert_eq!(a.version_id, b.version_id);
        let c = s
            .record_fetch(&page_fetch(run, p.id, b"<p>two</p>", "two"))
            .unwrap();
        assert!(c.new_version);
        let v = s.version(c.version_id.unwrap()).unwrap().unwrap();
        assert_eq!(v.text, "two");
        assert_eq!(v.links, vec!["https://e.org/a".to_string()]);
        assert_eq!(s.body(v.body_id).unwrap().unwrap(), b"<p>two</p>");
        let first = s.version(a.version_id.unwrap()).unwrap().unwrap();
        assert_eq!(first.seen_count, 2);
        assert_eq!(s.fetches_of_page(p.id).unwrap().len(), 3);
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn search_finds_text_and_rejects_bad_syntax() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("q.db")).unwrap();
        let run = s.begin_run("crawl").unwrap();
        let site = s.site("S").unwrap();
        let p = s.ensure_page(site.id, "https://e.org/", 0, false).unwrap();
        s.record_fetch(&page_fetch(run, p.id, b"a", "market engagement closed"))
            .unwrap();
        assert_eq!(
            s.search_text_ids("\"market engagement\"", 10)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(s.search_text_ids("engag*", 10).unwrap().len(), 1);
        assert!(matches!(
            s.search_text_ids("\"unterminated", 10),
            Err(StoreError::BadQuery { .. })
        ));
    }

    #[test]
    fn reopening_migrated_store_is_a_no_op_and_readonly_open_works() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        drop(Store::open(&path).unwrap());
        drop(Store::open(&path).unwrap());
        let ro = Store::open_readonly(&path).unwrap();
        assert!(ro.sites().unwrap().is_empty());
        assert!(matches!(
            Store::open_readonly(&dir.path().join("missing.db")),
            Err(StoreError::Missing(_))
        ));
    }
}
