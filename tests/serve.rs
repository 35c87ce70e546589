//! HTTP tests of every `serve` route, over real loopback HTTP: against an archive filled
//! through the Store API (see `tests/browser/fixture.rs`), whose corner cases a crawl cannot
//! produce on demand, and against an archive filled by a real crawl of the bundled demo site
//! (`every_route_over_a_real_crawl_of_the_demo_site`).

mod common;
#[path = "browser/fixture.rs"]
#[allow(dead_code)]
mod fixture;
#[path = "browser/html.rs"]
mod html;

use common::Harness;
use fixture::{at, CHANGED_URL, NHS_URL, REMOVED_URL};
use html::{enc, marked};
use quietwatch::links::{change_link, diff_link, page_link};
use quietwatch::model::PageState;
use quietwatch::serve::CSP;
use quietwatch::store::{NewChange, PageUpdate, SiteRunRecord, Store};
use quietwatch_fixture::demo_site;
use reqwest::StatusCode;

struct Got {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn get(base: &str, path: &str) -> Got {
    let resp = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap();
    // Every response, whatever its status, carries the security headers.
    assert_eq!(headers["content-security-policy"], CSP, "{path}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    Got {
        status,
        headers,
        body,
    }
}

async fn setup() -> (tempfile::TempDir, fixture::Fixture, String) {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture::build(dir.path());
    let base = fixture::start(fx.db.clone()).await;
    (dir, fx, base)
}

#[tokio::test]
async fn index_lists_sites_counts_last_run_and_recent_changes() {
    let (_d, _fx, base) = setup().await;
    let g = get(&base, "/").await;
    assert_eq!(g.status, StatusCode::OK);
    assert!(g.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let b = &g.body;
    assert!(
        b.contains("GCA agreements") && b.contains("NHS England"),
        "{b}"
    );
    assert!(b.contains("removed 1") && b.contains("live 1"), "{b}");
    // The last run of any command, and each site's last outcome.
    assert!(b.contains("no changes"), "{b}");
    assert!(b.contains("outcome-ok"), "{b}");
    // Recent changes, newest first, with a diff permalink for the changed page.
    assert!(b.contains("answers 404 (confirmed)"), "{b}");
    let nhs = b.find("2 words added").unwrap();
    let gca = b.find("£25bn → £17bn").unwrap();
    assert!(nhs < gca, "newest first");
    assert!(b.contains(&format!("/page?url={}", enc(REMOVED_URL)).replace('&', "&amp;")));
    // A stored title with markup comes back escaped.
    assert!(b.contains("Legal Services &lt;b&gt;panel&lt;/b&gt;"), "{b}");
    assert!(!b.contains("<b>panel"), "{b}");
    // All times in UTC, said so.
    assert!(b.contains("UTC") && b.contains("Z\">"), "{b}");
}

#[tokio::test]
async fn stylesheet_and_unknown_paths() {
    let (_d, _fx, base) = setup().await;
    let css = get(&base, "/static/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(css.body.contains("del {"));
    let missing = get(&base, "/no/such/thing").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Not found"));
}

#[tokio::test]
async fn site_lists_its_pages_and_filters_by_state() {
    let (_d, _fx, base) = setup().await;
    let g = get(&base, "/site?name=GCA+agreements").await;
    assert_eq!(g.status, StatusCode::OK);
    assert!(g.body.contains(CHANGED_URL) && g.body.contains(REMOVED_URL));
    assert!(!g.body.contains(NHS_URL));
    let removed = get(&base, "/site?name=GCA+agreements&state=removed").await;
    assert!(removed.body.contains(REMOVED_URL));
    assert!(!removed.body.contains(CHANGED_URL));
    assert_eq!(
        get(&base, "/site?name=Nobody").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&base, "/site").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn changes_filter_by_kind_significance_site_and_date() {
    let (_d, _fx, base) = setup().await;
    let all = get(&base, "/changes").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body.matches("<tr id=\"change-").count(), 3);

    let removed = get(&base, "/changes?kind=removed").await;
    assert_eq!(removed.body.matches("<tr id=\"change-").count(), 1);
    assert!(removed.body.contains("answers 404"));
    // The filter form shows what is selected.
    assert!(removed.body.contains("<option value=\"removed\" selected>"));

    let minor = get(&base, "/changes?significance=minor").await;
    assert_eq!(minor.body.matches("<tr id=\"change-").count(), 1);
    assert!(minor.body.contains("2 words added"));

    let nhs = get(&base, "/changes?site=NHS+England&kind=&significance=").await;
    assert_eq!(nhs.body.matches("<tr id=\"change-").count(), 1);

    let old = get(&base, "/changes?since=2000-01-01").await;
    assert_eq!(old.body.matches("<tr id=\"change-").count(), 3);
    let future = get(&base, "/changes?since=2999-01-01").await;
    assert_eq!(future.body.matches("<tr id=\"change-").count(), 0);
    assert!(future.body.contains("No change matches"));

    for bad in [
        "/changes?kind=vanished",
        "/changes?significance=huge",
        "/changes?since=yesterday",
        "/changes?before=x",
    ] {
        let g = get(&base, bad).await;
        assert_eq!(g.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(g.body.contains("Bad request"), "{bad}");
    }
}

#[tokio::test]
async fn changes_are_paginated_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("many.db");
    {
        let mut s = Store::open(&db).unwrap();
        let site = s.site("Many").unwrap();
        let page = s.ensure_page(site.id, "https://e.org/p", 0, false).unwrap();
        let run = s.begin_run("run").unwrap();
        let changes: Vec<NewChange> = (0..205)
            .map(|i| NewChange {
                facts: Vec::new(),
                page_id: page.id,
                url: "https://e.org/p".into(),
                kind: quietwatch::model::ChangeKind::Changed,
                significance: quietwatch::model::Significance::Minor,
                title: "P".into(),
                summary: format!("change number {i:03}"),
                from_version: None,
                to_version: None,
                http_status: Some(200),
                redirect_to: None,
                words_added: 1,
                words_removed: 1,
                similarity: None,
                phrase: None,
                detail: Default::default(),
            })
            .collect();
        s.apply_detection(
            run,
            &site,
            &[],
            &[PageUpdate {
                page_id: page.id,
                state: PageState::Live,
                reported_version: None,
                fail_streak: 0,
                linked: true,
                redirect_to: None,
            }],
            &changes,
            false,
            &SiteRunRecord {
                outcome: quietwatch::model::SiteOutcome::Ok,
                ..Default::default()
            },
        )
        .unwrap();
    }
    let base = fixture::start(db).await;
    let mut path = "/changes?site=Many".to_string();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let g = get(&base, &path).await;
        assert_eq!(g.status, StatusCode::OK);
        seen.push(g.body.matches("<tr id=\"change-").count());
        let older = g
            .body
            .split("<a href=\"")
            .filter_map(|s| s.split('"').next())
            .find(|h| h.contains("before="))
            .map(|h| h.replace("&amp;", "&"));
        match older {
            Some(h) => {
                assert!(h.contains("site=Many"), "filters kept: {h}");
                path = h;
            }
            None => break,
        }
    }
    assert_eq!(seen, vec![100, 100, 5]);
    let first = get(&base, "/changes").await;
    let a = first.body.find("change number 204").unwrap();
    let b = first.body.find("change number 203").unwrap();
    assert!(a < b);
    assert!(!first.body.contains("change number 104"));
}

#[tokio::test]
async fn page_timeline_has_versions_changes_errors_and_a_get_form() {
    let (_d, fx, base) = setup().await;
    let g = get(&base, &format!("/page?url={}", enc(CHANGED_URL))).await;
    assert_eq!(g.status, StatusCode::OK);
    let b = &g.body;
    // The picker: a GET form to /diff with the page URL and two radio columns.
    assert!(
        b.contains("<form class=\"picker\" method=\"get\" action=\"/diff\">"),
        "{b}"
    );
    assert!(b.contains("<input type=\"hidden\" name=\"url\" value=\"https://www.gca.gov.uk/agreements/RM6281\">"), "{b}");
    // v2 and v3 share their text: one row, standing for v3; v1 is its own row.
    for (name, id) in [("from", fx.v1), ("to", fx.v3)] {
        assert!(
            b.contains(&format!("name=\"{name}\" value=\"{id}\"")),
            "{name} {id}: {b}"
        );
    }
    assert!(!b.contains(&format!("name=\"to\" value=\"{}\"", fx.v2)));
    assert!(
        b.contains(&format!(
            "name=\"from\" value=\"{}\" aria-label=\"from version {}\" checked",
            fx.v1, fx.v1
        )),
        "{b}"
    );
    assert!(
        b.contains(&format!(
            "name=\"to\" value=\"{}\" aria-label=\"to version {}\" checked",
            fx.v3, fx.v3
        )),
        "{b}"
    );
    assert!(b.contains("2 bodies, same text"), "{b}");
    assert!(b.contains(&format!("href=\"/version/{}\"", fx.v2)));
    // v1 was seen twice (runs 1 and 2), from its first to its last check.
    assert!(
        b.contains("2026-02-01 06:00:00 UTC") && b.contains("2026-02-02 06:00:00 UTC"),
        "{b}"
    );
    // The change, with its kind and a diff permalink.
    assert!(b.contains("kind-changed") && b.contains("£25bn → £17bn"));
    assert!(b.contains(&diff_link("", CHANGED_URL, fx.v1, fx.v2).replace('&', "&amp;")));

    let r = get(&base, &format!("/page?url={}", enc(REMOVED_URL))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("state-removed"));
    assert!(
        r.body.contains("Fetch problems") && r.body.contains("<td>404</td>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("confirm"));

    // The trailing-slash twin of a known page finds it.
    let twin = get(
        &base,
        &format!("/page?url={}", enc(NHS_URL.trim_end_matches('/'))),
    )
    .await;
    assert_eq!(twin.status, StatusCode::OK);

    // A URL with a fragment is the page without it (as `quietwatch history` reads it).
    let fragment = get(
        &base,
        &format!("/page?url={}", enc(&format!("{CHANGED_URL}#lots"))),
    )
    .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.body.contains("kind-changed"));

    let unknown = get(&base, "/page?url=https%3A%2F%2Fnowhere.example%2F").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("no page at https://nowhere.example"));
    assert_eq!(get(&base, "/page").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn version_shows_escaped_text_and_evidence() {
    let (_d, fx, base) = setup().await;
    let g = get(&base, &format!("/version/{}", fx.v1)).await;
    assert_eq!(g.status, StatusCode::OK);
    let b = &g.body;
    assert!(b.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{b}");
    assert!(!b.contains("<script>alert"), "{b}");
    assert!(b.contains("Market engagement opens on 1 March 2026."));
    let sha = hex::encode(quietwatch::store::sha256(&fx.v1_body));
    assert!(b.contains(&sha), "{b}");
    assert!(b.contains("2026-02-01 06:00:00 UTC") && b.contains("2026-02-02 06:00:00 UTC"));
    assert!(b.contains("2 checks"));
    assert!(b.contains("HTTP 200"));
    assert!(b.contains(&format!("href=\"/version/{}/raw\"", fx.v1)));
    assert!(
        b.contains(&format!("href=\"/version/{}\"", fx.v2)),
        "newer link"
    );

    for (path, status) in [
        ("/version/999999".to_string(), StatusCode::NOT_FOUND),
        ("/version/abc".to_string(), StatusCode::NOT_FOUND),
        ("/version/999999/raw".to_string(), StatusCode::NOT_FOUND),
    ] {
        let g = get(&base, &path).await;
        assert_eq!(g.status, status, "{path}");
        assert!(g.body.contains("Not found"), "{path}");
    }
}

#[tokio::test]
async fn raw_is_an_attachment_with_the_exact_bytes() {
    let (_d, fx, base) = setup().await;
    let resp = reqwest::get(format!("{base}/version/{}/raw", fx.v1))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(
        h["content-disposition"],
        format!("attachment; filename=\"RM6281-v{}.html\"", fx.v1)
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], CSP);
    assert_eq!(
        h["x-content-sha256"],
        hex::encode(quietwatch::store::sha256(&fx.v1_body)).as_str()
    );
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..], &fx.v1_body[..]);

    // Bytes that no longer match their recorded hash are never handed over as evidence.
    let store = quietwatch::store::Store::open(&fx.db).unwrap();
    let body_id: i64 = raw_db(&store)
        .query_row("SELECT body_id FROM versions WHERE id = ?1", [fx.v1], |r| {
            r.get(0)
        })
        .unwrap();
    let forged = zstd::encode_all(&b"forged"[..], 3).unwrap();
    raw_db(&store)
        .execute(
            "UPDATE bodies SET data = ?1 WHERE id = ?2",
            rusqlite::params![forged, body_id],
        )
        .unwrap();
    let resp = reqwest::get(format!("{base}/version/{}/raw", fx.v1))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!resp.bytes().await.unwrap().starts_with(b"forged"));
}

#[tokio::test]
async fn diff_shows_side_by_side_and_inline_word_changes() {
    let (_d, fx, base) = setup().await;
    let g = get(&base, &diff_link("", CHANGED_URL, fx.v1, fx.v3)).await;
    assert_eq!(g.status, StatusCode::OK);
    let b = &g.body;
    assert!(b.contains("Side by side") && b.contains("Inline"));
    // Changed words, not whole lines: "£25bn" struck out, "£17bn" added, "worth" unmarked.
    assert!(b.contains("<del>£25bn</del>"), "{b}");
    assert!(b.contains("<ins>£17bn</ins>"), "{b}");
    assert!(b.contains("The framework is worth "), "{b}");
    assert!(
        b.contains("<del>Market engagement opens on 1 March 2026.</del>"),
        "{b}"
    );
    assert!(b.contains("<ins>Lot 3 was withdrawn.</ins>"), "{b}");
    // Each marked word appears once per view: side by side and inline.
    assert_eq!(b.matches("<ins>£17bn</ins>").count(), 2);
    // Stored script text stays text in a diff too.
    assert!(b.contains("&lt;script&gt;alert(1)"));
    assert!(!b.contains("<script>alert"));

    // Same text, different bytes (rotating token).
    let same = get(&base, &diff_link("", CHANGED_URL, fx.v2, fx.v3)).await;
    assert!(same.body.contains("same extracted text"), "{}", same.body);

    // Defaults: the last two versions.
    let dflt = get(&base, &format!("/diff?url={}", enc(CHANGED_URL))).await;
    assert_eq!(dflt.status, StatusCode::OK);
    assert!(dflt.body.contains(&format!("version {}</a>", fx.v3)));

    // A version of another page, an unknown version, garbage.
    let other = get(&base, &diff_link("", CHANGED_URL, fx.nhs_v1, fx.v3)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let unknown = get(&base, &diff_link("", CHANGED_URL, 999_999, fx.v3)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let garbage = get(
        &base,
        &format!("/diff?url={}&from=x&to=1", enc(CHANGED_URL)),
    )
    .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&base, "/diff").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn search_reports_when_text_appeared_and_disappeared() {
    let (_d, _fx, base) = setup().await;
    let gone = get(&base, "/search?q=%22market+engagement%22").await;
    assert_eq!(gone.status, StatusCode::OK);
    let b = &gone.body;
    assert!(b.contains(CHANGED_URL), "{b}");
    assert!(!b.contains(NHS_URL));
    // First and last seen with the text, gone since v2 appeared.
    assert!(
        b.contains("2026-02-01 06:00:00 UTC") && b.contains("2026-02-02 06:00:00 UTC"),
        "{b}"
    );
    assert!(
        b.contains("gone since <time datetime=\"2026-02-03T06:00:00Z\">"),
        "{b}"
    );

    let now = get(&base, "/search?q=withdrawn").await;
    assert!(now.body.contains(CHANGED_URL));
    assert!(
        now.body.contains("<span class=\"yes\">yes</span>"),
        "{}",
        now.body
    );

    let both = get(&base, "/search?q=framework").await;
    assert!(both.body.contains(CHANGED_URL) && both.body.contains(NHS_URL));

    // The removed page's text is in its last version, but the page is gone.
    let removed = get(&base, "/search?q=legal").await;
    assert!(removed.body.contains("page removed"), "{}", removed.body);

    let none = get(&base, "/search?q=zanzibar").await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.body.contains("No stored version contains"));

    let form = get(&base, "/search").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"q\""));

    for bad in [
        "/search?q=%22unterminated",
        "/search?q=%28market",
        "/search?q=AND",
    ] {
        let g = get(&base, bad).await;
        assert_eq!(g.status, StatusCode::BAD_REQUEST, "{bad}: {}", g.body);
        assert!(g.body.contains("is not a valid query"), "{bad}");
        assert!(g.body.contains("Search for it as a phrase"), "{bad}");
    }
    // The suggested phrase search works.
    let phrase = get(&base, "/search?q=%22AND%22").await;
    assert_eq!(phrase.status, StatusCode::OK);
    // Plain text with punctuation is one phrase, as `quietwatch search` reads it: a
    // framework number or a sum of money just works.
    for q in ["RM6281.14", "%C2%A317bn", "market+engagement"] {
        let g = get(&base, &format!("/search?q={q}")).await;
        assert_eq!(g.status, StatusCode::OK, "{q}: {}", g.body);
    }
    let money = get(&base, "/search?q=%C2%A317bn").await;
    assert!(money.body.contains(CHANGED_URL), "{}", money.body);
    assert!(!money.body.contains(NHS_URL), "{}", money.body);
}

#[tokio::test]
async fn reads_while_a_writer_holds_the_database() {
    let (_d, fx, base) = setup().await;
    // A crawl in the middle of a write transaction (WAL): readers must not wait or fail.
    let writer = rusqlite::Connection::open(&fx.db).unwrap();
    writer
        .execute_batch(
            "BEGIN IMMEDIATE; INSERT INTO runs (command, started_at) VALUES ('crawl', 1);",
        )
        .unwrap();
    let started = std::time::Instant::now();
    for path in ["/", "/changes", &format!("/page?url={}", enc(CHANGED_URL))] {
        let g = get(&base, path).await;
        assert_eq!(g.status, StatusCode::OK, "{path}");
    }
    // Well under the 10 s busy timeout: nobody waited for the lock.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    writer.execute_batch("COMMIT;").unwrap();
    // The committed run is visible to the next request (pooled connections see new data).
    let g = get(&base, "/").await;
    assert!(g.body.contains("<strong>crawl</strong>"), "{}", g.body);
}

#[tokio::test]
async fn missing_archive_is_503_and_serve_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let base = fixture::start(db.clone()).await;
    let g = get(&base, "/").await;
    assert_eq!(g.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(g.body.contains("does not exist yet"));
    assert!(!db.exists(), "serve never creates the archive");

    let err = quietwatch::serve::serve(
        quietwatch::serve::ServeOptions {
            db,
            listen: "127.0.0.1:0".parse().unwrap(),
        },
        async {},
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test]
async fn serve_runs_until_shutdown() {
    let (_d, fx, _base) = setup().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(quietwatch::serve::serve(
        quietwatch::serve::ServeOptions {
            db: fx.db.clone(),
            listen: format!("127.0.0.1:{port}").parse().unwrap(),
        },
        async {
            let _ = rx.await;
        },
    ));
    let base = format!("http://127.0.0.1:{port}");
    let mut ok = false;
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("{base}/")).await {
            ok = r.status() == StatusCode::OK;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(ok);
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[test]
fn digest_links_point_at_the_matching_view() {
    let mut c = quietwatch::model::Change {
        facts: Vec::new(),
        id: 1,
        detected_at: "2026-02-03T06:00:00Z".into(),
        site: "S".into(),
        url: "https://e.org/a b".into(),
        kind: quietwatch::model::ChangeKind::Changed,
        significance: quietwatch::model::Significance::Major,
        title: String::new(),
        summary: String::new(),
        from: Some(3),
        to: Some(9),
        http_status: Some(200),
        redirect_to: None,
        words_added: 0,
        words_removed: 0,
        similarity: None,
        phrase: None,
        content_type: None,
        detail: Default::default(),
    };
    assert_eq!(
        change_link("http://127.0.0.1:8080/", &c),
        "http://127.0.0.1:8080/diff?url=https%3A%2F%2Fe.org%2Fa+b&from=3&to=9"
    );
    c.to = None;
    assert_eq!(
        change_link("http://127.0.0.1:8080", &c),
        page_link("http://127.0.0.1:8080", "https://e.org/a b")
    );
    let _ = at(0);
}

// ------------------------------------------------------------ over a real crawl

/// The same-server links of a page (`href="/…"`), `&amp;` decoded, in order, deduplicated.
fn local_links(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in body.split("href=\"").skip(1) {
        let Some(h) = part.split('"').next() else {
            continue;
        };
        let h = h.replace("&amp;", "&");
        if h.starts_with('/') && !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

/// The demo site crawled for real (v1 baseline, then v2 with every planted change), served by
/// the web UI over loopback: every route answers from what the crawler stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_over_a_real_crawl_of_the_demo_site() {
    // What ends soon depends on the day the test runs (tests/detect_demo.rs checks it).
    let h = Harness::start(
        demo_site(),
        &[("ending_within_days = 90", "ending_within_days = 0")],
    )
    .await;
    let r1 = h.crawl().await;
    assert!(!r1.any_site_failed(), "{}", r1.summary_line());
    h.server.set_version(2);
    let r2 = h.crawl().await;
    let changes = h.changes_of_run(&r2);
    // 20 + 3 pages' own records, and the 3 of the demo's watched phrases.
    assert_eq!(changes.len(), 26, "the demo's run 2: {changes:#?}");
    let store = h.store();
    let base = fixture::start(h.db()).await;
    let page_of = |url: &str| format!("/page?url={}", enc(url));

    // ---- the front page: both sites, their counts and states, the last run, recent changes.
    let index = get(&base, "/").await;
    assert_eq!(index.status, StatusCode::OK);
    let b = &index.body;
    assert!(
        b.contains("GCA agreements") && b.contains("NHS England procurement"),
        "{b}"
    );
    assert!(b.contains(&r2.summary_line().replace('"', "&quot;")), "{b}");
    assert!(
        b.contains("state-removed\"") && b.contains("removed 2"),
        "{b}"
    );
    assert!(
        b.contains("kind-removed") && b.contains("kind-changed"),
        "{b}"
    );

    // ---- a site: every page it knows, the deleted one with its state.
    let gca = "GCA agreements";
    let removed_url = h.url("gca", "/agreements/RM6281/market-engagement");
    let site = get(&base, &format!("/site?name={}", enc(gca))).await;
    assert_eq!(site.status, StatusCode::OK);
    assert!(
        site.body.contains(&format!("{} pages", 24 + 2)),
        "{}",
        site.body
    );
    assert!(site.body.contains(&removed_url), "{}", site.body);
    assert!(!site.body.contains("/long-read/"), "another site's pages");
    let removed_only = get(&base, &format!("/site?name={}&state=removed", enc(gca))).await;
    assert!(removed_only.body.contains(&removed_url));
    assert!(removed_only
        .body
        .contains(&h.url("gca", "/agreements/RM6194")));
    assert!(
        removed_only.body.contains("2 pages in state"),
        "{}",
        removed_only.body
    );

    // ---- changes, and each filter, against the records the crawl filed.
    let rows = |body: &str| body.matches("<tr id=\"change-").count();
    let all = get(&base, "/changes").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(rows(&all.body), changes.len());
    let removed = get(&base, "/changes?kind=removed").await;
    assert_eq!(rows(&removed.body), 2, "{}", removed.body);
    assert!(removed.body.contains(&removed_url));
    let majors = changes
        .iter()
        .filter(|c| c.significance == quietwatch::model::Significance::Major)
        .count();
    // 19 of the pages' own records, and the 3 watched-phrase records.
    assert_eq!(majors, 22);
    let major = get(&base, "/changes?significance=major").await;
    assert_eq!(rows(&major.body), majors);
    let nhs_site = "NHS England procurement";
    let nhs = get(&base, &format!("/changes?site={}", enc(nhs_site))).await;
    assert_eq!(rows(&nhs.body), 3, "{}", nhs.body);
    assert!(!nhs.body.contains(&removed_url));
    let gca_removed = get(
        &base,
        &format!("/changes?site={}&kind=removed&significance=major", enc(gca)),
    )
    .await;
    assert_eq!(rows(&gca_removed.body), 2);

    // ---- the quietly deleted page: its timeline shows the removal and the 404s.
    let gone = get(&base, &page_of(&removed_url)).await;
    assert_eq!(gone.status, StatusCode::OK);
    let g = &gone.body;
    assert!(
        g.contains("state-removed") && g.contains("kind-removed"),
        "{g}"
    );
    let rec = changes.iter().find(|c| c.url == removed_url).unwrap();
    assert!(g.contains(&rec.summary), "{g}");
    assert!(g.contains("<td>404</td>") && g.contains("confirm"), "{g}");

    // ---- the quiet rewrite: two versions on the timeline, then their diff.
    let rewrite_url = h.url("nhs", "/long-read/framework-host-management/");
    let rec = changes.iter().find(|c| c.url == rewrite_url).unwrap();
    let (from, to) = (rec.from.unwrap(), rec.to.unwrap());
    let tl = get(&base, &page_of(&rewrite_url)).await;
    assert_eq!(tl.status, StatusCode::OK);
    for (name, id) in [("from", from), ("to", to)] {
        assert!(
            tl.body.contains(&format!(
                "name=\"{name}\" value=\"{id}\" aria-label=\"{name} version {id}\" checked"
            )),
            "{name} {id}: {}",
            tl.body
        );
    }
    let diff_href = diff_link("", &rewrite_url, from, to);
    assert!(
        tl.body.contains(&diff_href.replace('&', "&amp;")),
        "{}",
        tl.body
    );
    // Linked without its trailing slash, it is the same page.
    let twin = get(&base, &page_of(rewrite_url.trim_end_matches('/'))).await;
    assert_eq!(twin.status, StatusCode::OK);
    assert!(twin.body.contains(&diff_href.replace('&', "&amp;")));

    let diff = get(&base, &diff_href).await;
    assert_eq!(diff.status, StatusCode::OK);
    let d = &diff.body;
    let (struck, added) = (marked(d, "del"), marked(d, "ins"));
    for words in ["£25bn", "commenced"] {
        assert!(struck.contains(words), "{words:?} not struck: {struck}");
    }
    for words in ["in the region of £17 billion", "concluded"] {
        assert!(added.contains(words), "{words:?} not added: {added}");
    }
    assert!(
        !struck.contains("of NHS spend") && !added.contains("of NHS spend"),
        "unchanged words marked: {struck} / {added}"
    );
    // The page's counts are the ones detection filed with the change.
    assert!(
        d.contains(&format!("−{} words", rec.words_removed))
            && d.contains(&format!("+{} words", rec.words_added)),
        "{d}"
    );
    // Without versions: the last two, the same diff.
    let dflt = get(&base, &format!("/diff?url={}", enc(&rewrite_url))).await;
    assert_eq!(marked(&dflt.body, "del"), struck);

    // ---- one version: its text and its evidence; the raw bytes exactly as stored.
    let v = store.version(from).unwrap().unwrap();
    let version = get(&base, &format!("/version/{from}")).await;
    assert_eq!(version.status, StatusCode::OK);
    assert!(
        version.body.contains("about £25bn of NHS spend"),
        "{}",
        version.body
    );
    assert!(version.body.contains(&hex::encode(v.span.body_sha256)));
    assert!(version.body.contains("HTTP 200"));
    let raw = reqwest::get(format!("{base}/version/{from}/raw"))
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(raw.headers()["content-type"], "application/octet-stream");
    assert!(raw.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let bytes = raw.bytes().await.unwrap();
    let stored = store.body(v.span.body_id).unwrap().unwrap();
    assert_eq!(&bytes[..], &stored[..]);

    // ---- search: finds the deleted page and says it is gone.
    let found = get(&base, "/search?q=market+engagement").await;
    assert_eq!(found.status, StatusCode::OK);
    let f = &found.body;
    let row = f
        .split("<tr>")
        .find(|r| r.contains(&format!("<span class=\"url\">{removed_url}</span>")))
        .unwrap_or_else(|| panic!("the deleted page is not found: {f}"));
    assert!(row.contains("page removed"), "{row}");
    assert!(!row.contains("class=\"yes\""), "{row}");
    let bad = get(&base, "/search?q=%22market+engagement").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("is not a valid query"));

    // ---- a title holding `<script>`: shown as text wherever it appears.
    let hostile_url = h.url("gca", "/agreements/RM6313");
    let hostile = get(&base, &page_of(&hostile_url)).await;
    assert_eq!(hostile.status, StatusCode::OK);
    for body in [&hostile.body, &all.body, &index.body] {
        assert!(
            body.contains("Penetration Testing and IT Health Check &lt;script&gt;alert(1)&lt;/script&gt; Services"),
            "{body}"
        );
        assert!(!body.contains("<script"), "{body}");
    }
    let rec = changes.iter().find(|c| c.url == hostile_url).unwrap();
    let hostile_diff = get(
        &base,
        &diff_link("", &hostile_url, rec.from.unwrap(), rec.to.unwrap()),
    )
    .await;
    let hd = &hostile_diff.body;
    assert!(
        hd.contains("&lt;img src=x") && hd.contains("onerror=&quot;alert(2)&quot;&gt;"),
        "{hd}"
    );
    // The old title only gained words: it is not struck out whole.
    assert!(
        hd.contains("<td class=\"t del\"># Penetration Testing &lt;script&gt;alert(1)&lt;/script&gt; Services</td>"),
        "{hd}"
    );
    assert!(marked(hd, "ins").contains("and IT Health Check"), "{hd}");
    assert!(!hostile_diff.body.contains("<script") && !hostile_diff.body.contains("<img"));

    // ---- every link the UI offers from its lists and timelines leads somewhere.
    let mut pages = vec![index.body.clone(), all.body.clone(), site.body.clone()];
    pages.push(gone.body.clone());
    pages.push(tl.body.clone());
    // And every version page of the site's latest versions: their neighbours, diffs and
    // linked documents (RM6187 links a CSV the config denies: never archived, so no link
    // to a timeline it does not have).
    let gca_id = store.find_site(gca).unwrap().unwrap().id;
    for p in store.pages_of_site(gca_id).unwrap() {
        if let Some(v) = p.latest_version {
            pages.push(get(&base, &format!("/version/{v}")).await.body);
        }
    }
    let csv = h.url(
        "gca",
        "/wp-content/uploads/2025/11/RM6187-Pricing-Matrix.csv",
    );
    assert!(
        pages
            .iter()
            .any(|b| b.contains(&format!("{csv}</a> <span class=\"muted\">(not archived)"))),
        "the denied CSV is not listed as not archived"
    );
    let mut checked = 0;
    let mut seen = std::collections::BTreeSet::new();
    for body in &pages {
        for link in local_links(body) {
            if !seen.insert(link.clone()) {
                continue;
            }
            let status = reqwest::get(format!("{base}{link}"))
                .await
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::OK, "{link}");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} links");
}

/// The archive's file opened directly, as an independent reader (or a forger) would.
fn raw_db(store: &quietwatch::store::Store) -> rusqlite::Connection {
    rusqlite::Connection::open(store.path()).expect("open the archive file")
}
