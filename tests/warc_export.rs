//! The WARC export, validated by an independent reader: warcio (pip). `warcio check` verifies
//! every block and payload digest, `warcio index` lists the records, `warcio extract
//! --payload` gives back the bytes. These tests FAIL when warcio is missing (CI installs it
//! with `pip install warcio`): an export nobody has read back is not evidence.

use quietwatch::archive::warc::{export_warc, sha1_digest, ExportOptions, WarcError};
use quietwatch::store::{Content, FetchRecord, Store};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const A: &str = "https://www.gca.example/agreements/RM6281";
const HOME: &str = "https://www.gca.example/";
const C: &str = "https://www.nhs.example/framework?id=7&lot=2";
const T0: i64 = 1_769_925_600_000; // 2026-02-01T06:00:00Z
const DAY: i64 = 86_400_000;

const BODY_A: &[u8] = b"<html><p>Market engagement is open. \xa325bn</p>\r\n\x00\xff</html>";
const BODY_B: &[u8] = b"<html><p>Tender closed. \xa317bn</p></html>";
const BODY_HOME: &[u8] = b"<html><h1>Home</h1></html>";
const BODY_C: &[u8] = b"<html><p>NHS framework</p></html>";
const BODY_404: &[u8] = b"<h1>Not found</h1>";

fn ok(run: i64, page: i64, at: i64, body: &[u8]) -> FetchRecord {
    FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run,
            page_id: Some(page),
            purpose: quietwatch::model::FetchPurpose::Page,
            fetched_at: at,
            first_status: Some(200),
            status: Some(200),
            content_type: Some("text/html".into()),
            // As received: the body was gzip on the wire and chunked; the store keeps it
            // decoded.
            headers: vec![
                ("Content-Type".into(), "text/html".into()),
                ("Content-Encoding".into(), "gzip".into()),
                ("Transfer-Encoding".into(), "chunked".into()),
                ("ETag".into(), "\"v1\"".into()),
            ],
            ..Default::default()
        },
        body: Some(body.to_vec()),
        content: Some(Content {
            title: "T".into(),
            text: String::from_utf8_lossy(body).into_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A page fetched on five runs (200, 304, the same bytes, new bytes, a redirect to the home
/// page), another site's page (200, then a 404), a timeout and a robots.txt fetch.
fn fill(path: &Path) {
    let mut s = Store::open(path).unwrap();
    let gca = s.site("GCA").unwrap();
    let nhs = s.site("NHS").unwrap();
    let a = s.ensure_page(gca.id, A, 0, false).unwrap().id;
    let c = s.ensure_page(nhs.id, C, 0, false).unwrap().id;
    let run = s.begin_run("crawl").unwrap();
    s.record_fetch(&FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run,
            purpose: quietwatch::model::FetchPurpose::Robots,
            url: Some("https://www.gca.example/robots.txt".into()),
            fetched_at: T0 - 1000,
            status: Some(200),
            ..Default::default()
        },
        body: Some(b"User-agent: *\nAllow: /\n".to_vec()),
        ..Default::default()
    })
    .unwrap();
    s.record_fetch(&ok(run, a, T0, BODY_A)).unwrap();
    s.record_fetch(&ok(run, c, T0 + 5000, BODY_C)).unwrap();
    s.record_fetch(&FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run,
            page_id: Some(a),
            purpose: quietwatch::model::FetchPurpose::Page,
            fetched_at: T0 + DAY,
            first_status: Some(304),
            status: Some(304),
            ..Default::default()
        },
        not_modified: true,
        ..Default::default()
    })
    .unwrap();
    s.record_fetch(&ok(run, a, T0 + 2 * DAY, BODY_A)).unwrap();
    s.record_fetch(&ok(run, a, T0 + 3 * DAY, BODY_B)).unwrap();
    // Network failure: nothing to record.
    s.record_fetch(&FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run,
            page_id: Some(c),
            purpose: quietwatch::model::FetchPurpose::Page,
            fetched_at: T0 + 3 * DAY + 1,
            error: Some("timeout".into()),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    // Redirected to the home page (two hops), which answers 200.
    s.record_fetch(&FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run,
            page_id: Some(a),
            purpose: quietwatch::model::FetchPurpose::Page,
            fetched_at: T0 + 4 * DAY,
            first_status: Some(301),
            status: Some(200),
            hops: vec![
                (A.into(), 301),
                ("https://www.gca.example/agreements".into(), 302),
            ],
            final_url: Some(HOME.into()),
            headers: vec![("Content-Type".into(), "text/html".into())],
            ..Default::default()
        },
        body: Some(BODY_HOME.to_vec()),
        ..Default::default()
    })
    .unwrap();
    for purpose in [
        quietwatch::model::FetchPurpose::Page,
        quietwatch::model::FetchPurpose::Confirm,
    ] {
        s.record_fetch(&FetchRecord {
            meta: quietwatch::store::FetchMeta {
                run_id: run,
                page_id: Some(c),
                purpose,
                fetched_at: T0 + 4 * DAY + 10,
                first_status: Some(404),
                status: Some(404),
                headers: vec![("Content-Type".into(), "text/html".into())],
                ..Default::default()
            },
            body: Some(BODY_404.to_vec()),
            ..Default::default()
        })
        .unwrap();
    }
}

