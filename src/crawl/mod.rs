//! The crawl: fetch every page a site's watch covers, store what came back, and hand each
//! page's observed state to detection.
//!
//! Why it is shaped like this:
//! - **Known pages first.** A deleted page usually loses its inbound links at the same moment,
//!   so a crawler that only follows today's links never sees its 404. Every run re-fetches
//!   every page the store knows for the site (still in scope and allowed by robots.txt) before
//!   anything new, so `max_pages` can never crowd a known page out.
//! - **One observation per page.** The crawl does not judge; it records what each page
//!   answered (live, gone, redirected elsewhere, failed) and the link graph of this run, and
//!   hands them on as [`SiteObservations`]; detection ([`crate::analyse::detect`]) turns
//!   them into change records against each page's stored state.
//! - **A 404 is confirmed** by a second fetch at the end of the site's crawl before it can
//!   count as a removal; a 5xx or a timeout is only ever a failure.
//! - **robots.txt is re-read every run** and always wins: a disallowed URL is never fetched,
//!   even when a sitemap lists it, and a known page that became disallowed is simply not
//!   observed (out of reach, not gone).
//! - **Politeness and bounds live in the fetcher** (per-host gaps, Crawl-delay, Retry-After,
//!   timeouts, body caps); this module bounds the run itself (max_pages, sitemap count,
//!   redirect targets).
//!
//! Takes in the config, the store (to file every fetch as evidence, and to know the pages it
//! watches) and a [`PageReader`]; hands on one [`SiteObservations`] per site.
//!
//! Files: [`fetch`] (one HTTP fetch, hop by hop, bounded), [`ratelimit`] (per-host
//! politeness), [`robots`] and [`sitemap`] (the two files a site tells crawlers with),
//! [`scope`] (which URLs belong to a site), `frontier` (what is left to fetch), `graph` (who
//! links to whom), `classify` (what a response says about its page), `record` (the
//! evidence row of a fetch), `site` and `discover` (one site's crawl), [`read`] and
//! [`observe`] (the interfaces to analysis).

mod classify;
mod discover;
pub mod fetch;
mod frontier;
mod graph;
pub mod observe;
pub mod ratelimit;
pub mod read;
mod record;
pub mod robots;
mod robots_cache;
pub mod scope;
mod site;
pub mod sitemap;

pub use observe::{CrawlStats, NotFoundPrint, Observation, SiteObservations};
pub use read::{PageReader, ReadPage};

use crate::config::{Config, SiteConfig};
use crate::store::{Store, StoreError};
use fetch::{FetchSettings, Fetcher};
use robots_cache::RobotsCache;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("site {site:?}: {message}")]
    Site { site: String, message: String },
    #[error("HTTP client: {0}")]
    Client(String),
}

/// Something that wants to know how the crawl is going (the CLI's progress bar).
pub trait Progress: Send + Sync {
    fn site_started(&self, _site: &str) {}
    fn queued(&self, _n: u64) {}
    fn fetched(&self, _url: &str) {}
    fn site_finished(&self, _summary: &str) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Builds the fetcher's settings from the config.
pub fn fetch_settings(config: &Config) -> FetchSettings {
    let c = &config.crawl;
    FetchSettings {
        user_agent: c.user_agent.clone(),
        timeout: Duration::from_secs(c.timeout_s),
        max_body_bytes: c.max_body_bytes,
        retries: c.retries,
        concurrency: c.concurrency,
        per_host_concurrency: c.per_host_concurrency,
        delay: Duration::from_millis(c.delay_ms),
        max_redirects: crate::config::defaults::MAX_REDIRECTS,
    }
}

/// Crawls sites one after another, sharing one HTTP client, one politeness limiter and the
/// run's robots.txt answers.
pub struct Crawler<'c> {
    config: &'c Config,
    fetcher: Arc<Fetcher>,
    robots: RobotsCache,
}

impl<'c> Crawler<'c> {
    pub fn new(config: &'c Config) -> Result<Self, CrawlError> {
        let fetcher =
            Fetcher::new(fetch_settings(config)).map_err(|e| CrawlError::Client(e.to_string()))?;
        Ok(Crawler {
            config,
            fetcher: Arc::new(fetcher),
            robots: RobotsCache::new(config.crawl.respect_robots, config.crawl.user_agent.clone()),
        })
    }

    /// Crawls one site in run `run_id`, filing every fetch, and hands on what each page
    /// answered.
    pub async fn crawl_site(
        &mut self,
        site: &SiteConfig,
        store: &mut Store,
        run_id: i64,
        reader: Arc<dyn PageReader>,
        progress: &dyn Progress,
    ) -> Result<SiteObservations, CrawlError> {
        let scope = scope::Scope::new(site).map_err(|e| CrawlError::Site {
            site: site.name.clone(),
            message: e.to_string(),
        })?;
        let env = site::Env {
            crawl: &self.config.crawl,
            site,
            run_id,
            fetcher: self.fetcher.clone(),
            reader,
            progress,
            scope,
        };
        site::SiteCrawl::new(env, store, &mut self.robots)?
            .run()
            .await
    }
}
