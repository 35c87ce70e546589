//! What changed between two versions' facts, as facts and in words.
//!
//! `end date 16/06/2026 → 16/12/2026 (+6 months)` is what a bid manager reads; SPEC.md's
//! `"facts"` array is the same change as data ([`FactChange`]).
//!
//! Key choices:
//! * Facts are paired by name. A value is unchanged when its typed value is (`16/06/2026` →
//!   `16 June 2026` is not a change; nor is a text that differs only in case, dashes or a
//!   trailing full stop); money also keeps its qualifier and rate (`£650 per day` → `£650
//!   per hour` is a change).
//! * A link is compared by target only: a link whose text was reworded, or that moved on the
//!   page, is not a change; one added or removed is (major). A link whose target changed
//!   under the same text is one change from target to target, not major.
//! * A lot changes when its title, status or expiry does; the change's `from`/`to` are the
//!   part that changed (the expiry dates, else the statuses, else the titles).
//! * [`FactChange::is_major`]: a well-known fact, any lot, a link added or removed.
//! * Durations: whole months when the day of the month is kept (or both dates are months),
//!   else days; later is `+N`, earlier `brought forward N`.

use super::labels::is_well_known;
use super::values::{display_date, first_day, money_context, text_key};
use super::{Fact, FactKind, FactValue, Facts};

/// Texts quoted in a summary are capped at this many characters.
const MAX_QUOTE_CHARS: usize = 80;

pub use crate::fact::FactChange;

impl FactChange {
    /// Whether the fact is one of SPEC.md's well-known facts (`end_date`, `suppliers`, …).
    pub fn is_well_known(&self) -> bool {
        is_well_known(&self.name)
    }

    /// A well-known fact, a lot, or a link added or removed (SPEC.md: `major`).
    pub fn is_major(&self) -> bool {
        self.is_well_known()
            || self.name.starts_with("lot:")
            || self.name.starts_with("link:") && (self.from.is_none() || self.to.is_none())
    }

    /// The change in words: `end date 16/06/2026 → 16/12/2026 (+6 months)`,
    /// `lot 3 "Cloud hosting" removed`, `link "View this dataset" removed`.
    pub fn words(&self) -> String {
        if let Some(id) = self.name.strip_prefix("lot:") {
            return self.lot_words(id);
        }
        if self.name.starts_with("link:") {
            let text = self
                .to_text
                .as_deref()
                .or(self.from_text.as_deref())
                .unwrap_or("");
            let what = if text.is_empty() {
                self.name.trim_start_matches("link:").to_owned()
            } else {
                text.to_owned()
            };
            let how = match (&self.from, &self.to) {
                (Some(_), Some(_)) => "now goes elsewhere",
                (_, None) => "removed",
                (None, _) => "added",
            };
            return format!("link {} {how}", quote(&what));
        }
        let name = self.name.replace('_', " ");
        let from = self.from_text.as_deref().unwrap_or("");
        let to = self.to_text.as_deref().unwrap_or("");
        match (&self.from, &self.to) {
            (None, Some(_)) => format!("{name} {} added", cap(to)),
            (Some(_), None) => format!("{name} {} removed", cap(from)),
            (Some(a), Some(b)) => {
                let mut s = format!("{name} {} → {}", cap(from), cap(to));
                if let Some(d) = duration(a, b) {
                    s.push_str(&format!(" ({d})"));
                }
                s
            }
            (None, None) => name,
        }
    }

    fn lot_words(&self, id: &str) -> String {
        let title = self.label.split_once(": ").map_or("", |(_, t)| t);
        let head = if title.is_empty() {
            format!("lot {id}")
        } else {
            format!("lot {id} {}", quote(title))
        };
        match (&self.from, &self.to) {
            (None, _) => format!("{head} added"),
            (_, None) => format!("{head} removed"),
            (Some(a), Some(b)) => {
                let from = self.from_text.as_deref().unwrap_or("");
                let to = self.to_text.as_deref().unwrap_or("");
                let mut s = match (a, b) {
                    (FactValue::Date(x), FactValue::Date(y)) => {
                        format!("{head} expires {} → {}", display_date(x), display_date(y))
                    }
                    _ => format!("{head} {} → {}", cap(from), cap(to)),
                };
                if let Some(d) = duration(a, b) {
                    s.push_str(&format!(" ({d})"));
                }
                s
            }
        }
    }
}

fn cap(s: &str) -> String {
    crate::markup::truncate_chars(s, MAX_QUOTE_CHARS)
}

fn quote(s: &str) -> String {
    format!("\"{}\"", cap(s))
}

