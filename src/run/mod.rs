//! One run of the pipeline: lock → begin run → crawl → detect → digest → deliver.
//!
//! Both `quietwatch run` (from cron) and `quietwatch demo` go through [`run`]; `crawl` is
//! the same without delivery, `digest` is delivery alone ([`deliver_pending`]). The order
//! is what keeps the promises:
//! - **one run at a time**: the lock ([`lock`]) is taken before the archive is opened for
//!   writing, and the OS releases it when a run dies, even with kill -9;
//! - **a failure is never a finding**, and a site that cannot be crawled at all is recorded
//!   as failed with the cause it saw, nothing concluded about its pages;
//! - **nothing is lost**: every fetch is stored before detection reads it, detection files
//!   its records and the pages' new states in one transaction per site, and delivery marks
//!   changes sent only after the server accepted them — a failed delivery leaves them
//!   pending for the next run.

pub mod lock;

use crate::analyse::doc_reading::{DocReader, DocumentReading};
use crate::analyse::reader::Reader;
use crate::analyse::{detect, ending, repair};
use crate::config::{Config, SiteConfig};
use crate::crawl::{Crawler, Progress, SiteObservations};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ChangeKind, SiteOutcome};
use crate::report::{digest, mail, webhook};
use crate::store::{SiteRunRecord, Store};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// One site's part of a run, for the summary line and the exit code.
#[derive(Debug, Clone)]
pub struct SiteReport {
    pub site: String,
    pub outcome: SiteOutcome,
    /// Why the site could not be crawled (when `outcome` is `Failed`).
    pub error: Option<String>,
    /// Pages that answered with content.
    pub pages: u64,
    pub stats: crate::crawl::CrawlStats,
    pub changes: BTreeMap<ChangeKind, u64>,
}

impl SiteReport {
    /// The site's part of the summary line.
    pub fn summary(&self) -> String {
        match self.outcome {
            SiteOutcome::Baseline => format!("{}: baseline: {} pages", self.site, self.pages),
            SiteOutcome::Failed => format!(
                "{}: FAILED ({})",
                self.site,
                self.error.as_deref().unwrap_or("no reason recorded")
            ),
            SiteOutcome::Ok => {
                let total: u64 = self.changes.values().sum();
                let s = &self.stats;
                let mut line = format!(
                    "{}: {} pages ({} new versions, {} not modified, {} failed), {} change{}",
                    self.site,
                    self.pages,
                    s.new_versions,
                    s.not_modified,
                    s.failed,
                    total,
                    if total == 1 { "" } else { "s" }
                );
                if total > 0 {
                    let parts: Vec<String> = self
                        .changes
                        .iter()
                        .map(|(k, n)| format!("{n} {}", k.label()))
                        .collect();
                    line.push_str(&format!(" ({})", parts.join(", ")));
                }
                line
            }
        }
    }
}

/// The crawl-and-detect part of a run, over every site crawled.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: i64,
    pub sites: Vec<SiteReport>,
    /// Versions from an older archive given their text before the crawl.
    pub repaired: repair::RepairReport,
    /// Documents whose text was extracted in this run (the repair's included): a recheck of
    /// unchanged documents extracts none.
    pub documents_read: u64,
}

impl RunReport {
    /// One line for cron's mail or the terminal.
    pub fn summary_line(&self) -> String {
        let parts: Vec<String> = self.sites.iter().map(SiteReport::summary).collect();
        parts.join("; ")
    }

    /// True when a whole site could not be crawled (exit code 1).
    pub fn any_site_failed(&self) -> bool {
        self.sites.iter().any(|s| s.outcome == SiteOutcome::Failed)
    }

    /// Changes filed in this run, all sites.
    pub fn change_count(&self) -> u64 {
        self.sites.iter().flat_map(|s| s.changes.values()).sum()
    }
}

/// What the mail digest did.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub subject: String,
    /// The digest written (and maybe sent); `None`: nothing was worth one.
    pub mail: Option<mail::Delivery>,
}

/// What every channel did with what was pending for it. Each channel succeeds or fails on
/// its own: one failing never holds back the others.
#[derive(Debug)]
pub struct Deliveries {
    pub mail: Result<Delivered>,
    /// Each `[[webhook]]`, in config order.
    pub webhooks: Vec<(String, Result<webhook::DeliveryReport>)>,
}

impl Deliveries {
    /// The kind of the first failure, if any channel failed.
    pub fn failure(&self) -> Option<ErrorKind> {
        let mail = self.mail.as_ref().err();
        let hooks = self.webhooks.iter().filter_map(|(_, r)| r.as_ref().err());
        mail.into_iter().chain(hooks).map(Error::kind).next()
    }
}

/// What a whole run did: the crawl's report and, when delivery was asked for, what each
/// channel did. A failed delivery is not an error of the run (the crawl's work is stored):
/// it is reported here, and the exit code says it.
#[derive(Debug)]
pub struct RunOutcome {
    pub report: RunReport,
    pub delivery: Option<Deliveries>,
}

