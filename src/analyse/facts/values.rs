//! Typed values: dates, money, counts and references as UK procurement pages write them.
//!
//! A fact's value is compared by what it means, not how it is spelt: `16/06/2026`,
//! `16.06.2026`, `16 June 2026`, `16th June 2026`, `Monday 16 June 2026` and `2026-06-16`
//! are one date; `£1.2m`, `£1,200,000` and `£1.2 million` one amount.
//!
//! Key choices:
//! * **Day first.** These are UK pages: `01/02/2026` is 1 February. A month name makes any
//!   order unambiguous (`June 16, 2026` is read too). Two-digit years are 20yy.
//! * **Month precision is kept.** `June 2026` is `2026-06` (ISO 8601's reduced precision),
//!   not the first of the month: `1 June 2026` → `June 2026` is then a change, and an end
//!   date of "June 2026" means the end of June to [`last_day`] ("ending soon").
//! * **A value is typed only when the whole text is the figure**, give or take a trailing
//!   remark with no digit in it (`8 September 2022 — See all updates`) and, for money, a
//!   qualifier and a rate (`up to £2.5 million`, `£650 per day`); `16/06/2026 to 16/12/2026`
//!   stays text. Money's qualifier and rate are kept apart ([`money_context`]) so `£650 per
//!   day` → `£650 per hour` is still a change.
//! * Counts are bare integers, or followed by `supplier(s)`/`lot(s)`: `4 years` is not a
//!   count (nor would `4 months` then be equal to it).
//! * References are typed for the families the spec names (`RM6098`, `RM1557.14`,
//!   `SBS10026`, `SBS/18/AB/WAB/9304`) and Find a Tender notice numbers (`012345-2026`);
//!   canonical form is upper case without spaces (`rm 6098` → `RM6098`).
//! * Regular expressions from the `regex` crate (linear time); input is capped before
//!   matching.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::{compile, FactValue};

/// Values longer than this are never typed (they are sentences, not figures).
const MAX_VALUE_CHARS: usize = 120;

const MONTHS: &str = "january|february|march|april|may|june|july|august|september|october|\
                      november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec";
const WEEKDAYS: &str = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|\
                        mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun";

static NUMERIC_DATE: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"^(\d{1,2})([/.\-])(\d{1,2})([/.\-])(\d{4}|\d{2})$"));
static ISO_DATE: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"^(\d{4})([/\-])(\d{1,2})([/\-])(\d{1,2})$"));
static ISO_MONTH: LazyLock<Option<Regex>> = LazyLock::new(|| compile(r"^(\d{4})-(\d{2})$"));
static DAY_MONTH_YEAR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)^(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?[\s\-]+({MONTHS})\.?,?[\s\-]+(\d{{4}})$"
    ))
});
static MONTH_DAY_YEAR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)^({MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})$"
    ))
});
static MONTH_YEAR: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(&format!(r"(?i)^({MONTHS})\.?,?\s+(\d{{4}})$")));
static WEEKDAY: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(&format!(r"(?i)^(?:{WEEKDAYS})\.?,?\s+")));
/// A trailing remark after a figure: a separator, then no digit.
static REMARK: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"^(.*?\d[a-zA-Z.]*)\s*(?:[—–|;,]|\s-\s|\(|\[)\s*[^0-9]*$"));

static MONEY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)^((?:up\s+to|about|around|approximately|approx\.?|circa|c\.|in\s+the\s+region\s+of|estimated|est\.|over|more\s+than|less\s+than|under|at\s+least|from)\s+)?(?:£|gbp\s?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s?(k|m|mn|bn|b|tn|thousand|million|billion|trillion)?\.?(\s*(?:per|a|an|each)\s+[a-z]+(?:\s+[a-z]+)?|\s*(?:pa|p\.a\.|per\s+annum))?(\s*\(?(?:excluding|excl\.?|ex\.?|including|incl\.?|inc\.?|plus|\+)\s*vat\)?)?$",
    )
});
static COUNT: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?i)^(\d{1,3}(?:,\d{3})+|\d{1,12})(?:\s+(suppliers?|lots?))?$"));
static REFERENCE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)^(?:(rm)\s*[\-/]?\s*(\d{3,6}(?:\.\d{1,3})?)|(sbs)\s*[\-/]?\s*(\d{4,6}|(?:/[a-z0-9]+){2,8})|(\d{6}-(?:19|20)\d{2}))$",
    )
});
static CANONICAL_REFERENCE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"^(?:RM\d{3,6}(?:\.\d{1,3})?|SBS(?:\d{4,6}|(?:/[A-Z0-9]+){2,8})|\d{6}-(?:19|20)\d{2})$",
    )
});

