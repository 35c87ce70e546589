//! End to end in a real browser, over an archive filled by a real crawl of the bundled demo
//! site (v1, then v2 with its planted changes): headless Chromium opens the timeline of the
//! quietly rewritten NHS page, selects two versions in the timeline's form, submits it, and
//! gets the diff (£25bn struck, £17 billion added); the RM6313 page, whose stored title and
//! text contain `<script>` and `<img onerror>`, shows them as text and loads nothing;
//! screenshots are saved under `target/browser/`.
//!
//! No npm, no WebDriver: Chromium's own `--dump-dom` and `--screenshot`. The one step that
//! needs a script — clicking the radios and submitting — runs in a *driver page* served by
//! this test on a second loopback port: it is the timeline HTML exactly as `serve` sent it,
//! plus a `<base href>` pointing at the server and a few lines that click and submit. The
//! browser then navigates to whatever URL the real form produces, and the server logs that
//! URL for the test to check. (`serve` itself sends no script and forbids scripts by CSP.)
//!
//! Needs `/usr/bin/chromium` (Debian package `chromium`; `scripts/ci-browser.sh` installs
//! it). Without it the test FAILS: a skipped browser test would prove nothing.

#[path = "../common/mod.rs"]
mod common;
mod html;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use html::{enc, marked};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
/// One Chromium run may take this long before the test gives up on it.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

fn chromium_or_fail() -> PathBuf {
    let p = PathBuf::from(std::env::var("QUIETWATCH_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into()));
    assert!(
        p.exists(),
        "headless Chromium is required for this test and was not found at {}: \
         install it with `apt-get install -y chromium` (scripts/ci-browser.sh does) or set \
         QUIETWATCH_CHROMIUM to its path",
        p.display()
    );
    p
}

/// Runs Chromium headless on `url` with extra `args`; returns its stdout. Bounded in time.
fn chromium(bin: &Path, args: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let stderr_path = profile.path().join("stderr.log");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--font-render-hinting=none",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let deadline = Instant::now() + CHROMIUM_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within {CHROMIUM_TIMEOUT:?} on {url}; stderr:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = reader.join().unwrap();
    assert!(
        status.success(),
        "chromium failed ({status}) on {url}; stderr:\n{}",
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );
    out
}

async fn chromium_async(bin: PathBuf, args: Vec<String>, url: String) -> String {
    tokio::task::spawn_blocking(move || chromium(&bin, &args, &url))
        .await
        .unwrap()
}

fn dump_dom() -> Vec<String> {
    vec!["--dump-dom".into()]
}

fn screenshot(path: &Path) -> Vec<String> {
    vec![
        format!("--screenshot={}", path.display()),
        "--window-size=1280,1100".into(),
    ]
}

fn shots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_png(path: &Path) {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    assert!(
        bytes.len() > 10_000,
        "{} is suspiciously small",
        path.display()
    );
}

/// The serve router, with every request's path and query recorded.
async fn start_logged(db: PathBuf) -> (String, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let app = quietwatch::serve::router(db).layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(req.uri().to_string());
                let resp: Response = next.run(req).await;
                resp
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), log)
}

