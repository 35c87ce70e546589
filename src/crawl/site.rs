//! One site's crawl: the frontier drained with bounded concurrency, each response stored and
//! classified, and what it says about its page noted as an observation.

use super::classify::{self, Answer};
use super::fetch::{FetchOutcome, FetchRequest, Fetcher};
use super::frontier::{Frontier, Task};
use super::graph::{LinkGraph, PageIndex};
use super::observe::{CrawlStats, Observation, SiteObservations};
use super::read::{PageReader, ReadPage};
use super::record::fetch_meta;
use super::robots_cache::RobotsCache;
use super::scope::Scope;
use super::{CrawlError, Progress};
use crate::config::{CrawlSettings, SiteConfig};
use crate::model::{FetchPurpose, PageState};
use crate::store::{EncodedBody, FetchRecord, PageRow, SiteRow, Store, StoreError};
use crate::urlnorm;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::task::JoinSet;
use url::Url;

/// Redirect targets of known pages fetched per site per run, at most.
const MAX_REDIRECT_TARGETS: usize = 10_000;

/// The site's start pages: each fetched this run, with why it failed (`None`: it answered).
#[derive(Default)]
pub(super) struct StartPages {
    pub urls: Vec<String>,
    pub pages: HashSet<i64>,
    pub results: Vec<(String, Option<String>)>,
}

impl StartPages {
    fn is_start(&self, url: &Url) -> bool {
        self.urls.iter().any(|u| u == url.as_str())
    }
}

/// What every part of a site's crawl shares.
pub(super) struct Env<'a> {
    pub crawl: &'a CrawlSettings,
    pub site: &'a SiteConfig,
    pub run_id: i64,
    pub fetcher: Arc<Fetcher>,
    pub reader: Arc<dyn PageReader>,
    pub progress: &'a dyn Progress,
    pub scope: Scope,
}

/// One site's crawl in progress.
pub(super) struct SiteCrawl<'a> {
    pub env: Env<'a>,
    pub store: &'a mut Store,
    pub robots: &'a mut RobotsCache,
    pub site_row: SiteRow,
    /// Pages the store knew when the run began, and pages found since.
    pub known: HashMap<i64, PageRow>,
    /// URL (canonical string) → page id, for pages and their aliases.
    pub index: PageIndex,
    pub frontier: Frontier,
    pub graph: LinkGraph,
    pub starts: StartPages,
    pub observations: HashMap<i64, Observation>,
    /// URLs first seen this run that redirect to a URL not yet a page: (alias, target).
    pub pending_aliases: Vec<(String, String)>,
    pub redirect_targets: usize,
    pub stats: CrawlStats,
    /// The SHA-256 of each known page's latest body (see [`Task::latest_body`]).
    pub latest_bodies: HashMap<i64, [u8; 32]>,
}

/// A finished fetch with its body read (2xx only).
struct Fetched {
    task: Task,
    outcome: FetchOutcome,
    read: Option<ReadPage>,
    /// The reader failed on the body: the fetch says nothing about the page.
    read_failed: Option<String>,
    /// The body as the store keeps it (2xx only).
    encoded: Option<EncodedBody>,
}

impl<'a> SiteCrawl<'a> {
    pub(super) fn new(
        env: Env<'a>,
        store: &'a mut Store,
        robots: &'a mut RobotsCache,
    ) -> Result<Self, CrawlError> {
        let site_row = store.site(&env.site.name)?;
        let mut index = PageIndex::default();
        for (url, page) in store.aliases_of_site(site_row.id)? {
            index.insert(url, page);
        }
        let mut known = HashMap::new();
        for p in store.pages_of_site(site_row.id)? {
            index.insert(p.url.clone(), p.id);
            known.insert(p.id, p);
        }
        let budget = env.site.max_pages;
        let latest_bodies = store.latest_body_sha256_by_page(site_row.id)?;
        Ok(SiteCrawl {
            env,
            store,
            robots,
            site_row,
            known,
            index,
            frontier: Frontier::new(budget),
            graph: LinkGraph::default(),
            starts: StartPages::default(),
            observations: HashMap::new(),
            pending_aliases: Vec::new(),
            redirect_targets: 0,
            stats: CrawlStats::default(),
            latest_bodies,
        })
    }

