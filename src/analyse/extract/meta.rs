//! A page's metadata, read in one pass over the whole document: title, first `h1`,
//! `<base href>`, `rel=canonical`, `robots` meta, and every `<a href>` (navigation included:
//! the crawler needs them to find pages and to tell when a page stopped being linked).

use super::*;

#[derive(Default)]
pub(super) struct Meta {
    pub(super) title: Option<String>,
    pub(super) h1: Option<String>,
    pub(super) base_href: Option<String>,
    pub(super) canonical: Option<String>,
    pub(super) noindex: bool,
    pub(super) hrefs: Vec<String>,
}

pub(super) fn read_meta(doc: &Html) -> Meta {
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
pub(super) fn plain_text(el: ElementRef, max_chars: usize) -> String {
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

/// A cheap superset test of [`is_document`] on a raw `href`, to skip resolving links that
/// cannot be documents.
pub(super) fn may_be_document(href: &str) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    path.rsplit('.').next().is_some_and(|tail| {
        let tail = tail.as_bytes();
        crate::urlnorm::DOCUMENT_EXTENSIONS.iter().any(|e| {
            tail.get(..e.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(e.as_bytes()))
        })
    })
}
