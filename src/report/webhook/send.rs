//! Signing and sending a webhook's payload, bounded in time, and telling the caller which parts
//! a receiver accepted.
//!
//! The rules, and why:
//! - **Success is a 2xx and nothing else.** A 3xx is a failure: redirects are never followed
//!   (`Policy::none`), so a receiver cannot bounce the body — or, through the URL, its
//!   secret — to another host. The error names the host it pointed to.
//! - **Bounded.** Each attempt has a connect timeout and a total timeout (request, answer and
//!   the first [`MAX_ERROR_BODY`] bytes of an error body). A part gets at most two attempts:
//!   the second only when the first certainly did not deliver — the connection could not be
//!   made, or the receiver answered 5xx or 429 — after [`SendOptions::retry_backoff`], or the
//!   receiver's `Retry-After` capped at [`SendOptions::max_retry_wait`]. A timeout waiting for
//!   the answer is *not* retried in the run: the receiver may have taken the message, and a
//!   second POST would post it twice; the changes stay pending and go out next run instead.
//!   Worst case for one part: `2 × timeout + max_retry_wait`.
//! - **Marked after a 2xx, part by part.** [`deliver`] calls `on_accepted` for each part as
//!   soon as it got its 2xx, before sending the next; that is where the caller records the
//!   delivery. A part that fails stops the delivery: the parts before it stay recorded, the
//!   failed one and those after it stay pending and are rebuilt and sent next run. Chat formats
//!   are always one part, so they are delivered whole or not at all. The one repeat left is a
//!   crash (or a failed record) between a 2xx and its record: that part goes out again next
//!   run, as a mail digest would.
//! - **Parts are paced** ([`SendOptions::part_gap`], default 1 s: Slack allows about one
//!   message a second per webhook, Teams four).
//! - **Signed when a secret is set**: `X-Quietwatch-Signature: sha256=HEX`, the HMAC-SHA256
//!   of the exact body bytes, which are sent unchanged (no compression, no re-encoding).
//! - **The URL is a secret.** Errors and logs name the channel and the host only; reqwest's
//!   errors are stripped of the URL, and anything a receiver says back is cleaned, capped and
//!   scrubbed of the URL's path and query before it is repeated.

use super::{Part, Payload, WebhookSettings, WebhookUrl};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::time::Duration;

/// The signature header: `sha256=` and the lowercase hex HMAC-SHA256 of the body.
pub const SIGNATURE_HEADER: &str = "X-Quietwatch-Signature";
/// Bytes of an error answer's body read (and at most 200 characters of it repeated).
pub const MAX_ERROR_BODY: usize = 2048;

/// `sha256=HEX`: the HMAC-SHA256 of `body` keyed with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length (long ones are hashed first), so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        unreachable!("HMAC-SHA256 accepts keys of every length")
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Time bounds and pacing of deliveries.
#[derive(Debug, Clone)]
pub struct SendOptions {
    pub connect_timeout: Duration,
    /// Total time for one attempt: connecting, sending and the answer.
    pub timeout: Duration,
    /// Wait before the one retry, when the receiver gave no `Retry-After`.
    pub retry_backoff: Duration,
    /// The longest wait before the retry, whatever `Retry-After` asks.
    pub max_retry_wait: Duration,
    /// Pause between the parts of a split `json` delivery.
    pub part_gap: Duration,
    pub user_agent: String,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry_backoff: Duration::from_secs(2),
            max_retry_wait: Duration::from_secs(10),
            part_gap: Duration::from_secs(1),
            user_agent: concat!("quietwatch/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// What a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Parts accepted (all of them).
    pub parts: usize,
    /// Changes those parts carried.
    pub changes: usize,
    /// POSTs made, retries included.
    pub attempts: usize,
}

/// Why a part was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The receiver answered, with a status that is neither 2xx nor 3xx.
    Status { status: u16, detail: String },
    /// The receiver answered with a redirect, which is not followed.
    Redirect {
        status: u16,
        location_host: Option<String>,
    },
    /// No complete answer within the timeout (not retried: the receiver may have the message).
    Timeout { secs: u64 },
    /// The connection could not be made.
    Connect { cause: String },
    /// Any other transport error.
    Request { cause: String },
    /// The HTTP client could not be set up.
    Client { cause: String },
    /// The receiver accepted the part but the caller could not record it.
    Record { cause: String },
}

