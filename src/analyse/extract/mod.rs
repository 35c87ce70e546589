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
//! Links are gathered from the *whole* document (navigation included): the crawler needs
//! them to find pages and to tell when a page stopped being linked (`unlinked`).
//!
//! Hostile input is bounded: the HTML is capped at [`MAX_HTML_BYTES`]; a cheap pre-scan
//! before parsing ends the document at the first tag nesting deeper than [`MAX_DEPTH`]
//! (html5ever's tree builder is quadratic in nesting depth: 100,000 nested `<div>`s take
//! minutes) or opening more than [`MAX_ELEMENTS`] elements; all walks are iterative; the
//! text, each line, the title and the link list are capped.

use std::collections::{HashMap, HashSet};

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use regex::{Regex, RegexBuilder};
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

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
}

impl Extractor {
    /// Compiles a site's `content` selector, `ignore` selectors and `ignore_text` regexes.
    ///
    /// Fails on the first invalid selector or pattern so that a typo in the config is an
    /// error at start-up, not a silently unfiltered site.
    pub fn new(
        content: Option<&str>,
        ignore: &[String],
        ignore_text: &[String],
    ) -> Result<Extractor, ExtractError> {
        let content = match content.map(str::trim).filter(|s| !s.is_empty()) {
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
        })
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
        for href in &meta.hrefs {
            if links.len() >= MAX_LINKS {
                tracing::debug!(page = %base, "link cap reached");
                break;
            }
            let Some(url) = crate::urlnorm::resolve(&link_base, href) else {
                continue;
            };
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
        let mut lines = Lines::new(&self.ignore_text, &link_base);
        for root in roots {
            lines.render(root, &filter);
        }
        let text = lines.finish();

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

// ---------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Meta {
    title: Option<String>,
    h1: Option<String>,
    base_href: Option<String>,
    canonical: Option<String>,
    noindex: bool,
    hrefs: Vec<String>,
}

fn read_meta(doc: &Html) -> Meta {
    let mut meta = Meta::default();
    for node in doc.root_element().descendants() {
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        let e = el.value();
        if &*e.name.ns != HTML_NS {
            continue;
        }
        match e.name() {
            "a" => {
                if let Some(h) = attr(e, "href") {
                    if h.len() <= MAX_HREF_BYTES && meta.hrefs.len() < MAX_LINKS * 4 {
                        meta.hrefs.push(h.to_owned());
                    }
                }
            }
            "title" if meta.title.is_none() => {
                meta.title = Some(truncate_chars(
                    &el.text().collect::<String>(),
                    4 * MAX_TITLE_CHARS,
                ));
            }
            "h1" if meta.h1.is_none() => meta.h1 = Some(plain_text(el, 4 * MAX_TITLE_CHARS)),
            "base" if meta.base_href.is_none() => {
                meta.base_href = attr(e, "href").map(str::to_owned);
            }
            "link" if meta.canonical.is_none() => {
                let canonical = attr(e, "rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("canonical"))
                });
                if canonical {
                    meta.canonical = attr(e, "href").map(str::to_owned);
                }
            }
            "meta" => {
                let robots =
                    attr(e, "name").is_some_and(|n| n.trim().eq_ignore_ascii_case("robots"));
                if robots {
                    let content = attr(e, "content").unwrap_or("");
                    if content
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .any(|t| {
                            t.eq_ignore_ascii_case("noindex") || t.eq_ignore_ascii_case("none")
                        })
                    {
                        meta.noindex = true;
                    }
                }
            }
            _ => {}
        }
    }
    meta
}

/// The folded text of an element without script/style, bounded.
fn plain_text(el: ElementRef, max_chars: usize) -> String {
    let mut raw = String::new();
    let mut skip: Option<NodeId> = None;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) => {
                if skip.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(e) if matches!(e.name(), "script" | "style" | "template") => {
                        skip = Some(node.id());
                    }
                    Node::Text(t) => {
                        raw.push_str(t);
                        if raw.len() > 4 * max_chars {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skip == Some(node.id()) {
                    skip = None;
                }
            }
        }
    }
    truncate_chars(&fold(&raw), max_chars)
}

// ---------------------------------------------------------------------------------------
/// A cheap superset test of [`is_document`] on a raw `href`, to skip resolving links that
/// cannot be documents.
fn may_be_document(href: &str) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    path.rsplit('.').next().is_some_and(|tail| {
        let tail = tail.as_bytes();
        DOCUMENT_EXTENSIONS.iter().any(|e| {
            tail.get(..e.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(e.as_bytes()))
        })
    })
}

