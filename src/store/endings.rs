//! "Ending soon" announcements: which end date was last announced for each agreement or lot,
//! and the filing of new `ending` records with that mark, in one transaction — so each end
//! date is announced exactly once, and a crash before the filing only means the next run
//! announces it.

use super::changes::insert_change;
use super::codec::now_ms;
use super::rows::{NewChange, SiteRow};
use super::{Result, Store};
use rusqlite::params;
use std::collections::HashMap;

/// An `ending` record about to be filed, and what it announces.
#[derive(Debug, Clone)]
pub struct NewEnding {
    pub change: NewChange,
    /// `end_date` (the agreement) or `lot:ID`.
    pub subject: String,
    /// The ISO date announced.
    pub end_date: String,
}

impl Store {
    /// For every page of a site: the end date last announced for each subject
    /// (`(page_id, subject)` → ISO date).
    pub fn announced_endings(&self, site_id: i64) -> Result<HashMap<(i64, String), String>> {
        self.q(|c| {
            let mut st = c.prepare(
                "SELECT n.page_id, n.subject, n.end_date FROM ending_notices n
                 JOIN pages p ON p.id = n.page_id WHERE p.site_id = ?1",
            )?;
            let rows = st.query_map([site_id], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
            rows.collect()
        })
    }

    /// Files `ending` records and marks what they announce, in one transaction; the site's
    /// row for the run counts them. Returns the new change ids.
    pub fn file_endings(
        &mut self,
        run_id: i64,
        site: &SiteRow,
        endings: &[NewEnding],
    ) -> Result<Vec<i64>> {
        if endings.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        self.tx(|tx| {
            let mut ids = Vec::with_capacity(endings.len());
            for e in endings {
                let id = insert_change(tx, run_id, now, site.id, &e.change)?;
                tx.prepare_cached(
                    "INSERT INTO ending_notices (page_id, subject, end_date, change_id)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (page_id, subject)
                     DO UPDATE SET end_date = excluded.end_date, change_id = excluded.change_id",
                )?
                .execute(params![e.change.page_id, e.subject, e.end_date, id])?;
                ids.push(id);
            }
            tx.execute(
                "UPDATE site_runs SET changes = changes + ?3 WHERE run_id = ?1 AND site_id = ?2",
                params![run_id, site.id, endings.len() as i64],
            )?;
            Ok(ids)
        })
    }
}
