//! Shared by tests/feed.rs and tests/webhook.rs: change records (plain and hostile), a real
//! HTTP receiver on loopback with a scripted answer per request, a receiver that accepts and
//! never answers, and a runner for the independent Python checkers.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use quietwatch::model::{Change, ChangeDetail, ExcerptLine, FigureChange, Segment};
use serde_json::json;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Markup planted in page text: each must arrive as text, in every format.
pub const PLANTED: &[&str] = &[
    "<script>alert(1)</script>",
    "<!channel>",
    "<!here>",
    "<@U123>",
    "*bold*",
    "_it_",
    "~gone~",
    "`code`",
    "[link](http://evil.example/x)",
    "<http://evil.example/y|click me>",
    "**strong**",
    "<at>Everyone</at>",
    "]]>",
];

/// A change built through its JSON (SPEC's shape), so fields the record gains later need no
/// edit here.
pub fn change(id: i64, kind: &str, significance: &str, title: &str) -> Change {
    serde_json::from_value(json!({
        "id": id,
        "detected_at": format!("2026-11-22T{:02}:{:02}:{:02}Z", 6 + id / 3600 % 12, id / 60 % 60, id % 60),
        "site": "GCA agreements",
        "url": format!("https://www.gca.gov.uk/agreements/RM{}", 6000 + id),
        "kind": kind,
        "significance": significance,
        "title": title,
        "summary": "lost 2 of 5 sections; 412 words removed, 18 added",
        "from": id * 2,
        "to": id * 2 + 1,
        "http_status": 200,
        "redirect_to": null,
        "words_added": 18,
        "words_removed": 412,
        "similarity": 0.31,
    }))
    .expect("a change in SPEC's JSON shape")
}

/// A `changed` change with figures, a document and an excerpt.
pub fn rich_change(id: i64) -> Change {
    let mut c = change(id, "changed", "major", "Health Sector Resourcing");
    c.detail = ChangeDetail {
        figures: vec![FigureChange {
            before: Some("£25bn".into()),
            after: Some("£17bn".into()),
        }],
        excerpt: vec![
            ExcerptLine {
                tag: ' ',
                segments: vec![seg("Health Sector Resourcing", false)],
                whole: false,
            },
            ExcerptLine {
                tag: '-',
                segments: vec![
                    seg("The framework is worth ", false),
                    seg("£25bn", true),
                    seg(" over four years.", false),
                ],
                whole: false,
            },
            ExcerptLine {
                tag: '+',
                segments: vec![
                    seg("The framework is worth ", false),
                    seg("£17bn", true),
                    seg(" over four years.", false),
                ],
                whole: false,
            },
        ],
        documents_added: vec!["https://www.gca.gov.uk/files/rm6281-guidance.pdf".into()],
        documents_removed: vec![],
    };
    c
}

/// A change whose every page-derived field carries [`PLANTED`] markup and characters XML 1.0
/// forbids.
pub fn hostile_change(id: i64) -> Change {
    let all = PLANTED.join(" ");
    let mut c = change(
        id,
        "removed",
        "major",
        &format!("{all} \u{1}\u{b}\u{fffe}\u{202e}end"),
    );
    c.summary = format!("summary {all} \u{0}\u{1b}[31m");
    c.redirect_to = Some("javascript:alert(1)".into());
    c.detail = ChangeDetail {
        figures: vec![FigureChange {
            before: Some("£25bn <!channel>".into()),
            after: Some("[x](http://evil.example/f) *£17bn*".into()),
        }],
        excerpt: vec![
            ExcerptLine {
                tag: '-',
                segments: vec![seg("old ", false), seg(&all, true)],
                whole: false,
            },
            ExcerptLine {
                tag: '+',
                segments: vec![seg(&all, false)],
                whole: true,
            },
        ],
        documents_added: vec!["javascript:alert(1)".into()],
        documents_removed: vec!["https://evil.example/doc.pdf|<!channel>".into()],
    };
    c
}

