//! The crawl's door to analysis: one site's way of reading a fetched body.
//!
//! The crawl hands every 2xx body to a [`crate::crawl::PageReader`]; this is the one the run
//! pipeline gives it. What a body is comes from [`super::document::classify`] (its media type
//! parsed, then its bytes sniffed — never "any type containing `xml`", which read DOCX and
//! XLSX zips as HTML): an HTML page is decoded as a browser would ([`super::charset`]) and
//! extracted ([`super::extract`]); a document's text is read through the run's
//! [`DocReader`] (a worker process); plain text is kept as decoded; anything else is kept by
//! its bytes, its version saying why it has no text.

use super::doc_reading::{document_content, file_title, unread_content, DocReader};
use super::document::{classify, BodyKind};
use super::extract::{ExtractError, Extracted, Extractor};
use crate::config::SiteConfig;
use crate::crawl::{PageReader, ReadPage};
use crate::store::Content;
use std::sync::Arc;
use url::Url;

/// Reads bodies with one site's extraction settings and the run's document reader.
pub struct Reader {
    extractor: Extractor,
    documents: Arc<DocReader>,
}

impl Reader {
    /// Compiles a site's `content`, `facts`, `ignore` and `ignore_text` settings.
    pub fn for_site(site: &SiteConfig, documents: Arc<DocReader>) -> Result<Reader, ExtractError> {
        Ok(Reader {
            extractor: Extractor::new(
                site.content.as_deref(),
                &site.ignore,
                &site.ignore_text,
                site.facts.as_deref(),
            )?,
            documents,
        })
    }
}

impl PageReader for Reader {
    fn read(&self, body: &[u8], content_type: Option<&str>, url: &Url) -> ReadPage {
        match classify(content_type, url, body) {
            BodyKind::Html => {
                let (html, _) = super::charset::decode_html(body, content_type);
                page_of(self.extractor.extract(&html, url))
            }
            BodyKind::Document(kind) => ReadPage {
                is_document: true,
                ..content_only(document_content(url, self.documents.read(kind, body)))
            },
            BodyKind::Text => content_only(Content {
                title: file_title(url),
                text: super::charset::decode_html(body, content_type).0,
                ..Default::default()
            }),
            BodyKind::Other => content_only(unread_content(url, content_type)),
        }
    }

    /// The same bytes as the page's latest version: a page is read again for its links (the
    /// link graph needs them), a document is not read at all — the store keeps the version it
    /// has, so a recheck of unchanged documents extracts nothing.
    fn read_unchanged(&self, body: &[u8], content_type: Option<&str>, url: &Url) -> ReadPage {
        match classify(content_type, url, body) {
            kind @ (BodyKind::Document(_) | BodyKind::Other) => ReadPage {
                is_document: matches!(kind, BodyKind::Document(_)),
                ..content_only(Content {
                    title: file_title(url),
                    ..Default::default()
                })
            },
            _ => self.read(body, content_type, url),
        }
    }
}

fn content_only(content: Content) -> ReadPage {
    ReadPage {
        content,
        ..Default::default()
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
            ..Default::default()
        },
        links: ex.links,
        canonical: ex.canonical,
        is_document: false,
    }
}
