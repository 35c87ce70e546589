//! The figures that make a change major: money, percentages, dates and framework or notice
//! numbers.
//!
//! The quiet rewrites that matter most change a number and little else ("£25bn" became
//! "in the region of £17 billion", "August 2023" became "January 2024"): a word count calls
//! that minor, so figures are recognised on their own and any added, removed or changed
//! figure makes a change major (SPEC.md).
//!
//! Key choices:
//! * Each figure has a **display** form (its text as written, whitespace folded: what a
//!   digest shows) and a **value key** (what is compared): `£25bn`, `£25 billion` and
//!   `£25,000,000,000` share one key, as do `31/03/2026`, `2026-03-31` and `31 March 2026`.
//!   Re-spelling a figure is therefore not a figure change (the words still changed, so the
//!   change itself is still recorded).
//! * Dates are read day-first (UK sites): `03/04/2026` is 3 April. Month-only dates
//!   ("February 2026") keep month precision, so "1 February 2026" → "February 2026" is a
//!   change. Bare years and plain counts ("5 suppliers", "Lot 2") are not figures: they churn
//!   without meaning much, and calling them major would cry wolf.
//! * Recognition is by regular expressions (linear time in the `regex` crate), run over the
//!   changed lines only when comparing, so the cost follows the size of the change.
//! * [`figure_changes`] cancels figures that merely moved (removed in one line, present in
//!   another), then pairs what is left before → after within the same changed line, then
//!   within the same changed block, by kind (money with money, dates with dates).

use std::collections::{HashMap, VecDeque};
use std::sync::LazyLock;

use regex::Regex;
use similar::DiffOp;

use crate::analyse::diff::LineDiff;
use crate::model::FigureChange;

/// What kind of figure a match is; only figures of one kind are paired before → after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Money,
    Percent,
    Date,
    Reference,
}

/// One recognised figure.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Figure {
    kind: Kind,
    /// The text as written, whitespace folded.
    display: String,
    /// The value compared across versions.
    key: String,
    start: usize,
    end: usize,
}

const MONTHS: &str = "January|February|March|April|May|June|July|August|September|October|\
                      November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec";

/// The recognisers, tried in this order where two start at the same place.
#[derive(Debug, Clone, Copy)]
enum Pattern {
    Money,
    MoneyWords,
    Percent,
    DayMonthYear,
    MonthDayYear,
    MonthYear,
    NumericDate,
    ShortNumericDate,
    IsoDate,
    FrameworkRm,
    FrameworkSbs,
    FindATender,
    Uuid,
}

/// URLs in the text (document links are shown as `text (URL)`): dates and RM numbers inside
/// a file path are part of an address, not figures the page states.
static URLS: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"https?://\S+").ok());

