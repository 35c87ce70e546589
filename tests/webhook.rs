//! Webhooks end to end over real HTTP on loopback: what each format sends (checked against
//! SPEC's change JSON, Slack's published limits and Microsoft's published Adaptive Card schema),
//! that planted markup arrives inert, the signature, and the delivery rules (2xx only, one
//! bounded retry, timeouts, no redirects, parts recorded one by one, secrets never printed).

mod channel_fixtures;

use channel_fixtures::*;
use quietwatch::model::{Change, Significance};
use quietwatch::report::webhook::{
    self, build, deliver, json, slack, teams, MessageOptions, Payload, SendOptions, WebhookFormat,
    WebhookSecret, WebhookSettings, WebhookUrl, SIGNATURE_HEADER,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

const ARCHIVE: &str = "http://127.0.0.1:8080";

fn settings(url: &str, format: WebhookFormat, secret: Option<&str>) -> WebhookSettings {
    WebhookSettings {
        name: "bids channel".into(),
        url: WebhookUrl::parse(url).unwrap(),
        format,
        min_significance: Significance::Minor,
        secret: secret.map(WebhookSecret::new),
    }
}

fn fast() -> SendOptions {
    SendOptions {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(2),
        retry_backoff: Duration::from_millis(50),
        max_retry_wait: Duration::from_millis(200),
        part_gap: Duration::from_millis(10),
        ..SendOptions::default()
    }
}

fn opts() -> MessageOptions {
    MessageOptions {
        archive_url: Some(ARCHIVE.into()),
    }
}

/// HMAC-SHA256 written out from RFC 2104 over `sha2`, independent of the `hmac` crate the
/// library signs with.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::digest([ipad.as_slice(), msg].concat());
    let outer = Sha256::digest([opad.as_slice(), inner.as_slice()].concat());
    hex::encode(outer)
}

async fn send(
    s: &WebhookSettings,
    p: &Payload,
) -> (
    Result<webhook::DeliveryReport, webhook::DeliveryError>,
    Vec<Vec<i64>>,
) {
    let mut recorded = Vec::new();
    let r = deliver(s, p, &fast(), |part| {
        recorded.push(part.change_ids.clone());
        Ok(())
    })
    .await;
    (r, recorded)
}

fn assert_no_secret(msg: &str) {
    for secret in ["SECRETTOKEN", "SECRETSIG", "services", "T0001"] {
        assert!(!msg.contains(secret), "the error leaks {secret:?}: {msg}");
    }
}

// ---------------------------------------------------------------- json

#[tokio::test]
async fn json_body_is_specs_change_json_and_the_signature_verifies() {
    let rx = Receiver::start(Answer::Status(200)).await;
    let s = settings(&rx.secret_url(), WebhookFormat::Json, Some("s3cret key"));
    let mut minor = change(3, "changed", "minor", "Minor wording");
    minor.similarity = None;
    let changes = vec![rich_change(1), hostile_change(2), minor];
    let payload = build(&s, &changes, &opts()).unwrap();
    assert_eq!(payload.parts.len(), 1);
    let (r, recorded) = send(&s, &payload).await;
    let report = r.unwrap();
    assert_eq!((report.parts, report.changes, report.attempts), (1, 3, 1));
    assert_eq!(recorded, vec![vec![1, 2, 3]]);

    let got = rx.received();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.path, "/services/T0001/B0002/SECRETTOKEN?sig=SECRETSIG");
    assert_eq!(req.headers["content-type"], "application/json");
    let sig = req.headers[SIGNATURE_HEADER].to_str().unwrap();
    assert_eq!(
        sig,
        format!("sha256={}", hmac_sha256(b"s3cret key", &req.body))
    );
    assert_ne!(
        sig,
        format!("sha256={}", hmac_sha256(b"other key", &req.body))
    );

    let body: Value = serde_json::from_slice(&req.body).unwrap();
    let obj = body.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["changes"]);
    let list = body["changes"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    for (got, want) in list.iter().zip(&changes) {
        // Exactly what `changes --json` prints for the record…
        assert_eq!(got, &serde_json::to_value(want).unwrap());
        // …which has SPEC's fields.
        for key in [
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
        ] {
            assert!(got.get(key).is_some(), "{key} missing from {got}");
        }
        let back: Change = serde_json::from_value(got.clone()).unwrap();
        assert_eq!(back.title, want.title);
    }
    assert_eq!(list[0]["kind"], "changed");
    assert_eq!(list[2]["similarity"], Value::Null);
}

