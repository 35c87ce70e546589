//! Spreadsheet numbers as a reader sees them: `£650.00`, `12.5%`, `31/03/2026`, not
//! `650`, `0.125`, `46112`.
//!
//! Why: a price schedule's diff should say `£650.00 → £675.00`, and the figures rule spots
//! money by its `£`. XLSX cells carry a number format code (calamine hands it over with the
//! cell's style); this renders the common subset of Excel's format language:
//!
//! - sections `positive;negative;zero` (text sections ignored);
//! - digit placeholders `0 # ?`, the decimal point, the thousands separator `,`, trailing
//!   `,` scaling by 1,000, percent `%`;
//! - literals: `"quoted"`, `\x`, currency brackets `[$£-809]`, and `$ - + ( ) : / £ € space`;
//!   `_x` is a space, `*x` (fill) and colour brackets `[Red]` are ignored;
//! - dates and times: `yyyy yy mmmm mmm mm m dddd ddd dd d hh h mm ss AM/PM` (an `m` after an
//!   hour or before seconds is minutes).
//!
//! What it does not do, and falls back to General (up to 10 significant digits, no
//! grouping) for: conditions (`[>=100]`), scientific (`0.00E+00`) and fractions (`# ?/?`).
//! A number with no known format is General, as Excel shows it. ODS cells are not rendered
//! here: an ODS file stores the text as shown beside the value, and that text is read.

/// A number under a format code (`None`: General).
pub(super) fn number(value: f64, code: Option<&str>) -> String {
    let Some(code) = code.filter(|c| !c.eq_ignore_ascii_case("general") && !c.is_empty()) else {
        return general(value);
    };
    let sections = split_sections(code);
    let (section, v, sign) = match sections.as_slice() {
        [pos, neg, ..] if value < 0.0 => (*neg, -value, ""),
        [_, _, zero, ..] if value == 0.0 => (*zero, value, ""),
        [pos, ..] => (*pos, value.abs(), if value < 0.0 { "-" } else { "" }),
        [] => return general(value),
    };
    match parse(section) {
        Some(Parsed::Number(f)) => format!("{sign}{}", f.render(v)),
        Some(Parsed::Date(tokens)) => {
            date_of_serial(value, &tokens).unwrap_or_else(|| general(value))
        }
        None => general(value),
    }
}

/// A date or time cell: its format's tokens when they are dates, else `YYYY-MM-DD` (and
/// ` HH:MM:SS` when it has a time of day).
pub(super) fn date(ymdhms: (u16, u8, u8, u8, u8, u8), code: Option<&str>) -> String {
    let tokens = code.and_then(
        |c| match split_sections(c).first().copied().and_then(parse) {
            Some(Parsed::Date(t)) => Some(t),
            _ => None,
        },
    );
    match tokens {
        Some(t) => render_date(ymdhms, &t),
        None => {
            let (y, mo, d, h, mi, s) = ymdhms;
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
    }
}

/// Excel's General: integers as they are, others to 10 significant digits, trailing zeros
/// dropped.
pub(super) fn general(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-9..15).contains(&magnitude) {
        return format!("{v:e}");
    }
    let decimals = (9 - magnitude).clamp(0, 15) as usize;
    trim_zeros(format!("{v:.decimals$}"))
}

fn trim_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn split_sections(code: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in code.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(code.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(code.get(start..).unwrap_or(""));
    out
}

enum Parsed {
    Number(NumberFormat),
    Date(Vec<DateToken>),
}

#[derive(Default)]
struct NumberFormat {
    prefix: String,
    suffix: String,
    int_zeros: usize,
    required_decimals: usize,
    optional_decimals: usize,
    grouping: bool,
    percent: bool,
    scale_thousands: u32,
    literal_only: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum DateToken {
    Literal(String),
    Year(usize),
    Month(usize),
    Day(usize),
    Hour(usize),
    Minute(usize),
    Second(usize),
    AmPm,
}

/// Splits a section into literal text and format characters.
fn lex(section: &str) -> Option<Vec<(bool, char)>> {
    let mut out = Vec::new();
    let mut chars = section.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                    out.push((true, q));
                }
            }
            '\\' => out.extend(chars.next().map(|n| (true, n))),
            '_' => {
                chars.next();
                out.push((true, ' '));
            }
            '*' => {
                chars.next();
            }
            '[' => {
                let inner: String = chars.by_ref().take_while(|c| *c != ']').collect();
                if let Some(currency) = inner.strip_prefix('$') {
                    let symbol = currency.split('-').next().unwrap_or("");
                    out.extend(symbol.chars().map(|c| (true, c)));
                } else if inner.starts_with(['<', '>', '=']) {
                    return None; // conditions
                }
                // Colours and locale tags show nothing.
            }
            c => out.push((false, c)),
        }
    }
    Some(out)
}

