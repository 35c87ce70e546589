//! One page, one URL: the canonical form every stage uses as a page's identity.
//!
//! Why: the store keys pages by URL. If `…/RM6281#lots`, `…/RM6281?utm_source=mail` and
//! `…/style.css?ver=1700000000` each counted as a separate page, every campaign link or cache
//! buster would be reported as a page `added` (and later `unlinked`): crying wolf. But a
//! normaliser that is too eager merges pages that really differ (`?page=2`, `?v=grid`) and
//! then reports the flip-flop between them as `changed`. So this module removes only what is
//! noise by convention:
//! - the fragment (never sent to the server);
//! - tracking parameters (`utm_*`, `gclid`, `fbclid`, …), whatever their value;
//! - cache-busting parameters (`v`, `ver`, `cb`, `_`, `t`, `ts`, …) **only when the value
//!   looks machine-made**: a number, a dotted version (`6.4.2`), a timestamp, or a hex hash
//!   with at least one digit. `?v=grid` or `?t=overview` survive.
//!
//! Everything else (parameter order, percent-encoding, case of the path) is kept as served:
//! the `url` crate already lowercases the host, drops the default port and resolves
//! `.`/`..` segments per the WHATWG URL standard. `/x` vs `/x/` is *not* decided here (a site
//! may serve different pages at the two); [`trailing_slash_twin`] lets the crawler check.

use url::Url;

/// Hrefs longer than this are junk (or hostile), not links; [`resolve`] ignores them.
pub const MAX_HREF_LEN: usize = 16 * 1024;

/// Parameters that only identify the campaign or click that led to a page.
const TRACKING_PARAMS: &[&str] = &[
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "li_fat_id",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "hsctatracking",
    "mkt_tok",
    "srsltid",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "_openstat",
];

/// Parameter names sites use to defeat caches; removed only with a machine-made value.
const CACHE_BUST_PARAMS: &[&str] = &[
    "v",
    "ver",
    "version",
    "cb",
    "cachebust",
    "cachebuster",
    "cache",
    "_",
    "t",
    "ts",
    "timestamp",
    "nocache",
    "nc",
    "rand",
    "random",
];

fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}

/// A value no person would choose as a page selector: digits (`1700000000`, `2`), a dotted
/// version (`6.4.2`), a timestamp (`2024-01-31T10:00:00Z`), or a hex hash of 6+ characters
/// containing a digit (`a1b2c3d4`; the digit keeps words like `facade` out).
fn looks_machine_made(value: &str) -> bool {
    if value.is_empty() || value.len() > 128 {
        return false;
    }
    // Timestamps often arrive with their colons percent-encoded.
    let decoded = value.replace("%3A", ":").replace("%3a", ":");
    let bytes = decoded.as_bytes();
    let starts_digit = bytes.first().is_some_and(u8::is_ascii_digit);
    let numeric = starts_digit && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.');
    let timestamp = starts_digit
        && bytes.iter().filter(|b| b.is_ascii_digit()).count() >= 8
        && bytes.iter().all(|b| {
            b.is_ascii_digit() || matches!(b, b'-' | b':' | b'.' | b'T' | b'Z' | b'+' | b'_')
        });
    let hex = bytes.len() >= 6
        && bytes.iter().all(u8::is_ascii_hexdigit)
        && bytes.iter().any(u8::is_ascii_digit);
    numeric || timestamp || hex
}

fn is_cache_buster(name: &str, value: &str) -> bool {
    CACHE_BUST_PARAMS.contains(&name.to_ascii_lowercase().as_str()) && looks_machine_made(value)
}

