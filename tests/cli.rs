//! The `quietwatch` binary as users run it: every command other than `run` (see
//! `tests/run_smtp.rs`), driven as a child process against the bundled demo site served on
//! loopback by this test process, with a real SQLite archive.
//!
//! Most tests read one archive filled by two real `quietwatch crawl` runs (site version 1,
//! then version 2), built once per test binary in `target/tmp/cli-shared` and wiped at the
//! start of the next `cargo test`. The fixture server keeps serving version 2 for the tests
//! that compare what `show --raw` prints with what the server sends.

use quietwatch::config::Config;
use quietwatch_fixture::{demo_site, FixtureServer};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const GCA: &str = "GCA agreements";
const NHS: &str = "NHS England procurement";
const FRAMEWORK_HOST: &str = "/long-read/framework-host-management/";
const MARKET_ENGAGEMENT: &str = "/agreements/RM6281/market-engagement";
const RATE_CARD: &str = "/agreements/RM6160/rate-card";

/// The fields of a change as JSON, exactly as SPEC.md lists them.
const SPEC_FIELDS: &[&str] = &[
    "id",
    "detected_at",
    "site",
    "url",
    "kind",
    "significance",
    "title",
    "summary",
    "from",
    "to",
    "http_status",
    "redirect_to",
    "words_added",
    "words_removed",
    "similarity",
    "facts",
    // Watched phrases (SPEC "Watched phrases"): null but on phrase records.
    "phrase",
    // Added by SPEC's "Documents are read" (fields may be added, never renamed).
    "content_type",
];

// ------------------------------------------------------------------ running the binary

/// What one invocation of the binary did.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Out {
    fn text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Asserts exit 0 and returns stdout as text.
    fn ok(&self) -> String {
        self.ok_bytes();
        self.text()
    }

    /// Asserts exit 0 and returns stdout as bytes.
    fn ok_bytes(&self) -> &[u8] {
        assert_eq!(
            self.code, 0,
            "expected success: code {}, stderr: {}",
            self.code, self.stderr
        );
        self.assert_no_panic();
        &self.stdout
    }

    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked: {}",
            self.stderr
        );
    }
}

/// Runs `quietwatch ARGS` in `cwd`, with no QUIETWATCH_* variables inherited, so only what
/// the test passes counts.
fn qw_in(cwd: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_quietwatch"))
        .args(args)
        .current_dir(cwd)
        .env_remove("QUIETWATCH_CONFIG")
        .env_remove("QUIETWATCH_DB")
        .env_remove("QUIETWATCH_LOG")
        .env_remove("QUIETWATCH_SMTP_PASSWORD")
        .output()
        .expect("run the quietwatch binary");
    Out {
        code: out.status.code().expect("exited, not killed"),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `quietwatch --config <the shared archive's config> ARGS`.
fn qw(args: &[&str]) -> Out {
    let s = shared();
    let config = s.config.display().to_string();
    let mut all = vec!["--config", config.as_str()];
    all.extend_from_slice(args);
    qw_in(&s.dir, &all)
}

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The `sha256 <hex>` of a `show` header line.
fn header_sha(header: &str) -> String {
    let after = header
        .split("sha256 ")
        .nth(1)
        .unwrap_or_else(|| panic!("no sha256 in header {header:?}"));
    after
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

// ------------------------------------------------------------------ the shared archive

struct Shared {
    /// Serves the fixture site; must outlive every test, so it lives in the static too.
    rt: tokio::runtime::Runtime,
    server: FixtureServer,
    dir: PathBuf,
    config: PathBuf,
    /// An RFC 3339 time after run 1 finished and before run 2 started.
    between: String,
    crawl1: Out,
    crawl2: Out,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

fn shared() -> &'static Shared {
    SHARED.get_or_init(build_shared)
}

fn build_shared() -> Shared {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-shared");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // A multi-threaded runtime keeps serving on its own workers while tests block on the
    // child processes.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let site = demo_site();
    // What ends soon depends on the day the tests run (tests/detect_demo.rs checks it): it
    // is kept out of these counts.
    let template = String::from_utf8(site.read("quietwatch.toml").unwrap())
        .unwrap()
        .replace("ending_within_days = 90", "ending_within_days = 0");
    let server = rt.block_on(FixtureServer::start(site)).unwrap();
    let config = dir.join("quietwatch.toml");
    std::fs::write(&config, server.expand_hosts(&template)).unwrap();
    let config_arg = config.display().to_string();

    server.set_version(1);
    let crawl1 = qw_in(&dir, &["--config", &config_arg, "crawl"]);
    std::thread::sleep(std::time::Duration::from_millis(30));
    let between = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    std::thread::sleep(std::time::Duration::from_millis(30));
    server.set_version(2);
    let crawl2 = qw_in(&dir, &["--config", &config_arg, "crawl"]);
    Shared {
        rt,
        server,
        dir,
        config,
        between,
        crawl1,
        crawl2,
    }
}

fn url(host: &str, path: &str) -> String {
    shared()
        .server
        .base_url(host)
        .join(path)
        .unwrap()
        .to_string()
}

/// `changes --json ARGS`, parsed; every stdout line must be one JSON object.
fn changes_json(args: &[&str]) -> Vec<serde_json::Map<String, Value>> {
    let mut all = vec!["changes", "--json"];
    all.extend_from_slice(args);
    let out = qw(&all).ok();
    out.lines()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(m)) => m,
            other => panic!("not a JSON object line: {l:?} ({other:?})"),
        })
        .collect()
}