#[tokio::test]
async fn no_secret_no_signature_and_below_threshold_is_settled_unsent() {
    let rx = Receiver::start(Answer::Status(204)).await;
    let mut s = settings(&rx.secret_url(), WebhookFormat::Json, None);
    s.min_significance = Significance::Major;
    let changes = vec![
        change(1, "changed", "minor", "a"),
        change(2, "removed", "major", "b"),
        change(3, "moved", "minor", "c"),
    ];
    let payload = build(&s, &changes, &opts()).unwrap();
    assert_eq!(payload.skipped_ids, vec![1, 3]);
    let (r, recorded) = send(&s, &payload).await;
    r.unwrap();
    assert_eq!(recorded, vec![vec![2]]);
    let got = rx.received();
    assert!(got[0].headers.get(SIGNATURE_HEADER).is_none());

    // Nothing at or above the threshold: nothing is sent at all.
    let payload = build(&s, &changes[..1], &opts()).unwrap();
    assert!(payload.is_empty());
    assert_eq!(payload.skipped_ids, vec![1]);
    let (r, recorded) = send(&s, &payload).await;
    assert_eq!(r.unwrap().parts, 0);
    assert!(recorded.is_empty());
    assert_eq!(rx.received().len(), 1);
}

#[tokio::test]
async fn a_large_json_run_is_split_and_a_failed_part_leaves_only_the_rest_pending() {
    let changes: Vec<Change> = (1..=40).map(rich_change).collect();
    let refs: Vec<&Change> = changes.iter().collect();
    let one = serde_json::to_vec(&changes[0]).unwrap().len();
    let parts = json::parts_capped(&refs, one * 15).unwrap();
    assert!(parts.len() >= 3, "{} parts", parts.len());
    let mut all = Vec::new();
    for p in &parts {
        assert!(p.body.len() <= one * 15);
        let v: Value = serde_json::from_slice(&p.body).unwrap();
        let ids: Vec<i64> = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, p.change_ids);
        all.extend(ids);
    }
    assert_eq!(
        all,
        (1..=40).collect::<Vec<_>>(),
        "every change once, in order"
    );

    // Part 1 accepted, part 2 refused twice (500, then 500 on the retry).
    let rx = Receiver::start(Answer::Status(200)).await;
    rx.script(vec![
        Answer::Status(200),
        Answer::Status(500),
        Answer::Status(500),
    ]);
    let s = settings(&rx.secret_url(), WebhookFormat::Json, None);
    let payload = Payload {
        parts: parts.clone(),
        skipped_ids: vec![],
    };
    let (r, recorded) = send(&s, &payload).await;
    let err = r.unwrap_err();
    assert_eq!(
        recorded,
        vec![parts[0].change_ids.clone()],
        "only part 1 recorded"
    );
    assert_eq!(
        (err.part, err.parts, err.accepted, err.attempts),
        (2, parts.len(), 1, 2)
    );
    let msg = err.to_string();
    assert!(
        msg.contains("bids channel") && msg.contains("127.0.0.1") && msg.contains("500"),
        "{msg}"
    );
    assert!(msg.contains(&format!("part 2 of {}", parts.len())), "{msg}");
    assert_no_secret(&msg);
    assert_eq!(
        rx.received().len(),
        3,
        "part 3 was not sent after part 2 failed"
    );
}

// ---------------------------------------------------------------- slack

/// Slack's published shape and limits, checked on a message body.
fn check_slack_shape(body: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(body).unwrap();
    let text = v["text"].as_str().expect("text fallback");
    assert!(!text.is_empty() && text.chars().count() <= slack::MAX_TEXT_CHARS);
    assert_eq!(v["unfurl_links"], false);
    assert_eq!(v["unfurl_media"], false);
    let blocks = v["blocks"].as_array().expect("blocks");
    assert!(
        !blocks.is_empty() && blocks.len() <= slack::MAX_BLOCKS,
        "{} blocks",
        blocks.len()
    );
    let mut total = 0;
    for b in blocks {
        let t = &b["text"];
        let s = t["text"].as_str().expect("every block has text");
        total += s.chars().count();
        match b["type"].as_str() {
            Some("header") => {
                assert_eq!(t["type"], "plain_text");
                assert!(s.chars().count() <= slack::MAX_HEADER_CHARS);
            }
            Some("section") => {
                assert_eq!(t["type"], "mrkdwn");
                assert_eq!(t["verbatim"], true);
                assert!(
                    s.chars().count() <= slack::MAX_SECTION_CHARS,
                    "{} chars",
                    s.chars().count()
                );
            }
            other => panic!("unexpected block type {other:?}"),
        }
    }
    assert!(total <= 12_000, "{total} characters of blocks");
    v
}

