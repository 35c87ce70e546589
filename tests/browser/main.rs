//! End to end in a real browser: headless Chromium opens the timeline of a changed page,
//! selects two versions in the timeline's form, submits it, and gets the diff; stored text
//! containing `<script>` is shown as text and runs nothing; screenshots are saved under
//! `target/browser/`.
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

#[allow(dead_code)]
mod fixture;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
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

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_pick_two_versions_see_the_diff_in_chromium() {
    let bin = chromium_or_fail();
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture::build(dir.path());
    let (base, log) = start_logged(fx.db.clone()).await;
    let shots = shots_dir();
    let timeline = format!("{base}/page?url={}", enc(fixture::CHANGED_URL));

    // 1. The timeline as the browser builds it: a GET form to /diff with two radio columns.
    let dom = chromium_async(bin.clone(), dump_dom(), timeline.clone()).await;
    assert!(
        dom.contains("<form class=\"picker\" method=\"get\" action=\"/diff\">"),
        "timeline DOM has no version picker:\n{dom}"
    );
    for (name, id) in [
        ("from", fx.v1),
        ("to", fx.v1),
        ("from", fx.v3),
        ("to", fx.v3),
    ] {
        assert!(
            dom.contains(&format!("type=\"radio\" name=\"{name}\" value=\"{id}\"")),
            "no {name} radio for version {id}:\n{dom}"
        );
    }

    // 2. Select two versions and submit the real form, in the browser. The driver is the
    // timeline HTML as served, based at the server, plus a click-and-submit script.
    let served = reqwest::get(&timeline).await.unwrap().text().await.unwrap();
    let script = format!(
        "<script>\
         document.querySelector('input[name=from][value=\"{from}\"]').click();\
         document.querySelector('input[name=to][value=\"{to}\"]').click();\
         document.querySelector('form.picker').requestSubmit();\
         </script>",
        from = fx.v1,
        to = fx.v3
    );
    let driver_html = served
        .replacen("<head>", &format!("<head><base href=\"{base}/\">"), 1)
        .replacen("</body>", &format!("{script}</body>"), 1);
    assert!(driver_html.contains("<base href=") && driver_html.contains("requestSubmit"));
    let driver = start_driver(driver_html).await;
    let started = log.lock().unwrap().len();
    let diff_dom = chromium_async(bin.clone(), dump_dom(), driver).await;

    // The browser asked for exactly the permalink the form stands for.
    let expected = format!(
        "/diff?url={}&from={}&to={}",
        enc(fixture::CHANGED_URL),
        fx.v1,
        fx.v3
    );
    let asked: Vec<String> = log.lock().unwrap()[started..]
        .iter()
        .filter(|u| u.starts_with("/diff"))
        .cloned()
        .collect();
    assert_eq!(
        asked,
        vec![expected.clone()],
        "the form submitted something else"
    );
    assert_eq!(
        expected,
        quietwatch::serve::diff_link("", fixture::CHANGED_URL, fx.v1, fx.v3)
    );

    // 3. The diff, as the browser shows it: both views, words marked, stored script inert.
    for needle in [
        "<h2 id=\"side\">Side by side</h2>",
        "<h2 id=\"inline\">Inline</h2>",
        "<del>£25bn</del>",
        "<ins>£17bn</ins>",
        "<del>Market engagement opens on 1 March 2026.</del>",
        "<ins>Lot 3 was withdrawn.</ins>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;script&gt;document.title='PWNED'&lt;/script&gt;",
    ] {
        assert!(
            diff_dom.contains(needle),
            "diff DOM lacks {needle:?}:\n{diff_dom}"
        );
    }
    assert!(
        !diff_dom.contains("<script") && !diff_dom.contains("<img"),
        "stored markup became elements:\n{diff_dom}"
    );
    assert!(!diff_dom.contains("PWNED</title>"), "a stored script ran");

    // 4. The version page shows its stored `<script>` as text, and nothing ran.
    let version_dom =
        chromium_async(bin.clone(), dump_dom(), format!("{base}/version/{}", fx.v1)).await;
    assert!(
        version_dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{version_dom}"
    );
    assert!(!version_dom.contains("<script"), "{version_dom}");
    assert!(!version_dom.contains("PWNED</title>"), "{version_dom}");

    // 5. Screenshots for a human to look at.
    let diff_png = shots.join("diff.png");
    let timeline_png = shots.join("timeline.png");
    let _ = std::fs::remove_file(&diff_png);
    let _ = std::fs::remove_file(&timeline_png);
    let diff_url = format!("{base}{expected}");
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
