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
//!   [`crate::detect`] turns those into change records against the page's stored state.
//! - **A 404 is confirmed** by a second fetch at the end of the site's crawl before it can
//!   count as a removal; a 5xx or a timeout is only ever a failure.
//! - **robots.txt is re-read every run** and always wins: a disallowed URL is never fetched,
//!   even when a sitemap lists it, and a known page that became disallowed is simply not
//!   observed (out of reach, not gone).
//! - **Politeness and bounds live in the fetcher** (per-host gaps, Crawl-delay, Retry-After,
//!   timeouts, body caps); this module bounds the run itself (max_pages, sitemap count,
//!   redirect targets).

use crate::config::{Config, SiteConfig};
use crate::detect::{self, NotFoundPrint, Observation, SiteObservations};
use crate::extract::{Extracted, Extractor};
use crate::fetch::{FetchOutcome, FetchRequest, FetchSettings, Fetcher, Response};
use crate::model::ChangeKind;
use crate::robots::{robots_url, Robots, RobotsFetch};
use crate::scope::Scope;
use crate::store::{Content, FetchRecord, PageRow, PageState, SiteRunRecord, Store, StoreError};
use crate::urlnorm;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use url::Url;

/// Sitemap files read per site per run, at most (indexes included).
const MAX_SITEMAP_FILES: usize = 50;
/// Redirect targets of known pages fetched per site per run, at most.
const MAX_REDIRECT_TARGETS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("site {site:?}: {message}")]
    Site { site: String, message: String },
    #[error("HTTP client: {0}")]
    Client(String),
    #[error("no site named {0:?} in the config")]
    UnknownSite(String),
}

/// Something that wants to know how the crawl is going (the CLI's progress bar).
pub trait Progress: Send + Sync {
    fn site_started(&self, _site: &str) {}
    fn queued(&self, _n: u64) {}
    fn fetched(&self, _url: &str) {}
    fn site_finished(&self, _report: &SiteReport) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// How a site's crawl ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteOutcome {
    /// The first successful crawl: the pages were recorded, nothing reported.
    Baseline,
    Ok,
    /// Every start page failed: nothing was concluded about the site.
    Failed(String),
}

/// One site's run, for the summary line and the exit code.
#[derive(Debug, Clone)]
pub struct SiteReport {
    pub site: String,
    pub outcome: SiteOutcome,
    pub pages: u64,
    pub fetched: u64,
    pub not_modified: u64,
    pub failed: u64,
    pub new_versions: u64,
    pub changes: BTreeMap<ChangeKind, u64>,
}

impl SiteReport {
    fn summary(&self) -> String {
        match &self.outcome {
            SiteOutcome::Baseline => format!("{}: baseline: {} pages", self.site, self.pages),
            SiteOutcome::Failed(e) => format!("{}: FAILED ({e})", self.site),
            SiteOutcome::Ok => {
                let total: u64 = self.changes.values().sum();
                let mut s = format!(
                    "{}: {} pages ({} new versions, {} not modified, {} failed), {} change{}",
                    self.site,
                    self.pages,
                    self.new_versions,
                    self.not_modified,
                    self.failed,
                    total,
                    if total == 1 { "" } else { "s" }
                );
                if total > 0 {
                    let parts: Vec<String> = self
                        .changes
                        .iter()
                        .map(|(k, n)| format!("{n} {}", k.label()))
                        .collect();
                    s.push_str(&format!(" ({})", parts.join(", ")));
                }
                s
            }
        }
    }
}

/// The whole run, over every site.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: i64,
    pub sites: Vec<SiteReport>,
}

impl RunReport {
    /// One line for cron's mail or the terminal.
    pub fn summary_line(&self) -> String {
        let parts: Vec<String> = self.sites.iter().map(SiteReport::summary).collect();
        parts.join("; ")
    }

    /// True when a whole site could not be crawled (exit code 1).
    pub fn any_site_failed(&self) -> bool {
        self.sites
            .iter()
            .any(|s| matches!(s.outcome, SiteOutcome::Failed(_)))
    }

    /// Changes filed in this run, all sites.
    pub fn change_count(&self) -> u64 {
        self.sites.iter().flat_map(|s| s.changes.values()).sum()
    }
}

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
        max_redirects: 10,
    }
}

/// Crawls every configured site (or the one named), storing fetches and filing changes.
pub async fn crawl(
    config: &Config,
    store: &mut Store,
    run_id: i64,
    only_site: Option<&str>,
    progress: &dyn Progress,
) -> Result<RunReport, CrawlError> {
    if let Some(name) = only_site {
        if config.site(name).is_none() {
            return Err(CrawlError::UnknownSite(name.to_string()));
        }
    }
    let fetcher = Arc::new(
        Fetcher::new(fetch_settings(config)).map_err(|e| CrawlError::Client(e.to_string()))?,
    );
    let mut robots = RobotsCache::new(config.crawl.respect_robots, config.crawl.user_agent.clone());
    let mut sites = Vec::new();
    for site in &config.sites {
        if only_site.is_some_and(|n| n != site.name) {
            continue;
        }
        progress.site_started(&site.name);
        let report = SiteCrawl::new(
            config,
            site,
            store,
            run_id,
            fetcher.clone(),
            &mut robots,
            progress,
        )?
        .run()
        .await?;
        tracing::info!(target: "quietwatch::summary", "{}", report.summary());
        progress.site_finished(&report);
        sites.push(report);
    }
    Ok(RunReport { run_id, sites })
}

