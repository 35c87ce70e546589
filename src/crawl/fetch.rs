//! One HTTP fetch, recorded hop by hop, bounded in time and size, and never fatal.
//!
//! The change detector needs more than "the final body": a page that now redirects to the
//! home page must be told apart from one that moved to a new slug, so every redirect response
//! is recorded as a [`Hop`]. And it must never mistake a transport problem for a change, so a
//! fetch ends in exactly one of two shapes: a [`Response`] (whatever status the server really
//! gave, 503 included) or a [`FetchFailure`] (timeout, refused connection, redirect loop …)
//! that the caller reports as "unreachable" and never as "removed".
//!
//! Key choices:
//! - reqwest follows no redirect itself (`Policy::none()`): we do it hop by hop, resolving a
//!   relative `Location`, dropping fragments, detecting loops and stopping after
//!   `max_redirects`. A redirect without `Location` is a final response.
//! - Conditional GET: `If-None-Match` / `If-Modified-Since` go only with the first URL of the
//!   chain (the validators belong to it); a 304 is a [`Response`] with status 304 and no body.
//! - Retries (`retries` extra attempts, exponential backoff with jitter) only for 5xx, 429 and
//!   network errors or timeouts, never for 4xx such as 404/410: a 404 is a finding. A 429 or
//!   503 `Retry-After` pauses the whole host in the [`HostLimiter`] (capped there), and the
//!   retry waits for that instead of its own backoff.
//! - Every request (each hop, each retry) takes a host slot, then a global slot, then waits
//!   for the host's gap, so politeness holds across pages, hops and retries alike.
//! - Every attempt runs under one deadline, `timeout`, covering connect, headers *and* body:
//!   a server that sends headers and then stalls ends as [`FetchFailure::Timeout`].
//! - The body is read as a stream and cut at `max_body_bytes` of *decoded* bytes (gzip and
//!   brotli are decoded by reqwest), so neither an endless body nor a zip bomb can exhaust
//!   memory; a cut body is kept and flagged `truncated`.
//! - Response headers are kept for the archive (WARC export), bounded: names lowercased,
//!   values lossy UTF-8, at most [`MAX_HEADERS`] headers of [`MAX_HEADER_BYTES`] each.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::Semaphore;
use url::Url;

use crate::crawl::ratelimit::{host_key, HostLimiter};

/// Response headers kept per response; the rest are dropped (and logged at debug).
pub const MAX_HEADERS: usize = 100;
/// Bytes kept of one header value.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Headers hyper will parse in one HTTP/1 response (its default, 100, fails the whole
/// response when exceeded; some CMSs send more).
const HYPER_MAX_HEADERS: usize = 1000;

/// First backoff before a retry; doubled per retry, with jitter, capped at [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between two attempts that the fetcher chooses itself.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Connect timeout, when the overall timeout is longer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the fetcher needs from `[crawl]` (SPEC.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSettings {
    pub user_agent: String,
    /// Deadline of one attempt: connect, headers and body together.
    pub timeout: Duration,
    /// Decoded body bytes kept; the rest is not read.
    pub max_body_bytes: u64,
    /// Extra attempts after a 5xx, 429 or network error.
    pub retries: u32,
    /// Requests in flight overall.
    pub concurrency: usize,
    /// Requests in flight per host.
    pub per_host_concurrency: usize,
    /// Minimum gap between request starts to one host.
    pub delay: Duration,
    /// Redirects followed before giving up (10, as browsers allow about 20).
    pub max_redirects: usize,
}