/// Every `<…>` in mrkdwn text must be one of our links to an allowed target.
fn check_mrkdwn_inert(text: &str, allowed: &dyn Fn(&str) -> bool) {
    for planted in [
        "<!",
        "<@",
        "<#",
        "*bold*",
        "_it_",
        "~gone~",
        "`code`",
        "**strong**",
    ] {
        assert!(
            !text.contains(planted),
            "{planted:?} arrived as markup in {text}"
        );
    }
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>').expect("unclosed <");
        let inner = &after[..end];
        let (target, label) = inner.split_once('|').expect("a <…> that is not a link");
        assert!(
            target.starts_with("https://") || target.starts_with("http://"),
            "link target {target:?}"
        );
        assert!(allowed(target), "link to {target:?} from page text");
        assert!(!label.contains('<'));
        rest = &after[end + 1..];
    }
}

fn allowed_target(t: &str) -> bool {
    (t.starts_with("https://www.gca.gov.uk/") || t.starts_with(ARCHIVE)) && !t.contains("evil")
}

#[tokio::test]
async fn slack_message_has_slacks_shape_and_page_text_arrives_inert() {
    let rx = Receiver::start(Answer::Status(200)).await;
    let s = settings(&rx.secret_url(), WebhookFormat::Slack, None);
    let changes = vec![
        hostile_change(1),
        rich_change(2),
        change(3, "added", "minor", "New lot"),
    ];
    let payload = build(&s, &changes, &opts()).unwrap();
    assert_eq!(payload.parts.len(), 1);
    let (r, _) = send(&s, &payload).await;
    r.unwrap();
    let got = rx.received();
    let v = check_slack_shape(&got[0].body);
    assert_eq!(payload.parts[0].stats.in_full, 3);

    let mut texts = vec![v["text"].as_str().unwrap().to_string()];
    for b in v["blocks"].as_array().unwrap() {
        texts.push(b["text"]["text"].as_str().unwrap().to_string());
    }
    for t in &texts {
        check_mrkdwn_inert(t, &allowed_target);
    }
    let all = texts.join("\n");
    // The planted text is still there to read, as text.
    assert!(
        all.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{all}"
    );
    assert!(all.contains("&lt;!channel&gt;") && all.contains("&lt;@U123&gt;"));
    assert!(all.contains("\u{2217}bold\u{2217}"));
    assert!(!all.contains('\u{1}') && !all.contains('\u{202e}'));
    // The figure and the word-level marks are ours.
    assert!(all.contains("£25bn → £17bn"), "{all}");
    assert!(all.contains("~£25bn~") && all.contains("*£17bn*"), "{all}");
    // Page and archive links are there.
    assert!(all.contains("<https://www.gca.gov.uk/agreements/RM6002|"));
    assert!(all.contains("<http://127.0.0.1:8080/diff?url="));
    // Major first: the minor change is listed last.
    let pos = |needle: &str| all.find(needle).unwrap();
    assert!(pos("New lot") > pos("Health Sector Resourcing"));
}

fn bulk(n: i64) -> Vec<Change> {
    (1..=n)
        .map(|i| {
            let (kind, sig) = match i % 5 {
                0 => ("removed", "major"),
                1 => ("changed", "minor"),
                2 => ("changed", "major"),
                3 => ("unlinked", "major"),
                _ => ("moved", "minor"),
            };
            let mut c = if i % 7 == 0 {
                hostile_change(i)
            } else {
                let mut c = rich_change(i);
                c.title = format!(
                    "Agreement {i} — {}",
                    "Technology Products & Services ".repeat(6)
                );
                c
            };
            c.kind = kind.parse().unwrap();
            c.significance = sig.parse().unwrap();
            c
        })
        .collect()
}

