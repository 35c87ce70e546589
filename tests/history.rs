//! History as evidence, against a real SQLite store filled through the Store API: a page
//! fetched on several runs with planted changes (a 304, a rewrite, a noise-only rewrite, a
//! timeout, a 404 confirmed and filed as `removed`).

use quietwatch::archive::history::{self, HistoryError};
use quietwatch::archive::search;
use quietwatch::model::{ChangeDetail, ChangeKind, PageState, Significance};
use quietwatch::output::{json, text};
use quietwatch::store::{
    now_ms, Content, FetchRecord, NewChange, PageUpdate, SiteRunRecord, Store,
};
use std::thread::sleep;
use std::time::Duration;

const URL: &str = "https://www.gca.example/agreements/RM6281";

/// Raw bytes of the first version: not valid UTF-8, CRLF line ends — `--raw` must keep them.
const BODY_A: &[u8] = b"<html><title>RM6281</title>\r\n<p>Market engagement is open. \xff\xfe\
Value \xa325bn.</p></html>";
const TEXT_A: &str = "RM6281 Health Sector Resourcing\nMarket engagement is open.\nValue £25bn.";
const BODY_B: &[u8] = b"<html><title>RM6281</title><p>Tender closed. Value \xa317bn.</p>\
<input type=hidden value=tok1></html>";
const BODY_B2: &[u8] = b"<html><title>RM6281</title><p>Tender closed. Value \xa317bn.</p>\
<input type=hidden value=tok2></html>";
const BODY_B3: &[u8] = b"<html><title>RM6281</title><p>Tender closed. Value \xa317bn.</p>\
<input type=hidden value=tok3></html>";
const TEXT_B: &str = "RM6281 Health Sector Resourcing\nTender closed.\nValue £17bn.";

struct Planted {
    store: Store,
    _dir: tempfile::TempDir,
    /// fetched_at of each run's page fetch, run 1..=8 at index 0..=7.
    t: Vec<i64>,
    v_a: i64,
    v_b: i64,
    v_b2: i64,
    v_b3: i64,
    other_url: &'static str,
}

fn tick() -> i64 {
    sleep(Duration::from_millis(3));
    let t = now_ms();
    sleep(Duration::from_millis(3));
    t
}

fn ok_fetch(run: i64, page: i64, at: i64, body: &[u8], text: &str) -> FetchRecord {
    FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run,
            page_id: Some(page),
            purpose: quietwatch::model::FetchPurpose::Page,
            fetched_at: at,
            duration_ms: 40,
            first_status: Some(200),
            status: Some(200),
            content_type: Some("text/html; charset=windows-1252".into()),
            headers: vec![
                (
                    "content-type".into(),
                    "text/html; charset=windows-1252".into(),
                ),
                ("etag".into(), "\"e1\"".into()),
            ],
            etag: Some("\"e1\"".into()),
            ..Default::default()
        },
        body: Some(body.to_vec()),
        content: Some(Content {
            facts: Vec::new(),
            title: "Health Sector Resourcing".into(),
            text: text.into(),
            links: vec![],
            documents: vec![],
            ..Default::default()
        }),
        remember_validators: true,
        ..Default::default()
    }
}

fn detect(
    store: &mut Store,
    run: i64,
    site: &quietwatch::store::SiteRow,
    page: i64,
    state: PageState,
    change: Option<NewChange>,
) {
    let update = PageUpdate {
        page_id: page,
        state,
        reported_version: store.page(page).unwrap().unwrap().latest_version,
        fail_streak: 0,
        linked: true,
        redirect_to: None,
    };
    let changes: Vec<NewChange> = change.into_iter().collect();
    store
        .apply_detection(
            run,
            site,
            &[],
            &[update],
            &changes,
            false,
            &SiteRunRecord {
                outcome: quietwatch::model::SiteOutcome::Ok,
                ..Default::default()
            },
        )
        .unwrap();
}

fn change(page: i64, kind: ChangeKind, summary: &str, from: i64, to: Option<i64>) -> NewChange {
    NewChange {
        facts: Vec::new(),
        page_id: page,
        url: URL.into(),
        kind,
        significance: Significance::Major,
        title: "Health Sector Resourcing".into(),
        summary: summary.into(),
        from_version: Some(from),
        to_version: to,
        http_status: Some(if kind == ChangeKind::Removed {
            404
        } else {
            200
        }),
        redirect_to: None,
        words_added: 3,
        words_removed: 4,
        similarity: Some(0.5),
        phrase: None,
        detail: ChangeDetail::default(),
    }
}

