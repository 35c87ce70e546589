//! Real page histories end to end: 30 GOV.UK guidance pages and their 178 dated versions
//! (`fixtures/corpus/govuk-histories`, Open Government Licence v3.0) served over loopback by
//! the fixture server, one version step per run, crawled and judged by the real pipeline.
//!
//! Every step whose visible main text changed must be reported `changed`; a step that changed
//! only markup, the template or navigation must not be reported at all. "Visible main text"
//! is read here independently of the extractor: the text nodes of `<main>` outside scripts,
//! styles, navigation, form controls and hidden elements, as words.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::Harness;
use quietwatch::model::{ChangeKind, Significance};
use quietwatch_fixture::FixtureSite;
use scraper::{ElementRef, Html, Node};

struct Page {
    slug: String,
    versions: Vec<String>,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/govuk-histories")
}

fn pages() -> Vec<Page> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| {
            let mut files: Vec<PathBuf> = std::fs::read_dir(d)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "html"))
                .collect();
            files.sort();
            let name = d.file_name().unwrap().to_string_lossy().into_owned();
            Page {
                slug: name.trim_start_matches("guidance__").to_owned(),
                versions: files
                    .iter()
                    .map(|f| std::fs::read_to_string(f).unwrap())
                    .collect(),
            }
        })
        .collect()
}

fn wrap(slug: &str, main: &str) -> String {
    format!("<!DOCTYPE html><html><head><title>{slug}</title></head><body>{main}</body></html>")
}

/// The words a reader sees in `<main>`.
fn visible_words(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut words = Vec::new();
    for node in doc.root_element().descendants() {
        let Node::Text(t) = node.value() else {
            continue;
        };
        let hidden = node.ancestors().filter_map(ElementRef::wrap).any(|a| {
            let e = a.value();
            matches!(
                e.name(),
                "script"
                    | "style"
                    | "noscript"
                    | "template"
                    | "nav"
                    | "svg"
                    | "select"
                    | "textarea"
                    | "option"
                    | "head"
            ) || e.attr("hidden").is_some()
                || e.attr("aria-hidden") == Some("true")
        });
        if !hidden {
            words.extend(t.split_whitespace().map(str::to_owned));
        }
    }
    words
}

/// A fixture site: version N serves each page's version N-1 (or its last one).
fn write_site(pages: &[Page], dir: &Path) -> usize {
    let steps = pages.iter().map(|p| p.versions.len()).max().unwrap();
    let mut toml = String::from("name = \"govuk-histories\"\nhosts = [\"gov\"]\n");
    for n in 1..=steps {
        toml.push_str(&format!("\n[[version]]\nn = {n}\n"));
        if n > 1 {
            toml.push_str("inherit = true\n");
        }
        let host = dir.join(format!("v{n}/gov/guidance"));
        std::fs::create_dir_all(&host).unwrap();
        for p in pages {
            if let Some(main) = p.versions.get(n - 1) {
                std::fs::write(host.join(format!("{}.html", p.slug)), wrap(&p.slug, main)).unwrap();
            }
        }
    }
    std::fs::write(dir.join("site.toml"), toml).unwrap();
    let starts: Vec<String> = pages
        .iter()
        .map(|p| format!("\"{{{{host:gov}}}}/guidance/{}\"", p.slug))
        .collect();
    let config = format!(
        "[crawl]\nuser_agent = \"quietwatch-test/0.1\"\nconcurrency = 8\nper_host_concurrency = 8\n\
         delay_ms = 0\ntimeout_s = 10\nretries = 0\n\n[storage]\ndb = \"{}\"\n\n\
         [digest]\nout_dir = \"{}\"\n\n[[site]]\nname = \"GOV.UK guidance\"\nstart = [{}]\n\
         max_depth = 0\nsitemaps = false\n",
        dir.join("qw.db").display(),
        dir.join("digests").display(),
        starts.join(", ")
    );
    std::fs::write(dir.join("quietwatch.toml"), config).unwrap();
    steps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_visible_change_is_reported_and_template_changes_are_not() {
    let pages = pages();
    assert_eq!(pages.len(), 30);
    let site_dir = tempfile::tempdir().unwrap();
    let steps = write_site(&pages, site_dir.path());
    let h = Harness::start(FixtureSite::Dir(site_dir.path().to_path_buf()), &[]).await;

    let baseline = h.crawl().await;
    assert!(
        h.changes_of_run(&baseline).is_empty(),
        "the first crawl is a baseline"
    );

    let (mut expected_changed, mut reported, mut major, mut quiet) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for n in 2..=steps {
        h.server.set_version(n as u32);
        let report = h.crawl().await;
        let changes = h.changes_of_run(&report);
        let mut by_url: BTreeMap<String, (ChangeKind, Significance, String)> = BTreeMap::new();
        for c in &changes {
            by_url.insert(c.url.clone(), (c.kind, c.significance, c.summary.clone()));
        }
        for p in &pages {
            let url = h.url("gov", &format!("/guidance/{}", p.slug));
            let got = by_url.remove(&url);
            let Some(new) = p.versions.get(n - 1) else {
                if got.is_some() {
                    wrong.push(format!(
                        "{} step {n}: reported, but the page did not change",
                        p.slug
                    ));
                }
                continue;
            };
            let old = &p.versions[n - 2];
            let visible = visible_words(&wrap(&p.slug, old)) != visible_words(&wrap(&p.slug, new));
            match (&got, visible) {
                (Some((ChangeKind::Changed, sig, _)), true) => {
                    expected_changed += 1;
                    reported += 1;
                    major += usize::from(*sig == Significance::Major);
                }
                (None, false) => quiet += 1,
                (Some(g), true) => {
                    expected_changed += 1;
                    wrong.push(format!(
                        "{} step {n}: visible change reported as {g:?}",
                        p.slug
                    ));
                }
                (None, true) => {
                    expected_changed += 1;
                    wrong.push(format!("{} step {n}: visible change not reported", p.slug));
                }
                (Some(g), false) => {
                    wrong.push(format!(
                        "{} step {n}: template-only step reported: {g:?}",
                        p.slug
                    ));
                }
            }
        }
        assert!(
            by_url.is_empty(),
            "records for pages not watched: {by_url:?}"
        );
    }
    eprintln!(
        "govuk-histories end to end: {} steps; visible changes {expected_changed}; reported \
         changed {reported} (major {major}, minor {}); quiet (template/markup only, not \
         reported) {quiet}",
        expected_changed + quiet,
        reported - major
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(expected_changed + quiet, 148);
    // A re-run over the last version reports nothing new.
    let again = h.crawl().await;
    assert!(h.changes_of_run(&again).is_empty());
}
