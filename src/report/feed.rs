//! The Atom 1.0 feed (RFC 4287) of changes: `quietwatch feed` and `serve`'s `/feed.atom`.
//!
//! Why it is shaped so:
//! - **The XML is written by `atom_syndication`**, the rust-syndication project's Atom crate
//!   (on quick-xml), which models RFC 4287's elements and escapes every text node and
//!   attribute. Nothing here concatenates XML; the only markup built here is the HTML *inside*
//!   `<content type="html">`, rendered by minijinja with HTML auto-escaping (as the digest is)
//!   and then escaped again as text by the XML writer. Page text that contains `]]>`,
//!   `<script>` or quotes therefore arrives as text at both levels.
//! - **Every string is legal XML 1.0.** Page text passes through [`crate::report::webhook::view`],
//!   which turns every control character (tab, CR and LF included), the noncharacters
//!   (U+FFFE, U+FFFF…), bidi overrides and separators into spaces and caps each piece; a last pass over the written document drops any character XML 1.0 forbids, so a
//!   strict parser never rejects the feed, whatever a site served.
//! - **Entry ids are `urn:quietwatch:change:ID`** (SPEC's own example), built from the change's
//!   database id alone. They never change when `archive_url`, the listen address, a site's
//!   name or its URLs change, and two generations of the feed give the same id to the same
//!   change. A tag URI (RFC 4151) was the alternative, but it needs an authority the operator
//!   owns and dates (`tag:example.org,2026:…`) which quietwatch does not have without new
//!   configuration — and an operator editing that setting would re-issue every id. The one
//!   limit: two separate quietwatch archives number their changes independently, so their
//!   feeds' ids are unique per feed, which is how feed readers key entries.
//! - **Links**: with `archive_url`, `rel="alternate"` is the change's own view in
//!   `quietwatch serve` (its diff, else the page's timeline) — the best representation of the
//!   entry, which stays readable after the page itself is gone — and the live page is
//!   `rel="related"`. Without it the page is the alternate. Only http(s) URLs become links.
//! - **Deterministic.** `updated` is the detection time; the feed's `updated` is its newest
//!   entry's (or [`FeedOptions::updated`], or the Unix epoch for an empty feed), so the same
//!   changes always give the same bytes (and serve can answer conditional requests).
//! - **Metadata**: the site is the entry's `author` (name from the config, uri = the page's
//!   origin); `category` carries the kind and the significance under `urn:quietwatch:kind`
//!   and `urn:quietwatch:significance` schemes, and the site under `urn:quietwatch:site`.

use crate::model::{Change, Significance};
use crate::report::webhook::view::{ChangeView, LineTag};
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

/// Entries written at most (the caller normally passes the latest 100).
pub const MAX_ENTRIES: usize = 1000;

/// The feed-level settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOptions {
    /// The feed's `id`: [`FeedOptions::all_sites`] and [`FeedOptions::site`] make stable ones.
    pub id: String,
    pub title: String,
    /// The feed's own URL (`rel="self"`), when served.
    pub self_link: Option<String>,
    /// `[digest] archive_url`: entries link to their view in `quietwatch serve`.
    pub archive_url: Option<String>,
    /// The feed's `updated` (RFC 3339) when it has no entries; default the Unix epoch.
    pub updated: Option<String>,
}

impl FeedOptions {
    /// The feed of every site: id `urn:quietwatch:feed`.
    pub fn all_sites(archive_url: Option<&str>) -> FeedOptions {
        FeedOptions {
            id: "urn:quietwatch:feed".to_string(),
            title: "quietwatch: changes".to_string(),
            self_link: None,
            archive_url: archive_url.map(str::to_string),
            updated: None,
        }
    }

