//! Sitemaps: the pages a site says it has, including ones nothing links to any more.
//!
//! Why: a deleted page usually loses its inbound links at the same moment, and a page can
//! stay live but unlinked for months; the sitemap is the other witness (SPEC.md: "Linked"
//! means an `<a href>` or a sitemap entry). Sitemaps are also hostile input — gzip bombs,
//! HTML error pages served as `sitemap.xml`, half-written files — so every size is capped.
//!
//! Key choices:
//! - One entry point, [`parse`], sniffs the format: gzip by its magic bytes (`1f 8b`, capped
//!   at 50 MB decompressed, the protocol's own limit), a byte-order mark is honoured, then
//!   XML (`<urlset>`, `<sitemapindex>`, RSS `<item><link>`, Atom `<entry><link href>`) or
//!   plain text (one URL a line).
//! - XML is read with quick-xml as events, ignoring namespaces and prefixes (`<sit:loc>`,
//!   a wrong namespace URI) but not structure: only a `<loc>` that is a *direct* child of
//!   `<url>`/`<sitemap>` counts, so `<image:loc>` and video locations are not pages. An entry
//!   with no `<loc>` falls back to its own text (some index files write the URL bare).
//! - Entries must be absolute http(s) URLs; relative or garbage ones are skipped. Page URLs
//!   are canonicalised and deduplicated ("one page, one URL"); child sitemap URLs are kept
//!   as written, because they must be fetched exactly.
//! - At most 50,000 URLs per file (the protocol's limit). When that cap is hit, or the XML
//!   breaks off after some entries, the entries read so far are returned with
//!   [`Sitemap::truncated`] set: absence from such a list proves nothing, and the crawler
//!   must not call a page `unlinked` on its evidence. A body that is not a sitemap at all
//!   (an HTML error page, an empty body) is an error, never an empty list.

use crate::urlnorm::{canonicalize, MAX_HREF_LEN};
use quick_xml::events::{BytesStart, Event};
use std::collections::HashSet;
use std::io::Read;
use url::Url;

/// Decompressed (or plain) sitemaps larger than this are refused (the protocol's limit).
pub const MAX_SITEMAP_BYTES: u64 = 50 * 1024 * 1024;

/// At most this many page URLs, and this many child sitemaps, are read from one file.
pub const MAX_URLS: usize = 50_000;

/// What one sitemap file lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// Page URLs (from `<urlset>`, a text sitemap or a feed), canonical, deduplicated.
    pub urls: Vec<Url>,
    /// Child sitemaps (from `<sitemapindex>`), as written, deduplicated.
    pub sitemaps: Vec<Url>,
    /// The list is incomplete (URL cap hit, or the XML broke off): absence from it proves
    /// nothing.
    pub truncated: bool,
}

/// Why a body could not be read as a sitemap at all.
#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    #[error("sitemap {url}: gzip data cannot be decompressed: {error}")]
    Gzip { url: String, error: std::io::Error },
    #[error("sitemap {url}: larger than {limit} bytes (decompressed); refusing it")]
    TooLarge { url: String, limit: u64 },
    #[error("sitemap {url}: not a sitemap: {reason}")]
    NotASitemap { url: String, reason: String },
    #[error("sitemap {url}: malformed XML at byte {position}: {message}")]
    Xml {
        url: String,
        position: u64,
        message: String,
    },
}

/// Reads a sitemap body fetched from `source` (used in messages only): gzip or not, XML or
/// text. See the module documentation for what counts.
pub fn parse(body: &[u8], source: &Url) -> Result<Sitemap, SitemapError> {
    let decompressed;
    let bytes: &[u8] = if body.starts_with(&[0x1f, 0x8b]) {
        decompressed = gunzip(body, source)?;
        &decompressed
    } else {
        if body.len() as u64 > MAX_SITEMAP_BYTES {
            return Err(SitemapError::TooLarge {
                url: source.to_string(),
                limit: MAX_SITEMAP_BYTES,
            });
        }
        body
    };
    // Honours (and removes) a UTF-8 or UTF-16 byte-order mark; otherwise UTF-8, lossily:
    // URLs are ASCII, and a stray byte elsewhere must not lose the whole file.
    let (text, _, _) = encoding_rs::UTF_8.decode(bytes);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(SitemapError::NotASitemap {
            url: source.to_string(),
            reason: "empty body".into(),
        });
    }
    let mut out = Collector::default();
    if trimmed.starts_with('<') {
        parse_xml(trimmed, source, &mut out)?;
    } else {
        parse_text(trimmed, source, &mut out)?;
    }
    if out.sitemap.truncated {
        tracing::warn!(sitemap = %source, urls = out.sitemap.urls.len(), "sitemap read only in part");
    }
    Ok(out.sitemap)
}

