//! Facts kept with versions (SPEC.md "Facts"), read back without parsing a page again.
//!
//! Each version row carries its facts as JSON (`versions.facts`: `[]` when it states none,
//! NULL when it was stored before facts were kept),
//! and each change row the fact changes it reported (`changes.facts`). History, the register
//! (`quietwatch facts`), `--at`, the web UI and "ending soon" all read them from here.

use super::rows::PageFacts;
use super::{Result, Store};
use crate::model::{Fact, FactChange};
use rusqlite::{params, OptionalExtension};

/// A list as a JSON column value: `NULL` when empty.
pub(super) fn json_or_null<T: serde::Serialize>(items: &[T]) -> Option<String> {
    if items.is_empty() {
        None
    } else {
        serde_json::to_string(items).ok()
    }
}

/// A version's `facts` column: always JSON, `[]` when the version states none, so that
/// `NULL` keeps meaning "stored before facts were kept" (unknown, never compared).
pub(super) fn version_facts_json(facts: &[Fact]) -> String {
    serde_json::to_string(facts).unwrap_or_else(|_| "[]".to_string())
}

/// The kinds of record that put a page out of the register (it no longer serves its
/// content) or back in; a `moved` page's history continues at its new address.
const GONE_KINDS: &str = "'removed', 'redirected', 'soft_removed'";
const BACK_KINDS: &str = "'added', 'restored'";

/// The `agreement` column of a version: its facts other than links, when they state a
/// `reference` or an `end_date` (the register's agreements); else `NULL`.
pub(super) fn agreement_json(facts: &[Fact]) -> Option<String> {
    if !facts
        .iter()
        .any(|f| f.name == "reference" || f.name == "end_date")
    {
        return None;
    }
    let kept: Vec<&Fact> = facts
        .iter()
        .filter(|f| !f.name.starts_with("link:"))
        .collect();
    json_or_null(&kept)
}

impl Store {
    /// The facts kept with one version (empty when none were read).
    pub fn facts_of_version(&self, version_id: i64) -> Result<Vec<Fact>> {
        Ok(self.read_facts_of_version(version_id)?.unwrap_or_default())
    }

    /// The facts kept with one version, or `None` when it was stored before facts were kept
    /// (unknown, so nothing to compare a later version's facts with).
    pub fn read_facts_of_version(&self, version_id: i64) -> Result<Option<Vec<Fact>>> {
        let json: Option<String> = self.q(|c| {
            c.prepare_cached("SELECT facts FROM versions WHERE id = ?1")?
                .query_row([version_id], |r| r.get(0))
                .optional()
                .map(Option::flatten)
        })?;
        match json {
            Some(j) => self.facts_from_json(Some(j), version_id).map(Some),
            None => Ok(None),
        }
    }

    /// The fact changes a change record reported (empty when none).
    pub fn fact_changes_of_change(&self, change_id: i64) -> Result<Vec<FactChange>> {
        let json: Option<String> = self.q(|c| {
            c.query_row(
                "SELECT facts FROM changes WHERE id = ?1",
                [change_id],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
        })?;
        Ok(parse_fact_changes(json.as_deref()))
    }

    /// For every page (of one site, or all) whose facts state a `reference` or an `end_date`
    /// (the register's agreements): its facts other than links, of the version that stood at
    /// `at_ms` — `None`: now, the latest version of each page still served (live,
    /// or unreachable for the moment, which is no removal). At a past moment, a page counts
    /// when it had a version by then and its last record of leaving or returning before then
    /// was not a removal, a redirect away or a soft removal. Ordered by site, then URL.
    pub fn latest_facts_of_pages(
        &self,
        site: Option<&str>,
        at_ms: Option<i64>,
    ) -> Result<Vec<PageFacts>> {
        let rows: Vec<(PageFacts, Option<String>)> = self.q(|c| {
            let sql = match at_ms {
                None => "SELECT p.id, s.name, p.url, v.id, v.title, v.last_seen, v.agreement
                     FROM pages p JOIN sites s ON s.id = p.site_id
                     JOIN versions v ON v.id = p.latest_version
                     WHERE p.state IN ('live', 'unreachable') AND v.agreement IS NOT NULL
                       AND (?1 IS NULL OR s.name = ?1) AND ?2 IS NULL
                     ORDER BY s.name, p.url"
                    .to_string(),
                Some(_) => format!(
                    "SELECT p.id, s.name, p.url, v.id, v.title,
                        MIN(v.last_seen, ?2), v.agreement
                     FROM pages p JOIN sites s ON s.id = p.site_id
                     JOIN versions v ON v.id = (SELECT x.id FROM versions x
                         WHERE x.page_id = p.id AND x.first_seen <= ?2
                         ORDER BY x.first_seen DESC, x.id DESC LIMIT 1)
                     WHERE v.agreement IS NOT NULL AND (?1 IS NULL OR s.name = ?1)
                       AND COALESCE((SELECT ch.kind FROM changes ch
                           WHERE ch.page_id = p.id AND ch.detected_at <= ?2
                             AND ch.kind IN ({GONE_KINDS}, {BACK_KINDS})
                           ORDER BY ch.id DESC LIMIT 1), 'added') IN ({BACK_KINDS})
                     ORDER BY s.name, p.url"
                ),
            };
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map(params![site, at_ms], |r| {
                Ok((
                    PageFacts {
                        page_id: r.get(0)?,
                        site: r.get(1)?,
                        url: r.get(2)?,
                        version_id: r.get(3)?,
                        title: r.get(4)?,
                        checked_at: r.get(5)?,
                        facts: Vec::new(),
                    },
                    r.get(6)?,
                ))
            })?;
            rows.collect()
        })?;
        rows.into_iter()
            .map(|(mut p, json)| {
                p.facts = self.facts_from_json(json, p.version_id)?;
                Ok(p)
            })
            .collect()
    }

    /// A version's facts column, read: unreadable JSON is corruption, never "no facts"
    /// (a register that silently dropped an agreement would miss its ending).
    fn facts_from_json(&self, json: Option<String>, version_id: i64) -> Result<Vec<Fact>> {
        match json {
            None => Ok(Vec::new()),
            Some(j) => serde_json::from_str(&j).map_err(|e| {
                self.corrupt(format!("facts of version {version_id} do not read: {e}"))
            }),
        }
    }
}

/// A change's facts column, read. A listing of evidence whose own fields are intact is not
/// failed by an unreadable one: it reads as none (like the change's detail).
pub(super) fn parse_fact_changes(json: Option<&str>) -> Vec<FactChange> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}
