//! robots.txt: what a site allows quietwatch to fetch, how slowly, and where its sitemaps are.
//!
//! Why: SPEC.md says robots.txt always wins — a disallowed URL is never fetched, even when a
//! sitemap lists it — and the GCA's rules change over time (supplier listings came and went
//! in 2026). A page that becomes disallowed is out of reach, not gone; the crawler must not
//! report it `removed`, which is why "may I fetch this" is a question separate from "what
//! did the server say".
//!
//! Key choices:
//! - Parsing and matching are `texting_robots`' (checked against Google's robots_test.cc
//!   cases in `tests/conformance.rs`; the few divergences are listed there). It handles the
//!   GCA's Google-style wildcard rules (`Disallow: *?search=*`) correctly.
//! - The product token matched against `User-agent:` lines is the configured user agent up
//!   to its first `/` or space ("quietwatch/0.1 (+mailto:…)" → "quietwatch"), per RFC 9309.
//! - [`Robots::parse`] never fails: a file that cannot be parsed allows everything (with a
//!   warning), as RFC 9309 treats unparseable lines. Bodies are cut at 512 KiB (RFC 9309
//!   asks parsers to read at least 500 KiB), UTF-16 and UTF-8 byte-order marks are decoded.
//! - What a failed fetch means ([`RobotsFetch`], [`Robots::from_fetch`]) follows RFC 9309
//!   §2.3.1: 4xx allows all, 5xx or a network error disallows all for this run.

use std::sync::Arc;
use std::time::Duration;
use url::{Position, Url};

/// Parse at most this much of a robots.txt (RFC 9309 asks for at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;

/// Crawl-delays are clamped to this, so absurd values stay representable.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Clone)]
enum Rules {
    AllowAll,
    DisallowAll,
    Parsed(Arc<texting_robots::Robot>),
}

/// The rules of one host's robots.txt for quietwatch's user agent. Cheap to clone.
#[derive(Clone)]
pub struct Robots {
    rules: Rules,
    sitemaps: Vec<Url>,
}

impl std::fmt::Debug for Robots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules = match &self.rules {
            Rules::AllowAll => "allow all".to_string(),
            Rules::DisallowAll => "disallow all".to_string(),
            Rules::Parsed(r) => format!("{r:?}"),
        };
        f.debug_struct("Robots")
            .field("rules", &rules)
            .field("sitemaps", &self.sitemaps)
            .finish()
    }
}

/// The outcome of fetching `/robots.txt`, as the fetch layer saw it.
///
/// Mapping (RFC 9309 §2.3.1): redirects are followed (up to five hops) by the fetcher; a
/// 2xx body is `Found`; 4xx (including 401/403, and too many redirects) is `NotFound`;
/// 5xx, 429, timeouts and connection errors are `Unavailable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotsFetch {
    /// 2xx: the body.
    Found(Vec<u8>),
    /// 4xx: "unavailable" in RFC 9309 terms, so the crawler may access anything.
    NotFound,
    /// 5xx or network failure: "unreachable", so the crawler must assume complete
    /// disallow. Nothing is fetched from the host this run — and nothing is reported as
    /// removed because of it.
    Unavailable,
}

/// The product token of a user agent: up to the first `/` or whitespace
/// ("quietwatch/0.1 (+mailto:…)" → "quietwatch").
pub fn product_token(user_agent: &str) -> &str {
    let ua = user_agent.trim_start();
    let end = ua
        .find(|c: char| c == '/' || c.is_whitespace())
        .unwrap_or(ua.len());
    ua.get(..end).unwrap_or("")
}

/// Decodes byte-order-marked UTF-16 to UTF-8, strips a UTF-8 BOM, cuts at
/// [`MAX_ROBOTS_BYTES`] (at a line end when there is one).
fn prepare_body(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let body = match encoding_rs::Encoding::for_bom(body) {
        Some((enc, _)) if enc == encoding_rs::UTF_8 => {
            std::borrow::Cow::Borrowed(body.get(3..).unwrap_or(&[]))
        }
        Some((enc, _)) => {
            let capped = body.get(..MAX_ROBOTS_BYTES * 2).unwrap_or(body);
            let (text, _, _) = enc.decode(capped);
            std::borrow::Cow::Owned(text.into_owned().into_bytes())
        }
        None => std::borrow::Cow::Borrowed(body),
    };
    if body.len() <= MAX_ROBOTS_BYTES {
        return body;
    }
    let head = body.get(..MAX_ROBOTS_BYTES).unwrap_or(&body);
    let cut = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(head.len(), |i| i + 1);
    std::borrow::Cow::Owned(head.get(..cut).unwrap_or(head).to_vec())
}

