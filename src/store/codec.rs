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

/// Largest decompressed blob the store will produce: bodies are capped by `max_body_bytes`
/// when fetched and texts by extraction, so a frame claiming more is damage, not data.
pub(super) const MAX_BLOB_BYTES: usize = 256 * 1024 * 1024;

thread_local! {
    // One compression and one decompression context per thread: creating and zeroing a
    // context per call was a tenth of the zstd time in a change check.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

pub(super) fn zstd_bytes(data: &[u8]) -> rusqlite::Result<Vec<u8>> {
    let fail = |e: std::io::Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(fail)?);
        }
        match slot.as_mut() {
            Some(c) => c.compress(data).map_err(fail),
            None => Err(fail(std::io::Error::other("no zstd compressor"))),
        }
    })
}

/// A body hashed and compressed as the archive keeps it, made wherever the bytes are (the
/// crawl does it on the thread that read the page) so the store's writer only inserts it.
#[derive(Debug, Clone)]
pub struct EncodedBody {
    pub(super) sha256: [u8; 32],
    pub(super) len: usize,
    pub(super) zstd: Vec<u8>,
}

impl EncodedBody {
    /// Hashes and compresses `body`.
    pub fn encode(body: &[u8]) -> Result<EncodedBody, super::StoreError> {
        let zstd = zstd_bytes(body).map_err(|e| super::StoreError::Corrupt {
            path: std::path::PathBuf::new(),
            message: format!("compressing a body: {e}"),
        })?;
        Ok(EncodedBody {
            sha256: sha256(body),
            len: body.len(),
            zstd,
        })
    }

    /// The body's SHA-256.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// The body's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Decompresses a blob the store wrote, refusing more than `max` bytes.
///
/// Frames written by this build carry their size and decompress in one call into a buffer of
/// exactly that size; frames from older archives (streamed, without a size) are decoded as a
/// stream, still bounded.
pub(super) fn unzstd(z: &[u8], max: usize) -> std::io::Result<Vec<u8>> {
    let Some(size) = zstd::zstd_safe::get_frame_content_size(z).ok().flatten() else {
        use std::io::Read;
        let mut out = Vec::new();
        let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
        zstd::stream::read::Decoder::new(z)?
            .take(limit)
            .read_to_end(&mut out)?;
        if out.len() > max {
            return Err(std::io::Error::other(format!("more than {max} bytes")));
        }
        return Ok(out);
    };
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if size > max {
        return Err(std::io::Error::other(format!(
            "frame claims {size} bytes, more than {max}"
        )));
    }
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new()?);
        }
        match slot.as_mut() {
            Some(d) => d.decompress(z, size),
            None => Err(std::io::Error::other("no zstd decompressor")),
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_and_old_streamed_frames_still_read() {
        let data = b"<html>the same bytes again and again</html>".repeat(100);
        let z = zstd_bytes(&data).unwrap();
        assert_eq!(unzstd(&z, data.len()).unwrap(), data);
        assert!(
            unzstd(&z, data.len() - 1).is_err(),
            "a frame larger than allowed"
        );
        // What earlier builds wrote: a streamed frame with no content size.
        let old = zstd::encode_all(&data[..], 3).unwrap();
        assert!(zstd::zstd_safe::get_frame_content_size(&old)
            .ok()
            .flatten()
            .is_none());
        assert_eq!(unzstd(&old, data.len()).unwrap(), data);
        assert!(unzstd(&old, 10).is_err());
        assert!(unzstd(b"not zstd", 100).is_err());
    }
}
