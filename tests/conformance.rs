//! Conformance: quietwatch's URL, robots.txt and sitemap handling checked against other
//! projects' test data (copied into `fixtures/conformance/`, with licences and origin notes).
//!
//! Where our answer differs from the reference on purpose, the case is listed here by name
//! with the reason; every other case must agree exactly.

use std::path::{Path, PathBuf};
use url::Url;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance")
        .join(rel)
}

// ---------------------------------------------------------------------------------------
// URL resolution: crawler-commons url-utils/url-resolve.csv

/// Splits one CSV row of url-resolve.csv: comma-separated, optionally double-quoted, spaces
/// around fields ignored.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    fields.push(cur.trim().to_string());
    fields
}

/// Rows (by input) whose expectation conflicts with the WHATWG URL standard that the `url`
/// crate implements, with the reason. None of the file's rows does: the standard agrees
/// with every expectation. Kept as an explicit list so a future row that does is skipped
/// visibly, never silently.
const WHATWG_CONFLICTS: &[(&str, &str)] = &[];

/// What `resolve` must return for a row expecting `expected`. Two of quietwatch's own rules
/// apply on top of plain resolution, and are checked rather than skipped:
/// - only http(s) pages are links worth following ("//server/file" against a `file:` base
///   resolves to a `file:` URL, so `None`);
/// - one page, one URL: the result is canonical, so fragments ("#right-menu", "…#c") go.
fn expected_resolution(expected: &str) -> Option<String> {
    let expected = Url::parse(expected).expect("expectations are absolute URLs");
    match expected.scheme() {
        "http" | "https" => Some(quietwatch::urlnorm::canonicalize(&expected).to_string()),
        _ => None,
    }
}

#[test]
fn url_resolve_csv() {
    let text =
        std::fs::read_to_string(fixture("crawler-commons/url-utils/url-resolve.csv")).unwrap();
    let mut checked = 0;
    let mut dropped_fragments = 0;
    let mut non_http = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f = csv_fields(line);
        assert_eq!(f.len(), 3, "bad row {line:?}");
        let (input, base, expected) = (&f[0], &f[1], &f[2]);
        if WHATWG_CONFLICTS.iter().any(|(i, _)| i == input) {
            continue;
        }
        // An empty base (the first row): the input is absolute, any base gives the same.
        let base = if base.is_empty() {
            Url::parse("http://unrelated.invalid/x/y").unwrap()
        } else {
            Url::parse(base).unwrap()
        };
        let got = quietwatch::urlnorm::resolve(&base, input).map(|u| u.to_string());
        let want = expected_resolution(expected);
        assert_eq!(got, want, "resolve({base}, {input:?}), row {line:?}");
        if want.is_none() {
            non_http += 1;
        } else if expected.contains('#') {
            dropped_fragments += 1;
        }
        checked += 1;
    }
    assert_eq!(checked, 22, "every row of the file is checked");
    // The departures, counted so that a changed file or rule is noticed.
    assert_eq!((dropped_fragments, non_http), (2, 1));
}
