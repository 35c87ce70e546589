//! `quietwatch run` as cron calls it: the real binary crawls the demo site served on
//! loopback by this test, stores into a real SQLite file and sends its digest to a real SMTP
//! server (mailin-embedded) on loopback; what arrives is parsed as MIME (mail-parser).
//!
//! One story, in order, because each step depends on the archive the previous one left:
//! a baseline digest; a run whose digest cannot be sent (nothing lost: the changes stay
//! pending); a dry run (marks nothing); the next run sends them, once; a run with nothing new
//! sends nothing.

mod common;

use common::smtp::{closed_port, received, smtp_server};
use common::{qw, Harness};
use mail_parser::{MessageParser, PartType};
use quietwatch_fixture::demo_site;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

// Phrase hits and fact changes first (the demo's [[watch]] phrases; its key-facts panels).
const SUBJECT_V2: &str = "[quietwatch demo] 3 phrase hits, 8 fact changes, 2 removed, 1 redirected, \
                          3 moved, 1 soft removed, 1 unlinked, 13 changed, 2 added — GCA agreements, \
                          NHS England procurement";

// ------------------------------------------------------------------ the archive

fn db(h: &Harness) -> rusqlite::Connection {
    rusqlite::Connection::open(h.db()).unwrap()
}

fn count(h: &Harness, sql: &str) -> i64 {
    db(h).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
            v.sort();
            v
        }
        Err(_) => Vec::new(),
    }
}

/// Every `<del …>…</del>` (or `ins`) element's inner HTML.
fn elements(html: &str, tag: &str) -> Vec<String> {
    let re = regex::Regex::new(&format!("(?s)<{tag}[ >].*?</{tag}>")).unwrap();
    re.find_iter(html).map(|m| m.as_str().to_string()).collect()
}