/// Cuts every `User-agent:` value down to its product token ("FooBot/1.2" → "FooBot",
/// "Foo Bar" → "Foo"), as RFC 9309 §2.2.1 and Google's parser match it. texting_robots
/// compares the whole value, so without this a group written for `quietwatch/0.1` would be
/// missed and the `*` group applied instead. Lines are split as texting_robots splits them
/// (on `\n` and `\r`); other lines are kept byte for byte.
fn normalise_user_agent_lines(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut changed = false;
    let mut rest = body;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        let (line, tail) = rest.split_at(end);
        match user_agent_token(line) {
            Some(token) => {
                out.extend_from_slice(b"User-agent: ");
                out.extend_from_slice(token);
                changed = true;
            }
            None => out.extend_from_slice(line),
        }
        match tail.split_first() {
            Some((&terminator, after)) => {
                out.push(terminator);
                rest = after;
            }
            None => rest = tail,
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(body)
    }
}

/// For a `User-agent` line (spelt as texting_robots accepts it) whose value is longer than
/// its product token, the token; `None` for any other line.
fn user_agent_token(line: &[u8]) -> Option<&[u8]> {
    const KEYS: [&[u8]; 3] = [b"user-agent", b"user agent", b"useragent"];
    let blanks = |s: &[u8]| s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let rest = line.get(blanks(line)..)?;
    let key = KEYS.iter().find(|k| {
        rest.get(..k.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(k))
    })?;
    let after_key = rest.get(key.len()..)?;
    let gap = blanks(after_key);
    let value = match after_key.get(gap..)? {
        [b':', value @ ..] => value,
        value if gap > 0 => value,
        _ => return None,
    };
    let value = value.get(blanks(value)..)?;
    let value_end = value.iter().position(|&b| b == b'#').unwrap_or(value.len());
    let value = value.get(..value_end)?.trim_ascii_end();
    let token_end = value
        .iter()
        .position(|&b| b == b'/' || b.is_ascii_whitespace())?;
    value.get(..token_end)
}

impl Robots {
    /// Parses a robots.txt body for `user_agent` (matched by its [`product_token`]). Never
    /// fails: a file that cannot be parsed allows everything, with a warning.
    pub fn parse(user_agent: &str, body: &[u8]) -> Robots {
        let token = product_token(user_agent);
        let body = prepare_body(body);
        let body = normalise_user_agent_lines(&body);
        match texting_robots::Robot::new(token, &body) {
            Ok(robot) => {
                let mut sitemaps: Vec<Url> = Vec::new();
                for s in &robot.sitemaps {
                    match Url::parse(s.trim()) {
                        Ok(u) if matches!(u.scheme(), "http" | "https") => {
                            if !sitemaps.contains(&u) {
                                sitemaps.push(u);
                            }
                        }
                        _ => {
                            tracing::debug!(sitemap = %s, "robots.txt: ignoring a sitemap that is not an absolute http(s) URL")
                        }
                    }
                }
                Robots {
                    rules: Rules::Parsed(Arc::new(robot)),
                    sitemaps,
                }
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "robots.txt could not be parsed; treating it as allowing everything");
                Robots::allow_all()
            }
        }
    }

    /// No rules: a missing robots.txt, or `respect_robots = false`.
    pub fn allow_all() -> Robots {
        Robots {
            rules: Rules::AllowAll,
            sitemaps: Vec::new(),
        }
    }

    /// Everything disallowed: robots.txt was unreachable (5xx, network), so this run must
    /// not touch the host.
    pub fn disallow_all() -> Robots {
        Robots {
            rules: Rules::DisallowAll,
            sitemaps: Vec::new(),
        }
    }

    /// Applies RFC 9309 §2.3.1 to a fetch outcome: a body is parsed; 4xx ("unavailable")
    /// allows everything; 5xx or a network error ("unreachable") disallows everything.
    ///
    /// RFC 9309 lets a crawler fall back to a cached copy after 30 days of unreachability;
    /// quietwatch does not, because a host that answers nothing for a month is exactly what
    /// `unreachable` reports.
    pub fn from_fetch(user_agent: &str, fetch: RobotsFetch) -> Robots {
        match fetch {
            RobotsFetch::Found(body) => Robots::parse(user_agent, &body),
            RobotsFetch::NotFound => Robots::allow_all(),
            RobotsFetch::Unavailable => Robots::disallow_all(),
        }
    }

    /// Whether quietwatch may fetch `url` (its path and query are matched; the fragment is
    /// ignored). `/robots.txt` itself is always allowed.
    pub fn allowed(&self, url: &Url) -> bool {
        match &self.rules {
            Rules::AllowAll => true,
            Rules::DisallowAll => false,
            Rules::Parsed(robot) => robot.allowed(&url[Position::BeforePath..Position::AfterQuery]),
        }
    }

    /// The `Crawl-delay` for quietwatch's group, if any; negative or non-numeric values are
    /// ignored, huge ones clamped to [`MAX_CRAWL_DELAY`].
    pub fn crawl_delay(&self) -> Option<Duration> {
        let Rules::Parsed(robot) = &self.rules else {
            return None;
        };
        let secs = robot.delay?;
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        // Clamp before converting: Duration::from_secs_f64 panics on huge values.
        let secs = f64::from(secs).min(MAX_CRAWL_DELAY.as_secs_f64());
        Some(Duration::try_from_secs_f64(secs).map_or(MAX_CRAWL_DELAY, |d| d.min(MAX_CRAWL_DELAY)))
    }

    /// The absolute http(s) `Sitemap:` URLs of the file, deduplicated, in file order.
    /// Relative ones are skipped (RFC 9309 requires fully qualified URLs).
    pub fn sitemaps(&self) -> Vec<Url> {
        self.sitemaps.clone()
    }
}

