//! Issue 2's acceptance tests: the crawl-mechanics fixture site (crates/fixture/sites/crawl, see
//! its EXPECTED.md) on loopback — links, sitemap index with gzip and text sitemaps, robots.txt
//! with Allow/Disallow/Crawl-delay, a redirect chain and a loop, a stall, a never-ending body,
//! a windows-1252 page — crawled into a real SQLite file by the library and by the binary.

mod common;

use common::Harness;
use quietwatch::store::Store;
use quietwatch_fixture::FixtureSite;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

fn crawl_site() -> FixtureSite {
    FixtureSite::Dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/fixture/sites/crawl"))
}

const STORED: &[&str] = &[
    "/frameworks/",
    "/frameworks/estates/",
    "/frameworks/clinical/",
    "/frameworks/digital/",
    "/frameworks/workforce/",
    "/frameworks/archive/summary",
    "/frameworks/estates/sbs10026-facilities-management/",
    "/frameworks/estates/sbs10031-hard-fm/",
    "/frameworks/estates/price-list-2019",
    "/frameworks/clinical/sbs10040-diagnostic-imaging/",
    "/frameworks/clinical/sbs10041-pathology/",
    "/frameworks/digital/sbs10055-cyber-security/",
    "/frameworks/digital/sbs10050-digital-workplace/",
    "/frameworks/workforce/sbs10060-agency-staffing/",
    "/frameworks/workforce/sbs10061-locums/",
    "/frameworks/workforce/sbs10062-payroll/",
    "/frameworks/estates/sbs10026-facilities-management/lots/",
    "/frameworks/clinical/sbs10040-diagnostic-imaging/lots/",
    "/frameworks/digital/sbs10055-cyber-security/lots/",
    "/frameworks/workforce/sbs10060-agency-staffing/lots/",
    "/documents/sbs10026-buyers-guide.pdf",
    "/documents/sbs10060-rate-card.pdf",
    "/frameworks/sbs10099-orphan-framework/",
    "/frameworks/contact-the-team",
];

const NEVER_REQUESTED: &[&str] = &[
    "/frameworks/estates/sbs10026-facilities-management/lots/lot-1/",
    "/frameworks/archive/sbs07050-laundry-services/",
    "/frameworks/estates/?print=1",
    "/news/",
    "/news/new-frameworks-2026",
    "/about/",
    "/assets/site.css",
];

fn page_urls(store: &Store) -> BTreeSet<String> {
    let site = store.find_site("SPS frameworks").unwrap().expect("site");
    store
        .pages_of_site(site.id)
        .unwrap()
        .into_iter()
        .map(|p| p.url)
        .collect()
}

