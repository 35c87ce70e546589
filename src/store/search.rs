//! The full-text index: every distinct text is indexed once (contentless FTS5), and a match
//! leads to the versions that carry that text without decompressing any of them.

use super::rows::TextMatch;
use super::{Result, Store, StoreError};
use rusqlite::params;

/// Whether SQLite refused the query itself (FTS5 syntax), rather than failed.
fn is_query_error(e: &rusqlite::Error) -> bool {
    let msg = e.to_string();
    msg.contains("fts5")
        || msg.contains("syntax error")
        || msg.contains("no such column")
        || msg.contains("unterminated")
}

impl Store {
    fn fts<T>(
        &self,
        query: &str,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        match self.q(f) {
            Err(StoreError::Sqlite { source, .. }) if is_query_error(&source) => {
                Err(StoreError::BadQuery {
                    query: query.to_string(),
                    message: source.to_string(),
                })
            }
            other => other,
        }
    }

    /// Text ids whose text matches an FTS5 query (phrase `"a b"`, prefix `foo*`).
    pub fn search_text_ids(&self, query: &str, limit: u32) -> Result<Vec<i64>> {
        self.fts(query, |c| {
            let mut st = c.prepare(
                "SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?1 ORDER BY rowid LIMIT ?2",
            )?;
            let rows = st.query_map(params![query, limit], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<Vec<i64>>>()
        })
    }

    /// Every version whose text matches an FTS5 query, with its page, ordered by page then
    /// version, handed to `visit` one at a time (a common word on a large archive matches a
    /// great many versions); at most `limit` rows. Returns how many were visited.
    pub fn text_matches(
        &self,
        query: &str,
        limit: usize,
        mut visit: impl FnMut(TextMatch),
    ) -> Result<usize> {
        self.fts(query, |c| {
            let mut st = c.prepare(
                "SELECT v.id, v.page_id, v.first_seen, v.last_seen,
                        p.url, s.name, p.state, p.state_since, p.latest_version, lv.title
                 FROM versions v
                 JOIN pages p ON p.id = v.page_id
                 JOIN sites s ON s.id = p.site_id
                 LEFT JOIN versions lv ON lv.id = p.latest_version
                 WHERE v.text_id IN (SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?1)
                 ORDER BY v.page_id, v.id LIMIT ?2",
            )?;
            let mut rows = st.query(params![query, limit.min(i64::MAX as usize) as i64])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                n += 1;
                visit(TextMatch {
                    version_id: r.get(0)?,
                    page_id: r.get(1)?,
                    first_seen: r.get(2)?,
                    last_seen: r.get(3)?,
                    url: r.get(4)?,
                    site: r.get(5)?,
                    state: r.get(6)?,
                    state_since: r.get(7)?,
                    latest_version: r.get(8)?,
                    latest_title: r.get(9)?,
                });
            }
            Ok(n)
        })
    }
}