/// Folds runs of white space (no-break spaces included) to one space, drops invisible
/// characters and trims: extraction's own folding ([`crate::markup::fold_whitespace`]).
pub use crate::markup::fold_whitespace as fold;

/// The text a typed parser looks at: folded, capped, trailing `.`/`:` dropped.
fn clean(s: &str) -> Option<String> {
    let s = fold(s);
    if s.is_empty() || s.chars().count() > MAX_VALUE_CHARS {
        return None;
    }
    Some(s.trim_end_matches(['.', ':', ';', ',']).trim().to_owned())
}

/// Drops a trailing remark with no digit in it (`16 June 2026 (extended)`).
fn without_remark(s: &str) -> &str {
    match REMARK.as_ref().and_then(|re| re.captures(s)) {
        Some(c) => c.get(1).map_or(s, |m| m.as_str()),
        None => s,
    }
}

/// A date in any common UK form, as ISO `YYYY-MM-DD` (or `YYYY-MM` for a month alone).
pub fn parse_date(s: &str) -> Option<String> {
    let s = clean(s)?;
    if let Some(d) = parse_date_exact(&s) {
        return Some(d);
    }
    let bare = without_remark(&s);
    if bare.len() < s.len() {
        return parse_date_exact(bare.trim());
    }
    None
}

fn parse_date_exact(s: &str) -> Option<String> {
    let s = match WEEKDAY.as_ref().and_then(|re| re.find(s)) {
        Some(m) => s.get(m.end()..).unwrap_or(s),
        None => s,
    };
    let num = |c: &regex::Captures, i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    if let Some(c) = NUMERIC_DATE.as_ref().and_then(|re| re.captures(s)) {
        if c.get(2).map(|m| m.as_str()) != c.get(4).map(|m| m.as_str()) {
            return None; // 16/06-2026 is not a date someone wrote
        }
        let mut year = num(&c, 5)?;
        if c.get(5).is_some_and(|m| m.as_str().len() == 2) {
            year += 2000;
        }
        return ymd(year, num(&c, 3)?, num(&c, 1)?);
    }
    if let Some(c) = ISO_DATE.as_ref().and_then(|re| re.captures(s)) {
        if c.get(2).map(|m| m.as_str()) != c.get(4).map(|m| m.as_str()) {
            return None;
        }
        return ymd(num(&c, 1)?, num(&c, 3)?, num(&c, 5)?);
    }
    if let Some(c) = ISO_MONTH.as_ref().and_then(|re| re.captures(s)) {
        return ym(num(&c, 1)?, num(&c, 2)?);
    }
    if let Some(c) = DAY_MONTH_YEAR.as_ref().and_then(|re| re.captures(s)) {
        return ymd(num(&c, 3)?, month(c.get(2)?.as_str())?, num(&c, 1)?);
    }
    if let Some(c) = MONTH_DAY_YEAR.as_ref().and_then(|re| re.captures(s)) {
        return ymd(num(&c, 3)?, month(c.get(1)?.as_str())?, num(&c, 2)?);
    }
    if let Some(c) = MONTH_YEAR.as_ref().and_then(|re| re.captures(s)) {
        return ym(num(&c, 2)?, month(c.get(1)?.as_str())?);
    }
    None
}

fn month(name: &str) -> Option<u32> {
    let n = name.to_ascii_lowercase();
    let i = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| n.starts_with(m))?;
    Some(i as u32 + 1)
}

fn plausible_year(y: u32) -> bool {
    (1900..=2199).contains(&y)
}

fn ymd(y: u32, m: u32, d: u32) -> Option<String> {
    if !plausible_year(y) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y as i32, m, d)?;
    Some(date.format("%Y-%m-%d").to_string())
}

fn ym(y: u32, m: u32) -> Option<String> {
    if !plausible_year(y) || !(1..=12).contains(&m) {
        return None;
    }
    Some(format!("{y:04}-{m:02}"))
}

/// Whether `s` is an ISO date as [`parse_date`] writes it (`YYYY-MM-DD` or `YYYY-MM`, valid).
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    let shaped = match b.len() {
        7 | 10 => b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        }),
        _ => false,
    };
    shaped && first_day(s).is_some()
}

/// The first day a date stands for (`2026-06` → 1 June 2026).
pub fn first_day(iso: &str) -> Option<NaiveDate> {
    match iso.len() {
        10 => NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok(),
        7 => NaiveDate::parse_from_str(&format!("{iso}-01"), "%Y-%m-%d").ok(),
        _ => None,
    }
}

