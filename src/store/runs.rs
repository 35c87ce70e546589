//! Runs, sites and each site's part of a run.

use super::codec::{count, now_ms};
use super::rows::{RunRow, SiteOverview, SiteRow, SiteRunRecord, SiteRunRow};
use super::{Result, Store};
use crate::model::{PageState, SiteOutcome};
use rusqlite::{params, Connection, OptionalExtension};

const SITE_COLUMNS: &str = "id, name, baseline_at";

fn site_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SiteRow> {
    Ok(SiteRow {
        id: r.get(0)?,
        name: r.get(1)?,
        baseline_at: r.get(2)?,
    })
}

/// `run_id, site name, outcome, pages, fetched, not_modified, failed, changes, error,
/// finished_at` from `site_runs r JOIN sites s`.
const SITE_RUN_COLUMNS: &str = "r.run_id, s.name, r.outcome, r.pages, r.fetched, \
     r.not_modified, r.failed, r.changes, r.error, r.finished_at";

fn site_run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SiteRunRow> {
    Ok(SiteRunRow {
        run_id: r.get(0)?,
        site: r.get(1)?,
        record: SiteRunRecord {
            outcome: r.get(2)?,
            pages: count(r, 3)?,
            fetched: count(r, 4)?,
            not_modified: count(r, 5)?,
            failed: count(r, 6)?,
            changes: count(r, 7)?,
            error: r.get(8)?,
        },
        finished_at: r.get(9)?,
    })
}

/// Files a site's part of a run (replacing an earlier row of the same run and site).
pub(super) fn insert_site_run(
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

impl Store {
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

    /// The most recent run of any command.
    pub fn last_run(&self) -> Result<Option<RunRow>> {
        self.q(|c| {
            c.query_row(
                "SELECT id, command, started_at, finished_at, summary FROM runs
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(RunRow {
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

    /// The site of that name, created on first use.
    pub fn site(&self, name: &str) -> Result<SiteRow> {
        self.q(|c| {
            c.execute(
                "INSERT OR IGNORE INTO sites (name, created_at) VALUES (?1, ?2)",
                params![name, now_ms()],
            )?;
            c.query_row(
                &format!("SELECT {SITE_COLUMNS} FROM sites WHERE name = ?1"),
                [name],
                site_from_row,
            )
        })
    }

    /// Every site the store knows, by name.
    pub fn sites(&self) -> Result<Vec<SiteRow>> {
        self.q(|c| {
            let mut st = c.prepare(&format!("SELECT {SITE_COLUMNS} FROM sites ORDER BY name"))?;
            let rows = st.query_map([], site_from_row)?;
            rows.collect()
        })
    }

    /// Looks a site up without creating it.
    pub fn find_site(&self, name: &str) -> Result<Option<SiteRow>> {
        self.q(|c| {
            c.query_row(
                &format!("SELECT {SITE_COLUMNS} FROM sites WHERE name = ?1"),
                [name],
                site_from_row,
            )
            .optional()
        })
    }

    /// The site a page belongs to.
    pub fn site_of_page(&self, page_id: i64) -> Result<Option<SiteRow>> {
        self.q(|c| {
            c.query_row(
                "SELECT s.id, s.name, s.baseline_at FROM sites s
                 JOIN pages p ON p.site_id = s.id WHERE p.id = ?1",
                [page_id],
                site_from_row,
            )
            .optional()
        })
    }

    /// Records a site-run row on its own (a site that could not be crawled at all).
    pub fn record_site_run(&self, run_id: i64, site_id: i64, rec: &SiteRunRecord) -> Result<()> {
        self.q(|c| insert_site_run(c, run_id, site_id, rec, now_ms()))
    }

    /// Site-run rows (baselines and failed sites) that no digest has carried yet.
    pub fn pending_site_notes(&self) -> Result<Vec<SiteRunRow>> {
        self.q(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {SITE_RUN_COLUMNS}
                 FROM site_runs r JOIN sites s ON s.id = r.site_id
                 WHERE r.digest_id IS NULL AND r.outcome IN ('baseline', 'failed')
                 ORDER BY r.run_id, s.name"
            ))?;
            let rows = st.query_map([], site_run_from_row)?;
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
            let outcomes = st.query_map([site_name], |r| r.get::<_, SiteOutcome>(0))?;
            let mut n = 0;
            for o in outcomes {
                if o? == SiteOutcome::Failed {
                    n += 1;
                } else {
                    break;
                }
            }
            Ok(n)
        })
    }

    /// Every site with its page counts by state and its latest site-run: three statements,
    /// whatever the archive's size.
    pub fn site_overview(&self) -> Result<Vec<SiteOverview>> {
        let mut sites: Vec<SiteOverview> = self
            .sites()?
            .into_iter()
            .map(|site| SiteOverview {
                site,
                pages: 0,
                documents: 0,
                states: Vec::new(),
                last_run: None,
            })
            .collect();
        let counts: Vec<(i64, PageState, u64, u64)> = self.q(|c| {
            let mut st = c.prepare(
                "SELECT site_id, state, COUNT(*), SUM(is_document) FROM pages
                 GROUP BY site_id, state ORDER BY site_id, state",
            )?;
            let rows = st.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, count(r, 2)?, count(r, 3)?))
            })?;
            rows.collect()
        })?;
        for (site_id, state, n, docs) in counts {
            if let Some(s) = sites.iter_mut().find(|s| s.site.id == site_id) {
                s.pages += n;
                s.documents += docs;
                s.states.push((state, n));
            }
        }
        let runs: Vec<(i64, SiteRunRow)> = self.q(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {SITE_RUN_COLUMNS}, r.site_id
                 FROM site_runs r JOIN sites s ON s.id = r.site_id
                 JOIN (SELECT site_id, MAX(run_id) AS run_id FROM site_runs GROUP BY site_id) l
                   ON l.site_id = r.site_id AND l.run_id = r.run_id"
            ))?;
            let rows = st.query_map([], |r| Ok((r.get(10)?, site_run_from_row(r)?)))?;
            rows.collect()
        })?;
        for (site_id, run) in runs {
            if let Some(s) = sites.iter_mut().find(|s| s.site.id == site_id) {
                s.last_run = Some(run);
            }
        }
        Ok(sites)
    }
}