#[test]
fn slack_500_changes_make_one_message_within_limits_and_none_is_dropped() {
    let s = settings(
        "https://hooks.slack.com/services/T/B/X",
        WebhookFormat::Slack,
        None,
    );
    let changes = bulk(500);
    let payload = build(&s, &changes, &opts()).unwrap();
    assert_eq!(payload.parts.len(), 1, "one message per run");
    let part = &payload.parts[0];
    let v = check_slack_shape(&part.body);
    let st = part.stats;
    assert_eq!(st.in_full + st.briefly + st.counted, 500, "{st:?}");
    assert!(
        st.in_full >= 3 && st.briefly >= 10 && st.counted > 0,
        "{st:?}"
    );
    assert_eq!(part.change_ids.len(), 500);
    let blocks = v["blocks"].as_array().unwrap();
    let last = blocks.last().unwrap()["text"]["text"].as_str().unwrap();
    assert!(
        last.contains(&format!(
            "…and *{} more changes* not listed here",
            st.counted
        )),
        "{last}"
    );
    assert!(
        last.contains("<http://127.0.0.1:8080/changes?before=501|"),
        "{last}"
    );
    for b in blocks {
        check_mrkdwn_inert(b["text"]["text"].as_str().unwrap(), &allowed_target);
    }
    // Everything shown (in full or briefly) is major while major changes remain unshown.
    let majors = changes
        .iter()
        .filter(|c| c.significance == Significance::Major)
        .count();
    assert!(st.in_full + st.briefly <= majors);
    let shown = blocks.iter().skip(1).take(blocks.len() - 2);
    for b in shown {
        let t = b["text"]["text"].as_str().unwrap();
        assert!(
            !t.contains("*MOVED*"),
            "a minor change shown before majors: {t}"
        );
    }
}

// ---------------------------------------------------------------- teams