impl Failure {
    /// Whether the part certainly was not delivered and one retry is worth it.
    fn retryable(&self) -> bool {
        match self {
            Failure::Connect { .. } => true,
            Failure::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status { status, detail } => {
                write!(f, "answered HTTP {status}")?;
                if let Some(reason) = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                {
                    write!(f, " {reason}")?;
                }
                if !detail.is_empty() {
                    write!(f, " ({detail})")?;
                }
                Ok(())
            }
            Failure::Redirect {
                status,
                location_host,
            } => {
                write!(f, "answered HTTP {status}, a redirect")?;
                if let Some(h) = location_host {
                    write!(f, " to {h}")?;
                }
                write!(f, "; redirects are not followed")
            }
            Failure::Timeout { secs } => write!(
                f,
                "gave no complete answer within {secs}s (not retried: it may have received the message)"
            ),
            Failure::Connect { cause } => write!(f, "could not be reached: {cause}"),
            Failure::Request { cause } => write!(f, "request failed: {cause}"),
            Failure::Client { cause } => write!(f, "HTTP client could not be set up: {cause}"),
            Failure::Record { cause } => {
                write!(f, "accepted the message, but recording the delivery failed: {cause}")
            }
        }
    }
}

/// A delivery that did not complete: which channel, which host, which part and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DeliveryError {
    pub channel: String,
    /// Host and port of the webhook URL; never its path or query.
    pub host: String,
    /// 1-based part that failed.
    pub part: usize,
    pub parts: usize,
    /// Parts accepted (and recorded) before this one.
    pub accepted: usize,
    /// POSTs made for the failed part.
    pub attempts: usize,
    pub cause: Failure,
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "webhook {:?}: {} {}",
            crate::markup::one_line(&self.channel, 100),
            self.host,
            self.cause
        )?;
        if self.attempts > 1 {
            write!(f, ", after {} attempts", self.attempts)?;
        }
        if self.parts > 1 {
            write!(
                f,
                "; part {} of {} ({} earlier part(s) delivered and recorded; the rest stay pending)",
                self.part, self.parts, self.accepted
            )?;
        }
        Ok(())
    }
}

/// POSTs every part of `payload` to the webhook in order, calling `on_accepted` for each part
/// the receiver answered with a 2xx before sending the next. Stops at the first part that fails
/// (after its one retry, where one is allowed) or that `on_accepted` could not record.
pub async fn deliver<F>(
    settings: &WebhookSettings,
    payload: &Payload,
    opts: &SendOptions,
    mut on_accepted: F,
) -> Result<DeliveryReport, DeliveryError>
where
    F: FnMut(&Part) -> Result<(), String>,
{
    let parts = payload.parts.len();
    let fail = |part: usize, attempts: usize, cause: Failure| DeliveryError {
        channel: settings.name.clone(),
        host: settings.url.host(),
        part: part + 1,
        parts,
        accepted: part,
        attempts,
        cause,
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.timeout)
        .user_agent(opts.user_agent.clone())
        .build()
        .map_err(|e| {
            fail(
                0,
                0,
                Failure::Client {
                    cause: describe(e, &settings.url),
                },
            )
        })?;
    let mut attempts_total = 0;
    for (i, part) in payload.parts.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(opts.part_gap).await;
        }
        let mut attempts = 1;
        let mut outcome = post_once(&client, settings, part, opts).await;
        if let Err((failure, retry_after)) = &outcome {
            if failure.retryable() {
                let wait = retry_after
                    .unwrap_or(opts.retry_backoff)
                    .min(opts.max_retry_wait);
                tracing::warn!(
                    channel = %settings.name,
                    host = %settings.url.host(),
                    part = i + 1,
                    "webhook {failure}; retrying once in {} ms",
                    wait.as_millis()
                );
                tokio::time::sleep(wait).await;
                attempts = 2;
                outcome = post_once(&client, settings, part, opts).await;
            }
        }
        attempts_total += attempts;
        let status = outcome.map_err(|(failure, _)| fail(i, attempts, failure))?;
        on_accepted(part).map_err(|cause| {
            fail(
                i,
                attempts,
                Failure::Record {
                    cause: crate::markup::one_line(&cause, 300),
                },
            )
        })?;
        tracing::info!(
            channel = %settings.name,
            host = %settings.url.host(),
            part = i + 1,
            parts,
            status,
            changes = part.change_ids.len(),
            "webhook delivered"
        );
    }
    Ok(DeliveryReport {
        parts,
        changes: payload.change_count(),
        attempts: attempts_total,
    })
}