// ------------------------------------------------------------------ the two crawls

#[test]
fn two_crawls_record_a_baseline_then_the_planted_changes() {
    let s = shared();
    let first = s.crawl1.ok();
    assert!(
        first.contains("GCA agreements: baseline: 24 pages")
            && first.contains("NHS England procurement: baseline: 6 pages"),
        "{first}"
    );
    let second = s.crawl2.ok();
    assert!(
        // GCA: 20 pages' own records and 3 watched-phrase records.
        second.contains("23 changes") && second.contains("3 changes"),
        "{second}"
    );
    // crawl sends nothing and writes no digest.
    assert!(!second.contains("digest"), "{second}");
    assert!(!s.dir.join("digests").exists());
}

// ------------------------------------------------------------------ changes

#[test]
fn changes_json_is_spec_shaped_oldest_first_and_stable() {
    let first = qw(&["changes", "--json"]);
    let second = qw(&["changes", "--json"]);
    assert_eq!(first.stdout, second.stdout, "same archive, same output");
    let lines = changes_json(&[]);
    assert_eq!(
        lines.len(),
        26,
        "EXPECTED.md: 20 + 3 records in run 2, and 3 watched-phrase records"
    );

    let spec: BTreeSet<&str> = SPEC_FIELDS.iter().copied().collect();
    let mut last_id = 0;
    let mut last_at = String::new();
    for c in &lines {
        let keys: BTreeSet<&str> = c.keys().map(String::as_str).collect();
        assert_eq!(keys, spec, "fields of {c:?}");
        let id = c["id"].as_i64().expect("integer id");
        assert!(
            id > last_id,
            "oldest first, ids increasing: {id} after {last_id}"
        );
        last_id = id;
        let at = c["detected_at"].as_str().expect("detected_at string");
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z'),
            "{at}"
        );
        assert!(at >= last_at.as_str(), "oldest first by time too");
        last_at = at.to_string();
        for f in ["site", "url", "kind", "significance", "title", "summary"] {
            assert!(c[f].is_string(), "{f} of {c:?}");
        }
        for f in ["words_added", "words_removed"] {
            assert!(c[f].is_u64(), "{f} of {c:?}");
        }
        for f in ["from", "to", "http_status"] {
            assert!(c[f].is_null() || c[f].is_i64(), "{f} of {c:?}");
        }
        assert!(c["redirect_to"].is_null() || c["redirect_to"].is_string());
        assert!(c["similarity"].is_null() || c["similarity"].is_f64());
        // SPEC "Facts": always an array; each element has exactly SPEC's fields.
        let facts = c["facts"].as_array().expect("facts is an array");
        for f in facts {
            let keys: BTreeSet<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
            let want: BTreeSet<&str> = ["name", "label", "from", "to", "from_text", "to_text"]
                .into_iter()
                .collect();
            assert_eq!(keys, want, "fact change {f}");
        }
        if c["kind"] != "changed" {
            assert!(
                facts.is_empty(),
                "only a changed record carries facts: {c:?}"
            );
        }
        assert!(c["content_type"].is_null() || c["content_type"].is_string());
    }

    // The end date of RM6098 as SPEC's example has it: typed values and the text as shown.
    let tepas = url("gca", "/agreements/RM6098");
    let tepas = lines
        .iter()
        .find(|c| c["url"] == tepas.as_str())
        .expect("RM6098 has a record");
    let end = tepas["facts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "end_date")
        .expect("RM6098's end date change");
    assert_eq!(end["label"], "End date");
    assert_eq!(
        (&end["from"], &end["to"]),
        (
            &serde_json::json!("2026-06-16"),
            &serde_json::json!("2026-12-16")
        )
    );
    assert_eq!(
        (&end["from_text"], &end["to_text"]),
        (
            &serde_json::json!("16/06/2026"),
            &serde_json::json!("16/12/2026")
        )
    );
    assert!(tepas["summary"].as_str().unwrap().starts_with(
        "lot 4 \"Information assurance\" removed; end date 16/06/2026 → 16/12/2026 (+6 months)"
    ));

    // The quiet deletion and the quiet rewrite, as SPEC.md describes them.
    let me = url("gca", MARKET_ENGAGEMENT);
    let removed = lines
        .iter()
        .find(|c| c["url"] == me.as_str())
        .expect("the market-engagement page has a record");
    assert_eq!(removed["kind"], "removed");
    assert_eq!(removed["significance"], "major");
    assert_eq!(removed["http_status"], 404);
    assert_eq!(removed["site"], GCA);
    let fh = url("nhs", FRAMEWORK_HOST);
    let rewrite = lines
        .iter()
        .find(|c| c["url"] == fh.as_str())
        .expect("framework-host page has a record");
    assert_eq!(rewrite["kind"], "changed");
    assert_eq!(rewrite["significance"], "major");
    assert!(rewrite["from"].is_i64() && rewrite["to"].is_i64());
    assert!(rewrite["summary"]
        .as_str()
        .unwrap()
        .contains("£25bn → £17 billion"));
}