/// robots.txt per origin, fetched once per run.
struct RobotsCache {
    respect: bool,
    user_agent: String,
    by_origin: HashMap<String, Arc<Robots>>,
}

impl RobotsCache {
    fn new(respect: bool, user_agent: String) -> Self {
        RobotsCache {
            respect,
            user_agent,
            by_origin: HashMap::new(),
        }
    }

    async fn get(
        &mut self,
        fetcher: &Fetcher,
        store: &mut Store,
        run_id: i64,
        url: &Url,
    ) -> Result<Arc<Robots>, StoreError> {
        let origin = url.origin().ascii_serialization();
        if let Some(r) = self.by_origin.get(&origin) {
            return Ok(r.clone());
        }
        let robots = if !self.respect {
            Robots::allow_all()
        } else {
            let target = robots_url(url);
            let outcome = fetcher.fetch(FetchRequest::get(target.clone())).await;
            store.record_fetch(&aux_record(run_id, "robots", &outcome))?;
            let fetched = match &outcome.result {
                Ok(r) if r.status == 200 => RobotsFetch::Found(r.body.clone()),
                Ok(r) if (400..500).contains(&r.status) && r.status != 429 => RobotsFetch::NotFound,
                Ok(r) => {
                    tracing::warn!(url = %target, status = r.status, "robots.txt unavailable: nothing on this host is fetched this run");
                    RobotsFetch::Unavailable
                }
                Err(e) => {
                    tracing::warn!(url = %target, error = %e, "robots.txt unavailable: nothing on this host is fetched this run");
                    RobotsFetch::Unavailable
                }
            };
            let robots = Robots::from_fetch(&self.user_agent, fetched);
            if let Some(delay) = robots.crawl_delay() {
                fetcher
                    .limiter()
                    .set_min_gap(&crate::ratelimit::host_key(url), delay);
            }
            robots
        };
        let robots = Arc::new(robots);
        self.by_origin.insert(origin, robots.clone());
        Ok(robots)
    }
}

/// Why a URL is being fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A page (known or newly found).
    Page,
    /// The second fetch that confirms a 404/410 of a known page.
    Confirm,
}

#[derive(Debug, Clone)]
struct Task {
    url: Url,
    depth: u32,
    page_id: Option<i64>,
    purpose: Purpose,
    etag: Option<String>,
    last_modified: Option<String>,
}

struct TaskResult {
    task: Task,
    outcome: FetchOutcome,
    extracted: Option<Extracted>,
}

/// One site's crawl in progress.
struct SiteCrawl<'a> {
    config: &'a Config,
    site: &'a SiteConfig,
    store: &'a mut Store,
    run_id: i64,
    fetcher: Arc<Fetcher>,
    robots: &'a mut RobotsCache,
    progress: &'a dyn Progress,
    scope: Scope,
    extractor: Arc<Extractor>,
    site_row: crate::store::SiteRow,
    /// URL (canonical string) → page id, for pages and their aliases.
    index: PageIndex,
    known: HashMap<i64, PageRow>,
    queue: VecDeque<Task>,
    /// URLs scheduled this run (canonical strings).
    scheduled: HashSet<String>,
    /// URLs turned away this run (out of scope, disallowed, over budget): a navigation menu
    /// repeats the same links on every page, and each is judged once.
    turned_away: HashSet<String>,
    /// Pages fetched (or scheduled) this run.
    pages_scheduled: HashSet<i64>,
    page_budget: usize,
    observations: HashMap<i64, Observation>,
    /// Links seen this run: source page → targets (canonical strings).
    links: HashMap<i64, Vec<String>>,
    listed_in_sitemap: HashSet<String>,
    sitemap_complete: bool,
    start_pages: HashSet<i64>,
    start_urls: Vec<String>,
    /// Each start URL fetched this run, with why it failed (`None`: it answered).
    start_results: Vec<(String, Option<String>)>,
    redirect_targets: usize,
    /// URLs first seen this run that redirect to a URL not yet a page: (alias, target).
    pending_aliases: Vec<(String, String)>,
    report: SiteReport,
}

