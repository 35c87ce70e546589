//! "Ending soon" (SPEC.md, "Facts"): each agreement or lot whose end date comes within
//! `[digest] ending_within_days` is announced once — again only when its end date changes.
//!
//! Judged each run for every site crawled OK (not only for pages that changed: an end date
//! comes nearer without the page changing), from the facts kept with each page's latest live
//! version — the agreement's `end_date`, each lot's `expires` — against the end date last
//! announced for it ([`crate::store::Store::announced_endings`]). Only dates from today to
//! `within_days` ahead are news: a date already past is not "ending soon", and announcing
//! every lot that expired years ago on a first run would be crying wolf. A month without a
//! day (`June 2026`) ends on its last day. A page's own `end_date` counts only when its facts
//! also give the agreement's `reference`: a listing of agreement cards states an end date too
//! (the first card's), and announcing the listing would be crying wolf.

use crate::analyse::facts::{FactChange, FactKind, FactValue};
use crate::model::{ChangeDetail, ChangeKind, Significance};
use crate::store::{NewChange, NewEnding, PageFacts};
use chrono::NaiveDate;
use std::collections::HashMap;

/// Ending records for one site's run, at most this many (a register of thousands of lots
/// all ending at once is reported in parts over the next runs, never unbounded).
pub const MAX_ENDINGS_PER_RUN: usize = 1000;

/// One page's end dates, read from its latest live version's facts.
#[derive(Debug, Clone)]
pub struct PageEnds {
    pub page_id: i64,
    pub url: String,
    pub title: String,
    pub version_id: i64,
    /// The agreement's reference (`RM6098`), to name it in the summary.
    pub reference: Option<String>,
    pub ends: Vec<End>,
}

/// An end date of an agreement (`subject` = `end_date`) or a lot (`lot:ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub subject: String,
    /// As shown: `End date`, `Lot 3: Cloud hosting`.
    pub label: String,
    /// The lot's title (lots only).
    pub lot_title: Option<String>,
    /// ISO, `YYYY-MM-DD` or `YYYY-MM`.
    pub date: String,
    /// The date as the page shows it (`16/12/2026`), when known.
    pub text: Option<String>,
}

impl PageEnds {
    /// The end dates among a page's facts: its `end_date` (when it is a date) and each
    /// lot's expiry.
    pub fn from_facts(p: &PageFacts) -> PageEnds {
        let mut ends = Vec::new();
        let mut reference = None;
        for f in &p.facts {
            match (f.kind(), f.name.as_str()) {
                (FactKind::Label, "end_date") => {
                    if let Some(date) = f.value.as_date() {
                        ends.push(End {
                            subject: f.name.clone(),
                            label: f.label.clone(),
                            lot_title: None,
                            date: date.to_string(),
                            text: Some(f.text.clone()).filter(|t| !t.is_empty()),
                        });
                    }
                }
                (FactKind::Label, "reference") => reference = Some(f.value.to_string()),
                (FactKind::Lot, _) => {
                    if let Some(date) = &f.expires {
                        ends.push(End {
                            subject: f.name.clone(),
                            label: f.label.clone(),
                            lot_title: Some(f.text.clone()),
                            date: date.clone(),
                            text: None,
                        });
                    }
                }
                _ => {}
            }
        }
        // An end date alone does not make a page an agreement: a listing of agreement cards
        // states the first card's. Without the agreement's reference, only its lots count.
        if reference.is_none() {
            ends.retain(|e| e.subject != "end_date");
        }
        PageEnds {
            page_id: p.page_id,
            url: p.url.clone(),
            title: p.title.clone(),
            version_id: p.version_id,
            reference,
            ends,
        }
    }
}

/// The day a stored end date falls on: `YYYY-MM-DD`, or the last day of `YYYY-MM`.
pub fn end_day(date: &str) -> Option<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        return Some(d);
    }
    let (y, m) = date.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, m.checked_add(1)?, 1)?
    };
    next.pred_opt()
}

/// An ISO date as a UK page writes it: `16/01/2027`, `June 2026`.
fn uk_date(date: &str) -> String {
    if let Ok(d) = NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        return d.format("%d/%m/%Y").to_string();
    }
    match NaiveDate::parse_from_str(&format!("{date}-01"), "%Y-%m-%d") {
        Ok(d) => d.format("%B %Y").to_string(),
        Err(_) => date.to_string(),
    }
}

/// The `ending` records due: every end date within `within_days` of `today` (inclusive)
/// that was not the one last announced for its agreement or lot. `within_days = 0`: none.
pub fn due(
    pages: &[PageEnds],
    announced: &HashMap<(i64, String), String>,
    today: NaiveDate,
    within_days: u32,
) -> Vec<NewEnding> {
    let mut out = Vec::new();
    if within_days == 0 {
        return out;
    }
    for page in pages {
        for end in &page.ends {
            let Some(day) = end_day(&end.date) else {
                continue;
            };
            let days = (day - today).num_days();
            if days < 0 || days > i64::from(within_days) {
                continue;
            }
            let key = (page.page_id, end.subject.clone());
            if announced.get(&key) == Some(&end.date) {
                continue;
            }
            if out.len() >= MAX_ENDINGS_PER_RUN {
                tracing::warn!(
                    limit = MAX_ENDINGS_PER_RUN,
                    "more agreements and lots end soon than one run announces; the rest follow next run"
                );
                return out;
            }
            out.push(NewEnding {
                change: record(page, end, days),
                subject: end.subject.clone(),
                end_date: end.date.clone(),
            });
        }
    }
    out
}