/// Where a URL's robots.txt lives: `scheme://host[:port]/robots.txt`, without credentials.
pub fn robots_url(url: &Url) -> Url {
    let mut r = url.clone();
    // These setters only fail on URLs that cannot have credentials; nothing to remove then.
    let _ = r.set_username("");
    let _ = r.set_password(None);
    r.set_path("/robots.txt");
    r.set_query(None);
    r.set_fragment(None);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str = "quietwatch/0.1 (+mailto:you@example.org)";

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// The GCA's robots.txt in the shape the notes describe: Google-style leading-wildcard
    /// patterns that a parser ignoring wildcards gets wrong.
    const GCA: &str = "User-agent: *\n\
        Disallow: *?search=*\n\
        Disallow: *page=*\n\
        Disallow: *utm_source=*\n\
        Disallow: /agreements/*/suppliers/*\n\
        Disallow: /api/\n";

    #[test]
    fn gca_wildcard_rules() {
        let r = Robots::parse(UA, GCA.as_bytes());
        let h = "https://www.gca.gov.uk";
        for denied in [
            "/agreements?search=cloud",
            "/agreements/upcoming?search=x&page=1",
            "/search?search=",
            "/agreements?page=2",
            "/agreements?x=1&page=2",
            "/agreements/RM6281?utm_source=newsletter",
            "/agreements/RM6281/suppliers/1",
            "/agreements/RM1557.14/suppliers/2?x",
            "/api/frameworks",
        ] {
            assert!(!r.allowed(&url(&format!("{h}{denied}"))), "{denied}");
        }
        for allowed in [
            "/agreements",
            "/agreements/RM6281",
            "/agreements/RM1557.14",
            "/agreements/upcoming",
            "/agreements/search",
            "/suppliers-guide",
            "/agreements/RM6281#suppliers",
            "/robots.txt",
        ] {
            assert!(r.allowed(&url(&format!("{h}{allowed}"))), "{allowed}");
        }
        assert!(r.sitemaps().is_empty());
        assert_eq!(r.crawl_delay(), None);
    }

    #[test]
    fn product_token_and_groups() {
        assert_eq!(product_token(UA), "quietwatch");
        assert_eq!(product_token("  FooBot"), "FooBot");
        assert_eq!(product_token("Foo Bar"), "Foo");
        assert_eq!(product_token(""), "");
        let txt = b"User-agent: *\nDisallow: /\n\nUser-agent: QuietWatch\nDisallow: /private\nCrawl-delay: 2.5\n";
        let r = Robots::parse(UA, txt);
        assert!(r.allowed(&url("https://e.org/public")));
        assert!(!r.allowed(&url("https://e.org/private/x")));
        assert_eq!(r.crawl_delay(), Some(Duration::from_millis(2500)));
        let other = Robots::parse("otherbot/1.0", txt);
        assert!(!other.allowed(&url("https://e.org/public")));
    }

    #[test]
    fn user_agent_lines_match_by_product_token() {
        let txt = b"User-agent: *\r\nDisallow: /\r\n\r\nUser-agent: QuietWatch/0.1 (monitor) # us\r\nDisallow: /private\r\n";
        let r = Robots::parse(UA, txt);
        assert!(r.allowed(&url("https://e.org/public")));
        assert!(!r.allowed(&url("https://e.org/private")));
        let r = Robots::parse(
            UA,
            b"User-agent: *\nDisallow: /\n  user agent   quietwatch extra\nAllow: /\n",
        );
        assert!(r.allowed(&url("https://e.org/public")));
        // Other bots' versioned lines do not capture us.
        let r = Robots::parse(UA, b"User-agent: quietwatchers/2\nDisallow: /\n");
        assert!(r.allowed(&url("https://e.org/public")));
        // Lines other than User-agent are left alone; nothing to rewrite borrows.
        let body = b"User-agent: *\nDisallow: /a b/\n";
        assert!(matches!(
            normalise_user_agent_lines(body),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            &*normalise_user_agent_lines(b"User-Agent: FooBot/1.2\rDisallow: /x y\n"),
            b"User-agent: FooBot\rDisallow: /x y\n"
        );
    }

    #[test]
    fn sitemaps_absolute_deduplicated() {
        let txt = b"Sitemap: https://e.org/sitemap_index.xml\nsitemap: /relative.xml\nSitemap: https://e.org/sitemap_index.xml\nSITEMAP: http://cdn.e.org/s.xml.gz\nUser-agent: *\nDisallow:\n";
        let r = Robots::parse(UA, txt);
        let s: Vec<String> = r.sitemaps().iter().map(Url::to_string).collect();
        assert_eq!(
            s,
            [
                "https://e.org/sitemap_index.xml",
                "http://cdn.e.org/s.xml.gz"
            ]
        );
    }

    #[test]
    fn fetch_outcomes_follow_rfc9309() {
        let u = url("https://e.org/x");
        let found = Robots::from_fetch(
            UA,
            RobotsFetch::Found(b"User-agent: *\nDisallow: /x\n".to_vec()),
        );
        assert!(!found.allowed(&u));
        assert!(Robots::from_fetch(UA, RobotsFetch::NotFound).allowed(&u));
        assert!(!Robots::from_fetch(UA, RobotsFetch::Unavailable).allowed(&u));
        assert!(Robots::allow_all().allowed(&u));
        assert!(!Robots::disallow_all().allowed(&u));
        assert_eq!(Robots::disallow_all().crawl_delay(), None);
    }

    #[test]
    fn boms_and_hostile_bodies() {
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "User-agent: *\nDisallow: /secret\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let r = Robots::parse(UA, &utf16);
        assert!(!r.allowed(&url("https://e.org/secret")));
        let mut utf8 = b"\xEF\xBB\xBF".to_vec();
        utf8.extend_from_slice(b"User-agent: *\nDisallow: /secret\n");
        assert!(!Robots::parse(UA, &utf8).allowed(&url("https://e.org/secret")));
        // Binary junk and a huge body: no panic, a sensible answer.
        let junk: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let _ = Robots::parse(UA, &junk).allowed(&url("https://e.org/"));
        let mut big = b"User-agent: *\nDisallow: /early\n".to_vec();
        big.extend(std::iter::repeat_n(b"# filler filler filler\n".as_slice(), 40_000).flatten());
        big.extend_from_slice(b"Disallow: /late\n");
        let r = Robots::parse(UA, &big);
        assert!(!r.allowed(&url("https://e.org/early")));
        assert!(
            r.allowed(&url("https://e.org/late")),
            "rules beyond 512 KiB are not read"
        );
        let r = Robots::parse(UA, b"User-agent: *\nCrawl-delay: -5\n");
        assert_eq!(r.crawl_delay(), None);
        let r = Robots::parse(UA, b"User-agent: *\nCrawl-delay: 1e30\n");
        assert_eq!(r.crawl_delay(), Some(MAX_CRAWL_DELAY));
    }

    #[test]
    fn robots_url_is_at_the_root() {
        assert_eq!(
            robots_url(&url(
                "https://u:p@www.gca.gov.uk:8443/agreements/RM6281?x=1#y"
            ))
            .as_str(),
            "https://www.gca.gov.uk:8443/robots.txt"
        );
        assert_eq!(
            robots_url(&url("http://e.org")).as_str(),
            "http://e.org/robots.txt"
        );
    }
}