impl Default for FetchSettings {
    /// The SPEC.md defaults of `[crawl]`.
    fn default() -> Self {
        FetchSettings {
            user_agent: concat!("quietwatch/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10_000_000,
            retries: 2,
            concurrency: 8,
            per_host_concurrency: 2,
            delay: Duration::from_millis(1000),
            max_redirects: 10,
        }
    }
}

/// Errors setting up a [`Fetcher`] (fetches themselves never fail with an error: see
/// [`FetchOutcome::result`]).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the user agent {0:?} is not a valid HTTP header value")]
    UserAgent(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// One page fetch to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    pub url: Url,
    /// The ETag stored from the last fetch, sent as `If-None-Match`.
    pub etag: Option<String>,
    /// The Last-Modified stored from the last fetch, sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// false: a redirect is returned as the final [`Response`] (its `location` header says
    /// where it points; its body is not read).
    pub follow_redirects: bool,
}

impl FetchRequest {
    /// An unconditional GET that follows redirects.
    pub fn get(url: Url) -> FetchRequest {
        FetchRequest {
            url,
            etag: None,
            last_modified: None,
            follow_redirects: true,
        }
    }
}

/// One redirect response that was followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The URL that answered with the redirect.
    pub url: Url,
    pub status: u16,
    /// Where it pointed, resolved against `url`, fragment dropped; `None` only when it could
    /// not be resolved (then the fetch ends with [`FetchFailure::BadRedirect`]).
    pub location: Option<Url>,
}

/// Everything about one fetch: what was asked, when, how long, how many requests, each
/// redirect, and the final answer.
#[derive(Debug, Clone)]
pub struct FetchOutcome {
    pub requested: Url,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub duration: Duration,
    /// Requests sent in total, every hop and every retry counted.
    pub attempts: u32,
    /// Each redirect response followed, in order.
    pub hops: Vec<Hop>,
    pub result: Result<Response, FetchFailure>,
}

/// The final HTTP response of a fetch, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The final URL (after redirects).
    pub url: Url,
    pub status: u16,
    /// Names lowercased, values lossy UTF-8, bounded (see [`MAX_HEADERS`]).
    pub headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Content-decoded (gzip, brotli) bytes, at most `max_body_bytes`; empty for a 304.
    pub body: Vec<u8>,
    /// The body was longer than `max_body_bytes` and was cut.
    pub truncated: bool,
}

impl Response {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a fetch produced no HTTP response. These are transport problems, not findings about
/// the page: the caller counts them towards "unreachable", never towards "removed".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchFailure {
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("gave up after {0} redirects")]
    TooManyRedirects(usize),
    #[error("redirect loop back to {0}")]
    RedirectLoop(Url),
    #[error("bad redirect: {0}")]
    BadRedirect(String),
    #[error("error reading the body: {0}")]
    Body(String),
    #[error("{0}")]
    Other(String),
}

/// Makes fetches. Cheap to clone: clones share the client, the global concurrency limit and
/// the [`HostLimiter`].
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    settings: FetchSettings,
    global: Arc<Semaphore>,
    limiter: HostLimiter,
}

/// A failed attempt, and whether trying again might help.
struct AttemptError {
    failure: FetchFailure,
    transient: bool,
}

/// What one request returned, before it is judged a redirect or a final response.
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    location: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
    truncated: bool,
}

