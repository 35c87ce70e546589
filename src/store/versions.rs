//! Versions (runs of identical bodies at one page) and the bodies they point at.
//!
//! Listings read [`VersionSpan`]s, which cost no decompression; only [`Store::version`]
//! decompresses a text. Bodies leave the store as evidence only through
//! [`Store::verified_body`], which checks them against the SHA-256 recorded when they were
//! stored.

use super::codec::{count, hash32, sha256, split_lines};
use super::rows::{TextStatus, Version, VersionSpan};
use super::{Result, Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// The span columns, from `versions v JOIN bodies b ON b.id = v.body_id`.
const SPAN_COLUMNS: &str = "v.id, v.page_id, v.body_id, v.text_id, b.sha256, b.size, v.title, \
     v.content_type, v.first_seen, v.last_seen, v.seen_count, v.text_status, v.text_note";
const SPAN_FROM: &str = "FROM versions v JOIN bodies b ON b.id = v.body_id";

fn span_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VersionSpan> {
    Ok(VersionSpan {
        id: r.get(0)?,
        page_id: r.get(1)?,
        body_id: r.get(2)?,
        text_id: r.get(3)?,
        body_sha256: hash32(&r.get::<_, Vec<u8>>(4)?),
        body_size: count(r, 5)?,
        title: r.get(6)?,
        content_type: r.get(7)?,
        first_seen: r.get(8)?,
        last_seen: r.get(9)?,
        seen_count: count(r, 10)?,
        text_status: text_status(r, 11)?,
    })
}

/// The `text_status`/`text_note` pair at `idx`, `idx + 1`; an unknown name is corruption.
pub(super) fn text_status(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<TextStatus> {
    let name: String = r.get(idx)?;
    let note: Option<String> = r.get(idx + 1)?;
    match name.as_str() {
        "read" => Ok(TextStatus::Read),
        "unavailable" => Ok(TextStatus::Unavailable(note.unwrap_or_default())),
        "not_read" => Ok(TextStatus::NotRead),
        other => Err(rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unknown text status {other:?}").into(),
        )),
    }
}

impl Store {
    /// One version's span.
    pub fn version_span(&self, id: i64) -> Result<Option<VersionSpan>> {
        self.q(|c| {
            c.query_row(
                &format!("SELECT {SPAN_COLUMNS} {SPAN_FROM} WHERE v.id = ?1"),
                [id],
                span_from_row,
            )
            .optional()
        })
    }

    /// Whether two versions read the same: the same compared text (read from the body on
    /// both sides), title, linked documents and facts (a link fact is not in the text). Detection asks this before loading either text: a page whose only change is
    /// noise (a footer timestamp, a rotating token) then costs one row read, no decompression
    /// and no diff. `false` when either version is unknown or has no text.
    pub fn versions_read_alike(&self, a: i64, b: i64) -> Result<bool> {
        self.q(|c| {
            c.prepare_cached(
                "SELECT x.text_id IS NOT NULL AND x.text_id = y.text_id AND x.title = y.title
                        AND x.documents IS y.documents AND x.facts IS y.facts
                        AND x.text_status = 'read' AND y.text_status = 'read'
                 FROM versions x, versions y WHERE x.id = ?1 AND y.id = ?2",
            )?
            .query_row([a, b], |r| r.get::<_, bool>(0))
            .optional()
            .map(|same| same.unwrap_or(false))
        })
    }

    /// A version with its text, links and documents.
    pub fn version(&self, id: i64) -> Result<Option<Version>> {
        let row = self.q(|c| {
            c.query_row(
                &format!(
                    "SELECT {SPAN_COLUMNS}, t.data, v.links, v.documents, v.facts {SPAN_FROM}
                     LEFT JOIN texts t ON t.id = v.text_id WHERE v.id = ?1"
                ),
                [id],
                |r| {
                    Ok((
                        span_from_row(r)?,
                        r.get::<_, Option<Vec<u8>>>(13)?,
                        r.get::<_, Option<Vec<u8>>>(14)?,
                        r.get::<_, Option<String>>(15)?,
                        r.get::<_, Option<String>>(16)?,
                    ))
                },
            )
            .optional()
        })?;
        let Some((span, text, links, documents, facts)) = row else {
            return Ok(None);
        };
        let facts_read = facts.is_some();
        let facts = match facts {
            Some(j) => serde_json::from_str(&j)
                .map_err(|e| self.corrupt(format!("facts of version {id} do not read: {e}")))?,
            None => Vec::new(),
        };
        let text = match text {
            Some(z) => self.unzstd_text(&z)?,
            None => String::new(),
        };
        let links = match links {
            Some(z) => split_lines(&self.unzstd_text(&z)?),
            None => Vec::new(),
        };
        Ok(Some(Version {
            span,
            text,
            links,
            documents: split_lines(&documents.unwrap_or_default()),
            facts,
            facts_read,
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

    /// The versions of a page, oldest first, without their texts.
    pub fn versions_of_page(&self, page_id: i64) -> Result<Vec<VersionSpan>> {
        self.q(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {SPAN_COLUMNS} {SPAN_FROM} WHERE v.page_id = ?1 ORDER BY v.id"
            ))?;
            let rows = st.query_map([page_id], span_from_row)?;
            rows.collect()
        })
    }

    /// The newest `limit` versions of a page (returned oldest first), and how many versions
    /// the page has in all.
    pub fn latest_versions_of_page(
        &self,
        page_id: i64,
        limit: u32,
    ) -> Result<(Vec<VersionSpan>, u64)> {
        self.q(|c| {
            let total = c.query_row(
                "SELECT COUNT(*) FROM versions WHERE page_id = ?1",
                [page_id],
                |r| count(r, 0),
            )?;
            let mut st = c.prepare(&format!(
                "SELECT {SPAN_COLUMNS} {SPAN_FROM} WHERE v.page_id = ?1 ORDER BY v.id DESC LIMIT ?2"
            ))?;
            let rows = st.query_map(params![page_id, limit], span_from_row)?;
            let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            out.reverse();
            Ok((out, total))
        })
    }

    /// When a page's first version was seen (`None`: it has none).
    pub fn first_version_seen(&self, page_id: i64) -> Result<Option<i64>> {
        self.q(|c| {
            c.query_row(
                "SELECT MIN(first_seen) FROM versions WHERE page_id = ?1",
                [page_id],
                |r| r.get(0),
            )
        })
    }

    /// The version of a page that was live at `at_ms`: the latest whose `first_seen` is at or
    /// before that moment.
    pub fn version_live_at(&self, page_id: i64, at_ms: i64) -> Result<Option<i64>> {
        self.q(|c| {
            c.query_row(
                "SELECT id FROM versions WHERE page_id = ?1 AND first_seen <= ?2
                 ORDER BY first_seen DESC, id DESC LIMIT 1",
                params![page_id, at_ms],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// The versions of a page just before and just after `version_id`.
    pub fn neighbour_versions(
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

    /// The first version of a page after `version_id`: (id, first_seen).
    pub fn next_version(&self, page_id: i64, version_id: i64) -> Result<Option<(i64, i64)>> {
        self.q(|c| {
            c.query_row(
                "SELECT id, first_seen FROM versions WHERE page_id = ?1 AND id > ?2
                 ORDER BY id LIMIT 1",
                params![page_id, version_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
    }

    /// The raw bytes of a stored body, exactly as served (after content-encoding), not
    /// checked: detection and extraction read through this; evidence goes through
    /// [`Store::verified_body`].
    pub fn body(&self, body_id: i64) -> Result<Option<Vec<u8>>> {
        let z: Option<Vec<u8>> = self.q(|c| {
            c.query_row("SELECT data FROM bodies WHERE id = ?1", [body_id], |r| {
                r.get(0)
            })
            .optional()
        })?;
        match z {
            None => Ok(None),
            Some(z) => super::codec::unzstd(&z, super::codec::MAX_BLOB_BYTES)
                .map(Some)
                .map_err(|e| self.corrupt(format!("body {body_id} does not decompress: {e}"))),
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
        let expected: Option<Vec<u8>> = self.q(|c| {
            c.query_row("SELECT sha256 FROM bodies WHERE id = ?1", [body_id], |r| {
                r.get(0)
            })
            .optional()
        })?;
        let expected = expected.unwrap_or_default();
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
}