static PATTERNS: LazyLock<Vec<(Pattern, Regex)>> = LazyLock::new(|| {
    let m = MONTHS;
    let sources = [
        (
            Pattern::Money,
            r"(?:[£$€]|\b(?:GBP|EUR|USD)\s?)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:\s?((?i:thousand|million|billion|trillion|mn|bn|tn|k|m))\b)?".to_owned(),
        ),
        (
            Pattern::MoneyWords,
            r"\b(\d+(?:\.\d+)?)\s((?i:thousand|million|billion|trillion))\s(?i:pounds|euros|dollars)\b".to_owned(),
        ),
        (
            Pattern::Percent,
            r"\b(\d+(?:\.\d+)?)\s?(?:%|(?i:per\s?cent|percent)\b)".to_owned(),
        ),
        (
            Pattern::DayMonthYear,
            format!(r"\b([0-3]?\d)(?:st|nd|rd|th)?(?:\s+of)?\s+((?i:{m}))\.?,?\s+((?:19|20)\d{{2}})\b"),
        ),
        (
            Pattern::MonthDayYear,
            format!(r"\b((?i:{m}))\.?\s+([0-3]?\d)(?:st|nd|rd|th)?,?\s+((?:19|20)\d{{2}})\b"),
        ),
        (
            Pattern::MonthYear,
            format!(r"\b((?i:{m}))\.?,?\s+((?:19|20)\d{{2}})\b"),
        ),
        (
            Pattern::NumericDate,
            r"\b([0-3]?\d)([/.\-])([01]?\d)([/.\-])((?:19|20)\d{2})\b".to_owned(),
        ),
        (
            Pattern::ShortNumericDate,
            r"\b([0-3]?\d)/([01]?\d)/(\d{2})\b".to_owned(),
        ),
        (
            Pattern::IsoDate,
            r"\b((?:19|20)\d{2})([/\-])([01]\d)([/\-])([0-3]\d)\b".to_owned(),
        ),
        (Pattern::FrameworkRm, r"\bRM\s?(\d{3,5}(?:\.\d{1,3})?)\b".to_owned()),
        (
            Pattern::FrameworkSbs,
            r"\bSBS(\d{4,6}|(?:/[A-Za-z0-9]+){2,8})\b".to_owned(),
        ),
        (Pattern::FindATender, r"\b(\d{6}-(?:19|20)\d{2})\b".to_owned()),
        (
            Pattern::Uuid,
            r"\b(?i:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b".to_owned(),
        ),
    ];
    sources
        .into_iter()
        .filter_map(|(p, src)| match Regex::new(&src) {
            Ok(re) => Some((p, re)),
            Err(e) => {
                tracing::error!(pattern = ?p, error = %e, "figure pattern does not compile");
                None
            }
        })
        .collect()
});

/// The figures in `text`, in order of appearance, as written (whitespace folded).
///
/// Overlapping recognisers are resolved leftmost-longest, so "1 February 2026" is one date,
/// not also "February 2026".
pub fn figures(text: &str) -> Vec<String> {
    find_figures(text).into_iter().map(|f| f.display).collect()
}

fn find_figures(text: &str) -> Vec<Figure> {
    let mut found: Vec<Figure> = Vec::new();
    // Every figure has a digit (a UUID without one is not worth a pass over every line).
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return found;
    }
    for (pattern, re) in PATTERNS.iter() {
        for caps in re.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            let Some((kind, key)) = value_key(*pattern, &caps) else {
                continue;
            };
            found.push(Figure {
                kind,
                display: fold(whole.as_str()),
                key,
                start: whole.start(),
                end: whole.end(),
            });
        }
    }
    if let Some(urls) = URLS.as_ref() {
        let spans: Vec<(usize, usize)> =
            urls.find_iter(text).map(|m| (m.start(), m.end())).collect();
        found.retain(|f| !spans.iter().any(|&(s, e)| f.start >= s && f.start < e));
    }
    // Leftmost first; at one start, the longest wins.
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Figure> = Vec::with_capacity(found.len());
    let mut reached = 0usize;
    for f in found {
        if f.start >= reached {
            reached = f.end;
            out.push(f);
        }
    }
    out
}