fn parse(section: &str) -> Option<Parsed> {
    let lexed = lex(section)?;
    let is_date = lexed
        .iter()
        .any(|(lit, c)| !lit && matches!(c.to_ascii_lowercase(), 'y' | 'd' | 'h' | 's' | 'm'));
    if is_date {
        return Some(Parsed::Date(date_tokens(&lexed)));
    }
    if lexed
        .iter()
        .any(|(lit, c)| !lit && matches!(c, 'E' | 'e' | '/' | '@'))
    {
        return None;
    }
    let mut f = NumberFormat::default();
    let (mut seen_digit, mut after_point, mut trailing_commas) = (false, false, 0u32);
    for (lit, c) in lexed {
        let placeholder = !lit && matches!(c, '0' | '#' | '?');
        if placeholder {
            if trailing_commas > 0 && !after_point {
                f.grouping = true;
            }
            trailing_commas = 0;
            seen_digit = true;
            match (after_point, c) {
                (false, '0') => f.int_zeros += 1,
                (true, '0') => f.required_decimals += 1,
                (true, _) => f.optional_decimals += 1,
                _ => {}
            }
        } else if !lit && c == '.' && !after_point {
            after_point = true;
        } else if !lit && c == ',' && seen_digit {
            trailing_commas += 1;
        } else {
            if !lit && c == '%' {
                f.percent = true;
            }
            if seen_digit {
                f.suffix.push(c);
            } else {
                f.prefix.push(c);
            }
        }
    }
    f.scale_thousands = trailing_commas;
    // A section of literal text only (`"-"` for zero) shows that text.
    f.literal_only = !seen_digit;
    Some(Parsed::Number(f))
}

impl NumberFormat {
    fn render(&self, v: f64) -> String {
        if self.literal_only {
            return self.prefix.clone();
        }
        let mut v = if self.percent { v * 100.0 } else { v };
        for _ in 0..self.scale_thousands {
            v /= 1000.0;
        }
        let decimals = self.required_decimals + self.optional_decimals;
        let mut s = format!("{v:.decimals$}");
        if self.optional_decimals > 0 {
            let keep = s.find('.').map(|p| p + 1 + self.required_decimals);
            while keep.is_some_and(|k| s.len() > k) && s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i.to_string(), Some(f.to_string())),
            None => (s, None),
        };
        let int = if int == "0" && self.int_zeros == 0 {
            String::new()
        } else {
            format!("{int:0>width$}", width = self.int_zeros)
        };
        let int = if self.grouping { group(&int) } else { int };
        let mut out = format!("{}{}", self.prefix, int);
        if let Some(frac) = frac {
            out.push('.');
            out.push_str(&frac);
        }
        out.push_str(&self.suffix);
        out
    }
}

fn group(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn date_tokens(lexed: &[(bool, char)]) -> Vec<DateToken> {
    let mut tokens: Vec<DateToken> = Vec::new();
    let mut i = 0;
    while let Some(&(lit, c)) = lexed.get(i) {
        let lower = c.to_ascii_lowercase();
        if lit || !matches!(lower, 'y' | 'm' | 'd' | 'h' | 's' | 'a') {
            match tokens.last_mut() {
                Some(DateToken::Literal(s)) => s.push(c),
                _ => tokens.push(DateToken::Literal(c.to_string())),
            }
            i += 1;
            continue;
        }
        if lower == 'a' {
            let rest: String = lexed.iter().skip(i).take(5).map(|(_, c)| *c).collect();
            if rest.eq_ignore_ascii_case("am/pm") {
                tokens.push(DateToken::AmPm);
                i += 5;
            } else {
                tokens.push(DateToken::Literal(c.to_string()));
                i += 1;
            }
            continue;
        }
        let run = lexed
            .iter()
            .skip(i)
            .take_while(|(l, d)| !l && d.to_ascii_lowercase() == lower)
            .count();
        tokens.push(match lower {
            'y' => DateToken::Year(run),
            'd' => DateToken::Day(run),
            'h' => DateToken::Hour(run),
            's' => DateToken::Second(run),
            _ => DateToken::Month(run),
        });
        i += run;
    }
    // `m` right after an hour or right before seconds is minutes.
    for k in 0..tokens.len() {
        let Some(DateToken::Month(n)) = tokens.get(k).cloned() else {
            continue;
        };
        let prev = tokens
            .get(..k)
            .and_then(|p| p.iter().rev().find(|t| !matches!(t, DateToken::Literal(_))));
        let next = tokens
            .get(k + 1..)
            .and_then(|p| p.iter().find(|t| !matches!(t, DateToken::Literal(_))));
        if matches!(prev, Some(DateToken::Hour(_))) || matches!(next, Some(DateToken::Second(_))) {
            if let Some(t) = tokens.get_mut(k) {
                *t = DateToken::Minute(n);
            }
        }
    }
    tokens
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn render_date(ymdhms: (u16, u8, u8, u8, u8, u8), tokens: &[DateToken]) -> String {
    let (y, mo, d, h, mi, s) = ymdhms;
    let ampm = tokens.contains(&DateToken::AmPm);
    let month = MONTHS
        .get(usize::from(mo).saturating_sub(1))
        .copied()
        .unwrap_or("");
    let weekday = chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d))
        .map(|date| {
            use chrono::Datelike;
            DAYS.get(date.weekday().num_days_from_monday() as usize)
                .copied()
                .unwrap_or("")
        })
        .unwrap_or("");
    let mut out = String::new();
    for t in tokens {
        match t {
            DateToken::Literal(l) => out.push_str(l),
            DateToken::Year(n) if *n <= 2 => out.push_str(&format!("{:02}", y % 100)),
            DateToken::Year(_) => out.push_str(&format!("{y:04}")),
            DateToken::Month(1) => out.push_str(&mo.to_string()),
            DateToken::Month(2) => out.push_str(&format!("{mo:02}")),
            DateToken::Month(3) => out.push_str(month.get(..3).unwrap_or(month)),
            DateToken::Month(4) => out.push_str(month),
            DateToken::Month(_) => out.push_str(month.get(..1).unwrap_or(month)),
            DateToken::Day(1) => out.push_str(&d.to_string()),
            DateToken::Day(2) => out.push_str(&format!("{d:02}")),
            DateToken::Day(3) => out.push_str(weekday.get(..3).unwrap_or(weekday)),
            DateToken::Day(_) => out.push_str(weekday),
            DateToken::Hour(n) => {
                let shown = if ampm { (h + 11) % 12 + 1 } else { h };
                out.push_str(&pad(shown, *n));
            }
            DateToken::Minute(n) => out.push_str(&pad(mi, *n)),
            DateToken::Second(n) => out.push_str(&pad(s, *n)),
            DateToken::AmPm => out.push_str(if h < 12 { "AM" } else { "PM" }),
        }
    }
    out
}

