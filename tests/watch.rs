//! Watched phrases and "ending soon", end to end: a fixture site written by each test into a
//! temporary directory, served on loopback, crawled run after run into a real SQLite store.

mod common;

use common::{qw, Harness};
use quietwatch::config::Config;
use quietwatch::model::{Change, ChangeKind, Significance};
use quietwatch_fixture::FixtureSite;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One version of the site: (path under the host, page body text) pairs. The index page,
/// linking every page of the version, is written for it.
type Version<'a> = &'a [(&'a str, &'a str, &'a str)];

/// Writes a one-host (`w`) site whose versions hold the given pages (path, title, main
/// HTML). Each version lists all its pages (nothing is inherited), so a page left out of a
/// version answers 404 in it.
fn write_site(dir: &Path, versions: &[Version<'_>], config_tail: &str) -> PathBuf {
    let site = dir.join("site");
    let mut manifest = String::from("name = \"watch\"\nhosts = [\"w\"]\n");
    for (i, pages) in versions.iter().enumerate() {
        let n = i + 1;
        let _ = writeln!(manifest, "\n[[version]]\nn = {n}");
        let root = site.join(format!("v{n}/w"));
        std::fs::create_dir_all(&root).unwrap();
        let mut links = String::new();
        for (path, title, main) in pages.iter() {
            let file = root.join(format!("{path}.html"));
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(
                &file,
                format!(
                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
                     <body><nav><a href=\"/\">Home</a></nav><main><h1>{title}</h1>{main}</main></body></html>"
                ),
            )
            .unwrap();
            let _ = write!(links, "<li><a href=\"/{path}\">{path}</a></li>");
        }
        std::fs::write(
            root.join("index.html"),
            format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Agreements</title></head>\
                 <body><main><h1>Agreements</h1><ul>{links}</ul></main></body></html>"
            ),
        )
        .unwrap();
    }
    std::fs::write(site.join("site.toml"), manifest).unwrap();
    std::fs::write(
        site.join("quietwatch.toml"),
        format!(
            r#"[crawl]
user_agent = "quietwatch-test/0.1"
delay_ms = 0
retries = 0
timeout_s = 5

[storage]
db = "q.db"

[digest]
out_dir = "digests"

[[site]]
name = "Agreements"
start = ["{{{{host:w}}}}/"]
max_depth = 2
sitemaps = false
documents = false
{config_tail}"#
        ),
    )
    .unwrap();
    site
}

async fn harness(dir: &Path, versions: &[Version<'_>], config_tail: &str) -> Harness {
    let site = write_site(dir, versions, config_tail);
    Harness::start(FixtureSite::Dir(site), &[]).await
}

/// The records of a run, but the index page's (its list of links changes with the pages),
/// as (kind, page path, phrase), sorted.
fn kinds(h: &Harness, changes: &[Change]) -> Vec<(ChangeKind, String, Option<String>)> {
    let base = h.url("w", "/");
    let mut out: Vec<_> = changes
        .iter()
        .filter(|c| c.url != base)
        .map(|c| {
            (
                c.kind,
                c.url.trim_start_matches(base.as_str()).to_string(),
                c.phrase.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

fn p(s: &str) -> Option<String> {
    Some(s.to_string())
}

const WATCHES: &str = r#"
[[watch]]
phrase = "market engagement"
on = "appear"

[[watch]]
phrase = "extension"
on = "disappear"

[[watch]]
phrase = "Framework refresh"
"#;

#[tokio::test]
async fn phrases_appear_and_disappear_once_on_word_boundaries() {
    let tmp = tempfile::tempdir().unwrap();
    let v1: Version = &[
        (
            "a",
            "RM6001 Cloud",
            "<p>A contract extension was agreed in May.</p>",
        ),
        (
            "b",
            "RM6002 Food",
            "<p>Our supermarket engagement survey is open.</p>",
        ),
        ("c", "RM6003 Estates", "<p>Nothing to report.</p>"),
        ("d", "RM6004 Legal", "<p>The extension ends in June.</p>"),
    ];
    let v2: Version = &[
        (
            "a",
            "RM6001 Cloud",
            "<p>Early   MARKET\u{a0}Engagement opens on 1 March.</p>",
        ),
        (
            "b",
            "RM6002 Food",
            "<p>Our supermarket engagement survey is closed. Market engagements follow.</p>",
        ),
        ("c", "RM6003 Framework Refresh", "<p>Nothing to report.</p>"),
        // d is deleted: removed, and no phrase record for the extension it held.
        (
            "e",
            "RM6005 New",
            "<p>Pre-market engagement starts now.</p>",
        ),
    ];
    let v3: Version = &[
        // The appear-only phrase goes, the disappear-only one comes back: neither is news.
        ("a", "RM6001 Cloud", "<p>An extension is planned.</p>"),
        (
            "b",
            "RM6002 Food",
            "<p>Our supermarket engagement survey is closed.</p>",
        ),
        ("c", "RM6003 Estates", "<p>Nothing to report.</p>"),
        (
            "e",
            "RM6005 New",
            "<p>Pre-market engagement starts now.</p>",
        ),
    ];
    let h = harness(tmp.path(), &[v1, v2, v3], WATCHES).await;

    h.server.set_version(1);
    let baseline = h.crawl().await;
    assert!(
        h.changes_of_run(&baseline).is_empty(),
        "baseline reports nothing"
    );

    h.server.set_version(2);
    let run2 = h.crawl().await;
    let changes = h.changes_of_run(&run2);
    use ChangeKind::*;
    assert_eq!(
        kinds(&h, &changes),
        vec![
            (Removed, "d".into(), None),
            (Changed, "a".into(), None),
            (Changed, "b".into(), None),
            (Changed, "c".into(), None),
            (Added, "e".into(), None),
            (PhraseAppeared, "a".into(), p("market engagement")),
            (PhraseAppeared, "c".into(), p("Framework refresh")),
            (PhraseAppeared, "e".into(), p("market engagement")),
            (PhraseDisappeared, "a".into(), p("extension")),
        ],
        "{changes:#?}"
    );
    for c in changes.iter().filter(|c| c.kind.is_phrase()) {
        assert_eq!(c.significance, Significance::Major);
        assert!(c.from.is_some() || c.kind == PhraseAppeared);
        assert!(c.to.is_some());
    }
    let summary = |kind: ChangeKind, path: &str| {
        changes
            .iter()
            .find(|c| c.kind == kind && c.url.ends_with(&format!("/{path}")))
            .map(|c| c.summary.clone())
            .unwrap()
    };
    // The line it was found in (or lost from) is the context.
    assert_eq!(
        summary(PhraseAppeared, "a"),
        "“market engagement” appeared: “Early MARKET Engagement opens on 1 March.”"
    );
    assert_eq!(
        summary(PhraseDisappeared, "a"),
        "“extension” disappeared (was in “A contract extension was agreed in May.”)"
    );
    // The title counts: c's phrase is only in its title (and its h1).
    assert!(summary(PhraseAppeared, "c").contains("RM6003 Framework Refresh"));

    // A re-run on the same version reports nothing: the phrases stay, and are not news.
    let again = h.crawl().await;
    assert!(h.changes_of_run(&again).is_empty());

    h.server.set_version(3);
    let run3 = h.crawl().await;
    let changes = h.changes_of_run(&run3);
    assert_eq!(
        kinds(&h, &changes),
        vec![
            (Changed, "a".into(), None),
            (Changed, "b".into(), None),
            (Changed, "c".into(), None),
            (PhraseDisappeared, "c".into(), p("Framework refresh")),
        ],
        "{changes:#?}"
    );
    let again = h.crawl().await;
    assert!(h.changes_of_run(&again).is_empty());
}

#[tokio::test]
async fn a_page_that_is_removed_or_soft_removed_gets_no_phrase_record() {
    let tmp = tempfile::tempdir().unwrap();
    let v1: Version = &[
        (
            "a",
            "RM6101 Print",
            "<p>Market engagement closes on Friday.</p>",
        ),
        (
            "b",
            "RM6102 Fleet",
            "<p>Market engagement closes on Monday.</p>",
        ),
    ];
    // b now answers 200 with a "page not found" page.
    let v2: Version = &[(
        "b",
        "Page not found",
        "<p>Sorry, we cannot find that page.</p>",
    )];
    let h = harness(
        tmp.path(),
        &[v1, v2],
        "\n[[watch]]\nphrase = \"market engagement\"\n",
    )
    .await;
    h.server.set_version(1);
    h.crawl().await;
    h.server.set_version(2);
    let run = h.crawl().await;
    let changes = h.changes_of_run(&run);
    assert_eq!(
        kinds(&h, &changes),
        vec![
            (ChangeKind::Removed, "a".into(), None),
            (ChangeKind::SoftRemoved, "b".into(), None),
        ],
        "{changes:#?}"
    );
}

#[tokio::test]
async fn phrases_watch_only_their_sites_and_show_first_in_json_and_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let v1: Version = &[("a", "RM6201 Energy", "<p>Lots are live.</p>")];
    let v2: Version = &[(
        "a",
        "RM6201 Energy",
        "<p>Lots are live.</p><p>Market engagement: register <b>&lt;now&gt;</b>.</p>",
    )];
    let tail = "\n[[watch]]\nphrase = \"market engagement\"\nsites = [\"Agreements\"]\n\
                \n[[watch]]\nphrase = \"register\"\nsites = [\"Other\"]\n\
                \n[[site]]\nname = \"Other\"\nstart = [\"{{host:w}}/a\"]\nmax_depth = 0\nsitemaps = false\n";
    let h = harness(tmp.path(), &[v1, v2], tail).await;
    h.server.set_version(1);
    h.crawl().await;
    h.server.set_version(2);
    let run = h.crawl().await;
    let changes = h.changes_of_run(&run);
    // Each phrase is watched on its own site only; both sites hold page a.
    let of_site = |site: &str| {
        let mine: Vec<Change> = changes.iter().filter(|c| c.site == site).cloned().collect();
        kinds(&h, &mine)
    };
    assert_eq!(
        of_site("Agreements"),
        vec![
            (ChangeKind::Changed, "a".into(), None),
            (
                ChangeKind::PhraseAppeared,
                "a".into(),
                p("market engagement")
            ),
        ]
    );
    assert_eq!(
        of_site("Other"),
        vec![
            (ChangeKind::Changed, "a".into(), None),
            (ChangeKind::PhraseAppeared, "a".into(), p("register")),
        ]
    );

    let out = qw(&h.config_path, &["changes", "--json"]).await;
    assert_eq!(out.code, 0, "{out:#?}");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hit = lines
        .iter()
        .find(|l| l["kind"] == "phrase_appeared")
        .expect("a phrase line");
    assert_eq!(hit["phrase"], "market engagement");
    assert_eq!(hit["significance"], "major");
    let changed = lines.iter().find(|l| l["kind"] == "changed").unwrap();
    assert!(changed["phrase"].is_null());

    let out = qw(&h.config_path, &["digest", "--dry-run"]).await;
    assert_eq!(out.code, 0, "{out:#?}");
    let text = &out.stdout;
    let phrases = text.find("== Watched phrases ==").expect(text);
    let site = text.find("== Agreements ==").expect(text);
    assert!(phrases < site, "{text}");
    assert!(
        text.contains("Subject: [quietwatch] 2 phrase hits, 2 fact changes, 2 changed"),
        "{text}"
    );
    assert!(text.contains("Agreements: RM6201 Energy"), "{text}");

    // The HTML part escapes the page's text.
    let out = qw(&h.config_path, &["run"]).await;
    assert_eq!(out.code, 0, "{out:#?}");
    let html = std::fs::read_dir(h.dir.path().join("digests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "html"))
        .expect("an HTML digest");
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("Watched phrases"));
    assert!(html.contains("&lt;now&gt;"), "{html}");
    assert!(!html.contains("<now>"));
}

fn config_error(tail: &str) -> String {
    let text = format!(
        "[[site]]\nname = \"GCA agreements\"\nstart = [\"https://www.gca.gov.uk/agreements\"]\n{tail}"
    );
    match Config::parse(&text, Path::new("/etc/qw.toml")) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn watch_config_errors_name_file_line_and_key() {
    let e = config_error("[[watch]]\nphrase = \"x\"\nsites = [\"GCA agreement\"]\n");
    assert_eq!(
        e,
        "/etc/qw.toml:6: [[watch]] 1 key `sites`: no [[site]] named \"GCA agreement\" (sites: \"GCA agreements\")"
    );
    let e = config_error("[[watch]]\nphrase = \"x\"\non = \"appears\"\n");
    assert_eq!(
        e,
        "/etc/qw.toml:6: [[watch]] 1 key `on`: expected \"appear\", \"disappear\" or \"both\", found \"appears\""
    );
    let e = config_error("[[watch]]\nphrase = \"  \"\n");
    assert!(
        e.starts_with("/etc/qw.toml:5: [[watch]] 1 key `phrase`: must be a non-empty phrase"),
        "{e}"
    );
    let e = config_error(
        "[[watch]]\nphrase = \"market engagement\"\n[[watch]]\nphrase = \"Market  Engagement\"\n",
    );
    assert!(
        e.starts_with("/etc/qw.toml:7: [[watch]] 2 key `phrase`: \"Market  Engagement\" is already watched by [[watch]] 1"),
        "{e}"
    );
    let e = config_error("[[watch]]\nphrase = \"x\"\nsites = []\n");
    assert!(e.contains("[[watch]] 1 key `sites`: lists no site"), "{e}");
    let e = config_error("[[watch]]\nphrase = \"x\"\nsite = [\"GCA agreements\"]\n");
    assert!(
        e.contains("/etc/qw.toml:6") && e.contains("unknown field `site`"),
        "{e}"
    );
    let e = config_error("[[watch]]\nsites = [\"GCA agreements\"]\n");
    assert!(e.contains("missing field `phrase`"), "{e}");
    let e = config_error("[digest]\nending_within_days = -1\n");
    assert!(e.contains("ending_within_days"), "{e}");

    let ok = Config::parse(
        "[digest]\nending_within_days = 0\n[[site]]\nname = \"S\"\nstart = [\"https://a.test/\"]\n\
         [[watch]]\nphrase = \"  market\tengagement \"\n",
        Path::new("/etc/qw.toml"),
    )
    .unwrap();
    assert_eq!(ok.digest.ending_within_days, 0);
    assert_eq!(ok.watches[0].phrase, "market\tengagement");
    assert!(ok.watches[0].covers("S") && ok.watches[0].covers("any"));
    let default = Config::parse(
        "[[site]]\nname = \"S\"\nstart = [\"https://a.test/\"]\n",
        Path::new("/etc/qw.toml"),
    )
    .unwrap();
    assert_eq!(default.digest.ending_within_days, 90);
    assert!(default.watches.is_empty());
}

fn ending_pages(end: &str, lot: &str) -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "rm6401",
            "RM6401 Cloud Compute",
            format!(
                "<p>Cloud compute for the public sector.</p>\
                 <dl><dt>Agreement ID</dt><dd>RM6401</dd><dt>End date</dt><dd>{end}</dd></dl>\
                 <h3>Lot 2 - Cloud hosting</h3><p>Expires {lot}</p>"
            ),
        ),
        (
            "rm6402",
            "RM6402 Estates",
            "<dl><dt>Agreement ID</dt><dd>RM6402</dd><dt>End date</dt><dd>{{date:300}}</dd></dl>"
                .to_string(),
        ),
        // A listing states an end date (its first card's), but is no agreement.
        (
            "listing",
            "All agreements",
            "<ul><li><h3>RM6403 Fleet</h3><dl><dt>End date</dt><dd>{{date:10}}</dd></dl></li>\
             <li><h3>RM6404 Print</h3><dl><dt>End date</dt><dd>{{date:500}}</dd></dl></li></ul>"
                .to_string(),
        ),
    ]
}

fn as_version<'a>(
    v: &'a [(&'static str, &'static str, String)],
) -> Vec<(&'static str, &'static str, &'a str)> {
    v.iter().map(|(p, t, m)| (*p, *t, m.as_str())).collect()
}

fn in_days(days: u64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(days))
        .format("%d/%m/%Y")
        .to_string()
}

fn endings(h: &Harness, changes: &[Change]) -> Vec<(String, String, String)> {
    let base = h.url("w", "/");
    let mut out: Vec<_> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Ending)
        .map(|c| {
            (
                c.url.trim_start_matches(base.as_str()).to_string(),
                c.facts[0].name.clone(),
                c.summary.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn ending_soon_is_announced_once_per_end_date() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = ending_pages("{{date:30}}", "{{date:200}}");
    let v2 = ending_pages("{{date:40}}", "{{date:45}}");
    let (v1, v2) = (as_version(&v1), as_version(&v2));
    let h = harness(tmp.path(), &[&v1, &v2], "").await;

    h.server.set_version(1);
    let baseline = h.crawl().await;
    assert!(
        h.changes_of_run(&baseline).is_empty(),
        "nothing on the baseline"
    );

    // The first run after it announces what ends within 90 days (the default): RM6401,
    // not its lot (200 days), not RM6402 (300 days), not the listing.
    let run = h.crawl().await;
    let changes = h.changes_of_run(&run);
    assert_eq!(
        endings(&h, &changes),
        vec![(
            "rm6401".into(),
            "end_date".into(),
            format!("RM6401 ends on {} (in 30 days)", in_days(30))
        )],
        "{changes:#?}"
    );
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let c = &changes[0];
    assert_eq!(c.significance, Significance::Major);
    assert_eq!(c.title, "RM6401 Cloud Compute");
    assert_eq!(c.facts[0].to_text.as_deref(), Some(in_days(30).as_str()));
    // The summary line counts it.
    assert!(
        run.summary_line().contains("1 ending soon"),
        "{}",
        run.summary_line()
    );

    // Not again while the end date stays.
    let again = h.crawl().await;
    assert!(h.changes_of_run(&again).is_empty());

    // A new end date is announced again, and the lot now expiring within 90 days too.
    h.server.set_version(2);
    let run = h.crawl().await;
    let changes = h.changes_of_run(&run);
    assert_eq!(
        endings(&h, &changes),
        vec![
            (
                "rm6401".into(),
                "end_date".into(),
                format!("RM6401 ends on {} (in 40 days)", in_days(40))
            ),
            (
                "rm6401".into(),
                "lot:2".into(),
                format!(
                    "lot 2 “Cloud hosting” expires on {} (in 45 days)",
                    in_days(45)
                )
            ),
        ],
        "{changes:#?}"
    );
    let again = h.crawl().await;
    assert!(h.changes_of_run(&again).is_empty());

    // In the change JSON, "facts" holds the end date.
    let out = qw(&h.config_path, &["changes", "--json"]).await;
    let line: serde_json::Value = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["kind"] == "ending")
        .expect("an ending line");
    let want = (chrono::Utc::now().date_naive() + chrono::Days::new(30))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(line["facts"][0]["name"], "end_date");
    assert_eq!(line["facts"][0]["to"], want.as_str());
    assert!(line["facts"][0]["from"].is_null());

    // The digest lists it in "Ending soon", before the site's own changes.
    let out = qw(&h.config_path, &["digest", "--dry-run"]).await;
    let text = &out.stdout;
    let ending = text.find("== Ending soon ==").expect(text);
    let site = text.find("== Agreements ==").expect(text);
    assert!(ending < site, "{text}");
    assert!(
        text.contains("Subject: [quietwatch] 1 fact change, 3 ending soon"),
        "{text}"
    );
}

#[tokio::test]
async fn ending_within_days_0_turns_it_off() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = ending_pages("{{date:30}}", "{{date:5}}");
    let v1 = as_version(&v1);
    let site = write_site(tmp.path(), &[&v1], "");
    let config = site.join("quietwatch.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "out_dir = \"digests\"",
            "out_dir = \"digests\"\nending_within_days = 0",
        ),
    )
    .unwrap();
    let h = Harness::start(FixtureSite::Dir(site), &[]).await;
    assert_eq!(h.config.digest.ending_within_days, 0);
    for _ in 0..3 {
        let run = h.crawl().await;
        assert!(h.changes_of_run(&run).is_empty());
    }
}