/// The facts that differ between two versions: removed and changed ones in the old
/// version's order, then added ones in the new version's.
///
/// A link removed and a link added with the same text are one link whose target changed (a
/// replaced file, a new form address): one change from the old target to the new, not
/// major, where a link that came or went with its text is.
pub fn diff(old: &Facts, new: &Facts) -> Vec<FactChange> {
    let added: Vec<&Fact> = new.iter().filter(|b| old.get(&b.name).is_none()).collect();
    let mut retargets: Vec<Option<&Fact>> = vec![None; added.len()];
    let mut out = Vec::new();
    for a in old {
        match new.get(&a.name) {
            None => {
                if let Some(slot) = retarget_slot(a, &added, &retargets) {
                    if let Some(s) = retargets.get_mut(slot) {
                        *s = Some(a);
                    }
                    continue;
                }
                out.push(FactChange {
                    name: a.name.clone(),
                    label: a.label.clone(),
                    from: Some(a.value.clone()),
                    to: None,
                    from_text: Some(a.text.clone()),
                    to_text: None,
                });
            }
            Some(b) => {
                if let Some(c) = changed(a, b) {
                    out.push(c);
                }
            }
        }
    }
    for (b, was) in added.iter().zip(&retargets) {
        let target = |f: &Fact| FactValue::Text(f.key().unwrap_or("").to_owned());
        out.push(FactChange {
            name: b.name.clone(),
            label: b.label.clone(),
            from: was.map(target),
            to: Some(if was.is_some() {
                target(b)
            } else {
                b.value.clone()
            }),
            from_text: was.map(|a| a.text.clone()),
            to_text: Some(b.text.clone()),
        });
    }
    out
}

/// The added link with the same text as the removed link `a`, not yet paired.
fn retarget_slot(a: &Fact, added: &[&Fact], paired: &[Option<&Fact>]) -> Option<usize> {
    if a.kind() != FactKind::Link || a.text.is_empty() {
        return None;
    }
    let key = text_key(&a.text);
    added.iter().enumerate().position(|(i, b)| {
        b.kind() == FactKind::Link
            && paired.get(i).is_some_and(Option::is_none)
            && text_key(&b.text) == key
    })
}

/// The summary of fact changes, major ones first: `end date … (+6 months); lot 3 … removed`.
pub fn summary(changes: &[FactChange]) -> String {
    let major = changes.iter().filter(|c| c.is_major());
    let minor = changes.iter().filter(|c| !c.is_major());
    major
        .chain(minor)
        .map(FactChange::words)
        .collect::<Vec<_>>()
        .join("; ")
}

fn changed(a: &Fact, b: &Fact) -> Option<FactChange> {
    let change = |from: FactValue, to: FactValue, from_text: &str, to_text: &str| FactChange {
        name: b.name.clone(),
        label: b.label.clone(),
        from: Some(from),
        to: Some(to),
        from_text: Some(from_text.to_owned()),
        to_text: Some(to_text.to_owned()),
    };
    match a.kind() {
        FactKind::Link => None,
        FactKind::Lot => {
            if a.expires != b.expires {
                let text = |f: &Fact| f.expires.clone().unwrap_or_default();
                let val = |f: &Fact| {
                    f.expires
                        .clone()
                        .map_or(FactValue::Text(String::new()), FactValue::Date)
                };
                return Some(change(val(a), val(b), &text(a), &text(b)));
            }
            let status = |f: &Fact| f.status.as_deref().map(text_key);
            if status(a) != status(b) {
                let s = |f: &Fact| f.status.clone().unwrap_or_default();
                return Some(change(
                    FactValue::Text(s(a)),
                    FactValue::Text(s(b)),
                    &s(a),
                    &s(b),
                ));
            }
            (text_key(&a.text) != text_key(&b.text)).then(|| {
                change(
                    FactValue::Text(a.text.clone()),
                    FactValue::Text(b.text.clone()),
                    &a.text,
                    &b.text,
                )
            })
        }
        FactKind::Label => {
            (!same_value(a, b)).then(|| change(a.value.clone(), b.value.clone(), &a.text, &b.text))
        }
    }
}

fn same_value(a: &Fact, b: &Fact) -> bool {
    match (&a.value, &b.value) {
        (FactValue::Money(x), FactValue::Money(y)) => {
            (x - y).abs() <= 1e-9 * x.abs().max(1.0)
                && money_context(&a.text) == money_context(&b.text)
        }
        (FactValue::Text(x), FactValue::Text(y)) => text_key(x) == text_key(y),
        (x, y) => x == y,
    }
}

