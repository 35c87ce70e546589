//! The crawl's door to analysis: one site's way of reading a fetched body.
//!
//! The crawl hands every 2xx body to a [`crate::crawl::PageReader`]; this is the one the run
//! pipeline gives it. An HTML page is decoded as a browser would ([`super::charset`]) and
//! extracted ([`super::extract`]); anything else is kept under its file name, with its text
//! when it is text.

use super::extract::{ExtractError, Extracted, Extractor};
use crate::config::SiteConfig;
use crate::crawl::{PageReader, ReadPage};
use crate::store::Content;
use url::Url;

/// Reads bodies with one site's extraction settings.
pub struct Reader {
    extractor: Extractor,
}

impl Reader {
    /// Compiles a site's `content`, `facts`, `ignore` and `ignore_text` settings.
    pub fn for_site(site: &SiteConfig) -> Result<Reader, ExtractError> {
        Ok(Reader {
            extractor: Extractor::new(
                site.content.as_deref(),
                &site.ignore,
                &site.ignore_text,
                site.facts.as_deref(),
            )?,
        })
    }
}

impl PageReader for Reader {
    fn read(&self, body: &[u8], content_type: Option<&str>, url: &Url) -> ReadPage {
        if is_html(content_type, body) {
            let (html, _) = super::charset::decode_html(body, content_type);
            return page_of(self.extractor.extract(&html, url));
        }
        let title = url
            .path_segments()
            .and_then(|mut s| s.next_back().map(str::to_string))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| url.to_string());
        let text = match content_type {
            Some(ct) if ct.starts_with("text/") => super::charset::decode_html(body, Some(ct)).0,
            _ => String::new(),
        };
        ReadPage {
            content: Content {
                title,
                text,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

fn page_of(ex: Extracted) -> ReadPage {
    ReadPage {
        content: Content {
            title: ex.title,
            text: ex.text,
            links: ex.links.iter().map(|u| u.to_string()).collect(),
            documents: ex.documents.iter().map(|u| u.to_string()).collect(),
            facts: ex.facts,
        },
        links: ex.links,
        canonical: ex.canonical,
    }
}

fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    match content_type {
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html") || ct.contains("xml") && !ct.contains("application/xml")
        }
        None => body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'<'),
    }
}