const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "docx", "doc", "xlsx", "xls", "odt", "ods", "csv", "pptx", "ppt",
];

// Noise filter and traversal
// ---------------------------------------------------------------------------------------

/// Decides which elements (with everything inside them) are not content.
struct Filter<'x> {
    ignored: HashSet<NodeId>,
    /// [`COOKIE_WORDS`], case-insensitive, compiled once per extractor.
    cookie_words: &'x Regex,
}

impl Filter<'_> {
    /// `in_content` is true inside `main`/`article`/`[role=main]`, where `header` and
    /// `footer` belong to the content rather than to the site's chrome.
    fn drops(&self, el: ElementRef, in_content: bool) -> bool {
        if self.ignored.contains(&el.id()) {
            return true;
        }
        let e = el.value();
        if &*e.name.ns == SVG_NS {
            return true;
        }
        let name = e.name();
        match name {
            "script" | "style" | "template" | "noscript" | "svg" | "iframe" | "object"
            | "embed" | "canvas" | "input" | "select" | "textarea" | "datalist" | "nav" => {
                return true
            }
            "dialog" if attr(e, "open").is_none() => return true,
            "header" | "footer" if !in_content => return true,
            _ => {}
        }
        if let Some(h) = attr(e, "hidden") {
            if !h.trim().eq_ignore_ascii_case("until-found") {
                return true;
            }
        }
        if attr(e, "aria-hidden").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return true;
        }
        let role = attr(e, "role").unwrap_or("").trim().to_ascii_lowercase();
        match role.as_str() {
            "navigation" => return true,
            "banner" | "contentinfo" if !in_content => return true,
            _ => {}
        }
        if !in_content {
            const FOOTERS: &[&str] = &["footer", "site-footer", "page-footer", "global-footer"];
            let id_is_footer = e
                .id()
                .is_some_and(|id| FOOTERS.iter().any(|f| id.eq_ignore_ascii_case(f)));
            if id_is_footer
                || e.classes()
                    .any(|c| FOOTERS.iter().any(|f| c.eq_ignore_ascii_case(f)))
            {
                return true;
            }
        }
        if matches!(name, "html" | "body" | "main" | "article") {
            return false;
        }
        self.is_cookie_banner(el, &role)
    }

    fn is_cookie_banner(&self, el: ElementRef, role: &str) -> bool {
        let e = el.value();
        let labelled = [
            "id",
            "class",
            "aria-label",
            "aria-labelledby",
            "aria-describedby",
        ]
        .iter()
        .filter_map(|a| attr(e, a))
        .any(|v| self.cookie_words.is_match(v));
        let dialog = matches!(role, "dialog" | "alertdialog")
            || attr(e, "aria-modal").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !labelled && !dialog {
            return false;
        }
        match bounded_text(el, COOKIE_TEXT_LIMIT) {
            None => false, // too big to be a banner
            Some(text) => {
                if labelled {
                    return true;
                }
                let text = text.to_lowercase();
                text.contains("cookie") || text.contains("consent")
            }
        }
    }
}

/// The text of an element if it has at most `limit` non-whitespace characters (and a
/// bounded number of nodes), else `None`.
fn bounded_text(el: ElementRef, limit: usize) -> Option<String> {
    let mut text = String::new();
    let mut chars = 0usize;
    for (n, node) in el.descendants().enumerate() {
        if n > 4 * limit {
            return None;
        }
        if let Node::Text(t) = node.value() {
            chars += t.chars().filter(|c| !c.is_whitespace()).count();
            if chars > limit {
                return None;
            }
            text.push_str(t);
            text.push(' ');
        }
    }
    Some(text)
}

