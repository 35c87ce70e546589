//! The part of a page that matters, as stable text lines.
//!
//! Change detection compares *this* text, never the raw HTML: two fetches of an unchanged
//! page differ in script contents, CSRF tokens, cookie banners, cache-busting query strings
//! and footer timestamps, and reporting any of that is crying wolf. So extraction keeps only
//! what a reader of the page would call its content, in a form that is byte-identical for
//! two fetches that differ only in noise:
//!
//! * **Content selection** — the site's `content` selector when it matches (the union of its
//!   outermost matches), else `main`, `[role=main]`, `article`, else a bounded "densest text
//!   block" descent from `body` (see `densest_block`), else `body`.
//! * **Noise removal** — script, style, template, noscript, svg, iframe, object/embed/canvas,
//!   form controls (their values are where CSRF tokens live), closed `dialog`, `[hidden]`
//!   (except `hidden=until-found`, which is findable content), `[aria-hidden=true]`, every
//!   `nav`, page-level `header`/`footer` (and `role=banner/contentinfo/navigation`, and
//!   `#footer`/`.site-footer`-style blocks), and cookie/consent banners recognised by their
//!   id/class/aria attributes (or a dialog whose short text mentions cookies). A `header` or
//!   `footer` *inside* `main`/`article` is content (an article's h1 often sits in one) and is
//!   kept. Cookie-looking blocks are only dropped when short (≤ 4,000 characters), so a
//!   mislabelled wrapper cannot swallow a page. Then the site's `ignore` selectors, then its
//!   `ignore_text` regexes, applied to each line's content (a line left empty disappears).
//! * **Line format** — one line per block: headings `# `…`###### ` by level, list items
//!   `- `, table rows `| cell | cell |`, everything else a plain line; whitespace (including
//!   no-break spaces) folded, invisible characters (zero-width space, soft hyphen, BOM)
//!   removed, empty lines dropped. Links appear inline as `text (URL)` **only when the target
//!   is a document** (PDF, DOCX, …): a replaced price schedule is a change worth seeing, while
//!   ordinary link targets carry session ids and tracking parameters that would be noise.
//!   Attributes never reach the text, so random ids cannot either.
//!
//! **Facts** ([`crate::analyse::facts`]) are read in the same filtered walk: label/value
//! structures, lots and the content's own links (see `facts/html.rs`). A site's `facts`
//! selector names its key-facts panel; its matches are read for label/value facts even when
//! they lie outside the compared content (the noise filter and `ignore` rules still apply).
//!
//! Links are gathered from the *whole* document (navigation included): the crawler needs
//! them to find pages and to tell when a page stopped being linked (`unlinked`).
//!
//! Hostile input is bounded: the HTML is capped at [`MAX_HTML_BYTES`]; a cheap pre-scan
//! before parsing ends the document at the first tag nesting deeper than [`MAX_DEPTH`]
//! (html5ever's tree builder is quadratic in nesting depth: 100,000 nested `<div>`s take
//! minutes) or opening more than [`MAX_ELEMENTS`] elements; all walks are iterative; the
//! text, each line, the title and the link list are capped.

mod bounds;
mod filter;
mod lines;
mod meta;

use bounds::*;
use filter::*;
use lines::*;
use meta::*;
use std::collections::{HashMap, HashSet};

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use regex::{Regex, RegexBuilder};
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use crate::analyse::facts::html::Collector;
use crate::analyse::facts::Fact;
use crate::markup::truncate_chars;