    /// One site's feed: id `urn:quietwatch:feed:site:NAME` (NAME percent-encoded).
    pub fn site(name: &str, archive_url: Option<&str>) -> FeedOptions {
        let enc: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
        FeedOptions {
            id: format!("urn:quietwatch:feed:site:{enc}"),
            title: format!(
                "quietwatch: changes on {}",
                crate::markup::one_line(name, 100)
            ),
            self_link: None,
            archive_url: archive_url.map(str::to_string),
            updated: None,
        }
    }
}

/// Entries in `quietwatch feed` and `serve`'s `/feed.atom`: the latest changes.
pub const FEED_ENTRIES: u64 = 100;

/// The feed of the archive's latest [`FEED_ENTRIES`] changes, of every site or of one (an
/// unknown site gives an empty feed, as a site with no changes does).
pub fn latest(
    store: &crate::store::Store,
    site: Option<&str>,
    archive_url: Option<&str>,
    self_link: Option<String>,
) -> Result<String, crate::store::StoreError> {
    let changes = store.changes(&crate::store::ChangeFilter {
        site: site.map(str::to_string),
        newest_first: true,
        limit: Some(FEED_ENTRIES),
        ..Default::default()
    })?;
    let mut opts = match site {
        Some(name) => FeedOptions::site(name, archive_url),
        None => FeedOptions::all_sites(archive_url),
    };
    opts.self_link = self_link;
    Ok(feed(&changes, &opts))
}

/// The stable id of a change's entry.
pub fn entry_id(change_id: i64) -> String {
    format!("urn:quietwatch:change:{change_id}")
}

/// The Atom document for `changes` (any order; written newest first, at most
/// [`MAX_ENTRIES`]).
pub fn feed(changes: &[Change], opts: &FeedOptions) -> String {
    match write(changes, opts) {
        Ok(s) => s,
        Err(e) => {
            // Writing into memory does not fail in practice; if it ever does, say so and
            // serve a valid feed without entries rather than half a document.
            tracing::error!("writing the Atom feed: {e}");
            write(&[], opts).unwrap_or_else(|_| {
                "<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>quietwatch</title><id>urn:quietwatch:feed</id><updated>1970-01-01T00:00:00+00:00</updated></feed>".to_string()
            })
        }
    }
}