/// The comparable value of a match, or `None` when it is not a real figure (31/13/2026).
fn value_key(pattern: Pattern, caps: &regex::Captures) -> Option<(Kind, String)> {
    let g = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    match pattern {
        Pattern::Money => {
            let whole = g(0);
            let currency = if whole.starts_with('£') || whole.starts_with("GBP") {
                "GBP"
            } else if whole.starts_with('€') || whole.starts_with("EUR") {
                "EUR"
            } else {
                "USD"
            };
            let amount = scaled(g(1), multiplier(g(2))?)?;
            Some((Kind::Money, format!("{currency}:{amount}")))
        }
        Pattern::MoneyWords => {
            let lower = g(0).to_ascii_lowercase();
            let currency = if lower.ends_with("pounds") {
                "GBP"
            } else if lower.ends_with("euros") {
                "EUR"
            } else {
                "USD"
            };
            let amount = scaled(g(1), multiplier(g(2))?)?;
            Some((Kind::Money, format!("{currency}:{amount}")))
        }
        Pattern::Percent => Some((Kind::Percent, format!("PCT:{}", scaled(g(1), 0)?))),
        Pattern::DayMonthYear => date_key(g(3), month(g(2))?, Some(g(1))),
        Pattern::MonthDayYear => date_key(g(3), month(g(1))?, Some(g(2))),
        Pattern::MonthYear => date_key(g(2), month(g(1))?, None),
        Pattern::NumericDate => {
            // The same separator twice, or "1/2-2026" is not a date.
            if g(2) != g(4) {
                return None;
            }
            date_key(g(5), g(3).parse().ok()?, Some(g(1)))
        }
        Pattern::ShortNumericDate => {
            let year = format!("20{}", g(3));
            date_key(&year, g(2).parse().ok()?, Some(g(1)))
        }
        Pattern::IsoDate => {
            if g(2) != g(4) {
                return None;
            }
            date_key(g(1), g(3).parse().ok()?, Some(g(5)))
        }
        Pattern::FrameworkRm => Some((Kind::Reference, format!("RM{}", g(1)))),
        Pattern::FrameworkSbs => Some((Kind::Reference, format!("SBS{}", g(1).to_uppercase()))),
        Pattern::FindATender => Some((Kind::Reference, format!("FTS:{}", g(1)))),
        Pattern::Uuid => Some((Kind::Reference, format!("CF:{}", g(0).to_ascii_lowercase()))),
    }
}

