//! Pages and the other URLs that lead to them (aliases: old addresses of a moved page,
//! redirecting URLs, trailing-slash twins).

use super::codec::{count, now_ms};
use super::rows::{PageListItem, PageRow};
use super::{Result, Store};
use crate::model::PageState;
use rusqlite::{params, OptionalExtension};
use std::collections::HashSet;

const PAGE_COLUMNS: &str =
    "id, site_id, url, is_document, depth, first_seen, state, state_since, reported_version, \
     latest_version, fail_streak, linked, redirect_to, etag, last_modified";

fn page_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PageRow> {
    Ok(PageRow {
        id: r.get(0)?,
        site_id: r.get(1)?,
        url: r.get(2)?,
        is_document: r.get(3)?,
        depth: r.get(4)?,
        first_seen: r.get(5)?,
        state: r.get(6)?,
        state_since: r.get(7)?,
        reported_version: r.get(8)?,
        latest_version: r.get(9)?,
        fail_streak: r.get(10)?,
        linked: r.get(11)?,
        redirect_to: r.get(12)?,
        etag: r.get(13)?,
        last_modified: r.get(14)?,
    })
}

impl Store {
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

    fn page_with_url(&self, url: &str) -> Result<Option<PageRow>> {
        self.q(|c| {
            c.query_row(
                &format!("SELECT {PAGE_COLUMNS} FROM pages WHERE url = ?1 ORDER BY id LIMIT 1"),
                [url],
                page_from_row,
            )
            .optional()
        })
    }

    /// The page a URL leads to in any site: its own URL, an alias (an old address of a moved
    /// page) or its trailing-slash twin.
    pub fn page_for_url(&self, url: &str) -> Result<Option<PageRow>> {
        if let Some(p) = self.page_with_url(url)? {
            return Ok(Some(p));
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
        match crate::urlnorm::trailing_slash_twin_str(url) {
            Some(twin) => self.page_with_url(&twin),
            None => Ok(None),
        }
    }

    /// Which of `urls` are pages of the archive (a linked document may be out of scope and
    /// never fetched: a link to its timeline would be a 404). One statement.
    pub fn urls_that_are_pages(&self, urls: &[&str]) -> Result<HashSet<String>> {
        if urls.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!(
            "SELECT url FROM pages WHERE url IN ({})",
            vec!["?"; urls.len()].join(",")
        );
        self.q(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map(rusqlite::params_from_iter(urls.iter()), |r| r.get(0))?;
            rows.collect()
        })
    }

    /// One page of a site's pages (optionally only those in one state), ordered by URL, with
    /// the latest version's title; and how many pages match in all (for pagination).
    pub fn page_list(
        &self,
        site_id: i64,
        state: Option<PageState>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<PageListItem>, u64)> {
        let state = state.map(PageState::as_str);
        self.q(|c| {
            let total = c.query_row(
                "SELECT COUNT(*) FROM pages WHERE site_id = ?1 AND (?2 IS NULL OR state = ?2)",
                params![site_id, state],
                |r| count(r, 0),
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
            Ok((rows.collect::<rusqlite::Result<Vec<_>>>()?, total))
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

    /// The other URLs that lead to a page, by URL.
    pub fn aliases_of_page(&self, page_id: i64) -> Result<Vec<String>> {
        self.q(|c| {
            let mut st = c.prepare("SELECT url FROM aliases WHERE page_id = ?1 ORDER BY url")?;
            let rows = st.query_map([page_id], |r| r.get(0))?;
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
}