/// HTML beyond this many bytes is ignored (the fetcher's default body cap is 10 MB; real
/// procurement pages are well under 1 MB).
pub const MAX_HTML_BYTES: usize = 8 * 1024 * 1024;
/// Elements nested deeper than this (by the pre-scan's estimate) end the document there.
/// Browsers cap tree depth at a few hundred too; real pages stay under 60.
pub const MAX_DEPTH: usize = 256;
/// The document ends at the start tag after this many (parse and walk cost follow the
/// element count; a 1 MB page has about 20,000).
pub const MAX_ELEMENTS: usize = 200_000;
/// The extracted text stops growing beyond this many bytes.
pub const MAX_TEXT_BYTES: usize = 2 * 1024 * 1024;
/// A single line's raw text stops growing beyond this many bytes.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// Titles are capped at this many characters.
pub const MAX_TITLE_CHARS: usize = 500;
/// At most this many distinct links are kept per page.
pub const MAX_LINKS: usize = 10_000;
/// Longer `href`s are ignored (they are data, not links).
const MAX_HREF_BYTES: usize = 4096;
/// A cookie-looking block with more text than this is not treated as a banner.
const COOKIE_TEXT_LIMIT: usize = 4000;
/// The densest-block descent takes at most this many steps.
const MAX_DESCENT: usize = 64;

const HTML_NS: &str = "http://www.w3.org/1999/xhtml";
const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// Words in an id, class or aria label that mark a cookie or consent banner.
const COOKIE_WORDS: &[&str] = &[
    "cookie",
    "consent",
    "gdpr",
    "cc-banner",
    "cc-window",
    "cc_banner",
    "onetrust",
    "optanon",
    "cmpbox",
    "qc-cmp",
    "tarteaucitron",
];

/// Why a site's extraction settings could not be compiled (reported as a config error).
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("invalid CSS selector {selector:?}: {message}")]
    Selector { selector: String, message: String },
    #[error("invalid ignore_text pattern {pattern:?}: {source}")]
    Pattern {
        pattern: String,
        #[source]
        source: regex::Error,
    },
}

/// What extraction keeps of one HTML page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// `<title>` (else the first `h1`), whitespace folded, at most [`MAX_TITLE_CHARS`].
    pub title: String,
    /// The compared text: normalised lines joined by `'\n'` (format in the module docs).
    pub text: String,
    /// Every `<a href>` in the whole document, resolved against `<base href>` or the page
    /// URL, http(s) only, fragment and cache-busting parameters dropped, deduplicated, in
    /// page order, links to the page itself excluded, at most [`MAX_LINKS`].
    pub links: Vec<Url>,
    /// The links that point at documents (PDF, DOCX, XLSX, …), in page order.
    pub documents: Vec<Url>,
    /// `<link rel="canonical">`, resolved.
    pub canonical: Option<Url>,
    /// `<meta name="robots" content="noindex">` (or `none`).
    pub noindex: bool,
    /// The facts of the compared content (and of the site's `facts` panel), in page order,
    /// names unique (see [`crate::analyse::facts`]).
    pub facts: Vec<Fact>,
}

/// A site's extraction settings, compiled once and reused for every page of the site.
#[derive(Debug, Clone)]
pub struct Extractor {
    content: Option<Selector>,
    /// `main`, `[role=main]`, `article`: the default content choices, in order.
    defaults: Vec<Selector>,
    ignore: Vec<Selector>,
    ignore_text: Vec<Regex>,
    cookie_words: Regex,
    /// The site's `facts` selector: where its key-facts panel is.
    facts: Option<Selector>,
    /// Whether facts are read at all (on unless switched off, e.g. to measure their cost).
    read_facts: bool,
}

