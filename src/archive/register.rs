//! The facts register (`quietwatch facts`, the web UI's facts page): one row per agreement —
//! a page whose version at the moment asked about has a `reference` or an `end_date` — with
//! its reference, status, dates, lots and suppliers, read from the facts stored with that
//! version (never by parsing the page again).
//!
//! This is the spreadsheet a bid team keeps by hand of which frameworks end when, always
//! current, and as it stood on any date (`--at`). `--expiring DAYS` keeps the rows whose end
//! date, or one of whose lots' expiry, falls within DAYS either side of that day: ahead of
//! it (ending soon) or behind it (ended, marked so — an agreement that quietly lapsed is
//! exactly what the register must not hide).

use crate::model::{Fact, FactValue};
use crate::store::{PageFacts, Store, StoreError};
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::BTreeMap;

/// Which rows to list.
#[derive(Debug, Clone, Default)]
pub struct RegisterQuery {
    pub site: Option<String>,
    /// Only rows whose end date (or a lot's expiry) is within this many days of the day
    /// asked about, before or after it.
    pub expiring_days: Option<u32>,
    /// The register as it stood at this moment (UTC ms); `None`: now.
    pub at_ms: Option<i64>,
}

/// One lot of an agreement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LotRow {
    pub id: String,
    pub title: String,
    pub status: Option<String>,
    pub expires: Option<String>,
}

/// One agreement in the register.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegisterRow {
    pub site: String,
    pub url: String,
    pub title: String,
    pub reference: Option<String>,
    pub status: Option<String>,
    /// `YYYY-MM-DD` when the date parsed, else the date as shown.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub lots: Vec<LotRow>,
    pub suppliers: Option<u64>,
    /// The other label/value facts, by name, as shown.
    pub facts: BTreeMap<String, String>,
    pub version: i64,
    /// When that version was last seen (UTC ms).
    #[serde(skip)]
    pub checked_at_ms: i64,
    pub checked_at: String,
    /// The end date (or, with `--expiring`, the expiry that brought the row in) is before
    /// the day asked about.
    pub ended: bool,
}

/// Facts that fill the register's own columns (the rest go to `facts`).
const COLUMNS: &[&str] = &[
    "reference",
    "status",
    "start_date",
    "end_date",
    "suppliers",
    "lots",
];

/// The register: rows ordered by end date (soonest first, undated last), then site and URL.
pub fn register(store: &Store, q: &RegisterQuery) -> Result<Vec<RegisterRow>, StoreError> {
    let pages = store.latest_facts_of_pages(q.site.as_deref(), q.at_ms)?;
    let today = day_of(q.at_ms.unwrap_or_else(crate::store::now_ms));
    let mut rows: Vec<RegisterRow> = pages
        .into_iter()
        .filter_map(row_of)
        .filter_map(|mut row| {
            let Some(days) = q.expiring_days else {
                row.ended = row.end_day().is_some_and(|d| d < today);
                return Some(row);
            };
            let window = Duration::days(i64::from(days));
            let near = |d: NaiveDate| d >= today - window && d <= today + window;
            let hit = row.end_day().filter(|d| near(*d)).or_else(|| {
                row.lots
                    .iter()
                    .filter_map(LotRow::expiry_day)
                    .find(|d| near(*d))
            })?;
            row.ended = hit < today;
            Some(row)
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &RegisterRow| (r.end_day().is_none(), r.end_day());
        key(a)
            .cmp(&key(b))
            .then_with(|| a.site.cmp(&b.site))
            .then_with(|| a.url.cmp(&b.url))
    });
    Ok(rows)
}

impl RegisterRow {
    /// The end date as a day, when it parsed.
    pub fn end_day(&self) -> Option<NaiveDate> {
        self.end_date.as_deref().and_then(iso_day)
    }

    /// The lots as the CSV and the terminal show them: `1: Hardware; 2: Software`.
    pub fn lots_joined(&self) -> String {
        self.lots
            .iter()
            .map(|l| format!("{}: {}", l.id, l.title))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl LotRow {
    fn expiry_day(&self) -> Option<NaiveDate> {
        self.expires.as_deref().and_then(iso_day)
    }
}

/// A page's facts as a register row; `None` when it has neither a reference nor an end date
/// (a page with facts is not necessarily an agreement).
fn row_of(p: PageFacts) -> Option<RegisterRow> {
    let get = |name: &str| p.facts.iter().find(|f| f.name == name);
    if get("reference").is_none() && get("end_date").is_none() {
        return None;
    }
    let lots = p
        .facts
        .iter()
        .filter_map(|f| {
            f.name.strip_prefix("lot:").map(|id| LotRow {
                id: id.to_string(),
                title: f.text.clone(),
                status: f.status.clone(),
                expires: f.expires.as_deref().map(|e| iso_or_shown(e, e)),
            })
        })
        .collect();
    let facts = p
        .facts
        .iter()
        .filter(|f| !COLUMNS.contains(&f.name.as_str()) && !f.name.contains(':'))
        .map(|f| (f.name.clone(), f.text.clone()))
        .collect();
    Some(RegisterRow {
        reference: get("reference").map(typed_text),
        status: get("status").map(|f| f.text.clone()),
        start_date: get("start_date").map(typed_text),
        end_date: get("end_date").map(typed_text),
        suppliers: get("suppliers").and_then(|f| match &f.value {
            FactValue::Count(n) => Some(*n),
            _ => None,
        }),
        lots,
        facts,
        site: p.site,
        url: p.url,
        title: p.title,
        version: p.version_id,
        checked_at_ms: p.checked_at,
        checked_at: crate::store::format_ms(p.checked_at),
        ended: false,
    })
}

/// A fact's typed value as text (a date as `YYYY-MM-DD`, a reference in canonical form),
/// else the value as shown.
fn typed_text(f: &Fact) -> String {
    match &f.value {
        FactValue::Date(d) => iso_or_shown(d, &f.text),
        FactValue::Reference(r) => r.clone(),
        _ => f.text.clone(),
    }
}

fn iso_or_shown(value: &str, shown: &str) -> String {
    if iso_day(value).is_some() {
        value.to_string()
    } else {
        shown.to_string()
    }
}

/// `YYYY-MM-DD`, or `YYYY-MM` read as the last day of that month (an agreement "ending June
/// 2026" runs to its end).
pub fn iso_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }?;
    next.pred_opt()
}

/// The UTC day of a moment in milliseconds.
fn day_of(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_days() {
        assert_eq!(iso_day("2026-06-16"), NaiveDate::from_ymd_opt(2026, 6, 16));
        assert_eq!(iso_day("2026-06"), NaiveDate::from_ymd_opt(2026, 6, 30));
        assert_eq!(iso_day("2026-12"), NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(iso_day("16/06/2026"), None);
        assert_eq!(iso_day(""), None);
    }
}