/// One step of a filtered walk.
enum Step<'a> {
    Open(ElementRef<'a>),
    Close(ElementRef<'a>),
    Text(&'a str),
}

fn is_content_section(el: ElementRef) -> bool {
    let e = el.value();
    matches!(e.name(), "main" | "article")
        || attr(e, "role").is_some_and(|r| r.trim().eq_ignore_ascii_case("main"))
}

/// Walks `root` in document order without recursion, skipping dropped subtrees (the root
/// itself is never dropped: it was chosen as content). `f` returns `false` to stop.
fn walk<'a>(root: ElementRef<'a>, filter: &Filter, mut f: impl FnMut(Step<'a>) -> bool) {
    let mut skip: Option<NodeId> = None;
    let mut sections = root
        .ancestors()
        .filter_map(ElementRef::wrap)
        .filter(|a| is_content_section(*a))
        .count();
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skip.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(t) if !f(Step::Text(t)) => return,
                    Node::Text(_) => {}
                    Node::Element(_) => {
                        let Some(el) = ElementRef::wrap(node) else {
                            continue;
                        };
                        if node.id() != root.id() && filter.drops(el, sections > 0) {
                            skip = Some(node.id());
                            continue;
                        }
                        if is_content_section(el) {
                            sections += 1;
                        }
                        if !f(Step::Open(el)) {
                            return;
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(s) = skip {
                    if s == node.id() {
                        skip = None;
                    }
                    continue;
                }
                if let Some(el) = ElementRef::wrap(node) {
                    if is_content_section(el) {
                        sections = sections.saturating_sub(1);
                    }
                    if !f(Step::Close(el)) {
                        return;
                    }
                }
            }
        }
    }
}

/// Elements the densest-block descent may move into.
fn is_container(name: &str) -> bool {
    matches!(
        name,
        "div"
            | "section"
            | "article"
            | "main"
            | "table"
            | "tbody"
            | "tr"
            | "td"
            | "center"
            | "form"
    )
}

/// The densest text block under `body`, for pages with no `main`/`article`.
///
/// Scores every container by its non-link text (dropped subtrees excluded), then descends
/// from `body` into the child container holding at least 70% of the current element's text, while
/// that child has at least 200 characters and does not leave an `h1` behind. This sheds
/// sidebars and link lists on div-soup layouts and stops as soon as the text is spread out;
/// one scoring pass plus at most [`MAX_DESCENT`] steps.
fn densest_block<'a>(body: ElementRef<'a>, filter: &Filter<'_>) -> ElementRef<'a> {
    struct Frame {
        id: NodeId,
        score: usize,
        h1s: usize,
    }
    let mut scores: HashMap<NodeId, (usize, usize)> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut in_link = 0usize;
    walk(body, filter, |step| {
        match step {
            Step::Open(el) => {
                if el.value().name() == "a" {
                    in_link += 1;
                }
                stack.push(Frame {
                    id: el.id(),
                    score: 0,
                    h1s: 0,
                });
            }
            Step::Text(t) => {
                if in_link == 0 {
                    if let Some(top) = stack.last_mut() {
                        top.score += t.chars().filter(|c| !c.is_whitespace()).count();
                    }
                }
            }
            Step::Close(el) => {
                let name = el.value().name();
                if name == "a" {
                    in_link = in_link.saturating_sub(1);
                }
                if let Some(mut frame) = stack.pop() {
                    if name == "h1" {
                        frame.h1s += 1;
                    }
                    // Only containers can be descended into (a non-container holding 70%
                    // would leave no container at 70% either), so only they are kept.
                    if is_container(name) || frame.id == body.id() {
                        scores.insert(frame.id, (frame.score, frame.h1s));
                    }
                    if let Some(parent) = stack.last_mut() {
                        parent.score += frame.score;
                        parent.h1s += frame.h1s;
                    }
                }
            }
        }
        true
    });

    let mut cur = body;
    for _ in 0..MAX_DESCENT {
        let Some(&(cur_score, cur_h1s)) = scores.get(&cur.id()) else {
            break;
        };
        let best = cur
            .children()
            .filter_map(ElementRef::wrap)
            .filter_map(|c| scores.get(&c.id()).map(|s| (c, *s)))
            .max_by_key(|(_, (score, _))| *score);
        let Some((child, (score, h1s))) = best else {
            break;
        };
        if score < 200 || score * 10 < cur_score * 7 || h1s < cur_h1s {
            break;
        }
        cur = child;
    }
    cur
}

// ---------------------------------------------------------------------------------------
// Line rendering
// ---------------------------------------------------------------------------------------

/// What an opened element did, so its close can undo it.
enum Action {
    None,
    Block,
    Space,
    Heading,
    ListItem,
    Row,
    Cell,
    InnerCell,
    Link(Option<String>),
}

/// Accumulates lines in the format described in the module docs.
struct Lines<'r> {
    patterns: &'r [Regex],
    link_base: &'r Url,
    out: Vec<String>,
    bytes: usize,
    full: bool,
    buf: String,
    prefix: Option<&'static str>,
    headings: usize,
    row: Option<Vec<String>>,
    cell: String,
    cell_depth: usize,
    actions: Vec<Action>,
}

