//! `quietwatch demo`: the whole product in one command, with no network.
//!
//! It serves the bundled two-version fixture site (modelled on the GCA agreements pages and
//! NHS England's procurement guidance, see `crates/fixture/sites/demo/EXPECTED.md`) on loopback,
//! records a baseline, switches the site to its second version — a deleted market-engagement
//! page, a redirected agreement, a host rename, a rewritten "£25bn" figure, a typo fix and
//! the noise that must not count — runs again, and writes the digest to a directory it
//! names. The same code path as `run` ([`crate::run::run`]: lock, crawl, detect, digest)
//! does the work: the demo is a real run against a real server, not a canned output.

use crate::analyse::doc_reading::{document_type_name, DocumentReading};
use crate::config::Config;
use crate::crawl::NoProgress;
use crate::error::{Error, Result};
use crate::model::{Change, ChangeKind};
use crate::run::{RunOptions, RunReport};
use crate::store::{ChangeFilter, Store};
use quietwatch_fixture::{demo_site, FixtureServer};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What the demo did, for the CLI to print.
#[derive(Debug)]
pub struct DemoReport {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub db: PathBuf,
    pub baseline: RunReport,
    pub second: RunReport,
    pub changes: Vec<Change>,
    /// The second run's digest (.eml, .html), when one was written.
    pub digest: Option<(PathBuf, PathBuf)>,
    pub subject: String,
}

impl DemoReport {
    /// A readable account of the demo, with where to look next.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "quietwatch demo: the bundled fixture site on loopback, two versions\n"
        );
        let _ = writeln!(s, "run 1 (version 1): {}", self.baseline.summary_line());
        let _ = writeln!(s, "run 2 (version 2): {}\n", self.second.summary_line());
        let phrases: Vec<&Change> = self.changes.iter().filter(|c| c.kind.is_phrase()).collect();
        let ending: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Ending)
            .collect();
        let rest: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| !c.kind.is_phrase() && c.kind != ChangeKind::Ending)
            .collect();
        for (heading, list) in [
            ("watched phrases in run 2:", &phrases),
            ("ending soon:", &ending),
            ("changes found in run 2:", &rest),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(s, "{heading}");
            for c in list.iter() {
                // A document says what it is: "(spreadsheet)", "(PDF)".
                let what = document_type_name(c.content_type.as_deref(), &c.url)
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  {:<18} {:<5}  {}{what}\n                     {}",
                    c.kind.label(),
                    c.significance,
                    c.url,
                    c.summary
                );
                // A document's change in its own words: the lines that changed.
                if !what.is_empty() {
                    for l in c.detail.excerpt.iter().filter(|l| l.tag != ' ').take(4) {
                        let line = crate::markup::one_line(&l.text(), 100);
                        let _ = writeln!(s, "                     {} {line}", l.tag);
                    }
                }
            }
            let _ = writeln!(s);
        }
        self.render_fact_changes(&mut s);
        if let Some((eml, html)) = &self.digest {
            let _ = writeln!(s, "digest: {}", self.subject);
            let _ = writeln!(s, "  {}", html.display());
            let _ = writeln!(s, "  {}", eml.display());
        }
        let _ = writeln!(s, "\narchive: {}", self.db.display());
        let _ = writeln!(
            s,
            "try:     quietwatch --config {} changes\n         quietwatch --config {} serve",
            self.config.display(),
            self.config.display()
        );
        s
    }
}

impl DemoReport {
    /// The facts that changed in run 2, page by page (SPEC "Facts"): what a bid team reads.
    fn render_fact_changes(&self, s: &mut String) {
        let with_facts: Vec<&Change> = self
            .changes
            .iter()
            // An `ending` record's fact is its end date, shown under "ending soon".
            .filter(|c| !c.facts.is_empty() && c.kind != ChangeKind::Ending)
            .collect();
        if with_facts.is_empty() {
            return;
        }
        let _ = writeln!(s, "fact changes in run 2:");
        for c in with_facts {
            let _ = writeln!(s, "  {}", crate::markup::one_line(&c.title, 100));
            for f in c.facts.iter().take(MAX_DEMO_FACTS) {
                let _ = writeln!(s, "    {}", crate::markup::one_line(&f.words(), 200));
            }
            if c.facts.len() > MAX_DEMO_FACTS {
                let _ = writeln!(s, "    and {} more", c.facts.len() - MAX_DEMO_FACTS);
            }
        }
        let _ = writeln!(s);
    }
}

/// Fact changes the demo prints per page.
const MAX_DEMO_FACTS: usize = 6;

/// Runs the demo in `dir` (created if needed) or a new directory under the system's temp
/// directory, which is kept so the digest and archive can be looked at afterwards.
pub async fn run_demo(dir: Option<&Path>, documents: DocumentReading) -> Result<DemoReport> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => std::env::temp_dir().join(format!(
            "quietwatch-demo-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        )),
    };
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        what: format!("demo directory {}", dir.display()),
        source,
    })?;
    let site = demo_site();
    let template = String::from_utf8_lossy(&site.read("quietwatch.toml")?).into_owned();
    let server = FixtureServer::start(site).await?;
    let config_path = dir.join("quietwatch.toml");
    std::fs::write(&config_path, server.expand_hosts(&template)).map_err(|source| Error::Io {
        what: format!("demo config {}", config_path.display()),
        source,
    })?;
    let config = Config::load(&config_path)?;
    let db = config.storage.db.clone();
    // A fresh archive each time: the demo's story starts from an empty store. The WAL and
    // shared-memory files go too, so a stale log of an earlier demo is never replayed.
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    server.set_version(1);
    let (baseline, _) = run_once(&config, &documents).await?;
    server.set_version(2);
    let (second, delivery) = run_once(&config, &documents).await?;
    let changes = Store::open_readonly(&db).and_then(|store| {
        store.changes(&ChangeFilter {
            run_id: Some(second.run_id),
            ..Default::default()
        })
    })?;
    server.shutdown().await;
    let (digest, subject) = match delivery {
        Some((eml, html, subject)) => (Some((eml, html)), subject),
        None => (None, String::new()),
    };
    Ok(DemoReport {
        dir,
        config: config_path,
        db,
        baseline,
        second,
        changes,
        digest,
        subject,
    })
}

type Written = Option<(PathBuf, PathBuf, String)>;

/// One `run`, exactly as cron's: lock, crawl, detect, digest.
async fn run_once(config: &Config, documents: &DocumentReading) -> Result<(RunReport, Written)> {
    let outcome = crate::run::run(
        config,
        &config.storage.db,
        &RunOptions {
            command: "demo",
            site: None,
            deliver: true,
            progress: &NoProgress,
            documents: documents.clone(),
        },
    )
    .await?;
    let written = match outcome.delivery.map(|d| d.mail) {
        Some(Ok(d)) => d.mail.map(|m| (m.eml_path, m.html_path, d.subject)),
        Some(Err(e)) => return Err(e),
        None => None,
    };
    Ok((outcome.report, written))
}