#[test]
fn changes_filters_by_time_and_site() {
    let all = changes_json(&[]);
    let today = &all[0]["detected_at"].as_str().unwrap()[..10];

    assert!(changes_json(&["--since", "2999-01-01"]).is_empty());
    assert_eq!(changes_json(&["--since", today]).len(), all.len());
    let future_text = qw(&["changes", "--since", "2999-01-01T00:00:00Z"]).ok();
    assert_eq!(future_text.trim(), "no changes");
    // Run 2 started after `between`: every change is after it, none after the last one.
    assert_eq!(changes_json(&["--since", &shared().between]).len(), 26);

    let nhs = changes_json(&["--site", NHS]);
    assert_eq!(nhs.len(), 3);
    assert!(nhs.iter().all(|c| c["site"] == NHS));
    let gca = changes_json(&["--site", GCA]);
    assert_eq!(gca.len(), 23);
    assert!(gca.iter().all(|c| c["site"] == GCA));
    // The same records, the same ids, whatever the filter.
    let mut ids: Vec<i64> = nhs
        .iter()
        .chain(&gca)
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    let all_ids: Vec<i64> = all.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, all_ids);

    let text = qw(&["changes", "--site", NHS]).ok();
    assert!(
        text.contains("soft removed") && text.contains(FRAMEWORK_HOST),
        "{text}"
    );

    let bad = qw(&["changes", "--since", "last tuesday"]);
    assert_eq!(bad.code, 2, "{bad:#?}");
    assert!(bad.stderr.contains("last tuesday"), "{}", bad.stderr);
}