impl<'a> SiteCrawl<'a> {
    fn new(
        config: &'a Config,
        site: &'a SiteConfig,
        store: &'a mut Store,
        run_id: i64,
        fetcher: Arc<Fetcher>,
        robots: &'a mut RobotsCache,
        progress: &'a dyn Progress,
    ) -> Result<Self, CrawlError> {
        let site_err = |message: String| CrawlError::Site {
            site: site.name.clone(),
            message,
        };
        let scope = Scope::new(site).map_err(|e| site_err(e.to_string()))?;
        let extractor = Extractor::new(site.content.as_deref(), &site.ignore, &site.ignore_text)
            .map_err(|e| site_err(e.to_string()))?;
        let site_row = store.site(&site.name)?;
        let pages = store.pages_of_site(site_row.id)?;
        let mut index = PageIndex::default();
        for (url, page) in store.aliases_of_site(site_row.id)? {
            index.insert(url, page);
        }
        let mut known = HashMap::new();
        for p in pages {
            index.insert(p.url.clone(), p.id);
            known.insert(p.id, p);
        }
        Ok(SiteCrawl {
            config,
            site,
            store,
            run_id,
            fetcher,
            robots,
            progress,
            scope,
            extractor: Arc::new(extractor),
            site_row,
            index,
            known,
            queue: VecDeque::new(),
            scheduled: HashSet::new(),
            turned_away: HashSet::new(),
            pages_scheduled: HashSet::new(),
            page_budget: site.max_pages,
            observations: HashMap::new(),
            links: HashMap::new(),
            listed_in_sitemap: HashSet::new(),
            sitemap_complete: true,
            start_pages: HashSet::new(),
            start_urls: Vec::new(),
            start_results: Vec::new(),
            redirect_targets: 0,
            pending_aliases: Vec::new(),
            report: SiteReport {
                site: site.name.clone(),
                outcome: SiteOutcome::Ok,
                pages: 0,
                fetched: 0,
                not_modified: 0,
                failed: 0,
                new_versions: 0,
                changes: BTreeMap::new(),
            },
        })
    }

    /// The page a URL leads to: itself, an alias, or its trailing-slash twin.
    fn lookup(&self, url: &Url) -> Option<i64> {
        self.index.get(url.as_str())
    }

    async fn allowed_by_robots(&mut self, url: &Url) -> Result<bool, StoreError> {
        let robots = self
            .robots
            .get(&self.fetcher, self.store, self.run_id, url)
            .await?;
        Ok(robots.allowed(url))
    }

    async fn run(mut self) -> Result<SiteReport, CrawlError> {
        // 1. Start pages, then every known page; links are added as pages arrive.
        let starts: Vec<Url> = self.site.start.iter().map(urlnorm::canonicalize).collect();
        for url in &starts {
            self.start_urls.push(url.to_string());
            let page = self.lookup(url);
            if let Some(id) = page {
                self.start_pages.insert(id);
            }
            self.enqueue(url.clone(), 0, page, true).await?;
        }
        let mut known: Vec<PageRow> = self.known.values().cloned().collect();
        known.sort_by_key(|p| (p.depth, p.id));
        for page in known {
            let Ok(url) = Url::parse(&page.url) else {
                continue;
            };
            self.enqueue(url, page.depth, Some(page.id), true).await?;
        }
        // 2. The frontier, with up to `concurrency` fetches in flight; then what only the
        //    sitemaps list (read after the links, so a page keeps the depth its links give it
        //    and sitemap-only pages are watched without being expanded).
        self.drain().await?;
        if self.site.sitemaps {
            self.read_sitemaps(&starts).await?;
            self.drain().await?;
        }

        // 3. Confirm every 404/410 of a page that was live, with a second fetch.
        let to_confirm: Vec<(i64, Url)> =
            self.observations
                .iter()
                .filter(|(id, o)| {
                    matches!(o, Observation::Gone { .. })
                        && self.known.get(id).is_some_and(|p| {
                            p.state != PageState::Removed && p.state != PageState::New
                        })
                })
                .filter_map(|(id, _)| {
                    let p = self.known.get(id)?;
                    Url::parse(&p.url).ok().map(|u| (*id, u))
                })
                .collect();
        for (id, url) in to_confirm {
            self.queue.push_back(Task {
                url,
                depth: 0,
                page_id: Some(id),
                purpose: Purpose::Confirm,
                etag: None,
                last_modified: None,
            });
        }
        self.drain().await?;

        // 4. Learn the site's not-found page.
        let not_found = self.probe_not_found(&starts).await?;

        // 5. Did the site answer at all?
        if !self.start_results.iter().any(|(_, err)| err.is_none()) {
            let reason = self
                .start_results
                .iter()
                .find_map(|(url, err)| err.as_ref().map(|e| format!("{url}: {e}")))
                .unwrap_or_else(|| "no start page could be fetched (robots.txt?)".to_string());
            self.report.outcome = SiteOutcome::Failed(format!("start pages failed: {reason}"));
        }

        // 6. Detection.
        let pages = self.store.pages_of_site(self.site_row.id)?;
        self.report.pages = pages
            .iter()
            .filter(|p| matches!(self.observations.get(&p.id), Some(Observation::Live { .. })))
            .count() as u64;
        let linked = self.linked_pages(&pages)?;
        let input = SiteObservations {
            run_id: self.run_id,
            site: self.site_row.clone(),
            pages,
            observations: std::mem::take(&mut self.observations),
            linked,
            start_pages: self.start_pages.clone(),
            not_found,
            unreachable_after: self.config.crawl.unreachable_after,
            site_failed: matches!(self.report.outcome, SiteOutcome::Failed(_)),
        };
        let outcome = detect::detect(self.store, &input)?;
        let baseline = self.site_row.baseline_at.is_none();
        let record = SiteRunRecord {
            outcome: match (&self.report.outcome, baseline) {
                (SiteOutcome::Failed(_), _) => "failed",
                (_, true) => "baseline",
                _ => "ok",
            },
            pages: self.report.pages,
            fetched: self.report.fetched,
            not_modified: self.report.not_modified,
            failed: self.report.failed,
            changes: outcome.changes.len() as u64,
            error: match &self.report.outcome {
                SiteOutcome::Failed(e) => Some(e.clone()),
                _ => None,
            },
        };
        for c in &outcome.changes {
            *self.report.changes.entry(c.kind).or_default() += 1;
        }
        let mark_baseline = baseline && !input.site_failed;
        self.store.apply_detection(
            self.run_id,
            &self.site_row,
            &outcome.merges,
            &outcome.updates,
            &outcome.changes,
            mark_baseline,
            &record,
        )?;
        if mark_baseline {
            self.report.outcome = SiteOutcome::Baseline;
        }
        Ok(self.report)
    }

