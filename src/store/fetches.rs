//! Storing a response, and reading fetch rows back.
//!
//! A response is stored in one transaction: its body (if new, keyed by SHA-256), its text
//! (if new, keyed by hash and indexed for search), the version it makes or extends, and the
//! fetch row. A crash leaves all of it or none.

use super::codec::{sha256, zstd_bytes, EncodedBody};
use super::rows::{Content, FetchMeta, FetchRecord, FetchRow, Stored};
use super::{Result, Store};
use rusqlite::{params, Connection, OptionalExtension};

const FETCH_COLUMNS: &str = "id, run_id, purpose, fetched_at, duration_ms, first_status, status, \
     hops, final_url, etag, last_modified, content_type, headers, bytes, truncated, error, \
     body_id, version_id, url, page_id";

fn fetch_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FetchRow> {
    let hops: Option<String> = r.get(7)?;
    let headers: Option<String> = r.get(12)?;
    Ok(FetchRow {
        id: r.get(0)?,
        meta: FetchMeta {
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
            truncated: r.get(14)?,
            error: r.get(15)?,
            url: r.get(18)?,
            page_id: r.get(19)?,
        },
        bytes: r.get::<_, Option<i64>>(13)?.map(|b| b.max(0) as u64),
        body_id: r.get(16)?,
        version_id: r.get(17)?,
    })
}

impl Store {
    /// Stores one response in one transaction (see the module docs).
    pub fn record_fetch(&mut self, rec: &FetchRecord) -> Result<Stored> {
        self.tx(|tx| record_fetch_tx(tx, rec))
    }

