//! The digest end to end: a real store, a real SMTP server on loopback (mailin-embedded), the
//! received bytes parsed as MIME (mail-parser). Checks what a reader gets and the promise to
//! operators: nothing lost when sending fails, nothing sent twice.

use chrono::Utc;
use mail_parser::{MessageParser, PartType};
use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use quietwatch::model::{
    ChangeDetail, ChangeKind, ExcerptLine, FigureChange, Segment, Significance,
};
use quietwatch::report::digest::{self, DigestSettings, SmtpSecurity, SmtpSettings};
use quietwatch::report::mail;
use quietwatch::store::{
    now_ms, ChangeFilter, Content, FetchRecord, NewChange, SiteRunRecord, Store,
};
use std::net::{IpAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};

const HOSTILE_TITLE: &str = "<script>alert(1)</script> Résumé £25bn\r\nBcc: victim@example.org";

// ------------------------------------------------------------------ SMTP server

/// How a test server treats a message.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Accept,
    /// 550 to every recipient: a server refusing the message outright.
    RefuseRecipient,
    /// 554 at the end of DATA. mailin then stays in its DATA state, so the client's QUIT gets
    /// no answer: a server that stops answering after the upload.
    RefuseDataThenHang,
}

/// Collects every message the server accepts.
#[derive(Clone)]
struct Collector {
    inbox: Arc<Mutex<Vec<Vec<u8>>>>,
    current: Vec<u8>,
    mode: Mode,
}

impl Handler for Collector {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn rcpt(&mut self, _to: &str) -> Response {
        if self.mode == Mode::RefuseRecipient {
            return response::NO_MAILBOX;
        }
        response::OK
    }

    fn data_end(&mut self) -> Response {
        if self.mode == Mode::RefuseDataThenHang {
            return response::TRANSACTION_FAILED;
        }
        let msg = std::mem::take(&mut self.current);
        self.inbox.lock().unwrap().push(msg);
        response::OK
    }

    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }
}

/// Starts a plaintext SMTP server on a free loopback port; returns its port and inbox. The
/// server thread lives until the test process ends.
fn smtp_server(mode: Mode) -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let handler = Collector {
        inbox: inbox.clone(),
        current: Vec::new(),
        mode,
    };
    let mut server = Server::new(handler);
    server
        .with_name("test.local")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_num_threads(2)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        if let Err(e) = server.serve() {
            eprintln!("test SMTP server stopped: {e}");
        }
    });
    (port, inbox)
}

/// A loopback port with nothing listening.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn smtp(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password_env: None,
    }
}

fn settings(out_dir: &Path) -> DigestSettings {
    DigestSettings {
        to: vec!["Team <team@example.org>".into()],
        from: Some("quietwatch <quietwatch@example.org>".into()),
        subject_prefix: "[quietwatch]".into(),
        min_significance: Significance::Minor,
        out_dir: out_dir.to_path_buf(),
        send_empty: false,
        archive_url: Some("http://127.0.0.1:8080".into()),
        ending_within_days: 90,
    }
}

// ------------------------------------------------------------------ store fixtures

fn seg(text: &str, emphasised: bool) -> Segment {
    Segment {
        text: text.into(),
        emphasised,
    }
}