fn pad(v: u8, width: usize) -> String {
    if width >= 2 {
        format!("{v:02}")
    } else {
        v.to_string()
    }
}

/// A serial number under a date format (Excel's 1900 system, its phantom 29 February
/// included): what a number cell with a date format shows.
fn date_of_serial(serial: f64, tokens: &[DateToken]) -> Option<String> {
    if !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let days = if days < 61 { days + 1 } else { days };
    let date = base.checked_add_signed(chrono::Duration::days(days))?;
    let secs = ((serial - serial.floor()) * 86_400.0).round() as u32;
    use chrono::Datelike;
    let ymdhms = (
        u16::try_from(date.year()).ok()?,
        date.month() as u8,
        date.day() as u8,
        (secs / 3600).min(23) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
    );
    Some(render_date(ymdhms, tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_percent_and_grouping() {
        assert_eq!(number(650.0, Some("\"£\"#,##0.00")), "£650.00");
        assert_eq!(number(1234567.5, Some("[$£-809]#,##0.00")), "£1,234,567.50");
        assert_eq!(number(-42.0, Some("#,##0;[Red]-#,##0")), "-42");
        assert_eq!(number(-42.0, Some("0.0")), "-42.0");
        assert_eq!(number(0.125, Some("0.0%")), "12.5%");
        assert_eq!(number(0.5, Some("0.##")), "0.5");
        assert_eq!(number(2.0, Some("0.##")), "2");
        assert_eq!(number(0.0, Some("#,##0;-#,##0;\"-\"")), "-");
        assert_eq!(number(1500.0, Some("#,##0,\"k\"")), "2k");
        assert_eq!(number(12.0, Some("_(£* #,##0_)")), " £12 ");
    }

    #[test]
    fn general_and_unknown_formats() {
        assert_eq!(general(650.0), "650");
        assert_eq!(general(0.1 + 0.2), "0.3");
        assert_eq!(general(1.0 / 3.0), "0.3333333333");
        assert_eq!(number(3.5, Some("General")), "3.5");
        assert_eq!(number(3.5, Some("0.00E+00")), "3.5");
        assert_eq!(number(3.5, Some("[>=100]0;0.0")), "3.5");
    }

    #[test]
    fn dates_and_times() {
        let when = (2026, 3, 31, 14, 5, 9);
        assert_eq!(date(when, Some("dd/mm/yyyy")), "31/03/2026");
        assert_eq!(date(when, Some("d mmmm yyyy")), "31 March 2026");
        assert_eq!(date(when, Some("ddd d mmm yy")), "Tue 31 Mar 26");
        assert_eq!(date(when, Some("h:mm AM/PM")), "2:05 PM");
        assert_eq!(date(when, Some("hh:mm:ss")), "14:05:09");
        assert_eq!(date(when, None), "2026-03-31 14:05:09");
        assert_eq!(date((2026, 3, 31, 0, 0, 0), None), "2026-03-31");
        // A number cell with a date format: serial 46112 is 2026-03-31.
        assert_eq!(number(46112.0, Some("dd/mm/yyyy")), "31/03/2026");
    }
}