impl<'r> Lines<'r> {
    fn new(patterns: &'r [Regex], link_base: &'r Url) -> Self {
        Lines {
            patterns,
            link_base,
            out: Vec::new(),
            bytes: 0,
            full: false,
            buf: String::new(),
            prefix: None,
            headings: 0,
            row: None,
            cell: String::new(),
            cell_depth: 0,
            actions: Vec::new(),
        }
    }

    fn render(&mut self, root: ElementRef, filter: &Filter) {
        walk(root, filter, |step| {
            match step {
                Step::Open(el) => self.open(el),
                Step::Close(_) => self.close(),
                Step::Text(t) => self.push(t),
            }
            !self.full
        });
        self.flush();
        self.prefix = None;
        self.actions.clear();
        self.headings = 0;
        self.cell_depth = 0;
        self.row = None;
    }

    fn finish(self) -> String {
        self.out.join("\n")
    }

    fn push(&mut self, text: &str) {
        let target = if self.cell_depth > 0 {
            &mut self.cell
        } else {
            &mut self.buf
        };
        if target.len() + text.len() <= MAX_LINE_BYTES {
            target.push_str(text);
        } else {
            let mut end = MAX_LINE_BYTES.saturating_sub(target.len()).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            target.push_str(text.get(..end).unwrap_or(""));
        }
    }

    /// A soft boundary: inside cells and headings blocks only separate words.
    fn boundary(&mut self) -> Action {
        if self.cell_depth > 0 || self.headings > 0 {
            self.push(" ");
            Action::Space
        } else {
            self.flush();
            Action::Block
        }
    }

    fn open(&mut self, el: ElementRef) {
        let name = el.value().name();
        let action = match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if self.cell_depth > 0 || self.headings > 0 {
                    self.push(" ");
                    Action::Space
                } else {
                    self.flush();
                    self.prefix = Some(match name {
                        "h1" => "# ",
                        "h2" => "## ",
                        "h3" => "### ",
                        "h4" => "#### ",
                        "h5" => "##### ",
                        _ => "###### ",
                    });
                    self.headings += 1;
                    Action::Heading
                }
            }
            "li" => {
                if self.cell_depth > 0 || self.headings > 0 {
                    self.push(" ");
                    Action::Space
                } else {
                    self.flush();
                    self.prefix = Some("- ");
                    Action::ListItem
                }
            }
            "tr" => {
                if self.cell_depth > 0 || self.row.is_some() || self.headings > 0 {
                    self.push(" ");
                    Action::Space
                } else {
                    self.flush();
                    self.row = Some(Vec::new());
                    Action::Row
                }
            }
            "td" | "th" => {
                if self.cell_depth > 0 {
                    self.cell_depth += 1;
                    self.push(" ");
                    Action::InnerCell
                } else if self.row.is_some() {
                    self.cell_depth = 1;
                    self.cell.clear();
                    Action::Cell
                } else {
                    self.boundary()
                }
            }
            "a" => Action::Link(
                attr(el.value(), "href")
                    .filter(|h| may_be_document(h))
                    .and_then(|h| crate::urlnorm::resolve(self.link_base, h))
                    .filter(crate::urlnorm::is_document)
                    .map(String::from),
            ),
            // Form labels, buttons and media sit inline with their neighbours.
            "label" | "button" | "img" | "video" | "audio" | "picture" => {
                self.push(" ");
                Action::Space
            }
            "br" | "hr" | "p" | "div" | "section" | "article" | "aside" | "main" | "header"
            | "footer" | "blockquote" | "pre" | "address" | "figure" | "figcaption" | "details"
            | "summary" | "dl" | "dt" | "dd" | "ul" | "ol" | "menu" | "dir" | "table"
            | "caption" | "thead" | "tbody" | "tfoot" | "form" | "fieldset" | "legend"
            | "center" | "hgroup" | "dialog" | "body" | "html" | "option" | "optgroup" => {
                self.boundary()
            }
            _ => Action::None,
        };
        self.actions.push(action);
    }

    fn close(&mut self) {
        match self.actions.pop() {
            Some(Action::Block) => self.flush(),
            Some(Action::Space) => self.push(" "),
            Some(Action::Heading) => {
                self.flush();
                self.headings = self.headings.saturating_sub(1);
                self.prefix = None;
            }
            Some(Action::ListItem) => {
                self.flush();
                self.prefix = None;
            }
            Some(Action::Row) => {
                if let Some(cells) = self.row.take() {
                    self.emit_row(cells);
                }
            }
            Some(Action::Cell) => {
                self.cell_depth = 0;
                let cell = std::mem::take(&mut self.cell);
                if let Some(row) = self.row.as_mut() {
                    if row.len() < 1000 {
                        row.push(cell);
                    }
                }
            }
            Some(Action::InnerCell) => {
                self.cell_depth = self.cell_depth.saturating_sub(1);
                self.push(" ");
            }
            Some(Action::Link(Some(url))) => {
                self.push(" (");
                self.push(&url);
                self.push(")");
            }
            Some(Action::Link(None)) | Some(Action::None) | None => {}
        }
    }

    /// The line's content: folded, `ignore_text` removed, folded again.
    fn clean(&self, raw: &str) -> String {
        let mut line = fold(raw);
        if line.is_empty() {
            return line;
        }
        let mut touched = false;
        for re in self.patterns {
            if let std::borrow::Cow::Owned(s) = re.replace_all(&line, "") {
                line = s;
                touched = true;
            }
        }
        if touched {
            line = fold(&line);
        }
        line
    }

    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let raw = std::mem::take(&mut self.buf);
        let content = self.clean(&raw);
        if content.is_empty() {
            return;
        }
        let line = match self.prefix.take() {
            Some(p) => format!("{p}{content}"),
            None => content,
        };
        self.emit(line);
    }

    fn emit_row(&mut self, cells: Vec<String>) {
        let cells: Vec<String> = cells.iter().map(|c| self.clean(c)).collect();
        if cells.iter().all(String::is_empty) {
            return;
        }
        self.emit(format!("| {} |", cells.join(" | ")));
    }

    fn emit(&mut self, line: String) {
        if self.full {
            return;
        }
        if self.bytes + line.len() + 1 > MAX_TEXT_BYTES {
            tracing::debug!("text cap reached");
            self.full = true;
            return;
        }
        self.bytes += line.len() + 1;
        self.out.push(line);
    }
}

