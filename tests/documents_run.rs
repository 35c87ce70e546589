//! Issue 9's acceptance tests: documents are read, not only hashed. Real loopback HTTP (the
//! fixture crate), real SQLite files, real documents (the demo site's generated PDF, DOCX and
//! XLSX), and the built `quietwatch` binary as the extraction worker.
//!
//! - the demo's documents in two versions: a PDF with changed rates, a DOCX with an added
//!   requirement, an XLSX with a changed price are `changed` records saying what changed in
//!   words; a PDF that differs only in CreationDate and /ID is a new version and no record;
//! - a DOCX/XLSX served with its own type is read as a document, never as HTML;
//! - an archive written before this change (its schema and its HTML reading of the XLSX) is
//!   upgraded without a flood of records, and its garbage text leaves the index;
//! - hostile documents end as versions whose text is unavailable, the crawl goes on and the
//!   database passes integrity_check;
//! - a recheck of unchanged documents reads none of them again (304s, and the same bytes
//!   again when the server ignores validators): the worker is not spawned.

mod common;

use common::{qw, DocumentReading, Harness};
use quietwatch::config::Config;
use quietwatch::crawl::NoProgress;
use quietwatch::model::{Change, ChangeKind, Significance};
use quietwatch::run::{RunOptions, RunReport};
use quietwatch::store::{Store, TextStatus, VersionSpan};
use quietwatch_fixture::{demo_site, FixtureSite};
use std::path::Path;

const SPEC: &str = "/wp-content/uploads/2026/01/RM6160-Specification.docx";
const PRICES: &str = "/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx";
const ORDER: &str = "/wp-content/uploads/2026/01/RM6160-Order-Form.pdf";
const GUIDE: &str = "/wp-content/uploads/2025/11/RM6187-Customer-Guide.pdf";

fn versions(store: &Store, url: &str) -> Vec<VersionSpan> {
    let page = store
        .page_for_url(url)
        .unwrap()
        .unwrap_or_else(|| panic!("no page {url}"));
    store.versions_of_page(page.id).unwrap()
}

fn text_of(store: &Store, v: &VersionSpan) -> String {
    store.version(v.id).unwrap().unwrap().text
}

fn change_at<'a>(changes: &'a [Change], url: &str) -> Option<&'a Change> {
    changes.iter().find(|c| c.url == url)
}