fn seg(text: &str, emphasised: bool) -> Segment {
    Segment {
        text: text.into(),
        emphasised,
    }
}

// ---------------------------------------------------------------- a receiver on loopback

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Waits, then answers with the status.
    Slow(Duration, u16),
    /// 307 to this URL.
    Redirect(String),
    /// This status with a body.
    StatusBody(u16, String),
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct ReceiverState {
    script: Mutex<VecDeque<Answer>>,
    default: Mutex<Option<Answer>>,
    got: Mutex<Vec<Received>>,
}

/// A real HTTP server on a loopback address; answers from a script, then a default.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<ReceiverState>,
}

impl Receiver {
    /// On 127.0.0.1.
    pub async fn start(default: Answer) -> Receiver {
        Receiver::start_on("127.0.0.1:0", default).await
    }

    pub async fn start_on(bind: &str, default: Answer) -> Receiver {
        let state = Arc::new(ReceiverState::default());
        *state.default.lock().unwrap() = Some(default);
        let app = Router::new()
            .fallback(any(handle))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, state }
    }

    /// Answers to use, in order, before the default.
    pub fn script(&self, answers: Vec<Answer>) {
        self.state.script.lock().unwrap().extend(answers);
    }

    /// `http://ADDR/services/T0001/B0002/SECRETTOKEN`: shaped like a Slack hook, with a token
    /// that must never show in an error.
    pub fn secret_url(&self) -> String {
        format!(
            "http://{}/services/T0001/B0002/SECRETTOKEN?sig=SECRETSIG",
            self.addr
        )
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.got.lock().unwrap().clone()
    }
}

async fn handle(
    State(state): State<Arc<ReceiverState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.got.lock().unwrap().push(Received {
        path: uri.to_string(),
        headers,
        body: body.to_vec(),
    });
    let answer = {
        let next = state.script.lock().unwrap().pop_front();
        next.or_else(|| state.default.lock().unwrap().clone())
            .unwrap_or(Answer::Status(200))
    };
    match answer {
        Answer::Status(s) => (StatusCode::from_u16(s).unwrap(), "ok").into_response(),
        Answer::StatusBody(s, b) => (StatusCode::from_u16(s).unwrap(), b).into_response(),
        Answer::Slow(d, s) => {
            tokio::time::sleep(d).await;
            (StatusCode::from_u16(s).unwrap(), "late").into_response()
        }
        Answer::Redirect(to) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, to)],
            "",
        )
            .into_response(),
    }
}

/// A TCP server that accepts connections and never reads or answers; returns its address.
pub async fn start_silent() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    addr
}

// ---------------------------------------------------------------- independent checkers

/// Runs `python3 -c script args…`; panics with the pip line when a module is missing, and with
/// the checker's output when it fails.
pub fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect(
            "python3 must be installed (the feed and card tests use independent Python checkers)",
        );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if stderr.contains("ModuleNotFoundError") {
        panic!(
            "a Python checker is missing: python3 -m pip install 'feedparser==6.0.14' 'jsonschema==4.26.0'\n{stderr}"
        );
    }
    assert!(
        out.status.success(),
        "python checker failed:\n{stdout}\n{stderr}"
    );
    stdout
}

/// Every string value in a JSON document, with the key it sits under and the `type` of the
/// object holding it.
pub fn strings<'a>(v: &'a serde_json::Value, out: &mut Vec<(String, String, &'a str)>) {
    fn walk<'a>(
        v: &'a serde_json::Value,
        key: &str,
        holder: &str,
        out: &mut Vec<(String, String, &'a str)>,
    ) {
        match v {
            serde_json::Value::String(s) => out.push((holder.to_string(), key.to_string(), s)),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, key, holder, out)),
            serde_json::Value::Object(m) => {
                let ty = m
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_string();
                for (k, x) in m {
                    walk(x, k, &ty, out);
                }
            }
            _ => {}
        }
    }
    walk(v, "", "", out);
}