/// Errors while writing a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("Atom writer: {0}")]
    Atom(#[from] atom_syndication::Error),
    #[error("feed entry template: {0}")]
    Template(#[from] minijinja::Error),
    #[error("Atom writer produced invalid UTF-8")]
    Utf8(#[from] std::string::FromUtf8Error),
}

fn write(changes: &[Change], opts: &FeedOptions) -> Result<String, FeedError> {
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by(|a, b| {
        time(&b.detected_at)
            .cmp(&time(&a.detected_at))
            .then(b.id.cmp(&a.id))
    });
    sorted.truncate(MAX_ENTRIES);

    let env = environment()?;
    let template = env.get_template("entry.html")?;
    let archive = opts
        .archive_url
        .as_deref()
        .and_then(crate::markup::http_url);
    let mut entries = Vec::with_capacity(sorted.len());
    for c in &sorted {
        let v = ChangeView::new(c, archive.as_deref());
        let html = template.render(context! { c => EntryView::new(&v) })?;
        entries.push(entry(c, &v, html));
    }

    let epoch = FixedDateTime::default();
    let updated = sorted
        .first()
        .and_then(|c| time(&c.detected_at))
        .or_else(|| opts.updated.as_deref().and_then(time))
        .unwrap_or(epoch);
    let mut links = Vec::new();
    if let Some(s) = opts.self_link.as_deref().and_then(crate::markup::http_url) {
        links.push(link(s, "self", "application/atom+xml", None));
    }
    if let Some(a) = &archive {
        links.push(link(
            format!("{}/changes", a.trim_end_matches('/')),
            "alternate",
            "text/html",
            None,
        ));
    }
    let feed = Feed {
        title: Text::plain(crate::markup::one_line(&opts.title, 300)),
        id: xml_safe(&opts.id),
        updated,
        authors: vec![Person {
            name: "quietwatch".to_string(),
            ..Default::default()
        }],
        generator: Some(Generator {
            value: "quietwatch".to_string(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
        links,
        entries,
        ..Default::default()
    };
    let bytes = feed.write_with_config(
        Vec::new(),
        WriteConfig {
            write_document_declaration: true,
            indent_size: Some(1),
        },
    )?;
    Ok(xml_safe(&String::from_utf8(bytes)?))
}

fn entry(c: &Change, v: &ChangeView, html: String) -> Entry {
    let updated = time(&c.detected_at).unwrap_or_default();
    let mut links = Vec::new();
    match (&v.archive_href, &v.href) {
        (Some(a), page) => {
            links.push(link(
                a.clone(),
                "alternate",
                "text/html",
                Some("In the archive"),
            ));
            if let Some(p) = page {
                links.push(link(p.clone(), "related", "text/html", Some("The page")));
            }
        }
        (None, Some(p)) => links.push(link(p.clone(), "alternate", "text/html", Some("The page"))),
        (None, None) => {}
    }
    if let Some(r) = &v.redirect_href {
        links.push(link(
            r.clone(),
            "related",
            "text/html",
            Some("Where it redirects"),
        ));
    }
    let origin = v.href.as_deref().and_then(|h| {
        let u = url::Url::parse(h).ok()?;
        crate::markup::http_url(&u.origin().ascii_serialization())
    });
    let site = if v.site.is_empty() {
        "unnamed site".to_string()
    } else {
        v.site.clone()
    };
    Entry {
        title: Text::plain(v.heading.clone()),
        id: entry_id(c.id),
        updated,
        authors: vec![Person {
            name: site.clone(),
            uri: origin,
            ..Default::default()
        }],
        categories: vec![
            Category {
                term: c.kind.as_str().to_string(),
                scheme: Some("urn:quietwatch:kind".to_string()),
                label: Some(c.kind.label().to_string()),
            },
            Category {
                term: c.significance.as_str().to_string(),
                scheme: Some("urn:quietwatch:significance".to_string()),
                label: Some(c.significance.as_str().to_string()),
            },
            Category {
                term: site,
                scheme: Some("urn:quietwatch:site".to_string()),
                label: None,
            },
        ],
        links,
        summary: (!v.summary.is_empty()).then(|| Text::plain(v.summary.clone())),
        content: Some(Content {
            content_type: Some("html".to_string()),
            value: Some(html),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn link(href: String, rel: &str, mime: &str, title: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        title: title.map(str::to_string),
        ..Default::default()
    }
}

fn time(s: &str) -> Option<FixedDateTime> {
    chrono::DateTime::parse_from_rfc3339(s.trim()).ok()
}

/// `s` without the characters XML 1.0 does not allow (C0 controls other than tab, LF and CR;
/// U+FFFE, U+FFFF). Surrogates cannot occur in a Rust string.
fn xml_safe(s: &str) -> String {
    if s.chars().all(xml_char) {
        return s.to_string();
    }
    s.chars().filter(|&c| xml_char(c)).collect()
}

fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

// ------------------------------------------------------------------ entry HTML

const ENTRY_TEMPLATE: &str = r#"<p><strong>{{ c.kind_label }}</strong> · {{ c.significance }} · {{ c.site }}</p>
{%- if c.summary %}
<p>{{ c.summary }}</p>
{%- endif %}
{%- if c.redirect_to %}
<p>Redirects to {% if c.redirect_href %}<a href="{{ c.redirect_href }}">{{ c.redirect_to }}</a>{% else %}{{ c.redirect_to }}{% endif %}</p>
{%- endif %}
{%- if c.facts %}
<table>
<thead><tr><th>What</th><th>Before</th><th>After</th></tr></thead>
<tbody>
{%- for f in c.facts %}
<tr><td>{{ f.label }}</td><td>{{ f.before or "—" }}</td><td>{{ f.after or "—" }}</td></tr>
{%- endfor %}
{%- if c.facts_more %}
<tr><td colspan="3">and {{ c.facts_more }} more</td></tr>
{%- endif %}
</tbody>
</table>
{%- endif %}
{%- if c.excerpt %}
<div>
{%- for line in c.excerpt %}
<div>{{ line.marker }}{% for s in line.segments %}{% if s.mark == "del" %}<del>{{ s.text }}</del>{% elif s.mark == "ins" %}<ins>{{ s.text }}</ins>{% else %}{{ s.text }}{% endif %}{% endfor %}</div>
{%- endfor %}
{%- if c.excerpt_more %}
<div>…and {{ c.excerpt_more }} more lines</div>
{%- endif %}
</div>
{%- endif %}
<p>{% if c.href %}<a href="{{ c.href }}">Open the page</a>{% else %}{{ c.url }}{% endif %}{% if c.archive_href %} · <a href="{{ c.archive_href }}">View the change in the archive</a>{% endif %}</p>"#;

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(crate::markup::html_formatter);
    env.add_template("entry.html", ENTRY_TEMPLATE)?;
    Ok(env)
}

#[derive(Serialize)]
struct EntryView<'a> {
    kind_label: &'a str,
    significance: &'static str,
    major: bool,
    site: &'a str,
    summary: &'a str,
    redirect_to: Option<&'a str>,
    redirect_href: Option<&'a str>,
    facts: Vec<FactCells<'a>>,
    facts_more: usize,
    excerpt: Vec<LineCells<'a>>,
    excerpt_more: usize,
    url: &'a str,
    href: Option<&'a str>,
    archive_href: Option<&'a str>,
}

#[derive(Serialize)]
struct FactCells<'a> {
    label: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
}

#[derive(Serialize)]
struct LineCells<'a> {
    marker: &'static str,
    segments: Vec<SegmentCell<'a>>,
}

#[derive(Serialize)]
struct SegmentCell<'a> {
    text: &'a str,
    /// `"del"`, `"ins"` or `""`.
    mark: &'static str,
}

impl<'a> EntryView<'a> {
    fn new(v: &'a ChangeView) -> EntryView<'a> {
        EntryView {
            kind_label: &v.kind_label,
            significance: v.significance.as_str(),
            major: v.significance == Significance::Major,
            site: &v.site,
            summary: &v.summary,
            redirect_to: v.redirect_to.as_deref(),
            redirect_href: v.redirect_href.as_deref(),
            facts: v
                .facts
                .iter()
                .map(|f| FactCells {
                    label: &f.label,
                    before: f.before.as_deref(),
                    after: f.after.as_deref(),
                })
                .collect(),
            facts_more: v.facts_more,
            excerpt: v
                .excerpt
                .iter()
                .map(|line| LineCells {
                    marker: match line.tag {
                        LineTag::Removed => "− ",
                        LineTag::Added => "+ ",
                        LineTag::Context => "",
                    },
                    segments: line
                        .segments
                        .iter()
                        .map(|s| SegmentCell {
                            text: &s.text,
                            mark: match (line.marks(s), line.tag) {
                                (true, LineTag::Removed) => "del",
                                (true, _) => "ins",
                                _ => "",
                            },
                        })
                        .collect(),
                })
                .collect(),
            excerpt_more: v.excerpt_more,
            url: &v.url,
            href: v.href.as_deref(),
            archive_href: v.archive_href.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_safe_drops_only_what_xml_forbids() {
        assert_eq!(xml_safe("a\u{0}b\u{b}c\u{fffe}d\u{ffff}e\t\n"), "abcde\t\n");
        assert_eq!(xml_safe("£ — ✓ 😀"), "£ — ✓ 😀");
    }

    #[test]
    fn site_feed_ids_are_stable_and_encoded() {
        assert_eq!(
            FeedOptions::site("GCA agreements", None).id,
            "urn:quietwatch:feed:site:GCA+agreements"
        );
        assert_eq!(entry_id(42), "urn:quietwatch:change:42");
    }
}
