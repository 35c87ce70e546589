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
//!   page, is not a change; one added or removed is.
//! * A lot changes when its title, status or expiry does; the change's `from`/`to` are the
//!   part that changed (the expiry dates, else the statuses, else the titles).
//! * [`FactChange::is_major`]: a well-known fact, any lot, a link added or removed.
//! * Durations: whole months when the day of the month is kept (or both dates are months),
//!   else days; later is `+N`, earlier `brought forward N`.

use serde::{Deserialize, Serialize};

use super::labels::is_well_known;
use super::values::{first_day, money_context, text_key};
use super::{Fact, FactKind, FactValue, Facts};

/// Texts quoted in a summary are capped at this many characters.
const MAX_QUOTE_CHARS: usize = 80;

/// One fact that was added, removed or changed (SPEC.md's `"facts"` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactChange {
    pub name: String,
    /// The label as shown (the new version's, or the old one's when it was removed).
    pub label: String,
    /// The typed value before; `None` when the fact was added.
    pub from: Option<FactValue>,
    /// The typed value after; `None` when the fact was removed.
    pub to: Option<FactValue>,
    /// The value as shown before.
    pub from_text: Option<String>,
    /// The value as shown after.
    pub to_text: Option<String>,
}

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
            let how = if self.to.is_none() {
                "removed"
            } else {
                "added"
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
                    (FactValue::Date(_), FactValue::Date(_)) => {
                        format!("{head} expires {} → {}", cap(from), cap(to))
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
pub fn diff(old: &Facts, new: &Facts) -> Vec<FactChange> {
    let mut out = Vec::new();
    for a in old {
        match new.get(&a.name) {
            None => out.push(FactChange {
                name: a.name.clone(),
                label: a.label.clone(),
                from: Some(a.value.clone()),
                to: None,
                from_text: Some(a.text.clone()),
                to_text: None,
            }),
            Some(b) => {
                if let Some(c) = changed(a, b) {
                    out.push(c);
                }
            }
        }
    }
    for b in new {
        if old.get(&b.name).is_none() {
            out.push(FactChange {
                name: b.name.clone(),
                label: b.label.clone(),
                from: None,
                to: Some(b.value.clone()),
                from_text: None,
                to_text: Some(b.text.clone()),
            });
        }
    }
    out
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
