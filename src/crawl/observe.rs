//! What a site's crawl hands on: what each page answered this run, the link graph's verdict
//! and the site's not-found page. The crawl does not judge; detection does.

use crate::store::{Content, SiteRow};
use std::collections::{HashMap, HashSet};

/// What one page answered in this run.
#[derive(Debug, Clone)]
pub enum Observation {
    /// 200 (or 304) at the page's own URL; its latest version is current.
    Live { first_status: u16 },
    /// 404 or 410, possibly at the end of a redirect; `confirmed` by a second fetch.
    Gone {
        status: u16,
        first_status: u16,
        confirmed: bool,
        redirect_to: Option<String>,
    },
    /// Redirected to another page, which answered 200.
    Redirected {
        first_status: u16,
        target: String,
        target_page: Option<i64>,
        content: Option<Content>,
    },
    /// Out of reach: a network error, a timeout, a 5xx, 429, 401, 403, a body cut off….
    Failed { status: Option<u16>, error: String },
}

/// The site's "page not found" page, learnt this run from a path that cannot exist.
#[derive(Debug, Clone)]
pub struct NotFoundPrint {
    pub status: u16,
    pub title: String,
    pub text: String,
}

/// Counts for the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrawlStats {
    /// Responses with a body (not 304).
    pub fetched: u64,
    pub not_modified: u64,
    /// Fetches that said nothing about the page (network errors, 5xx, cut-off bodies…).
    pub failed: u64,
    pub new_versions: u64,
}

/// Everything a site's crawl learnt, for detection.
#[derive(Debug)]
pub struct SiteObservations {
    pub run_id: i64,
    /// The site as it was before this run (so `baseline_at` says whether this is the
    /// baseline).
    pub site: SiteRow,
    /// Page id → what it answered. A page absent here was not observed (out of scope,
    /// disallowed, over budget): nothing is concluded about it.
    pub observations: HashMap<i64, Observation>,
    /// Pages linked from another page of this run or listed in a sitemap; `None` when the
    /// run cannot tell (a sitemap failed to load, or the site failed).
    pub linked: Option<HashSet<i64>>,
    /// The site's `start` pages: watched by name, never `unlinked`.
    pub start_pages: HashSet<i64>,
    pub not_found: Option<NotFoundPrint>,
    /// Why the whole site could not be crawled (every start page failed), with the cause
    /// seen; `None` when it answered.
    pub failure: Option<String>,
    pub stats: CrawlStats,
}

impl SiteObservations {
    /// Pages that answered with content this run.
    pub fn live_pages(&self) -> u64 {
        self.observations
            .values()
            .filter(|o| matches!(o, Observation::Live { .. }))
            .count() as u64
    }
}
