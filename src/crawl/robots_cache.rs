//! robots.txt per origin, fetched once per run and kept as evidence.
//!
//! Read every run because rules change; an unreachable robots.txt means nothing on that host
//! is fetched this run (out of reach, not gone), and the reason is kept so a site whose
//! start pages were never fetched can say why.

use super::fetch::{FetchRequest, Fetcher};
use super::record::aux_record;
use super::robots::{robots_url, Robots, RobotsFetch};
use crate::model::FetchPurpose;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

pub(super) struct RobotsCache {
    respect: bool,
    user_agent: String,
    by_origin: HashMap<String, Arc<Robots>>,
    /// Why robots.txt could not be read, by origin.
    unavailable: HashMap<String, String>,
}

impl RobotsCache {
    pub(super) fn new(respect: bool, user_agent: String) -> Self {
        RobotsCache {
            respect,
            user_agent,
            by_origin: HashMap::new(),
            unavailable: HashMap::new(),
        }
    }

    /// Why the origin of `url`'s robots.txt could not be read this run, if it could not.
    pub(super) fn unavailable_reason(&self, url: &Url) -> Option<&str> {
        self.unavailable
            .get(&url.origin().ascii_serialization())
            .map(String::as_str)
    }

    pub(super) async fn get(
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
            store.record_fetch(&aux_record(run_id, FetchPurpose::Robots, &outcome))?;
            let why = match &outcome.result {
                Ok(r) if r.status == 200 => Ok(RobotsFetch::Found(r.body.clone())),
                Ok(r) if (400..500).contains(&r.status) && r.status != 429 => {
                    Ok(RobotsFetch::NotFound)
                }
                Ok(r) => Err(format!("HTTP {}", r.status)),
                Err(e) => Err(e.to_string()),
            };
            let fetched = match why {
                Ok(f) => f,
                Err(reason) => {
                    tracing::warn!(url = %target, reason = %reason, "robots.txt unavailable: nothing on this host is fetched this run");
                    self.unavailable.insert(
                        origin.clone(),
                        format!("robots.txt {target} could not be read ({reason}), so nothing on that host was fetched"),
                    );
                    RobotsFetch::Unavailable
                }
            };
            let robots = Robots::from_fetch(&self.user_agent, fetched);
            if let Some(delay) = robots.crawl_delay() {
                fetcher
                    .limiter()
                    .set_min_gap(&super::ratelimit::host_key(url), delay);
            }
            robots
        };
        let robots = Arc::new(robots);
        self.by_origin.insert(origin, robots.clone());
        Ok(robots)
    }
}