fn gunzip(body: &[u8], source: &Url) -> Result<Vec<u8>, SitemapError> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(MAX_SITEMAP_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|error| SitemapError::Gzip {
            url: source.to_string(),
            error,
        })?;
    if out.len() as u64 > MAX_SITEMAP_BYTES {
        return Err(SitemapError::TooLarge {
            url: source.to_string(),
            limit: MAX_SITEMAP_BYTES,
        });
    }
    Ok(out)
}

/// Accumulates entries with deduplication and the caps.
#[derive(Default)]
struct Collector {
    sitemap: Sitemap,
    seen_urls: HashSet<String>,
    seen_sitemaps: HashSet<String>,
}

impl Collector {
    fn absolute(text: &str) -> Option<Url> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_HREF_LEN {
            return None;
        }
        Url::parse(text).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
    }

    /// Adds a page URL; `false` once the cap is reached (the caller stops reading).
    fn page(&mut self, text: &str) -> bool {
        if self.sitemap.urls.len() >= MAX_URLS {
            self.sitemap.truncated = true;
            return false;
        }
        match Self::absolute(text) {
            Some(url) => {
                let url = canonicalize(&url);
                if self.seen_urls.insert(url.as_str().to_string()) {
                    self.sitemap.urls.push(url);
                }
            }
            None => {
                tracing::debug!(entry = %text.trim(), "sitemap: skipping an entry that is not an absolute http(s) URL")
            }
        }
        true
    }

    /// Adds a child sitemap URL; `false` once the cap is reached.
    fn child(&mut self, text: &str) -> bool {
        if self.sitemap.sitemaps.len() >= MAX_URLS {
            self.sitemap.truncated = true;
            return false;
        }
        match Self::absolute(text) {
            Some(mut url) => {
                url.set_fragment(None);
                if self.seen_sitemaps.insert(url.as_str().to_string()) {
                    self.sitemap.sitemaps.push(url);
                }
            }
            None => {
                tracing::debug!(entry = %text.trim(), "sitemap: skipping a child sitemap that is not an absolute http(s) URL")
            }
        }
        true
    }
}

fn parse_text(text: &str, source: &Url, out: &mut Collector) -> Result<(), SitemapError> {
    let mut lines = 0usize;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        lines += 1;
        if !out.page(line) {
            break;
        }
    }
    if out.sitemap.urls.is_empty() {
        return Err(SitemapError::NotASitemap {
            url: source.to_string(),
            reason: format!("text with {lines} non-empty lines and no absolute http(s) URL"),
        });
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `<urlset>` or `<sitemapindex>`.
    Sitemap,
    Rss,
    Atom,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    Page,
    Child,
}

/// The `<url>`, `<sitemap>`, `<item>` or `<entry>` being read.
struct Entry {
    kind: EntryKind,
    depth: usize,
    /// Text of the first direct `<loc>` (or RSS `<link>`) child.
    loc: Option<String>,
    in_loc: bool,
    /// The entry's own text, outside child elements (the fallback when there is no loc).
    direct: String,
    /// Atom `<link href>`s (alternate or rel-less).
    hrefs: Vec<String>,
}

impl Entry {
    fn push_text(&mut self, depth: usize, s: &str) {
        let buf = if self.in_loc {
            self.loc.get_or_insert_with(String::new)
        } else if depth == self.depth {
            &mut self.direct
        } else {
            return;
        };
        // Anything longer is not a URL; stop growing (the entry is then skipped).
        if buf.len() <= MAX_HREF_LEN {
            buf.push_str(s);
        }
    }
}

