//! Facts over real page histories: 30 GOV.UK guidance pages, 178 dated versions
//! (`fixtures/corpus/govuk-histories`, Open Government Licence v3.0). Every version is
//! extracted as a site with default settings would be, and every fact must be backed by a
//! label/value structure, a lot line or a content link of the page itself, checked here
//! with an independent reading of the HTML — no fact may come from prose.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quietwatch::analyse::extract::Extractor;
use quietwatch::analyse::facts::{diff, Fact, FactKind, Facts};
use scraper::{ElementRef, Html, Selector};
use url::Url;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/govuk-histories")
}

/// Each page's slug and its versions' HTML, oldest first.
fn pages() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(corpus())
        .expect("corpus")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .collect();
    dirs.sort_by_key(|e| e.file_name());
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("page dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "html"))
            .collect();
        files.sort();
        let slug = dir.file_name().to_string_lossy().replace("__", "/");
        let versions = files
            .iter()
            .map(|f| std::fs::read_to_string(f).expect("version"))
            .collect();
        out.push((slug, versions));
    }
    out
}

/// A version as served: the stored `<main>` in a minimal page.
fn page_html(slug: &str, main: &str) -> String {
    format!("<!DOCTYPE html><html><head><title>{slug}</title></head><body>{main}</body></html>")
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(e: ElementRef) -> String {
    fold(&e.text().collect::<String>())
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// The label/value pairs the page's HTML states, read independently of the extractor:
/// `dt` + next `dd`, rows of exactly two cells, and blocks reading "Label: value".
struct Structures {
    pairs: Vec<(String, String)>,
    blocks: Vec<String>,
    hrefs: Vec<(Url, bool)>,
}

fn structures(html: &str, base: &Url) -> Structures {
    let doc = Html::parse_document(html);
    let norm = |s: &str| fold(s).trim_end_matches(':').trim().to_lowercase();
    let mut pairs = Vec::new();
    for dt in doc.select(&sel("dt")) {
        let dd = dt
            .next_siblings()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().name() == "dd");
        if let Some(dd) = dd {
            pairs.push((norm(&text_of(dt)), norm(&text_of(dd))));
        }
    }
    for tr in doc.select(&sel("tr")) {
        let cells: Vec<String> = tr
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .map(text_of)
            .collect();
        if let [a, b] = cells.as_slice() {
            pairs.push((norm(a), norm(b)));
        }
    }
    // Each block's lines (a `<br>` ends a line).
    let mut blocks = Vec::new();
    for e in doc.select(&sel("p, li, dd, td, th, div, h1, h2, h3, h4, h5, h6")) {
        let mut line = String::new();
        for node in e.descendants() {
            if let Some(t) = node.value().as_text() {
                line.push_str(t);
            } else if node
                .value()
                .as_element()
                .is_some_and(|el| el.name() == "br")
            {
                blocks.push(fold(&line).to_lowercase());
                line.clear();
            }
        }
        blocks.push(fold(&line).to_lowercase());
    }
    blocks.retain(|t| t.contains(':'));
    let in_aside = |a: ElementRef| {
        a.ancestors().filter_map(ElementRef::wrap).any(|p| {
            matches!(p.value().name(), "nav" | "aside")
                || p.value()
                    .attr("class")
                    .is_some_and(|c| c.contains("related"))
        })
    };
    let hrefs = doc
        .select(&sel("a[href]"))
        .filter_map(|a| {
            let href = a.value().attr("href")?;
            let mut url = base.join(href).ok()?;
            url.set_fragment(None);
            Some((url, !in_aside(a)))
        })
        .collect();
    Structures {
        pairs,
        blocks,
        hrefs,
    }
}

/// Why `fact` is not backed by the page, if it is not.
fn unbacked(fact: &Fact, s: &Structures, text: &str) -> Option<String> {
    match fact.kind() {
        FactKind::Label => {
            let label = fold(&fact.label).to_lowercase();
            let value = fold(&fact.text).to_lowercase();
            let paired = s
                .pairs
                .iter()
                .any(|(l, v)| *l == label && v.starts_with(&value));
            let line = s.blocks.iter().any(|b| {
                b.starts_with(&format!("{label}:"))
                    && b.trim_end_matches('.')
                        .ends_with(value.trim_end_matches('.'))
            });
            if fact.label.split_whitespace().count() > 7
                || fact.text.split_whitespace().count() > 20
            {
                return Some("label or value too long to be a fact".into());
            }
            (!paired && !line).then(|| "no label/value structure states it".into())
        }
        FactKind::Lot => {
            let id = fact.key().unwrap_or("");
            (!text.to_lowercase().contains(&format!("lot {id}"))).then(|| "no lot line".into())
        }
        FactKind::Link => {
            let target = fact.key().unwrap_or("");
            let found = s.hrefs.iter().any(|(u, content)| {
                *content && quietwatch::urlnorm::canonicalize(u).as_str() == target
            });
            (!found).then(|| "no content link has this target".into())
        }
    }
}

#[test]
fn no_fact_is_invented_from_prose_and_fact_changes_are_counted() {
    let extractor = Extractor::new(None, &[], &[], None).unwrap();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let (mut versions, mut steps, mut fact_steps, mut major_steps) = (0, 0, 0, 0);
    let mut pages_with_label_facts = 0;
    let mut failures = Vec::new();
    for (slug, list) in pages() {
        let base = Url::parse(&format!("https://www.gov.uk/{slug}")).unwrap();
        let mut previous: Option<Facts> = None;
        let mut any_label = false;
        for (v, main) in list.iter().enumerate() {
            let html = page_html(&slug, main);
            let extracted = extractor.extract(&html, &base);
            let s = structures(&html, &base);
            let facts = Facts::from(extracted.facts.clone());
            assert_eq!(facts.len(), extracted.facts.len(), "names are unique");
            for f in &facts {
                *kinds
                    .entry(match f.kind() {
                        FactKind::Label => "label/value",
                        FactKind::Lot => "lot",
                        FactKind::Link => "link",
                    })
                    .or_default() += 1;
                if f.kind() == FactKind::Label {
                    any_label = true;
                    *names.entry(f.name.clone()).or_default() += 1;
                }
                if let Some(why) = unbacked(f, &s, &extracted.text) {
                    failures.push(format!("{slug} v{v}: {} = {:?}: {why}", f.label, f.text));
                }
            }
            versions += 1;
            if let Some(old) = previous.replace(facts.clone()) {
                steps += 1;
                let changes = diff(&old, &facts);
                if !changes.is_empty() {
                    fact_steps += 1;
                }
                if changes.iter().any(|c| c.is_major()) {
                    major_steps += 1;
                }
            }
        }
        pages_with_label_facts += usize::from(any_label);
    }
    eprintln!(
        "govuk-histories facts: {versions} versions, {steps} steps; facts by kind {kinds:?}; \
         steps whose facts changed {fact_steps} (with a major fact change {major_steps}); \
         pages with label/value facts {pages_with_label_facts}/30"
    );
    eprintln!("label/value names: {names:?}");
    assert_eq!((versions, steps), (178, 148));
    assert!(
        failures.is_empty(),
        "{} unbacked facts:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The pages' metadata lists (`dt`/`dd`) are label/value structures: facts are found.
    assert!(pages_with_label_facts >= 20, "{pages_with_label_facts}");
    assert!(kinds.get("link").copied().unwrap_or(0) > 0);
}