    /// Schedules a URL if it is in scope, allowed, new to this run and within budget.
    async fn enqueue(
        &mut self,
        url: Url,
        depth: u32,
        page_id: Option<i64>,
        forced: bool,
    ) -> Result<(), CrawlError> {
        let key = url.to_string();
        if self.scheduled.contains(&key) || self.turned_away.contains(&key) {
            return Ok(());
        }
        // `/x` and `/x/` are one page: whichever form came first is fetched, and links to the
        // other resolve to it.
        if urlnorm::trailing_slash_twin(&url).is_some_and(|t| self.scheduled.contains(t.as_str())) {
            return Ok(());
        }
        let page_id = page_id.or_else(|| self.lookup(&url));
        if let Some(id) = page_id {
            if self.pages_scheduled.contains(&id) {
                return Ok(());
            }
        }
        let is_doc = urlnorm::is_document(&url);
        let in_scope = if is_doc && self.site.documents {
            !self.scope.denied(&url)
        } else {
            self.scope.allows(&url)
        };
        if !in_scope && !forced {
            self.turned_away.insert(key);
            return Ok(());
        }
        if !in_scope && page_id.is_some() && !self.start_urls.contains(&key) {
            // A known page the config no longer covers: not observed. (Start pages are
            // watched by name, whatever `allow` says.)
            self.turned_away.insert(key);
            return Ok(());
        }
        if !self.allowed_by_robots(&url).await? {
            tracing::debug!(url = %url, "disallowed by robots.txt: not fetched");
            self.turned_away.insert(key);
            return Ok(());
        }
        if self.pages_scheduled.len() >= self.page_budget {
            tracing::debug!(url = %url, "max_pages reached: not fetched");
            self.turned_away.insert(key);
            return Ok(());
        }
        self.scheduled.insert(key);
        let (etag, last_modified) = match page_id.and_then(|id| self.known.get(&id)) {
            Some(p) if p.latest_version.is_some() => (p.etag.clone(), p.last_modified.clone()),
            _ => (None, None),
        };
        if let Some(id) = page_id {
            self.pages_scheduled.insert(id);
        }
        self.progress.queued(1);
        self.queue.push_back(Task {
            url,
            depth,
            page_id,
            purpose: Purpose::Page,
            etag,
            last_modified,
        });
        Ok(())
    }

    /// Runs the queue until it and every fetch in flight are done.
    async fn drain(&mut self) -> Result<(), CrawlError> {
        let mut in_flight: JoinSet<TaskResult> = JoinSet::new();
        let limit = self.config.crawl.concurrency.max(1);
        loop {
            while in_flight.len() < limit {
                let Some(task) = self.queue.pop_front() else {
                    break;
                };
                let fetcher = self.fetcher.clone();
                let extractor = self.extractor.clone();
                in_flight.spawn(async move { run_task(fetcher, extractor, task).await });
            }
            let Some(joined) = in_flight.join_next().await else {
                break;
            };
            match joined {
                Ok(result) => self.handle(result).await?,
                Err(e) => tracing::error!(error = %e, "a fetch task failed"),
            }
        }
        Ok(())
    }