    fn fetch_rows(&self, tail: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<FetchRow>> {
        self.q(|c| {
            let mut st = c.prepare(&format!("SELECT {FETCH_COLUMNS} FROM fetches {tail}"))?;
            let rows = st.query_map(p, fetch_from_row)?;
            rows.collect()
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

    /// The newest `limit` fetches of a page that did not simply answer 2xx (network errors,
    /// 4xx/5xx, redirects), newest first.
    pub fn problem_fetches_of_page(&self, page_id: i64, limit: u32) -> Result<Vec<FetchRow>> {
        self.fetch_rows(
            "WHERE page_id = ?1 AND (error IS NOT NULL OR status IS NULL OR status >= 300
                OR first_status >= 300) ORDER BY id DESC LIMIT ?2",
            params![page_id, limit],
        )
    }

    /// The fetch that first stored a version (its time, status, headers).
    pub fn first_fetch_of_version(
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

    /// How often a page was fetched, and when first and last: (fetches, first, last).
    pub fn fetch_span_of_page(&self, page_id: i64) -> Result<(u64, Option<i64>, Option<i64>)> {
        self.q(|c| {
            c.query_row(
                "SELECT COUNT(*), MIN(fetched_at), MAX(fetched_at) FROM fetches WHERE page_id = ?1",
                [page_id],
                |r| Ok((super::codec::count(r, 0)?, r.get(1)?, r.get(2)?)),
            )
        })
    }
}

/// A body as the store gets it: raw bytes, or already encoded.
enum BodyIn<'a> {
    Raw(&'a [u8]),
    Encoded(&'a EncodedBody),
}

impl BodyIn<'_> {
    fn len(&self) -> usize {
        match self {
            BodyIn::Raw(b) => b.len(),
            BodyIn::Encoded(e) => e.len,
        }
    }
}

/// Inserts a body or finds it by hash; returns (id, newly stored).
fn put_body(tx: &Connection, body: BodyIn<'_>) -> rusqlite::Result<(i64, bool)> {
    let sha = match &body {
        BodyIn::Raw(b) => sha256(b),
        BodyIn::Encoded(e) => e.sha256,
    };
    if let Some(id) = tx
        .prepare_cached("SELECT id FROM bodies WHERE sha256 = ?1")?
        .query_row([&sha[..]], |r| r.get(0))
        .optional()?
    {
        return Ok((id, false));
    }
    let len = body.len() as i64;
    let mut insert =
        tx.prepare_cached("INSERT INTO bodies (sha256, size, data) VALUES (?1, ?2, ?3)")?;
    match body {
        BodyIn::Raw(b) => insert.execute(params![&sha[..], len, zstd_bytes(b)?])?,
        BodyIn::Encoded(e) => insert.execute(params![&sha[..], len, &e.zstd])?,
    };
    Ok((tx.last_insert_rowid(), true))
}

/// Inserts an extracted text (and indexes it) or finds it by hash.
pub(super) fn put_text(tx: &Connection, text: &str) -> rusqlite::Result<i64> {
    let sha = sha256(text.as_bytes());
    if let Some(id) = tx
        .prepare_cached("SELECT id FROM texts WHERE sha256 = ?1")?
        .query_row([&sha[..]], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO texts (sha256, data) VALUES (?1, ?2)")?
        .execute(params![&sha[..], zstd_bytes(text.as_bytes())?])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO texts_fts (rowid, body) VALUES (?1, ?2)")?
        .execute(params![id, text])?;
    Ok(id)
}

pub(super) fn record_fetch_tx(tx: &Connection, rec: &FetchRecord) -> rusqlite::Result<Stored> {
    let mut stored = Stored::default();
    let body = match (&rec.encoded, &rec.body) {
        (Some(e), _) => Some(BodyIn::Encoded(e)),
        (None, Some(b)) => Some(BodyIn::Raw(b)),
        (None, None) => None,
    };
    let body_len = body.as_ref().map(|b| b.len() as i64);
    if let Some(body) = body {
        let (body_id, new_body) = put_body(tx, body)?;
        stored.body_id = Some(body_id);
        stored.new_body = new_body;
        if let (Some(page_id), Some(content)) = (rec.meta.page_id, &rec.content) {
            let (vid, new_version) = file_version(tx, page_id, body_id, content, &rec.meta)?;
            stored.version_id = Some(vid);
            stored.new_version = new_version;
        }
    } else if rec.not_modified {
        if let Some(page_id) = rec.meta.page_id {
            let latest: Option<i64> = tx
                .prepare_cached("SELECT latest_version FROM pages WHERE id = ?1")?
                .query_row([page_id], |r| r.get(0))
                .optional()?
                .flatten();
            if let Some(vid) = latest {
                seen_again(tx, vid, rec.meta.fetched_at)?;
                stored.version_id = Some(vid);
            }
        }
    }
    if rec.remember_validators {
        if let Some(page_id) = rec.meta.page_id {
            tx.prepare_cached("UPDATE pages SET etag = ?2, last_modified = ?3 WHERE id = ?1")?
                .execute(params![page_id, rec.meta.etag, rec.meta.last_modified])?;
        }
    }
    stored.fetch_id = insert_fetch(tx, rec, body_len, &stored)?;
    Ok(stored)
}

/// A version's span grows by one sighting.
fn seen_again(tx: &Connection, version_id: i64, at: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE versions SET last_seen = ?2, seen_count = seen_count + 1 WHERE id = ?1",
    )?
    .execute(params![version_id, at])?;
    Ok(())
}

/// The version a body makes at a page: the latest one again when the bytes are the same,
/// else a new one (with its text stored once per hash). Returns (id, new).
fn file_version(
    tx: &Connection,
    page_id: i64,
    body_id: i64,
    content: &Content,
    meta: &FetchMeta,
) -> rusqlite::Result<(i64, bool)> {
    let latest: Option<(i64, i64)> = tx
        .prepare_cached(
            "SELECT v.id, v.body_id FROM pages p JOIN versions v ON v.id = p.latest_version
             WHERE p.id = ?1",
        )?
        .query_row([page_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((vid, latest_body)) = latest {
        if latest_body == body_id {
            seen_again(tx, vid, meta.fetched_at)?;
            return Ok((vid, false));
        }
    }
    let text_id = put_text(tx, &content.text)?;
    let links = if content.links.is_empty() {
        None
    } else {
        Some(zstd_bytes(content.links.join("\n").as_bytes())?)
    };
    tx.prepare_cached(
        "INSERT INTO versions (page_id, body_id, text_id, title, content_type, links,
            documents, first_seen, last_seen, facts, agreement, text_status, text_note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        page_id,
        body_id,
        text_id,
        content.title,
        meta.content_type,
        links,
        content.documents.join("\n"),
        meta.fetched_at,
        super::facts::version_facts_json(&content.facts),
        super::facts::agreement_json(&content.facts),
        content.text_status.as_str(),
        content.text_status.reason(),
    ])?;
    let vid = tx.last_insert_rowid();
    tx.prepare_cached("UPDATE pages SET latest_version = ?2 WHERE id = ?1")?
        .execute(params![page_id, vid])?;
    Ok((vid, true))
}

/// A list column as JSON; `NULL` when empty.
fn json_list<T: serde::Serialize>(items: &[T]) -> Option<String> {
    if items.is_empty() {
        None
    } else {
        serde_json::to_string(items).ok()
    }
}

/// The fetch row itself.
fn insert_fetch(
    tx: &Connection,
    rec: &FetchRecord,
    body_len: Option<i64>,
    stored: &Stored,
) -> rusqlite::Result<i64> {
    let m = &rec.meta;
    let hops = json_list(&m.hops);
    let headers = json_list(&m.headers);
    // Validators and content type are already on the page and version for 304s.
    let unless_304 = |v: &Option<String>| if rec.not_modified { None } else { v.clone() };
    tx.prepare_cached("INSERT INTO fetches (run_id, page_id, url, purpose, fetched_at, duration_ms, first_status,
            status, hops, final_url, etag, last_modified, content_type, headers, bytes, truncated,
            error, body_id, version_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)")?.execute(
        params![
            m.run_id,
            m.page_id,
            m.url,
            m.purpose,
            m.fetched_at,
            m.duration_ms,
            m.first_status,
            m.status,
            hops,
            m.final_url,
            unless_304(&m.etag),
            unless_304(&m.last_modified),
            unless_304(&m.content_type),
            headers,
            body_len,
            m.truncated,
            m.error,
            stored.body_id,
            stored.version_id
        ],
    )?;
    Ok(tx.last_insert_rowid())
}