impl RunOutcome {
    /// What the exit code should say: a failed site, then a failed delivery, else nothing.
    pub fn failure(&self) -> Option<ErrorKind> {
        if self.report.any_site_failed() {
            return Some(ErrorKind::SiteFailed);
        }
        self.delivery.as_ref().and_then(Deliveries::failure)
    }
}

/// What to run.
pub struct RunOptions<'a> {
    /// The command, as recorded in the run row (`run`, `crawl`, `demo`).
    pub command: &'a str,
    /// Only this site (`crawl --site`); checked against the config first.
    pub site: Option<&'a str>,
    /// Send (or write) the digest after the crawl.
    pub deliver: bool,
    pub progress: &'a dyn Progress,
    /// Where documents are read: the binary passes itself as the extraction worker.
    pub documents: DocumentReading,
}

/// The whole run against the archive at `db`: lock, crawl and detect every site (or one),
/// then deliver if asked.
pub async fn run(config: &Config, db: &Path, opts: &RunOptions<'_>) -> Result<RunOutcome> {
    if let Some(name) = opts.site {
        config.site_named(name)?;
    }
    let _lock = lock::RunLock::acquire(db)?;
    let mut store = Store::open(db)?;
    if opts.deliver {
        warn_if_password_missing(config);
        // Before the crawl files anything, so a channel configured since the last run owns
        // this run's changes.
        ensure_channels(config, &store)?;
    }
    let report = crawl_and_detect(config, &mut store, opts).await?;
    let delivery = if opts.deliver {
        Some(deliver_all(config, &mut store).await)
    } else {
        None
    };
    Ok(RunOutcome { report, delivery })
}

/// Crawls and detects every site of the config (or the one named) in a new run of `store`.
pub async fn crawl_and_detect(
    config: &Config,
    store: &mut Store,
    opts: &RunOptions<'_>,
) -> Result<RunReport> {
    let sites: Vec<&SiteConfig> = match opts.site {
        Some(name) => vec![config.site_named(name)?],
        None => config.sites.iter().collect(),
    };
    let run_id = store.begin_run(opts.command)?;
    let docs = Arc::new(DocReader::new(&opts.documents));
    // Before the crawl: the versions detection compares against get their text first.
    let repaired = repair::read_unread_versions(store, docs.clone()).await?;
    let mut crawler = Crawler::new(config)?;
    let mut reports = Vec::with_capacity(sites.len());
    for site in sites {
        opts.progress.site_started(&site.name);
        let reader = Reader::for_site(site, docs.clone()).map_err(|e| Error::Site {
            site: site.name.clone(),
            message: e.to_string(),
        })?;
        let observed = crawler
            .crawl_site(site, store, run_id, Arc::new(reader), opts.progress)
            .await?;
        let report = file_detection(config, store, &observed)?;
        tracing::info!(target: "quietwatch::summary", "{}", report.summary());
        opts.progress.site_finished(&report.summary());
        reports.push(report);
    }
    let report = RunReport {
        run_id,
        sites: reports,
        repaired,
        documents_read: docs.documents_read(),
    };
    store.finish_run(run_id, &report.summary_line())?;
    Ok(report)
}

/// Detects one site's changes and files them with the pages' new states, the baseline mark
/// and the site-run row, in one transaction.
fn file_detection(
    config: &Config,
    store: &mut Store,
    observed: &SiteObservations,
) -> Result<SiteReport> {
    let outcome = detect::detect(
        store,
        observed,
        config.crawl.unreachable_after,
        &config.watches,
    )?;
    let baseline = observed.site.baseline_at.is_none();
    let site_outcome = match (&observed.failure, baseline) {
        (Some(_), _) => SiteOutcome::Failed,
        (None, true) => SiteOutcome::Baseline,
        (None, false) => SiteOutcome::Ok,
    };
    let pages = observed.live_pages();
    let record = SiteRunRecord {
        outcome: site_outcome,
        pages,
        fetched: observed.stats.fetched,
        not_modified: observed.stats.not_modified,
        failed: observed.stats.failed,
        changes: outcome.changes.len() as u64,
        error: observed.failure.clone(),
    };
    let mut changes = BTreeMap::new();
    for c in &outcome.changes {
        *changes.entry(c.kind).or_default() += 1;
    }
    store.apply_detection(
        observed.run_id,
        &observed.site,
        &outcome.merges,
        &outcome.updates,
        &outcome.changes,
        site_outcome == SiteOutcome::Baseline,
        &record,
    )?;
    // After detection, so pages it just found removed or redirected are out of the register.
    if site_outcome == SiteOutcome::Ok {
        let n = announce_endings(config, store, observed)?;
        if n > 0 {
            *changes.entry(ChangeKind::Ending).or_default() += n;
        }
    }
    Ok(SiteReport {
        site: observed.site.name.clone(),
        outcome: site_outcome,
        error: observed.failure.clone(),
        pages,
        stats: observed.stats,
        changes,
    })
}

