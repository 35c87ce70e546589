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
//! - **The store owns its SQL.** Every statement lives in this folder, and read queries are
//!   named for the question they answer (`versions_of_page`, `page_for_url`,
//!   `text_matches`…), not for their caller. The connection never leaves: readers open the
//!   file read-only ([`Store::open_readonly`]) and ask through these methods.
//!
//! Files: [`schema`] (migrations), [`codec`] (times, hashes, compression, enums by name),
//! [`rows`] (the record types), then one file per table family — `runs` (runs, sites,
//! site-runs), `pages` (pages and aliases), `fetches` (storing a response; fetch rows),
//! `versions` (versions and bodies), `changes` (detection's filing, change queries,
//! digests), `endings` (what "ending soon" announced), `search` (the full-text index).

mod changes;
pub mod codec;
mod endings;
mod facts;
mod fetches;
mod pages;
pub mod rows;
mod runs;
mod schema;
mod search;
mod texts;
mod versions;

pub use codec::{format_ms, now_ms, sha256, to_ms, EncodedBody};
pub use endings::NewEnding;
pub use rows::*;

use rusqlite::{Connection, OpenFlags};
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
    /// A value the store cannot read back (an unknown state or kind, a body that does not
    /// decompress): the archive is damaged or was written by something else.
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
        let mut conn = Connection::open(path).map_err(|e| sqlite(path, e))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| sqlite(path, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(|e| sqlite(path, e))?;
        schema::migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing archive for reading only (history, show, search, serve); never
    /// creates a file and never takes a write lock, so it runs beside a crawl. Any write
    /// through it fails in SQLite itself.
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
        schema::check_version(&conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA integrity_check`: "ok" on a sound file.
    pub fn integrity_check(&self) -> Result<String> {
        self.q(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
    }

    /// Runs one read (or a single-statement write) and names the file in any error.
    fn q<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&self.conn).map_err(|e| sqlite(&self.path, e))
    }

    /// Runs `f` in one transaction, committed only if it succeeds.
    fn tx<T>(&mut self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let out = f(&tx).map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(out)
    }

    fn corrupt(&self, message: String) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            message,
        }
    }

    fn unzstd_text(&self, z: &[u8]) -> Result<String> {
        let bytes = codec::unzstd(z, codec::MAX_BLOB_BYTES)
            .map_err(|e| self.corrupt(format!("stored text does not decompress: {e}")))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Names the file in an SQLite error; a value that does not convert (an unknown name in an
/// enum column) is corruption, not a query failure.
fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
    match source {
        rusqlite::Error::FromSqlConversionFailure(col, _, e) => StoreError::Corrupt {
            path: path.to_path_buf(),
            message: format!("column {col}: {e}"),
        },
        source => StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_fetch(run: i64, page: i64, body: &[u8], text: &str) -> FetchRecord {
        FetchRecord {
            meta: FetchMeta {
                run_id: run,
                page_id: Some(page),
                fetched_at: now_ms(),
                status: Some(200),
                first_status: Some(200),
                etag: Some("\"x\"".into()),
                ..Default::default()
            },
            body: Some(body.to_vec()),
            content: Some(Content {
                facts: Vec::new(),
                title: "T".into(),
                text: text.into(),
                links: vec!["https://e.org/a".into()],
                documents: vec![],
                ..Default::default()
            }),
            remember_validators: true,
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
        assert_eq!(s.body(v.span.body_id).unwrap().unwrap(), b"<p>two</p>");
        let first = s.version(a.version_id.unwrap()).unwrap().unwrap();
        assert_eq!(first.span.seen_count, 2);
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
    fn an_unknown_state_is_corruption_not_a_guess() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let s = Store::open(&path).unwrap();
        let site = s.site("S").unwrap();
        let p = s.ensure_page(site.id, "https://e.org/", 0, false).unwrap();
        s.q(|c| c.execute("UPDATE pages SET state = 'gone-ish' WHERE id = ?1", [p.id]))
            .unwrap();
        let err = s.page(p.id).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("gone-ish"), "{err}");
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
