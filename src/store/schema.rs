//! The schema: one migration step per element of [`MIGRATIONS`], applied in order and
//! counted in `PRAGMA user_version`.
//!
//! Steps are never edited once released, only appended, so any archive written by an older
//! quietwatch opens in a newer one; an archive from a newer quietwatch is refused
//! ([`super::StoreError::TooNew`]) rather than misread.

use super::{sqlite, Result, StoreError};
use rusqlite::Connection;
use std::path::Path;

/// The schema, one step per element; `PRAGMA user_version` says how many have been applied.
/// Steps are never edited once released, only appended.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
-- Delivery channels beside the mail digest (webhooks, by their configured name). Each has its
-- own "delivered" mark per change, set only after the channel accepted it. A channel owns the
-- changes filed after it first appeared, so a new webhook is not flooded with history.
CREATE TABLE channels (
    name        TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    after_change INTEGER NOT NULL            -- the channel delivers changes with a larger id
);
CREATE TABLE deliveries (
    channel     TEXT NOT NULL REFERENCES channels(name),
    change_id   INTEGER NOT NULL REFERENCES changes(id),
    delivered_at INTEGER NOT NULL,
    sent        INTEGER NOT NULL,            -- 0: settled unsent (below the channel's min_significance)
    PRIMARY KEY (channel, change_id)
) WITHOUT ROWID;
"#,
    r#"
-- Facts (SPEC.md "Facts"). Each version keeps the facts read from it, as JSON (a list of
-- Fact), so history, the register and `--at` never parse a page again; per version, not
-- per text, because link facts are not in the text. NULL: no facts (or stored before facts
-- were kept). A change keeps the fact changes it reported (a JSON list of FactChange).
ALTER TABLE versions ADD COLUMN facts TEXT;
-- The same version's facts without its links, only when it states a reference or an end
-- date: what the register (`quietwatch facts`) and "ending soon" read, so listing 5,000
-- agreements parses no link and skips every page that is not one.
ALTER TABLE versions ADD COLUMN agreement TEXT;
ALTER TABLE changes ADD COLUMN facts TEXT;
"#,
    r#"
-- Watched phrases (issue 10): the `[[watch]]` phrase a phrase_appeared / phrase_disappeared
-- record is about; null for every other kind.
ALTER TABLE changes ADD COLUMN phrase TEXT;
-- "Ending soon" (issue 10): the end date last announced for each agreement (subject
-- 'end_date') or lot (subject 'lot:ID') of a page, so each is announced once per end date.
-- Written in the same transaction as the `ending` record that announces it.
CREATE TABLE ending_notices (
    page_id     INTEGER NOT NULL REFERENCES pages(id),
    subject     TEXT NOT NULL,
    end_date    TEXT NOT NULL,            -- ISO date (YYYY-MM-DD) announced
    change_id   INTEGER NOT NULL REFERENCES changes(id),
    PRIMARY KEY (page_id, subject)
) WITHOUT ROWID;
"#,
    r#"
-- Documents are read (issue 9): each version says whether its text is the body's text.
-- text_status: read | unavailable (text_note says why: "encrypted PDF") | not_read.
-- Versions stored before this step that were not HTML (documents, and bodies served with any
-- other type: the DOCX/XLSX that an older build parsed as HTML) are not_read; the repair
-- (analyse::repair) reads them from their stored bodies in place, which adds no version and
-- so reports nothing, and takes an HTML reading of a document out of texts and the index.
ALTER TABLE versions ADD COLUMN text_status TEXT NOT NULL DEFAULT 'read';
ALTER TABLE versions ADD COLUMN text_note TEXT;
UPDATE versions SET text_status = 'not_read'
 WHERE page_id IN (SELECT id FROM pages WHERE is_document = 1)
    OR (content_type IS NOT NULL
        AND lower(trim(substr(content_type, 1, instr(content_type || ';', ';') - 1)))
            NOT IN ('text/html', 'application/xhtml+xml'));
CREATE INDEX versions_not_read ON versions(id) WHERE text_status = 'not_read';
"#,
];

/// The schema version this build writes.
pub(super) fn known() -> i64 {
    MIGRATIONS.len() as i64
}

/// The archive's schema version, refused when it is newer than this build knows.
pub(super) fn check_version(conn: &Connection, path: &Path) -> Result<i64> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| sqlite(path, e))?;
    if version > known() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: known(),
        });
    }
    Ok(version)
}

/// Applies every step the archive has not had yet, each in its own transaction.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let version = check_version(conn, path)?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let next = i as i64 + 1;
        let tx = conn.transaction().map_err(|e| sqlite(path, e))?;
        tx.execute_batch(step).map_err(|e| sqlite(path, e))?;
        tx.pragma_update(None, "user_version", next)
            .map_err(|e| sqlite(path, e))?;
        tx.commit().map_err(|e| sqlite(path, e))?;
        tracing::info!(db = %path.display(), version = next, "database schema migrated");
    }
    Ok(())
}
