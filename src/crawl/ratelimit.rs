//! Per-host politeness: how many requests may be open to one host, how far apart they start,
//! and when a host has asked us to back off.
//!
//! quietwatch watches government sites that owe it nothing; being blocked would blind the
//! monitor, and hammering a struggling site turns its 503s into our false "unreachable"
//! reports. So every request (each redirect hop and each retry) passes through a
//! [`HostLimiter`], which enforces three rules per host:
//!
//! - at most `per_host_concurrency` requests in flight;
//! - at least `min_gap` between the *starts* of two requests (the configured `delay_ms`, or a
//!   larger robots.txt `Crawl-delay` given with [`HostLimiter::set_min_gap`]);
//! - no request before the end of a pause set with [`HostLimiter::pause`] (a 429 or 503
//!   `Retry-After`).
//!
//! Every wait is bounded, because a hostile or broken header must not stall a cron run: a gap
//! is capped at [`MAX_GAP`] (60 s) and a pause at [`MAX_PAUSE`] (5 minutes). A
//! `Retry-After` of three days therefore delays that host by five minutes, after which the
//! request is tried again and, if the site still refuses, recorded as a failure.
//!
//! Time is `tokio::time`, so tests run on paused virtual time.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The longest gap between two request starts to one host, whatever robots.txt asks. A
/// `Crawl-delay: 86400` would otherwise make one page a day the crawl's pace.
pub const MAX_GAP: Duration = Duration::from_secs(60);

/// The longest a host can be paused by one `Retry-After`. Longer requests are cut to this;
/// the request after the pause decides whether the site is really unavailable.
pub const MAX_PAUSE: Duration = Duration::from_secs(5 * 60);

/// How many idle hosts the limiter remembers before it forgets the idle ones. A crawl touches
/// few hosts; this only bounds memory if something feeds it many.
const MAX_IDLE_HOSTS: usize = 1024;

/// Politeness state shared by every request of a run. Cloning is cheap (an `Arc`), and all
/// clones share the same hosts.
#[derive(Clone, Debug)]
pub struct HostLimiter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    per_host: usize,
    min_gap: Duration,
    hosts: Mutex<HashMap<String, HostState>>,
}

#[derive(Debug)]
struct HostState {
    slots: Arc<Semaphore>,
    /// When the last request to this host was allowed to start.
    last_start: Option<Instant>,
    /// A robots.txt Crawl-delay (already capped); used when larger than the configured gap.
    crawl_delay: Option<Duration>,
    /// No request starts before this instant.
    paused_until: Option<Instant>,
}

/// Held while a request to a host is in flight; dropping it frees the host's slot.
#[derive(Debug)]
pub struct HostPermit {
    host: String,
    _slot: Option<OwnedSemaphorePermit>,
}