impl Extractor {
    /// Compiles a site's `content` selector, `ignore` selectors, `ignore_text` regexes and
    /// `facts` selector.
    ///
    /// Fails on the first invalid selector or pattern so that a typo in the config is an
    /// error at start-up, not a silently unfiltered site.
    pub fn new(
        content: Option<&str>,
        ignore: &[String],
        ignore_text: &[String],
        facts: Option<&str>,
    ) -> Result<Extractor, ExtractError> {
        let content = match content.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(parse_selector(s)?),
            None => None,
        };
        let facts = match facts.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(parse_selector(s)?),
            None => None,
        };
        let ignore = ignore
            .iter()
            .map(|s| parse_selector(s))
            .collect::<Result<Vec<_>, _>>()?;
        let ignore_text = ignore_text
            .iter()
            .map(|p| {
                RegexBuilder::new(p)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|source| ExtractError::Pattern {
                        pattern: p.clone(),
                        source,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let defaults = ["main", "[role=main]", "article"]
            .into_iter()
            .map(parse_selector)
            .collect::<Result<Vec<_>, _>>()?;
        let cookie_source = format!(
            "(?i){}",
            COOKIE_WORDS
                .iter()
                .map(|w| regex::escape(w))
                .collect::<Vec<_>>()
                .join("|")
        );
        let cookie_words = Regex::new(&cookie_source).map_err(|source| ExtractError::Pattern {
            pattern: cookie_source.clone(),
            source,
        })?;
        Ok(Extractor {
            content,
            defaults,
            cookie_words,
            ignore,
            ignore_text,
            facts,
            read_facts: true,
        })
    }

    /// The same extractor with facts read (`true`, the default) or not (`Extracted::facts`
    /// stays empty): what the benchmark compares.
    pub fn with_facts(mut self, on: bool) -> Extractor {
        self.read_facts = on;
        self
    }

    /// Extracts title, text, links and metadata from one page served at `base`.
    ///
    /// Never panics; work is bounded by the caps described in the module docs.
    pub fn extract(&self, html: &str, base: &Url) -> Extracted {
        let html = bound_input(html);
        let doc = Html::parse_document(html);
        let meta = read_meta(&doc);

        let page = page_identity(base);
        let link_base = meta
            .base_href
            .as_deref()
            .and_then(|h| base.join(h.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .unwrap_or_else(|| base.clone());

        let canonical = meta
            .canonical
            .as_deref()
            .and_then(|h| crate::urlnorm::resolve(&link_base, h));

        let mut seen = HashSet::new();
        let mut links = Vec::new();
        // Each href resolved once: facts look their content links up here.
        let mut resolved: HashMap<&str, Url> = HashMap::new();
        for href in &meta.hrefs {
            if links.len() >= MAX_LINKS {
                tracing::debug!(page = %base, "link cap reached");
                break;
            }
            let Some(url) = crate::urlnorm::resolve(&link_base, href) else {
                continue;
            };
            if self.read_facts {
                resolved.insert(href.as_str(), url.clone());
            }
            if url == page || canonical.as_ref() == Some(&url) {
                continue;
            }
            if seen.insert(url.as_str().to_owned()) {
                links.push(url);
            }
        }
        let documents = links
            .iter()
            .filter(|u| crate::urlnorm::is_document(u))
            .cloned()
            .collect();

        let filter = Filter {
            ignored: self.ignored_nodes(&doc),
            cookie_words: &self.cookie_words,
        };
        let roots = self.content_roots(&doc, &filter);
        let panels: Option<Vec<ElementRef>> = self
            .facts
            .as_ref()
            .filter(|_| self.read_facts)
            .map(|sel| outermost(doc.select(sel)));
        let panel_ids: Option<HashSet<NodeId>> =
            panels.as_ref().map(|p| p.iter().map(|e| e.id()).collect());
        let mut facts = self.read_facts.then(|| {
            Collector::new(
                &link_base,
                &resolved,
                &page,
                canonical.as_ref(),
                &self.ignore_text,
                panel_ids.as_ref(),
            )
        });
        let mut lines = Lines::new(&self.ignore_text, &link_base);
        for root in &roots {
            lines.render(*root, &filter, facts.as_mut());
        }
        let text = lines.finish();
        if let (Some(collector), Some(panels)) = (facts.as_mut(), panels.as_ref()) {
            self.read_outer_panels(collector, panels, &roots, &filter);
        }
        let facts = facts.map(Collector::finish).unwrap_or_default();

        let mut title = fold(&meta.title.unwrap_or_default());
        if title.is_empty() {
            title = meta.h1.unwrap_or_default();
        }

        Extracted {
            title: truncate_chars(&title, MAX_TITLE_CHARS),
            text,
            links,
            documents,
            canonical,
            noindex: meta.noindex,
            facts,
        }
    }

    /// Reads the `facts` panels that lie outside the compared content (label/value facts
    /// only: their links and lots are not the compared content's).
    fn read_outer_panels(
        &self,
        collector: &mut Collector,
        panels: &[ElementRef],
        roots: &[ElementRef],
        filter: &Filter,
    ) {
        let root_ids: HashSet<NodeId> = roots.iter().map(|r| r.id()).collect();
        for panel in panels {
            let inside = std::iter::once(**panel)
                .chain(panel.ancestors())
                .any(|a| root_ids.contains(&a.id()));
            if inside {
                continue;
            }
            collector.begin(false);
            walk(*panel, filter, |step| {
                match step {
                    Step::Open(el) => collector.open(el),
                    Step::Close(_) => collector.close(),
                    Step::Text(t) => collector.text(t),
                }
                true
            });
        }
    }

    /// The node ids matched by the site's `ignore` selectors.
    fn ignored_nodes(&self, doc: &Html) -> HashSet<NodeId> {
        let mut set = HashSet::new();
        for sel in &self.ignore {
            set.extend(doc.select(sel).map(|e| e.id()));
        }
        set
    }

    /// The elements whose text is compared (see the module docs for the order of choice).
    fn content_roots<'a>(&self, doc: &'a Html, filter: &Filter) -> Vec<ElementRef<'a>> {
        if let Some(sel) = &self.content {
            let roots = outermost(doc.select(sel));
            if !roots.is_empty() {
                return roots;
            }
            tracing::debug!("content selector matched nothing; using the default choice");
        }
        for sel in &self.defaults {
            let roots = outermost(doc.select(sel));
            if !roots.is_empty() {
                return roots;
            }
        }
        let body = doc
            .root_element()
            .children()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().name() == "body");
        match body {
            Some(body) => vec![densest_block(body, filter)],
            None => vec![doc.root_element()],
        }
    }
}

