//! Which URLs belong to a site: inside an `allow` prefix and matching no `deny` glob.
//!
//! Why it matters: scope bounds the crawl (hostile or huge sites cannot drag the crawler
//! into millions of supplier listings) and decides what can be reported at all. A page
//! that drifts out of scope is simply not fetched, so the two tests must be predictable.
//!
//! Key choices:
//! - Everything is compared in canonical form ([`crate::urlnorm::canonicalize`]): "one
//!   page, one URL". A deny glob such as `*utm_source=*` therefore never matches (the
//!   parameter is already gone) — the page it points at is the same page without it.
//! - Allow prefixes match at a **path-segment boundary**: `https://h/agreements` covers
//!   `https://h/agreements`, `…/agreements/`, `…/agreements/RM6281` and `…/agreements?x`,
//!   but not `…/agreementsfoo`. A prefix ending in `/` (`https://h/long-read/`) covers what
//!   lies under it and the slashless twin `https://h/long-read`. Scheme, host and port must
//!   be equal (an `http://` link is not in an `https://` prefix). A prefix with a query
//!   (`https://h/list?cat=5`) covers that exact path whose query starts with it at a
//!   parameter boundary.
//! - Deny globs (globset) match the whole URL string; `*` crosses `/`, `?` is any one
//!   character and `[?]` a literal question mark.

use crate::config::SiteConfig;
use crate::urlnorm::canonicalize;
use globset::{Glob, GlobSet, GlobSetBuilder};
use url::Url;

/// Why a [`Scope`] could not be built (config validation normally catches these first).
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("site {site:?}: allow entry {entry:?} is not an absolute http(s) URL")]
    BadAllow { site: String, entry: String },
    #[error("site {site:?}: deny pattern {pattern:?} is not a valid glob: {source}")]
    BadDeny {
        site: String,
        pattern: String,
        source: globset::Error,
    },
    #[error("site {site:?}: no allow prefixes, so nothing would be in scope")]
    NoAllow { site: String },
}

/// One allow prefix, split so that matching never depends on string accidents.
#[derive(Debug, Clone)]
struct Prefix {
    /// `scheme://host[:port]`, as `Url::origin` serialises it.
    origin: String,
    path: String,
    query: Option<String>,
}

