//! Shared by the integration tests: a fixture site on loopback, its config in a temporary
//! directory, a real SQLite store, and crawl runs against them.
#![allow(dead_code)]

pub mod smtp;

use quietwatch::config::Config;
use quietwatch::crawl::NoProgress;
use quietwatch::model::Change;
use quietwatch::run::{RunOptions, RunReport};
use quietwatch::store::{ChangeFilter, Store};
use quietwatch_fixture::{FixtureServer, FixtureSite};
use std::path::{Path, PathBuf};

pub use quietwatch::analyse::doc_reading::DocumentReading;

/// Documents are read by the built binary's extraction worker, as `quietwatch` reads them.
pub fn worker() -> DocumentReading {
    DocumentReading::Worker(PathBuf::from(env!("CARGO_BIN_EXE_quietwatch")))
}

pub struct Harness {
    pub server: FixtureServer,
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub config_path: PathBuf,
}

impl Harness {
    /// Starts `site`, writes its `quietwatch.toml` (edited by the `(from, to)` replacement
    /// pairs, then hosts filled in) into a temporary directory and loads it.
    pub async fn start(site: FixtureSite, replace: &[(&str, &str)]) -> Harness {
        let template = String::from_utf8(site.read("quietwatch.toml").expect("config template"))
            .expect("utf-8 config");
        let server = FixtureServer::start(site).await.expect("fixture server");
        // Replacements apply to the template, so they may name `{{host:…}}` placeholders.
        let mut template = template;
        for (from, to) in replace {
            assert!(template.contains(from), "config template has no {from:?}");
            template = template.replace(from, to);
        }
        let text = server.expand_hosts(&template);
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("quietwatch.toml");
        std::fs::write(&config_path, text).expect("write config");
        let config = Config::load(&config_path).expect("config loads");
        Harness {
            server,
            dir,
            config,
            config_path,
        }
    }

    pub fn db(&self) -> PathBuf {
        self.config.storage.db.clone()
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db()).expect("store")
    }

    /// One crawl run over every site, as `quietwatch crawl` does it.
    pub async fn crawl(&self) -> RunReport {
        let mut store = self.store();
        let opts = RunOptions {
            command: "crawl",
            site: None,
            deliver: false,
            progress: &NoProgress,
            documents: worker(),
        };
        quietwatch::run::crawl_and_detect(&self.config, &mut store, &opts)
            .await
            .expect("crawl")
    }

    /// Changes filed by one run.
    pub fn changes_of_run(&self, report: &RunReport) -> Vec<Change> {
        self.changes_of_run_id(report.run_id)
    }

    /// Changes filed by the run with this id.
    pub fn changes_of_run_id(&self, run_id: i64) -> Vec<Change> {
        self.store()
            .changes(&ChangeFilter {
                run_id: Some(run_id),
                ..Default::default()
            })
            .expect("changes")
    }

    /// A fixture URL: `host` plus `path`.
    pub fn url(&self, host: &str, path: &str) -> String {
        let base = self.server.base_url(host);
        base.join(path).expect("join").to_string()
    }
}

pub fn path_of(p: &Path) -> String {
    p.display().to_string()
}

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `quietwatch --config CONFIG ARGS` on a blocking thread, so the fixture server keeps
/// serving on the runtime meanwhile.
pub async fn qw(config: &Path, args: &[&str]) -> Out {
    let mut all = vec!["--config".to_string(), config.display().to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    let cwd = config.parent().unwrap().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_quietwatch"))
            .args(&all)
            .current_dir(cwd)
            .env_remove("QUIETWATCH_CONFIG")
            .env_remove("QUIETWATCH_DB")
            .env_remove("QUIETWATCH_LOG")
            .output()
            .expect("run the quietwatch binary")
    })
    .await
    .unwrap();
    let out = Out {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!out.stderr.contains("panicked"), "{out:#?}");
    out
}
