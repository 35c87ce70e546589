//! Facts end to end (SPEC.md "Facts", issue 10): a fixture site on loopback whose pages state
//! their facts in three markups (a GOV.UK summary list, a two-column table, `Label: value`
//! lines and lot lists), crawled twice by the real pipeline. Each fact change kind must come
//! out as a `changed` record carrying SPEC's `"facts"`, graded as SPEC says, with a summary
//! that leads with the facts in words; the links that matter (a lost "View this dataset", a
//! gained link to a new collection) are `major`; a link that was only reworded, moved or given
//! a tracking parameter is not news. A third run on the same bytes reports nothing. Then the
//! register (`quietwatch facts`) is read through the binary: JSON Lines, CSV, `--expiring`
//! and `--at`; and `history` lists the fact changes.
//!
//! The site is written by the test into a temporary directory (dates for `--expiring` are
//! relative to the day the test runs), so nothing depends on the wall clock's year.

mod common;

use chrono::{Duration, Utc};
use common::{qw, Harness};
use quietwatch::model::{Change, ChangeKind, Significance};
use quietwatch_fixture::FixtureSite;
use std::collections::BTreeMap;
use std::path::Path;

/// A GOV.UK-style page: header and navigation (not content), then `<main>`.
fn page(title: &str, main: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} - GOV.UK</title></head>
<body><header class="govuk-header"><a href="/">GOV.UK</a></header>
<nav class="govuk-breadcrumbs"><ol><li><a href="/">Home</a></li><li><a href="/agreements">Agreements</a></li></ol></nav>
<main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-xl">{title}</h1>
{main}
</main>
<footer class="govuk-footer"><a href="/help">Help</a></footer></body></html>"#
    )
}

/// A key-facts panel as a GOV.UK summary list.
fn summary_list(rows: &[(&str, &str)]) -> String {
    let rows: String = rows
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{k}</dt><dd class="govuk-summary-list__value">{v}</dd></div>"#
            )
        })
        .collect();
    format!(r#"<dl class="govuk-summary-list">{rows}</dl>"#)
}