/// Serves one HTML document at `/drive` on another loopback port (no CSP: it is the test's
/// driver, not part of `serve`).
async fn start_driver(html: String) -> String {
    let app = axum::Router::new().route(
        "/drive",
        axum::routing::get(move || {
            let html = html.clone();
            async move { axum::response::Html(html) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/drive")
}

/// The demo site crawled twice (v1 baseline, v2 changes) into a fresh archive.
struct Crawled {
    h: common::Harness,
    /// The quiet rewrite: its URL and the versions its `changed` record compares.
    rewrite_url: String,
    from: i64,
    to: i64,
    /// The page whose stored title holds `<script>alert(1)</script>`: URL and new version.
    hostile_url: String,
    hostile_from: i64,
    hostile_to: i64,
}

async fn crawl_demo() -> Crawled {
    let h = common::Harness::start(quietwatch_fixture::demo_site(), &[]).await;
    let r1 = h.crawl().await;
    assert!(!r1.any_site_failed(), "{}", r1.summary_line());
    h.server.set_version(2);
    let r2 = h.crawl().await;
    let changes = h.changes_of_run(&r2);
    let versions = |url: &str| {
        let c = changes
            .iter()
            .find(|c| c.url == url)
            .unwrap_or_else(|| panic!("no change for {url}: {changes:#?}"));
        (c.from.unwrap(), c.to.unwrap())
    };
    let rewrite_url = h.url("nhs", "/long-read/framework-host-management/");
    let hostile_url = h.url("gca", "/agreements/RM6313");
    let (from, to) = versions(&rewrite_url);
    let (hostile_from, hostile_to) = versions(&hostile_url);
    Crawled {
        h,
        rewrite_url,
        from,
        to,
        hostile_url,
        hostile_from,
        hostile_to,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_pick_two_versions_see_the_diff_in_chromium() {
    let bin = chromium_or_fail();
    let c = crawl_demo().await;
    let (base, log) = start_logged(c.h.db()).await;
    let shots = shots_dir();
    let timeline = format!("{base}/page?url={}", enc(&c.rewrite_url));

    // 1. The timeline as the browser builds it: a GET form to /diff with two radio columns.
    let dom = chromium_async(bin.clone(), dump_dom(), timeline.clone()).await;
    assert!(
        dom.contains("<form class=\"picker\" method=\"get\" action=\"/diff\">"),
        "timeline DOM has no version picker:\n{dom}"
    );
    for (name, id) in [
        ("from", c.from),
        ("to", c.from),
        ("from", c.to),
        ("to", c.to),
    ] {
        assert!(
            dom.contains(&format!("type=\"radio\" name=\"{name}\" value=\"{id}\"")),
            "no {name} radio for version {id}:\n{dom}"
        );
    }

    // 2. Select two versions and submit the real form, in the browser. The driver is the
    // timeline HTML as served, based at the server, plus a click-and-submit script. The
    // picker starts on the last two versions, so pick them the other way round: the
    // submitted URL then proves the clicks, not the defaults, chose it.
    let served = reqwest::get(&timeline).await.unwrap().text().await.unwrap();
    let (pick_from, pick_to) = (c.to, c.from);
    let script = format!(
        "<script>\
         document.querySelector('input[name=from][value=\"{pick_from}\"]').click();\
         document.querySelector('input[name=to][value=\"{pick_to}\"]').click();\
         document.querySelector('form.picker').requestSubmit();\
         </script>"
    );
    let driver_html = served
        .replacen("<head>", &format!("<head><base href=\"{base}/\">"), 1)
        .replacen("</body>", &format!("{script}</body>"), 1);
    assert!(driver_html.contains("<base href=") && driver_html.contains("requestSubmit"));
    let driver = start_driver(driver_html).await;
    let started = log.lock().unwrap().len();
    let diff_dom = chromium_async(bin.clone(), dump_dom(), driver).await;

    // The browser asked for the diff of exactly the two versions picked (the form lists its
    // fields in page order, so compare them as a set).
    let params = |u: &str| {
        let mut p: Vec<(String, String)> =
            url::form_urlencoded::parse(u.split_once('?').map_or("", |(_, q)| q).as_bytes())
                .into_owned()
                .collect();
        p.sort();
        p
    };
    let expected = quietwatch::links::diff_link("", &c.rewrite_url, pick_from, pick_to);
    let asked: Vec<String> = log.lock().unwrap()[started..]
        .iter()
        .filter(|u| u.starts_with("/diff?"))
        .cloned()
        .collect();
    assert_eq!(asked.len(), 1, "the form submitted {asked:?}");
    assert_eq!(
        params(&asked[0]),
        params(&expected),
        "the form submitted something else"
    );

    // 3. The diff, as the browser shows it: both views, the rewritten words marked (newer
    // on the left, as picked: £17 billion struck, £25bn added back).
    for needle in [
        "<h2 id=\"side\">Side by side</h2>",
        "<h2 id=\"inline\">Inline</h2>",
    ] {
        assert!(
            diff_dom.contains(needle),
            "diff DOM lacks {needle:?}:\n{diff_dom}"
        );
    }
    let (struck, added) = (marked(&diff_dom, "del"), marked(&diff_dom, "ins"));
    for words in ["in the region of £17 billion", "concluded"] {
        assert!(struck.contains(words), "{words:?} not struck: {struck}");
    }
    for words in ["£25bn", "commenced"] {
        assert!(added.contains(words), "{words:?} not added: {added}");
    }
    assert!(
        !struck.contains("of NHS spend") && !added.contains("of NHS spend"),
        "unchanged words marked: {struck} / {added}"
    );

    // 4. Stored markup stays text: the hostile page's version and its diff.
    let hostile_version = format!("{base}/version/{}", c.hostile_to);
    let hostile_diff = format!(
        "{base}{}",
        quietwatch::links::diff_link("", &c.hostile_url, c.hostile_from, c.hostile_to)
    );
    for url in [&hostile_version, &hostile_diff] {
        let dom = chromium_async(bin.clone(), dump_dom(), url.clone()).await;
        for needle in [
            "Penetration Testing and IT Health Check &lt;script&gt;alert(1)&lt;/script&gt; Services",
            "&lt;img src=x",
        ] {
            assert!(dom.contains(needle), "{url} lacks {needle:?}:\n{dom}");
        }
        assert!(
            !dom.contains("<script") && !dom.contains("<img"),
            "stored markup became elements on {url}:\n{dom}"
        );
    }
    // An `<img src=x>` made an element would have asked the server for /x.
    assert!(
        !log.lock().unwrap().iter().any(|u| u == "/x"),
        "the browser loaded stored markup"
    );

    // 5. Screenshots for a human to look at.
    let diff_png = shots.join("diff.png");
    let timeline_png = shots.join("timeline.png");
    let _ = std::fs::remove_file(&diff_png);
    let _ = std::fs::remove_file(&timeline_png);
    let diff_url = format!(
        "{base}{}",
        quietwatch::links::diff_link("", &c.rewrite_url, c.from, c.to)
    );
    let (a, b) = tokio::join!(
        chromium_async(bin.clone(), screenshot(&diff_png), diff_url),
        chromium_async(bin.clone(), screenshot(&timeline_png), timeline)
    );
    drop((a, b));
    assert_png(&diff_png);
    assert_png(&timeline_png);
    // The stylesheet was loaded under the CSP (the screenshots are styled).
    assert!(log.lock().unwrap().iter().any(|u| u == "/static/style.css"));
}