fn warcio(args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-m")
        .arg("warcio.cli")
        .args(args)
        .output()
        .expect("python3 must be installed to validate the WARC export");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "warcio {args:?} failed (is warcio installed? `pip install warcio`):\n{stdout}\n{stderr}"
    );
    assert!(
        !stderr.to_lowercase().contains("warning") && !stderr.to_lowercase().contains("error"),
        "warcio {args:?} warned: {stderr}"
    );
    stdout
}

fn index(file: &Path) -> Vec<Value> {
    warcio(&[
        "index",
        "-f",
        "offset,warc-type,warc-target-uri,warc-date,warc-payload-digest,warc-profile,\
         warc-refers-to-target-uri,warc-refers-to-date,warc-truncated,warc-concurrent-to,\
         warc-record-id,http:status,http:location,http:content-length,\
         http:x-quietwatch-removed-content-encoding,http:content-encoding",
        file.to_str().unwrap(),
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

#[test]
fn export_is_read_back_by_warcio_with_matching_digests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    fill(&db);
    let store = Store::open_readonly(&db).unwrap();
    let file = dir.path().join("out.warc.gz");
    let summary = export_warc(
        &store,
        &file,
        &ExportOptions {
            user_agent: Some("quietwatch-test/1 (+mailto:t@example.org)".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!dir.path().join("out.warc.gz.tmp").exists());
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        summary.bytes,
        "{summary:?}"
    );

    // Every digest verified by warcio.
    let check = warcio(&["check", "-v", file.to_str().unwrap()]);
    assert!(!check.contains("failed"), "{check}");
    let passes = check.matches("digest pass").count() as u64;
    // warcinfo + responses + requests carry checkable digests; revisits are not checked.
    assert_eq!(
        passes,
        1 + summary.responses + summary.requests,
        "{check}\n{summary:?}"
    );
    assert_eq!(
        check
            .matches("digest present but not checked (revisit)")
            .count() as u64,
        summary.revisits
    );

    let recs = index(&file);
    let types: Vec<&str> = recs.iter().map(|r| s(r, "warc-type")).collect();
    assert_eq!(types[0], "warcinfo");
    // Page A: 200 (response+request), 304 (revisit), same bytes (revisit+request),
    // new bytes (response+request), 2 hops + final (3 responses + 3 requests);
    // page C: 200 (response+request), 404 page + confirm (response+request, then the same
    // 404 body again: revisit+request). The timeout and robots.txt are left out.
    assert_eq!(summary.responses, 1 + 1 + 3 + 1 + 1);
    assert_eq!(summary.revisits, 3);
    assert_eq!(summary.requests, 1 + 1 + 1 + 3 + 1 + 2);
    assert_eq!(summary.skipped, 1);
    assert_eq!(
        recs.len() as u64,
        1 + summary.responses + summary.revisits + summary.requests
    );

    // Target URIs and dates of the responses and revisits, in fetch order.
    let answers: Vec<(&str, &str, &str, &str)> = recs
        .iter()
        .filter(|r| matches!(s(r, "warc-type"), "response" | "revisit"))
        .map(|r| {
            (
                s(r, "warc-type"),
                s(r, "warc-target-uri"),
                s(r, "warc-date"),
                s(r, "http:status"),
            )
        })
        .collect();
    assert_eq!(
        answers,
        vec![
            ("response", A, "2026-02-01T06:00:00Z", "200"),
            ("response", C, "2026-02-01T06:00:05Z", "200"),
            ("revisit", A, "2026-02-02T06:00:00Z", "304"),
            ("revisit", A, "2026-02-03T06:00:00Z", "200"),
            ("response", A, "2026-02-04T06:00:00Z", "200"),
            ("response", A, "2026-02-05T06:00:00Z", "301"),
            (
                "response",
                "https://www.gca.example/agreements",
                "2026-02-05T06:00:00Z",
                "302"
            ),
            ("response", HOME, "2026-02-05T06:00:00Z", "200"),
            ("response", C, "2026-02-05T06:00:00Z", "404"),
            ("revisit", C, "2026-02-05T06:00:00Z", "404"),
        ]
    );

    // Payload digests are the SHA-1 of the stored bodies.
    let by_uri_date = |uri: &str, date: &str| {
        recs.iter()
            .find(|r| {
                matches!(s(r, "warc-type"), "response" | "revisit")
                    && s(r, "warc-target-uri") == uri
                    && s(r, "warc-date") == date
            })
            .unwrap()
            .clone()
    };
    let digest = |b: &[u8]| sha1_digest(&[b]);
    let first = by_uri_date(A, "2026-02-01T06:00:00Z");
    assert_eq!(s(&first, "warc-payload-digest"), digest(BODY_A));
    assert_eq!(s(&first, "http:content-length"), BODY_A.len().to_string());
    assert_eq!(
        s(&first, "http:x-quietwatch-removed-content-encoding"),
        "gzip"
    );
    assert_eq!(s(&first, "http:content-encoding"), "");
    assert_eq!(
        s(
            &by_uri_date(A, "2026-02-04T06:00:00Z"),
            "warc-payload-digest"
        ),
        digest(BODY_B)
    );
    assert_eq!(
        s(
            &by_uri_date(HOME, "2026-02-05T06:00:00Z"),
            "warc-payload-digest"
        ),
        digest(BODY_HOME)
    );
    assert_eq!(
        s(
            &by_uri_date(C, "2026-02-01T06:00:05Z"),
            "warc-payload-digest"
        ),
        digest(BODY_C)
    );

    // Revisits point at the first copy of the bytes.
    let same = by_uri_date(A, "2026-02-03T06:00:00Z");
    assert_eq!(
        s(&same, "warc-profile"),
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    );
    assert_eq!(s(&same, "warc-refers-to-target-uri"), A);
    assert_eq!(s(&same, "warc-refers-to-date"), "2026-02-01T06:00:00Z");
    assert_eq!(s(&same, "warc-payload-digest"), digest(BODY_A));
    let nm = by_uri_date(A, "2026-02-02T06:00:00Z");
    assert_eq!(
        s(&nm, "warc-profile"),
        "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    );
    assert_eq!(s(&nm, "warc-refers-to-date"), "2026-02-01T06:00:00Z");
    assert_eq!(s(&nm, "warc-payload-digest"), digest(BODY_A));

    // Redirect hops: status, Location, empty payload marked as not kept.
    let hop = by_uri_date(A, "2026-02-05T06:00:00Z");
    assert_eq!(
        s(&hop, "http:location"),
        "https://www.gca.example/agreements"
    );
    assert_eq!(s(&hop, "warc-truncated"), "unspecified");
    assert_eq!(s(&hop, "warc-payload-digest"), digest(b""));

    // Requests: each concurrent to a response/revisit, with the configured User-Agent.
    let ids: Vec<&str> = recs
        .iter()
        .filter(|r| s(r, "warc-type") != "request")
        .map(|r| s(r, "warc-record-id"))
        .collect();
    for r in recs.iter().filter(|r| s(r, "warc-type") == "request") {
        assert!(ids.contains(&s(r, "warc-concurrent-to")), "{r}");
    }

    // The payload bytes in the file are exactly the stored bodies.
    for (uri, date, body) in [
        (A, "2026-02-01T06:00:00Z", BODY_A),
        (A, "2026-02-04T06:00:00Z", BODY_B),
        (HOME, "2026-02-05T06:00:00Z", BODY_HOME),
    ] {
        let offset = s(&by_uri_date(uri, date), "offset").to_string();
        let out = Command::new("python3")
            .args(["-m", "warcio.cli", "extract", "--payload"])
            .arg(&file)
            .arg(&offset)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, body, "{uri} {date}");
    }
    let req_offset = recs
        .iter()
        .find(|r| s(r, "warc-type") == "request")
        .map(|r| s(r, "offset").to_string())
        .unwrap();
    let out = Command::new("python3")
        .args(["-m", "warcio.cli", "extract", "--headers"])
        .arg(&file)
        .arg(&req_offset)
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&out.stdout);
    assert!(
        headers.contains("GET /agreements/RM6281 HTTP/1.1"),
        "{headers}"
    );
    assert!(headers.contains("Host: www.gca.example"), "{headers}");
    assert!(
        headers.contains("User-Agent: quietwatch-test/1 (+mailto:t@example.org)"),
        "{headers}"
    );
}

#[test]
fn site_and_since_filters_and_revisits_stay_within_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    fill(&db);
    let store = Store::open_readonly(&db).unwrap();

    let file = dir.path().join("nhs.warc.gz");
    let sum = export_warc(
        &store,
        &file,
        &ExportOptions {
            site: Some("NHS".into()),
            ..Default::default()
        },
    )
    .unwrap();
    warcio(&["check", file.to_str().unwrap()]);
    let recs = index(&file);
    assert!(recs
        .iter()
        .skip(1)
        .all(|r| s(r, "warc-target-uri").starts_with("https://www.nhs.example/")));
    assert_eq!((sum.responses, sum.revisits, sum.requests), (2, 1, 3));
    // The query string survives into the target URI.
    assert!(recs.iter().any(|r| s(r, "warc-target-uri") == C));

    // Since day 2: the first copy of BODY_A in the file is now day 2's, a full response, so
    // the file stands alone.
    let file = dir.path().join("since.warc.gz");
    let sum = export_warc(
        &store,
        &file,
        &ExportOptions {
            site: Some("GCA".into()),
            since_ms: Some(T0 + 2 * DAY),
            ..Default::default()
        },
    )
    .unwrap();
    warcio(&["check", file.to_str().unwrap()]);
    let recs = index(&file);
    let day2 = recs
        .iter()
        .find(|r| s(r, "warc-date") == "2026-02-03T06:00:00Z" && s(r, "warc-type") != "request")
        .unwrap();
    assert_eq!(s(day2, "warc-type"), "response");
    assert_eq!(sum.revisits, 0);
    assert!(recs
        .iter()
        .skip(1)
        .all(|r| s(r, "warc-date") >= "2026-02-03T06:00:00Z"));

    match export_warc(
        &store,
        &dir.path().join("x.warc.gz"),
        &ExportOptions {
            site: Some("Nope".into()),
            ..Default::default()
        },
    ) {
        Err(WarcError::UnknownSite(n)) => assert_eq!(n, "Nope"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_damaged_body_stops_the_export_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    fill(&db);
    {
        let store = Store::open(&db).unwrap();
        let forged = zstd::encode_all(&b"forged"[..], 3).unwrap();
        raw_db(&store)
            .execute(
                "UPDATE bodies SET data = ?1 WHERE sha256 = ?2",
                rusqlite::params![forged, &quietwatch::store::sha256(BODY_B)[..]],
            )
            .unwrap();
    }
    let store = Store::open_readonly(&db).unwrap();
    let file = dir.path().join("bad.warc.gz");
    let e = export_warc(&store, &file, &ExportOptions::default()).unwrap_err();
    assert!(matches!(e, WarcError::BodyMismatch { .. }), "{e}");
    assert!(!file.exists());
    assert!(!dir.path().join("bad.warc.gz.tmp").exists());
}

/// The archive's file opened directly, as an independent reader (or a forger) would.
fn raw_db(store: &quietwatch::store::Store) -> rusqlite::Connection {
    rusqlite::Connection::open(store.path()).expect("open the archive file")
}