fn local_name_is(name: &[u8], wanted: &str) -> bool {
    name.eq_ignore_ascii_case(wanted.as_bytes())
}

/// The `href` of an Atom `<link>` that points at the entry itself (rel absent or
/// "alternate").
fn atom_href(e: &BytesStart<'_>) -> Option<String> {
    let mut href = None;
    let mut alternate = true;
    for attr in e.attributes().flatten() {
        let key = attr.key.local_name();
        let value = attr.unescape_value().ok()?;
        if local_name_is(key.as_ref(), "href") {
            href = Some(value.into_owned());
        } else if local_name_is(key.as_ref(), "rel") {
            alternate = value.trim().eq_ignore_ascii_case("alternate");
        }
    }
    href.filter(|_| alternate)
}

/// Where the XML reader is: the format the root element named, the element depth, and the
/// entry being read.
#[derive(Default)]
struct XmlState {
    format: Option<Format>,
    depth: usize,
    entry: Option<Entry>,
    entries_seen: usize,
}

/// The format a root element names, or why the document is not a sitemap.
fn root_format(name: &[u8], source: &Url) -> Result<Format, SitemapError> {
    if local_name_is(name, "urlset") || local_name_is(name, "sitemapindex") {
        Ok(Format::Sitemap)
    } else if local_name_is(name, "rss") || local_name_is(name, "rdf") {
        Ok(Format::Rss)
    } else if local_name_is(name, "feed") {
        Ok(Format::Atom)
    } else {
        Err(SitemapError::NotASitemap {
            url: source.to_string(),
            reason: format!(
                "XML whose root element is <{}>",
                String::from_utf8_lossy(name)
            ),
        })
    }
}

impl XmlState {
    /// An opening (or empty) element.
    fn start(
        &mut self,
        e: &BytesStart<'_>,
        is_empty: bool,
        source: &Url,
    ) -> Result<(), SitemapError> {
        let name = e.local_name();
        let name = name.as_ref();
        let this_depth = self.depth + 1;
        if !is_empty {
            self.depth = this_depth;
        }
        let Some(fmt) = self.format else {
            self.format = Some(root_format(name, source)?);
            return Ok(());
        };
        match &mut self.entry {
            None => {
                let kind = match fmt {
                    Format::Sitemap if local_name_is(name, "url") => Some(EntryKind::Page),
                    Format::Sitemap if local_name_is(name, "sitemap") => Some(EntryKind::Child),
                    Format::Rss if local_name_is(name, "item") => Some(EntryKind::Page),
                    Format::Atom if local_name_is(name, "entry") => Some(EntryKind::Page),
                    _ => None,
                };
                if let (Some(kind), false) = (kind, is_empty) {
                    self.entry = Some(Entry {
                        kind,
                        depth: this_depth,
                        loc: None,
                        in_loc: false,
                        direct: String::new(),
                        hrefs: Vec::new(),
                    });
                }
            }
            Some(en) if this_depth == en.depth + 1 => {
                let loc_name = if fmt == Format::Rss { "link" } else { "loc" };
                if fmt == Format::Atom {
                    if local_name_is(name, "link") {
                        if let Some(href) = atom_href(e) {
                            en.hrefs.push(href);
                        }
                    }
                } else if local_name_is(name, loc_name) && en.loc.is_none() && !is_empty {
                    en.in_loc = true;
                }
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn text(&mut self, s: &str) {
        if let Some(en) = &mut self.entry {
            en.push_text(self.depth, s);
        }
    }

    /// A closing element; `false` when a cap was reached and reading should stop.
    fn end(&mut self, out: &mut Collector) -> bool {
        let mut go_on = true;
        if let Some(en) = &mut self.entry {
            if en.in_loc && self.depth == en.depth + 1 {
                en.in_loc = false;
                // An empty <loc/> pair leaves room for the direct-text fallback.
                if en.loc.as_deref().is_some_and(|l| l.trim().is_empty()) {
                    en.loc = None;
                }
            } else if self.depth == en.depth {
                if let Some(done) = self.entry.take() {
                    self.entries_seen += 1;
                    go_on = finish_entry(done, out);
                }
            }
        }
        self.depth = self.depth.saturating_sub(1);
        go_on
    }
}

fn parse_xml(text: &str, source: &Url, out: &mut Collector) -> Result<(), SitemapError> {
    let mut reader = quick_xml::Reader::from_str(text);
    {
        let config = reader.config_mut();
        // Real sitemaps are sloppy; structure is tracked by depth instead.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
    }
    let mut st = XmlState::default();
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let position = reader.error_position();
                if st.entries_seen == 0 {
                    return Err(SitemapError::Xml {
                        url: source.to_string(),
                        position,
                        message: e.to_string(),
                    });
                }
                tracing::warn!(sitemap = %source, position, error = %e, "sitemap XML breaks off; keeping the entries before it");
                out.sitemap.truncated = true;
                break;
            }
        };
        match event {
            Event::Start(ref e) => st.start(e, false, source)?,
            Event::Empty(ref e) => st.start(e, true, source)?,
            Event::Text(ref t) => {
                if let Ok(s) = t.xml10_content() {
                    st.text(&s);
                }
            }
            Event::CData(ref c) => {
                if let Ok(s) = c.xml10_content() {
                    st.text(&s);
                }
            }
            Event::GeneralRef(ref r) => {
                if let Some(s) = crate::markup::xml_reference_text(r) {
                    st.text(&s);
                }
            }
            Event::End(_) if !st.end(out) => break,
            Event::Eof => {
                // Elements still open at the end: the body was cut off (a size cap, a
                // dropped connection), so later entries may be missing.
                if st.depth > 0 {
                    tracing::warn!(sitemap = %source, "sitemap XML ends inside an element; keeping the entries before it");
                    out.sitemap.truncated = true;
                }
                break;
            }
            _ => {}
        }
    }
    if st.format.is_none() {
        return Err(SitemapError::NotASitemap {
            url: source.to_string(),
            reason: "XML without a root element".into(),
        });
    }
    Ok(())
}