fn fetch(run: i64, page: i64, body: &str, title: &str) -> FetchRecord {
    FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run,
            page_id: Some(page),
            purpose: quietwatch::model::FetchPurpose::Page,
            fetched_at: now_ms(),
            first_status: Some(200),
            status: Some(200),
            ..Default::default()
        },
        body: Some(body.as_bytes().to_vec()),
        content: Some(Content {
            title: title.into(),
            text: body.into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Files, through the store's own APIs, a `changed` page (hostile title, figures, excerpt)
/// and a `removed` page on one site. Returns the change ids.
fn seed_changes(store: &mut Store, site_name: &str, path: &str) -> Vec<i64> {
    let run = store.begin_run("crawl").unwrap();
    let site = store.site(site_name).unwrap();
    let changed = store
        .ensure_page(
            site.id,
            &format!("https://www.gca.gov.uk/{path}/RM6281"),
            0,
            false,
        )
        .unwrap();
    let v1 = store
        .record_fetch(&fetch(
            run,
            changed.id,
            "The framework is worth £25bn",
            "old",
        ))
        .unwrap()
        .version_id;
    let v2 = store
        .record_fetch(&fetch(
            run,
            changed.id,
            "The framework is worth £17bn",
            HOSTILE_TITLE,
        ))
        .unwrap()
        .version_id;
    let removed = store
        .ensure_page(
            site.id,
            &format!("https://www.gca.gov.uk/{path}/market-engagement"),
            1,
            false,
        )
        .unwrap();
    let r1 = store
        .record_fetch(&fetch(
            run,
            removed.id,
            "Market engagement is open",
            "Market engagement",
        ))
        .unwrap()
        .version_id;
    let changes = vec![
        NewChange {
            facts: Vec::new(),
            page_id: changed.id,
            url: changed.url.clone(),
            kind: ChangeKind::Changed,
            significance: Significance::Major,
            title: HOSTILE_TITLE.into(),
            summary: "1 figure changed; 1 word removed, 1 added".into(),
            from_version: v1,
            to_version: v2,
            http_status: Some(200),
            redirect_to: None,
            words_added: 1,
            words_removed: 1,
            similarity: Some(0.8),
            phrase: None,
            detail: ChangeDetail {
                figures: vec![FigureChange {
                    before: Some("£25bn".into()),
                    after: Some("£17bn".into()),
                }],
                excerpt: vec![
                    ExcerptLine {
                        tag: '-',
                        segments: vec![seg("The framework is worth ", false), seg("£25bn", true)],
                        whole: false,
                    },
                    ExcerptLine {
                        tag: '+',
                        segments: vec![seg("The framework is worth ", false), seg("£17bn", true)],
                        whole: false,
                    },
                ],
                ..Default::default()
            },
        },
        NewChange {
            facts: Vec::new(),
            page_id: removed.id,
            url: removed.url.clone(),
            kind: ChangeKind::Removed,
            significance: Significance::Major,
            title: "Market engagement".into(),
            summary: "the page answers 404 (confirmed)".into(),
            from_version: r1,
            to_version: None,
            http_status: Some(404),
            redirect_to: None,
            words_added: 0,
            words_removed: 4,
            similarity: None,
            phrase: None,
            detail: ChangeDetail::default(),
        },
    ];
    let ids = store
        .apply_detection(
            run,
            &site,
            &[],
            &[],
            &changes,
            false,
            &SiteRunRecord {
                outcome: quietwatch::model::SiteOutcome::Ok,
                pages: 2,
                changes: 2,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(ids.len(), 2);
    ids
}

fn pending(store: &Store) -> Vec<i64> {
    store
        .changes(&ChangeFilter {
            pending_only: true,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

fn build(store: &Store, s: &DigestSettings) -> digest::Digest {
    let input = digest::collect(store, s, digest::SITE_DOWN_ALERT_RUNS).unwrap();
    digest::render(&input, s, Utc::now()).unwrap()
}

fn raw_headers(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_string()
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn the_received_digest_is_a_clean_two_part_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    seed_changes(&mut store, "GCA agreements", "agreements");
    let s = settings(&dir.path().join("digests"));
    let (port, inbox) = smtp_server(Mode::Accept);

    let d = build(&store, &s);
    let delivery = mail::deliver(&mut store, &d, &s, Some(&smtp(port)), Utc::now())
        .await
        .unwrap()
        .expect("a digest with changes is delivered");
    assert!(delivery.sent);

    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let raw = &received[0];
    // The copy in out_dir is byte for byte what the server received.
    let copy = std::fs::read(&delivery.eml_path).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&copy).trim_end(),
        String::from_utf8_lossy(raw).trim_end()
    );

    let msg = MessageParser::default().parse(raw).expect("parses as MIME");
    assert_eq!(
        msg.subject(),
        Some("[quietwatch] 1 removed, 1 changed — GCA agreements")
    );
    let mid = msg.message_id().expect("Message-ID");
    assert!(mid.ends_with("@quietwatch"), "{mid}");
    assert_eq!(format!("<{mid}>"), delivery.message_id);
    assert!(msg.date().is_some(), "Date header");

    // Both parts, each of its own type.
    assert_eq!(msg.text_body.len(), 1);
    assert_eq!(msg.html_body.len(), 1);
    assert_ne!(msg.text_body[0], msg.html_body[0]);
    let text_part = msg.part(msg.text_body[0]).unwrap();
    let html_part = msg.part(msg.html_body[0]).unwrap();
    let PartType::Text(text) = &text_part.body else {
        panic!("text part is not text/plain: {:?}", text_part.body)
    };
    let PartType::Html(html) = &html_part.body else {
        panic!("html part is not text/html: {:?}", html_part.body)
    };

    // Text part: the title on one line, figures stated plainly, -/+ lines.
    assert!(text.contains("<script>alert(1)</script> Résumé £25bn Bcc: victim@example.org"));
    assert!(text.contains("Figures: £25bn → £17bn"));
    assert!(text.contains("- The framework is worth £25bn"));
    assert!(text.contains("+ The framework is worth £17bn"));
    assert!(text.contains("[REMOVED · major] Market engagement"));

    // HTML part: everything from the page escaped; the excerpt struck and added.
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Résumé £25bn Bcc: victim@example.org")
    );
    assert!(!html.to_lowercase().contains("<script"));
    assert!(
        html.contains("<strong>£25bn</strong></del>"),
        "removed words struck"
    );
    assert!(html.contains("text-decoration:line-through"));
    assert!(
        html.contains("<strong>£17bn</strong></ins>"),
        "added words marked"
    );
    assert!(html.contains("#1e7b34"), "added text in green");
    assert!(html.contains("href=\"https://www.gca.gov.uk/agreements/market-engagement\""));
    assert!(html.contains(
        "http://127.0.0.1:8080/diff?url=https%3A%2F%2Fwww.gca.gov.uk%2Fagreements%2FRM6281&amp;from="
    ));
    assert!(!html.contains("<style") && !html.contains("<img"));

    // Headers hold only configured text: the page title never gets there, and no line of the
    // header block is an injected header.
    let headers = raw_headers(raw);
    assert!(!headers.contains("script"), "{headers}");
    assert!(!headers.contains("victim"), "{headers}");
    assert!(
        headers.is_ascii(),
        "non-ASCII is encoded in headers: {headers}"
    );
    for line in headers.lines() {
        let name = line.split(':').next().unwrap_or_default();
        assert!(
            line.starts_with([' ', '\t'])
                || [
                    "From",
                    "To",
                    "Subject",
                    "Date",
                    "Message-ID",
                    "MIME-Version",
                    "Content-Type",
                    "Content-Transfer-Encoding",
                    "Received",
                ]
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name)),
            "unexpected header line {line:?}"
        );
    }

    assert!(
        pending(&store).is_empty(),
        "a sent digest settles its changes"
    );
    assert!(Path::new(&delivery.html_path).exists());
}

#[tokio::test]
async fn a_failed_send_loses_nothing_and_the_retry_sends_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let ids = seed_changes(&mut store, "GCA agreements", "agreements");
    let s = settings(&dir.path().join("digests"));

    // Server down: an error, and the changes stay pending.
    let d = build(&store, &s);
    let err = mail::deliver(&mut store, &d, &s, Some(&smtp(closed_port())), Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, mail::MailError::Smtp { .. }), "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    assert_eq!(pending(&store), ids);

    // Server refusing the message: same.
    let (bad_port, bad_inbox) = smtp_server(Mode::RefuseRecipient);
    let d = build(&store, &s);
    let err = mail::deliver(&mut store, &d, &s, Some(&smtp(bad_port)), Utc::now())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("550"), "{err}");
    assert!(bad_inbox.lock().unwrap().is_empty());
    assert_eq!(pending(&store), ids);

    // Server refusing after the upload and then going silent: bounded by the timeout, and
    // still nothing marked.
    let (hang_port, _) = smtp_server(Mode::RefuseDataThenHang);
    let d = build(&store, &s);
    let started = std::time::Instant::now();
    let err = mail::deliver_with_timeout(
        &mut store,
        &d,
        &s,
        Some(&smtp(hang_port)),
        Utc::now(),
        std::time::Duration::from_secs(2),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, mail::MailError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(pending(&store), ids);

    // Server up: the next digest carries them, once.
    let (port, inbox) = smtp_server(Mode::Accept);
    let d = build(&store, &s);
    assert_eq!(d.change_ids, ids);
    let delivery = mail::deliver(&mut store, &d, &s, Some(&smtp(port)), Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(delivery.sent);
    assert_eq!(inbox.lock().unwrap().len(), 1);
    assert!(pending(&store).is_empty());

    // Nothing new: nothing sent.
    let d = build(&store, &s);
    assert!(d.is_empty);
    assert_eq!(d.subject, "[quietwatch] no changes");
    let none = mail::deliver(&mut store, &d, &s, Some(&smtp(port)), Utc::now())
        .await
        .unwrap();
    assert!(none.is_none());
    assert_eq!(inbox.lock().unwrap().len(), 1);

    // A new change goes out alone in the next digest.
    let new_ids = seed_changes(&mut store, "NHS England", "nhs");
    let d = build(&store, &s);
    assert_eq!(d.change_ids, new_ids);
    mail::deliver(&mut store, &d, &s, Some(&smtp(port)), Utc::now())
        .await
        .unwrap()
        .unwrap();
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    let second = MessageParser::default().parse(&received[1]).unwrap();
    assert_eq!(
        second.subject(),
        Some("[quietwatch] 1 removed, 1 changed — NHS England")
    );
    assert!(!second
        .body_text(0)
        .unwrap()
        .contains("gca.gov.uk/agreements/"));
}

#[tokio::test]
async fn without_smtp_the_digest_is_written_and_marked() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    seed_changes(&mut store, "GCA agreements", "agreements");
    let out = dir.path().join("out").join("digests");
    let mut s = settings(&out);
    s.to.clear();
    s.from = None;

    let d = build(&store, &s);
    let dry = mail::dry_run_text(&d);
    assert!(dry.starts_with("Subject: [quietwatch] 1 removed, 1 changed — GCA agreements\n\n"));
    assert_eq!(pending(&store).len(), 2, "rendering marks nothing");

    let delivery = mail::deliver(&mut store, &d, &s, None, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(!delivery.sent);
    assert_eq!(delivery.eml_path.parent().unwrap(), out);
    let name = delivery
        .eml_path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(
        name.starts_with("digest-") && name.ends_with("Z.eml"),
        "{name}"
    );
    let eml = std::fs::read(&delivery.eml_path).unwrap();
    let msg = MessageParser::default().parse(&eml).unwrap();
    assert_eq!(
        msg.subject(),
        Some("[quietwatch] 1 removed, 1 changed — GCA agreements")
    );
    let html = std::fs::read_to_string(&delivery.html_path).unwrap();
    assert!(html.contains("&lt;script&gt;"));
    assert!(pending(&store).is_empty());
}

#[tokio::test]
async fn changes_below_the_threshold_are_settled_without_an_email() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let run = store.begin_run("crawl").unwrap();
    let site = store.site("S").unwrap();
    let page = store
        .ensure_page(site.id, "https://e.org/a", 0, false)
        .unwrap();
    let minor = NewChange {
        facts: Vec::new(),
        page_id: page.id,
        url: page.url.clone(),
        kind: ChangeKind::Changed,
        significance: Significance::Minor,
        title: "A".into(),
        summary: "3 words changed".into(),
        from_version: None,
        to_version: None,
        http_status: Some(200),
        redirect_to: None,
        words_added: 3,
        words_removed: 3,
        similarity: Some(0.99),
        phrase: None,
        detail: ChangeDetail::default(),
    };
    store
        .apply_detection(
            run,
            &site,
            &[],
            &[],
            &[minor],
            false,
            &SiteRunRecord {
                outcome: quietwatch::model::SiteOutcome::Ok,
                ..Default::default()
            },
        )
        .unwrap();
    let mut s = settings(&dir.path().join("digests"));
    s.min_significance = Significance::Major;
    let (port, inbox) = smtp_server(Mode::Accept);

    let d = build(&store, &s);
    assert!(d.is_empty);
    assert_eq!(d.change_ids.len(), 1);
    let r = mail::deliver(&mut store, &d, &s, Some(&smtp(port)), Utc::now())
        .await
        .unwrap();
    assert!(r.is_none());
    assert!(inbox.lock().unwrap().is_empty());
    assert!(
        pending(&store).is_empty(),
        "never sent, but not pending forever"
    );
    assert!(
        !dir.path().join("digests").exists(),
        "no copy of a digest never sent"
    );

    // send_empty: an email saying so.
    s.send_empty = true;
    let d = build(&store, &s);
    let r = mail::deliver(&mut store, &d, &s, Some(&smtp(port)), Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(r.sent);
    let received = inbox.lock().unwrap().clone();
    let msg = MessageParser::default().parse(&received[0]).unwrap();
    assert_eq!(msg.subject(), Some("[quietwatch] no changes"));
}

#[tokio::test]
async fn a_missing_password_variable_fails_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    seed_changes(&mut store, "GCA agreements", "agreements");
    let s = settings(&dir.path().join("digests"));
    let (port, inbox) = smtp_server(Mode::Accept);
    let mut cfg = smtp(port);
    cfg.username = Some("monitor".into());
    cfg.password_env = Some("QUIETWATCH_TEST_PASSWORD_NOT_SET".into());

    let d = build(&store, &s);
    let err = mail::deliver(&mut store, &d, &s, Some(&cfg), Utc::now())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("QUIETWATCH_TEST_PASSWORD_NOT_SET"),
        "{err}"
    );
    assert_eq!(pending(&store).len(), 2);
    assert!(inbox.lock().unwrap().is_empty());
    assert!(!dir.path().join("digests").exists());
}
