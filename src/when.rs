//! WHEN arguments: RFC 3339 timestamps and plain dates, always read as UTC.
//!
//! A journalist asks "what did this page say on 1 February?": a plain date means the end of
//! that day for `--at`/`--to` (the state at the close of the day) and its start for
//! `--since`/`--from`. Times print in UTC with the zone stated.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

#[derive(Debug, thiserror::Error)]
#[error("{input:?} is not a time: use RFC 3339 (2026-02-01T09:30:00Z) or a date (2026-02-01)")]
pub struct WhenError {
    pub input: String,
}

/// Which end of a plain date a WHEN means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// 00:00:00.000 UTC: for lower bounds (`--since`, `--from`).
    Start,
    /// 23:59:59.999 UTC: for "as it was on that day" (`--at`, `--to`).
    End,
}

/// Parses WHEN into an instant.
pub fn parse_when(input: &str, edge: DayEdge) -> Result<DateTime<Utc>, WhenError> {
    let s = input.trim();
    let err = || WhenError {
        input: input.to_string(),
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Ok(Utc.from_utc_datetime(&t));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return Ok(Utc.from_utc_datetime(&t));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| err())?;
    let t = match edge {
        DayEdge::Start => d.and_hms_milli_opt(0, 0, 0, 0),
        DayEdge::End => d.and_hms_milli_opt(23, 59, 59, 999),
    }
    .ok_or_else(err)?;
    Ok(Utc.from_utc_datetime(&t))
}

/// Parses WHEN into the store's milliseconds.
pub fn parse_when_ms(input: &str, edge: DayEdge) -> Result<i64, WhenError> {
    parse_when(input, edge).map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps() {
        let a = parse_when("2026-02-01", DayEdge::Start).unwrap();
        assert_eq!(a.to_rfc3339(), "2026-02-01T00:00:00+00:00");
        let b = parse_when("2026-02-01", DayEdge::End).unwrap();
        assert_eq!(b.timestamp_millis() - a.timestamp_millis(), 86_399_999);
        let c = parse_when("2026-02-01T10:00:00+01:00", DayEdge::Start).unwrap();
        assert_eq!(c.to_rfc3339(), "2026-02-01T09:00:00+00:00");
        assert!(parse_when("1 Feb", DayEdge::Start).is_err());
        assert!(parse_when("2026-13-01", DayEdge::Start)
            .unwrap_err()
            .to_string()
            .contains("RFC 3339"));
    }
}