// ------------------------------------------------------------------ history, show, diff

#[test]
fn history_of_the_rewritten_page() {
    let fh = url("nhs", FRAMEWORK_HOST);
    // Run 1 may store the page twice (it is linked with and without its trailing slash and
    // both answer): versions that differ only in noise, never a change.
    let text = qw(&["history", &fh]).ok();
    assert!(text.contains(" versions, "), "{text}");
    assert!(text.contains("changed (major)"), "{text}");
    assert!(text.contains("£25bn → £17 billion"), "{text}");

    let json = qw(&["history", &fh, "--json"]).ok();
    let events: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let count = |kind: &str| events.iter().filter(|e| e["event"] == kind).count();
    let versions: Vec<&Value> = events.iter().filter(|e| e["event"] == "version").collect();
    assert!(versions.len() >= 2, "{json}");
    assert!(count("fetch") >= versions.len(), "{json}");
    assert_eq!(count("change"), 1, "one change, whatever the noise: {json}");
    let at: Vec<i64> = events
        .iter()
        .map(|e| e["at_ms"].as_i64().unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] <= w[1]), "oldest first: {at:?}");
    let change = events.iter().find(|e| e["event"] == "change").unwrap();
    assert_eq!(change["kind"], "changed");

    // The page is also linked without its trailing slash: the same page, one history.
    let no_slash = fh.trim_end_matches('/').to_string();
    let alias = qw(&["history", &no_slash]).ok();
    assert_eq!(alias, text, "{alias}");

    let unknown = qw(&["history", &url("nhs", "/never/crawled/")]);
    assert_ne!(unknown.code, 0);
    unknown.assert_no_panic();
    assert!(
        unknown.stderr.contains("/never/crawled/"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn show_latest_at_a_time_and_raw() {
    let s = shared();
    let fh = url("nhs", FRAMEWORK_HOST);

    let latest = qw(&["show", &fh]).ok();
    let (header, body) = latest.split_once('\n').unwrap();
    assert!(header.starts_with(&format!("# {fh}")), "{header}");
    assert!(header.contains("HTTP 200"), "{header}");
    let latest_sha = header_sha(header);
    assert_eq!(latest_sha.len(), 64, "{header}");
    assert!(
        body.contains("in the region of £17 billion of NHS spend"),
        "{body}"
    );
    assert!(!body.contains("£25bn"));

    let then = qw(&["show", &fh, "--at", &s.between]).ok();
    let (then_header, then_body) = then.split_once('\n').unwrap();
    assert!(
        then_body.contains("about £25bn of NHS spend"),
        "{then_body}"
    );
    assert!(!then_body.contains("£17 billion"));
    let then_sha = header_sha(then_header);
    assert_ne!(then_sha, latest_sha);

    // --raw: the bytes as served, whose SHA-256 is the one the header states.
    let raw = qw(&["show", &fh, "--raw"]);
    let raw = raw.ok_bytes();
    assert_eq!(sha256_hex(raw), latest_sha);
    // The page as served writes £ as an entity: the bytes, not the extracted text.
    assert!(String::from_utf8_lossy(raw).contains("&#163;17 billion"));
    let raw_then = qw(&["show", &fh, "--raw", "--at", &s.between]);
    let raw_then = raw_then.ok_bytes();
    assert_eq!(sha256_hex(raw_then), then_sha);
    assert!(String::from_utf8_lossy(raw_then).contains("about &#163;25bn"));

    // Before the first crawl there was nothing: a clear error, not an empty page.
    let before = qw(&["show", &fh, "--at", "2000-01-01"]);
    assert_ne!(before.code, 0);
    before.assert_no_panic();
    assert!(
        before.stderr.contains("no stored version"),
        "{}",
        before.stderr
    );
}

#[test]
fn show_raw_is_byte_identical_to_what_the_server_sends() {
    // The legacy rate card is served with stable bytes (windows-1252, no charset), so a
    // fresh fetch of version 2 can be compared byte for byte with the archive's copy.
    let s = shared();
    let rc = url("gca", RATE_CARD);
    let fetch = || {
        s.rt.block_on(async {
            let resp = reqwest::get(&rc).await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.bytes().await.unwrap().to_vec()
        })
    };
    let served = fetch();
    assert_eq!(served, fetch(), "the rate card's bytes are stable");
    assert!(
        served.contains(&0xA3),
        "windows-1252 £ (0xA3) in what is served"
    );

    let raw = qw(&["show", &rc, "--raw"]);
    assert!(
        raw.ok_bytes() == served.as_slice(),
        "show --raw differs from the served bytes"
    );
    // And the text view decodes it properly.
    let text = qw(&["show", &rc]).ok();
    assert!(text.contains("£19.25"), "{text}");
}

#[test]
fn diff_shows_the_rewritten_figure() {
    let s = shared();
    let fh = url("nhs", FRAMEWORK_HOST);
    let d = qw(&["diff", &fh]).ok();
    assert!(
        !d.contains('\u{1b}'),
        "no colour codes when stdout is not a terminal"
    );
    let minus = d
        .lines()
        .find(|l| l.starts_with('-') && !l.starts_with("---") && l.contains("£25bn"));
    let plus = d
        .lines()
        .find(|l| l.starts_with('+') && !l.starts_with("+++") && l.contains("£17 billion"));
    assert!(minus.is_some() && plus.is_some(), "{d}");
    // Explicit bounds give the same change. (The version headers may name different
    // versions when run 1 stored two bodies that differ only in noise.)
    let explicit = qw(&["diff", &fh, "--from", &s.between, "--to", "2999-01-01"]).ok();
    let hunks = |d: &str| d.find("\n@@").map(|i| d[i..].to_string()).unwrap();
    assert_eq!(hunks(&explicit), hunks(&d));

    // A page with one version has nothing to diff: a clear error.
    let one = qw(&["diff", &url("gca", "/agreements/RM6374")]);
    assert_ne!(one.code, 0);
    one.assert_no_panic();
    assert!(
        one.stderr.contains("only one stored version"),
        "{}",
        one.stderr
    );
}

// ------------------------------------------------------------------ search

#[test]
fn search_finds_the_deleted_page_and_says_it_is_gone() {
    let me = url("gca", MARKET_ENGAGEMENT);
    let out = qw(&["search", "market engagement"]).ok();
    let line = out
        .lines()
        .find(|l| l.starts_with(&me))
        .unwrap_or_else(|| panic!("no hit for {me}: {out}"));
    assert!(line.contains("removed"), "{line}");
    // Phrase and prefix queries.
    let phrase = qw(&["search", "\"market engagement\""]).ok();
    assert!(phrase.contains(&me), "{phrase}");
    let prefix = qw(&["search", "engag*"]).ok();
    assert!(prefix.contains(&me), "{prefix}");
    // The rewritten figure: the old text is only in version 1.
    let old = qw(&["search", "\"about £25bn\""]).ok();
    assert!(old.contains(FRAMEWORK_HOST), "{old}");

    for bad in ["\"market engagement", "AND OR (", "NEAR("] {
        let out = qw(&["search", bad]);
        assert_eq!(out.code, 2, "bad query {bad:?} is bad usage: {out:#?}");
        out.assert_no_panic();
        assert!(out.stderr.contains("not valid"), "{}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

// ------------------------------------------------------------------ export

#[test]
fn export_warc_is_read_by_warcio() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("archive.warc.gz");
    let file_arg = file.display().to_string();
    let out = qw(&["export", "--warc", &file_arg]).ok();
    assert!(out.contains("responses"), "{out}");

    let check = Command::new("python3")
        .args(["-m", "warcio.cli", "check", "-v", &file_arg])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&check.stdout);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        check.status.success(),
        "warcio check failed (is warcio installed? `pip install warcio`):\n{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("invalid"), "{stdout}");

    let index = Command::new("python3")
        .args([
            "-m",
            "warcio.cli",
            "index",
            "-f",
            "warc-type,warc-target-uri",
            &file_arg,
        ])
        .output()
        .expect("python3 runs");
    assert!(index.status.success());
    let index = String::from_utf8_lossy(&index.stdout);
    let me = url("gca", MARKET_ENGAGEMENT);
    assert!(
        index.contains("\"response\"") && index.contains(&me),
        "the deleted page's last good response is evidence: {index}"
    );

    let unknown = qw(&["export", "--warc", &file_arg, "--site", "nope"]);
    assert_eq!(unknown.code, 2, "{unknown:#?}");
    assert!(unknown.stderr.contains("nope"));
}

// ------------------------------------------------------------------ init and config errors

#[test]
fn init_writes_a_starter_config_that_crawl_accepts_and_never_overwrites() {
    let s = shared();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("conf/quietwatch.toml");
    let path_arg = path.display().to_string();
    let out = qw_in(tmp.path(), &["init", &path_arg]).ok();
    assert!(out.contains(&path_arg), "{out}");
    let starter = std::fs::read_to_string(&path).unwrap();
    assert!(
        starter.lines().filter(|l| l.starts_with('#')).count() > 5,
        "commented"
    );
    Config::load(&path).expect("the starter config loads");

    let again = qw_in(tmp.path(), &["init", &path_arg]);
    assert_eq!(again.code, 2, "{again:#?}");
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        starter,
        "untouched"
    );

    // Without a path, `init` writes where --config points.
    let other = tmp.path().join("other.toml");
    let other_arg = other.display().to_string();
    qw_in(tmp.path(), &["--config", &other_arg, "init"]).ok();
    assert_eq!(std::fs::read_to_string(&other).unwrap(), starter);

    // Pointed at the fixture's GCA host (start page only, no delay), `crawl` takes it.
    let gca = s.server.base_url("gca").to_string();
    let edited = starter
        .replace("https://www.gca.gov.uk/", &gca)
        .replace("delay_ms = 1000", "delay_ms = 0")
        .replace("max_depth = 2", "max_depth = 0")
        .replace("sitemaps = true", "sitemaps = false");
    assert_ne!(edited, starter);
    std::fs::write(&path, edited).unwrap();
    let crawl = qw_in(tmp.path(), &["--config", &path_arg, "crawl"]).ok();
    assert!(
        crawl.contains("GCA agreements: baseline: 1 pages"),
        "{crawl}"
    );
    assert!(
        path.parent().unwrap().join("quietwatch.db").exists(),
        "db relative to the config"
    );
}

#[test]
fn bad_config_and_bad_usage_exit_2_with_a_clear_message() {
    let s = shared();
    let tmp = tempfile::tempdir().unwrap();

    // A typo in a key: file, line and key named.
    let good = std::fs::read_to_string(&s.config).unwrap();
    let bad = good.replace("timeout_s = 10", "timout_s = 10");
    assert_ne!(bad, good);
    let line = bad.lines().position(|l| l.starts_with("timout_s")).unwrap() + 1;
    let bad_path = tmp.path().join("bad.toml");
    std::fs::write(&bad_path, bad).unwrap();
    let bad_arg = bad_path.display().to_string();
    for cmd in ["crawl", "run", "changes"] {
        let out = qw_in(tmp.path(), &["--config", &bad_arg, cmd]);
        assert_eq!(out.code, 2, "{cmd}: {out:#?}");
        assert!(
            out.stderr.contains(&format!("bad.toml:{line}")),
            "{cmd}: file:line in {}",
            out.stderr
        );
        assert!(out.stderr.contains("timout_s"), "{}", out.stderr);
        out.assert_no_panic();
    }
    assert!(
        !tmp.path().join("quietwatch-demo.db").exists(),
        "nothing was crawled"
    );

    // A missing config file: the path is named.
    let missing = tmp.path().join("nowhere/quietwatch.toml");
    let missing_arg = missing.display().to_string();
    let out = qw_in(tmp.path(), &["--config", &missing_arg, "crawl"]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains(&missing_arg), "{}", out.stderr);
    // The default path too, when nothing is given.
    let out = qw_in(tmp.path(), &["crawl"]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(
        out.stderr.contains("config/quietwatch.toml"),
        "{}",
        out.stderr
    );

    // An unknown site: named, and no run is started for it.
    let runs = || {
        let db = rusqlite::Connection::open(s.dir.join("quietwatch-demo.db")).unwrap();
        db.query_row("SELECT count(*) FROM runs", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let before = runs();
    let out = qw(&["crawl", "--site", "nope"]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("\"nope\""), "{}", out.stderr);
    assert_eq!(runs(), before);

    // Command-line mistakes are usage errors too.
    let out = qw(&["frobnicate"]);
    assert_eq!(out.code, 2);
    let out = qw(&["show"]);
    assert_eq!(out.code, 2);
}

// ------------------------------------------------------------------ a site that is down

#[test]
fn a_site_whose_start_pages_all_fail_exits_1_and_is_named() {
    let s = shared();
    let tmp = tempfile::tempdir().unwrap();
    let nhs = s.server.base_url("nhs");
    let config = format!(
        r#"[crawl]
user_agent = "quietwatch-test/0.1 (+mailto:test@example.org)"
delay_ms = 0
timeout_s = 5
retries = 0

[storage]
db = "down.db"

[[site]]
name = "Dead host"
start = ["http://127.0.0.1:{port}/agreements"]

[[site]]
name = "{NHS}"
start = ["{nhs}nhs-commercial/nhs-england-procurement/"]
max_depth = 0
sitemaps = false
documents = false
"#,
        port = closed_port()
    );
    let path = tmp.path().join("down.toml");
    std::fs::write(&path, config).unwrap();
    let path_arg = path.display().to_string();

    let out = qw_in(tmp.path(), &["--config", &path_arg, "crawl"]);
    assert_eq!(out.code, 1, "{out:#?}");
    out.assert_no_panic();
    assert!(
        out.stderr.contains("\"Dead host\" could not be crawled"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(NHS), "only the dead site is blamed");
    // The other site was still crawled.
    assert!(
        out.text().contains(&format!("{NHS}: baseline: 1 pages")),
        "{}",
        out.text()
    );
    // Logs going to a file or a cron mail carry no colour codes.
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);

    // -q: nothing on stdout, the failure still on stderr.
    let quiet = qw_in(tmp.path(), &["-q", "--config", &path_arg, "crawl"]);
    assert_eq!(quiet.code, 1);
    assert!(quiet.stdout.is_empty(), "{}", quiet.text());
    assert!(quiet.stderr.contains("Dead host"), "{}", quiet.stderr);
}

// ------------------------------------------------------------------ demo

#[test]
fn demo_runs_and_its_digest_shows_the_quiet_deletion() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let dir_arg = dir.display().to_string();
    let out = qw_in(tmp.path(), &["demo", "--dir", &dir_arg]).ok();
    assert!(out.contains("run 1 (version 1)"), "{out}");
    assert!(out.contains("baseline: 24 pages"), "{out}");
    // The documents' changes in words: the type, then the lines that changed.
    assert!(
        out.contains("RM6160-Pricing-Schedule.xlsx (spreadsheet)"),
        "{out}"
    );
    assert!(out.contains("+ 1 | Senior consultant | £675"), "{out}");
    assert!(
        out.contains("+ Suppliers must complete an enhanced DBS check"),
        "{out}"
    );
    assert!(
        !out.contains("RM6160-Order-Form.pdf"),
        "a re-export is no change: {out}"
    );

    // It says where the digest is, and the digest is there.
    let html_path = out
        .lines()
        .map(str::trim)
        .find(|l| l.ends_with(".html"))
        .unwrap_or_else(|| panic!("no digest path printed: {out}"));
    let html_path = PathBuf::from(html_path);
    assert!(html_path.starts_with(&dir), "{}", html_path.display());
    let html = std::fs::read_to_string(&html_path).unwrap();
    let pos = html
        .find("/agreements/RM6281/market-engagement")
        .expect("the quiet deletion is in the digest");
    // The item it belongs to says REMOVED.
    let item_start = html[..pos].rfind("border-left").unwrap();
    assert!(
        html[item_start..pos].contains("REMOVED"),
        "{}",
        &html[item_start..pos]
    );
    assert!(html.contains("£25bn"));
    assert!(!html.contains("<script"));

    // The archive it leaves answers the other commands.
    let config = dir.join("quietwatch.toml");
    let config_arg = config.display().to_string();
    let changes = qw_in(tmp.path(), &["--config", &config_arg, "changes", "--json"]).ok();
    assert_eq!(demo_counts(&changes), (23, 3), "{changes}");

    // It prints the watched phrases and what ends soon.
    assert!(out.contains("watched phrases in run 2:"), "{out}");
    assert!(out.contains("“being replaced” appeared"), "{out}");

    // A second demo in the same directory starts from a fresh archive.
    qw_in(tmp.path(), &["demo", "--dir", &dir_arg]).ok();
    let changes = qw_in(tmp.path(), &["--config", &config_arg, "changes", "--json"]).ok();
    assert_eq!(demo_counts(&changes), (23, 3), "{changes}");
}

/// The demo's records as (pages' own records, watched-phrase records); "ending soon" records
/// depend on the day the demo runs and are checked apart.
fn demo_counts(json_lines: &str) -> (usize, usize) {
    let kinds: Vec<String> = json_lines
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["kind"].as_str().unwrap().to_string()
        })
        .collect();
    let phrases = kinds.iter().filter(|k| k.starts_with("phrase_")).count();
    let own = kinds
        .iter()
        .filter(|k| !k.starts_with("phrase_") && *k != "ending")
        .count();
    (own, phrases)
}

// ------------------------------------------------------------------ pipes

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    // `quietwatch search … | head -1`: the reader closes the pipe before the output is
    // written. The binary exits quietly instead of panicking or complaining.
    let s = shared();
    let config = s.config.display().to_string();
    let fh = url("nhs", FRAMEWORK_HOST);
    for args in [
        ["search", "market engagement"],
        ["changes", "--json"],
        ["diff", fh.as_str()],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quietwatch"))
            .args(["--config", config.as_str()])
            .args(args)
            .current_dir(&s.dir)
            .env_remove("QUIETWATCH_LOG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

// ------------------------------------------------------------------ the run lock

#[test]
fn a_held_lock_is_exit_3_and_readers_are_not_blocked() {
    let s = shared();
    let db = s.dir.join("quietwatch-demo.db");
    let lock = quietwatch::run::lock::RunLock::acquire(&db).expect("lock is free after setup");
    for cmd in ["crawl", "run", "digest"] {
        let out = qw(&[cmd]);
        assert_eq!(out.code, 3, "{cmd}: {out:#?}");
        assert!(out.stderr.contains("holds the lock"), "{}", out.stderr);
    }
    // Reading the archive needs no lock.
    assert_eq!(changes_json(&[]).len(), 26);
    drop(lock);
}