impl HostPermit {
    /// The host key this permit was granted for.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl HostLimiter {
    /// A limiter allowing `per_host_concurrency` requests in flight per host (at least 1) and
    /// starting them at least `min_gap` apart (capped at [`MAX_GAP`]).
    pub fn new(per_host_concurrency: usize, min_gap: Duration) -> HostLimiter {
        HostLimiter {
            inner: Arc::new(Inner {
                per_host: per_host_concurrency.max(1),
                min_gap: min_gap.min(MAX_GAP),
                hosts: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Waits for a slot on `host` and for its turn (gap since the last start, any pause), and
    /// returns the permit to hold for the duration of the request.
    ///
    /// `host` is a key: use the URL's host, with the port when it is not the default (see
    /// [`host_key`]). Keys are compared case-insensitively.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        self.acquire_then(host, std::future::ready(())).await.0
    }

    /// Like [`acquire`](Self::acquire), but runs `between` after the host slot is held and
    /// before the gap is measured, returning its output too.
    ///
    /// The fetcher passes its global concurrency permit here. Taking the host slot first means
    /// a busy host can hold at most `per_host_concurrency` of the global slots while it waits;
    /// measuring the gap last means the gap is between real request starts, however long the
    /// global wait was.
    pub async fn acquire_then<F: Future>(&self, host: &str, between: F) -> (HostPermit, F::Output) {
        let key = host.to_ascii_lowercase();
        let slots = {
            let mut hosts = self.lock();
            if hosts.len() > MAX_IDLE_HOSTS {
                self.forget_idle(&mut hosts);
            }
            Arc::clone(&self.state(&mut hosts, &key).slots)
        };
        // The semaphore is never closed, so this cannot fail; if it somehow did, going on
        // without a slot is safer than failing the fetch.
        let slot = slots.acquire_owned().await.ok();
        let output = between.await;
        loop {
            let wake_at = {
                let mut hosts = self.lock();
                let gap = self.gap_of(hosts.get(&key));
                let state = self.state(&mut hosts, &key);
                let now = Instant::now();
                let after_gap = state.last_start.map(|last| last + gap);
                let earliest = match (after_gap, state.paused_until) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                match earliest {
                    Some(at) if at > now => at,
                    _ => {
                        state.last_start = Some(now);
                        break;
                    }
                }
            };
            // Bounded: `wake_at` is at most MAX_GAP or MAX_PAUSE away, and each pass either
            // returns or sleeps until a later instant set by a competitor's start or a pause.
            tokio::time::sleep_until(wake_at).await;
        }
        tracing::trace!(host = %key, "host slot granted");
        (
            HostPermit {
                host: key,
                _slot: slot,
            },
            output,
        )
    }

    /// Records a robots.txt `Crawl-delay` for `host`. It is used when larger than the
    /// configured gap, and capped at [`MAX_GAP`].
    pub fn set_min_gap(&self, host: &str, gap: Duration) {
        let key = host.to_ascii_lowercase();
        let capped = gap.min(MAX_GAP);
        if capped < gap {
            tracing::debug!(host = %key, requested = ?gap, used = ?capped, "crawl delay capped");
        }
        let mut hosts = self.lock();
        self.state(&mut hosts, &key).crawl_delay = Some(capped);
    }

    /// Holds back every request to `host` until `until` from now (a 429 or 503 `Retry-After`),
    /// capped at [`MAX_PAUSE`]. A pause never shortens one already in force.
    pub fn pause(&self, host: &str, until: Duration) {
        let key = host.to_ascii_lowercase();
        let capped = until.min(MAX_PAUSE);
        if capped < until {
            tracing::debug!(host = %key, requested = ?until, used = ?capped, "pause capped");
        }
        let end = Instant::now() + capped;
        let mut hosts = self.lock();
        let state = self.state(&mut hosts, &key);
        state.paused_until = Some(state.paused_until.map_or(end, |p| p.max(end)));
    }

    /// The gap now in force for `host`: the configured one or its larger Crawl-delay.
    pub fn gap_for(&self, host: &str) -> Duration {
        let key = host.to_ascii_lowercase();
        self.gap_of(self.lock().get(&key))
    }

    fn gap_of(&self, state: Option<&HostState>) -> Duration {
        state
            .and_then(|s| s.crawl_delay)
            .map_or(self.inner.min_gap, |d| d.max(self.inner.min_gap))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, HostState>> {
        // The map holds plain data and no code panics while holding it; a poisoned lock's
        // data is still consistent.
        self.inner
            .hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn state<'a>(&self, hosts: &'a mut HashMap<String, HostState>, key: &str) -> &'a mut HostState {
        hosts.entry(key.to_owned()).or_insert_with(|| HostState {
            slots: Arc::new(Semaphore::new(self.inner.per_host)),
            last_start: None,
            crawl_delay: None,
            paused_until: None,
        })
    }

    /// Drops hosts with nothing in flight, no pause and no gap still running, and no
    /// Crawl-delay to remember.
    fn forget_idle(&self, hosts: &mut HashMap<String, HostState>) {
        let now = Instant::now();
        let per_host = self.inner.per_host;
        let min_gap = self.inner.min_gap;
        hosts.retain(|_, s| {
            let busy = s.slots.available_permits() < per_host;
            let paused = s.paused_until.is_some_and(|p| p > now);
            let gap = s.crawl_delay.map_or(min_gap, |d| d.max(min_gap));
            let in_gap = s.last_start.is_some_and(|l| l + gap > now);
            busy || paused || in_gap || s.crawl_delay.is_some()
        });
    }
}

/// The limiter key for a URL: its host, plus the port when it is not the scheme's default
/// (so `http://x/` and `https://x/` share one budget: they are the same server).
pub fn host_key(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_by_the_gap_per_host() {
        let limiter = HostLimiter::new(4, Duration::from_millis(1500));
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let permit = limiter.acquire("Example.org").await;
            starts.push(Instant::now() - t0);
            drop(permit);
        }
        assert_eq!(starts, vec![S(0), Duration::from_millis(1500), S(3)]);
        // Another host is not held back by the first one's gap.
        let _other = limiter.acquire("other.example").await;
        assert_eq!(Instant::now() - t0, S(3));
        // Keys are case-insensitive: this waits for example.org's gap.
        let _again = limiter.acquire("EXAMPLE.ORG").await;
        assert_eq!(Instant::now() - t0, Duration::from_millis(4500));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_per_host_is_bounded() {
        let limiter = HostLimiter::new(2, Duration::ZERO);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let (limiter, in_flight, peak) = (limiter.clone(), in_flight.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limiter.acquire("a.example").await;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(S(10)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        // Meanwhile a different host gets a slot at once.
        tokio::task::yield_now().await;
        let _b = limiter.acquire("b.example").await;
        assert_eq!(Instant::now() - t0, S(0));
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        // 5 requests of 10 s, two at a time: 3 rounds.
        assert_eq!(Instant::now() - t0, S(30));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_still_respect_the_gap() {
        let limiter = HostLimiter::new(3, S(2));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                let _p = limiter.acquire("h").await;
                let at = Instant::now() - t0;
                tokio::time::sleep(S(30)).await;
                at
            }));
        }
        let mut starts = Vec::new();
        for task in tasks {
            starts.push(task.await.unwrap());
        }
        starts.sort();
        assert_eq!(starts, vec![S(0), S(2), S(4)]);
    }

    #[tokio::test(start_paused = true)]
    async fn crawl_delay_only_when_larger_and_capped() {
        let limiter = HostLimiter::new(1, S(1));
        limiter.set_min_gap("slow", S(5));
        limiter.set_min_gap("fast", Duration::from_millis(100));
        limiter.set_min_gap("absurd", S(86_400));
        assert_eq!(limiter.gap_for("slow"), S(5));
        assert_eq!(limiter.gap_for("fast"), S(1));
        assert_eq!(limiter.gap_for("absurd"), MAX_GAP);
        assert_eq!(limiter.gap_for("unknown"), S(1));

        let t0 = Instant::now();
        drop(limiter.acquire("slow").await);
        drop(limiter.acquire("slow").await);
        assert_eq!(Instant::now() - t0, S(5));
        drop(limiter.acquire("absurd").await);
        drop(limiter.acquire("absurd").await);
        assert_eq!(Instant::now() - t0, S(5) + MAX_GAP);
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_back_one_host_and_is_capped() {
        let limiter = HostLimiter::new(2, Duration::ZERO);
        let t0 = Instant::now();
        limiter.pause("busy", S(3));
        // A shorter pause later does not shorten the first.
        limiter.pause("busy", S(1));
        drop(limiter.acquire("calm").await);
        assert_eq!(Instant::now() - t0, S(0));
        drop(limiter.acquire("busy").await);
        assert_eq!(Instant::now() - t0, S(3));

        // Retry-After: three days → five minutes.
        limiter.pause("busy", S(3 * 24 * 3600));
        drop(limiter.acquire("busy").await);
        assert_eq!(Instant::now() - t0, S(3) + MAX_PAUSE);
    }

    #[tokio::test(start_paused = true)]
    async fn pause_reaches_requests_already_waiting() {
        let limiter = HostLimiter::new(1, S(1));
        drop(limiter.acquire("h").await);
        let t0 = Instant::now();
        let waiter = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                drop(limiter.acquire("h").await);
                Instant::now()
            })
        };
        tokio::task::yield_now().await;
        limiter.pause("h", S(10));
        let started = waiter.await.unwrap();
        assert_eq!(started - t0, S(10));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_concurrency_means_one() {
        let limiter = HostLimiter::new(0, Duration::ZERO);
        let first = limiter.acquire("h").await;
        let second = tokio::time::timeout(S(1), limiter.acquire("h")).await;
        assert!(second.is_err(), "a second slot was granted");
        drop(first);
        assert_eq!(limiter.acquire("h").await.host(), "h");
    }

    #[test]
    fn host_keys() {
        let key = |s: &str| host_key(&url::Url::parse(s).unwrap());
        assert_eq!(key("https://WWW.Example.org/a"), "www.example.org");
        assert_eq!(key("http://www.example.org:80/a"), "www.example.org");
        assert_eq!(key("http://127.0.0.1:8080/"), "127.0.0.1:8080");
    }
}