/// Records a finished entry; `false` when a cap was reached.
fn finish_entry(entry: Entry, out: &mut Collector) -> bool {
    let mut texts: Vec<String> = Vec::new();
    if !entry.hrefs.is_empty() {
        texts = entry.hrefs;
    } else if let Some(loc) = entry.loc {
        texts.push(loc);
    } else if !entry.direct.trim().is_empty() {
        texts.push(entry.direct);
    }
    for text in texts {
        let more = match entry.kind {
            EntryKind::Page => out.page(&text),
            EntryKind::Child => out.child(&text),
        };
        if !more {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn src() -> Url {
        Url::parse("https://www.gca.gov.uk/sitemap.xml").unwrap()
    }

    fn strings(urls: &[Url]) -> Vec<String> {
        urls.iter().map(Url::to_string).collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn urlset_with_entities_namespaces_and_extensions() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://www.gca.gov.uk/agreements/RM6281?a=1&amp;b=2</loc>
    <image:image><image:loc>https://www.gca.gov.uk/img.png</image:loc></image:image></url>
  <url><loc> https://www.gca.gov.uk/agreements/RM1557.14#x </loc></url>
  <url><loc>https://www.gca.gov.uk/agreements/RM6281?a=1&#38;b=2</loc></url>
  <url><loc>/relative/page</loc></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><loc><![CDATA[https://www.gca.gov.uk/agreements/upcoming?utm_source=x]]></loc></url>
</urlset>"#;
        let s = parse(xml, &src()).unwrap();
        assert_eq!(
            strings(&s.urls),
            [
                "https://www.gca.gov.uk/agreements/RM6281?a=1&b=2",
                "https://www.gca.gov.uk/agreements/RM1557.14",
                "https://www.gca.gov.uk/agreements/upcoming",
            ]
        );
        assert!(s.sitemaps.is_empty());
        assert!(!s.truncated);
    }

    #[test]
    fn sitemap_index() {
        let xml = b"<sitemapindex><sitemap><loc>https://www.england.nhs.uk/sitemap-posttype-post.2024.xml</loc><lastmod>2024-01-01</lastmod></sitemap>\
<sitemap><loc>https://www.england.nhs.uk/sitemap-posttype-page.xml</loc></sitemap></sitemapindex>";
        let s = parse(xml, &src()).unwrap();
        assert_eq!(
            strings(&s.sitemaps),
            [
                "https://www.england.nhs.uk/sitemap-posttype-post.2024.xml",
                "https://www.england.nhs.uk/sitemap-posttype-page.xml"
            ]
        );
        assert!(s.urls.is_empty());
    }

    #[test]
    fn feeds() {
        let rss = b"<rss version=\"2.0\"><channel><link>https://e.org/</link><item><title>a</title><link>https://e.org/a</link></item><item><link>https://e.org/b</link></item></channel></rss>";
        assert_eq!(
            strings(&parse(rss, &src()).unwrap().urls),
            ["https://e.org/a", "https://e.org/b"]
        );
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><link href="https://e.org/"/><entry><link href="https://e.org/x"/><link rel="edit" href="https://e.org/x/edit"/></entry></feed>"#;
        assert_eq!(
            strings(&parse(atom, &src()).unwrap().urls),
            ["https://e.org/x"]
        );
    }

    #[test]
    fn not_sitemaps_are_errors() {
        for body in [
            b"<!DOCTYPE html><html><body>Page not found</body></html>".as_slice(),
            b"",
            b"   \n ",
            b"Page not found\n",
            b"<?xml version=\"1.0\"?>",
        ] {
            assert!(
                parse(body, &src()).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(
            parse(b"\x1f\x8b\x08garbage", &src()),
            Err(SitemapError::Gzip { .. })
        ));
        // An empty urlset is a real (empty) sitemap.
        assert_eq!(parse(b"<urlset/>", &src()).unwrap(), Sitemap::default());
    }

    #[test]
    fn broken_xml_after_entries_is_truncated_not_lost() {
        let xml = b"<urlset><url><loc>https://e.org/a</loc></url><url><loc>https://e.org/b</loc></url><url><loc>https://e.org/c</lo";
        let s = parse(xml, &src()).unwrap();
        assert_eq!(strings(&s.urls), ["https://e.org/a", "https://e.org/b"]);
        assert!(s.truncated);
        // Cut between elements: well-formed so far, but the root never closes.
        let s = parse(b"<urlset><url><loc>https://e.org/a</loc></url>\n", &src()).unwrap();
        assert_eq!(strings(&s.urls), ["https://e.org/a"]);
        assert!(s.truncated);
        let s = parse(
            b"<urlset><url><loc>https://e.org/a</loc></url></urlset>\n",
            &src(),
        )
        .unwrap();
        assert!(!s.truncated);
        let xml = b"<urlset><url><loc>https://e.org/a</loc></url><url><loc>https://e.org/b</loc></url><url><loc>https://e.org/c</loc></url><!-- broken <";
        let s = parse(xml, &src()).unwrap();
        assert_eq!(s.urls.len(), 3);
        assert!(s.truncated);
    }

    #[test]
    fn caps() {
        let mut text = String::new();
        for i in 0..(MAX_URLS + 10) {
            text.push_str(&format!("https://e.org/p{i}\n"));
        }
        let s = parse(text.as_bytes(), &src()).unwrap();
        assert_eq!(s.urls.len(), MAX_URLS);
        assert!(s.truncated);
        // A gzip bomb: 60 MB of zeros compresses to ~60 KB.
        let bomb = gzip(&vec![b' '; 60 * 1024 * 1024]);
        assert!(matches!(
            parse(&bomb, &src()),
            Err(SitemapError::TooLarge { .. })
        ));
        // A loc longer than any URL is skipped.
        let long = format!("<urlset><url><loc>https://e.org/{}</loc></url><url><loc>https://e.org/ok</loc></url></urlset>", "a".repeat(MAX_HREF_LEN * 2));
        assert_eq!(
            strings(&parse(long.as_bytes(), &src()).unwrap().urls),
            ["https://e.org/ok"]
        );
    }

    #[test]
    fn gzip_and_bom() {
        let s = parse(
            &gzip(b"\xEF\xBB\xBFhttps://e.org/a\r\nhttps://e.org/b\n"),
            &src(),
        )
        .unwrap();
        assert_eq!(strings(&s.urls), ["https://e.org/a", "https://e.org/b"]);
    }
}