    /// The whole crawl: start pages and known pages, the frontier, sitemaps, 404
    /// confirmations, the not-found probe; then the link graph's verdict.
    pub(super) async fn run(mut self) -> Result<SiteObservations, CrawlError> {
        let starts: Vec<Url> = self
            .env
            .site
            .start
            .iter()
            .map(urlnorm::canonicalize)
            .collect();
        for url in &starts {
            self.starts.urls.push(url.to_string());
            let page = self.index.get(url.as_str());
            if let Some(id) = page {
                self.starts.pages.insert(id);
            }
            self.enqueue(url.clone(), 0, page, true).await?;
        }
        let mut known: Vec<(u32, i64, String)> = self
            .known
            .values()
            .map(|p| (p.depth, p.id, p.url.clone()))
            .collect();
        known.sort();
        for (depth, id, url) in known {
            if let Ok(url) = Url::parse(&url) {
                self.enqueue(url, depth, Some(id), true).await?;
            }
        }
        // Sitemaps are read after the links, so a page keeps the depth its links give it and
        // sitemap-only pages are watched without being expanded.
        self.drain().await?;
        if self.env.site.sitemaps {
            self.read_sitemaps(&starts).await?;
            self.drain().await?;
        }
        self.queue_confirmations();
        self.drain().await?;
        let not_found = self.probe_not_found(&starts).await?;
        let failure = self.site_failure(&starts);
        let linked = self.linked_pages()?;
        Ok(SiteObservations {
            run_id: self.env.run_id,
            site: self.site_row,
            observations: self.observations,
            linked: linked.filter(|_| failure.is_none()),
            start_pages: self.starts.pages,
            not_found,
            failure,
            stats: self.stats,
        })
    }

    /// Why the site as a whole could not be crawled — every start page failed — in the
    /// words of the cause seen (a DNS failure, robots.txt unreachable, a 503…).
    fn site_failure(&self, starts: &[Url]) -> Option<String> {
        if self.starts.results.iter().any(|(_, err)| err.is_none()) {
            return None;
        }
        let reason = self
            .starts
            .results
            .iter()
            .find_map(|(url, err)| err.as_ref().map(|e| format!("{url}: {e}")))
            .or_else(|| {
                starts
                    .iter()
                    .find_map(|u| self.robots.unavailable_reason(u).map(|r| format!("{u}: {r}")))
            })
            .unwrap_or_else(|| {
                "no start page was fetched (out of scope, disallowed by robots.txt, or over max_pages)"
                    .to_string()
            });
        Some(format!("start pages failed: {reason}"))
    }

    /// Queues the second fetch of every 404/410 of a page that was live.
    fn queue_confirmations(&mut self) {
        let to_confirm: Vec<(i64, Url)> = self
            .observations
            .iter()
            .filter(|(_, o)| matches!(o, Observation::Gone { .. }))
            .filter_map(|(id, _)| {
                let p = self.known.get(id)?;
                let was_accepted = !matches!(p.state, PageState::Removed | PageState::New);
                was_accepted
                    .then(|| Url::parse(&p.url).ok().map(|u| (*id, u)))
                    .flatten()
            })
            .collect();
        for (id, url) in to_confirm {
            self.frontier.push_extra(Task {
                url,
                depth: 0,
                page_id: Some(id),
                purpose: FetchPurpose::Confirm,
                etag: None,
                last_modified: None,
                latest_body: None,
            });
        }
    }

    pub(super) async fn allowed_by_robots(&mut self, url: &Url) -> Result<bool, StoreError> {
        let robots = self
            .robots
            .get(&self.env.fetcher, self.store, self.env.run_id, url)
            .await?;
        Ok(robots.allowed(url))
    }