impl Fetcher {
    /// Builds the HTTP client (rustls, gzip + brotli decoding, no automatic redirects, no
    /// automatic retries) and the limits.
    pub fn new(settings: FetchSettings) -> Result<Fetcher, FetchError> {
        let user_agent = HeaderValue::from_str(&settings.user_agent)
            .map_err(|_| FetchError::UserAgent(settings.user_agent.clone()))?;
        let mut default_headers = HeaderMap::new();
        default_headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
        );
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(default_headers)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .connect_timeout(settings.timeout.min(CONNECT_TIMEOUT))
            .timeout(settings.timeout)
            .gzip(true)
            .brotli(true)
            // Be as lenient as browsers with sloppy response heads, or a site with one odd
            // header would look unreachable forever. MAX_HEADERS still bounds what is kept.
            .http1_max_headers(HYPER_MAX_HEADERS)
            .http1_ignore_invalid_headers_in_responses(true)
            .http1_allow_obsolete_multiline_headers_in_responses(true)
            .http1_allow_spaces_after_header_name_in_responses(true)
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        let limiter = HostLimiter::new(settings.per_host_concurrency, settings.delay);
        let global = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                settings,
                global,
                limiter,
            }),
        })
    }

    /// The per-host politeness state, for robots.txt Crawl-delay ([`HostLimiter::set_min_gap`]).
    pub fn limiter(&self) -> &HostLimiter {
        &self.inner.limiter
    }

    /// The settings this fetcher was built with.
    pub fn settings(&self) -> &FetchSettings {
        &self.inner.settings
    }

    /// Fetches `req.url`, following redirects if asked, retrying transient failures.
    ///
    /// Never panics and never hangs: each attempt is bounded by `timeout`, the number of
    /// attempts by `retries` and `max_redirects`, and every wait for the host by the
    /// [`HostLimiter`]'s caps.
    pub async fn fetch(&self, req: FetchRequest) -> FetchOutcome {
        let started_at = chrono::Utc::now();
        let clock = Instant::now();
        let mut attempts = 0u32;
        let mut hops: Vec<Hop> = Vec::new();
        let result = self.follow(&req, &mut attempts, &mut hops).await;
        let outcome = FetchOutcome {
            requested: req.url,
            started_at,
            duration: clock.elapsed(),
            attempts,
            hops,
            result,
        };
        match &outcome.result {
            Ok(response) => tracing::debug!(
                url = %outcome.requested,
                final_url = %response.url,
                status = response.status,
                bytes = response.body.len(),
                truncated = response.truncated,
                attempts = outcome.attempts,
                hops = outcome.hops.len(),
                ms = outcome.duration.as_millis() as u64,
                "fetched"
            ),
            Err(failure) => tracing::debug!(
                url = %outcome.requested,
                attempts = outcome.attempts,
                hops = outcome.hops.len(),
                ms = outcome.duration.as_millis() as u64,
                %failure,
                "fetch failed"
            ),
        }
        outcome
    }

    /// The redirect loop: one [`Self::with_retries`] per URL of the chain.
    async fn follow(
        &self,
        req: &FetchRequest,
        attempts: &mut u32,
        hops: &mut Vec<Hop>,
    ) -> Result<Response, FetchFailure> {
        let mut url = without_fragment(&req.url);
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchFailure::Other(format!(
                "unsupported URL scheme {:?} in {url}",
                url.scheme()
            )));
        }
        let mut visited: HashSet<Url> = HashSet::from([url.clone()]);
        loop {
            let validators = if hops.is_empty() {
                (req.etag.as_deref(), req.last_modified.as_deref())
            } else {
                (None, None)
            };
            let raw = self.with_retries(&url, validators, attempts).await?;
            let redirect_to = match (&raw.location, is_redirect(raw.status)) {
                (Some(location), true) if req.follow_redirects => location,
                _ => return Ok(final_response(url, raw)),
            };
            let target = match url.join(redirect_to.trim()) {
                Ok(target) => without_fragment(&target),
                Err(e) => {
                    hops.push(Hop {
                        url: url.clone(),
                        status: raw.status,
                        location: None,
                    });
                    return Err(FetchFailure::BadRedirect(format!(
                        "{url} answered {} with Location {redirect_to:?}: {e}",
                        raw.status
                    )));
                }
            };
            hops.push(Hop {
                url: url.clone(),
                status: raw.status,
                location: Some(target.clone()),
            });
            if !matches!(target.scheme(), "http" | "https") {
                return Err(FetchFailure::BadRedirect(format!(
                    "{url} redirects to {target}, which is not HTTP"
                )));
            }
            if !visited.insert(target.clone()) {
                return Err(FetchFailure::RedirectLoop(target));
            }
            if hops.len() > self.inner.settings.max_redirects {
                return Err(FetchFailure::TooManyRedirects(
                    self.inner.settings.max_redirects,
                ));
            }
            tracing::trace!(from = %url, to = %target, status = raw.status, "following redirect");
            url = target;
        }
    }

    /// One URL, with retries for 5xx, 429 and transient network failures.
    async fn with_retries(
        &self,
        url: &Url,
        validators: (Option<&str>, Option<&str>),
        attempts: &mut u32,
    ) -> Result<RawResponse, FetchFailure> {
        let key = host_key(url);
        let mut retry = 0u32;
        loop {
            *attempts = attempts.saturating_add(1);
            let result = self.attempt(url, &key, validators).await;
            let mut paused = false;
            let transient = match &result {
                Ok(raw) => {
                    if matches!(raw.status, 429 | 503) {
                        if let Some(wait) = raw.retry_after {
                            self.inner.limiter.pause(&key, wait);
                            paused = true;
                        }
                    }
                    raw.status == 429 || (500..600).contains(&raw.status)
                }
                Err(e) => e.transient,
            };
            if !transient || retry >= self.inner.settings.retries {
                return result.map_err(|e| e.failure);
            }
            // A Retry-After pause already holds the host back; otherwise back off ourselves.
            let wait = if paused {
                Duration::ZERO
            } else {
                backoff(retry)
            };
            match &result {
                Ok(raw) => {
                    tracing::debug!(%url, status = raw.status, ?wait, "retrying after status")
                }
                Err(e) => {
                    tracing::debug!(%url, failure = %e.failure, ?wait, "retrying after failure")
                }
            }
            retry += 1;
            tokio::time::sleep(wait).await;
        }
    }

    /// One request: host slot, global slot, host gap, then send and read under the deadline.
    async fn attempt(
        &self,
        url: &Url,
        key: &str,
        (etag, last_modified): (Option<&str>, Option<&str>),
    ) -> Result<RawResponse, AttemptError> {
        let global = Arc::clone(&self.inner.global);
        let (_host_permit, global_permit) = self
            .inner
            .limiter
            .acquire_then(key, global.acquire_owned())
            .await;
        // The global semaphore is never closed; without a permit we still go on.
        let _global_permit = global_permit.ok();

        let mut request = self.inner.client.get(url.clone());
        if let Some(etag) = etag.and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(date) = last_modified.and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header(header::IF_MODIFIED_SINCE, date);
        }
        let timeout = self.inner.settings.timeout;
        let max_body = self.inner.settings.max_body_bytes;
        let exchange = async move {
            let response = request.send().await.map_err(classify)?;
            read_response(response, max_body).await
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(AttemptError {
                failure: FetchFailure::Timeout(format!(
                    "no complete response from {url} within {timeout:?}"
                )),
                transient: true,
            }),
        }
    }
}

