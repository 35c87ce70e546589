//! The facts register for the CLI: JSON Lines (SPEC.md's shape), CSV for the spreadsheet a
//! bid team keeps, and a plain-text table for the terminal.
//!
//! Page text reaches all three: the CSV writer quotes it (the `csv` crate, so a comma, a
//! quote or a newline in a title cannot shift a column), and the text table folds it onto
//! one line without control characters. A cell that begins like a formula (`=`, `+`, `-`,
//! `@`) is prefixed with `'` in the CSV, so a hostile page cannot plant one in the sheet it is
//! opened in.

use crate::archive::register::{RegisterQuery, RegisterRow};
use crate::markup::one_line;
use std::fmt::Write as _;

/// One JSON object per row, one per line.
pub fn json_lines(rows: &[RegisterRow]) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    for r in rows {
        out.push_str(&serde_json::to_string(r)?);
        out.push('\n');
    }
    Ok(out)
}

/// The CSV columns, in order.
pub const CSV_HEADER: &[&str] = &[
    "reference",
    "title",
    "status",
    "start_date",
    "end_date",
    "ended",
    "lots",
    "suppliers",
    "site",
    "url",
    "version",
    "checked_at",
];

/// A header row and one row per agreement (lots joined as `1: Hardware; 2: Software`).
pub fn csv(rows: &[RegisterRow]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for r in rows {
        let opt = |s: &Option<String>| s.as_deref().map(cell).unwrap_or_default();
        w.write_record([
            opt(&r.reference),
            cell(&r.title),
            opt(&r.status),
            opt(&r.start_date),
            opt(&r.end_date),
            if r.ended { "yes" } else { "" }.to_string(),
            cell(&r.lots_joined()),
            r.suppliers.map(|n| n.to_string()).unwrap_or_default(),
            cell(&r.site),
            cell(&r.url),
            r.version.to_string(),
            r.checked_at.clone(),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A CSV cell: on one line, and never read as a formula by a spreadsheet.
fn cell(s: &str) -> String {
    let s = one_line(s, 2000);
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s
    }
}

/// The terminal table: end date, reference, status, suppliers, title, then the URL and lots
/// indented beneath.
pub fn render(rows: &[RegisterRow], q: &RegisterQuery) -> String {
    let mut out = String::new();
    if rows.is_empty() {
        let what = match q.expiring_days {
            Some(d) => format!("no agreement ends (or ended) within {d} days"),
            None => {
                "no agreements in the register (no page has a reference or an end date)".to_string()
            }
        };
        let _ = writeln!(out, "{what}");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<12} {:<12} {:<10} {:>9}  title",
        "end date", "reference", "status", "suppliers"
    );
    for r in rows {
        let end = r.end_date.as_deref().unwrap_or("—");
        let ended = if r.ended { " (ended)" } else { "" };
        let _ = writeln!(
            out,
            "{:<12} {:<12} {:<10} {:>9}  {}{ended}",
            one_line(end, 12),
            one_line(r.reference.as_deref().unwrap_or("—"), 12),
            one_line(r.status.as_deref().unwrap_or("—"), 10),
            r.suppliers.map(|n| n.to_string()).unwrap_or_default(),
            one_line(&r.title, 100)
        );
        let _ = writeln!(
            out,
            "    {} — {}",
            one_line(&r.site, 80),
            one_line(&r.url, 300)
        );
        for l in &r.lots {
            let mut extra = Vec::new();
            if let Some(s) = &l.status {
                extra.push(one_line(s, 40));
            }
            if let Some(e) = &l.expires {
                extra.push(format!("expires {}", one_line(e, 20)));
            }
            let extra = if extra.is_empty() {
                String::new()
            } else {
                format!(" ({})", extra.join(", "))
            };
            let _ = writeln!(
                out,
                "    lot {}: {}{extra}",
                one_line(&l.id, 20),
                one_line(&l.title, 100)
            );
        }
    }
    out
}