    /// Stores one fetch and notes what it says about the page.
    async fn handle(&mut self, res: TaskResult) -> Result<(), CrawlError> {
        let TaskResult {
            task,
            outcome,
            extracted,
        } = res;
        self.progress.fetched(task.url.as_str());
        let first_status = outcome
            .hops
            .first()
            .map(|h| h.status)
            .or_else(|| outcome.result.as_ref().ok().map(|r| r.status));
        let purpose = match task.purpose {
            Purpose::Page => "page",
            Purpose::Confirm => "confirm",
        };
        let mut rec = base_record(self.run_id, purpose, &outcome);
        rec.first_status = first_status;
        if task.purpose == Purpose::Page && self.start_urls.iter().any(|u| u == task.url.as_str()) {
            // A 404 is a finding; a start page that cannot be read at all is a failure.
            let failure = match &outcome.result {
                Err(e) => Some(e.to_string()),
                Ok(r) if r.status >= 500 || matches!(r.status, 401 | 403 | 429) => {
                    Some(format!("HTTP {}", r.status))
                }
                Ok(r) if r.truncated => Some("body larger than max_body_bytes".to_string()),
                Ok(_) => None,
            };
            self.start_results.push((task.url.to_string(), failure));
        }

        let response = match &outcome.result {
            Err(e) => {
                return self.record_failure(&task, rec, None, e.to_string());
            }
            Ok(r) => r,
        };
        let redirected = !outcome.hops.is_empty();
        let final_url = urlnorm::canonicalize(&response.url);
        let status = response.status;

        // Where the final response lives, page-wise.
        let same_page = !redirected
            || final_url == task.url
            || urlnorm::trailing_slash_twin(&task.url).as_ref() == Some(&final_url);

        if status == 304 {
            self.report.not_modified += 1;
            rec.page_id = task.page_id;
            rec.not_modified = true;
            self.store.record_fetch(&rec)?;
            if let Some(id) = task.page_id {
                self.observe(id, Observation::Live { first_status: 304 });
                self.links_from_store(id)?;
                self.follow_stored_links(id, task.depth).await?;
            }
            return Ok(());
        }
        self.report.fetched += 1;

        match status {
            200..=299 if response.truncated => {
                // Cut off at max_body_bytes: what arrived is kept as evidence, but a partial
                // body is not a version (comparing it would report the cut as a change).
                rec.body = Some(response.body.clone());
                let error = format!(
                    "body larger than max_body_bytes ({} bytes)",
                    self.config.crawl.max_body_bytes
                );
                self.record_failure(&task, rec, Some(status), error)?;
            }
            200..=299 if same_page => {
                let page_id = match task.page_id {
                    Some(id) => id,
                    None => {
                        // A new page is filed under the form the site declares canonical when
                        // that is only a trailing-slash or query variant of where we are (a
                        // site-wide wrong canonical must not fold pages together).
                        let page_url = extracted
                            .as_ref()
                            .and_then(|ex| ex.canonical.as_ref())
                            .map(urlnorm::canonicalize)
                            .filter(|c| is_variant(c, &final_url) && self.scope.allows(c))
                            .unwrap_or_else(|| final_url.clone());
                        if page_url != final_url {
                            self.scheduled.insert(page_url.to_string());
                        }
                        let page = self.store.ensure_page(
                            self.site_row.id,
                            page_url.as_str(),
                            task.depth,
                            urlnorm::is_document(&final_url),
                        )?;
                        self.index.insert(page.url.clone(), page.id);
                        self.known.entry(page.id).or_insert(page.clone());
                        self.pages_scheduled.insert(page.id);
                        if self.start_urls.iter().any(|u| u == task.url.as_str()) {
                            self.start_pages.insert(page.id);
                        }
                        page.id
                    }
                };
                if task.page_id.is_none() {
                    // /x → /x/ (or a declared canonical): one page; the other forms are
                    // aliases.
                    for form in [&task.url, &final_url] {
                        if self.index.get(form.as_str()) != Some(page_id) {
                            self.store
                                .add_alias(self.site_row.id, form.as_str(), page_id)?;
                            self.index.insert(form.to_string(), page_id);
                        }
                    }
                }
                rec.page_id = Some(page_id);
                rec.body = Some(response.body.clone());
                rec.content = Some(content_of(response, extracted.as_ref(), &final_url));
                rec.remember_validators = true;
                let stored = self.store.record_fetch(&rec)?;
                if stored.new_version {
                    self.report.new_versions += 1;
                }
                self.observe(
                    page_id,
                    Observation::Live {
                        first_status: first_status.unwrap_or(status),
                    },
                );
                if let Some(ex) = &extracted {
                    self.links
                        .insert(page_id, ex.links.iter().map(|u| u.to_string()).collect());
                    self.follow(ex, task.depth).await?;
                }
            }
            200..=299 => {
                // Redirected elsewhere and answered there.
                let target_content = content_of(response, extracted.as_ref(), &final_url);
                match task.page_id {
                    Some(id) => {
                        rec.page_id = Some(id);
                        rec.body = Some(response.body.clone());
                        self.store.record_fetch(&rec)?;
                        let target_page = self.lookup(&final_url);
                        self.observe(
                            id,
                            Observation::Redirected {
                                first_status: first_status.unwrap_or(status),
                                target: final_url.to_string(),
                                target_page,
                                content: Some(target_content),
                            },
                        );
                        // Watch the target too when it is in scope.
                        if self.redirect_targets < MAX_REDIRECT_TARGETS {
                            self.redirect_targets += 1;
                            self.enqueue(final_url.clone(), task.depth, None, false)
                                .await?;
                        }
                    }
                    None => {
                        // A URL seen for the first time that redirects: an alias of its
                        // target, which is watched in its own right if in scope.
                        rec.url = Some(task.url.to_string());
                        rec.body = Some(response.body.clone());
                        self.store.record_fetch(&rec)?;
                        if let Some(target) = self.lookup(&final_url) {
                            self.store
                                .add_alias(self.site_row.id, task.url.as_str(), target)?;
                            self.index.insert(task.url.to_string(), target);
                        } else {
                            self.enqueue(final_url.clone(), task.depth, None, false)
                                .await?;
                            // Remember the alias once the target is a page.
                            self.pending_aliases
                                .push((task.url.to_string(), final_url.to_string()));
                        }
                    }
                }
            }
            404 | 410 => {
                rec.page_id = task.page_id;
                if task.page_id.is_none() {
                    rec.url = Some(task.url.to_string());
                }
                rec.body = Some(response.body.clone());
                self.store.record_fetch(&rec)?;
                if let Some(id) = task.page_id {
                    let confirmed = task.purpose == Purpose::Confirm;
                    self.observe(
                        id,
                        Observation::Gone {
                            status,
                            first_status: first_status.unwrap_or(status),
                            confirmed,
                            redirect_to: if redirected {
                                Some(final_url.to_string())
                            } else {
                                None
                            },
                        },
                    );
                } else {
                    tracing::debug!(url = %task.url, status, "link to a missing page");
                }
            }
            _ => {
                // 5xx, 429, 401/403 and anything else: out of reach, never a removal.
                self.record_failure(&task, rec, Some(status), format!("HTTP {status}"))?;
            }
        }
        Ok(())
    }