/// Folds runs of whitespace (any Unicode white space, control characters) to one space,
/// drops invisible characters and trims.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        let start = out.len();
        if start > 0 {
            out.push(' ');
        }
        if word.is_ascii() {
            out.push_str(word);
        } else {
            out.extend(word.chars().filter(|c| !is_invisible(*c)));
            if out.len() == start + usize::from(start > 0) {
                out.truncate(start); // the word was all invisible characters
            }
        }
    }
    out
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

// ---------------------------------------------------------------------------------------
// Input bounds
// ---------------------------------------------------------------------------------------

/// Caps the input's size and nesting depth before parsing.
fn bound_input(html: &str) -> &str {
    let mut end = html.len().min(MAX_HTML_BYTES);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    if end < html.len() {
        tracing::warn!(
            bytes = html.len(),
            "HTML truncated to {MAX_HTML_BYTES} bytes"
        );
    }
    limit_nesting(html.get(..end).unwrap_or(""), MAX_DEPTH)
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "basefont", "bgsound", "frame",
];
/// Elements whose end tag is optional: the tree builder closes them itself, so they are not
/// counted (counting them would flag every page with unclosed `<p>`s).
const OPTIONAL_END: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",
];
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Returns the prefix of `html` before the first tag that would nest elements deeper than
/// `max_depth` or open more than [`MAX_ELEMENTS`] elements, by a light tokenizer that tracks open element names much as the tree builder
/// does (void and optional-end elements are not counted; end tags pop to their match; a
/// nested `<a>` closes the open one; `/>` closes only inside svg/math).
fn limit_nesting(html: &str, max_depth: usize) -> &str {
    let b = html.as_bytes();
    let mut stack: Vec<&[u8]> = Vec::new();
    let mut elements = 0usize;
    let mut foreign = 0usize;
    let mut i = 0usize;
    while let Some(off) = b.get(i..).and_then(|r| r.iter().position(|&c| c == b'<')) {
        let start = i + off;
        let rest = b.get(start + 1..).unwrap_or(&[]);
        if rest.starts_with(b"!--") {
            i = find(b, start + 4, b"-->").map_or(b.len(), |p| p + 3);
            continue;
        }
        match rest.first() {
            Some(b'!') | Some(b'?') => {
                i = find(b, start + 1, b">").map_or(b.len(), |p| p + 1);
            }
            Some(b'/') => {
                let name = tag_name(rest.get(1..).unwrap_or(&[]));
                i = tag_end(b, start + 2 + name.len()).0;
                if let Some(pos) = stack.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
                    foreign = foreign.saturating_sub(foreign_in(&stack, pos));
                    stack.truncate(pos);
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    tracing::warn!(
                        offset = start,
                        "HTML has more than {MAX_ELEMENTS} elements; ignoring the rest"
                    );
                    return html.get(..start).unwrap_or("");
                }
                let name = tag_name(rest);
                let (end, self_closing) = tag_end(b, start + 1 + name.len());
                i = end;
                if name.eq_ignore_ascii_case(b"plaintext") {
                    return html;
                }
                if foreign == 0 && in_list(name, RAW_TEXT) {
                    let mut close = b"</".to_vec();
                    close.extend_from_slice(name);
                    i = find_ci(b, end, &close).unwrap_or(b.len());
                    continue;
                }
                if in_list(name, VOID)
                    || in_list(name, OPTIONAL_END)
                    || (self_closing && foreign > 0)
                {
                    continue;
                }
                if name.eq_ignore_ascii_case(b"a") {
                    if let Some(pos) = stack.iter().rposition(|n| n.eq_ignore_ascii_case(b"a")) {
                        foreign = foreign.saturating_sub(foreign_in(&stack, pos));
                        stack.truncate(pos);
                    }
                }
                if is_foreign_root(name) {
                    foreign += 1;
                }
                stack.push(name);
                if stack.len() > max_depth {
                    tracing::warn!(
                        offset = start,
                        "HTML nested deeper than {max_depth} elements; ignoring the rest"
                    );
                    return html.get(..start).unwrap_or("");
                }
            }
            _ => i = start + 1,
        }
    }
    html
}

