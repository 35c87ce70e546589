//! Detection cost on this machine: extraction, comparison and diffs, including hostile
//! inputs. Plain `fn main` timing with `std::time` (no harness); run with
//! `cargo bench --bench detect`.
//!
//! Targets (from the issue): an unchanged page under 2 ms, a changed 50 KB page under
//! 20 ms, a pathological pair bounded (the diff deadlines are 500 ms for lines plus 250 ms
//! for words per call).

use std::hint::black_box;
use std::time::{Duration, Instant};

use quietwatch::analyse::compare::{compare, PageText};
use quietwatch::analyse::diff::{diff_stats, excerpt};
use quietwatch::analyse::extract::Extractor;
use quietwatch::analyse::figures::figure_changes;
use quietwatch::output::text::unified_diff;
use url::Url;

/// A realistic agreement page of about `target` bytes: site chrome, cookie banner, scripts,
/// accordion sections, lots, a key-facts table and a documents list.
fn agreement_page(target: usize, end_date: &str, spend: &str) -> String {
    let mut html = String::from(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>RM6281 Health Sector Resourcing - Government Commercial Agency</title>
<meta name="csrf-token" content="k3J9dQ2xT0pLzR8vYw"><link rel="canonical" href="https://www.gca.gov.uk/agreements/RM6281">
<link rel="stylesheet" href="/assets/app.css?v=123"><script src="/assets/app.js?v=123"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)};gtag('js',new Date());</script>
<style>.govuk-accordion__section{margin:0}.lot-tag{color:#505a5f}</style></head>
<body class="govuk-template__body"><div class="govuk-cookie-banner" role="region" aria-label="Cookies on GCA">
<p>We use some essential cookies to make this service work.</p><button>Accept</button><button>Reject</button></div>
<header class="govuk-header"><a href="/" class="govuk-header__logo">GCA</a><nav><ul>
<li><a href="/agreements">Agreements</a></li><li><a href="/suppliers">Suppliers</a></li>
<li><a href="/buy-and-supply">Buy and supply</a></li><li><a href="/about">About</a></li></ul></nav></header>
<main id="main-content"><nav class="breadcrumbs"><a href="/">Home</a> <a href="/agreements">Agreements</a></nav>
<h1>Health Sector Resourcing</h1>
"#,
    );
    html.push_str(&format!(
        "<p class=\"lead\">About {spend} of public sector spend on temporary healthcare staff runs through this agreement.</p>\n"
    ));
    let sections = [
        "Updates",
        "Description",
        "Benefits",
        "Products and suppliers",
        "How to buy",
    ];
    let mut lot = 1;
    let mut para = 0;
    while html.len() < target.saturating_sub(6000) {
        for s in sections {
            html.push_str(&format!(
                "<div class=\"govuk-accordion__section\"><h2 class=\"govuk-accordion__section-heading\"><span>{s}</span></h2><div class=\"govuk-accordion__section-content\">"
            ));
            for _ in 0..3 {
                para += 1;
                html.push_str(&format!(
                    "<p>Paragraph {para}: customers can buy clinical and non-clinical staff through \
                     direct award or further competition, with <strong>capped rates</strong> and \
                     <a href=\"/buy-and-supply/guidance-{para}\">guidance</a> on worker checks.</p>\n"
                ));
            }
            if s == "Products and suppliers" {
                html.push_str("<ul>");
                for _ in 0..4 {
                    html.push_str(&format!(
                        "<li><a href=\"/agreements/RM6281:{lot}\">Lot {lot}: Staffing category {lot}</a> \
                         <strong class=\"lot-tag\">Expired: 31/03/2025</strong> \
                         <a href=\"/agreements/RM6281:{lot}/lot-suppliers\">{} suppliers</a></li>",
                        10 + lot % 30
                    ));
                    lot += 1;
                }
                html.push_str("</ul>");
            }
            html.push_str("</div></div>\n");
        }
    }
    html.push_str(&format!(
        r#"<h2>Key facts</h2><table><tr><th>Agreement ID</th><td>RM6281</td></tr>
<tr><th>Start date</th><td>01/04/2022</td></tr><tr><th>End date</th><td>{end_date}</td></tr>
<tr><th>Lots</th><td>{lot}</td></tr><tr><th>Regulation</th><td>PCR 2015</td></tr></table>
<h2>Documents</h2><ul>"#
    ));
    for d in 0..12 {
        html.push_str(&format!(
            "<li><a href=\"https://assets.crowncommercial.gov.uk/wp-content/uploads/RM6281-Document-{d}.pdf?v=123\">Document {d}</a></li>"
        ));
    }
    html.push_str(
        r#"</ul><form method="post"><input type="hidden" name="_csrf" value="k3J9dQ2xT0pLzR8vYw"></form></main>
<footer class="govuk-footer"><p>Page generated 2026-11-22 06:00:12</p><a href="/privacy">Privacy</a></footer>
<script>document.body.className+=' js-enabled';</script></body></html>"#,
    );
    html
}

