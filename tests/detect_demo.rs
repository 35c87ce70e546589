//! Issue 3's acceptance test: the two-version demo site, with every change kind planted and
//! many pages whose only differences are noise, crawled run after run on loopback. Every
//! planted case must be reported with the right kind and significance; nothing else may be.
//! The expectations are crates/fixture/sites/demo/EXPECTED.md's tables.

mod common;

use common::Harness;
use quietwatch::model::{ChangeKind, Significance};
use quietwatch_fixture::demo_site;
use std::collections::BTreeMap;

type Expect = (&'static str, &'static str, ChangeKind, Significance);

fn run2_expected() -> Vec<Expect> {
    use ChangeKind::*;
    use Significance::*;
    vec![
        (
            "gca",
            "/agreements/RM6281/market-engagement",
            Removed,
            Major,
        ),
        ("gca", "/agreements/RM6194", Removed, Major),
        ("gca", "/agreements/RM3808", Redirected, Major),
        ("ccs", "/agreements/RM6240", Moved, Minor),
        ("ccs", "/agreements/RM6226", Moved, Minor),
        ("gca", "/agreements/RM6168", Unlinked, Major),
        ("gca", "/agreements/RM6281", Changed, Major),
        ("gca", "/agreements/RM6098", Changed, Major),
        ("gca", "/agreements/RM1557.14", Changed, Major),
        (
            "gca",
            "/wp-content/uploads/2025/11/RM6187-Customer-Guide.pdf",
            Changed,
            Major,
        ),
        (
            "gca",
            "/wp-content/uploads/2026/01/RM6160-Specification.docx",
            Changed,
            Major,
        ),
        (
            "gca",
            "/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx",
            Changed,
            Major,
        ),
        ("gca", "/agreements/RM6313", Changed, Major),
        ("gca", "/agreements/RM6160/rate-card", Changed, Major),
        ("gca", "/agreements/RM6116", Changed, Minor),
        ("gca", "/agreements", Changed, Major),
        ("gca", "/agreements/2", Changed, Major),
        ("gca", "/agreements/upcoming", Changed, Major),
        ("gca", "/agreements/RM6374", Added, Major),
        (
            "gca",
            "/wp-content/uploads/2026/03/RM1557.14-Buyers-Guide.pdf",
            Added,
            Major,
        ),
        (
            "nhs",
            "/long-read/framework-host-management/",
            Changed,
            Major,
        ),
        (
            "nhs",
            "/long-read/procurement-transformation-programme/",
            Moved,
            Minor,
        ),
        (
            "nhs",
            "/long-read/sustainable-procurement-supplier-roadmap/",
            SoftRemoved,
            Major,
        ),
    ]
}

