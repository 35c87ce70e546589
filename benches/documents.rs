//! The cost of documents in a crawl (issue 9): the first crawl of a site linking 200
//! documents (each read by the extraction worker), a recheck answered 304, and a recheck
//! whose server ignores validators (the same bytes again: a hash comparison). Neither
//! recheck may extract anything. Plain `fn main` timing; run with
//! `cargo bench --bench documents` (the `quietwatch` binary is the worker).

use quietwatch::analyse::doc_reading::DocumentReading;
use quietwatch::config::Config;
use quietwatch::crawl::NoProgress;
use quietwatch::run::{RunOptions, RunReport};
use quietwatch::store::Store;
use quietwatch_fixture::{demo_site, FixtureServer, FixtureSite};
use std::path::{Path, PathBuf};
use std::time::Instant;

const DOCUMENTS: usize = 200;

fn write_site(dir: &Path) -> PathBuf {
    let site = dir.join("site");
    let host = site.join("v1/web");
    std::fs::create_dir_all(host.join("docs")).unwrap();
    let demo = demo_site();
    let sources = [
        (
            "xlsx",
            "v1/gca/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx",
        ),
        (
            "docx",
            "v1/gca/wp-content/uploads/2026/01/RM6160-Specification.docx",
        ),
        (
            "pdf",
            "v1/gca/wp-content/uploads/2025/11/RM6187-Customer-Guide.pdf",
        ),
    ];
    let mut links = String::new();
    for i in 0..DOCUMENTS {
        let (ext, src) = sources[i % sources.len()];
        let name = format!("doc-{i}.{ext}");
        std::fs::write(host.join("docs").join(&name), demo.read(src).unwrap()).unwrap();
        links.push_str(&format!("<li><a href=\"/docs/{name}\">{name}</a></li>\n"));
    }
    std::fs::write(
        host.join("index.html"),
        format!("<html><head><title>Documents</title></head><body><main><h1>Documents</h1><ul>{links}</ul></main></body></html>"),
    )
    .unwrap();
    std::fs::write(
        site.join("site.toml"),
        "name = \"docs\"\nhosts = [\"web\"]\n[[version]]\nn = 1\n",
    )
    .unwrap();
    site
}

async fn crawl(config: &Config) -> (RunReport, f64) {
    let mut store = Store::open(&config.storage.db).unwrap();
    let t = Instant::now();
    let r = quietwatch::run::crawl_and_detect(
        config,
        &mut store,
        &RunOptions {
            command: "crawl",
            site: None,
            deliver: false,
            progress: &NoProgress,
            documents: DocumentReading::Worker(PathBuf::from(env!("CARGO_BIN_EXE_quietwatch"))),
        },
    )
    .await
    .unwrap();
    (r, t.elapsed().as_secs_f64())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let site = write_site(dir.path());
        let server = FixtureServer::start(FixtureSite::Dir(site)).await.unwrap();
        let config_path = dir.path().join("quietwatch.toml");
        let toml = server.expand_hosts(&format!(
            "[crawl]\ndelay_ms = 0\nconcurrency = 8\nper_host_concurrency = 8\nrespect_robots = false\n\
             [storage]\ndb = \"{}\"\n[[site]]\nname = \"docs\"\nstart = [\"{{{{host:web}}}}/\"]\n\
             sitemaps = false\ndocuments = true\nmax_pages = 1000\n",
            dir.path().join("q.db").display()
        ));
        std::fs::write(&config_path, toml).unwrap();
        let config = Config::load(&config_path).unwrap();
        let (r1, t1) = crawl(&config).await;
        println!(
            "first crawl: {DOCUMENTS} documents + 1 page in {t1:.2} s, {} documents read ({:.1} ms each)",
            r1.documents_read,
            t1 * 1000.0 / r1.documents_read.max(1) as f64
        );
        let (r2, t2) = crawl(&config).await;
        let s = &r2.sites[0].stats;
        println!(
            "recheck (validators): {t2:.2} s, {} not modified, {} documents read",
            s.not_modified, r2.documents_read
        );
        let c = rusqlite::Connection::open(&config.storage.db).unwrap();
        c.execute("UPDATE pages SET etag = NULL, last_modified = NULL", [])
            .unwrap();
        let (r3, t3) = crawl(&config).await;
        println!(
            "recheck (same bytes, no validators): {t3:.2} s, {} new versions, {} documents read",
            r3.sites[0].stats.new_versions, r3.documents_read
        );
        assert_eq!(r2.documents_read + r3.documents_read, 0, "a recheck re-extracted");
    });
}