    /// Schedules a URL if it is in scope, allowed, new to this run and within budget.
    /// `forced`: a start page or a known page, watched even when no link leads to it.
    pub(super) async fn enqueue(
        &mut self,
        url: Url,
        depth: u32,
        page_id: Option<i64>,
        forced: bool,
    ) -> Result<(), CrawlError> {
        let key = url.to_string();
        let page_id = page_id.or_else(|| self.index.get(&key));
        if self.frontier.judged(&key, &url, page_id) {
            return Ok(());
        }
        let in_scope = if urlnorm::is_document(&url) && self.env.site.documents {
            !self.env.scope.denied(&url)
        } else {
            self.env.scope.allows(&url)
        };
        // A known page the config no longer covers is not observed; start pages are watched
        // by name, whatever `allow` says.
        let out_of_scope =
            !in_scope && (!forced || (page_id.is_some() && !self.starts.is_start(&url)));
        if out_of_scope {
            self.frontier.turn_away(key);
            return Ok(());
        }
        if !self.allowed_by_robots(&url).await? {
            tracing::debug!(url = %url, "disallowed by robots.txt: not fetched");
            self.frontier.turn_away(key);
            return Ok(());
        }
        if self.frontier.over_budget() {
            tracing::debug!(url = %url, "max_pages reached: not fetched");
            self.frontier.turn_away(key);
            return Ok(());
        }
        let (etag, last_modified) = match page_id.and_then(|id| self.known.get(&id)) {
            Some(p) if p.latest_version.is_some() => (p.etag.clone(), p.last_modified.clone()),
            _ => (None, None),
        };
        self.env.progress.queued(1);
        self.frontier.schedule(Task {
            url,
            depth,
            page_id,
            purpose: FetchPurpose::Page,
            etag,
            last_modified,
            latest_body: page_id.and_then(|id| self.latest_bodies.get(&id).copied()),
        });
        Ok(())
    }

    /// Runs the frontier until it and every fetch in flight are done.
    pub(super) async fn drain(&mut self) -> Result<(), CrawlError> {
        let mut in_flight: JoinSet<Fetched> = JoinSet::new();
        let limit = self.env.crawl.concurrency.max(1);
        loop {
            while in_flight.len() < limit {
                let Some(task) = self.frontier.pop() else {
                    break;
                };
                let fetcher = self.env.fetcher.clone();
                let reader = self.env.reader.clone();
                in_flight.spawn(fetch_and_read(fetcher, reader, task));
            }
            let Some(joined) = in_flight.join_next().await else {
                break;
            };
            match joined {
                Ok(done) => self.handle(done).await?,
                Err(e) => tracing::error!(error = %e, "a fetch task failed"),
            }
        }
        Ok(())
    }

    /// Stores one fetch and notes what it says about the page.
    async fn handle(&mut self, done: Fetched) -> Result<(), CrawlError> {
        let Fetched {
            task,
            outcome,
            read,
            read_failed,
            encoded,
        } = done;
        self.env.progress.fetched(task.url.as_str());
        if task.purpose == FetchPurpose::Page && self.starts.is_start(&task.url) {
            self.starts
                .results
                .push((task.url.to_string(), classify::start_page_failure(&outcome)));
        }
        let rec = FetchRecord {
            meta: fetch_meta(self.env.run_id, task.purpose, &outcome),
            ..Default::default()
        };
        let mut answer = classify::classify(&task.url, &outcome, self.env.crawl.max_body_bytes);
        if let Some(error) = read_failed {
            answer = Answer::Failed {
                status: outcome.result.as_ref().ok().map(|r| r.status),
                error,
            };
        }
        if answer != Answer::NotModified && outcome.result.is_ok() {
            self.stats.fetched += 1;
        }
        let first_status = classify::first_status(&outcome).unwrap_or(0);
        let body = outcome.result.ok().map(|r| r.body);
        match answer {
            Answer::NotModified => self.on_not_modified(&task, rec).await,
            Answer::Page => {
                let rec = with_body(rec, body, encoded);
                self.on_page(&task, rec, read, first_status).await
            }
            Answer::Elsewhere { target } => {
                let rec = with_body(rec, body, encoded);
                self.on_elsewhere(&task, rec, read, target, first_status)
                    .await
            }
            Answer::Gone {
                status,
                redirect_to,
            } => self.on_gone(&task, rec, body, status, redirect_to, first_status),
            Answer::Failed { status, error } => {
                // A cut-off 2xx body is kept as evidence, but it is not a version.
                let body = body.filter(|b| matches!(status, Some(200..=299)) && !b.is_empty());
                self.on_failure(&task, FetchRecord { body, ..rec }, status, error)
            }
        }
    }