    /// Stores a fetch that said nothing about the page's content (a network error, a 5xx, a
    /// cut-off body) and notes the page as out of reach: never a removal or a change.
    fn record_failure(
        &mut self,
        task: &Task,
        mut rec: FetchRecord,
        status: Option<u16>,
        error: String,
    ) -> Result<(), CrawlError> {
        self.report.failed += 1;
        rec.page_id = task.page_id;
        if task.page_id.is_none() {
            rec.url = Some(task.url.to_string());
        }
        self.store.record_fetch(&rec)?;
        if let Some(id) = task.page_id {
            self.observe(id, Observation::Failed { status, error });
        }
        Ok(())
    }

    /// Keeps the most telling observation when a page was fetched twice (the confirmation
    /// fetch settles a 404).
    fn observe(&mut self, page_id: i64, obs: Observation) {
        self.observations.insert(page_id, obs);
    }

    /// Links of a page whose body did not change: from its stored version.
    fn links_from_store(&mut self, page_id: i64) -> Result<(), CrawlError> {
        let latest = self.known.get(&page_id).and_then(|p| p.latest_version);
        if let Some(v) = latest {
            let links = self.store.version_links(v)?;
            self.links.insert(page_id, links);
        }
        Ok(())
    }

    async fn follow_stored_links(&mut self, page_id: i64, depth: u32) -> Result<(), CrawlError> {
        let Some(links) = self.links.get(&page_id).cloned() else {
            return Ok(());
        };
        // Most stored links (menus, footers) were judged on an earlier page: skip those
        // before parsing.
        let urls: Vec<Url> = links
            .iter()
            .filter(|l| !self.scheduled.contains(*l) && !self.turned_away.contains(*l))
            .filter_map(|l| Url::parse(l).ok())
            .collect();
        self.follow_urls(&urls, depth).await
    }

    async fn follow(&mut self, ex: &Extracted, depth: u32) -> Result<(), CrawlError> {
        self.follow_urls(&ex.links, depth).await
    }

    async fn follow_urls(&mut self, links: &[Url], depth: u32) -> Result<(), CrawlError> {
        for link in links {
            let is_doc = urlnorm::is_document(link);
            if is_doc {
                // max_depth 0 watches the start pages only, documents included.
                if self.site.documents && self.site.max_depth > 0 {
                    self.enqueue(link.clone(), depth + 1, None, false).await?;
                }
            } else if depth < self.site.max_depth {
                self.enqueue(link.clone(), depth + 1, None, false).await?;
            }
        }
        Ok(())
    }