fn count(store: &Store, sql: &str) -> i64 {
    raw_db(store).query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_stores_every_page_obeys_robots_and_rechecks_with_304s() {
    let h = Harness::start(crawl_site(), &[]).await;
    let r1 = h.crawl().await;
    assert!(!r1.any_site_failed(), "{}", r1.summary_line());

    let store = h.store();
    let want: BTreeSet<String> = STORED.iter().map(|p| h.url("sbs", p)).collect();
    let got = page_urls(&store);
    assert_eq!(got, want, "pages stored");

    // Never requested: too deep, robots-disallowed, out of scope.
    for r in h.server.requests() {
        assert!(
            !NEVER_REQUESTED.contains(&r.path.as_str()),
            "requested {}",
            r.path
        );
        assert!(!r.path.contains("?print="), "requested {}", r.path);
    }
    // Crawl-delay 0.5 s: no two requests to the host start closer than that (less a little
    // for clock granularity).
    let mut times: Vec<_> = h.server.requests().iter().map(|r| r.at).collect();
    times.sort();
    for w in times.windows(2) {
        let gap = w[1].duration_since(w[0]).unwrap_or_default();
        assert!(gap >= Duration::from_millis(450), "requests {gap:?} apart");
    }

    // The pathological pages ended with recorded errors, not hangs or pages.
    let errors: Vec<(String, String)> = {
        let conn = raw_db(&store);
        let mut st = conn
            .prepare("SELECT url, error FROM fetches WHERE error IS NOT NULL")
            .unwrap();
        st.query_map([], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get(1)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let error_for = |path: &str| {
        errors
            .iter()
            .find(|(u, _)| u == &h.url("sbs", path))
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("no recorded error for {path}: {errors:?}"))
    };
    assert!(error_for("/frameworks/clinical/live-tenders/")
        .to_lowercase()
        .contains("tim"));
    assert!(error_for("/frameworks/digital/notices-feed/").contains("cut off"));
    assert!(error_for("/frameworks/loop-a/")
        .to_lowercase()
        .contains("redirect"));

    // The windows-1252 page without a declared charset decodes "£".
    let price = store
        .page_for_url(&h.url("sbs", "/frameworks/estates/price-list-2019"))
        .unwrap()
        .expect("price list");
    let v = store
        .version(price.latest_version.unwrap())
        .unwrap()
        .unwrap();
    assert!(v.text.contains("£12.40"), "decoded text: {}", v.text);

    // Every hop of the redirect chain is recorded on the fetch.
    let hops: String = raw_db(&store)
        .query_row(
            "SELECT hops FROM fetches WHERE url = ?1",
            [h.url("sbs", "/frameworks/digital/sbs10050/")],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        hops.contains("301") && hops.contains("302") && hops.contains("308"),
        "{hops}"
    );

    // A second crawl of the unchanged site: conditional requests answered 304, no new body.
    let bodies = count(&store, "SELECT COUNT(*) FROM bodies");
    let versions = count(&store, "SELECT COUNT(*) FROM versions");
    h.server.clear_requests();
    let r2 = h.crawl().await;
    assert!(h.changes_of_run(&r2).is_empty());
    let store = h.store();
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM bodies"),
        bodies,
        "a recheck stored new bodies"
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM versions"), versions);
    let conditional = h
        .server
        .requests()
        .iter()
        .filter(|r| r.conditional())
        .count();
    let not_modified = h
        .server
        .requests()
        .iter()
        .filter(|r| r.status == 304)
        .count();
    assert!(
        conditional >= STORED.len(),
        "only {conditional} conditional requests"
    );
    assert!(not_modified >= STORED.len() - 1, "only {not_modified} 304s");

    // Version 2: robots.txt newly disallows a known page. Never requested, never reported.
    h.server.set_version(2);
    h.server.clear_requests();
    let r3 = h.crawl().await;
    let payroll = "/frameworks/workforce/sbs10062-payroll/";
    assert_eq!(
        h.server.request_count("sbs", payroll),
        0,
        "fetched a disallowed page"
    );
    assert!(
        h.changes_of_run(&r3).is_empty(),
        "{:?}",
        h.changes_of_run(&r3)
    );
    assert_eq!(h.store().integrity_check().unwrap(), "ok");
}

/// kill -9 in the middle of a crawl, then a crawl that carries on: the database is sound and
/// every page is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_minus_nine_mid_crawl_leaves_a_sound_database() {
    let h = Harness::start(crawl_site(), &[]).await;
    let bin = env!("CARGO_BIN_EXE_quietwatch");
    let mut child = std::process::Command::new(bin)
        .args(["--config", h.config_path.to_str().unwrap(), "-q", "crawl"])
        .spawn()
        .expect("spawn quietwatch");
    // Crawl-delay 0.5 s makes the crawl take ~15 s: stop it a few pages in.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    child.kill().expect("kill -9");
    let _ = child.wait();
    {
        let store = h.store();
        assert_eq!(store.integrity_check().unwrap(), "ok");
        let partial = page_urls(&store).len();
        assert!(
            partial > 0 && partial < STORED.len(),
            "killed after {partial} pages"
        );
    }
    // The next run takes the lock (the dead process's lock died with it) and finishes.
    let status = std::process::Command::new(bin)
        .args(["--config", h.config_path.to_str().unwrap(), "-q", "crawl"])
        .status()
        .expect("run quietwatch");
    assert_eq!(status.code(), Some(0));
    let store = h.store();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let want: BTreeSet<String> = STORED.iter().map(|p| h.url("sbs", p)).collect();
    assert_eq!(page_urls(&store), want);
}

/// A second run while one holds the lock exits 3 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_exits_3_while_the_lock_is_held() {
    let h = Harness::start(crawl_site(), &[]).await;
    let _lock = quietwatch::run::lock::RunLock::acquire(&h.db()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quietwatch"))
        .args(["--config", h.config_path.to_str().unwrap(), "crawl"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("lock"));
}

/// A start page is watched by name even when `allow` does not cover it — on every run, not
/// only the first (a recheck once skipped it as "out of scope" and the site then "failed").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_page_outside_allow_is_watched_on_every_run() {
    let h = Harness::start(
        crawl_site(),
        &[(
            r#"allow = ["{{host:sbs}}/frameworks/", "{{host:sbs}}/documents/"]"#,
            r#"allow = ["{{host:sbs}}/frameworks/estates/"]"#,
        )],
    )
    .await;
    for run in 1..=2 {
        let r = h.crawl().await;
        assert!(!r.any_site_failed(), "run {run}: {}", r.summary_line());
    }
    assert_eq!(h.server.request_count("sbs", "/frameworks/"), 2);
    assert!(h.server.request_count("sbs", "/frameworks/clinical/") == 0);
}

/// `max_depth = 0` watches the start pages only: no links followed, no documents, no
/// sitemap pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_depth_zero_watches_the_start_pages_only() {
    let h = Harness::start(crawl_site(), &[("max_depth = 3", "max_depth = 0")]).await;
    let r = h.crawl().await;
    assert!(!r.any_site_failed(), "{}", r.summary_line());
    let store = h.store();
    let want: BTreeSet<String> = [h.url("sbs", "/frameworks/")].into();
    assert_eq!(page_urls(&store), want);
    for req in h.server.requests() {
        assert!(!req.path.ends_with(".pdf"), "fetched {}", req.path);
    }
}

/// The archive's file opened directly, as an independent reader (or a forger) would.
fn raw_db(store: &quietwatch::store::Store) -> rusqlite::Connection {
    rusqlite::Connection::open(store.path()).expect("open the archive file")
}