/// The last day a date stands for (`2026-06` → 30 June 2026): what "ends June 2026" means.
pub fn last_day(iso: &str) -> Option<NaiveDate> {
    let first = first_day(iso)?;
    if iso.len() == 10 {
        return Some(first);
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    next.pred_opt()
}

/// An ISO date as UK pages show it: `16/06/2026`, `June 2026` (anything else unchanged).
pub fn display_date(iso: &str) -> String {
    match (iso.len(), first_day(iso)) {
        (10, Some(d)) => d.format("%d/%m/%Y").to_string(),
        (7, Some(d)) => d.format("%B %Y").to_string(),
        _ => iso.to_owned(),
    }
}

/// An amount in pounds: `£1.2m`, `£25bn`, `£17 billion`, `£650 per day`, `£1,200,000`,
/// `£2.5 million`, `up to £500k`, `GBP 1,000`.
pub fn parse_money(s: &str) -> Option<f64> {
    parse_money_parts(&clean(s)?).map(|(amount, _)| amount)
}

/// The words around an amount that change what it means (`up to`, `per day`, `+ VAT`),
/// lower case and folded; `None` when `s` is not an amount.
pub fn money_context(s: &str) -> Option<String> {
    parse_money_parts(&clean(s)?).map(|(_, context)| context)
}

fn parse_money_parts(s: &str) -> Option<(f64, String)> {
    let c = MONEY.as_ref()?.captures(s)?;
    let whole: String = c
        .get(2)?
        .as_str()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let frac = c.get(3).map_or("", |m| m.as_str());
    let exp: i32 = match c.get(4).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
        None => 0,
        Some("k" | "thousand") => 3,
        Some("m" | "mn" | "million") => 6,
        Some("b" | "bn" | "billion") => 9,
        Some(_) => 12,
    };
    if whole.len() + frac.len() > 18 {
        return None;
    }
    let digits: u64 = format!("{whole}{frac}").parse().ok()?;
    let amount = digits as f64 * 10f64.powi(exp - frac.len() as i32);
    let context = [1, 5, 6]
        .iter()
        .filter_map(|&i| c.get(i))
        .map(|m| fold(&m.as_str().to_lowercase()))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some((amount, context))
}

/// `£1,200,000`, `£1,200,000.50`.
pub fn format_money(m: f64) -> String {
    if !m.is_finite() {
        return "£?".to_owned();
    }
    let pence = (m * 100.0).round();
    let whole = (pence / 100.0).trunc();
    let rest = (pence - whole * 100.0).abs() as u64;
    let digits = format!("{whole:.0}");
    let mut out = String::from("£");
    let n = digits.len();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if rest > 0 {
        out.push_str(&format!(".{rest:02}"));
    }
    out
}