struct Row {
    name: String,
    median: Duration,
    p95: Duration,
    max: Duration,
    runs: usize,
    target: &'static str,
}

/// Runs `f` repeatedly (at least `min_runs` times, about `budget` in total). Cases whose
/// name does not contain the command line's filter word (if any) are skipped.
fn time(
    name: &str,
    target: &'static str,
    min_runs: usize,
    budget: Duration,
    mut f: impl FnMut(),
) -> Option<Row> {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    if filter.is_some_and(|w| !name.contains(&w)) {
        return None;
    }
    f(); // warm up
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < min_runs || (start.elapsed() < budget && samples.len() < 10_000) {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    samples.sort();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Some(Row {
        name: name.to_owned(),
        median: pick(0.5),
        p95: pick(0.95),
        max: samples[samples.len() - 1],
        runs: samples.len(),
        target,
    })
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn main() {
    let base = Url::parse("https://www.gca.gov.uk/agreements/RM6281").unwrap();
    let ex = Extractor::new(None, &[], &[], None).unwrap();
    let quick = Duration::from_secs(2);

    let old_html = agreement_page(50_000, "31/03/2026", "£25bn");
    let new_html = agreement_page(50_000, "31/03/2027", "£17 billion").replacen(
        "with <strong>capped rates</strong>",
        "with <strong>new capped rates</strong>",
        1,
    );
    let old = ex.extract(&old_html, &base);
    let new = ex.extract(&new_html, &base);
    let old_docs: Vec<String> = old.documents.iter().map(|u| u.to_string()).collect();
    let new_docs: Vec<String> = new.documents.iter().map(|u| u.to_string()).collect();
    let old_page = PageText {
        title: &old.title,
        text: &old.text,
        documents: &old_docs,
    };
    let new_page = PageText {
        title: &new.title,
        text: &new.text,
        documents: &new_docs,
    };
    let changed = compare(&old_page, &new_page);
    assert!(changed.changed);

    let mut rows = Vec::new();
    rows.push(time("extract 50 KB page", "", 50, quick, || {
        black_box(ex.extract(black_box(&old_html), &base));
    }));
    rows.push(time(
        "  of which html5ever parse (scraper)",
        "",
        50,
        quick,
        || {
            black_box(scraper::Html::parse_document(black_box(&old_html)));
        },
    ));
    rows.push(time("compare, unchanged page", "< 2 ms", 50, quick, || {
        black_box(compare(black_box(&old_page), black_box(&old_page)));
    }));
    rows.push(time(
        "unchanged page: extract + compare",
        "< 2 ms",
        50,
        quick,
        || {
            let e = ex.extract(black_box(&old_html), &base);
            black_box(compare(
                &old_page,
                &PageText {
                    title: &e.title,
                    text: &e.text,
                    documents: &old_docs,
                },
            ));
        },
    ));
    rows.push(time(
        "compare, changed 50 KB page",
        "< 20 ms",
        50,
        quick,
        || {
            black_box(compare(black_box(&old_page), black_box(&new_page)));
        },
    ));
    rows.push(time(
        "changed page: extract + compare",
        "< 20 ms",
        50,
        quick,
        || {
            let e = ex.extract(black_box(&new_html), &base);
            black_box(compare(
                &old_page,
                &PageText {
                    title: &e.title,
                    text: &e.text,
                    documents: &new_docs,
                },
            ));
        },
    ));

    // Pathological: two ~2 MB texts with every line reordered.
    let lines: Vec<String> = (0..40_000u64)
        .map(|i| {
            format!(
                "line {i:06} {} of the supplier list, lot details and dates",
                i.wrapping_mul(2_654_435_761) % 1_000_003
            )
        })
        .collect();
    let a = lines.join("\n");
    let mut shuffled = lines.clone();
    shuffled.sort_by_key(|l| {
        let n: u64 = l[5..11].parse().unwrap();
        n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7
    });
    let b = shuffled.join("\n");
    let slow = Duration::from_secs(5);
    let label = format!("{:.1} MB", a.len() as f64 / 1e6);
    rows.push(time(
        &format!("diff_stats, 2 × {label} reordered"),
        "bounded",
        3,
        slow,
        || {
            black_box(diff_stats(&a, &b));
        },
    ));
    rows.push(time(
        &format!("excerpt, 2 × {label} reordered"),
        "bounded",
        3,
        slow,
        || {
            black_box(excerpt(&a, &b, 12, 300));
        },
    ));
    rows.push(time(
        &format!("render, 2 × {label} reordered"),
        "bounded",
        3,
        slow,
        || {
            black_box(unified_diff(&a, &b, true));
        },
    ));
    rows.push(time(
        &format!("figure_changes, 2 × {label} reordered"),
        "bounded",
        3,
        slow,
        || {
            black_box(figure_changes(&a, &b));
        },
    ));
    let (pa, pb) = (
        PageText {
            title: "t",
            text: &a,
            documents: &[],
        },
        PageText {
            title: "t",
            text: &b,
            documents: &[],
        },
    );
    rows.push(time(
        &format!("compare, 2 × {label} reordered"),
        "bounded",
        3,
        slow,
        || {
            black_box(compare(&pa, &pb));
        },
    ));

    // Hostile HTML.
    let deep = format!("<body><main><p>start</p>{}", "<div>x".repeat(1_000_000));
    rows.push(time(
        &format!("extract {:.1} MB of nested <div>", deep.len() as f64 / 1e6),
        "bounded",
        3,
        slow,
        || {
            black_box(ex.extract(&deep, &base));
        },
    ));
    let hostile: [(&str, String); 4] = [
        (
            "<b id=N><p>x",
            (0..200_000).map(|i| format!("<b id={i}><p>x")).collect(),
        ),
        ("<table><tr><td>", "<table><tr><td>x".repeat(200_000)),
        ("<span>", "<span>x".repeat(1_000_000)),
        ("<a href>", "<a href=/x>x".repeat(500_000)),
    ];
    for (pattern, html) in &hostile {
        rows.push(time(
            &format!("extract {:.1} MB of {pattern}", html.len() as f64 / 1e6),
            "bounded",
            3,
            slow,
            || {
                black_box(ex.extract(html, &base));
            },
        ));
    }
    let huge = agreement_page(8_000_000, "31/03/2026", "£25bn");
    rows.push(time(
        &format!("extract {:.1} MB page", huge.len() as f64 / 1e6),
        "bounded",
        3,
        slow,
        || {
            black_box(ex.extract(&huge, &base));
        },
    ));

    println!();
    println!(
        "page: {} bytes of HTML, {} bytes / {} lines of text; changed summary: {:?} ({})",
        old_html.len(),
        old.text.len(),
        old.text.lines().count(),
        changed.summary,
        changed.significance
    );
    println!();
    println!(
        "| {:<44} | {:>10} | {:>10} | {:>10} | {:>5} | {:<8} |",
        "case", "median ms", "p95 ms", "max ms", "runs", "target"
    );
    println!(
        "|{:-<46}|{:->12}|{:->12}|{:->12}|{:->7}|{:-<10}|",
        "", "", "", "", "", ""
    );
    for r in rows.into_iter().flatten() {
        println!(
            "| {:<44} | {:>10} | {:>10} | {:>10} | {:>5} | {:<8} |",
            r.name,
            ms(r.median),
            ms(r.p95),
            ms(r.max),
            r.runs,
            r.target
        );
    }
}