/// Reads status, headers and (capped) body. A redirect with a Location is not read further:
/// its body is never used.
async fn read_response(
    response: reqwest::Response,
    max_body: u64,
) -> Result<RawResponse, AttemptError> {
    let status = response.status().as_u16();
    let header_map = response.headers();
    let header_text = |name: header::HeaderName| {
        header_map
            .get(name)
            .map(|v| lossy(v.as_bytes(), MAX_HEADER_BYTES))
    };
    let location = header_text(header::LOCATION);
    let retry_after = header_text(header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
    let total_headers = header_map.len();
    let headers: Vec<(String, String)> = header_map
        .iter()
        .take(MAX_HEADERS)
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                lossy(value.as_bytes(), MAX_HEADER_BYTES),
            )
        })
        .collect();
    if total_headers > MAX_HEADERS {
        tracing::debug!(
            url = %response.url(),
            total_headers,
            kept = MAX_HEADERS,
            "response headers capped"
        );
    }
    let mut body = Vec::new();
    let mut truncated = false;
    if !(is_redirect(status) && location.is_some()) && status != 304 {
        let cap = usize::try_from(max_body).unwrap_or(usize::MAX);
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(classify_body)?;
            let room = cap.saturating_sub(body.len());
            if chunk.len() > room {
                body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
    }
    Ok(RawResponse {
        status,
        headers,
        location,
        retry_after,
        body,
        truncated,
    })
}