/// A count: `42`, `1,234`, `42 suppliers`, `3 lots`.
pub fn parse_count(s: &str) -> Option<u64> {
    let s = clean(s)?;
    let c = COUNT.as_ref()?.captures(&s)?;
    let digits: String = c
        .get(1)?
        .as_str()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A framework or notice reference in canonical form: `rm 6098` → `RM6098`, `RM1557.14`,
/// `SBS10026`, `012345-2026`.
pub fn parse_reference(s: &str) -> Option<String> {
    let s = clean(s)?;
    let s = match s.find(" (") {
        Some(i) => s.get(..i).unwrap_or(&s).trim().to_owned(),
        None => s,
    };
    let c = REFERENCE.as_ref()?.captures(&s)?;
    if let (Some(_), Some(n)) = (c.get(1), c.get(2)) {
        return Some(format!("RM{}", n.as_str()));
    }
    if let (Some(_), Some(n)) = (c.get(3), c.get(4)) {
        return Some(format!("SBS{}", n.as_str().to_ascii_uppercase()));
    }
    c.get(5).map(|m| m.as_str().to_owned())
}

/// Whether `s` is a reference in the canonical form [`parse_reference`] writes.
pub fn is_canonical_reference(s: &str) -> bool {
    CANONICAL_REFERENCE
        .as_ref()
        .is_some_and(|re| re.is_match(s))
}

/// The value of a fact named `name` whose text is `text`: dates for date names, counts for
/// `suppliers`/`lots`, money for `value`, a reference for `reference`; any other name takes
/// the first type that parses (reference, date, money, count), else the folded text.
pub fn typed(name: &str, text: &str) -> FactValue {
    let folded = fold(text);
    // Every date, amount, count and reference has a digit: without one, the text is text.
    if !folded.bytes().any(|b| b.is_ascii_digit()) {
        return FactValue::Text(folded);
    }
    let by_name = match name {
        "start_date" | "end_date" => parse_date(&folded).map(FactValue::Date),
        "suppliers" | "lots" => parse_count(&folded).map(FactValue::Count),
        "value" => parse_money(&folded).map(FactValue::Money),
        "reference" => parse_reference(&folded).map(FactValue::Reference),
        "status" => None,
        _ => parse_reference(&folded)
            .map(FactValue::Reference)
            .or_else(|| parse_date(&folded).map(FactValue::Date))
            .or_else(|| parse_money(&folded).map(FactValue::Money))
            .or_else(|| parse_count(&folded).map(FactValue::Count)),
    };
    by_name.unwrap_or(FactValue::Text(folded))
}

/// What two texts of a [`FactValue::Text`] are compared by: case, dashes, quotes and
/// trailing punctuation do not count.
pub fn text_key(s: &str) -> String {
    let s: String = fold(s)
        .chars()
        .map(|c| match c {
            '–' | '—' | '‐' | '‑' | '−' => '-',
            '‘' | '’' => '\'',
            '“' | '”' => '"',
            c => c,
        })
        .collect();
    s.trim_end_matches(['.', ':', ';', ',', ' '])
        .to_lowercase()
        .replace(" - ", "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_uk_form() {
        for s in [
            "16/06/2026",
            "16.06.2026",
            "16-06-2026",
            "16/6/2026",
            "16/06/26",
            "16 June 2026",
            "16th June 2026",
            "16th of June 2026",
            "16 Jun 2026",
            "16 JUNE 2026",
            "16-Jun-2026",
            "Tuesday 16 June 2026",
            "Tue, 16 June 2026",
            "June 16, 2026",
            "June 16th 2026",
            "2026-06-16",
            "2026/06/16",
            " 16 June\u{a0}2026. ",
            "16 June 2026 (extended)",
            "8 June 2026 — See all updates",
        ] {
            let want = if s.contains('8') && !s.contains("16") {
                "2026-06-08"
            } else {
                "2026-06-16"
            };
            assert_eq!(parse_date(s).as_deref(), Some(want), "{s}");
        }
        assert_eq!(parse_date("June 2026").as_deref(), Some("2026-06"));
        assert_eq!(parse_date("Jun 2026").as_deref(), Some("2026-06"));
        assert_eq!(parse_date("Sept 2026").as_deref(), Some("2026-09"));
        assert_eq!(parse_date("2026-06").as_deref(), Some("2026-06"));
    }

    #[test]
    fn ambiguous_dates_are_day_first_and_nonsense_is_not_a_date() {
        assert_eq!(parse_date("01/02/2026").as_deref(), Some("2026-02-01"));
        assert_eq!(parse_date("03/04/2026").as_deref(), Some("2026-04-03"));
        assert_eq!(parse_date("12/11/2026").as_deref(), Some("2026-11-12"));
        for s in [
            "06/16/2026", // month-first: no 16th month
            "31/02/2026",
            "29/02/2025",
            "16/06-2026",
            "16 June",
            "2026",
            "June",
            "16/06/2026 to 16/12/2026",
            "Between June 2026 and July 2026",
            "The end date was moved to 16 June 2026",
            "16 Junes 2026",
            "32 June 2026",
            "16/06/1026",
            "",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert_eq!(parse_date("29/02/2028").as_deref(), Some("2028-02-29"));
    }

    #[test]
    fn month_dates_stand_for_the_month() {
        assert_eq!(last_day("2026-06"), NaiveDate::from_ymd_opt(2026, 6, 30));
        assert_eq!(last_day("2026-12"), NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(first_day("2026-06"), NaiveDate::from_ymd_opt(2026, 6, 1));
        assert_eq!(last_day("2026-06-16"), NaiveDate::from_ymd_opt(2026, 6, 16));
        assert_eq!(display_date("2026-06-16"), "16/06/2026");
        assert_eq!(display_date("2026-06"), "June 2026");
        assert!(is_iso_date("2026-06-16") && is_iso_date("2026-06"));
        assert!(!is_iso_date("2026-13") && !is_iso_date("2026-02-30") && !is_iso_date("26-06-16"));
    }

    #[test]
    fn money_forms() {
        let cases = [
            ("£1.2m", 1_200_000.0),
            ("£25bn", 25e9),
            ("£17 billion", 17e9),
            ("£650 per day", 650.0),
            ("£1,200,000", 1_200_000.0),
            ("£2.5 million", 2_500_000.0),
            ("£500k", 500_000.0),
            ("up to £2.5 million", 2_500_000.0),
            ("in the region of £17 billion", 17e9),
            ("GBP 1,000", 1000.0),
            ("£1,200,000.50", 1_200_000.5),
            ("£40,000 per annum", 40_000.0),
            ("£650 a day", 650.0),
            ("£100,000 excluding VAT", 100_000.0),
            ("£1.5M", 1_500_000.0),
        ];
        for (s, want) in cases {
            assert_eq!(parse_money(s), Some(want), "{s}");
        }
        for s in [
            "1.2m",
            "£",
            "£1m - £5m",
            "about 25 billion",
            "£1.2m and rising fast now",
        ] {
            assert_eq!(parse_money(s), None, "{s}");
        }
        assert_eq!(money_context("£650 per day").as_deref(), Some("per day"));
        assert_eq!(money_context("£650").as_deref(), Some(""));
        assert_eq!(money_context("up to £1m").as_deref(), Some("up to"));
        assert_ne!(
            money_context("£650 per day"),
            money_context("£650 per hour")
        );
    }

    #[test]
    fn money_display() {
        assert_eq!(format_money(1_200_000.0), "£1,200,000");
        assert_eq!(format_money(650.0), "£650");
        assert_eq!(format_money(1_200_000.5), "£1,200,000.50");
        assert_eq!(format_money(25e9), "£25,000,000,000");
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("42"), Some(42));
        assert_eq!(parse_count("42 suppliers"), Some(42));
        assert_eq!(parse_count("1 supplier"), Some(1));
        assert_eq!(parse_count("1,234"), Some(1234));
        assert_eq!(parse_count("3 lots"), Some(3));
        for s in [
            "4 years",
            "42 suppliers and more",
            "forty-two",
            "-3",
            "1.5",
            "1,23",
        ] {
            assert_eq!(parse_count(s), None, "{s}");
        }
    }

    #[test]
    fn references_canonical() {
        for (s, want) in [
            ("RM6098", "RM6098"),
            ("rm 6098", "RM6098"),
            ("RM-6098", "RM6098"),
            ("RM1557.14", "RM1557.14"),
            ("SBS10026", "SBS10026"),
            ("sbs 10026", "SBS10026"),
            ("SBS/18/AB/WAB/9304", "SBS/18/AB/WAB/9304"),
            ("RM6098 (Technology Products 2)", "RM6098"),
            ("012345-2026", "012345-2026"),
        ] {
            assert_eq!(parse_reference(s).as_deref(), Some(want), "{s}");
            assert!(is_canonical_reference(want));
        }
        for s in [
            "RM",
            "RM12",
            "FRM6098",
            "RM6098 and RM6099",
            "Agreement RM6098",
        ] {
            assert_eq!(parse_reference(s), None, "{s}");
        }
        assert!(!is_canonical_reference("rm6098"));
    }

    #[test]
    fn typed_by_name() {
        assert_eq!(
            typed("end_date", "16/06/2026"),
            FactValue::Date("2026-06-16".into())
        );
        assert_eq!(
            typed("end_date", "See documents"),
            FactValue::Text("See documents".into())
        );
        assert_eq!(typed("suppliers", "42"), FactValue::Count(42));
        assert_eq!(typed("value", "£1.2m"), FactValue::Money(1_200_000.0));
        assert_eq!(
            typed("reference", "rm 6098"),
            FactValue::Reference("RM6098".into())
        );
        assert_eq!(typed("status", "Live"), FactValue::Text("Live".into()));
        assert_eq!(typed("status", "2026"), FactValue::Text("2026".into()));
        assert_eq!(
            typed("regulation", "PCR  2015"),
            FactValue::Text("PCR 2015".into())
        );
        assert_eq!(
            typed("published", "1 July 2014"),
            FactValue::Date("2014-07-01".into())
        );
        assert_eq!(typed("day_rate", "£650 per day"), FactValue::Money(650.0));
        assert_eq!(
            typed("duration", "4 years"),
            FactValue::Text("4 years".into())
        );
    }

    #[test]
    fn text_keys_ignore_case_and_dashes() {
        assert_eq!(
            text_key("Expired – Data Still Received"),
            text_key("expired - data still received.")
        );
        assert_ne!(text_key("Live"), text_key("Expired"));
    }
}
