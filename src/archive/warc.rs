//! `export --warc`: the archive's page fetches as WARC 1.1 records (ISO 28500:2017), so that
//! replay and indexing tools (pywb, warcio, the Wayback Machine's tooling) accept them as
//! evidence.
//!
//! Key choices:
//! - **Written here, not with the `warc` crate.** warc 0.4 writes headers in hash-map order
//!   with `write` instead of `write_all` (a short write corrupts the file), holds a record's
//!   whole block in a `Record`, and only gzips a whole file, not each record. The format is
//!   small: a header block of CRLF lines, `Content-Length`, the block, two CRLFs. Each record
//!   is its own gzip member (flate2), as readers expect for random access.
//! - **Digests are SHA-1 in base32** (`sha1:…`), the form `warcio check` and CDX indexers
//!   compute and compare; WARC-Block-Digest on every record, WARC-Payload-Digest on responses
//!   and revisits.
//! - **Honest reconstruction.** The store keeps what the server sent (status, headers, body
//!   after content decoding), not the bytes on the wire nor the request. So: requests are
//!   rebuilt (GET, Host, User-Agent); status lines say HTTP/1.1; `Content-Encoding` and
//!   `Transfer-Encoding` are renamed `X-Quietwatch-Removed-…` and `Content-Length` is the
//!   stored body's length, so the payload and its headers agree; redirect hops (stored as
//!   URL + status only) become responses with just `Location` and an empty payload, marked
//!   `WARC-Truncated: unspecified`, as is any response whose body was not kept. The warcinfo
//!   record says all this.
//! - **Revisits.** A body already written earlier in this file becomes a `revisit` record
//!   (profile identical-payload-digest) pointing at the first one; a 304 becomes a `revisit`
//!   with the server-not-modified profile, pointing at the body it confirmed.
//! - **Streaming.** Fetches are read in pages of 500 and one body is in memory at a time;
//!   the file is written to `FILE.tmp` and renamed when complete, so a failed export never
//!   leaves a plausible-looking partial file.

use crate::model::FetchPurpose;
use crate::store::{format_ms, FetchRow, Store, StoreError};
use flate2::write::GzEncoder;
use flate2::Compression;
use sha1::{Digest, Sha1};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Fetches read from the store per query.
const BATCH: u32 = 500;

const PROFILE_IDENTICAL: &str = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";
const PROFILE_NOT_MODIFIED: &str = "http://netpreserve.org/warc/1.1/revisit/server-not-modified";

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Only this site's pages.
    pub site: Option<String>,
    /// Only fetches at or after this moment (UTC milliseconds).
    pub since_ms: Option<i64>,
    /// The User-Agent put in the reconstructed requests (the configured `crawl.user_agent`);
    /// `None` writes `quietwatch/<version>`.
    pub user_agent: Option<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// `response` records, redirect hops included.
    pub responses: u64,
    /// `revisit` records (repeated bodies and 304s).
    pub revisits: u64,
    /// `request` records.
    pub requests: u64,
    /// Bytes written to the file (compressed).
    pub bytes: u64,
    /// Page fetches with no response to record (network errors, unusable URLs).
    pub skipped: u64,
}

/// Errors from an export; each names the file or the stored item at fault.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the archive: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("no site named {0:?} in the archive")]
    UnknownSite(String),
    #[error("body {body} (fetch {fetch}) is missing from the archive")]
    BodyMissing { fetch: i64, body: i64 },
    #[error(
        "body {body} does not match its recorded SHA-256: the archive is damaged; export stopped"
    )]
    BodyMismatch { body: i64 },
}

/// Where a body was first written in this file, for revisit records to point at.
struct Origin {
    uri: String,
    date: String,
    record_id: String,
    payload_digest: String,
}