fn final_response(url: Url, raw: RawResponse) -> Response {
    let first = |name: &str| {
        raw.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    Response {
        content_type: first("content-type"),
        etag: first("etag"),
        last_modified: first("last-modified"),
        url,
        status: raw.status,
        headers: raw.headers,
        body: raw.body,
        truncated: raw.truncated,
    }
}

/// Statuses that redirect (300 and 304 do not).
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

/// Lossy UTF-8 of at most `max` bytes (a character cut in two becomes U+FFFD).
fn lossy(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(bytes.get(..max).unwrap_or(bytes)).into_owned()
}

/// `Retry-After` as delay-seconds or an HTTP date; a date in the past means no wait. The
/// [`HostLimiter`] caps whatever this returns.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings overflow u64: treat as "very long", capped later.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Exponential backoff with jitter: retry 0 waits 250–500 ms, retry 1 500–1000 ms, …, at most
/// [`MAX_BACKOFF`]. The jitter keeps parallel crawls from retrying in lockstep.
fn backoff(retry: u32) -> Duration {
    let full = BASE_BACKOFF
        .saturating_mul(1u32 << retry.min(16))
        .min(MAX_BACKOFF);
    full / 2 + full.mul_f64(fastrand::f64() / 2.0)
}

/// Sorts a reqwest error from sending the request.
fn classify(e: reqwest::Error) -> AttemptError {
    let message = error_chain(&e);
    let (failure, transient) = if e.is_timeout() {
        (FetchFailure::Timeout(message), true)
    } else if e.is_connect() {
        (FetchFailure::Connect(message), true)
    } else if e.is_body() || e.is_decode() {
        (FetchFailure::Body(message), !e.is_decode())
    } else if e.is_request() {
        // Sending failed after connecting (reset, closed early, protocol error): transient.
        (FetchFailure::Other(message), true)
    } else {
        (FetchFailure::Other(message), false)
    };
    AttemptError { failure, transient }
}

/// Sorts a reqwest error from reading the body: a broken content-encoding will not fix
/// itself on retry, a connection reset might.
fn classify_body(e: reqwest::Error) -> AttemptError {
    let message = error_chain(&e);
    if e.is_timeout() {
        return AttemptError {
            failure: FetchFailure::Timeout(message),
            transient: true,
        };
    }
    AttemptError {
        transient: !e.is_decode(),
        failure: FetchFailure::Body(message),
    }
}

/// One line: the error and its sources, without the repeats reqwest and hyper produce.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let future = SystemTime::now() + Duration::from_secs(3600);
        let waited = parse_retry_after(&httpdate::fmt_http_date(future)).unwrap();
        assert!(waited > Duration::from_secs(3590) && waited <= Duration::from_secs(3600));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-5"), None);
        assert_eq!(parse_retry_after(""), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for _ in 0..100 {
            let first = backoff(0);
            assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
            let second = backoff(1);
            assert!(second >= Duration::from_millis(500) && second <= Duration::from_secs(1));
            assert!(backoff(40) <= MAX_BACKOFF && backoff(40) >= MAX_BACKOFF / 2);
        }
    }

    #[test]
    fn header_values_are_capped_lossy() {
        assert_eq!(lossy(b"abc", 2), "ab");
        assert_eq!(lossy("£".as_bytes(), 1), "\u{FFFD}");
        assert_eq!(lossy(b"\xff ok", 100), "\u{FFFD} ok");
    }

    #[test]
    fn bad_user_agent_is_an_error() {
        let settings = FetchSettings {
            user_agent: "bad\nagent".into(),
            ..FetchSettings::default()
        };
        assert!(matches!(
            Fetcher::new(settings),
            Err(FetchError::UserAgent(_))
        ));
    }
}