/// Files an `ending` record for each agreement or lot of the site whose end date comes
/// within `[digest] ending_within_days` and was not announced yet; how many.
fn announce_endings(
    config: &Config,
    store: &mut Store,
    observed: &SiteObservations,
) -> Result<u64> {
    let within = config.digest.ending_within_days;
    if within == 0 {
        return Ok(0);
    }
    let pages: Vec<ending::PageEnds> = store
        .latest_facts_of_pages(Some(&observed.site.name), None)?
        .iter()
        .map(ending::PageEnds::from_facts)
        .filter(|p| !p.ends.is_empty())
        .collect();
    let announced = store.announced_endings(observed.site.id)?;
    let today = chrono::Utc::now().date_naive();
    let due = ending::due(&pages, &announced, today, within);
    store.file_endings(observed.run_id, &observed.site, &due)?;
    Ok(due.len() as u64)
}

/// Every channel delivers what is pending for it: the mail digest, then each webhook.
pub async fn deliver_all(config: &Config, store: &mut Store) -> Deliveries {
    let mail = deliver_digest(config, store).await;
    let mut webhooks = Vec::with_capacity(config.webhooks.len());
    let opts = message_options(config);
    let send = webhook::SendOptions {
        user_agent: config.crawl.user_agent.clone(),
        ..Default::default()
    };
    for hook in &config.webhooks {
        let result = webhook::channel::deliver_pending(store, hook, &opts, &send)
            .await
            .map_err(Error::from);
        webhooks.push((hook.name.clone(), result));
    }
    Deliveries { mail, webhooks }
}

/// Sends (or writes) the digest of everything pending, marking it only once accepted.
pub async fn deliver_digest(config: &Config, store: &mut Store) -> Result<Delivered> {
    let input = digest::collect(store, &config.digest, config.crawl.unreachable_after)?;
    let now = chrono::Utc::now();
    let digest = digest::render(&input, &config.digest, now)?;
    let mail = mail::deliver(store, &digest, &config.digest, config.smtp.as_ref(), now).await?;
    Ok(Delivered {
        subject: digest.subject,
        mail,
    })
}

fn message_options(config: &Config) -> webhook::MessageOptions {
    webhook::MessageOptions {
        archive_url: config.digest.archive_url.clone(),
    }
}

/// Registers every configured webhook as a delivery channel (a no-op for known ones).
fn ensure_channels(config: &Config, store: &Store) -> Result<()> {
    for hook in &config.webhooks {
        store.ensure_channel(&hook.name)?;
    }
    Ok(())
}

/// `digest --dry-run`: what the next digest would say and what each webhook would receive,
/// from a read-only archive; nothing is sent or marked.
pub fn preview_pending(config: &Config, db: &Path) -> Result<String> {
    let store = Store::open_readonly(db)?;
    let input = digest::collect(&store, &config.digest, config.crawl.unreachable_after)?;
    let digest = digest::render(&input, &config.digest, chrono::Utc::now())?;
    let mut out = mail::dry_run_text(&digest);
    let opts = message_options(config);
    for hook in &config.webhooks {
        out.push('\n');
        out.push_str(&webhook::channel::preview(&store, hook, &opts));
    }
    Ok(out)
}

/// `digest`: every channel's delivery alone, under the lock.
pub async fn deliver_locked(config: &Config, db: &Path) -> Result<Deliveries> {
    let _lock = lock::RunLock::acquire(db)?;
    let mut store = Store::open(db)?;
    warn_if_password_missing(config);
    ensure_channels(config, &store)?;
    Ok(deliver_all(config, &mut store).await)
}

/// One channel's state, for `quietwatch channels`.
#[derive(Debug, Clone)]
pub struct ChannelReport {
    /// `mail`, or the webhook's name.
    pub name: String,
    /// `None`: a configured webhook no run has delivered for yet.
    pub status: Option<crate::store::ChannelStatus>,
}

/// Every channel's pending count and last delivery.
pub fn channel_reports(config: &Config, db: &Path) -> Result<Vec<ChannelReport>> {
    let store = Store::open_readonly(db)?;
    let mut out = vec![ChannelReport {
        name: "mail".to_string(),
        status: Some(store.digest_status()?),
    }];
    for hook in &config.webhooks {
        out.push(ChannelReport {
            name: hook.name.clone(),
            status: store.channel_status(&hook.name)?,
        });
    }
    Ok(out)
}

/// Says now, not after a long crawl, that the digest will not go out; the crawl still runs
/// and its changes wait for the next digest.
fn warn_if_password_missing(config: &Config) {
    if let Some(var) = config.smtp.as_ref().and_then(|s| s.password_env.as_deref()) {
        if std::env::var_os(var).is_none() {
            tracing::warn!(
                "[smtp] password_env names {var}, which is not set: the digest will not be sent"
            );
        }
    }
}