/// Month names must be capitalised as names are ("may 2026" is usually a verb).
fn month(name: &str) -> Option<u32> {
    if !name.chars().next().is_some_and(char::is_uppercase) {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let n = match lower.get(..3)? {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(n)
}

fn date_key(year: &str, month: u32, day: Option<&str>) -> Option<(Kind, String)> {
    let year: u32 = year.parse().ok()?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let key = match day {
        Some(d) => {
            let day: u32 = d.parse().ok()?;
            if !(1..=31).contains(&day) {
                return None;
            }
            format!("DATE:{year:04}-{month:02}-{day:02}")
        }
        None => format!("DATE:{year:04}-{month:02}"),
    };
    Some((Kind::Date, key))
}

/// The power of ten a money multiplier stands for.
fn multiplier(word: &str) -> Option<usize> {
    Some(match word.to_ascii_lowercase().as_str() {
        "" => 0,
        "k" | "thousand" => 3,
        "m" | "mn" | "million" => 6,
        "bn" | "billion" => 9,
        "tn" | "trillion" => 12,
        _ => return None,
    })
}

/// `number × 10^exp` as an exact decimal string without separators or needless zeros
/// ("3.5", 6 → "3500000"; "1,234.50", 0 → "1234.5").
fn scaled(number: &str, exp: usize) -> Option<String> {
    let digits: String = number.chars().filter(|c| *c != ',').collect();
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    if int.len() + frac.len() > 40 {
        return None;
    }
    let mut int = int.to_owned();
    let mut frac = frac.to_owned();
    if frac.len() <= exp {
        int.push_str(&frac);
        int.extend(std::iter::repeat_n('0', exp - frac.len()));
        frac.clear();
    } else {
        let rest = frac.split_off(exp);
        int.push_str(&frac);
        frac = rest;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    Some(if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    })
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The figures added, removed or changed between two texts (lines as `extract` makes them).
///
/// Only changed lines are read. A figure removed from one line and present in another added
/// line merely moved and is not reported. What is left is paired before → after within the
/// same changed line, then within the same changed block, figures of the same kind in order
/// ("£25bn" → "£17 billion"); the rest are reported as removed (`after: None`) or added
/// (`before: None`). Results follow the order of the text; at most [`MAX_REPORTED`].
pub fn figure_changes(old: &str, new: &str) -> Vec<FigureChange> {
    if old == new {
        return Vec::new();
    }
    figure_changes_in(&LineDiff::new(old, new))
}

/// [`figure_changes`] over a line diff already computed (so a caller wanting several views
/// of one change diffs once).
pub fn figure_changes_in(diff: &LineDiff) -> Vec<FigureChange> {
    if diff.is_equal() {
        return Vec::new();
    }
    let (removed, added) = changed_figures(diff.ops(), diff.old_lines(), diff.new_lines());
    pair(removed, added)
}

/// At most this many figure changes are reported for one change (a digest shows a few).
pub const MAX_REPORTED: usize = 200;
/// At most this many figures are read from each side's changed lines.
const MAX_FIGURES: usize = 20_000;

/// A figure found in a changed line.
struct Found {
    /// Index of the diff op (the changed block) it sits in.
    block: usize,
    /// Line number within that block's side.
    line: usize,
    figure: Figure,
    /// Cancelled (still present) or already reported.
    taken: bool,
}

/// The figures of the removed and of the added lines, in text order.
fn changed_figures(ops: &[DiffOp], old: &[&str], new: &[&str]) -> (Vec<Found>, Vec<Found>) {
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (block, op) in ops.iter().enumerate() {
        if matches!(op, DiffOp::Equal { .. }) {
            continue;
        }
        for (side, lines, range) in [
            (&mut removed, old, op.old_range()),
            (&mut added, new, op.new_range()),
        ] {
            for (line, idx) in range.enumerate() {
                if side.len() >= MAX_FIGURES {
                    break;
                }
                let text = lines.get(idx).copied().unwrap_or("");
                side.extend(find_figures(text).into_iter().map(|figure| Found {
                    block,
                    line,
                    figure,
                    taken: false,
                }));
            }
        }
    }
    (removed, added)
}

/// Cancels figures still present, pairs the rest, and reports in text order.
fn pair(mut removed: Vec<Found>, mut added: Vec<Found>) -> Vec<FigureChange> {
    // 1. Cancel: a removed figure whose value is in an added line is still there. Prefer a
    //    partner in the same line, then the same block, then anywhere (a moved paragraph).
    type Scope = fn(&Found) -> (usize, usize);
    let scopes: [Scope; 3] = [|f| (f.block, f.line), |f| (f.block, usize::MAX), |_| (0, 0)];
    for scope in scopes {
        let mut free: HashMap<(&str, (usize, usize)), VecDeque<usize>> = HashMap::new();
        for (i, a) in added.iter().enumerate().filter(|(_, a)| !a.taken) {
            free.entry((a.figure.key.as_str(), scope(a)))
                .or_default()
                .push_back(i);
        }
        let mut cancel = Vec::new();
        for r in removed.iter_mut().filter(|r| !r.taken) {
            if let Some(i) = free
                .get_mut(&(r.figure.key.as_str(), scope(r)))
                .and_then(VecDeque::pop_front)
            {
                r.taken = true;
                cancel.push(i);
            }
        }
        drop(free);
        for i in cancel {
            if let Some(a) = added.get_mut(i) {
                a.taken = true;
            }
        }
    }

    // 2. Pair by kind, same line first, then same block; 3. report the rest.
    let mut out = Vec::new();
    let (mut ri, mut ai) = (0usize, 0usize);
    while ri < removed.len() || ai < added.len() {
        let block = match (removed.get(ri), added.get(ai)) {
            (Some(r), Some(a)) => r.block.min(a.block),
            (Some(r), None) => r.block,
            (None, Some(a)) => a.block,
            (None, None) => break,
        };
        let r_end = ri
            + removed
                .get(ri..)
                .unwrap_or(&[])
                .iter()
                .take_while(|r| r.block == block)
                .count();
        let a_end = ai
            + added
                .get(ai..)
                .unwrap_or(&[])
                .iter()
                .take_while(|a| a.block == block)
                .count();
        let rs = removed.get_mut(ri..r_end).unwrap_or(&mut []);
        let as_ = added.get_mut(ai..a_end).unwrap_or(&mut []);
        pair_block(rs, as_, &mut out);
        ri = r_end;
        ai = a_end;
        if out.len() >= MAX_REPORTED {
            out.truncate(MAX_REPORTED);
            break;
        }
    }
    out
}

fn pair_block(removed: &mut [Found], added: &mut [Found], out: &mut Vec<FigureChange>) {
    for same_line in [true, false] {
        let mut free: HashMap<(Kind, usize), VecDeque<usize>> = HashMap::new();
        for (i, a) in added.iter().enumerate().filter(|(_, a)| !a.taken) {
            let line = if same_line { a.line } else { 0 };
            free.entry((a.figure.kind, line)).or_default().push_back(i);
        }
        for r in removed.iter_mut().filter(|r| !r.taken) {
            let line = if same_line { r.line } else { 0 };
            let Some(i) = free
                .get_mut(&(r.figure.kind, line))
                .and_then(VecDeque::pop_front)
            else {
                continue;
            };
            if let Some(a) = added.get_mut(i) {
                a.taken = true;
                r.taken = true;
                out.push(FigureChange {
                    before: Some(r.figure.display.clone()),
                    after: Some(a.figure.display.clone()),
                });
            }
        }
    }
    for r in removed.iter().filter(|r| !r.taken) {
        out.push(FigureChange {
            before: Some(r.figure.display.clone()),
            after: None,
        });
    }
    for a in added.iter().filter(|a| !a.taken) {
        out.push(FigureChange {
            before: None,
            after: Some(a.figure.display.clone()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(before: Option<&str>, after: Option<&str>) -> FigureChange {
        FigureChange {
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    fn keys(text: &str) -> Vec<String> {
        find_figures(text).into_iter().map(|f| f.key).collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(PATTERNS.len(), 13);
    }

    #[test]
    fn money() {
        assert_eq!(
            figures("about £25bn of spend, in the region of £17 billion, £1,234.56 and £3.5m"),
            vec!["£25bn", "£17 billion", "£1,234.56", "£3.5m"]
        );
        assert_eq!(
            keys("£25bn £25 billion £25,000,000,000 £3.5m £1,234.50 £20k €4.2M $7 GBP 12 million"),
            vec![
                "GBP:25000000000",
                "GBP:25000000000",
                "GBP:25000000000",
                "GBP:3500000",
                "GBP:1234.5",
                "GBP:20000",
                "EUR:4200000",
                "USD:7",
                "GBP:12000000",
            ]
        );
        assert_eq!(keys("25 billion pounds"), vec!["GBP:25000000000"]);
        // A following word that starts with m is not "million".
        assert_eq!(figures("£5 more"), vec!["£5"]);
    }

    #[test]
    fn percentages() {
        assert_eq!(
            figures("rose 12% then 12.5 per cent, 3 percent, 40 %"),
            vec!["12%", "12.5 per cent", "3 percent", "40 %"]
        );
        assert_eq!(keys("12.50% 12.5 per cent"), vec!["PCT:12.5", "PCT:12.5"]);
    }

    #[test]
    fn dates() {
        let text = "31/03/2026, 31-03-2026, 2026-03-31, 31.03.2026, 31/03/26, 31 March 2026, \
                    31st Mar 2026, March 31, 2026, 1 February 2026, 1st Feb 2026, \
                    February 2026, August 2023, Feb 2026, Sept. 2024";
        assert_eq!(
            keys(text),
            vec![
                "DATE:2026-03-31",
                "DATE:2026-03-31",
                "DATE:2026-03-31",
                "DATE:2026-03-31",
                "DATE:2026-03-31",
                "DATE:2026-03-31",
                "DATE:2026-03-31",
                "DATE:2026-03-31",
                "DATE:2026-02-01",
                "DATE:2026-02-01",
                "DATE:2026-02",
                "DATE:2023-08",
                "DATE:2026-02",
                "DATE:2024-09",
            ]
        );
        assert_eq!(figures("Expired: 1st  Feb 2026."), vec!["1st Feb 2026"]);
        // Not dates: impossible values, mixed separators, lower-case verbs, bare years.
        assert!(figures("31/13/2026 32/01/2026 1/2-2026 we may 2026 in 2026").is_empty());
    }

    #[test]
    fn framework_and_notice_numbers() {
        assert_eq!(
            figures(
                "RM6281, RM1557.14 and RM1043.9; SBS10026 and SBS/19/AB/WAB/9411; \
                 Find a Tender 012345-2026; Contracts Finder 0b6a4c2e-1f3d-4e5a-9b8c-7d6e5f4a3b2c."
            ),
            vec![
                "RM6281",
                "RM1557.14",
                "RM1043.9",
                "SBS10026",
                "SBS/19/AB/WAB/9411",
                "012345-2026",
                "0b6a4c2e-1f3d-4e5a-9b8c-7d6e5f4a3b2c",
            ]
        );
        assert_eq!(figures("see RM6281."), vec!["RM6281"]);
    }

    #[test]
    fn plain_counts_are_not_figures() {
        assert!(
            figures("5 suppliers across 12 lots, Lot 2, page 3 of 10, 2026 results").is_empty()
        );
    }

    #[test]
    fn changed_figures_pair_within_a_line() {
        let old = "# Framework hosts\nAbout £25bn of spend goes through frameworks.\n\
                   The review commenced in August 2023.\nUnchanged 5% line.";
        let new =
            "# Framework hosts\nIn the region of £17 billion of spend goes through frameworks.\n\
                   The review concluded in January 2024.\nUnchanged 5% line.";
        assert_eq!(
            figure_changes(old, new),
            vec![
                change(Some("£25bn"), Some("£17 billion")),
                change(Some("August 2023"), Some("January 2024")),
            ]
        );
    }

    #[test]
    fn added_removed_moved_and_respelled() {
        assert_eq!(
            figure_changes("a\nEnd date 31/03/2026\nb", "a\nb"),
            vec![change(Some("31/03/2026"), None)]
        );
        assert_eq!(
            figure_changes("a\nb", "a\nb\nNew lot worth £3m"),
            vec![change(None, Some("£3m"))]
        );
        // A paragraph that moved keeps its figures.
        assert!(figure_changes("x £5m\ny\nz", "y\nz\nx £5m").is_empty());
        // Re-spelling is not a figure change.
        assert!(figure_changes(
            "Ends 31/03/2026, worth £25bn",
            "Ends 31 March 2026, worth £25 billion"
        )
        .is_empty());
        // Unchanged figures in a changed line are not reported.
        assert_eq!(
            figure_changes(
                "From 01/04/2022 to 31/03/2026",
                "From 01/04/2022 until 31/03/2027"
            ),
            vec![change(Some("31/03/2026"), Some("31/03/2027"))]
        );
        assert!(figure_changes("same", "same").is_empty());
    }

    #[test]
    fn figures_pair_by_kind() {
        assert_eq!(
            figure_changes("Worth £5m from May 2026", "Worth £6m from June 2026"),
            vec![
                change(Some("£5m"), Some("£6m")),
                change(Some("May 2026"), Some("June 2026")),
            ]
        );
        assert_eq!(
            figure_changes("Value £5m", "Value 10%"),
            vec![change(Some("£5m"), None), change(None, Some("10%"))]
        );
    }

    #[test]
    fn scaled_is_exact() {
        assert_eq!(scaled("3.5", 6).as_deref(), Some("3500000"));
        assert_eq!(scaled("0.25", 9).as_deref(), Some("250000000"));
        assert_eq!(scaled("1.2345", 3).as_deref(), Some("1234.5"));
        assert_eq!(scaled("007", 0).as_deref(), Some("7"));
        assert_eq!(scaled("0.0", 0).as_deref(), Some("0"));
    }

    #[test]
    fn figures_inside_urls_are_not_figures() {
        let line = "- G-Cloud 14 buyers' guide (https://a.test/wp-content/uploads/2026/03/RM1557.14-Buyers-Guide.pdf) PDF";
        assert!(figures(line).is_empty(), "{:?}", figures(line));
        assert_eq!(
            figures("RM6281 guide (https://a.test/RM6281.pdf)"),
            vec!["RM6281"]
        );
    }
}
