//! How values look inside the archive: times as UTC milliseconds, hashes as SHA-256, bodies
//! and texts zstd-compressed, list columns newline-separated, and the shared vocabulary's
//! enums by name.
//!
//! An enum column holding a name this build does not know fails the read with a conversion
//! error, which [`super::sqlite`] turns into [`super::StoreError::Corrupt`]: an evidence
//! archive must never read an unknown state as `new` or an unknown kind as `changed`.

use crate::model::{ChangeKind, FetchPurpose, PageState, Significance, SiteOutcome};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use sha2::{Digest, Sha256};

/// zstd level for bodies and texts: level 3 is ~4× smaller on HTML at ~0.15 ms a page.
pub(super) const ZSTD_LEVEL: i32 = 3;

/// Milliseconds since the epoch, UTC: the one time format inside the store.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Formats a stored time as RFC 3339 UTC with second precision ("2026-11-22T06:00:12Z").
pub fn format_ms(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => format!("@{ms}"),
    }
}

/// Converts a UTC instant to the store's milliseconds.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// A 32-byte hash column (zeroes when the column is damaged; the caller compares).
pub(super) fn hash32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if bytes.len() == 32 {
        out.copy_from_slice(bytes);
    }
    out
}

pub(super) fn zstd_bytes(data: &[u8]) -> rusqlite::Result<Vec<u8>> {
    zstd::encode_all(data, ZSTD_LEVEL)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// The non-empty lines of a newline-separated list.
pub(super) fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A non-negative count column.
pub(super) fn count(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, i64>(idx)?.max(0) as u64)
}

macro_rules! by_name {
    ($($t:ty),+) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value
                    .as_str()?
                    .parse::<$t>()
                    .map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    )+};
}

by_name!(
    ChangeKind,
    Significance,
    PageState,
    FetchPurpose,
    SiteOutcome
);
