//! Documents' texts: which versions have not been read yet, filing what their repair found,
//! and the questions the digest asks about a document (which pages link to it).
//!
//! Archives written before documents were read hold versions whose text is empty (a PDF
//! kept only for its bytes) or wrong (a DOCX served as `application/vnd.openxml…` that an
//! older build parsed as HTML, zip bytes and all, into `texts` and the search index). The
//! migration marked them `not_read`; [`Store::file_text_repair`] gives a version its text in
//! place — no new version, so detection has nothing to compare and reports nothing — and takes
//! a text no version uses any more out of `texts` and the full-text index.

use super::codec::{hash32, unzstd, MAX_BLOB_BYTES};
use super::fetches::put_text;
use super::rows::{TextRepair, UnreadVersion};
use super::{Result, Store};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

impl Store {
    /// Versions stored before documents were read, at most `limit`: those detection compares
    /// against first (each page's latest and reported versions), then the newest.
    pub fn versions_not_read(&self, limit: u32) -> Result<Vec<UnreadVersion>> {
        self.q(|c| {
            let mut st = c.prepare(
                "SELECT v.id, v.page_id, v.body_id, p.url, v.content_type, v.title
                 FROM versions v JOIN pages p ON p.id = v.page_id
                 WHERE v.text_status = 'not_read'
                 ORDER BY (v.id IN (SELECT latest_version FROM pages WHERE latest_version IS NOT NULL)
                        OR v.id IN (SELECT reported_version FROM pages WHERE reported_version IS NOT NULL)) DESC,
                          v.id DESC
                 LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| {
                Ok(UnreadVersion {
                    id: r.get(0)?,
                    page_id: r.get(1)?,
                    body_id: r.get(2)?,
                    url: r.get(3)?,
                    content_type: r.get(4)?,
                    title: r.get(5)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Files what reading a version's body again found, in one transaction.
    pub fn file_text_repair(&mut self, repair: &TextRepair) -> Result<()> {
        self.tx(|tx| repair_tx(tx, repair))
    }

    /// The SHA-256 of each page's latest body, for a site: a recheck that receives the same
    /// bytes has nothing new to read.
    pub fn latest_body_sha256_by_page(&self, site_id: i64) -> Result<HashMap<i64, [u8; 32]>> {
        self.q(|c| {
            let mut st = c.prepare(
                "SELECT p.id, b.sha256 FROM pages p
                 JOIN versions v ON v.id = p.latest_version
                 JOIN bodies b ON b.id = v.body_id
                 WHERE p.site_id = ?1",
            )?;
            let rows = st.query_map([site_id], |r| {
                Ok((r.get::<_, i64>(0)?, hash32(&r.get::<_, Vec<u8>>(1)?)))
            })?;
            rows.collect()
        })
    }

    /// The pages of the same site that link to `url` as a document, the most recent link
    /// first (a page whose latest version links it before one that once did), at most
    /// `limit`.
    pub fn pages_linking_to(&self, url: &str, limit: u32) -> Result<Vec<String>> {
        self.q(|c| {
            let mut st = c.prepare(
                "SELECT p.url, MAX(v.id) AS newest FROM versions v
                 JOIN pages p ON p.id = v.page_id
                 WHERE v.documents IS NOT NULL AND v.documents != ''
                   AND instr(char(10) || v.documents || char(10), char(10) || ?1 || char(10)) > 0
                   AND p.url != ?1
                   AND p.site_id IN (SELECT site_id FROM pages WHERE url = ?1)
                 GROUP BY p.id
                 ORDER BY (p.latest_version = newest) DESC, newest DESC LIMIT ?2",
            )?;
            let rows = st.query_map(params![url, limit], |r| r.get(0))?;
            rows.collect()
        })
    }
}

fn repair_tx(tx: &Connection, repair: &TextRepair) -> rusqlite::Result<()> {
    if let Some(text) = &repair.text {
        let old: Option<i64> = tx
            .query_row(
                "SELECT text_id FROM versions WHERE id = ?1",
                [repair.version_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let new = put_text(tx, text)?;
        tx.execute(
            "UPDATE versions SET text_id = ?2 WHERE id = ?1",
            params![repair.version_id, new],
        )?;
        if let Some(old) = old.filter(|o| *o != new) {
            drop_text_if_unused(tx, old)?;
        }
    }
    if let Some(title) = &repair.title {
        tx.execute(
            "UPDATE versions SET title = ?2 WHERE id = ?1",
            params![repair.version_id, title],
        )?;
    }
    if let Some(facts) = &repair.facts {
        tx.execute(
            "UPDATE versions SET facts = ?2, agreement = ?3 WHERE id = ?1",
            params![
                repair.version_id,
                super::facts::version_facts_json(facts),
                super::facts::agreement_json(facts)
            ],
        )?;
    }
    if repair.clear_links {
        tx.execute(
            "UPDATE versions SET links = NULL, documents = '' WHERE id = ?1",
            [repair.version_id],
        )?;
    }
    tx.execute(
        "UPDATE versions SET text_status = ?2, text_note = ?3 WHERE id = ?1",
        params![
            repair.version_id,
            repair.status.as_str(),
            repair.status.reason()
        ],
    )?;
    Ok(())
}

/// Removes a text that no version carries any more from `texts` and from the index. The
/// index is contentless, so its entry is deleted by handing it the text it indexed.
fn drop_text_if_unused(tx: &Connection, text_id: i64) -> rusqlite::Result<()> {
    let used: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM versions WHERE text_id = ?1)",
        [text_id],
        |r| r.get(0),
    )?;
    if used {
        return Ok(());
    }
    let z: Option<Vec<u8>> = tx
        .query_row("SELECT data FROM texts WHERE id = ?1", [text_id], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(z) = z {
        let text = unzstd(&z, MAX_BLOB_BYTES)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        tx.execute(
            "INSERT INTO texts_fts (texts_fts, rowid, body) VALUES ('delete', ?1, ?2)",
            params![text_id, String::from_utf8_lossy(&text)],
        )?;
    }
    tx.execute("DELETE FROM texts WHERE id = ?1", [text_id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Content, FetchMeta, FetchRecord, TextStatus};

    fn fetch(run: i64, page: i64, body: &[u8], ct: &str, content: Content) -> FetchRecord {
        FetchRecord {
            meta: FetchMeta {
                run_id: run,
                page_id: Some(page),
                status: Some(200),
                content_type: Some(ct.into()),
                ..Default::default()
            },
            body: Some(body.to_vec()),
            content: Some(content),
            ..Default::default()
        }
    }

    #[test]
    fn a_repair_replaces_a_misread_text_and_takes_it_out_of_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("q.db")).unwrap();
        let run = s.begin_run("crawl").unwrap();
        let site = s.site("S").unwrap();
        let page = s
            .ensure_page(site.id, "https://e.org/prices.xlsx", 0, true)
            .unwrap();
        let garbage = Content {
            title: "garbage".into(),
            text: "PK zipgarbage Content_Types".into(),
            links: vec!["https://e.org/x".into()],
            ..Default::default()
        };
        let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        let v = s
            .record_fetch(&fetch(run, page.id, b"PK\x03\x04", ct, garbage))
            .unwrap()
            .version_id
            .unwrap();
        assert_eq!(s.search_text_ids("zipgarbage", 10).unwrap().len(), 1);
        s.file_text_repair(&TextRepair {
            version_id: v,
            text: Some("# Sheet: Rates\nSenior consultant | £650".into()),
            title: Some("prices.xlsx".into()),
            clear_links: true,
            facts: Some(Vec::new()),
            status: TextStatus::Read,
        })
        .unwrap();
        assert!(s.search_text_ids("zipgarbage", 10).unwrap().is_empty());
        assert_eq!(s.search_text_ids("consultant", 10).unwrap().len(), 1);
        let got = s.version(v).unwrap().unwrap();
        assert_eq!(got.span.title, "prices.xlsx");
        assert_eq!(got.span.text_status, TextStatus::Read);
        assert!(got.links.is_empty() && got.text.contains("£650"));
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn unreadable_versions_keep_their_reason_and_new_ones_need_no_repair() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("q.db")).unwrap();
        let run = s.begin_run("crawl").unwrap();
        let site = s.site("S").unwrap();
        let page = s
            .ensure_page(site.id, "https://e.org/a.pdf", 0, true)
            .unwrap();
        let content = Content {
            title: "a.pdf".into(),
            text_status: TextStatus::Unavailable("encrypted PDF".into()),
            ..Default::default()
        };
        let v = s
            .record_fetch(&fetch(
                run,
                page.id,
                b"%PDF-1.4",
                "application/pdf",
                content,
            ))
            .unwrap()
            .version_id
            .unwrap();
        let span = s.version_span(v).unwrap().unwrap();
        assert_eq!(
            span.text_status,
            TextStatus::Unavailable("encrypted PDF".into())
        );
        assert!(s.versions_not_read(10).unwrap().is_empty());
        let latest = s.latest_body_sha256_by_page(site.id).unwrap();
        assert_eq!(latest.get(&page.id), Some(&span.body_sha256));
    }

    #[test]
    fn pages_linking_to_a_document_prefer_a_current_link() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("q.db")).unwrap();
        let run = s.begin_run("crawl").unwrap();
        let site = s.site("S").unwrap();
        let doc = "https://e.org/a.pdf";
        s.ensure_page(site.id, doc, 1, true).unwrap();
        for (url, docs) in [
            ("https://e.org/old", vec![doc.to_string()]),
            (
                "https://e.org/now",
                vec!["https://e.org/b.pdf".into(), doc.into()],
            ),
            ("https://e.org/none", vec![]),
        ] {
            let p = s.ensure_page(site.id, url, 0, false).unwrap();
            let content = Content {
                title: url.into(),
                documents: docs,
                ..Default::default()
            };
            s.record_fetch(&fetch(run, p.id, url.as_bytes(), "text/html", content))
                .unwrap();
        }
        // The old page then stops linking it.
        let old = s.page_for_url("https://e.org/old").unwrap().unwrap();
        s.record_fetch(&fetch(run, old.id, b"new", "text/html", Content::default()))
            .unwrap();
        assert_eq!(
            s.pages_linking_to(doc, 5).unwrap(),
            vec![
                "https://e.org/now".to_string(),
                "https://e.org/old".to_string()
            ]
        );
        assert!(s
            .pages_linking_to("https://e.org/zzz.pdf", 5)
            .unwrap()
            .is_empty());
    }
}
