//! What the crawl needs read from a body, without knowing how it is read.
//!
//! The crawl follows links and files versions, but reading a page — decoding its charset,
//! finding the part that matters, folding its text — is analysis, a later stage. So the
//! crawl asks through this trait, and the run pipeline hands it
//! [`crate::analyse::reader::Reader`]: the crawl never imports analysis.

use crate::store::Content;
use url::Url;

/// A body read for the crawl.
#[derive(Debug, Clone, Default)]
pub struct ReadPage {
    /// What a version of the page keeps: title, compared text, links, documents.
    pub content: Content,
    /// The links to follow (the same as `content.links`, parsed).
    pub links: Vec<Url>,
    /// `<link rel="canonical">`, resolved.
    pub canonical: Option<Url>,
    /// The body is a document (PDF, DOCX, XLSX…), whatever its URL looks like.
    pub is_document: bool,
}

/// Reads the body of a 2xx response. Called off the async executor (it may parse megabytes).
pub trait PageReader: Send + Sync {
    /// Reads `body`, served at `url` with `content_type`. Every body gets an answer: a page's
    /// text and links, a document's name and whatever text it has.
    fn read(&self, body: &[u8], content_type: Option<&str>, url: &Url) -> ReadPage;

    /// Reads a body whose bytes are those of the page's latest version: the store will only
    /// note that version seen again, so a reader may skip what only a new version needs (a
    /// document's text). The links must still be read.
    fn read_unchanged(&self, body: &[u8], content_type: Option<&str>, url: &Url) -> ReadPage {
        self.read(body, content_type, url)
    }
}