    async fn on_not_modified(
        &mut self,
        task: &Task,
        mut rec: FetchRecord,
    ) -> Result<(), CrawlError> {
        self.stats.not_modified += 1;
        rec.meta.page_id = task.page_id;
        rec.not_modified = true;
        self.store.record_fetch(&rec)?;
        if let Some(id) = task.page_id {
            self.observations
                .insert(id, Observation::Live { first_status: 304 });
            self.follow_stored_links(id, task.depth).await?;
        }
        Ok(())
    }

    async fn on_page(
        &mut self,
        task: &Task,
        mut rec: FetchRecord,
        read: Option<ReadPage>,
        first_status: u16,
    ) -> Result<(), CrawlError> {
        let final_url = rec
            .meta
            .final_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .map(|u| urlnorm::canonicalize(&u))
            .unwrap_or_else(|| task.url.clone());
        let page_id = match task.page_id {
            Some(id) => id,
            None => self.new_page(task, &final_url, read.as_ref())?,
        };
        let read = read.unwrap_or_default();
        rec.meta.page_id = Some(page_id);
        rec.content = Some(read.content);
        rec.remember_validators = true;
        let stored = self.store.record_fetch(&rec)?;
        if stored.new_version {
            self.stats.new_versions += 1;
        }
        self.observations
            .insert(page_id, Observation::Live { first_status });
        self.graph
            .set_links(page_id, read.links.iter().map(Url::as_str), &self.index);
        self.follow(&read.links, task.depth).await
    }

    /// Files a page seen for the first time, under the form the site declares canonical when
    /// that is only a trailing-slash or query variant of where it answered (a site-wide wrong
    /// canonical must not fold pages together); the other forms become aliases.
    fn new_page(
        &mut self,
        task: &Task,
        final_url: &Url,
        read: Option<&ReadPage>,
    ) -> Result<i64, CrawlError> {
        let page_url = read
            .and_then(|r| r.canonical.as_ref())
            .map(urlnorm::canonicalize)
            .filter(|c| is_variant(c, final_url) && self.env.scope.allows(c))
            .unwrap_or_else(|| final_url.clone());
        if &page_url != final_url {
            self.frontier.mark_scheduled(page_url.to_string());
        }
        let page = self.store.ensure_page(
            self.site_row.id,
            page_url.as_str(),
            task.depth,
            urlnorm::is_document(final_url) || read.is_some_and(|r| r.is_document),
        )?;
        let id = page.id;
        self.index.insert(page.url.clone(), id);
        self.known.entry(id).or_insert(page);
        self.frontier.count_page(id);
        if self.starts.is_start(&task.url) {
            self.starts.pages.insert(id);
        }
        for form in [&task.url, final_url] {
            if self.index.get(form.as_str()) != Some(id) {
                self.store.add_alias(self.site_row.id, form.as_str(), id)?;
                self.index.insert(form.to_string(), id);
            }
        }
        Ok(id)
    }