/// The canonical form of `url`: no fragment, no tracking or cache-busting parameters, no
/// empty `?`. Everything else is kept, including parameter order and encoding, so that the
/// URL still fetches the same page.
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    // Java servlet session ids ride in the path (`/page;jsessionid=ABC123`) and change per
    // visit: without this every crawl would find the same pages under new URLs.
    if let Some(i) = out.path().to_ascii_lowercase().find(";jsessionid=") {
        let path = out.path().to_string();
        let end = path[i + 1..]
            .find(['/', ';'])
            .map_or(path.len(), |j| i + 1 + j);
        let cleaned = format!("{}{}", &path[..i], &path[end..]);
        out.set_path(&cleaned);
    }
    if let Some(query) = url.query() {
        let mut removed = false;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|part| {
                let (name, value) = part.split_once('=').unwrap_or((part, ""));
                let drop = part.is_empty() || is_tracking(name) || is_cache_buster(name, value);
                removed |= drop;
                !drop
            })
            .collect();
        if kept.is_empty() {
            out.set_query(None);
        } else if removed {
            out.set_query(Some(&kept.join("&")));
        }
    }
    out
}

/// Resolves a link's `href` against the page it appeared on, the way a browser would, and
/// canonicalises it. `None` for anything that isn't an http(s) page: `mailto:`,
/// `javascript:`, `data:`, `tel:`, unparseable or absurdly long hrefs.
pub fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_control());
    if href.len() > MAX_HREF_LEN {
        return None;
    }
    let url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    Some(canonicalize(&url))
}

/// The same URL with the trailing slash added or removed (`/x` ↔ `/x/`), so the crawler can
/// tell whether the two forms are one page. `None` for the root path `/`.
pub fn trailing_slash_twin(url: &Url) -> Option<Url> {
    let path = url.path();
    if path == "/" || path.is_empty() || url.cannot_be_a_base() {
        return None;
    }
    let mut twin = url.clone();
    match path.strip_suffix('/') {
        Some(stripped) => {
            let stripped = stripped.to_string();
            twin.set_path(&stripped);
        }
        None => {
            let with = format!("{path}/");
            twin.set_path(&with);
        }
    }
    Some(twin)
}

/// [`trailing_slash_twin`] of a URL held as a string (as the store keeps them).
pub fn trailing_slash_twin_str(url: &str) -> Option<String> {
    Url::parse(url)
        .ok()
        .and_then(|u| trailing_slash_twin(&u))
        .map(String::from)
}

/// Document extensions kept as pages of their own when a site's `documents` is on.
/// The extensions of linked files that are documents rather than pages: stated once, read by
/// [`is_document`] and by extraction's cheap pre-test of raw `href`s.
pub const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "csv", "ppt", "pptx",
];