    /// Reads the sitemaps of the start pages' hosts (robots.txt `Sitemap:` lines, else
    /// `/sitemap.xml`), following indexes, and queues what they list.
    async fn read_sitemaps(&mut self, starts: &[Url]) -> Result<(), CrawlError> {
        let mut files: VecDeque<(Url, bool)> = VecDeque::new();
        let mut origins = HashSet::new();
        for start in starts {
            if !origins.insert(start.origin().ascii_serialization()) {
                continue;
            }
            let robots = self
                .robots
                .get(&self.fetcher, self.store, self.run_id, start)
                .await?;
            let listed = robots.sitemaps();
            if listed.is_empty() {
                if let Ok(u) = start.join("/sitemap.xml") {
                    // Guessed: a 404 just means the site has none.
                    files.push_back((u, true));
                }
            } else {
                files.extend(listed.into_iter().map(|u| (u, false)));
            }
        }
        let mut read = 0usize;
        let mut seen = HashSet::new();
        let mut listed_urls = Vec::new();
        while let Some((url, guessed)) = files.pop_front() {
            if read >= MAX_SITEMAP_FILES || !seen.insert(url.to_string()) {
                continue;
            }
            if !self.allowed_by_robots(&url).await? {
                continue;
            }
            read += 1;
            let outcome = self.fetcher.fetch(FetchRequest::get(url.clone())).await;
            let mut rec = aux_record(self.run_id, "sitemap", &outcome);
            match &outcome.result {
                Ok(r) if r.status == 200 => match crate::sitemap::parse(&r.body, &r.url) {
                    Ok(map) => {
                        rec.body = Some(r.body.clone());
                        if map.truncated || r.truncated {
                            // A cut-off list proves nothing about what it leaves out.
                            self.sitemap_complete = false;
                        }
                        files.extend(map.sitemaps.into_iter().map(|u| (u, false)));
                        listed_urls.extend(map.urls);
                    }
                    Err(e) => {
                        tracing::warn!(url = %url, error = %e, "sitemap unreadable");
                        rec.error = Some(e.to_string());
                        self.sitemap_complete = false;
                    }
                },
                Ok(r) if guessed && (r.status == 404 || r.status == 410) => {}
                Ok(r) => {
                    tracing::warn!(url = %url, status = r.status, "sitemap unavailable");
                    self.sitemap_complete = false;
                }
                Err(e) => {
                    tracing::warn!(url = %url, error = %e, "sitemap unavailable");
                    self.sitemap_complete = false;
                }
            }
            self.store.record_fetch(&rec)?;
        }
        // Listed pages are watched but not expanded; with max_depth 0 only the start pages
        // are.
        let depth = self.site.max_depth;
        for u in listed_urls {
            let u = urlnorm::canonicalize(&u);
            if !self.scope.allows(&u) {
                continue;
            }
            self.listed_in_sitemap.insert(u.to_string());
            if depth > 0 {
                self.enqueue(u, depth, None, false).await?;
            }
        }
        Ok(())
    }

    /// Fetches a path that cannot exist on each start host; a 200 there is the site's
    /// not-found page, which soft-removed pages will resemble.
    async fn probe_not_found(
        &mut self,
        starts: &[Url],
    ) -> Result<Option<NotFoundPrint>, CrawlError> {
        let Some(start) = starts.first() else {
            return Ok(None);
        };
        let token: String = (0..16)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[fastrand::usize(..36)]))
            .collect();
        let Ok(url) = start.join(&format!("/quietwatch-probe-{token}")) else {
            return Ok(None);
        };
        if !self.allowed_by_robots(&url).await? {
            return Ok(None);
        }
        let outcome = self.fetcher.fetch(FetchRequest::get(url.clone())).await;
        self.store
            .record_fetch(&aux_record(self.run_id, "probe", &outcome))?;
        let Ok(r) = &outcome.result else {
            return Ok(None);
        };
        if !outcome.hops.is_empty() {
            // Unknown paths redirect somewhere real (often the home page): that page is not
            // the site's not-found page, and must not make its look-alikes "soft removed".
            return Ok(None);
        }
        let (html, _) = crate::charset::decode_html(&r.body, r.content_type.as_deref());
        let ex = self.extractor.extract(&html, &r.url);
        Ok(Some(NotFoundPrint {
            status: r.status,
            title: ex.title,
            text: ex.text,
        }))
    }

    /// The pages linked from another page crawled in this run, or listed in a sitemap; `None`
    /// when the run cannot tell (a sitemap failed to load), so nothing is called unlinked.
    fn linked_pages(&mut self, pages: &[PageRow]) -> Result<Option<HashSet<i64>>, CrawlError> {
        if !self.sitemap_complete {
            return Ok(None);
        }
        // Pages that were live but did not answer this run keep the links of their last
        // version: a page we could not read must not make its targets look unlinked.
        for p in pages {
            if self.links.contains_key(&p.id) {
                continue;
            }
            let alive_before = matches!(p.state, PageState::Live | PageState::Unreachable);
            let failed_now = matches!(
                self.observations.get(&p.id),
                Some(Observation::Failed { .. }) | None
            );
            if alive_before && failed_now {
                self.links_from_store(p.id)?;
            }
        }
        for (from, to) in std::mem::take(&mut self.pending_aliases) {
            if let Ok(u) = Url::parse(&to) {
                if let Some(target) = self.lookup(&u) {
                    self.store.add_alias(self.site_row.id, &from, target)?;
                    self.index.insert(from, target);
                }
            }
        }
        let mut linked = HashSet::new();
        for (source, targets) in &self.links {
            for t in targets {
                if let Some(id) = self.index.get(t) {
                    if id != *source {
                        linked.insert(id);
                    }
                }
            }
        }
        for u in &self.listed_in_sitemap {
            if let Some(id) = self.index.get(u) {
                linked.insert(id);
            }
        }
        Ok(Some(linked))
    }
}