// ------------------------------------------------------------------ the story

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sends_one_digest_loses_nothing_and_never_sends_twice() {
    let first = TcpListener::bind("127.0.0.1:0").unwrap();
    let first_port = first.local_addr().unwrap().port();
    let first_inbox = smtp_server(first);

    let smtp = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {first_port}\nsecurity = \"none\"\n\n\
         [[site]]\nname = \"GCA agreements\""
    );
    let h = Harness::start(
        demo_site(),
        &[
            (
                "[digest]\n",
                "[digest]\nto = [\"Team <team@example.org>\"]\n\
                 from = \"quietwatch <quietwatch@example.org>\"\n",
            ),
            // RM6200 answers 503 from version 2 on; keep its third failed run (an
            // `unreachable` record, a real change) out of this story's "nothing new" runs.
            // What ends soon depends on the day the test runs (tests/detect_demo.rs checks
            // it): keep it out of this story's counts.
            ("ending_within_days = 90", "ending_within_days = 0"),
            ("unreachable_after = 3", "unreachable_after = 10"),
            ("[[site]]\nname = \"GCA agreements\"", &smtp),
        ],
    )
    .await;
    let config = h.config_path.clone();
    let out_dir = h.config.digest.out_dir.clone();

    // ---- run 1, version 1: a baseline, which is worth one digest.
    h.server.set_version(1);
    let run1 = qw(&config, &["run"]).await;
    assert_eq!(run1.code, 0, "{run1:#?}");
    assert!(
        run1.stdout.contains("GCA agreements: baseline: 24 pages"),
        "{run1:#?}"
    );
    assert!(run1.stdout.contains("digest sent"), "{run1:#?}");
    let got = received(&first_inbox);
    assert_eq!(got.len(), 1, "one baseline digest");
    let baseline = MessageParser::default().parse(&got[0]).unwrap();
    assert_eq!(
        baseline.subject(),
        Some("[quietwatch demo] baseline: 30 pages — GCA agreements, NHS England procurement")
    );
    let text = baseline.body_text(0).unwrap();
    assert!(
        text.contains("GCA agreements: baseline recorded, 24 pages"),
        "{text}"
    );
    assert_eq!(count(&h, "SELECT count(*) FROM changes"), 0);

    // ---- run 2, version 2, with nothing listening on the SMTP port.
    let down_port = closed_port();
    let text = std::fs::read_to_string(&config).unwrap();
    let moved = text.replace(
        &format!("port = {first_port}"),
        &format!("port = {down_port}"),
    );
    assert_ne!(moved, text);
    std::fs::write(&config, moved).unwrap();
    h.server.set_version(2);
    let run2 = qw(&config, &["run"]).await;
    assert_eq!(run2.code, 1, "{run2:#?}");
    assert!(run2.stderr.contains("digest not sent"), "{}", run2.stderr);
    assert!(
        run2.stderr.contains(&format!("127.0.0.1:{down_port}")),
        "names the server: {}",
        run2.stderr
    );
    let said = run2
        .stderr
        .lines()
        .find(|l| l.starts_with("quietwatch: digest not sent"))
        .expect("the CLI's own message");
    assert_eq!(
        said.matches("Connection refused").count(),
        1,
        "the cause once, not once per error layer: {said}"
    );
    // The crawl itself went fine and says so.
    // 20 pages' own records and the 3 watched-phrase records of the demo's [[watch]].
    assert!(run2.stdout.contains("23 changes"), "{}", run2.stdout);
    let listed = qw(&config, &["changes", "--json"]).await;
    assert_eq!(listed.code, 0);
    assert_eq!(listed.stdout.lines().count(), 26, "{}", listed.stdout);
    assert_eq!(count(&h, "SELECT count(*) FROM changes"), 26);
    assert_eq!(
        count(
            &h,
            "SELECT count(*) FROM changes WHERE digest_id IS NOT NULL"
        ),
        0,
        "nothing is marked sent"
    );
    assert_eq!(received(&first_inbox).len(), 1);

    // ---- digest --dry-run prints what would go out and marks nothing.
    let digests_before = count(&h, "SELECT count(*) FROM digests");
    let copies_before = files_in(&out_dir);
    let dry = qw(&config, &["digest", "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{dry:#?}");
    assert!(
        dry.stdout.starts_with(&format!("Subject: {SUBJECT_V2}\n")),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("/agreements/RM6281/market-engagement"));
    assert!(dry.stdout.contains("- ") && dry.stdout.contains("+ "));
    assert_eq!(count(&h, "SELECT count(*) FROM digests"), digests_before);
    assert_eq!(
        count(
            &h,
            "SELECT count(*) FROM changes WHERE digest_id IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        files_in(&out_dir),
        copies_before,
        "a dry run writes no copy"
    );

    // `digest` alone, server still down: exit 1, still nothing marked.
    let digest = qw(&config, &["digest"]).await;
    assert_eq!(digest.code, 1, "{digest:#?}");
    assert!(
        digest.stderr.contains("digest not sent"),
        "{}",
        digest.stderr
    );
    assert_eq!(
        count(
            &h,
            "SELECT count(*) FROM changes WHERE digest_id IS NOT NULL"
        ),
        0
    );

    // ---- the server is up again: run 3 (site unchanged) sends the pending changes, once,
    // and with -q says nothing at all.
    let listener = TcpListener::bind(("127.0.0.1", down_port)).unwrap();
    let inbox = smtp_server(listener);
    let run3 = qw(&config, &["-q", "run"]).await;
    assert_eq!(run3.code, 0, "{run3:#?}");
    assert_eq!(run3.stdout, "", "-q: nothing on stdout");
    assert_eq!(run3.stderr, "", "-q: nothing on stderr");
    let got = received(&inbox);
    assert_eq!(got.len(), 1, "exactly one message");
    assert_eq!(received(&first_inbox).len(), 1);
    assert_eq!(count(&h, "SELECT count(*) FROM changes"), 26, "nothing new");
    assert_eq!(
        count(&h, "SELECT count(*) FROM changes WHERE digest_id IS NULL"),
        0,
        "all marked sent"
    );
    assert_eq!(
        count(&h, "SELECT count(DISTINCT digest_id) FROM changes"),
        1,
        "by one digest"
    );

    // What arrived.
    let raw = &got[0];
    let msg = MessageParser::default().parse(raw).expect("MIME");
    let subject = msg.subject().unwrap();
    assert_eq!(subject, SUBJECT_V2);
    for part in [
        "2 removed",
        "13 changed",
        "GCA agreements",
        "NHS England procurement",
    ] {
        assert!(subject.contains(part), "{subject}");
    }
    assert!(msg.date().is_some(), "Date header");
    let mid = msg.message_id().expect("Message-ID header");
    let recorded: String = db(&h)
        .query_row(
            "SELECT message_id FROM digests WHERE sent_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        recorded,
        format!("<{mid}>"),
        "the digest record is the message sent"
    );
    let header_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let headers = String::from_utf8_lossy(&raw[..header_end]);
    assert!(headers.is_ascii(), "{headers}");
    assert!(!headers.to_lowercase().contains("script"), "{headers}");

    assert_eq!(msg.text_body.len(), 1);
    assert_eq!(msg.html_body.len(), 1);
    let PartType::Text(text) = &msg.part(msg.text_body[0]).unwrap().body else {
        panic!("no text/plain part")
    };
    let PartType::Html(html) = &msg.part(msg.html_body[0]).unwrap().body else {
        panic!("no text/html part")
    };

    // The quiet deletion, said plainly in both parts.
    let me = h.url("gca", "/agreements/RM6281/market-engagement");
    let pos = html.find(&format!(">{me}<")).expect("deleted page linked");
    let item = &html[html[..pos].rfind("border-left").unwrap()..pos];
    assert!(item.contains("REMOVED"), "{item}");
    let tpos = text.find(&me).unwrap();
    let titem = &text[text[..tpos].rfind('[').unwrap()..tpos];
    assert!(titem.starts_with("[REMOVED"), "{titem}");

    // The hostile title is text: escaped, never markup.
    assert!(html
        .contains("Penetration Testing and IT Health Check &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.to_lowercase().contains("<script"),
        "no raw script tag"
    );
    assert!(!html.contains("<img"), "no planted img tag");
    assert!(text.contains("Penetration Testing and IT Health Check <script>alert(1)</script>"));

    // The quiet rewrite: the figure stated plainly, the excerpt struck through and added.
    assert!(html.contains("£25bn → £17 billion"));
    assert!(text.contains("Figures: £25bn → £17 billion"), "{text}");
    assert!(
        elements(html, "del").iter().any(|e| e.contains("£25bn")),
        "£25bn struck through: {:?}",
        elements(html, "del")
    );
    assert!(
        // Emphasis is word by word: "in the region of £17" and "billion" are two spans.
        elements(html, "ins").iter().any(|e| e.contains("£17")),
        "£17 billion added: {:?}",
        elements(html, "ins")
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("- ") && l.contains("£25bn")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("+ ") && l.contains("£17 billion")),
        "{text}"
    );
    // Inline styles only, as mail clients need.
    assert!(!html.contains("<style"));

    // ---- run 4: nothing new, so no message, and the summary says so.
    let run4 = qw(&config, &["run"]).await;
    assert_eq!(run4.code, 0, "{run4:#?}");
    assert!(run4.stdout.contains("0 changes"), "{}", run4.stdout);
    assert!(run4.stdout.contains("no digest"), "{}", run4.stdout);
    assert_eq!(received(&inbox).len(), 1, "no second message");
    assert_eq!(received(&first_inbox).len(), 1);
    assert_eq!(count(&h, "SELECT count(*) FROM changes"), 26);

    let dry = qw(&config, &["digest", "--dry-run"]).await;
    assert_eq!(dry.code, 0);
    assert!(
        dry.stdout
            .starts_with("Subject: [quietwatch demo] no changes\n"),
        "{}",
        dry.stdout
    );
}
