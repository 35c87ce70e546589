//! Delivery channels end to end, as cron runs them: the real binary crawls the demo site on
//! loopback and delivers each run's changes to a real SMTP server and to two real HTTP
//! receivers — a signed JSON webhook that is down for two runs, and a Slack one that is up.
//!
//! What must hold: each channel has its own "delivered" marks; the one that is down keeps its
//! changes pending and gets every one of them exactly once when it comes back, while mail and
//! the other webhook deliver on time and never repeat; `run` exits 1 naming the channel that
//! failed (never its secret URL); `digest --dry-run` shows what each channel would get;
//! `channels` lists what is pending; the Atom feed (`feed`, and `serve`'s `/feed.atom`) is
//! valid to feedparser with stable ids.

mod channel_fixtures;
mod common;

use channel_fixtures::{python, Answer, Receiver};
use common::smtp::{received, smtp_server};
use common::{qw, Harness};
use quietwatch_fixture::demo_site;
use std::collections::BTreeSet;
use std::net::TcpListener;

const SECRET: &str = "s3cret signing key";

/// Verifies `X-Quietwatch-Signature` with Python's own hmac module (an independent reader).
fn signature_verifies(body: &[u8], header: &str, dir: &std::path::Path) -> bool {
    let path = dir.join("body.bin");
    std::fs::write(&path, body).unwrap();
    let out = python(
        "import hmac,hashlib,sys; b=open(sys.argv[1],'rb').read(); \
         print('sha256='+hmac.new(sys.argv[2].encode(),b,hashlib.sha256).hexdigest())",
        &[&path, std::path::Path::new(SECRET)],
    );
    out.trim() == header
}

fn change_ids(body: &[u8]) -> Vec<i64> {
    let v: serde_json::Value = serde_json::from_slice(body).expect("JSON webhook body");
    v["changes"]
        .as_array()
        .expect("a changes array")
        .iter()
        .map(|c| c["id"].as_i64().expect("an id"))
        .collect()
}

