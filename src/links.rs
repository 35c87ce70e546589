//! Permalinks into `quietwatch serve`: one builder per route.
//!
//! The web UI answers at these addresses and the digest (with `[digest] archive_url` as the
//! base) links to them, so both take them from here: a route renamed in one place cannot
//! leave the other pointing at nothing. `base` is the server's root (`""` for links inside
//! the web UI itself, `http://127.0.0.1:8080` in a digest); every value is form-encoded.

use crate::model::Change;

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn root(base: &str) -> &str {
    base.trim_end_matches('/')
}

/// The timeline of the page at `url`: `{base}/page?url=…`.
pub fn page_link(base: &str, url: &str) -> String {
    format!("{}/page?url={}", root(base), enc(url))
}

/// The diff of two versions of a page: `{base}/diff?url=…&from=…&to=…`.
pub fn diff_link(base: &str, url: &str, from: i64, to: i64) -> String {
    format!("{}/diff?url={}&from={from}&to={to}", root(base), enc(url))
}

/// One version's text: `{base}/version/{id}`.
pub fn version_link(base: &str, id: i64) -> String {
    format!("{}/version/{id}", root(base))
}

/// One version's bytes as served, as a download: `{base}/version/{id}/raw`.
pub fn raw_link(base: &str, id: i64) -> String {
    format!("{}/version/{id}/raw", root(base))
}

/// A site's pages, optionally only those in one state: `{base}/site?name=…[&state=…]`.
pub fn site_link(base: &str, name: &str, state: Option<&str>) -> String {
    match state {
        Some(s) => format!("{}/site?name={}&state={}", root(base), enc(name), enc(s)),
        None => format!("{}/site?name={}", root(base), enc(name)),
    }
}

/// The changes of one site: `{base}/changes?site=…`.
pub fn site_changes_link(base: &str, name: &str) -> String {
    format!("{}/changes?site={}", root(base), enc(name))
}

/// A search of the archive's text: `{base}/search?q=…`.
pub fn search_link(base: &str, query: &str) -> String {
    format!("{}/search?q={}", root(base), enc(query))
}

/// The diff view of a change, when it has two different versions to compare (a `changed`,
/// a `moved`…); `None` for a change with a single version (`removed`, `added`…). The digest
/// shows it beside the page's timeline ([`page_link`]).
pub fn change_diff_link(base: &str, change: &Change) -> Option<String> {
    match (change.from, change.to) {
        (Some(from), Some(to)) if from != to => Some(diff_link(base, &change.url, from, to)),
        _ => None,
    }
}

/// The one view a change should link to: the diff when the change has two versions, else
/// the page's timeline.
pub fn change_link(base: &str, change: &Change) -> String {
    change_diff_link(base, change).unwrap_or_else(|| page_link(base, &change.url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_encoded_permalinks() {
        let c = "https://e.org/a?b=1&c=2";
        assert_eq!(
            diff_link("http://127.0.0.1:8080/", c, 1, 2),
            "http://127.0.0.1:8080/diff?url=https%3A%2F%2Fe.org%2Fa%3Fb%3D1%26c%3D2&from=1&to=2"
        );
        assert_eq!(
            page_link("", "https://e.org/"),
            "/page?url=https%3A%2F%2Fe.org%2F"
        );
        assert_eq!(
            site_link("", "GCA agreements", Some("removed")),
            "/site?name=GCA+agreements&state=removed"
        );
    }
}
