//! What a response says about the page that was asked for: a pure function of the fetch.
//!
//! This is where "a failure is never a finding" is decided: a network error, a 5xx, a 429, a
//! 401/403, any status the crawl does not understand, and a 2xx body cut off at
//! `max_body_bytes` are all [`Answer::Failed`] — they count towards `unreachable`, never
//! towards `removed` or `changed`. Only a 404/410 is [`Answer::Gone`], and even that is
//! confirmed by a second fetch before detection believes it.

use super::fetch::{FetchOutcome, Response};
use crate::urlnorm;
use url::Url;

/// The page-level meaning of one fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 304: the stored latest version is still what the page serves.
    NotModified,
    /// 2xx at the page itself (or its trailing-slash twin): a body worth a version.
    Page,
    /// 2xx after redirects to a different URL.
    Elsewhere { target: Url },
    /// 404 or 410, possibly at the end of a redirect.
    Gone {
        status: u16,
        redirect_to: Option<Url>,
    },
    /// Said nothing about the page.
    Failed { status: Option<u16>, error: String },
}

/// Classifies the outcome of fetching `asked`.
pub fn classify(asked: &Url, outcome: &FetchOutcome, max_body_bytes: u64) -> Answer {
    let response = match &outcome.result {
        Err(e) => {
            return Answer::Failed {
                status: None,
                error: e.to_string(),
            }
        }
        Ok(r) => r,
    };
    let status = response.status;
    let final_url = urlnorm::canonicalize(&response.url);
    let redirected = !outcome.hops.is_empty();
    match status {
        304 => Answer::NotModified,
        200..=299 if response.truncated => Answer::Failed {
            status: Some(status),
            error: format!("body larger than max_body_bytes ({max_body_bytes} bytes)"),
        },
        200..=299 if !redirected || same_page(asked, &final_url) => Answer::Page,
        200..=299 => Answer::Elsewhere { target: final_url },
        404 | 410 => Answer::Gone {
            status,
            redirect_to: redirected.then_some(final_url),
        },
        _ => Answer::Failed {
            status: Some(status),
            error: format!("HTTP {status}"),
        },
    }
}

/// Whether a redirect ended where it started, page-wise (`/x` → `/x/` is one page).
fn same_page(asked: &Url, final_url: &Url) -> bool {
    final_url == asked || urlnorm::trailing_slash_twin(asked).as_ref() == Some(final_url)
}

/// The status of the first response for the URL asked (SPEC's `http_status`).
pub fn first_status(outcome: &FetchOutcome) -> Option<u16> {
    outcome
        .hops
        .first()
        .map(|h| h.status)
        .or_else(|| outcome.result.as_ref().ok().map(|r| r.status))
}

/// Why a start page could not be read at all, when it could not (a 404 is a finding, so it
/// is not a failure here; a page that cannot be read is).
pub fn start_page_failure(outcome: &FetchOutcome) -> Option<String> {
    match &outcome.result {
        Err(e) => Some(e.to_string()),
        Ok(r) => response_failure(r),
    }
}

fn response_failure(r: &Response) -> Option<String> {
    if r.status >= 500 || matches!(r.status, 401 | 403 | 429) {
        Some(format!("HTTP {}", r.status))
    } else if r.truncated {
        Some("body larger than max_body_bytes".to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crawl::fetch::{FetchFailure, Hop};
    use std::time::Duration;

    fn outcome(asked: &str, hops: &[(&str, u16)], status: u16, final_url: &str) -> FetchOutcome {
        FetchOutcome {
            requested: Url::parse(asked).unwrap(),
            started_at: chrono::Utc::now(),
            duration: Duration::ZERO,
            attempts: 1,
            hops: hops
                .iter()
                .map(|(u, s)| Hop {
                    url: Url::parse(u).unwrap(),
                    status: *s,
                    location: None,
                })
                .collect(),
            result: Ok(Response {
                url: Url::parse(final_url).unwrap(),
                status,
                headers: vec![],
                content_type: None,
                etag: None,
                last_modified: None,
                body: vec![],
                truncated: false,
            }),
        }
    }

    #[test]
    fn failures_are_never_findings() {
        let u = Url::parse("https://e.org/a").unwrap();
        for status in [500, 503, 429, 401, 403, 418] {
            let o = outcome("https://e.org/a", &[], status, "https://e.org/a");
            assert!(
                matches!(classify(&u, &o, 10), Answer::Failed { .. }),
                "{status}"
            );
        }
        let mut o = outcome("https://e.org/a", &[], 200, "https://e.org/a");
        o.result = Err(FetchFailure::Timeout("slow".into()));
        assert!(matches!(
            classify(&u, &o, 10),
            Answer::Failed { status: None, .. }
        ));
        let mut o = outcome("https://e.org/a", &[], 200, "https://e.org/a");
        if let Ok(r) = &mut o.result {
            r.truncated = true;
        }
        assert!(matches!(
            classify(&u, &o, 10),
            Answer::Failed {
                status: Some(200),
                ..
            }
        ));
    }

    #[test]
    fn redirects_to_a_twin_are_the_same_page_and_elsewhere_is_not() {
        let u = Url::parse("https://e.org/a").unwrap();
        let twin = outcome(
            "https://e.org/a",
            &[("https://e.org/a", 301)],
            200,
            "https://e.org/a/",
        );
        assert_eq!(classify(&u, &twin, 10), Answer::Page);
        let away = outcome(
            "https://e.org/a",
            &[("https://e.org/a", 302)],
            200,
            "https://e.org/",
        );
        assert!(matches!(classify(&u, &away, 10), Answer::Elsewhere { .. }));
        let gone = outcome(
            "https://e.org/a",
            &[("https://e.org/a", 301)],
            404,
            "https://e.org/b",
        );
        assert!(matches!(
            classify(&u, &gone, 10),
            Answer::Gone {
                status: 404,
                redirect_to: Some(_)
            }
        ));
        assert_eq!(first_status(&gone), Some(301));
    }
}
