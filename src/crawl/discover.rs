//! What a site says about itself beyond its links: its sitemaps (pages to watch) and its
//! not-found page (what a soft 404 looks like), both learnt afresh every run.

use super::fetch::FetchRequest;
use super::observe::NotFoundPrint;
use super::record::aux_record;
use super::site::SiteCrawl;
use super::CrawlError;
use crate::model::FetchPurpose;
use crate::urlnorm;
use std::collections::{HashSet, VecDeque};
use url::Url;

/// Sitemap files read per site per run, at most (indexes included).
const MAX_SITEMAP_FILES: usize = 50;

impl SiteCrawl<'_> {
    /// Reads the sitemaps of the start pages' hosts (robots.txt `Sitemap:` lines, else
    /// `/sitemap.xml`), following indexes, and queues what they list. A sitemap that fails
    /// to load or is cut off makes the link graph incomplete for this run.
    pub(super) async fn read_sitemaps(&mut self, starts: &[Url]) -> Result<(), CrawlError> {
        let mut files = self.sitemap_files(starts).await?;
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
            let outcome = self.env.fetcher.fetch(FetchRequest::get(url.clone())).await;
            let mut rec = aux_record(self.env.run_id, FetchPurpose::Sitemap, &outcome);
            match &outcome.result {
                Ok(r) if r.status == 200 => match super::sitemap::parse(&r.body, &r.url) {
                    Ok(map) => {
                        rec.body = Some(r.body.clone());
                        if map.truncated || r.truncated {
                            // A cut-off list proves nothing about what it leaves out.
                            self.graph.mark_incomplete();
                        }
                        files.extend(map.sitemaps.into_iter().map(|u| (u, false)));
                        listed_urls.extend(map.urls);
                    }
                    Err(e) => {
                        tracing::warn!(url = %url, error = %e, "sitemap unreadable");
                        rec.meta.error = Some(e.to_string());
                        self.graph.mark_incomplete();
                    }
                },
                // Guessed: a 404 just means the site has none.
                Ok(r) if guessed && (r.status == 404 || r.status == 410) => {}
                Ok(r) => {
                    tracing::warn!(url = %url, status = r.status, "sitemap unavailable");
                    self.graph.mark_incomplete();
                }
                Err(e) => {
                    tracing::warn!(url = %url, error = %e, "sitemap unavailable");
                    self.graph.mark_incomplete();
                }
            }
            self.store.record_fetch(&rec)?;
        }
        // Listed pages are watched but not expanded; with max_depth 0 only the start pages
        // are.
        let depth = self.env.site.max_depth;
        for u in listed_urls {
            let u = urlnorm::canonicalize(&u);
            if !self.env.scope.allows(&u) {
                continue;
            }
            self.graph.listed(u.as_str(), &self.index);
            if depth > 0 {
                self.enqueue(u, depth, None, false).await?;
            }
        }
        Ok(())
    }

    /// The sitemap files to start from, one origin at a time: (URL, guessed).
    async fn sitemap_files(&mut self, starts: &[Url]) -> Result<VecDeque<(Url, bool)>, CrawlError> {
        let mut files = VecDeque::new();
        let mut origins = HashSet::new();
        for start in starts {
            if !origins.insert(start.origin().ascii_serialization()) {
                continue;
            }
            let robots = self
                .robots
                .get(&self.env.fetcher, self.store, self.env.run_id, start)
                .await?;
            let listed = robots.sitemaps();
            if listed.is_empty() {
                if let Ok(u) = start.join("/sitemap.xml") {
                    files.push_back((u, true));
                }
            } else {
                files.extend(listed.into_iter().map(|u| (u, false)));
            }
        }
        Ok(files)
    }

    /// Fetches a path that cannot exist on the first start host; a 200 there is the site's
    /// not-found page, which soft-removed pages will resemble.
    pub(super) async fn probe_not_found(
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
        let outcome = self.env.fetcher.fetch(FetchRequest::get(url.clone())).await;
        self.store
            .record_fetch(&aux_record(self.env.run_id, FetchPurpose::Probe, &outcome))?;
        let Ok(r) = &outcome.result else {
            return Ok(None);
        };
        if !outcome.hops.is_empty() {
            // Unknown paths redirect somewhere real (often the home page): that page is not
            // the site's not-found page, and must not make its look-alikes "soft removed".
            return Ok(None);
        }
        let reader = self.env.reader.clone();
        let (body, ct, at) = (r.body.clone(), r.content_type.clone(), r.url.clone());
        let read = tokio::task::spawn_blocking(move || reader.read(&body, ct.as_deref(), &at))
            .await
            .map_err(|e| CrawlError::Client(format!("reading the not-found page: {e}")))?;
        Ok(Some(NotFoundPrint {
            status: r.status,
            title: read.content.title,
            text: read.content.text,
        }))
    }
}