fn check_teams_shape(body: &[u8]) -> Value {
    assert!(
        body.len() <= teams::TEAMS_LIMIT_BYTES,
        "{} bytes",
        body.len()
    );
    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["type"], "message");
    let atts = v["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 1, "one card");
    assert_eq!(
        atts[0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert!(atts[0]["contentUrl"].is_null());
    let card = &atts[0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], teams::CARD_VERSION);
    assert!(!card["body"].as_array().unwrap().is_empty());
    v
}

/// Validates the card against Microsoft's published Adaptive Card 1.2 schema (fixture).
fn validate_card(card: &Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    std::fs::write(&path, serde_json::to_vec(card).unwrap()).unwrap();
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/channels/adaptive-card-1.2.schema.json");
    let out = python(
        r#"
import json, sys
from jsonschema import Draft6Validator
schema = json.load(open(sys.argv[1], encoding="utf-8"))
card = json.load(open(sys.argv[2], encoding="utf-8"))
Draft6Validator.check_schema(schema)
errors = list(Draft6Validator(schema).iter_errors(card))
for e in errors[:10]:
    print("schema violation at", list(e.absolute_path), ":", e.message[:300])
print("errors", len(errors))
sys.exit(1 if errors else 0)
"#,
        &[&schema, &path],
    );
    assert!(out.contains("errors 0"), "{out}");
}

/// Page text only ever sits in `TextRun.text` (never read as markdown), links only go to
/// allowed http(s) targets, and no mention entities exist.
fn check_teams_inert(v: &Value) {
    let raw = v.to_string();
    assert!(!raw.contains("msteams") && !raw.contains("entities"));
    let mut all = Vec::new();
    strings(v, &mut all);
    for (holder, key, s) in &all {
        if key == "url" {
            assert!(allowed_target(s), "{holder}.url = {s:?}");
        }
        let page_text = PLANTED.iter().any(|p| s.contains(p)) || s.contains("evil");
        if page_text {
            assert_eq!(
                (holder.as_str(), key.as_str()),
                ("TextRun", "text"),
                "page text in {holder}.{key}: {s:?}"
            );
        }
    }
}

#[tokio::test]
async fn teams_message_is_a_valid_adaptive_card_and_page_text_arrives_inert() {
    let rx = Receiver::start(Answer::Status(202)).await;
    let s = settings(&rx.secret_url(), WebhookFormat::Teams, Some("k"));
    let changes = vec![
        hostile_change(1),
        rich_change(2),
        change(3, "added", "minor", "New lot"),
    ];
    let payload = build(&s, &changes, &opts()).unwrap();
    let (r, recorded) = send(&s, &payload).await;
    r.unwrap();
    assert_eq!(recorded, vec![vec![1, 2, 3]]);
    let got = rx.received();
    let v = check_teams_shape(&got[0].body);
    validate_card(&v["attachments"][0]["content"]);
    check_teams_inert(&v);
    let raw = v.to_string();
    // Still readable, exactly as typed (no look-alikes needed in a TextRun).
    assert!(
        raw.contains("<script>alert(1)</script>") && raw.contains("[link](http://evil.example/x)")
    );
    assert!(!raw.contains('\u{1}') && !raw.contains('\u{202e}'));
    assert!(raw.contains(r#""strikethrough":true"#) && raw.contains(r#""highlight":true"#));
    assert!(raw.contains("https://www.gca.gov.uk/agreements/RM6002"));
}

#[test]
fn teams_500_changes_make_one_card_within_28kb_and_none_is_dropped() {
    let s = settings(
        "https://example.logic.azure.com/workflows/x",
        WebhookFormat::Teams,
        None,
    );
    let changes = bulk(500);
    let payload = build(&s, &changes, &opts()).unwrap();
    assert_eq!(payload.parts.len(), 1);
    let part = &payload.parts[0];
    let v = check_teams_shape(&part.body);
    assert!(
        part.body.len() <= teams::MAX_BYTES,
        "{} bytes",
        part.body.len()
    );
    let st = part.stats;
    assert_eq!(st.in_full + st.briefly + st.counted, 500, "{st:?}");
    assert!(
        st.in_full >= 3 && st.briefly >= 10 && st.counted > 0,
        "{st:?}"
    );
    assert_eq!(part.change_ids.len(), 500);
    let raw = v.to_string();
    assert!(
        raw.contains(&format!("…and {} more changes not listed here", st.counted)),
        "counted"
    );
    assert!(raw.contains("http://127.0.0.1:8080/changes?before=501"));
    validate_card(&v["attachments"][0]["content"]);
    check_teams_inert(&v);
}

// ---------------------------------------------------------------- delivery rules

#[tokio::test]
async fn a_5xx_is_retried_once_then_the_change_is_delivered() {
    let rx = Receiver::start(Answer::Status(200)).await;
    rx.script(vec![Answer::StatusBody(503, "busy".into())]);
    let s = settings(&rx.secret_url(), WebhookFormat::Slack, None);
    let payload = build(&s, &[rich_change(1)], &opts()).unwrap();
    let (r, recorded) = send(&s, &payload).await;
    assert_eq!(r.unwrap().attempts, 2);
    assert_eq!(recorded.len(), 1);
    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body, "the retry sends the same bytes");
}

#[tokio::test]
async fn persistent_500_fails_after_two_attempts_naming_channel_and_host_only() {
    let rx = Receiver::start(Answer::StatusBody(
        500,
        "rollup_error for /services/T0001/B0002/SECRETTOKEN".into(),
    ))
    .await;
    let s = settings(&rx.secret_url(), WebhookFormat::Slack, None);
    let payload = build(&s, &[rich_change(1)], &opts()).unwrap();
    let (r, recorded) = send(&s, &payload).await;
    let err = r.unwrap_err();
    assert!(recorded.is_empty(), "nothing recorded without a 2xx");
    assert_eq!(err.attempts, 2);
    assert_eq!(rx.received().len(), 2);
    let msg = err.to_string();
    assert!(
        msg.starts_with("webhook \"bids channel\": 127.0.0.1:"),
        "{msg}"
    );
    assert!(
        msg.contains("HTTP 500") && msg.contains("rollup_error"),
        "{msg}"
    );
    assert_no_secret(&msg);
    assert_no_secret(&format!("{err:?}"));
}

#[tokio::test]
async fn a_4xx_is_not_retried() {
    let rx = Receiver::start(Answer::StatusBody(400, "invalid_blocks".into())).await;
    let s = settings(&rx.secret_url(), WebhookFormat::Slack, None);
    let payload = build(&s, &[rich_change(1)], &opts()).unwrap();
    let (r, _) = send(&s, &payload).await;
    let err = r.unwrap_err();
    assert_eq!((err.attempts, rx.received().len()), (1, 1));
    assert!(err.to_string().contains("invalid_blocks"));
}

#[tokio::test]
async fn a_slow_receiver_times_out_within_the_bound_and_is_not_retried() {
    let rx = Receiver::start(Answer::Slow(Duration::from_secs(10), 200)).await;
    let s = settings(&rx.secret_url(), WebhookFormat::Json, None);
    let payload = build(&s, &[rich_change(1)], &opts()).unwrap();
    let mut o = fast();
    o.timeout = Duration::from_millis(700);
    let t = Instant::now();
    let r = deliver(&s, &payload, &o, |_| Ok(())).await;
    let took = t.elapsed();
    let err = r.unwrap_err();
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(
        matches!(err.cause, webhook::send::Failure::Timeout { .. }),
        "{err}"
    );
    assert_eq!(
        rx.received().len(),
        1,
        "a timeout is not retried (it may have been received)"
    );
    assert_no_secret(&err.to_string());
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_within_the_bound() {
    let addr = start_silent().await;
    let url = format!("http://{addr}/services/T0001/B0002/SECRETTOKEN");
    let s = settings(&url, WebhookFormat::Teams, None);
    let payload = build(&s, &[rich_change(1)], &opts()).unwrap();
    let mut o = fast();
    o.timeout = Duration::from_millis(700);
    let t = Instant::now();
    let err = deliver(&s, &payload, &o, |_| Ok(())).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(err.to_string().contains("no complete answer"), "{err}");
    assert_no_secret(&err.to_string());
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let other = Receiver::start_on("127.0.0.2:0", Answer::Status(200)).await;
    let rx = Receiver::start(Answer::Redirect(format!("http://{}/steal", other.addr))).await;
    let s = settings(&rx.secret_url(), WebhookFormat::Json, Some("k"));
    let payload = build(&s, &[rich_change(1)], &opts()).unwrap();
    let (r, recorded) = send(&s, &payload).await;
    let err = r.unwrap_err();
    assert!(recorded.is_empty());
    assert_eq!(err.attempts, 1);
    assert!(other.received().is_empty(), "the other host got the body");
    let msg = err.to_string();
    assert!(
        msg.contains("redirect to 127.0.0.2") && msg.contains("not followed"),
        "{msg}"
    );
    assert_no_secret(&msg);
}

#[tokio::test]
async fn an_unreachable_receiver_is_retried_once_and_named_without_its_token() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/services/T0001/B0002/SECRETTOKEN?sig=SECRETSIG");
    let s = settings(&url, WebhookFormat::Json, None);
    let payload = build(&s, &[rich_change(1)], &opts()).unwrap();
    let err = deliver(&s, &payload, &fast(), |_| Ok(()))
        .await
        .unwrap_err();
    assert_eq!(err.attempts, 2);
    let msg = err.to_string();
    assert!(
        msg.contains(&addr.to_string()) && msg.contains("could not be reached"),
        "{msg}"
    );
    assert_no_secret(&msg);
}

#[tokio::test]
async fn a_failed_record_is_reported_and_stops_the_delivery() {
    let rx = Receiver::start(Answer::Status(200)).await;
    let s = settings(&rx.secret_url(), WebhookFormat::Json, None);
    let changes: Vec<Change> = (1..=4).map(rich_change).collect();
    let refs: Vec<&Change> = changes.iter().collect();
    let payload = Payload {
        parts: json::parts_capped(&refs, 10).unwrap(),
        skipped_ids: vec![],
    };
    assert_eq!(
        payload.parts.len(),
        4,
        "one change per part under a tiny cap"
    );
    let err = deliver(&s, &payload, &fast(), |_| Err("database is locked".into()))
        .await
        .unwrap_err();
    assert_eq!(
        rx.received().len(),
        1,
        "no further part after a failed record"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("accepted the message, but recording the delivery failed: database is locked"),
        "{msg}"
    );
}

#[test]
fn dry_run_shows_the_bodies_with_controls_escaped_and_the_url_redacted() {
    let s = settings(
        "https://hooks.slack.com/services/T0001/B0002/SECRETTOKEN",
        WebhookFormat::Json,
        None,
    );
    let mut c = rich_change(1);
    c.title = "evil \u{1b}[2J\u{9b}31m title".into();
    let payload = build(&s, &[c], &opts()).unwrap();
    let text = payload.dry_run_text(&s);
    assert!(
        text.contains("webhook \"bids channel\" (json, https://hooks.slack.com/…)"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(text.contains("evil"));
    assert_no_secret(&text);
}
