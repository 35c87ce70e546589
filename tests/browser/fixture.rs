//! A small archive built through the Store API, for `tests/serve.rs`'s corner cases that a
//! crawl of the demo site cannot produce on demand (fixed times, a body that differs only in a
//! rotating token, markup planted in a change's title): two sites; one page whose figures
//! changed (with a `<script>` in its stored text); one page that was removed (404); one page
//! of another site with a minor change. The browser test uses a real crawl instead.

use quietwatch::model::{ChangeDetail, ChangeKind, FigureChange, PageState, Significance};
use quietwatch::store::{Content, FetchRecord, NewChange, PageUpdate, SiteRunRecord, Store};
use std::path::{Path, PathBuf};

pub const CHANGED_URL: &str = "https://www.gca.gov.uk/agreements/RM6281";
pub const REMOVED_URL: &str = "https://www.gca.gov.uk/agreements/RM1557";
pub const NHS_URL: &str = "https://www.england.nhs.uk/commercial/framework-hosts/";

pub const V1_TEXT: &str = "Health Sector Resourcing\n\
The framework is worth £25bn over four years.\n\
Market engagement opens on 1 March 2026.\n\
Suppliers wrote <script>alert(1)</script> in a comment field.\n\
Old note: <script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">\n\
Contact the category team.\n";
pub const V2_TEXT: &str = "Health Sector Resourcing\n\
The framework is worth £17bn over four years.\n\
Suppliers wrote <script>alert(1)</script> in a comment field.\n\
Old note: <script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">\n\
Contact the category team.\n\
Lot 3 was withdrawn.\n";

/// Ids the tests need.
pub struct Fixture {
    pub db: PathBuf,
    pub v1: i64,
    /// The first body of the changed text.
    pub v2: i64,
    /// Same text as v2, a different body (a rotating token): collapsed with v2 on timelines.
    pub v3: i64,
    pub removed_v1: i64,
    pub nhs_v1: i64,
    pub nhs_v2: i64,
    pub v1_body: Vec<u8>,
}

/// 2026-02-01T06:00:00Z plus `hours`.
pub fn at(hours: i64) -> i64 {
    1_769_925_600_000 + hours * 3_600_000
}

fn html(title: &str, text: &str, token: &str) -> Vec<u8> {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!doctype html><html><head><title>{title}</title><script>var t='{token}'</script></head>\
         <body><main><pre>{escaped}</pre></main></body></html>"
    )
    .into_bytes()
}

fn fetch(run: i64, page: i64, when: i64, title: &str, text: &str, token: &str) -> FetchRecord {
    FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run,
            page_id: Some(page),
            purpose: quietwatch::model::FetchPurpose::Page,
            fetched_at: when,
            duration_ms: 42,
            first_status: Some(200),
            status: Some(200),
            content_type: Some("text/html; charset=utf-8".into()),
            etag: Some(format!("\"{token}\"")),
            ..Default::default()
        },
        body: Some(html(title, text, token)),
        content: Some(Content {
            facts: Vec::new(),
            title: title.into(),
            text: text.into(),
            links: vec!["https://www.gca.gov.uk/agreements".into()],
            documents: vec!["https://www.gca.gov.uk/docs/RM6281-tender.pdf".into()],
            ..Default::default()
        }),
        remember_validators: true,
        ..Default::default()
    }
}

fn live(page: i64, version: Option<i64>) -> PageUpdate {
    PageUpdate {
        page_id: page,
        state: PageState::Live,
        reported_version: version,
        fail_streak: 0,
        linked: true,
        redirect_to: None,
    }
}