/// Page ids by URL string: pages' own URLs and aliases exactly, and their trailing-slash twins
/// (`/x` finds the page `/x/`), so the link graph resolves without parsing URLs.
#[derive(Default)]
struct PageIndex {
    exact: HashMap<String, i64>,
    twins: HashMap<String, i64>,
}

impl PageIndex {
    fn insert(&mut self, url: String, id: i64) {
        if let Some(twin) = urlnorm::trailing_slash_twin_str(&url) {
            self.twins.entry(twin).or_insert(id);
        }
        self.exact.insert(url, id);
    }

    fn get(&self, url: &str) -> Option<i64> {
        self.exact.get(url).or_else(|| self.twins.get(url)).copied()
    }
}

/// Fetches one URL and, for HTML, extracts it off the main task.
async fn run_task(fetcher: Arc<Fetcher>, extractor: Arc<Extractor>, task: Task) -> TaskResult {
    let outcome = fetcher
        .fetch(FetchRequest {
            url: task.url.clone(),
            etag: task.etag.clone(),
            last_modified: task.last_modified.clone(),
            follow_redirects: true,
        })
        .await;
    let extracted = match &outcome.result {
        Ok(r) if (200..300).contains(&r.status) && is_html(r) => {
            let body = r.body.clone();
            let ct = r.content_type.clone();
            let url = urlnorm::canonicalize(&r.url);
            tokio::task::spawn_blocking(move || {
                let (html, _) = crate::charset::decode_html(&body, ct.as_deref());
                extractor.extract(&html, &url)
            })
            .await
            .ok()
        }
        _ => None,
    };
    TaskResult {
        task,
        outcome,
        extracted,
    }
}

/// Whether two URLs differ only by a trailing slash or their query.
fn is_variant(a: &Url, b: &Url) -> bool {
    let strip = |u: &Url| {
        let mut u = u.clone();
        u.set_query(None);
        u.as_str().trim_end_matches('/').to_string()
    };
    a.origin() == b.origin() && strip(a) == strip(b)
}

fn is_html(r: &Response) -> bool {
    match &r.content_type {
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html") || ct.contains("xml") && !ct.contains("application/xml")
        }
        None => {
            let head: Vec<u8> = r
                .body
                .iter()
                .copied()
                .skip_while(|b| b.is_ascii_whitespace())
                .take(1)
                .collect();
            head.first() == Some(&b'<')
        }
    }
}

/// What a response contributes to a version: extracted text for HTML, the file name for a
/// document (compared by its bytes).
fn content_of(r: &Response, extracted: Option<&Extracted>, url: &Url) -> Content {
    match extracted {
        Some(ex) => Content {
            title: ex.title.clone(),
            text: ex.text.clone(),
            links: ex.links.iter().map(|u| u.to_string()).collect(),
            documents: ex.documents.iter().map(|u| u.to_string()).collect(),
        },
        None => {
            let name = url
                .path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| url.to_string());
            let text = match &r.content_type {
                Some(ct) if ct.starts_with("text/") => {
                    crate::charset::decode_html(&r.body, Some(ct)).0
                }
                _ => String::new(),
            };
            Content {
                title: name,
                text,
                links: Vec::new(),
                documents: Vec::new(),
            }
        }
    }
}

/// The parts of a fetch record every response shares.
fn base_record(run_id: i64, purpose: &'static str, o: &FetchOutcome) -> FetchRecord {
    let mut rec = FetchRecord {
        run_id,
        purpose,
        fetched_at: crate::store::to_ms(o.started_at),
        duration_ms: o.duration.as_millis() as i64,
        hops: o
            .hops
            .iter()
            .map(|h| (h.url.to_string(), h.status))
            .collect(),
        ..Default::default()
    };
    match &o.result {
        Ok(r) => {
            rec.status = Some(r.status);
            rec.first_status = o.hops.first().map(|h| h.status).or(Some(r.status));
            if !o.hops.is_empty() {
                rec.final_url = Some(r.url.to_string());
            }
            rec.etag = r.etag.clone();
            rec.last_modified = r.last_modified.clone();
            rec.content_type = r.content_type.clone();
            if r.status != 304 {
                rec.headers = r.headers.clone();
            }
            rec.truncated = r.truncated;
            if r.truncated {
                rec.error = Some(format!("body cut off at {} bytes", r.body.len()));
            }
        }
        Err(e) => {
            rec.first_status = o.hops.first().map(|h| h.status);
            rec.error = Some(e.to_string());
        }
    }
    rec
}

/// A fetch that belongs to no page (robots.txt, sitemap, probe), kept as evidence.
fn aux_record(run_id: i64, purpose: &'static str, o: &FetchOutcome) -> FetchRecord {
    let mut rec = base_record(run_id, purpose, o);
    rec.url = Some(o.requested.to_string());
    if let Ok(r) = &o.result {
        if purpose != "sitemap" {
            rec.body = Some(r.body.clone());
        }
    }
    rec
}