fn planted() -> Planted {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let site = store.site("GCA agreements").unwrap();
    let page = store.ensure_page(site.id, URL, 0, false).unwrap().id;
    store
        .add_alias(site.id, "https://www.gca.example/rm6281", page)
        .unwrap();
    // A second page that keeps the phrase: search must call it "still there".
    let other_url = "https://www.gca.example/agreements/RM1557.14";
    let other = store.ensure_page(site.id, other_url, 0, false).unwrap().id;
    let mut t = Vec::new();

    // Run 1: version A.
    let run = store.begin_run("crawl").unwrap();
    t.push(tick());
    let v_a = store
        .record_fetch(&ok_fetch(run, page, t[0], BODY_A, TEXT_A))
        .unwrap()
        .version_id
        .unwrap();
    store
        .record_fetch(&ok_fetch(
            run,
            other,
            t[0],
            b"<p>other</p>",
            "Market engagement for RM1557.14 is open.",
        ))
        .unwrap();
    detect(&mut store, run, &site, page, PageState::Live, None);

    // Run 2: 304 Not Modified.
    let run = store.begin_run("crawl").unwrap();
    t.push(tick());
    store
        .record_fetch(&FetchRecord {
            meta: quietwatch::store::FetchMeta {
                run_id: run,
                page_id: Some(page),
                purpose: quietwatch::model::FetchPurpose::Page,
                fetched_at: t[1],
                first_status: Some(304),
                status: Some(304),
                ..Default::default()
            },
            not_modified: true,
            ..Default::default()
        })
        .unwrap();
    detect(&mut store, run, &site, page, PageState::Live, None);

    // Run 3: the same bytes again.
    let run = store.begin_run("crawl").unwrap();
    t.push(tick());
    store
        .record_fetch(&ok_fetch(run, page, t[2], BODY_A, TEXT_A))
        .unwrap();
    detect(&mut store, run, &site, page, PageState::Live, None);

    // Run 4: rewritten — the phrase is gone, £25bn became £17bn.
    let run = store.begin_run("crawl").unwrap();
    t.push(tick());
    let v_b = store
        .record_fetch(&ok_fetch(run, page, t[3], BODY_B, TEXT_B))
        .unwrap()
        .version_id
        .unwrap();
    detect(
        &mut store,
        run,
        &site,
        page,
        PageState::Live,
        Some(change(
            page,
            ChangeKind::Changed,
            "£25bn → £17bn",
            v_a,
            Some(v_b),
        )),
    );

    // Run 5: new bytes (a rotating token), same text.
    let run = store.begin_run("crawl").unwrap();
    t.push(tick());
    let v_b2 = store
        .record_fetch(&ok_fetch(run, page, t[4], BODY_B2, TEXT_B))
        .unwrap()
        .version_id
        .unwrap();
    detect(&mut store, run, &site, page, PageState::Live, None);

    // Run 6: the token rotates again.
    let run = store.begin_run("crawl").unwrap();
    t.push(tick());
    let v_b3 = store
        .record_fetch(&ok_fetch(run, page, t[5], BODY_B3, TEXT_B))
        .unwrap()
        .version_id
        .unwrap();
    detect(&mut store, run, &site, page, PageState::Live, None);

    // Run 7: timeout.
    let run = store.begin_run("crawl").unwrap();
    t.push(tick());
    store
        .record_fetch(&FetchRecord {
            meta: quietwatch::store::FetchMeta {
                run_id: run,
                page_id: Some(page),
                purpose: quietwatch::model::FetchPurpose::Page,
                fetched_at: t[6],
                duration_ms: 30_000,
                error: Some("timeout after 30 s".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    detect(&mut store, run, &site, page, PageState::Live, None);

    // Run 8: 404, confirmed, filed as removed.
    let run = store.begin_run("crawl").unwrap();
    t.push(tick());
    for purpose in [
        quietwatch::model::FetchPurpose::Page,
        quietwatch::model::FetchPurpose::Confirm,
    ] {
        store
            .record_fetch(&FetchRecord {
                meta: quietwatch::store::FetchMeta {
                    run_id: run,
                    page_id: Some(page),
                    purpose,
                    fetched_at: t[7],
                    first_status: Some(404),
                    status: Some(404),
                    headers: vec![("content-type".into(), "text/html".into())],
                    ..Default::default()
                },
                body: Some(b"<h1>Page not found</h1>".to_vec()),
                ..Default::default()
            })
            .unwrap();
    }
    detect(
        &mut store,
        run,
        &site,
        page,
        PageState::Removed,
        Some(change(
            page,
            ChangeKind::Removed,
            "page removed (HTTP 404)",
            v_b3,
            None,
        )),
    );

    Planted {
        store,
        _dir: dir,
        t,
        v_a,
        v_b,
        v_b2,
        v_b3,
        other_url,
    }
}

#[test]
fn version_at_between_runs_returns_the_version_live_then() {
    let p = planted();
    let mid = |a: usize, b: usize| Some((p.t[a] + p.t[b]) / 2);

    // Between run 2 (304) and run 3: still version A.
    let v = history::version_at(&p.store, URL, mid(1, 2)).unwrap();
    assert_eq!(v.version.span.id, p.v_a);
    assert_eq!(v.version.text, TEXT_A);
    assert_eq!(v.version.span.first_seen, p.t[0]);
    assert_eq!(v.version.span.last_seen, p.t[2]);
    assert_eq!(v.version.span.seen_count, 3);
    assert!(v.later_check.is_none());
    let header = text::render_show_header(&v);
    assert!(header.contains(&format!("version {}", p.v_a)), "{header}");
    assert!(header.contains("HTTP 200"), "{header}");
    assert!(
        header.contains(&hex::encode(quietwatch::store::sha256(BODY_A))),
        "{header}"
    );
    assert!(header.contains("(3 checks)"), "{header}");
    assert!(header.contains('Z'), "{header}");
    assert!(!header.contains("no longer"), "{header}");

    // Exactly at run 4: the new version.
    let v = history::version_at(&p.store, URL, Some(p.t[3])).unwrap();
    assert_eq!(v.version.span.id, p.v_b);
    let v = history::version_at(&p.store, URL, mid(4, 5)).unwrap();
    assert_eq!(v.version.span.id, p.v_b2);

    // After the timeout, before the 404: a failure says nothing about content.
    let v = history::version_at(&p.store, URL, mid(6, 7)).unwrap();
    assert_eq!(v.version.span.id, p.v_b3);
    assert!(v.later_check.is_none(), "{:?}", v.later_check);

    // Before the first fetch: an error that says when the first version was.
    let e = history::version_at(&p.store, URL, Some(p.t[0] - 1)).unwrap_err();
    assert!(matches!(e, HistoryError::NoVersionYet { .. }), "{e}");
    assert!(
        e.to_string()
            .contains(&quietwatch::store::format_ms(p.t[0])),
        "{e}"
    );

    // Latest: the last version served, flagged as no longer served (the page is a 404 now).
    let v = history::version_at(&p.store, URL, None).unwrap();
    assert_eq!(v.version.span.id, p.v_b3);
    assert_eq!(
        v.later_check.as_ref().and_then(|f| f.meta.status),
        Some(404)
    );
    let header = text::render_show_header(&v);
    assert!(header.contains("no longer serves this version"), "{header}");
    assert!(header.contains("HTTP 404"), "{header}");

    // Through an alias and a trailing-slash twin, and a fragment.
    let v = history::version_at(&p.store, "https://www.gca.example/rm6281", mid(0, 1)).unwrap();
    assert_eq!(v.version.span.id, p.v_a);
    let v = history::version_at(&p.store, &format!("{URL}/"), mid(0, 1)).unwrap();
    assert_eq!(v.version.span.id, p.v_a);
    let v = history::version_at(&p.store, &format!("{URL}#top"), mid(0, 1)).unwrap();
    assert_eq!(v.version.span.id, p.v_a);
    assert!(matches!(
        history::version_at(&p.store, "https://www.gca.example/nope", None),
        Err(HistoryError::UnknownPage { .. })
    ));
}

#[test]
fn raw_body_is_byte_identical_to_what_was_recorded() {
    let p = planted();
    let v = history::version_at(&p.store, URL, Some(p.t[1])).unwrap();
    assert_eq!(history::raw_body(&p.store, &v).unwrap(), BODY_A);
    let v = history::version_at(&p.store, URL, Some(p.t[4])).unwrap();
    assert_eq!(history::raw_body(&p.store, &v).unwrap(), BODY_B2);
}

#[test]
fn raw_body_refuses_bytes_that_do_not_match_their_hash() {
    let p = planted();
    let v = history::version_at(&p.store, URL, Some(p.t[1])).unwrap();
    // Damage the stored body behind the store's back.
    let forged = zstd::encode_all(&b"forged"[..], 3).unwrap();
    raw_db(&p.store)
        .execute(
            "UPDATE bodies SET data = ?1 WHERE id = ?2",
            rusqlite::params![forged, v.version.span.body_id],
        )
        .unwrap();
    let e = history::raw_body(&p.store, &v).unwrap_err();
    assert!(matches!(e, HistoryError::BodyMismatch { .. }), "{e}");
}

#[test]
fn search_reports_when_a_phrase_vanished() {
    let p = planted();
    let hits = search::search(&p.store, "market engagement").unwrap();
    assert_eq!(hits.len(), 2, "{hits:?}");
    // Sorted by URL: RM1557.14 before RM6281.
    assert_eq!(hits[0].url, p.other_url);
    assert!(hits[0].present_now);
    let h = &hits[1];
    assert_eq!(h.url, URL);
    assert!(!h.present_now);
    assert_eq!(h.version_ids, vec![p.v_a]);
    assert_eq!(h.first_seen, p.t[0]);
    // The last time the old version was seen: run 3, not the 304 of run 2 nor run 4.
    assert_eq!(h.last_seen, p.t[2]);
    assert_eq!(h.gone_in_version, Some(p.v_b));
    assert_eq!(h.gone_since, Some(p.t[3]));
    let text = text::render_search(&hits, "market engagement");
    assert!(text.contains("still there"), "{text}");
    assert!(
        text.contains(&format!(
            "gone since the version of {}",
            quietwatch::store::format_ms(p.t[3])
        )),
        "{text}"
    );

    // The newer figure: in the latest version, but the page is removed now.
    let hits = search::search(&p.store, "£17bn").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].version_ids, vec![p.v_b, p.v_b2, p.v_b3]);
    assert!(!hits[0].present_now);
    assert_eq!(hits[0].page_state.as_str(), "removed");
    assert!(text::render_search(&hits, "£17bn").contains("page removed since"));

    // Numbers with FTS syntax characters, prefixes, explicit phrases, expressions.
    assert_eq!(search::search(&p.store, "RM1557.14").unwrap().len(), 1);
    assert_eq!(search::search(&p.store, "RM6281").unwrap().len(), 1);
    assert_eq!(search::search(&p.store, "£25bn").unwrap().len(), 1);
    assert_eq!(search::search(&p.store, "engag*").unwrap().len(), 2);
    assert_eq!(
        search::search(&p.store, "\"market engagement\"")
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        search::search(&p.store, "\"tender closed\" OR RM1557.14")
            .unwrap()
            .len(),
        2
    );
    // A phrase is a phrase: both words present but not together is no hit.
    assert!(search::search(&p.store, "engagement market")
        .unwrap()
        .is_empty());
    assert!(text::render_search(&[], "zzz").contains("no stored version"));
}

#[test]
fn bad_search_syntax_is_a_clear_error() {
    let p = planted();
    for q in [
        "\"market engagement",
        "(tender",
        "tender AND",
        "NOT tender",
        "",
    ] {
        let e = search::search(&p.store, q).unwrap_err();
        assert!(
            matches!(e, HistoryError::BadQuery { .. } | HistoryError::EmptyQuery),
            "{q:?}: {e:?}"
        );
        if !q.is_empty() {
            assert!(e.to_string().contains("not valid"), "{q:?}: {e}");
        }
    }
}

#[test]
fn history_collapses_runs_and_lists_changes_failures_and_statuses() {
    let p = planted();
    let h = history::page_history(&p.store, "https://www.gca.example/rm6281").unwrap();
    assert_eq!(h.page.url, URL);
    assert_eq!(h.versions.len(), 4);
    assert_eq!(h.fetches.len(), 9);
    assert_eq!(h.changes.len(), 2);
    let text = text::render_history(&h);
    let fm = quietwatch::store::format_ms;
    // Runs 1–3 collapse into one line; what each check was answered is counted (issue 13:
    // "41 checks: 200 ×3, 304 ×38"), the 304 as such.
    assert!(
        text.contains(&format!(
            "unchanged {} → {}, 3 checks: 200 ×2, 304 ×1",
            fm(p.t[0]),
            fm(p.t[2])
        )),
        "{text}"
    );
    assert!(text.contains("** changed (major): £25bn → £17bn"), "{text}");
    // After the change, a noise-only rewrite: named as such, and collapsed with the next.
    assert!(
        text.contains(&format!("same text as version {}", p.v_b)),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "versions {}–{} have the same text",
            p.v_b2, p.v_b3
        )),
        "{text}"
    );
    assert!(text.contains("fetch failed: timeout after 30 s"), "{text}");
    assert!(text.contains("HTTP 404 — 2 checks"), "{text}");
    assert!(text.contains("** removed (major)"), "{text}");
    assert!(text.contains("state removed since"), "{text}");
    // Chronological: the change is detected after the fetch that brought version B.
    let pos = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} not in {text}"));
    assert!(pos("3 checks") < pos(&format!("version {}:", p.v_b)));
    assert!(pos(&format!("version {}:", p.v_b)) < pos("** changed"));
    assert!(pos("** changed") < pos(&format!("version {}:", p.v_b2)));
    assert!(pos("fetch failed") < pos("HTTP 404"));
    assert!(pos("HTTP 404") < pos("** removed"));

    let events = json::history_json(&h);
    assert_eq!(events.len(), 9 + 4 + 2);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "fetch");
    assert_eq!(kinds[1], "version");
    assert_eq!(kinds.iter().filter(|k| **k == "change").count(), 2);
    let times: Vec<i64> = events
        .iter()
        .map(|e| e["at_ms"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(events[2]["not_modified"], true);
    assert_eq!(events.last().unwrap()["kind"], "removed");
    assert!(events[0]["at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn diff_any_two_versions() {
    let p = planted();
    // Default: the last two versions, which read the same.
    let (old, new) = history::diff_versions(&p.store, URL, None, None).unwrap();
    assert_eq!((old.version.span.id, new.version.span.id), (p.v_b2, p.v_b3));
    assert!(text::render_diff(&old, &new, false).contains("text is identical"));
    // Non-consecutive: version A against the latest.
    let (old, new) = history::diff_versions(&p.store, URL, Some(p.t[1]), None).unwrap();
    assert_eq!((old.version.span.id, new.version.span.id), (p.v_a, p.v_b3));
    let d = text::render_diff(&old, &new, false);
    assert!(d.contains("-Market engagement is open."), "{d}");
    assert!(d.contains("+Tender closed."), "{d}");
    // `to` alone: that version against the one before it.
    let (old, new) = history::diff_versions(&p.store, URL, None, Some(p.t[3])).unwrap();
    assert_eq!((old.version.span.id, new.version.span.id), (p.v_a, p.v_b));
}

#[test]
fn diff_of_a_single_version_page_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let site = store.site("S").unwrap();
    let page = store.ensure_page(site.id, URL, 0, false).unwrap().id;
    let run = store.begin_run("crawl").unwrap();
    store
        .record_fetch(&ok_fetch(run, page, now_ms(), BODY_A, TEXT_A))
        .unwrap();
    let e = history::diff_versions(&store, URL, None, None).unwrap_err();
    assert!(matches!(e, HistoryError::NotEnoughVersions { .. }), "{e}");
}

/// 50,000 versions with distinct texts; search answers from the index. (Timing lives in
/// benches/history.rs; this checks the answers at that size.)
#[test]
fn search_on_50000_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.db");
    let t0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    support::fill_big_store(&path, 50_000, 20, t0);
    let store = Store::open_readonly(&path).unwrap();
    let n: i64 = raw_db(&store)
        .query_row("SELECT COUNT(*) FROM versions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 50_000);

    // In every version of page 7 but the last two: gone since version 48.
    let hits = search::search(&store, "market engagement").unwrap();
    assert_eq!(hits.len(), support::PAGES as usize);
    let gone = hits.iter().filter(|h| !h.present_now).collect::<Vec<_>>();
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert!(gone[0].url.ends_with("/page/7"));
    assert!(gone[0].gone_since.is_some());
    // A unique token in exactly one version.
    let hits = search::search(&store, "tok31337x").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].version_ids.len(), 1);
}

#[path = "history_bulk/mod.rs"]
mod support;

/// The archive's file opened directly, as an independent reader (or a forger) would.
fn raw_db(store: &quietwatch::store::Store) -> rusqlite::Connection {
    rusqlite::Connection::open(store.path()).expect("open the archive file")
}