    /// Redirected elsewhere and answered there: a known page is now a redirect (detection
    /// decides whether moved or redirected away); a new URL is an alias of its target.
    async fn on_elsewhere(
        &mut self,
        task: &Task,
        mut rec: FetchRecord,
        read: Option<ReadPage>,
        target: Url,
        first_status: u16,
    ) -> Result<(), CrawlError> {
        let target_page = self.index.get(target.as_str());
        match task.page_id {
            Some(id) => {
                rec.meta.page_id = Some(id);
                self.store.record_fetch(&rec)?;
                self.observations.insert(
                    id,
                    Observation::Redirected {
                        first_status,
                        target: target.to_string(),
                        target_page,
                        content: read.map(|r| r.content),
                    },
                );
                // Watch the target too when it is in scope.
                if self.redirect_targets < MAX_REDIRECT_TARGETS {
                    self.redirect_targets += 1;
                    self.enqueue(target, task.depth, None, false).await?;
                }
            }
            None => {
                rec.meta.url = Some(task.url.to_string());
                self.store.record_fetch(&rec)?;
                if let Some(page) = target_page {
                    self.store
                        .add_alias(self.site_row.id, task.url.as_str(), page)?;
                    self.index.insert(task.url.to_string(), page);
                } else {
                    self.pending_aliases
                        .push((task.url.to_string(), target.to_string()));
                    self.enqueue(target, task.depth, None, false).await?;
                }
            }
        }
        Ok(())
    }

    fn on_gone(
        &mut self,
        task: &Task,
        mut rec: FetchRecord,
        body: Option<Vec<u8>>,
        status: u16,
        redirect_to: Option<Url>,
        first_status: u16,
    ) -> Result<(), CrawlError> {
        rec.meta.page_id = task.page_id;
        if task.page_id.is_none() {
            rec.meta.url = Some(task.url.to_string());
        }
        rec.body = body;
        self.store.record_fetch(&rec)?;
        match task.page_id {
            Some(id) => {
                self.observations.insert(
                    id,
                    Observation::Gone {
                        status,
                        first_status,
                        confirmed: task.purpose == FetchPurpose::Confirm,
                        redirect_to: redirect_to.map(|u| u.to_string()),
                    },
                );
            }
            None => tracing::debug!(url = %task.url, status, "link to a missing page"),
        }
        Ok(())
    }

    /// Stores a fetch that said nothing about the page's content (a network error, a 5xx, a
    /// cut-off body) and notes the page as out of reach: never a removal or a change.
    fn on_failure(
        &mut self,
        task: &Task,
        mut rec: FetchRecord,
        status: Option<u16>,
        error: String,
    ) -> Result<(), CrawlError> {
        self.stats.failed += 1;
        rec.meta.page_id = task.page_id;
        if task.page_id.is_none() {
            rec.meta.url = Some(task.url.to_string());
        }
        self.store.record_fetch(&rec)?;
        if let Some(id) = task.page_id {
            self.observations
                .insert(id, Observation::Failed { status, error });
        }
        Ok(())
    }

    /// The links of a page's latest stored version (a page whose body did not change, or
    /// could not be read this run).
    fn stored_links(&self, page_id: i64) -> Result<Vec<String>, CrawlError> {
        match self.known.get(&page_id).and_then(|p| p.latest_version) {
            Some(v) => Ok(self.store.version_links(v)?),
            None => Ok(Vec::new()),
        }
    }

    /// A 304: the page's links are those of its stored version; they count for the link
    /// graph and are followed like fresh ones.
    async fn follow_stored_links(&mut self, page_id: i64, depth: u32) -> Result<(), CrawlError> {
        let links = self.stored_links(page_id)?;
        self.graph
            .set_links(page_id, links.iter().map(String::as_str), &self.index);
        // Most stored links (menus, footers) were judged on an earlier page: skip those
        // before parsing.
        let urls: Vec<Url> = links
            .iter()
            .filter(|l| self.frontier.unjudged(l))
            .filter_map(|l| Url::parse(l).ok())
            .collect();
        self.follow(&urls, depth).await
    }

    async fn follow(&mut self, links: &[Url], depth: u32) -> Result<(), CrawlError> {
        let site = self.env.site;
        for link in links {
            let follow = if urlnorm::is_document(link) {
                // max_depth 0 watches the start pages only, documents included.
                site.documents && site.max_depth > 0
            } else {
                depth < site.max_depth
            };
            if follow {
                self.enqueue(link.clone(), depth + 1, None, false).await?;
            }
        }
        Ok(())
    }