fn in_list(name: &[u8], list: &[&str]) -> bool {
    list.iter().any(|x| x.as_bytes().eq_ignore_ascii_case(name))
}

/// How many svg/math elements the stack holds from `pos` up.
fn foreign_in(stack: &[&[u8]], pos: usize) -> usize {
    stack
        .get(pos..)
        .unwrap_or(&[])
        .iter()
        .filter(|n| is_foreign_root(n))
        .count()
}

fn is_foreign_root(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"svg") || name.eq_ignore_ascii_case(b"math")
}

fn tag_name(b: &[u8]) -> &[u8] {
    let len = b
        .iter()
        .position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
        .unwrap_or(b.len());
    b.get(..len).unwrap_or(&[])
}

/// From just after a tag name, the index after the tag's `>` (attribute values in quotes
/// may hold `>`), and whether the tag ended with `/>`.
fn tag_end(b: &[u8], mut i: usize) -> (usize, bool) {
    let mut prev = 0u8;
    while let Some(&c) = b.get(i) {
        match c {
            b'>' => return (i + 1, prev == b'/'),
            b'=' => {
                i += 1;
                while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
                    i += 1;
                }
                if let Some(&q) = b.get(i).filter(|&&q| q == b'"' || q == b'\'') {
                    i = b
                        .get(i + 1..)
                        .and_then(|r| r.iter().position(|&c| c == q))
                        .map_or(b.len(), |p| i + 1 + p + 1);
                    prev = q;
                    continue;
                }
                prev = b'=';
                continue;
            }
            _ => {}
        }
        prev = c;
        i += 1;
    }
    (b.len(), false)
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn find_ci(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn ex(html: &str) -> Extracted {
        Extractor::new(None, &[], &[])
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
        let x = Extractor::new(Some(".a"), &[], &[]).unwrap();
        let e = x.extract(
            r#"<main><p>main text</p></main><div class="a">one<div class="a">inner</div></div>
               <div class="a">two</div>"#,
            &url("https://x.test/"),
        );
        assert_eq!(e.text, "one\ninner\ntwo");
        let x = Extractor::new(Some(".missing"), &[], &[]).unwrap();
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
        )
        .unwrap();
        let e = x.extract(
            r#"<main><p>Draft   text</p><p class="updated">Updated today</p>
               <p>Page last reviewed: 3 March 2026</p><li>Page last reviewed: x</li></main>"#,
            &url("https://x.test/"),
        );
        assert_eq!(e.text, "text");
        assert!(Extractor::new(Some("##"), &[], &[]).is_err());
        assert!(Extractor::new(None, &[], &["(".to_owned()]).is_err());
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