fn feed_check(path: &std::path::Path) -> String {
    python(
        "import feedparser,sys; d=feedparser.parse(sys.argv[1]); \
         assert not d.bozo, d.bozo_exception; \
         print(len(d.entries)); [print(e.id) for e in d.entries]",
        &[path],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_channel_delivers_exactly_once_and_a_down_one_catches_up() {
    let smtp = TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_port = smtp.local_addr().unwrap().port();
    let inbox = smtp_server(smtp);
    let ops = Receiver::start(Answer::Status(200)).await;
    let team = Receiver::start(Answer::Status(200)).await;
    // Down for runs 2 and 3: each run tries once and retries once on a 5xx.
    ops.script(vec![Answer::Status(500); 4]);

    let channels = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\n\n\
         [[webhook]]\nname = \"ops\"\nurl_env = \"QW_TEST_OPS_URL\"\nformat = \"json\"\n\
         secret_env = \"QW_TEST_OPS_SECRET\"\n\n\
         [[webhook]]\nname = \"team\"\nurl = \"http://{}/hooks/team\"\nformat = \"slack\"\n\
         min_significance = \"major\"\n\n\
         [[site]]\nname = \"GCA agreements\"",
        team.addr
    );
    let h = Harness::start(
        demo_site(),
        &[
            (
                "[digest]\n",
                "[digest]\nto = [\"Team <team@example.org>\"]\n\
                 from = \"quietwatch <quietwatch@example.org>\"\n",
            ),
            // Keep RM6200's third failed run (a real `unreachable`) out of the quiet runs.
            // What ends soon depends on the day the test runs (tests/detect_demo.rs checks
            // it): keep it out of this story's counts.
            ("ending_within_days = 90", "ending_within_days = 0"),
            ("unreachable_after = 3", "unreachable_after = 10"),
            ("[[site]]\nname = \"GCA agreements\"", &channels),
        ],
    )
    .await;
    std::env::set_var("QW_TEST_OPS_URL", ops.secret_url());
    std::env::set_var("QW_TEST_OPS_SECRET", SECRET);
    let config = h.config_path.clone();

    // ---- run 1: the baseline. Mail gets its baseline digest; no webhook has a change.
    h.server.set_version(1);
    let run1 = qw(&config, &["run"]).await;
    assert_eq!(run1.code, 0, "{run1:#?}");
    assert_eq!(received(&inbox).len(), 1);
    assert!(ops.received().is_empty() && team.received().is_empty());

    // ---- run 2: the changes. Mail and Slack deliver; the JSON hook is down.
    h.server.set_version(2);
    let run2 = qw(&config, &["run"]).await;
    assert_eq!(
        run2.code, 1,
        "a failed channel makes the run exit 1: {run2:#?}"
    );
    assert!(run2.stderr.contains("webhook \"ops\""), "{}", run2.stderr);
    assert!(
        run2.stderr.contains(&ops.addr.to_string()),
        "{}",
        run2.stderr
    );
    assert!(
        !run2.stderr.contains("SECRETTOKEN") && !run2.stderr.contains("SECRETSIG"),
        "the webhook URL is a secret: {}",
        run2.stderr
    );
    assert!(run2.stdout.contains("digest sent"), "{run2:#?}");
    assert_eq!(received(&inbox).len(), 2, "mail delivered on time");
    let slack = team.received();
    assert_eq!(slack.len(), 1, "one Slack message for the run");
    assert_eq!(ops.received().len(), 2, "one POST and one retry");
    let run2_ids: BTreeSet<i64> = h
        .changes_of_run_id(run2_id(&h))
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(run2_ids.len() > 5, "the demo's v2 files many changes");

    // ---- `channels` and `digest --dry-run` see the pending JSON delivery.
    let listed = qw(&config, &["channels"]).await;
    assert_eq!(listed.code, 0, "{listed:#?}");
    assert!(
        listed
            .stdout
            .contains(&format!("ops: {} pending", run2_ids.len())),
        "{}",
        listed.stdout
    );
    assert!(
        listed.stdout.contains("team: 0 pending"),
        "{}",
        listed.stdout
    );
    assert!(
        listed.stdout.contains("mail: 0 pending"),
        "{}",
        listed.stdout
    );
    let dry = qw(&config, &["digest", "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{dry:#?}");
    assert!(
        dry.stdout.contains("webhook \"ops\" (json"),
        "{}",
        dry.stdout
    );
    assert!(!dry.stdout.contains("SECRETTOKEN"), "{}", dry.stdout);
    assert_eq!(ops.received().len(), 2, "a dry run sends nothing");

    // ---- run 3: nothing new, the JSON hook still down: only it tries, and fails again.
    let run3 = qw(&config, &["run"]).await;
    assert_eq!(run3.code, 1, "{run3:#?}");
    assert_eq!(received(&inbox).len(), 2, "no digest: nothing new");
    assert_eq!(team.received().len(), 1, "nothing new for Slack");
    assert_eq!(ops.received().len(), 4);

    // ---- run 4: the JSON hook is back and gets every pending change, once, signed.
    let run4 = qw(&config, &["run"]).await;
    assert_eq!(run4.code, 0, "{run4:#?}");
    let got = ops.received();
    assert_eq!(got.len(), 5);
    let last = &got[4];
    let ids: Vec<i64> = change_ids(&last.body);
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no change twice in one delivery");
    assert_eq!(unique, run2_ids, "every change of run 2, nothing else");
    let sig = last
        .headers
        .get("x-quietwatch-signature")
        .and_then(|v| v.to_str().ok())
        .expect("a signature header");
    assert!(signature_verifies(&last.body, sig, h.dir.path()), "{sig}");

    // ---- run 5: nothing new anywhere: nothing sent to anyone.
    let run5 = qw(&config, &["run"]).await;
    assert_eq!(run5.code, 0, "{run5:#?}");
    assert_eq!(ops.received().len(), 5);
    assert_eq!(team.received().len(), 1);
    assert_eq!(received(&inbox).len(), 2);
    let listed = qw(&config, &["channels"]).await;
    assert!(
        listed.stdout.contains("ops: 0 pending"),
        "{}",
        listed.stdout
    );

    // ---- the Atom feed: valid to feedparser, one entry per change, stable ids.
    let feed_path = h.dir.path().join("changes.atom");
    let out = qw(&config, &["feed", "--out", feed_path.to_str().unwrap()]).await;
    assert_eq!(out.code, 0, "{out:#?}");
    let first = feed_check(&feed_path);
    let mut lines = first.lines();
    let n: usize = lines.next().unwrap().parse().unwrap();
    assert_eq!(n, run2_ids.len().min(100));
    let feed_ids: BTreeSet<String> = lines.map(str::to_string).collect();
    let want: BTreeSet<String> = run2_ids
        .iter()
        .map(|i| format!("urn:quietwatch:change:{i}"))
        .collect();
    assert_eq!(feed_ids, want);
    let again = qw(&config, &["feed"]).await;
    assert_eq!(
        again.stdout,
        std::fs::read_to_string(&feed_path).unwrap(),
        "the same archive gives the same feed"
    );

    // ---- serve's feeds: the same entries, valid, per site too.
    let app = quietwatch::serve::router(h.db());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    for (path, site) in [
        ("/feed.atom".to_string(), None),
        (
            "/sites/GCA%20agreements/feed.atom".to_string(),
            Some("GCA agreements"),
        ),
    ] {
        let resp = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/atom+xml")));
        let body = resp.text().await.unwrap();
        let served = h.dir.path().join("served.atom");
        std::fs::write(&served, &body).unwrap();
        let checked = feed_check(&served);
        let n: usize = checked.lines().next().unwrap().parse().unwrap();
        let expected = h
            .changes_of_run_id(run2_id(&h))
            .iter()
            .filter(|c| site.is_none_or(|s| c.site == s))
            .count();
        assert_eq!(n, expected.min(100), "{path}");
        assert!(
            body.contains(&format!("http://{addr}/")),
            "links to this server: {path}"
        );
    }
}

/// The id of the run that filed the demo's v2 changes (the second run).
fn run2_id(h: &Harness) -> i64 {
    let db = rusqlite::Connection::open(h.db()).unwrap();
    db.query_row("SELECT run_id FROM changes ORDER BY id LIMIT 1", [], |r| {
        r.get(0)
    })
    .unwrap()
}