/// A crawl run with documents read as `reading` says.
async fn crawl_with(config: &Config, reading: DocumentReading) -> RunReport {
    let mut store = Store::open(&config.storage.db).unwrap();
    quietwatch::run::crawl_and_detect(
        config,
        &mut store,
        &RunOptions {
            command: "crawl",
            site: None,
            deliver: false,
            progress: &NoProgress,
            documents: reading,
        },
    )
    .await
    .expect("crawl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_documents_are_compared_by_their_text() {
    let h = Harness::start(demo_site(), &[]).await;
    let r1 = h.crawl().await;
    assert!(!r1.any_site_failed(), "{}", r1.summary_line());
    let store = h.store();
    // Run 1 read every document: their versions hold their text.
    let spec_v1 = versions(&store, &h.url("gca", SPEC));
    assert_eq!(spec_v1[0].text_status, TextStatus::Read);
    assert!(text_of(&store, &spec_v1[0]).contains("right to work in the UK"));
    let prices_v1 = versions(&store, &h.url("gca", PRICES));
    let sheet = text_of(&store, &prices_v1[0]);
    assert!(sheet.contains("# Sheet: Day rates"), "{sheet}");
    assert!(sheet.contains("Senior consultant | £650"), "{sheet}");

    h.server.set_version(2);
    let r2 = h.crawl().await;
    let changes = h.changes_of_run(&r2);

    // The DOCX gained a requirement: a text change, in words, with the line in its excerpt.
    let spec = change_at(&changes, &h.url("gca", SPEC)).expect("a record for the DOCX");
    assert_eq!(spec.kind, ChangeKind::Changed);
    assert!(!spec.summary.contains("sha256"), "{}", spec.summary);
    assert!(spec.words_added > 0 && spec.words_removed == 0, "{spec:?}");
    assert!(
        spec.detail
            .excerpt
            .iter()
            .any(|l| l.tag == '+' && l.text().contains("enhanced DBS check")),
        "{:?}",
        spec.detail.excerpt
    );
    assert_eq!(
        spec.content_type.as_deref(),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );

    // The XLSX's price changed: a figure, so major, and the summary says £650 → £675.
    let prices = change_at(&changes, &h.url("gca", PRICES)).expect("a record for the XLSX");
    assert_eq!(prices.kind, ChangeKind::Changed);
    assert_eq!(prices.significance, Significance::Major);
    assert!(
        prices.summary.contains("£650") && prices.summary.contains("£675"),
        "{}",
        prices.summary
    );

    // The digest names the type beside the title and the page that links the document.
    let input = quietwatch::report::digest::collect(&store, &h.config.digest, 3).unwrap();
    let digest =
        quietwatch::report::digest::render(&input, &h.config.digest, chrono::Utc::now()).unwrap();
    let item = digest
        .text
        .split("\n\n")
        .find(|block| block.contains("RM6160-Pricing-Schedule.xlsx"))
        .expect("the XLSX in the digest");
    assert!(item.contains("(spreadsheet)"), "{item}");
    assert!(
        item.contains(&format!(
            "linked from {}",
            h.url("gca", "/agreements/RM6160")
        )),
        "{item}"
    );
    assert!(digest.html.contains("spreadsheet</span>"));

    // The change JSON carries the content type; pages say text/html.
    let out = qw(&h.config_path, &["changes", "--json"]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let xlsx = lines
        .iter()
        .find(|l| l["url"] == h.url("gca", PRICES).as_str())
        .unwrap();
    assert_eq!(
        xlsx["content_type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(lines.iter().any(|l| l["content_type"]
        .as_str()
        .is_some_and(|c| c.starts_with("text/html"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_pdfs_are_compared_by_their_text_and_a_re_export_is_quiet() {
    let h = Harness::start(demo_site(), &[]).await;
    h.crawl().await;
    h.server.set_version(2);
    let r2 = h.crawl().await;
    let changes = h.changes_of_run(&r2);
    let store = h.store();
    // The customer guide's rates changed: compared by text, not bytes.
    let guide = change_at(&changes, &h.url("gca", GUIDE)).expect("a record for the PDF");
    assert_eq!(guide.significance, Significance::Major);
    assert!(!guide.summary.contains("sha256"), "{}", guide.summary);
    assert!(
        guide
            .detail
            .excerpt
            .iter()
            .any(|l| l.text().contains("1,395 GBP")),
        "{:?}",
        guide.detail.excerpt
    );
    assert_eq!(guide.content_type.as_deref(), Some("application/pdf"));

    // The order form was re-exported (new CreationDate and /ID): a new version, the same
    // text, no record.
    let order = versions(&store, &h.url("gca", ORDER));
    assert_eq!(order.len(), 2, "{order:?}");
    assert_ne!(order[0].body_sha256, order[1].body_sha256);
    assert_eq!(order[0].text_id, order[1].text_id);
    assert!(
        change_at(&changes, &h.url("gca", ORDER)).is_none(),
        "{changes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_and_the_web_ui_show_diff_and_search_documents_text() {
    let h = Harness::start(demo_site(), &[]).await;
    h.crawl().await;
    h.server.set_version(2);
    h.crawl().await;
    let prices = h.url("gca", PRICES);
    let cfg = &h.config_path;

    // show: the latest text; show --at: the first; show --raw: the original zip bytes.
    let show = qw(cfg, &["show", &prices]).await;
    assert_eq!(show.code, 0, "{show:?}");
    assert!(
        show.stdout.contains("Senior consultant | £675"),
        "{}",
        show.stdout
    );
    assert!(!show.stdout.contains("PK"), "{}", show.stdout);
    let store = h.store();
    let vs = versions(&store, &prices);
    // The moment the first version was seen, to the millisecond (both runs may fall within
    // one second).
    let first_seen = chrono::DateTime::from_timestamp_millis(vs[0].first_seen)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let at = qw(cfg, &["show", &prices, "--at", &first_seen]).await;
    assert_eq!(at.code, 0, "{at:?}");
    assert!(
        at.stdout.contains("Senior consultant | £650"),
        "{}",
        at.stdout
    );
    let raw_path = h.dir.path().join("raw.xlsx");
    let raw = std::process::Command::new(env!("CARGO_BIN_EXE_quietwatch"))
        .args([
            "--config",
            &cfg.display().to_string(),
            "show",
            &prices,
            "--raw",
        ])
        .output()
        .unwrap();
    assert!(raw.status.success());
    std::fs::write(&raw_path, &raw.stdout).unwrap();
    let served = demo_site()
        .read("v2/gca/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx")
        .unwrap();
    assert_eq!(raw.stdout, served, "show --raw is the bytes as served");

    // export --warc: the original bytes of both versions, in gzip members read back here.
    let warc = h.dir.path().join("out.warc.gz");
    let export = qw(cfg, &["export", "--warc", &warc.display().to_string()]).await;
    assert_eq!(export.code, 0, "{export:?}");
    let mut all = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&warc).unwrap()),
        &mut all,
    )
    .unwrap();
    let first = demo_site()
        .read("v1/gca/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx")
        .unwrap();
    for bytes in [&served, &first] {
        assert!(
            all.windows(bytes.len()).any(|w| w == &bytes[..]),
            "the WARC holds the XLSX as served"
        );
    }

    // diff: the changed cell, by words.
    let diff = qw(cfg, &["diff", &prices]).await;
    assert_eq!(diff.code, 0, "{diff:?}");
    assert!(
        diff.stdout.contains("£650") && diff.stdout.contains("£675"),
        "{}",
        diff.stdout
    );

    // history: both versions, the text read.
    let hist = qw(cfg, &["history", &prices, "--json"]).await;
    let events: Vec<serde_json::Value> = hist
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let vers: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "version").collect();
    assert_eq!(vers.len(), 2);
    assert!(vers.iter().all(|v| v["text_status"] == "read"), "{vers:?}");

    // search: inside the DOCX, with when the phrase appeared.
    let search = qw(cfg, &["search", "enhanced DBS check"]).await;
    assert_eq!(search.code, 0, "{search:?}");
    assert!(
        search.stdout.contains(&h.url("gca", SPEC)),
        "{}",
        search.stdout
    );

    // serve: the version's text and the diff, side by side and inline.
    let base = serve(h.db()).await;
    let v = reqwest::get(format!("{base}/version/{}", vs[1].id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(v.contains("Senior consultant | £675"), "{v}");
    let d = reqwest::get(format!(
        "{base}{}",
        quietwatch::links::diff_link("", &prices, vs[0].id, vs[1].id)
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        d.contains("<del>£650</del>") && d.contains("<ins>£675</ins>"),
        "{d}"
    );
}

async fn serve(db: std::path::PathBuf) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, quietwatch::serve::router(db))
            .await
            .unwrap()
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_served_with_its_type_is_a_spreadsheet_not_a_page() {
    // The URL has no extension, so only the Content-Type (and the bytes) can say what it is:
    // the bug of issue 9 parsed it as HTML because the type contains "xml".
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let host = site.join("v1/web");
    std::fs::create_dir_all(host.join("download")).unwrap();
    std::fs::write(
        host.join("index.html"),
        "<html><head><title>Downloads</title></head><body><main><h1>Downloads</h1>\
         <p><a href=\"/download/prices\">Pricing schedule</a></p></main></body></html>",
    )
    .unwrap();
    let xlsx = demo_site()
        .read("v1/gca/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx")
        .unwrap();
    std::fs::write(host.join("download/prices"), &xlsx).unwrap();
    std::fs::write(
        site.join("site.toml"),
        r#"name = "typed"
hosts = ["web"]
[[version]]
n = 1
[[rule]]
host = "web"
path = "/download/prices"
content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
"#,
    )
    .unwrap();
    std::fs::write(
        site.join("quietwatch.toml"),
        r#"[crawl]
delay_ms = 0
respect_robots = false
[storage]
db = "q.db"
[[site]]
name = "typed"
start = ["{{host:web}}/"]
sitemaps = false
"#,
    )
    .unwrap();
    let h = Harness::start(FixtureSite::Dir(site), &[]).await;
    h.crawl().await;
    let store = h.store();
    let url = h.url("web", "/download/prices");
    assert!(store.page_for_url(&url).unwrap().unwrap().is_document);
    let vs = versions(&store, &url);
    assert_eq!(vs[0].text_status, TextStatus::Read);
    let text = text_of(&store, &vs[0]);
    assert!(text.contains("# Sheet: Day rates"), "{text}");
    assert!(
        !text.contains("PK") && !text.contains("Content_Types"),
        "{text}"
    );
    let show = qw(&h.config_path, &["show", &url]).await;
    assert!(
        show.stdout.contains("Senior consultant | £650"),
        "{}",
        show.stdout
    );
    let search = qw(&h.config_path, &["search", "Senior consultant"]).await;
    assert!(search.stdout.contains(&url), "{}", search.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recheck_of_unchanged_documents_reads_none_of_them() {
    let h = Harness::start(demo_site(), &[]).await;
    // The worker is a wrapper that notes every spawn (an empty file each: the worker may
    // write no file bytes, RLIMIT_FSIZE is 0) before it runs the real one.
    let log = h.dir.path().join("spawns");
    std::fs::create_dir(&log).unwrap();
    let wrapper = h.dir.path().join("worker.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nmktemp '{}/spawn.XXXXXX' >/dev/null\nexec '{}' \"$@\"\n",
            log.display(),
            env!("CARGO_BIN_EXE_quietwatch")
        ),
    )
    .unwrap();
    make_executable(&wrapper);
    let spawns = || std::fs::read_dir(&log).unwrap().count();
    let reading = DocumentReading::Worker(wrapper.clone());
    let r1 = crawl_with(&h.config, reading.clone()).await;
    // The demo's six documents (its CSV is denied).
    assert_eq!(r1.documents_read, 6, "{r1:?}");
    assert_eq!(
        spawns(),
        6,
        "the worker ran once per document on the first crawl"
    );
    let after_first = spawns();

    // Documents answer 304 to their validators.
    let r2 = crawl_with(&h.config, reading.clone()).await;
    assert_eq!(r2.documents_read, 0, "{r2:?}");
    assert_eq!(spawns(), after_first, "no worker spawned on a 304 recheck");

    // A server that forgets validators sends the same bytes again: a hash comparison.
    forget_validators(&h.db());
    let r3 = crawl_with(&h.config, reading).await;
    assert_eq!(r3.documents_read, 0, "{r3:?}");
    assert_eq!(
        spawns(),
        after_first,
        "no worker spawned for the same bytes"
    );
    assert!(r3.sites.iter().all(|s| s.changes.is_empty()), "{r3:?}");
}

#[cfg(unix)]
fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The archive's file opened directly: the stored validators dropped, so the next crawl
/// makes unconditional requests.
fn forget_validators(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute("UPDATE pages SET etag = NULL, last_modified = NULL", [])
        .unwrap();
}