fn table(
    h: &Harness,
    changes: &[quietwatch::model::Change],
) -> BTreeMap<String, (ChangeKind, Significance)> {
    let mut got = BTreeMap::new();
    // Watched-phrase and "ending soon" records are beside a page's own record (checked on
    // their own below); the page's own records are one per page.
    for c in changes
        .iter()
        .filter(|c| !c.kind.is_phrase() && c.kind != ChangeKind::Ending)
    {
        let prev = got.insert(c.url.clone(), (c.kind, c.significance));
        assert!(prev.is_none(), "two records for {} in one run", c.url);
    }
    let _ = h;
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_planted_change_is_found_and_noise_is_not() {
    let h = Harness::start(demo_site(), &[]).await;

    // Run 1: the baseline. No records.
    let r1 = h.crawl().await;
    assert!(!r1.any_site_failed(), "{}", r1.summary_line());
    assert!(
        h.changes_of_run(&r1).is_empty(),
        "baseline filed changes: {:?}",
        h.changes_of_run(&r1)
    );
    let pages: Vec<u64> = r1.sites.iter().map(|s| s.pages).collect();
    assert_eq!(pages, vec![24, 6], "baseline pages: {}", r1.summary_line());
    assert!(
        r1.summary_line().contains("baseline: 24 pages"),
        "{}",
        r1.summary_line()
    );
    // Linked as both /x/ and /x: one page, fetched once.
    let twins = h
        .server
        .request_count("nhs", "/long-read/framework-host-management/")
        + h.server
            .request_count("nhs", "/long-read/framework-host-management");
    assert_eq!(
        twins, 1,
        "the trailing-slash twins were fetched {twins} times"
    );

    // Run 1 again, unchanged: nothing new (the noise differs on every request) but what ends
    // soon, announced on the first run after the baseline (checked at the end).
    let r1b = h.crawl().await;
    let mut endings: Vec<quietwatch::model::Change> = Vec::new();
    let again: Vec<_> = h
        .changes_of_run(&r1b)
        .into_iter()
        .filter(|c| {
            let ending = c.kind == ChangeKind::Ending;
            if ending {
                endings.push(c.clone());
            }
            !ending
        })
        .collect();
    assert!(
        again.is_empty(),
        "an unchanged re-run filed changes: {again:#?}"
    );

    // Run 2: every planted kind.
    h.server.set_version(2);
    let r2 = h.crawl().await;
    let changes = h.changes_of_run(&r2);
    endings.extend(
        changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Ending)
            .cloned(),
    );
    let got = table(&h, &changes);
    let mut want = BTreeMap::new();
    for (host, path, kind, sig) in run2_expected() {
        want.insert(h.url(host, path), (kind, sig));
    }
    let mut problems = Vec::new();
    for (url, w) in &want {
        match got.get(url) {
            Some(g) if g == w => {}
            Some(g) => problems.push(format!("{url}: got {:?}, want {:?}", g, w)),
            None => problems.push(format!("{url}: missing, want {:?}", w)),
        }
    }
    for (url, g) in &got {
        if !want.contains_key(url) {
            let c = changes
                .iter()
                .find(|c| &c.url == url)
                .map(|c| c.summary.clone());
            problems.push(format!("{url}: unexpected {:?} ({c:?})", g));
        }
    }
    assert!(problems.is_empty(), "run 2:\n{}", problems.join("\n"));

    // Details the SPEC fixes.
    let by_url = |host: &str, path: &str| {
        let u = h.url(host, path);
        changes
            .iter()
            .find(|c| c.url == u)
            .cloned()
            .expect("record")
    };
    let removed = by_url("gca", "/agreements/RM6281/market-engagement");
    assert_eq!(removed.http_status, Some(404));
    let redirected = by_url("gca", "/agreements/RM3808");
    assert_eq!(redirected.http_status, Some(301));
    assert_eq!(
        redirected.redirect_to.as_deref(),
        Some(h.url("gca", "/agreements").as_str())
    );
    let moved = by_url("ccs", "/agreements/RM6240");
    assert_eq!(
        moved.redirect_to.as_deref(),
        Some(h.url("gca", "/agreements/RM6240").as_str())
    );
    let soft = by_url(
        "nhs",
        "/long-read/sustainable-procurement-supplier-roadmap/",
    );
    assert_eq!(soft.http_status, Some(200));
    let rewrite = by_url("nhs", "/long-read/framework-host-management/");
    assert!(
        rewrite.summary.contains("£25bn"),
        "summary: {}",
        rewrite.summary
    );
    assert!(rewrite.from.is_some() && rewrite.to.is_some());

    // The config's [[watch]] phrases: "market engagement" leaves RM6281 and the pipeline
    // listing (its page of its own is removed: that record, and no phrase record), "being
    // replaced" arrives on RM6281's banner.
    let mut phrases: Vec<(String, ChangeKind, String)> = changes
        .iter()
        .filter(|c| c.kind.is_phrase())
        .map(|c| (c.url.clone(), c.kind, c.phrase.clone().unwrap_or_default()))
        .collect();
    phrases.sort();
    let mut want_phrases = vec![
        (
            h.url("gca", "/agreements/RM6281"),
            ChangeKind::PhraseAppeared,
            "being replaced".to_string(),
        ),
        (
            h.url("gca", "/agreements/RM6281"),
            ChangeKind::PhraseDisappeared,
            "market engagement".to_string(),
        ),
        (
            h.url("gca", "/agreements/upcoming"),
            ChangeKind::PhraseDisappeared,
            "market engagement".to_string(),
        ),
    ];
    want_phrases.sort();
    assert_eq!(phrases, want_phrases);

    // Run 3 (v3): only RM6194 comes back.
    h.server.set_version(3);
    let r3 = h.crawl().await;
    let c3: Vec<(String, ChangeKind)> = h
        .changes_of_run(&r3)
        .into_iter()
        .filter(|c| {
            let ending = c.kind == ChangeKind::Ending;
            if ending {
                endings.push(c.clone());
            }
            !ending
        })
        .map(|c| (c.url, c.kind))
        .collect();
    assert_eq!(
        c3,
        vec![(h.url("gca", "/agreements/RM6194"), ChangeKind::Restored)],
        "run 3"
    );

    // Run 4 (v4 = v3): RM6200's third consecutive 503 makes it unreachable, never removed.
    h.server.set_version(4);
    let r4 = h.crawl().await;
    let c4: Vec<_> = h
        .changes_of_run(&r4)
        .into_iter()
        .filter(|c| {
            let ending = c.kind == ChangeKind::Ending;
            if ending {
                endings.push(c.clone());
            }
            !ending
        })
        .collect();
    assert_eq!(c4.len(), 1, "run 4: {c4:#?}");
    assert_eq!(c4[0].url, h.url("gca", "/agreements/RM6200"));
    assert_eq!(c4[0].kind, ChangeKind::Unreachable);
    assert_eq!(c4[0].significance, Significance::Minor);
    assert_eq!(c4[0].http_status, Some(503));

    // Run 5: every state already reported: nothing.
    let r5 = h.crawl().await;
    let c5 = h.changes_of_run(&r5);
    assert!(c5.is_empty(), "run 5: {c5:#?}");

    // Ending soon: RM6187's end date is always 60 days ahead, announced once (on the first
    // run after the baseline); whatever else is announced (fixed dates: it depends on the
    // day) ends within 90 days of today, and no end date is announced twice.
    let today = chrono::Utc::now().date_naive();
    let mcf3: Vec<_> = endings
        .iter()
        .filter(|c| c.url == h.url("gca", "/agreements/RM6187"))
        .collect();
    assert_eq!(mcf3.len(), 1, "{endings:#?}");
    let want = (today + chrono::Days::new(60))
        .format("%Y-%m-%d")
        .to_string();
    let fact = &mcf3[0].facts[0];
    assert_eq!(fact.name, "end_date");
    assert_eq!(fact.to.as_ref().map(|v| v.to_string()), Some(want));
    assert!(
        mcf3[0].summary.starts_with("RM6187 ends on "),
        "{}",
        mcf3[0].summary
    );
    assert!(
        mcf3[0].summary.ends_with("(in 60 days)"),
        "{}",
        mcf3[0].summary
    );
    let mut seen = std::collections::HashSet::new();
    for c in &endings {
        assert_eq!(c.significance, Significance::Major);
        assert_eq!(c.facts.len(), 1, "{c:#?}");
        let date = c.facts[0].to.as_ref().unwrap().to_string();
        let day = quietwatch::analyse::ending::end_day(&date).unwrap();
        assert!(
            day >= today && day <= today + chrono::Days::new(90),
            "{c:#?}"
        );
        assert!(
            seen.insert((c.url.clone(), c.facts[0].name.clone(), date)),
            "{c:#?}"
        );
    }

    // Never requested: robots-disallowed and denied URLs.
    for r in h.server.requests() {
        assert!(!r.path.contains("/suppliers/"), "requested {}", r.path);
        assert!(!r.path.contains("search="), "requested {}", r.path);
        assert!(!r.path.ends_with(".csv"), "requested {}", r.path);
    }
}