/// Key facts as a two-column table.
fn facts_table(rows: &[(&str, &str)]) -> String {
    let rows: String = rows
        .iter()
        .map(|(k, v)| format!(r#"<tr><th scope="row">{k}</th><td>{v}</td></tr>"#))
        .collect();
    format!(r#"<table class="govuk-table"><tbody>{rows}</tbody></table>"#)
}

const PROSE: &str = "<p>This agreement helps public sector buyers to find suppliers quickly, \
    with terms that have already been agreed and prices that are capped for its duration.</p>";

fn dmy(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The site's pages in version `v` (1 or 2), by path.
fn pages(v: u32) -> BTreeMap<&'static str, String> {
    let today = Utc::now().date_naive();
    let mut p = BTreeMap::new();
    let end = if v == 1 { "16/06/2026" } else { "16/12/2026" };
    p.insert(
        "agreements/RM6098.html",
        page(
            "Technology Products and Associated Services 2",
            &format!(
                "{}{PROSE}",
                summary_list(&[
                    ("Agreement ID", "RM6098"),
                    ("Status", "Live"),
                    ("Start date", "17 June 2022"),
                    ("End date", end),
                ])
            ),
        ),
    );
    let (suppliers, status) = if v == 1 {
        ("42", "Live")
    } else {
        ("38", "Expired")
    };
    p.insert(
        "agreements/RM6187.html",
        page(
            "Management Consultancy Framework Three",
            &format!(
                "{}{PROSE}",
                facts_table(&[
                    ("Framework reference", "RM6187"),
                    ("Status", status),
                    ("Expiry date", "05/09/2029"),
                    ("Number of suppliers", suppliers),
                ])
            ),
        ),
    );
    let mut lots = vec![
        "<li>Lot 1: Cloud software <strong>Live</strong></li>",
        "<li>Lot 2: Cloud support <strong>Live</strong></li>",
    ];
    if v == 1 {
        lots.push("<li>Lot 3: Cloud hosting <strong>Live</strong></li>");
    }
    p.insert(
        "agreements/RM1557.14.html",
        page(
            "G-Cloud 14",
            &format!(
                "<p>Agreement number: RM1557.14</p><p>End date: 11/11/2029</p>{PROSE}<h2>Lots</h2><ul>{}</ul>",
                lots.join("")
            ),
        ),
    );
    // Links that matter, case 1: the dataset page loses its "View this dataset" link.
    let dataset = if v == 1 {
        r#"<p><a class="govuk-button" href="https://data.gov.uk/dataset/spend-over-25000">View this dataset</a></p>"#
    } else {
        ""
    };
    p.insert(
        "government/statistical-data-sets/spend-over-25000.html",
        page(
            "Spend over £25,000",
            &format!("<p>Monthly spending by the department on items over £25,000, published as open data for anyone to reuse and analyse.</p>{dataset}<p>The data covers every transaction above the threshold.</p>"),
        ),
    );
    // Case 2: the guidance gains a link to a new collection.
    let collection = if v == 2 {
        r#"<p><a href="/government/collections/procurement-act-2023-guidance">Procurement Act 2023 guidance</a></p>"#
    } else {
        ""
    };
    p.insert(
        "guidance/buying-cloud.html",
        page(
            "Buying cloud services",
            &format!("<p>How public sector buyers can buy cloud hosting, software and support through the framework agreements that cover them.</p>{collection}<p>Read the buyer's guide before you start a further competition.</p>"),
        ),
    );
    // Not news: a link whose text alone was reworded…
    let reworded = if v == 1 {
        "Read the guidance"
    } else {
        "Read the latest guidance"
    };
    p.insert(
        "guidance/reworded.html",
        page(
            "How to buy",
            &format!(r#"<p>Buyers can order through the catalogue or run a further competition between the suppliers on a lot.</p><p><a href="/guidance/how-to-buy-detail">{reworded}</a> for the steps.</p>"#),
        ),
    );
    // …a link given a tracking parameter…
    let tracked = if v == 1 {
        ""
    } else {
        "?utm_source=newsletter&utm_medium=email"
    };
    p.insert(
        "guidance/tracked.html",
        page(
            "Supplier guidance",
            &format!(r#"<p>Suppliers on an agreement must report their sales each month, even when they had none.</p><p>See <a href="/guidance/reporting{tracked}">how to report management information</a>.</p>"#),
        ),
    );
    // …or a link that now points elsewhere under the same text (a rotating session id in a
    // target looks just like this, so on its own it is not reported)…
    let target = if v == 1 {
        "/notices/2025-001"
    } else {
        "/notices/2026-014"
    };
    p.insert(
        "guidance/retargeted.html",
        page(
            "Current notices",
            &format!(r#"<p>The notice below sets out the agreement's current pricing and ordering rules for every lot.</p><p><a href="{target}">Read the current notice</a></p>"#),
        ),
    );
    // …or words that merely became a link, nothing else touched (a real GOV.UK step)…
    let linked = if v == 1 {
        "Manage your funding"
    } else {
        r#"<a href="/guidance/manage-your-funding">Manage your funding</a>"#
    };
    p.insert(
        "guidance/linked-words.html",
        page(
            "Funding",
            &format!(r#"<p>Employers receive the grant in instalments once each young person has started work.</p><p>{linked}</p>"#),
        ),
    );
    // …but a page whose text is the same while a link in it is gone (its words kept as plain
    // text) is news: the notice is no longer linked.
    let unlinked = if v == 1 {
        r#"<a href="/notices/2025-002">Read the award notice</a>"#
    } else {
        "Read the award notice"
    };
    p.insert(
        "guidance/unlinked-notice.html",
        page(
            "Award notices",
            &format!(r#"<p>The award notice for every lot of the agreement is published when the standstill period ends.</p><p>{unlinked}</p>"#),
        ),
    );
    // For the register's --expiring: relative to today.
    for (path, id, end) in [
        (
            "agreements/RM9001.html",
            "RM9001",
            today + Duration::days(30),
        ),
        (
            "agreements/RM9002.html",
            "RM9002",
            today - Duration::days(10),
        ),
        (
            "agreements/RM9003.html",
            "RM9003",
            today + Duration::days(400),
        ),
    ] {
        p.insert(
            path,
            page(
                &format!("Agreement {id}"),
                &format!(
                    "{}{PROSE}",
                    summary_list(&[("Agreement ID", id), ("End date", &dmy(end))])
                ),
            ),
        );
    }
    // Hostile text in a fact: stored as text, escaped wherever it is shown.
    p.insert(
        "agreements/RM9005.html",
        page(
            "Agreement RM9005",
            &format!(
                "{}{PROSE}",
                summary_list(&[
                    ("Agreement ID", "RM9005"),
                    ("Status", "&lt;script&gt;alert(1)&lt;/script&gt;"),
                    ("End date", "01/01/2031"),
                ])
            ),
        ),
    );
    p.insert(
        "agreements/RM9004.html",
        page(
            "Agreement RM9004",
            &format!(
                "{}{PROSE}<h2>Lots</h2><ul><li>Lot 1: Hardware</li><li>Lot 2: Software Expires: {}</li></ul>",
                summary_list(&[("Agreement ID", "RM9004"), ("End date", &dmy(today + Duration::days(900)))]),
                dmy(today + Duration::days(20))
            ),
        ),
    );
    let links: String = p
        .keys()
        .map(|k| {
            let path = k.trim_end_matches(".html");
            format!(r#"<li><a href="/{path}">{path}</a></li>"#)
        })
        .collect();
    p.insert("index.html", page("Index", &format!("<ul>{links}</ul>")));
    p
}

const CONFIG: &str = r#"[crawl]
user_agent = "quietwatch-test/0.1 (+mailto:test@example.org)"
delay_ms = 0
retries = 0
respect_robots = false

[storage]
db = "facts.db"

[digest]
min_significance = "minor"
out_dir = "digests"
# "Ending soon" records are tested in tests/watch.rs; these runs count fact changes only.
ending_within_days = 0

[[site]]
name = "GOV.UK"
start = ["{{host:gov}}/"]
max_depth = 2
sitemaps = false
documents = false
"#;

/// Writes the site (v1, v2, and v3 = v2) into `root`.
fn write_site(root: &Path) {
    std::fs::write(
        root.join("site.toml"),
        "name = \"facts\"\nhosts = [\"gov\"]\n[[version]]\nn = 1\n[[version]]\nn = 2\ninherit = true\n[[version]]\nn = 3\ninherit = true\n",
    )
    .unwrap();
    std::fs::write(root.join("quietwatch.toml"), CONFIG).unwrap();
    for v in [1, 2] {
        for (rel, html) in pages(v) {
            let path = root.join(format!("v{v}/gov/{rel}"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, html).unwrap();
        }
    }
}

fn by_path<'a>(h: &Harness, changes: &'a [Change], path: &str) -> Option<&'a Change> {
    let url = h.url("gov", path);
    changes.iter().find(|c| c.url == url)
}

fn fact<'a>(c: &'a Change, name: &str) -> &'a quietwatch::model::FactChange {
    c.facts
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fact change {name} in {c:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fact_changes_are_reported_as_facts_and_the_register_reads_them() {
    let site_dir = tempfile::tempdir().unwrap();
    write_site(site_dir.path());
    let h = Harness::start(FixtureSite::Dir(site_dir.path().to_path_buf()), &[]).await;

    h.server.set_version(1);
    let r1 = h.crawl().await;
    assert!(
        h.changes_of_run(&r1).is_empty(),
        "the baseline reports nothing"
    );
    let between = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    h.server.set_version(2);
    let r2 = h.crawl().await;
    let c2 = h.changes_of_run(&r2);

    // A date: the end date, with the duration.
    let tepas = by_path(&h, &c2, "/agreements/RM6098").expect("RM6098 changed");
    assert_eq!(
        (tepas.kind, tepas.significance),
        (ChangeKind::Changed, Significance::Major)
    );
    let end = fact(tepas, "end_date");
    assert_eq!(end.from_text.as_deref(), Some("16/06/2026"));
    assert_eq!(end.to_text.as_deref(), Some("16/12/2026"));
    assert_eq!(
        end.from.as_ref().map(|v| v.to_string()).as_deref(),
        Some("2026-06-16")
    );
    assert!(
        tepas
            .summary
            .starts_with("end date 16/06/2026 → 16/12/2026 (+6 months)"),
        "{}",
        tepas.summary
    );

    // A count and a status, in a two-column table under other labels.
    let mcf = by_path(&h, &c2, "/agreements/RM6187").expect("RM6187 changed");
    assert_eq!(mcf.significance, Significance::Major);
    assert_eq!(fact(mcf, "suppliers").to_text.as_deref(), Some("38"));
    assert_eq!(fact(mcf, "status").to_text.as_deref(), Some("Expired"));
    assert!(mcf.summary.contains("suppliers 42 → 38"), "{}", mcf.summary);
    assert!(
        mcf.summary.contains("status Live → Expired"),
        "{}",
        mcf.summary
    );

    // A lot that disappears, named with its title.
    let gc = by_path(&h, &c2, "/agreements/RM1557.14").expect("RM1557.14 changed");
    assert_eq!(gc.significance, Significance::Major);
    let lot = fact(gc, "lot:3");
    assert!(lot.to.is_none(), "{lot:?}");
    assert!(
        gc.summary.starts_with("lot 3 \"Cloud hosting\" removed"),
        "{}",
        gc.summary
    );

    // Links that matter (issue 10's two real cases): both major, both named by target.
    let ds = by_path(
        &h,
        &c2,
        "/government/statistical-data-sets/spend-over-25000",
    )
    .expect("the dataset page changed");
    assert_eq!(ds.significance, Significance::Major, "{ds:#?}");
    let lost = fact(ds, "link:https://data.gov.uk/dataset/spend-over-25000");
    assert_eq!(lost.from_text.as_deref(), Some("View this dataset"));
    assert!(lost.to.is_none());
    assert!(
        ds.summary.starts_with("link \"View this dataset\" removed"),
        "{}",
        ds.summary
    );
    let cloud = by_path(&h, &c2, "/guidance/buying-cloud").expect("the guidance changed");
    assert_eq!(cloud.significance, Significance::Major, "{cloud:#?}");
    let gained = fact(
        cloud,
        &format!(
            "link:{}",
            h.url(
                "gov",
                "/government/collections/procurement-act-2023-guidance"
            )
        ),
    );
    assert!(gained.from.is_none());

    // Same text, a link gone: changed and major, on the link fact alone.
    let un = by_path(&h, &c2, "/guidance/unlinked-notice").expect("the lost link is news");
    assert_eq!(
        (un.kind, un.significance),
        (ChangeKind::Changed, Significance::Major)
    );
    assert_eq!(
        un.words_added + un.words_removed,
        0,
        "the text did not change: {un:#?}"
    );
    assert!(
        fact(un, &format!("link:{}", h.url("gov", "/notices/2025-002")))
            .to
            .is_none()
    );
    assert_eq!(un.summary, "link \"Read the award notice\" removed");
    // A link retargeted under the same text, the text unchanged: not reported.
    assert!(
        by_path(&h, &c2, "/guidance/retargeted").is_none(),
        "{c2:#?}"
    );
    assert!(
        by_path(&h, &c2, "/guidance/linked-words").is_none(),
        "{c2:#?}"
    );

    // Not news: a reworded link is a text change only (minor, no link fact); a tracking
    // parameter is nothing at all.
    let rw = by_path(&h, &c2, "/guidance/reworded").expect("the reworded text is a change");
    assert_eq!(rw.significance, Significance::Minor, "{rw:#?}");
    assert!(
        rw.facts.iter().all(|f| !f.name.starts_with("link:")),
        "{rw:#?}"
    );
    assert!(by_path(&h, &c2, "/guidance/tracked").is_none(), "{c2:#?}");
    // Pages whose facts did not change carry `[]`.
    for c in &c2 {
        if c.facts.is_empty() {
            continue;
        }
        assert_eq!(c.kind, ChangeKind::Changed, "{c:#?}");
    }
    assert_eq!(
        c2.len(),
        7,
        "{:#?}",
        c2.iter().map(|c| &c.url).collect::<Vec<_>>()
    );

    // A re-run on the same bytes reports nothing new.
    h.server.set_version(3);
    let r3 = h.crawl().await;
    assert!(
        h.changes_of_run(&r3).is_empty(),
        "{:#?}",
        h.changes_of_run(&r3)
    );

    register_through_the_binary(&h, between).await;
    history_lists_fact_changes(&h).await;
    serve_shows_the_register_and_fact_changes(&h).await;
}

async fn serve_shows_the_register_and_fact_changes(h: &Harness) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let db = h.db();
    tokio::spawn(async move {
        axum::serve(listener, quietwatch::serve::router(db))
            .await
            .unwrap()
    });
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move {
            let r = reqwest::get(url).await.unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            r.text().await.unwrap()
        }
    };
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();

    // The register, soonest end first (the agreement that ended 10 days ago leads), each row
    // linked to its page's timeline; the hostile status is text.
    let facts = get("/facts").await;
    let pos = |body: &str, needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in {body}"))
    };
    assert!(pos(&facts, "RM9002") < pos(&facts, "RM9001"), "{facts}");
    assert!(pos(&facts, "RM9001") < pos(&facts, "RM9005"), "{facts}");
    let page_href = format!("/page?url={}", enc(&h.url("gov", "/agreements/RM6098")));
    assert!(facts.contains(&page_href.replace('&', "&amp;")), "{facts}");
    assert!(
        facts.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{facts}"
    );
    assert!(!facts.contains("<script>"), "{facts}");
    assert!(facts.contains(">ended<"), "{facts}");
    // Latest end first on request.
    let latest = get("/facts?sort=-end").await;
    assert!(pos(&latest, "RM9005") < pos(&latest, "RM9002"), "{latest}");
    // One site, ending within 90 days.
    let soon = get("/facts?site=GOV.UK&expiring=90").await;
    assert!(
        soon.contains("RM9001") && !soon.contains("RM9003"),
        "{soon}"
    );

    // The page's timeline shows the fact change as a before/after row.
    let timeline = get(&page_href).await;
    let table = &timeline[pos(&timeline, "facts-changed")..];
    assert!(
        table.contains("<td>End date</td><td>16/06/2026</td><td>16/12/2026</td>"),
        "{timeline}"
    );
}

async fn register_through_the_binary(h: &Harness, between: chrono::DateTime<Utc>) {
    let today = Utc::now().date_naive();
    let json = qw(&h.config_path, &["facts", "--json"]).await;
    assert_eq!(json.code, 0, "{json:#?}");
    let rows: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let row = |rows: &[serde_json::Value], reference: &str| -> serde_json::Value {
        rows.iter()
            .find(|r| r["reference"] == reference)
            .cloned()
            .unwrap_or_else(|| panic!("no row {reference} in {rows:#?}"))
    };
    // Only agreements: the guidance pages state neither a reference nor an end date.
    assert_eq!(rows.len(), 8, "{rows:#?}");
    let tepas = row(&rows, "RM6098");
    for key in [
        "site",
        "url",
        "title",
        "reference",
        "status",
        "start_date",
        "end_date",
        "lots",
        "suppliers",
        "facts",
        "version",
        "checked_at",
    ] {
        assert!(tepas.get(key).is_some(), "{key} missing from {tepas}");
    }
    assert_eq!(tepas["end_date"], "2026-12-16");
    assert_eq!(tepas["start_date"], "2022-06-17");
    assert_eq!(tepas["status"], "Live");
    assert_eq!(tepas["url"], h.url("gov", "/agreements/RM6098"));
    let mcf = row(&rows, "RM6187");
    assert_eq!(
        (mcf["suppliers"].as_u64(), mcf["status"].as_str()),
        (Some(38), Some("Expired"))
    );
    let gc = row(&rows, "RM1557.14");
    let lots: Vec<&str> = gc["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(lots, vec!["1", "2"]);
    assert_eq!(gc["lots"][0]["title"], "Cloud software");

    // As it stood between the runs: the old end date, the old supplier count, lot 3.
    let at = between.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let then = qw(&h.config_path, &["facts", "--json", "--at", &at]).await;
    let then: Vec<serde_json::Value> = then
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(row(&then, "RM6098")["end_date"], "2026-06-16");
    assert_eq!(row(&then, "RM6187")["suppliers"], 42);
    assert_eq!(row(&then, "RM1557.14")["lots"].as_array().unwrap().len(), 3);
    // Before the first crawl there was nothing.
    let before = qw(&h.config_path, &["facts", "--json", "--at", "2001-01-01"]).await;
    assert_eq!((before.code, before.stdout.as_str()), (0, ""));

    // --expiring 90: the one ending in 30 days, the one that ended 10 days ago (marked), and
    // the one whose lot 2 expires in 20 days; not the one ending in 400 days.
    let soon = qw(&h.config_path, &["facts", "--json", "--expiring", "90"]).await;
    let soon: Vec<serde_json::Value> = soon
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut refs: Vec<&str> = soon
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    refs.sort();
    // The fixed dates of the other agreements count too when today is near them.
    let mut want = vec!["RM9001", "RM9002", "RM9004"];
    for (reference, end) in [
        ("RM6098", "2026-12-16"),
        ("RM6187", "2029-09-05"),
        ("RM1557.14", "2029-11-11"),
    ] {
        let end = chrono::NaiveDate::parse_from_str(end, "%Y-%m-%d").unwrap();
        if (end - today).num_days().abs() <= 90 {
            want.push(reference);
        }
    }
    want.sort();
    assert_eq!(refs, want, "{soon:#?}");
    assert_eq!(row(&soon, "RM9002")["ended"], true);
    assert_eq!(row(&soon, "RM9001")["ended"], false);
    assert_eq!(
        row(&soon, "RM9004")["lots"][1]["expires"],
        (today + Duration::days(20)).format("%Y-%m-%d").to_string()
    );
    let text = qw(&h.config_path, &["facts", "--expiring", "90"]).await;
    assert!(
        text.stdout.contains("(ended)") && text.stdout.contains("RM9001"),
        "{}",
        text.stdout
    );

    // CSV: a header, one row per agreement, lots joined.
    let csv_out = qw(&h.config_path, &["facts", "--csv"]).await;
    assert_eq!(csv_out.code, 0, "{csv_out:#?}");
    let mut reader = csv::Reader::from_reader(csv_out.stdout.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header[..5],
        ["reference", "title", "status", "start_date", "end_date"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 8);
    let lots_col = header.iter().position(|h| h == "lots").unwrap();
    let gc = records.iter().find(|r| &r[0] == "RM1557.14").unwrap();
    assert_eq!(&gc[lots_col], "1: Cloud software; 2: Cloud support");

    // An unknown site is a usage error, as everywhere.
    let bad = qw(&h.config_path, &["facts", "--site", "Nope"]).await;
    assert_eq!(bad.code, 2, "{bad:#?}");
}

async fn history_lists_fact_changes(h: &Harness) {
    let url = h.url("gov", "/agreements/RM6098");
    let out = qw(&h.config_path, &["history", &url]).await;
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        out.stdout
            .contains("fact: end date 16/06/2026 → 16/12/2026 (+6 months)"),
        "{}",
        out.stdout
    );
    let json = qw(&h.config_path, &["history", &url, "--json"]).await;
    let versions: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "version")
        .collect();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["fact_changes"], serde_json::json!([]));
    assert_eq!(versions[1]["fact_changes"][0]["name"], "end_date");
}