fn record(page: &PageEnds, end: &End, days: i64) -> NewChange {
    let shown = end.text.clone().unwrap_or_else(|| uk_date(&end.date));
    let when = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        n => format!("in {n} days"),
    };
    let what = match (&end.lot_title, end.subject.strip_prefix("lot:")) {
        (Some(title), Some(id)) if !title.is_empty() => {
            format!("lot {id} “{}” expires", crate::markup::one_line(title, 80))
        }
        (_, Some(id)) => format!("lot {id} expires"),
        _ => match &page.reference {
            Some(r) => format!("{} ends", crate::markup::one_line(r, 40)),
            None => "agreement ends".to_string(),
        },
    };
    NewChange {
        page_id: page.page_id,
        url: page.url.clone(),
        kind: ChangeKind::Ending,
        significance: Significance::Major,
        title: page.title.clone(),
        summary: format!("{what} on {shown} ({when})"),
        from_version: None,
        to_version: Some(page.version_id),
        http_status: None,
        redirect_to: None,
        words_added: 0,
        words_removed: 0,
        similarity: None,
        detail: ChangeDetail::default(),
        // SPEC: `"facts"` holds the end date announced.
        facts: vec![FactChange {
            name: end.subject.clone(),
            label: end.label.clone(),
            from: None,
            to: Some(FactValue::Date(end.date.clone())),
            from_text: None,
            to_text: Some(shown),
        }],
        phrase: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn page(ends: Vec<End>) -> PageEnds {
        PageEnds {
            page_id: 7,
            url: "https://www.gca.gov.uk/agreements/RM6098".into(),
            title: "Technology Products".into(),
            version_id: 93,
            reference: Some("RM6098".into()),
            ends,
        }
    }

    fn end(subject: &str, date: &str, text: &str) -> End {
        End {
            subject: subject.into(),
            label: "End date".into(),
            lot_title: subject
                .starts_with("lot:")
                .then(|| "Cloud hosting".to_string()),
            date: date.into(),
            text: Some(text.into()),
        }
    }

    #[test]
    fn within_the_window_and_not_yet_announced() {
        let p = page(vec![
            end("end_date", "2026-12-16", "16/12/2026"),
            end("lot:3", "2027-03-31", "31/03/2027"),
            end("lot:4", "2026-11-30", "30/11/2026"),
        ]);
        let got = due(
            std::slice::from_ref(&p),
            &HashMap::new(),
            day("2026-12-02"),
            90,
        );
        let summaries: Vec<&str> = got.iter().map(|e| e.change.summary.as_str()).collect();
        assert_eq!(summaries, vec!["RM6098 ends on 16/12/2026 (in 14 days)"]);
        assert_eq!(got[0].change.kind, ChangeKind::Ending);
        assert_eq!(got[0].change.significance, Significance::Major);

        let got = due(
            std::slice::from_ref(&p),
            &HashMap::new(),
            day("2027-01-10"),
            90,
        );
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].change.summary,
            "lot 3 “Cloud hosting” expires on 31/03/2027 (in 80 days)"
        );
        assert!(due(&[p], &HashMap::new(), day("2026-12-02"), 0).is_empty());
    }

    #[test]
    fn once_per_end_date() {
        let p = page(vec![end("end_date", "2026-12-16", "16/12/2026")]);
        let mut announced = HashMap::new();
        announced.insert((7, "end_date".to_string()), "2026-12-16".to_string());
        assert!(due(&[p], &announced, day("2026-12-02"), 90).is_empty());
        let moved = page(vec![end("end_date", "2026-12-30", "30/12/2026")]);
        assert_eq!(due(&[moved], &announced, day("2026-12-02"), 90).len(), 1);
    }

    #[test]
    fn a_month_ends_on_its_last_day_and_today_counts() {
        assert_eq!(end_day("2026-02"), Some(day("2026-02-28")));
        assert_eq!(end_day("2026-12"), Some(day("2026-12-31")));
        assert_eq!(end_day("soon"), None);
        assert_eq!(uk_date("2026-06"), "June 2026");
        assert_eq!(uk_date("2026-06-16"), "16/06/2026");
        let p = page(vec![end("end_date", "2026-12-02", "2 December 2026")]);
        let got = due(&[p], &HashMap::new(), day("2026-12-02"), 90);
        assert_eq!(
            got[0].change.summary,
            "RM6098 ends on 2 December 2026 (today)"
        );
    }
}