/// `+6 months`, `brought forward 3 months`, `+45 days`, `+1 year`; `None` for non-dates.
pub fn duration(from: &FactValue, to: &FactValue) -> Option<String> {
    let (FactValue::Date(a), FactValue::Date(b)) = (from, to) else {
        return None;
    };
    let (da, db) = (first_day(a)?, first_day(b)?);
    if da == db {
        return None;
    }
    let later = db > da;
    let (lo, hi) = if later { (da, db) } else { (db, da) };
    let months_only = a.len() == 7 && b.len() == 7;
    let amount = if months_only || chrono::Datelike::day(&lo) == chrono::Datelike::day(&hi) {
        let months = (chrono::Datelike::year(&hi) - chrono::Datelike::year(&lo)) * 12
            + chrono::Datelike::month(&hi) as i32
            - chrono::Datelike::month(&lo) as i32;
        months_words(months.unsigned_abs())
    } else {
        let days = (hi - lo).num_days();
        if days == 1 {
            "1 day".to_owned()
        } else {
            format!("{days} days")
        }
    };
    Some(if later {
        format!("+{amount}")
    } else {
        format!("brought forward {amount}")
    })
}

fn months_words(m: u32) -> String {
    match m {
        1 => "1 month".to_owned(),
        12 => "1 year".to_owned(),
        m if m % 12 == 0 => format!("{} years", m / 12),
        m => format!("{m} months"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(list: Vec<Fact>) -> Facts {
        Facts::from(list)
    }

    fn words(old: Vec<Fact>, new: Vec<Fact>) -> Vec<String> {
        diff(&facts(old), &facts(new))
            .iter()
            .map(FactChange::words)
            .collect()
    }

    fn lot(id: &str, title: &str, status: Option<&str>, expires: Option<&str>) -> Fact {
        Fact::lot(
            id,
            title,
            status.map(String::from),
            expires.map(String::from),
        )
    }

    #[test]
    fn dates_with_durations() {
        let end = |t: &str| Fact::new("end_date", "End date", t);
        assert_eq!(
            words(vec![end("16/06/2026")], vec![end("16/12/2026")]),
            ["end date 16/06/2026 → 16/12/2026 (+6 months)"]
        );
        assert_eq!(
            words(vec![end("16/06/2026")], vec![end("16/03/2026")]),
            ["end date 16/06/2026 → 16/03/2026 (brought forward 3 months)"]
        );
        assert_eq!(
            words(vec![end("16/06/2026")], vec![end("16 June 2027")]),
            ["end date 16/06/2026 → 16 June 2027 (+1 year)"]
        );
        assert_eq!(
            words(vec![end("16/06/2026")], vec![end("31/07/2026")]),
            ["end date 16/06/2026 → 31/07/2026 (+45 days)"]
        );
        assert_eq!(
            words(vec![end("June 2026")], vec![end("June 2028")]),
            ["end date June 2026 → June 2028 (+2 years)"]
        );
        // The same date written another way is not a change.
        assert!(words(vec![end("16/06/2026")], vec![end("16 June 2026")]).is_empty());
        assert!(words(vec![end("16/06/2026")], vec![end("2026-06-16")]).is_empty());
        // A month is not the first of that month.
        assert_eq!(
            words(vec![end("1 June 2026")], vec![end("June 2026")]).len(),
            1
        );
    }

    #[test]
    fn counts_statuses_money_and_text() {
        let f = |n: &str, l: &str, t: &str| Fact::new(n, l, t);
        assert_eq!(
            words(
                vec![
                    f("suppliers", "Suppliers", "42"),
                    f("status", "Status", "Live")
                ],
                vec![
                    f("suppliers", "Suppliers", "38"),
                    f("status", "Status", "Expired")
                ]
            ),
            ["suppliers 42 → 38", "status Live → Expired"]
        );
        assert!(words(
            vec![f("status", "Status", "Live")],
            vec![f("status", "Status", "LIVE")]
        )
        .is_empty());
        assert!(words(
            vec![f("value", "Value", "£1.2m")],
            vec![f("value", "Value", "£1,200,000")]
        )
        .is_empty());
        assert_eq!(
            words(
                vec![f("rate", "Rate", "£650 per day")],
                vec![f("rate", "Rate", "£650 per hour")]
            ),
            ["rate £650 per day → £650 per hour"]
        );
        assert_eq!(
            words(vec![], vec![f("value", "Total value", "£25bn")]),
            ["value £25bn added"]
        );
        assert_eq!(
            words(vec![f("regulation", "Regulation", "PCR 2015")], vec![]),
            ["regulation PCR 2015 removed"]
        );
    }

    #[test]
    fn lots() {
        let old = vec![
            lot("1", "Hardware", Some("Live"), None),
            lot("3", "Cloud hosting", Some("Live"), None),
            lot("4", "Services", None, Some("2026-06-16")),
        ];
        let new = vec![
            lot("1", "Hardware", Some("Expired"), None),
            lot("4", "Services", None, Some("2026-12-16")),
            lot("5", "Cyber", None, None),
        ];
        let changes = diff(&facts(old.clone()), &facts(new));
        let w: Vec<String> = changes.iter().map(FactChange::words).collect();
        assert_eq!(
            w,
            [
                "lot 1 \"Hardware\" Live → Expired",
                "lot 3 \"Cloud hosting\" removed",
                "lot 4 \"Services\" expires 16/06/2026 → 16/12/2026 (+6 months)",
                "lot 5 \"Cyber\" added",
            ]
        );
        assert!(changes.iter().all(FactChange::is_major));
        let removed = &changes[1];
        assert_eq!(removed.from, Some(FactValue::Text("Live".into())));
        assert_eq!(removed.to, None);
        assert!(diff(&facts(old.clone()), &facts(old)).is_empty());
    }

    #[test]
    fn links_by_target_only() {
        let a = Fact::link("https://x.test/data", "View this dataset");
        let reworded = Fact::link("https://x.test/data", "See the dataset");
        let other = Fact::link("https://x.test/other", "Other");
        assert!(diff(
            &facts(vec![a.clone(), other.clone()]),
            &facts(vec![other.clone(), reworded])
        )
        .is_empty());
        let c = diff(&facts(vec![a.clone(), other.clone()]), &facts(vec![other]));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].words(), "link \"View this dataset\" removed");
        assert!(c[0].is_major());
        let c = diff(&facts(vec![]), &facts(vec![a.clone()]));
        assert_eq!(c[0].words(), "link \"View this dataset\" added");
        // Same text, new target: one change, not major.
        let replaced = Fact::link("https://x.test/data-v2.ods", "View this dataset");
        let c = diff(&facts(vec![a]), &facts(vec![replaced]));
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            c[0].words(),
            "link \"View this dataset\" now goes elsewhere"
        );
        assert_eq!(
            c[0].from,
            Some(FactValue::Text("https://x.test/data".into()))
        );
        assert_eq!(
            c[0].to,
            Some(FactValue::Text("https://x.test/data-v2.ods".into()))
        );
        assert!(!c[0].is_major());
    }

    #[test]
    fn major_and_summary_order() {
        let old = facts(vec![
            Fact::new("regulation", "Regulation", "PCR 2015"),
            Fact::new("end_date", "End date", "16/06/2026"),
            lot("3", "Cloud hosting", None, None),
        ]);
        let new = facts(vec![
            Fact::new("regulation", "Regulation", "PA 2023"),
            Fact::new("end_date", "End date", "16/12/2026"),
        ]);
        let c = diff(&old, &new);
        assert!(!c[0].is_major() && c[1].is_major() && c[2].is_major());
        assert_eq!(
            summary(&c),
            "end date 16/06/2026 → 16/12/2026 (+6 months); lot 3 \"Cloud hosting\" removed; \
             regulation PCR 2015 → PA 2023"
        );
    }

    #[test]
    fn json_shape_and_round_trip() {
        let old = facts(vec![
            Fact::new("end_date", "End date", "16/06/2026"),
            Fact::new("suppliers", "Suppliers", "42"),
            Fact::new("value", "Value", "£650"),
            Fact::new("reference", "Agreement ID", "rm 6098"),
            lot("3", "Cloud hosting", Some("Live"), None),
        ]);
        let new = facts(vec![
            Fact::new("end_date", "End date", "16/12/2026"),
            Fact::new("suppliers", "Suppliers", "38"),
            Fact::new("value", "Value", "£700"),
            Fact::new("reference", "Agreement ID", "RM6099"),
        ]);
        let c = diff(&old, &new);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json[0],
            serde_json::json!({"name": "end_date", "label": "End date", "from": "2026-06-16",
                "to": "2026-12-16", "from_text": "16/06/2026", "to_text": "16/12/2026"})
        );
        assert_eq!(json[1]["from"], serde_json::json!(42));
        assert_eq!(json[2]["from"], serde_json::json!(650.0));
        assert_eq!(json[3]["to"], serde_json::json!("RM6099"));
        assert_eq!(json[4]["name"], "lot:3");
        assert_eq!(json[4]["from"], "Live");
        assert_eq!(json[4]["to"], serde_json::Value::Null);
        let back: Vec<FactChange> = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
        // Facts as the store keeps them read back the same.
        let stored = serde_json::to_string(&old).unwrap();
        let read: Facts = serde_json::from_str(&stored).unwrap();
        assert_eq!(read, old);
        assert_eq!(read.get("value").unwrap().value, FactValue::Money(650.0));
        assert_eq!(read.get("suppliers").unwrap().value, FactValue::Count(42));
        assert!(serde_json::from_str::<FactValue>("true").is_err());
    }
}