/// One POST of one part: the status of a 2xx, or why not (with a `Retry-After` the receiver
/// asked for).
async fn post_once(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    part: &Part,
    opts: &SendOptions,
) -> Result<u16, (Failure, Option<Duration>)> {
    let mut req = client
        .post(settings.url.expose().clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(part.body.clone());
    if let Some(secret) = &settings.secret {
        req = req.header(SIGNATURE_HEADER, signature(secret.expose(), &part.body));
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return Err((classify(e, &settings.url, opts), None)),
    };
    let status = resp.status();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    if status.is_redirection() {
        let location_host = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| settings.url.expose().join(l).ok())
            .and_then(|u| u.host_str().map(|h| crate::markup::one_line(h, 100)));
        return Err((
            Failure::Redirect {
                status: status.as_u16(),
                location_host,
            },
            None,
        ));
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let detail = match error_body(resp).await {
        Ok(b) => scrub(
            &crate::markup::one_line(&String::from_utf8_lossy(&b), 200),
            &settings.url,
        ),
        Err(_) => String::new(),
    };
    Err((
        Failure::Status {
            status: status.as_u16(),
            detail,
        },
        retry_after,
    ))
}

/// The first [`MAX_ERROR_BODY`] bytes of an error answer (Slack says why there:
/// `invalid_blocks`, `no_service`…).
async fn error_body(mut resp: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    while out.len() < MAX_ERROR_BODY {
        match resp.chunk().await? {
            Some(chunk) => {
                let room = MAX_ERROR_BODY - out.len();
                out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            None => break,
        }
    }
    Ok(out)
}

fn classify(e: reqwest::Error, url: &WebhookUrl, opts: &SendOptions) -> Failure {
    if e.is_connect() {
        Failure::Connect {
            cause: describe(e, url),
        }
    } else if e.is_timeout() {
        Failure::Timeout {
            secs: opts.timeout.as_secs_f64().ceil() as u64,
        }
    } else {
        Failure::Request {
            cause: describe(e, url),
        }
    }
}

/// A reqwest error as text: without its URL, with its causes, scrubbed of the URL's secret
/// parts in case a cause repeats them.
fn describe(e: reqwest::Error, url: &WebhookUrl) -> String {
    let e = e.without_url();
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let t = s.to_string();
        if parts.last() != Some(&t) {
            parts.push(t);
        }
        source = s.source();
        if parts.len() > 6 {
            break;
        }
    }
    scrub(&crate::markup::one_line(&parts.join(": "), 300), url)
}

/// `s` with the URL, its path and its query replaced by `…`.
fn scrub(s: &str, url: &WebhookUrl) -> String {
    let u = url.expose();
    let mut out = s.replace(u.as_str(), &url.redacted());
    if let Some(q) = u.query().filter(|q| !q.is_empty()) {
        out = out.replace(q, "…");
    }
    let path = u.path();
    if path.len() > 1 {
        out = out.replace(path, "/…");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test cases 1 and 2.
    #[test]
    fn signature_matches_rfc_4231() {
        assert_eq!(
            signature(&[0x0b; 20], b"Hi There"),
            "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn scrub_hides_path_and_query() {
        let u = WebhookUrl::parse("https://h.example/services/T1/B2/TOKEN?sig=S3CRET").unwrap();
        let s = scrub(
            "error for https://h.example/services/T1/B2/TOKEN?sig=S3CRET and /services/T1/B2/TOKEN sig=S3CRET",
            &u,
        );
        assert!(!s.contains("TOKEN") && !s.contains("S3CRET"), "{s}");
    }
}