impl Prefix {
    fn matches(&self, url: &Url) -> bool {
        if url.origin().ascii_serialization() != self.origin {
            return false;
        }
        let path = url.path();
        if let Some(pq) = &self.query {
            return path == self.path
                && url.query().is_some_and(|q| {
                    q == pq
                        || q.strip_prefix(pq.as_str())
                            .is_some_and(|r| r.starts_with('&'))
                });
        }
        if self.path.ends_with('/') {
            // "/long-read/" covers "/long-read/x" and its twin "/long-read".
            path.starts_with(self.path.as_str()) || Some(path) == self.path.strip_suffix('/')
        } else {
            path == self.path
                || path
                    .strip_prefix(self.path.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    }
}

/// A site's scope, built once per crawl from its [`SiteConfig`].
#[derive(Debug, Clone)]
pub struct Scope {
    allow: Vec<Prefix>,
    deny: GlobSet,
}

impl Scope {
    /// Compiles the site's `allow` prefixes and `deny` globs.
    pub fn new(site: &SiteConfig) -> Result<Scope, ScopeError> {
        let mut allow = Vec::with_capacity(site.allow.len());
        for entry in &site.allow {
            let url = Url::parse(entry.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
                .ok_or_else(|| ScopeError::BadAllow {
                    site: site.name.clone(),
                    entry: entry.clone(),
                })?;
            let url = canonicalize(&url);
            allow.push(Prefix {
                origin: url.origin().ascii_serialization(),
                path: url.path().to_string(),
                query: url.query().map(str::to_string),
            });
        }
        if allow.is_empty() {
            return Err(ScopeError::NoAllow {
                site: site.name.clone(),
            });
        }
        let mut deny = GlobSetBuilder::new();
        for pattern in &site.deny {
            let glob = Glob::new(pattern).map_err(|source| ScopeError::BadDeny {
                site: site.name.clone(),
                pattern: pattern.clone(),
                source,
            })?;
            deny.add(glob);
        }
        let deny = deny.build().map_err(|source| ScopeError::BadDeny {
            site: site.name.clone(),
            pattern: site.deny.join(" "),
            source,
        })?;
        Ok(Scope { allow, deny })
    }

    /// Whether the URL belongs to the site: in an allow prefix and not denied.
    pub fn allows(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let url = canonicalize(url);
        self.allow.iter().any(|p| p.matches(&url)) && !self.deny.is_match(url.as_str())
    }

    /// Whether a deny glob matches the URL (in canonical form), whatever the allow prefixes.
    pub fn denied(&self, url: &Url) -> bool {
        self.deny.is_match(canonicalize(url).as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(allow: &[&str], deny: &[&str]) -> SiteConfig {
        SiteConfig {
            name: "t".into(),
            start: vec![Url::parse("https://h.example/agreements").unwrap()],
            allow: allow.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
            max_depth: 2,
            max_pages: 10,
            sitemaps: true,
            content: None,
            facts: None,
            ignore: vec![],
            ignore_text: vec![],
            documents: true,
        }
    }

    fn allows(scope: &Scope, url: &str) -> bool {
        scope.allows(&Url::parse(url).unwrap())
    }

    #[test]
    fn prefix_matches_at_segment_boundary() {
        let s = Scope::new(&site(&["https://h.example/agreements"], &[])).unwrap();
        for yes in [
            "https://h.example/agreements",
            "https://h.example/agreements/",
            "https://h.example/agreements/RM6281",
            "https://h.example/agreements/RM1557.14",
            "https://h.example/agreements?x=1",
            "https://h.example/agreements#top",
            "https://H.EXAMPLE:443/agreements/upcoming",
        ] {
            assert!(allows(&s, yes), "{yes}");
        }
        for no in [
            "https://h.example/agreementsfoo",
            "https://h.example/agreement",
            "https://h.example/",
            "https://h.example/suppliers/1",
            "http://h.example/agreements",
            "https://h.example:8443/agreements",
            "https://other.example/agreements",
            "https://h.example.evil/agreements",
        ] {
            assert!(!allows(&s, no), "{no}");
        }
    }

    #[test]
    fn prefix_with_trailing_slash_covers_its_twin() {
        let s = Scope::new(&site(&["https://h.example/long-read/"], &[])).unwrap();
        assert!(allows(&s, "https://h.example/long-read/x/"));
        assert!(allows(&s, "https://h.example/long-read"));
        assert!(!allows(&s, "https://h.example/long-reads"));
        let root = Scope::new(&site(&["https://h.example/"], &[])).unwrap();
        assert!(allows(&root, "https://h.example/anything/at/all?q"));
        assert!(allows(&root, "https://h.example"));
    }

    #[test]
    fn prefix_with_query() {
        let s = Scope::new(&site(&["https://h.example/list?cat=5"], &[])).unwrap();
        assert!(allows(&s, "https://h.example/list?cat=5"));
        assert!(allows(&s, "https://h.example/list?cat=5&page=2"));
        assert!(!allows(&s, "https://h.example/list?cat=50"));
        assert!(!allows(&s, "https://h.example/list"));
    }

    #[test]
    fn deny_globs_match_the_whole_url() {
        let s = Scope::new(&site(
            &["https://h.example/agreements"],
            &[
                "*/suppliers/*",
                "*/lot-suppliers/*",
                "*[?&]search=*",
                "*page=*",
            ],
        ))
        .unwrap();
        for denied in [
            "https://h.example/agreements/RM6281/suppliers/2",
            "https://h.example/agreements/RM6281:3/lot-suppliers/1",
            "https://h.example/agreements/RM6281:3/lot-suppliers/csv",
            "https://h.example/agreements?search=cloud",
            "https://h.example/agreements?x=1&search=cloud",
            "https://h.example/agreements?page=3",
        ] {
            let url = Url::parse(denied).unwrap();
            assert!(s.denied(&url), "{denied}");
            assert!(!s.allows(&url), "{denied}");
        }
        assert!(allows(&s, "https://h.example/agreements/RM6281"));
        assert!(allows(&s, "https://h.example/agreements/research"));
        assert!(!s.denied(&Url::parse("https://other.example/x").unwrap()));
        // Out of the allow prefixes but denied all the same.
        assert!(s.denied(&Url::parse("https://other.example/a/suppliers/1").unwrap()));
    }

    #[test]
    fn deny_sees_the_canonical_form() {
        let s = Scope::new(&site(&["https://h.example/"], &["*utm_source=*", "*#*"])).unwrap();
        // The tracking parameter and the fragment are gone before matching: same page.
        assert!(allows(&s, "https://h.example/a?utm_source=mail#x"));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            Scope::new(&site(&["/agreements"], &[])),
            Err(ScopeError::BadAllow { .. })
        ));
        assert!(matches!(
            Scope::new(&site(&["https://h.example/"], &["[unclosed"])),
            Err(ScopeError::BadDeny { .. })
        ));
        assert!(matches!(
            Scope::new(&site(&[], &[])),
            Err(ScopeError::NoAllow { .. })
        ));
    }

    #[test]
    fn shipped_config_scopes() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/quietwatch.toml");
        let config = crate::config::Config::load(&path).unwrap();
        let gca = Scope::new(config.site("GCA agreements").unwrap()).unwrap();
        assert!(allows(&gca, "https://www.gca.gov.uk/agreements/RM6281"));
        assert!(allows(&gca, "https://www.gca.gov.uk/agreements/upcoming"));
        assert!(!allows(
            &gca,
            "https://www.gca.gov.uk/agreements/RM6281/suppliers/1"
        ));
        assert!(!allows(&gca, "https://www.gca.gov.uk/suppliers/123/acme"));
        assert!(!allows(&gca, "https://www.gca.gov.uk/agreements?search=x"));
        let nhs = Scope::new(config.site("NHS England procurement").unwrap()).unwrap();
        assert!(allows(
            &nhs,
            "https://www.england.nhs.uk/long-read/system-guidance-for-the-implementation-of-framework-host-management"
        ));
        assert!(allows(
            &nhs,
            "https://www.england.nhs.uk/wp-content/uploads/2024/01/x.pdf"
        ));
        assert!(!allows(&nhs, "https://www.england.nhs.uk/news/"));
        for s in &config.sites {
            let scope = Scope::new(s).unwrap();
            for start in &s.start {
                assert!(
                    scope.allows(start),
                    "{}: {start} out of its own scope",
                    s.name
                );
            }
        }
    }
}