    /// The pages linked from another page crawled in this run, or listed in a sitemap; `None`
    /// when the run cannot tell (a sitemap failed to load), so nothing is called unlinked.
    fn linked_pages(&mut self) -> Result<Option<HashSet<i64>>, CrawlError> {
        // Aliases found this run whose target became a page later in the run.
        for (from, to) in std::mem::take(&mut self.pending_aliases) {
            if let Some(target) = self.index.get(&to) {
                self.store.add_alias(self.site_row.id, &from, target)?;
                self.index.insert(from, target);
            }
        }
        if !self.graph.is_complete() {
            return Ok(None);
        }
        // Pages that were live but did not answer this run keep the links of their last
        // version: a page we could not read must not make its targets look unlinked.
        let silent: Vec<i64> = self
            .known
            .values()
            .filter(|p| !self.graph.has_links(p.id))
            .filter(|p| matches!(p.state, PageState::Live | PageState::Unreachable))
            .filter(|p| {
                matches!(
                    self.observations.get(&p.id),
                    Some(Observation::Failed { .. }) | None
                )
            })
            .map(|p| p.id)
            .collect();
        for id in silent {
            let links = self.stored_links(id)?;
            self.graph
                .set_links(id, links.iter().map(String::as_str), &self.index);
        }
        Ok(std::mem::take(&mut self.graph).linked(&self.index))
    }
}

/// Fetches one URL and reads a 2xx body off the async executor.
async fn fetch_and_read(fetcher: Arc<Fetcher>, reader: Arc<dyn PageReader>, task: Task) -> Fetched {
    let outcome = fetcher
        .fetch(FetchRequest {
            url: task.url.clone(),
            etag: task.etag.clone(),
            last_modified: task.last_modified.clone(),
            follow_redirects: true,
        })
        .await;
    let mut outcome = outcome;
    let mut read_failed = None;
    let mut encoded = None;
    let read = match &mut outcome.result {
        Ok(r) if (200..300).contains(&r.status) && !r.truncated => {
            // The body travels to the reader's thread and back rather than being copied: it
            // is the largest thing a fetch holds.
            let body = std::mem::take(&mut r.body);
            let ct = r.content_type.clone();
            let url = urlnorm::canonicalize(&r.url);
            // Only where it answered itself: a redirect's target is judged by its content
            // (moved or redirected away), so it is always read.
            let latest = task.latest_body.filter(|_| url == task.url);
            let joined = tokio::task::spawn_blocking(move || {
                // Hashed and compressed here, beside the reading, so the store's writer on
                // the crawl's task only inserts it.
                let encoded = EncodedBody::encode(&body).ok();
                // The latest version's bytes again: the store keeps that version, so a
                // document is not read again (a recheck extracts nothing).
                let unchanged = latest.is_some() && encoded.as_ref().map(|e| e.sha256()) == latest;
                let read = if unchanged {
                    reader.read_unchanged(&body, ct.as_deref(), &url)
                } else {
                    reader.read(&body, ct.as_deref(), &url)
                };
                (body, read, encoded)
            })
            .await;
            match joined {
                Ok((body, read, enc)) => {
                    r.body = body;
                    encoded = enc;
                    Some(read)
                }
                Err(e) => {
                    // The reader panicked: the body is lost with its thread, so this fetch
                    // says nothing about the page (never a change).
                    tracing::error!(url = %r.url, error = %e, "reading a page failed");
                    read_failed = Some(format!("reading the page failed: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    Fetched {
        task,
        outcome,
        read,
        read_failed,
        encoded,
    }
}

/// The record with its body: encoded off the writer's path when it could be, else raw.
fn with_body(rec: FetchRecord, body: Option<Vec<u8>>, encoded: Option<EncodedBody>) -> FetchRecord {
    match encoded {
        Some(e) => FetchRecord {
            encoded: Some(e),
            ..rec
        },
        None => FetchRecord { body, ..rec },
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