/// Builds the archive in `dir`.
pub fn build(dir: &Path) -> Fixture {
    let db = dir.join("archive.db");
    let mut s = Store::open(&db).unwrap();
    let gca = s.site("GCA agreements").unwrap();
    let nhs = s.site("NHS England").unwrap();
    let p1 = s.ensure_page(gca.id, CHANGED_URL, 1, false).unwrap();
    let p2 = s.ensure_page(gca.id, REMOVED_URL, 1, false).unwrap();
    let p3 = s.ensure_page(nhs.id, NHS_URL, 0, false).unwrap();

    // Run 1: the baseline.
    let run1 = s.begin_run("run").unwrap();
    let title = "Health Sector Resourcing";
    let f1 = fetch(run1, p1.id, at(0), title, V1_TEXT, "a1");
    let v1_body = f1.body.clone().unwrap();
    let v1 = s.record_fetch(&f1).unwrap().version_id.unwrap();
    let removed_v1 = s
        .record_fetch(&fetch(
            run1,
            p2.id,
            at(0),
            "Legal Services",
            "Legal services panel.\n",
            "b1",
        ))
        .unwrap()
        .version_id
        .unwrap();
    let nhs_v1 = s
        .record_fetch(&fetch(
            run1,
            p3.id,
            at(0),
            "Framework hosts",
            "Guidance for framework hosts.\nTotal spend £25bn.\n",
            "c1",
        ))
        .unwrap()
        .version_id
        .unwrap();
    let base = SiteRunRecord {
        outcome: quietwatch::model::SiteOutcome::Baseline,
        pages: 2,
        fetched: 2,
        ..Default::default()
    };
    s.apply_detection(
        run1,
        &gca,
        &[],
        &[live(p1.id, Some(v1)), live(p2.id, Some(removed_v1))],
        &[],
        true,
        &base,
    )
    .unwrap();
    s.apply_detection(
        run1,
        &nhs,
        &[],
        &[live(p3.id, Some(nhs_v1))],
        &[],
        true,
        &SiteRunRecord {
            outcome: quietwatch::model::SiteOutcome::Baseline,
            pages: 1,
            fetched: 1,
            ..Default::default()
        },
    )
    .unwrap();
    s.finish_run(run1, "baseline: 3 pages").unwrap();

    // Run 2: the same bodies again (a recheck), then run 3: changes.
    let run2 = s.begin_run("run").unwrap();
    s.record_fetch(&fetch(run2, p1.id, at(24), title, V1_TEXT, "a1"))
        .unwrap();
    s.finish_run(run2, "no changes").unwrap();

    let run3 = s.begin_run("run").unwrap();
    let v2 = s
        .record_fetch(&fetch(run3, p1.id, at(48), title, V2_TEXT, "a2"))
        .unwrap()
        .version_id
        .unwrap();
    // The removed page: a 404 with an error page body that is not a version.
    s.record_fetch(&FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run3,
            page_id: Some(p2.id),
            purpose: quietwatch::model::FetchPurpose::Page,
            fetched_at: at(48),
            duration_ms: 30,
            first_status: Some(404),
            status: Some(404),
            ..Default::default()
        },
        body: Some(b"<h1>Not found</h1>".to_vec()),
        ..Default::default()
    })
    .unwrap();
    s.record_fetch(&FetchRecord {
        meta: quietwatch::store::FetchMeta {
            run_id: run3,
            page_id: Some(p2.id),
            purpose: quietwatch::model::FetchPurpose::Confirm,
            fetched_at: at(48) + 5000,
            duration_ms: 31,
            first_status: Some(404),
            status: Some(404),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let changed = NewChange {
        facts: Vec::new(),
        page_id: p1.id,
        url: CHANGED_URL.into(),
        kind: ChangeKind::Changed,
        significance: Significance::Major,
        title: title.into(),
        summary: "£25bn → £17bn; 9 words removed, 6 added".into(),
        from_version: Some(v1),
        to_version: Some(v2),
        http_status: Some(200),
        redirect_to: None,
        words_added: 6,
        words_removed: 9,
        similarity: Some(0.7),
        phrase: None,
        detail: ChangeDetail {
            figures: vec![FigureChange {
                before: Some("£25bn".into()),
                after: Some("£17bn".into()),
            }],
            ..Default::default()
        },
    };
    let removed = NewChange {
        facts: Vec::new(),
        page_id: p2.id,
        url: REMOVED_URL.into(),
        kind: ChangeKind::Removed,
        significance: Significance::Major,
        title: "Legal Services <b>panel</b>".into(),
        summary: "answers 404 (confirmed)".into(),
        from_version: Some(removed_v1),
        to_version: None,
        http_status: Some(404),
        redirect_to: None,
        words_added: 0,
        words_removed: 0,
        similarity: None,
        phrase: None,
        detail: ChangeDetail::default(),
    };
    let mut gone = live(p2.id, Some(removed_v1));
    gone.state = PageState::Removed;
    s.apply_detection(
        run3,
        &gca,
        &[],
        &[live(p1.id, Some(v2)), gone],
        &[changed, removed],
        false,
        &SiteRunRecord {
            outcome: quietwatch::model::SiteOutcome::Ok,
            pages: 2,
            fetched: 2,
            changes: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let nhs_v2 = s
        .record_fetch(&fetch(
            run3,
            p3.id,
            at(48),
            "Framework hosts",
            "Guidance for framework hosts.\nTotal spend £25bn.\nUpdated guidance.\n",
            "c2",
        ))
        .unwrap()
        .version_id
        .unwrap();
    s.apply_detection(
        run3,
        &nhs,
        &[],
        &[live(p3.id, Some(nhs_v2))],
        &[NewChange {
            facts: Vec::new(),
            page_id: p3.id,
            url: NHS_URL.into(),
            kind: ChangeKind::Changed,
            significance: Significance::Minor,
            title: "Framework hosts".into(),
            summary: "2 words added".into(),
            from_version: Some(nhs_v1),
            to_version: Some(nhs_v2),
            http_status: Some(200),
            redirect_to: None,
            words_added: 2,
            words_removed: 0,
            similarity: Some(0.9),
            phrase: None,
            detail: ChangeDetail::default(),
        }],
        false,
        &SiteRunRecord {
            outcome: quietwatch::model::SiteOutcome::Ok,
            pages: 1,
            fetched: 1,
            changes: 1,
            ..Default::default()
        },
    )
    .unwrap();
    s.finish_run(run3, "3 changes").unwrap();

    // Run 4: the changed page again, same text, new token: a new body, not a new text.
    let run4 = s.begin_run("run").unwrap();
    let v3 = s
        .record_fetch(&fetch(run4, p1.id, at(72), title, V2_TEXT, "a3"))
        .unwrap()
        .version_id
        .unwrap();
    s.finish_run(run4, "no changes").unwrap();

    Fixture {
        db,
        v1,
        v2,
        v3,
        removed_v1,
        nhs_v1,
        nhs_v2,
        v1_body,
    }
}

/// Serves the archive on a free loopback port; returns the base URL ("http://127.0.0.1:N").
pub async fn start(db: PathBuf) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, quietwatch::serve::router(db))
            .await
            .unwrap()
    });
    format!("http://{addr}")
}