/// An attribute's value. `Element::attr` interns the name on every call, which costs more
/// than scanning an element's few attributes.
fn attr<'a>(e: &'a scraper::node::Element, name: &str) -> Option<&'a str> {
    e.attrs().find(|(n, _)| *n == name).map(|(_, v)| v)
}

fn parse_selector(s: &str) -> Result<Selector, ExtractError> {
    Selector::parse(s).map_err(|e| ExtractError::Selector {
        selector: s.to_owned(),
        message: e.to_string(),
    })
}

/// Keeps the matches that are not inside another match (document order is kept).
fn outermost<'a>(matches: impl Iterator<Item = ElementRef<'a>>) -> Vec<ElementRef<'a>> {
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for el in matches {
        let nested = el.ancestors().any(|a| ids.contains(&a.id()));
        ids.insert(el.id());
        if !nested {
            out.push(el);
        }
    }
    out
}

/// The page's own URL as links are compared with it.
fn page_identity(base: &Url) -> Url {
    crate::urlnorm::canonicalize(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn ex(html: &str) -> Extracted {
        Extractor::new(None, &[], &[], None)
            .unwrap()
            .extract(html, &url("https://www.gca.gov.uk/agreements/RM6281"))
    }

    #[test]
    fn line_format() {
        let e = ex(r#"<html><head><title>  Health
            Sector   Resourcing </title></head><body><main>
            <h1>Health Sector Resourcing</h1><p>Intro&nbsp;text   here.</p>
            <h2>Lots</h2><ul><li>Lot 1: <b>Nursing</b></li><li>Lot 2: Medical</li></ul>
            <table><tr><th>Agreement ID</th><th>RM6281</th></tr>
            <tr><td>End date</td><td><p>31/03/2026</p></td></tr></table>
            <p>See the <a href="/files/schedule.pdf?v=3">price schedule</a> and
            <a href="/agreements/RM6187">another page</a>.</p>
            <h3>Key<br>facts</h3>
            </main></body></html>"#);
        assert_eq!(e.title, "Health Sector Resourcing");
        assert_eq!(
            e.text,
            "# Health Sector Resourcing\nIntro text here.\n## Lots\n- Lot 1: Nursing\n\
             - Lot 2: Medical\n| Agreement ID | RM6281 |\n| End date | 31/03/2026 |\n\
             See the price schedule (https://www.gca.gov.uk/files/schedule.pdf) and another \
             page.\n### Key facts"
        );
        assert_eq!(
            e.documents,
            vec![url("https://www.gca.gov.uk/files/schedule.pdf")]
        );
    }

    #[test]
    fn links_whole_document_resolved_deduplicated() {
        let e = ex(r##"<html><head><base href="https://www.gca.gov.uk/base/">
            <link rel="Canonical" href="/agreements/RM6281"></head><body>
            <nav><a href="/home">Home</a><a href="mailto:x@y.z">mail</a></nav>
            <main><a href="rel#frag">r</a><a href="rel">r2</a>
            <a href="https://www.gca.gov.uk/agreements/RM6281#top">self</a>
            <a href="javascript:void(0)">js</a><a href="page?utm_source=x&amp;id=2">q</a></main>
            <footer><a href="//other.example/doc.XLSX">x</a></footer></body></html>"##);
        let links: Vec<&str> = e.links.iter().map(Url::as_str).collect();
        assert_eq!(
            links,
            vec![
                "https://www.gca.gov.uk/home",
                "https://www.gca.gov.uk/base/rel",
                "https://www.gca.gov.uk/base/page?id=2",
                "https://other.example/doc.XLSX",
            ]
        );
        assert_eq!(e.documents, vec![url("https://other.example/doc.XLSX")]);
        assert_eq!(
            e.canonical,
            Some(url("https://www.gca.gov.uk/agreements/RM6281"))
        );
        assert!(!e.noindex);
    }

    #[test]
    fn noindex_and_title_fallback() {
        let e = ex(r#"<meta name="ROBOTS" content="NOINDEX, nofollow"><h1> Only  heading</h1>"#);
        assert!(e.noindex);
        assert_eq!(e.title, "Only heading");
        let long = format!("<title>{}</title>", "é".repeat(2000));
        assert_eq!(ex(&long).title.chars().count(), MAX_TITLE_CHARS);
    }

    #[test]
    fn content_selector_union_and_fallback() {
        let x = Extractor::new(Some(".a"), &[], &[], None).unwrap();
        let e = x.extract(
            r#"<main><p>main text</p></main><div class="a">one<div class="a">inner</div></div>
               <div class="a">two</div>"#,
            &url("https://x.test/"),
        );
        assert_eq!(e.text, "one\ninner\ntwo");
        let x = Extractor::new(Some(".missing"), &[], &[], None).unwrap();
        let e = x.extract(
            "<main><p>main text</p></main><p>other</p>",
            &url("https://x.test/"),
        );
        assert_eq!(e.text, "main text");
    }

    #[test]
    fn header_inside_article_is_content_but_page_header_is_not() {
        let e = ex(r#"<body><header>Site name <a href="/">home</a></header>
            <article><header><h1>Notice</h1></header><p>Body</p><footer>Published 1 May 2026</footer></article>
            <footer>Generated 12:00:01</footer></body>"#);
        assert_eq!(e.text, "# Notice\nBody\nPublished 1 May 2026");
    }

    #[test]
    fn densest_block_sheds_sidebar_keeps_h1() {
        let para = "Framework agreement text that is long enough to count. ".repeat(10);
        let html = format!(
            r#"<body><div id="wrap"><div class="side"><a href="/a">Link one</a> tiny</div>
            <div id="content"><h1>Title</h1><div class="inner"><p>{para}</p><p>{para}</p></div></div>
            </div></body>"#
        );
        let e = ex(&html);
        assert!(e.text.starts_with("# Title\n"), "{}", e.text);
        assert!(!e.text.contains("tiny"));
    }

    #[test]
    fn cookie_banner_size_guard() {
        let big = "Cookie policy words. ".repeat(400);
        let e = ex(&format!(
            r#"<body class="cookies-not-set"><div class="cookie-policy">{big}</div></body>"#
        ));
        assert!(e.text.contains("Cookie policy words."));
        let e = ex(
            r#"<body><div role="dialog">We use cookies. <button>Accept</button></div><p>Real</p></body>"#,
        );
        assert_eq!(e.text, "Real");
    }

    #[test]
    fn ignore_and_ignore_text() {
        let x = Extractor::new(
            None,
            &[".updated".to_owned()],
            &["Page last reviewed: .*".to_owned(), r"\bDraft\b".to_owned()],
            None,
        )
        .unwrap();
        let e = x.extract(
            r#"<main><p>Draft   text</p><p class="updated">Updated today</p>
               <p>Page last reviewed: 3 March 2026</p><li>Page last reviewed: x</li></main>"#,
            &url("https://x.test/"),
        );
        assert_eq!(e.text, "text");
        assert!(Extractor::new(Some("##"), &[], &[], None).is_err());
        assert!(Extractor::new(None, &[], &["(".to_owned()], None).is_err());
    }

    #[test]
    fn deep_nesting_is_cut_not_slow() {
        let html = format!("<body><main><p>start</p>{}", "<div>x".repeat(200_000));
        assert!(limit_nesting(&html, MAX_DEPTH).len() < 2000);
        let e = ex(&html);
        assert!(e.text.starts_with("start\nx\nx"));
        // Ordinary structure with unclosed optional-end tags is untouched.
        let ok = "<ul><li>a<li>b</ul><p>x<p>y".repeat(10_000);
        assert_eq!(limit_nesting(&ok, MAX_DEPTH).len(), ok.len());
        let svg = format!("<svg>{}</svg>", r#"<path d="M0 0"/>"#.repeat(1000));
        assert_eq!(limit_nesting(&svg, MAX_DEPTH).len(), svg.len());
        let quoted = format!(r#"<div title="<div><div>">{}"#, "</div><div>".repeat(1000));
        assert_eq!(limit_nesting(&quoted, MAX_DEPTH).len(), quoted.len());
        let flat = "<a href=/x>x".repeat(MAX_ELEMENTS + 10);
        let cut = limit_nesting(&flat, MAX_DEPTH);
        assert_eq!(cut.len(), "<a href=/x>x".len() * MAX_ELEMENTS);
        let self_closed = "<div/>".repeat(1000);
        assert!(limit_nesting(&self_closed, MAX_DEPTH).len() < self_closed.len());
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for html in [
            "",
            "<",
            "</",
            "<a href",
            "<a href='",
            "<!--",
            "<script>",
            "<table><td><td><tr><th>",
            "\u{0}\u{FEFF}<p>\u{200B}</p>",
            "<a href='http://[::1'>x</a>",
            "<base href='javascript:x'><a href='y'>y</a>",
            "<h1><h2><li><tr>x</h2></h1>",
        ] {
            let _ = ex(html);
        }
    }

    #[test]
    fn extractor_can_be_shared_across_tasks() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Extractor>();
        send_sync::<Extracted>();
    }

    #[test]
    fn fold_whitespace_and_invisibles() {
        assert_eq!(fold("  a \u{a0}\t b\n\u{200B} c\u{AD}d\u{0}e "), "a b cd e");
        assert_eq!(fold("\u{FEFF}"), "");
        assert_eq!(fold("\u{FEFF} x"), "x");
    }

    #[test]
    fn is_document_by_extension() {
        assert!(crate::urlnorm::is_document(&url(
            "https://a.test/x/Price%20Schedule.PDF"
        )));
        assert!(crate::urlnorm::is_document(&url(
            "https://a.test/x.docx?download=1"
        )));
        assert!(!crate::urlnorm::is_document(&url("https://a.test/pdf")));
        assert!(!crate::urlnorm::is_document(&url("https://a.test/.pdf")));
        assert!(!crate::urlnorm::is_document(&url("https://a.test/x.html")));
        for href in ["a.pdf", "/x/Report.PDF?lang=en.gb", "b.xlsx#sheet", "c.csv"] {
            assert!(may_be_document(href), "{href}");
        }
        assert!(!may_be_document("/agreements/RM1557.14"));
    }
}
