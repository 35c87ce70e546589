//! What reading facts adds to detection, per page, on real pages: the 178 versions of the
//! GOV.UK histories corpus (`fixtures/corpus/govuk-histories`) and the detect bench's
//! synthetic 50 KB agreement page shape (key facts, lots). Plain `fn main` timing; run with
//! `cargo bench --bench facts`.
//!
//! "Detection per page" is extraction (without facts) plus the comparison with the previous
//! version, the work facts ride on; the target is facts adding under 10% of it. Extraction
//! with and without facts alternate over several rounds and the median round is kept, so a
//! busy machine slows both alike.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use quietwatch::analyse::compare::{compare, PageText};
use quietwatch::analyse::extract::Extractor;
use quietwatch::analyse::facts::{diff, Facts};
use url::Url;

const ROUNDS: usize = 7;

fn corpus() -> Vec<(Url, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/govuk-histories");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| {
            let mut files: Vec<_> = std::fs::read_dir(d)
                .expect("page")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "html"))
                .collect();
            files.sort();
            let slug = d.file_name().unwrap().to_string_lossy().replace("__", "/");
            let url = Url::parse(&format!("https://www.gov.uk/{slug}")).unwrap();
            let versions = files
                .iter()
                .map(|f| {
                    let main = std::fs::read_to_string(f).unwrap();
                    format!("<!DOCTYPE html><html><head><title>{slug}</title></head><body>{main}</body></html>")
                })
                .collect();
            (url, versions)
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn per_page(d: Duration, pages: usize) -> f64 {
    d.as_secs_f64() * 1e3 / pages as f64
}

/// Time of one pass over every version: extraction only.
fn extract_all(ex: &Extractor, pages: &[(Url, Vec<String>)]) -> Duration {
    let start = Instant::now();
    for (url, versions) in pages {
        for html in versions {
            black_box(ex.extract(black_box(html), url));
        }
    }
    start.elapsed()
}

/// Time of one pass of detection's text work: extract each version, compare with the last.
fn detect_all(ex: &Extractor, pages: &[(Url, Vec<String>)]) -> Duration {
    let start = Instant::now();
    for (url, versions) in pages {
        let mut prev: Option<(String, String)> = None;
        for html in versions {
            let e = ex.extract(black_box(html), url);
            if let Some((title, text)) = &prev {
                let docs: Vec<String> = Vec::new();
                black_box(compare(
                    &PageText {
                        title,
                        text,
                        documents: &docs,
                    },
                    &PageText {
                        title: &e.title,
                        text: &e.text,
                        documents: &docs,
                    },
                ));
            }
            prev = Some((e.title, e.text));
        }
    }
    start.elapsed()
}

/// Time of diffing every step's facts (what detection adds after extraction).
fn diff_all(ex: &Extractor, pages: &[(Url, Vec<String>)]) -> Duration {
    let facts: Vec<Vec<Facts>> = pages
        .iter()
        .map(|(url, vs)| {
            vs.iter()
                .map(|h| Facts::from(ex.extract(h, url).facts))
                .collect()
        })
        .collect();
    let start = Instant::now();
    for versions in &facts {
        for pair in versions.windows(2) {
            black_box(diff(&pair[0], &pair[1]));
        }
    }
    start.elapsed()
}

fn main() {
    let pages = corpus();
    let n: usize = pages.iter().map(|(_, v)| v.len()).sum();
    let with = Extractor::new(None, &[], &[], None).unwrap();
    let without = Extractor::new(None, &[], &[], None)
        .unwrap()
        .with_facts(false);
    // Warm up caches and the allocator.
    extract_all(&with, &pages);
    extract_all(&without, &pages);
    let (mut w, mut wo, mut det) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        wo.push(extract_all(&without, &pages));
        w.push(extract_all(&with, &pages));
        det.push(detect_all(&without, &pages));
    }
    let (w, wo, det) = (median(w), median(wo), median(det));
    let diff_time = median((0..ROUNDS).map(|_| diff_all(&with, &pages)).collect());
    let added = w.saturating_sub(wo) + diff_time;
    println!("Facts over the GOV.UK histories: {n} versions, median of {ROUNDS} rounds");
    println!("| measure | per page |");
    println!("|---|---|");
    println!("| extract without facts | {:.3} ms |", per_page(wo, n));
    println!("| extract with facts | {:.3} ms |", per_page(w, n));
    println!("| fact diff of a step | {:.4} ms |", per_page(diff_time, n));
    println!(
        "| detection's text work (extract + compare) | {:.3} ms |",
        per_page(det, n)
    );
    println!(
        "| facts' added cost | {:.3} ms = {:.1}% of detection's text work, {:.1}% of extraction (target < 10%) |",
        per_page(added, n),
        100.0 * added.as_secs_f64() / det.as_secs_f64(),
        100.0 * added.as_secs_f64() / wo.as_secs_f64()
    );
}