/// Whether the URL's path names a document (PDF, Word, Excel, OpenDocument, CSV,
/// PowerPoint), judged by its extension, case-insensitively. Such files are compared by
/// their bytes, not their text.
pub fn is_document(url: &Url) -> bool {
    let last = url.path().rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => DOCUMENT_EXTENSIONS
            .iter()
            .any(|d| d.eq_ignore_ascii_case(ext)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonicalize(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn session_ids_in_the_path_are_dropped() {
        let u = Url::parse("https://h.test/agreements/RM6281;jsessionid=A1B2C3?lot=2").unwrap();
        assert_eq!(
            canonicalize(&u).as_str(),
            "https://h.test/agreements/RM6281?lot=2"
        );
        let u = Url::parse("https://h.test/a;JSESSIONID=x/b").unwrap();
        assert_eq!(canonicalize(&u).as_str(), "https://h.test/a/b");
    }

    #[test]
    fn drops_fragment_default_port_and_lowercases_host() {
        assert_eq!(
            canon("HTTPS://WWW.GCA.gov.uk:443/agreements/RM6281#lots"),
            "https://www.gca.gov.uk/agreements/RM6281"
        );
        assert_eq!(
            canon("http://Example.org:80/A/./b/../C"),
            "http://example.org/A/C"
        );
        assert_eq!(
            canon("http://example.org:8080/"),
            "http://example.org:8080/"
        );
    }

    #[test]
    fn drops_tracking_params_keeping_order() {
        assert_eq!(
            canon("https://e.org/p?b=2&utm_source=mail&a=1&UTM_Medium=x&gclid=Zz9&fbclid=abc&_ga=2.1&_gl=1*x"),
            "https://e.org/p?b=2&a=1"
        );
        assert_eq!(canon("https://e.org/p?utm_campaign=x"), "https://e.org/p");
        assert_eq!(canon("https://e.org/p?"), "https://e.org/p");
        assert_eq!(
            canon("https://e.org/p?mc_cid=1&mc_eid=2&msclkid=3"),
            "https://e.org/p"
        );
    }

    #[test]
    fn drops_cache_busters_only_with_machine_values() {
        assert_eq!(
            canon("https://e.org/s.css?ver=6.4.2"),
            "https://e.org/s.css"
        );
        assert_eq!(canon("https://e.org/p?_=1700000000123"), "https://e.org/p");
        assert_eq!(
            canon("https://e.org/p?x=1&cb=a1b2c3d4e5"),
            "https://e.org/p?x=1"
        );
        assert_eq!(
            canon("https://e.org/p?t=2024-01-31T10:00:00Z"),
            "https://e.org/p"
        );
        assert_eq!(canon("https://e.org/p?v=2"), "https://e.org/p");
        assert_eq!(
            canon("https://e.org/p?nocache=42&rand=0.1234"),
            "https://e.org/p"
        );
        // Words are page selectors, not cache busters.
        assert_eq!(canon("https://e.org/p?v=grid"), "https://e.org/p?v=grid");
        assert_eq!(
            canon("https://e.org/p?t=overview"),
            "https://e.org/p?t=overview"
        );
        assert_eq!(
            canon("https://e.org/p?v=facade"),
            "https://e.org/p?v=facade"
        );
        // Other parameters are never touched, whatever their value.
        assert_eq!(
            canon("https://e.org/p?page=2&id=1700000000"),
            "https://e.org/p?page=2&id=1700000000"
        );
        assert_eq!(
            canon("https://e.org/p?q=a%20b&x=c+d"),
            "https://e.org/p?q=a%20b&x=c+d"
        );
    }

    #[test]
    fn resolve_keeps_only_http_pages() {
        let base = Url::parse("https://www.gca.gov.uk/agreements/RM6281").unwrap();
        assert_eq!(
            resolve(&base, "  RM1557.14\n").unwrap().as_str(),
            "https://www.gca.gov.uk/agreements/RM1557.14"
        );
        assert_eq!(
            resolve(&base, "/agreements/RM6187?utm_source=x#top")
                .unwrap()
                .as_str(),
            "https://www.gca.gov.uk/agreements/RM6187"
        );
        assert_eq!(resolve(&base, "#lots").unwrap().as_str(), base.as_str());
        for href in [
            "mailto:x@example.org",
            "javascript:void(0)",
            "data:text/html,hi",
            "tel:+441234",
            "ftp://e.org/x",
            "http://",
            "https://[::1",
        ] {
            assert_eq!(resolve(&base, href), None, "{href}");
        }
        let long = format!("/{}", "a".repeat(MAX_HREF_LEN + 1));
        assert_eq!(resolve(&base, &long), None);
    }

    #[test]
    fn trailing_slash_twins() {
        let twin = |s: &str| trailing_slash_twin(&Url::parse(s).unwrap()).map(|u| u.to_string());
        assert_eq!(twin("https://e.org/x").as_deref(), Some("https://e.org/x/"));
        assert_eq!(twin("https://e.org/x/").as_deref(), Some("https://e.org/x"));
        assert_eq!(
            twin("https://e.org/a/b?q=1").as_deref(),
            Some("https://e.org/a/b/?q=1")
        );
        assert_eq!(twin("https://e.org/"), None);
        assert_eq!(twin("https://e.org"), None);
    }

    #[test]
    fn documents_by_extension() {
        let doc = |s: &str| is_document(&Url::parse(s).unwrap());
        assert!(doc("https://e.org/wp-content/uploads/2024/01/guide.PDF"));
        assert!(doc("https://e.org/a/list.xlsx?download=1"));
        for ext in [
            "pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "csv", "ppt", "pptx",
        ] {
            assert!(doc(&format!("https://e.org/f.{ext}")), "{ext}");
        }
        assert!(!doc("https://e.org/pdf"));
        assert!(!doc("https://e.org/.pdf"));
        assert!(!doc("https://e.org/guide.pdf/"));
        assert!(!doc("https://e.org/agreements/RM1557.14"));
        assert!(!doc("https://e.org/page.html"));
    }
}
