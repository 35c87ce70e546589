//! Shared by the integration tests: a fixture site on loopback, its config in a temporary
//! directory, a real SQLite store, and crawl runs against them.
#![allow(dead_code)]

use quietwatch::config::Config;
use quietwatch::crawl::NoProgress;
use quietwatch::model::Change;
use quietwatch::run::{RunOptions, RunReport};
use quietwatch::store::{ChangeFilter, Store};
use quietwatch_fixture::{FixtureServer, FixtureSite};
use std::path::{Path, PathBuf};

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
        };
        quietwatch::run::crawl_and_detect(&self.config, &mut store, &opts)
            .await
            .expect("crawl")
    }

    /// Changes filed by one run.
    pub fn changes_of_run(&self, report: &RunReport) -> Vec<Change> {
        self.store()
            .changes(&ChangeFilter {
                run_id: Some(report.run_id),
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