/// A writer that counts what passes through it.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// `sha1:` + base32, the digest form warcio and CDX indexers compare.
pub fn sha1_digest(parts: &[&[u8]]) -> String {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    format!("sha1:{}", data_encoding::BASE32.encode(&h.finalize()))
}

/// Strips what would break a header line.
fn clean(v: &str) -> String {
    v.chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

fn valid_header_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// Writes one record as its own gzip member. `headers` come after WARC-Type; the
/// Content-Length and WARC-Block-Digest of `block` are added here.
fn write_record<W: Write>(
    w: &mut W,
    warc_type: &str,
    headers: &[(&str, String)],
    block: &[&[u8]],
) -> io::Result<()> {
    let len: usize = block.iter().map(|b| b.len()).sum();
    let mut head = format!("WARC/1.1\r\nWARC-Type: {warc_type}\r\n");
    for (name, value) in headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(&clean(value));
        head.push_str("\r\n");
    }
    head.push_str(&format!(
        "WARC-Block-Digest: {}\r\nContent-Length: {len}\r\n\r\n",
        sha1_digest(block)
    ));
    let mut gz = GzEncoder::new(w, Compression::default());
    gz.write_all(head.as_bytes())?;
    for b in block {
        gz.write_all(b)?;
    }
    gz.write_all(b"\r\n\r\n")?;
    gz.finish()?;
    Ok(())
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// The HTTP head of a response as stored: status line, the stored headers (encodings renamed,
/// Content-Length replaced), then `extra` and an optional Content-Length.
fn http_head(
    status: u16,
    stored: &[(String, String)],
    content_type: Option<&str>,
    extra: &[(&str, String)],
    content_length: Option<usize>,
) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    let mut has_type = false;
    for (name, value) in stored {
        let lower = name.to_ascii_lowercase();
        if !valid_header_name(name) || lower == "content-length" {
            continue;
        }
        if lower == "content-type" {
            has_type = true;
        }
        let name = match lower.as_str() {
            "content-encoding" => "X-Quietwatch-Removed-Content-Encoding",
            "transfer-encoding" => "X-Quietwatch-Removed-Transfer-Encoding",
            _ => name.as_str(),
        };
        h.push_str(&format!("{name}: {}\r\n", clean(value)));
    }
    if let (false, Some(ct)) = (has_type, content_type) {
        h.push_str(&format!("Content-Type: {}\r\n", clean(ct)));
    }
    for (name, value) in extra {
        h.push_str(&format!("{name}: {}\r\n", clean(value)));
    }
    if let Some(n) = content_length {
        h.push_str(&format!("Content-Length: {n}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// A reconstructed GET for `url` (None when the URL has no host).
fn http_request(url: &url::Url, user_agent: &str) -> Option<Vec<u8>> {
    let host = url.host_str()?;
    let host = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    Some(
        format!(
            "GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {}\r\n\r\n",
            clean(user_agent)
        )
        .into_bytes(),
    )
}

struct Exporter<'a, W: Write> {
    store: &'a Store,
    w: Counting<W>,
    path: PathBuf,
    warcinfo_id: String,
    user_agent: String,
    written: HashMap<i64, Origin>,
    page_urls: HashMap<i64, Option<String>>,
    summary: ExportSummary,
}

impl<W: Write> Exporter<'_, W> {
    fn io(&self, source: io::Error) -> WarcError {
        WarcError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn page_url(&mut self, page_id: i64) -> Result<Option<String>, WarcError> {
        if let Some(u) = self.page_urls.get(&page_id) {
            return Ok(u.clone());
        }
        let u = self.store.page(page_id)?.map(|p| p.url);
        self.page_urls.insert(page_id, u.clone());
        Ok(u)
    }

    /// The stored body, checked against its SHA-256.
    fn body(&self, fetch: i64, body_id: i64) -> Result<Vec<u8>, WarcError> {
        match self.store.verified_body(body_id) {
            Ok(Some((bytes, _))) => Ok(bytes),
            Ok(None) => Err(WarcError::BodyMissing {
                fetch,
                body: body_id,
            }),
            Err(StoreError::BodyMismatch { .. }) => Err(WarcError::BodyMismatch { body: body_id }),
            Err(e) => Err(e.into()),
        }
    }

    fn request(&mut self, url: &url::Url, date: &str, concurrent: &str) -> Result<(), WarcError> {
        let Some(block) = http_request(url, &self.user_agent) else {
            return Ok(());
        };
        let headers = [
            ("WARC-Record-ID", record_id()),
            ("WARC-Date", date.to_string()),
            ("WARC-Target-URI", url.to_string()),
            ("WARC-Warcinfo-ID", self.warcinfo_id.clone()),
            ("WARC-Concurrent-To", concurrent.to_string()),
            (
                "Content-Type",
                "application/http;msgtype=request".to_string(),
            ),
        ];
        write_record(&mut self.w, "request", &headers, &[&block]).map_err(|e| self.io(e))?;
        self.summary.requests += 1;
        Ok(())
    }

    /// A response record; returns its record id.
    fn response(
        &mut self,
        url: &url::Url,
        date: &str,
        head: &[u8],
        payload: &[u8],
        truncated: Option<&str>,
    ) -> Result<(String, String), WarcError> {
        let id = record_id();
        let payload_digest = sha1_digest(&[payload]);
        let mut headers = vec![
            ("WARC-Record-ID", id.clone()),
            ("WARC-Date", date.to_string()),
            ("WARC-Target-URI", url.to_string()),
            ("WARC-Warcinfo-ID", self.warcinfo_id.clone()),
            ("WARC-Payload-Digest", payload_digest.clone()),
            (
                "Content-Type",
                "application/http;msgtype=response".to_string(),
            ),
        ];
        if let Some(t) = truncated {
            headers.push(("WARC-Truncated", t.to_string()));
        }
        write_record(&mut self.w, "response", &headers, &[head, payload])
            .map_err(|e| self.io(e))?;
        self.summary.responses += 1;
        Ok((id, payload_digest))
    }

    fn revisit(
        &mut self,
        url: &url::Url,
        date: &str,
        profile: &str,
        head: &[u8],
        payload_digest: &str,
        refers: (&str, &str, Option<&str>),
    ) -> Result<String, WarcError> {
        let id = record_id();
        let mut headers = vec![
            ("WARC-Record-ID", id.clone()),
            ("WARC-Date", date.to_string()),
            ("WARC-Target-URI", url.to_string()),
            ("WARC-Warcinfo-ID", self.warcinfo_id.clone()),
            ("WARC-Profile", profile.to_string()),
            ("WARC-Refers-To-Target-URI", refers.0.to_string()),
            ("WARC-Refers-To-Date", refers.1.to_string()),
        ];
        if let Some(r) = refers.2 {
            headers.push(("WARC-Refers-To", r.to_string()));
        }
        headers.push(("WARC-Payload-Digest", payload_digest.to_string()));
        headers.push((
            "Content-Type",
            "application/http;msgtype=response".to_string(),
        ));
        write_record(&mut self.w, "revisit", &headers, &[head]).map_err(|e| self.io(e))?;
        self.summary.revisits += 1;
        Ok(id)
    }

    fn export_fetch(&mut self, f: &FetchRow) -> Result<(), WarcError> {
        let page_url = match f.meta.page_id {
            Some(p) => self.page_url(p)?,
            None => None,
        };
        let Some(asked) = f.meta.url.clone().or(page_url) else {
            self.summary.skipped += 1;
            return Ok(());
        };
        let Some(status) = f.meta.status else {
            // A network error: no response to record.
            self.summary.skipped += 1;
            return Ok(());
        };
        let date = format_ms(f.meta.fetched_at);
        let Ok(asked_url) = url::Url::parse(&asked) else {
            tracing::warn!(fetch = f.id, url = %asked, "not an absolute URL; fetch left out of the WARC");
            self.summary.skipped += 1;
            return Ok(());
        };

        // Redirect hops: status and Location only (the store keeps no more of them).
        for (i, (hop, hop_status)) in f.meta.hops.iter().enumerate() {
            let Ok(hop_url) = url::Url::parse(hop) else {
                continue;
            };
            let next = f
                .meta
                .hops
                .get(i + 1)
                .map(|(u, _)| u.clone())
                .or_else(|| f.meta.final_url.clone());
            let extra: Vec<(&str, String)> = next.into_iter().map(|n| ("Location", n)).collect();
            let head = http_head(*hop_status, &[], None, &extra, Some(0));
            let (id, _) = self.response(&hop_url, &date, &head, b"", Some("unspecified"))?;
            self.request(&hop_url, &date, &id)?;
        }
        let final_url = if f.meta.hops.is_empty() {
            asked_url
        } else {
            f.meta
                .final_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .unwrap_or(asked_url)
        };

        if status == 304 {
            return self.not_modified(f, &final_url, &date);
        }
        let Some(body_id) = f.body_id else {
            // A response whose body was not kept: its status and headers, marked truncated
            // unless such a response has no body anyway.
            let bodiless = status == 204 || (100..200).contains(&status);
            let head = http_head(
                status,
                &f.meta.headers,
                f.meta.content_type.as_deref(),
                &[],
                Some(0),
            );
            let truncated = (!bodiless).then_some("unspecified");
            let (id, _) = self.response(&final_url, &date, &head, b"", truncated)?;
            return self.request(&final_url, &date, &id);
        };

        if let Some(origin) = self.written.get(&body_id) {
            let (uri, odate, oid, digest) = (
                origin.uri.clone(),
                origin.date.clone(),
                origin.record_id.clone(),
                origin.payload_digest.clone(),
            );
            let len = f.bytes.unwrap_or(0) as usize;
            let head = http_head(
                status,
                &f.meta.headers,
                f.meta.content_type.as_deref(),
                &[],
                Some(len),
            );
            let id = self.revisit(
                &final_url,
                &date,
                PROFILE_IDENTICAL,
                &head,
                &digest,
                (&uri, &odate, Some(&oid)),
            )?;
            return self.request(&final_url, &date, &id);
        }

        let body = self.body(f.id, body_id)?;
        let head = http_head(
            status,
            &f.meta.headers,
            f.meta.content_type.as_deref(),
            &[],
            Some(body.len()),
        );
        let truncated = f.meta.truncated.then_some("length");
        let (id, digest) = self.response(&final_url, &date, &head, &body, truncated)?;
        self.written.insert(
            body_id,
            Origin {
                uri: final_url.to_string(),
                date: date.clone(),
                record_id: id.clone(),
                payload_digest: digest,
            },
        );
        self.request(&final_url, &date, &id)
    }

    /// A 304: a revisit (server-not-modified) pointing at the body it confirmed.
    fn not_modified(&mut self, f: &FetchRow, url: &url::Url, date: &str) -> Result<(), WarcError> {
        let head = http_head(304, &f.meta.headers, None, &[], None);
        let confirmed: Option<(i64, i64)> = match f.version_id {
            Some(v) => self
                .store
                .version_span(v)?
                .map(|span| (span.body_id, span.first_seen)),
            None => None,
        };
        let Some((body_id, first_seen)) = confirmed else {
            // A 304 for a version the store does not have: record the bare answer.
            let (id, _) = self.response(url, date, &head, b"", None)?;
            return self.request(url, date, &id);
        };
        let (uri, odate, oid, digest) = match self.written.get(&body_id) {
            Some(o) => (
                o.uri.clone(),
                o.date.clone(),
                Some(o.record_id.clone()),
                o.payload_digest.clone(),
            ),
            None => {
                let body = self.body(f.id, body_id)?;
                (
                    url.to_string(),
                    format_ms(first_seen),
                    None,
                    sha1_digest(&[&body]),
                )
            }
        };
        self.revisit(
            url,
            date,
            PROFILE_NOT_MODIFIED,
            &head,
            &digest,
            (&uri, &odate, oid.as_deref()),
        )?;
        Ok(())
    }
}

fn warcinfo_block(store: &Store, opts: &ExportOptions, user_agent: &str) -> String {
    let mut fields = vec![
        format!("software: quietwatch/{}", env!("CARGO_PKG_VERSION")),
        "format: WARC File Format 1.1".to_string(),
        "conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
            .to_string(),
        format!(
            "description: page fetches exported from the quietwatch archive {}{}{}",
            store
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            opts.site
                .as_ref()
                .map(|s| format!(", site {s:?}"))
                .unwrap_or_default(),
            opts.since_ms
                .map(|t| format!(", fetches since {}", format_ms(t)))
                .unwrap_or_default(),
        ),
        format!("http-header-user-agent: {user_agent}"),
        "notes: request records are reconstructed (GET, Host, User-Agent): the crawler stores responses, not the requests it sent; conditional request headers are not reconstructed, so 304 answers have no request record.".to_string(),
        "notes: response status lines are reconstructed as HTTP/1.1 with the standard reason phrase; header names and values are as received.".to_string(),
        "notes: bodies are stored after content decoding, so Content-Encoding and Transfer-Encoding are renamed X-Quietwatch-Removed-Content-Encoding / X-Quietwatch-Removed-Transfer-Encoding and Content-Length is the stored body's length.".to_string(),
        "notes: redirect responses were stored as URL and status only: their records carry the status line, Location and an empty payload, with WARC-Truncated: unspecified, as do other responses whose body was not kept.".to_string(),
        "notes: a body identical to one earlier in this file is a revisit record (identical-payload-digest); a 304 Not Modified is a revisit record (server-not-modified) pointing at the body it confirmed.".to_string(),
    ];
    for f in &mut fields {
        *f = clean(f);
    }
    fields.join("\r\n") + "\r\n"
}

/// Writes every stored page fetch (purpose page or confirm) matching `opts` to `out` as a
/// gzip-per-record WARC 1.1 file: a warcinfo record, then for each fetch in order its
/// redirect hops, its response (or revisit) and a reconstructed request. Written to
/// `out.tmp` and renamed when complete.
pub fn export_warc(
    store: &Store,
    out: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary, WarcError> {
    let pages: Option<HashSet<i64>> = match &opts.site {
        Some(name) => {
            let site = store
                .find_site(name)?
                .ok_or_else(|| WarcError::UnknownSite(name.clone()))?;
            Some(
                store
                    .pages_of_site(site.id)?
                    .into_iter()
                    .map(|p| p.id)
                    .collect(),
            )
        }
        None => None,
    };
    let mut tmp_name = out.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let io_err = |source| WarcError::Io {
        path: tmp.clone(),
        source,
    };
    let file = File::create(&tmp).map_err(io_err)?;
    let result = write_all_records(store, file, &tmp, out, opts, pages.as_ref());
    match result {
        Ok((summary, file)) => {
            file.sync_all().map_err(io_err)?;
            drop(file);
            std::fs::rename(&tmp, out).map_err(|source| WarcError::Io {
                path: out.to_path_buf(),
                source,
            })?;
            tracing::info!(
                file = %out.display(),
                responses = summary.responses,
                revisits = summary.revisits,
                requests = summary.requests,
                skipped = summary.skipped,
                bytes = summary.bytes,
                "WARC export written"
            );
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn write_all_records(
    store: &Store,
    file: File,
    tmp: &Path,
    out: &Path,
    opts: &ExportOptions,
    pages: Option<&HashSet<i64>>,
) -> Result<(ExportSummary, File), WarcError> {
    let user_agent = opts
        .user_agent
        .clone()
        .unwrap_or_else(|| format!("quietwatch/{}", env!("CARGO_PKG_VERSION")));
    let mut ex = Exporter {
        store,
        w: Counting {
            inner: BufWriter::with_capacity(1 << 20, file),
            bytes: 0,
        },
        path: tmp.to_path_buf(),
        warcinfo_id: record_id(),
        user_agent: user_agent.clone(),
        written: HashMap::new(),
        page_urls: HashMap::new(),
        summary: ExportSummary::default(),
    };

    let info = warcinfo_block(store, opts, &user_agent);
    let headers = [
        ("WARC-Record-ID", ex.warcinfo_id.clone()),
        ("WARC-Date", format_ms(crate::store::now_ms())),
        (
            "WARC-Filename",
            out.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        ("Content-Type", "application/warc-fields".to_string()),
    ];
    write_record(&mut ex.w, "warcinfo", &headers, &[info.as_bytes()]).map_err(|e| ex.io(e))?;

    let mut after = 0i64;
    loop {
        let batch = store.fetches_after(after, BATCH)?;
        let Some(last) = batch.last() else { break };
        // Ids strictly increase, so this loop ends after the table's last row.
        after = last.id;
        for f in &batch {
            if !matches!(f.meta.purpose, FetchPurpose::Page | FetchPurpose::Confirm) {
                continue;
            }
            if opts.since_ms.is_some_and(|s| f.meta.fetched_at < s) {
                continue;
            }
            if let Some(pages) = pages {
                if !f.meta.page_id.is_some_and(|p| pages.contains(&p)) {
                    continue;
                }
            }
            ex.export_fetch(f)?;
        }
    }
    ex.w.flush().map_err(|e| ex.io(e))?;
    ex.summary.bytes = ex.w.bytes;
    let summary = ex.summary;
    let file = ex.w.inner.into_inner().map_err(|e| WarcError::Io {
        path: tmp.to_path_buf(),
        source: e.into_error(),
    })?;
    Ok((summary, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_payload_is_the_well_known_one() {
        assert_eq!(sha1_digest(&[b""]), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
        assert_eq!(sha1_digest(&[b"ab", b"c"]), sha1_digest(&[b"abc"]));
    }

    #[test]
    fn http_head_renames_encodings_and_sets_length() {
        let stored = vec![
            ("Content-Type".to_string(), "text/html".to_string()),
            ("Content-Encoding".to_string(), "gzip".to_string()),
            ("Transfer-Encoding".to_string(), "chunked".to_string()),
            ("Content-Length".to_string(), "999".to_string()),
            ("Bad\r\nName".to_string(), "x".to_string()),
            ("X-Evil".to_string(), "a\r\nInjected: yes".to_string()),
        ];
        let h = String::from_utf8(http_head(200, &stored, None, &[], Some(12))).unwrap();
        assert!(h.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(h.contains("X-Quietwatch-Removed-Content-Encoding: gzip\r\n"));
        assert!(h.contains("X-Quietwatch-Removed-Transfer-Encoding: chunked\r\n"));
        assert!(h.contains("Content-Length: 12\r\n"));
        assert!(!h.contains("999"));
        assert!(!h.contains("Bad"));
        assert!(h.contains("X-Evil: a  Injected: yes\r\n"));
        assert!(h.ends_with("\r\n\r\n"));
    }

    #[test]
    fn request_is_reconstructed_with_host_and_query() {
        let u = url::Url::parse("https://e.org:8443/a/b?x=1#frag").unwrap();
        let r = String::from_utf8(http_request(&u, "qw/1").unwrap()).unwrap();
        assert_eq!(
            r,
            "GET /a/b?x=1 HTTP/1.1\r\nHost: e.org:8443\r\nUser-Agent: qw/1\r\n\r\n"
        );
    }
}
