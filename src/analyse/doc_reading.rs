//! How a run reads documents: in a worker process (`quietwatch extract-worker`), so that a
//! parser that panics, loops or allocates without end costs one recorded error and never the
//! run; in-process, within the same limits, only where no worker can be had.
//!
//! The engine is [`super::document`]; this is the run's choice of how to call it, shared by
//! every site's [`super::reader::Reader`] and by the repair of old archives
//! ([`super::repair`]), and the counter of documents actually read (a recheck of unchanged
//! documents must read none).

use super::document::{self, DocKind, DocText, Isolation, Limits};
use crate::store::{Content, TextStatus};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;

/// Where documents are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentReading {
    /// In a worker process: this executable, run as `quietwatch extract-worker` (the binary
    /// passes `std::env::current_exe()`; tests pass the built `quietwatch`).
    Worker(PathBuf),
    /// In this process, within the same limits but without the process boundary: a parser
    /// that loops cannot be stopped. For callers with no `quietwatch` executable at hand.
    InProcess,
}

impl DocumentReading {
    /// What the `quietwatch` binary uses: itself, run as `quietwatch extract-worker`; in this
    /// process only when the OS cannot say which executable this is (and it says so).
    pub fn this_executable() -> DocumentReading {
        match std::env::current_exe() {
            Ok(exe) => DocumentReading::Worker(exe),
            Err(e) => {
                tracing::warn!(error = %e, "cannot name this executable: documents are read in-process");
                DocumentReading::InProcess
            }
        }
    }
}

/// Reads documents one at a time, as the run chose.
pub struct DocReader {
    how: How,
    read: AtomicU64,
}

enum How {
    Worker(Isolation),
    InProcess(Limits),
}

impl DocReader {
    pub fn new(reading: &DocumentReading) -> DocReader {
        let how = match reading {
            DocumentReading::Worker(exe) => {
                How::Worker(Isolation::new(exe.clone(), Limits::default()))
            }
            DocumentReading::InProcess => {
                tracing::warn!(
                    "documents are read in this process: no extraction worker was given, so a \
                     parser that loops on a hostile document cannot be stopped"
                );
                How::InProcess(Limits::default())
            }
        };
        DocReader {
            how,
            read: AtomicU64::new(0),
        }
    }

    /// The text of one document. Never fails: a document that cannot be read is
    /// [`DocText::Unavailable`] with the reason.
    pub fn read(&self, kind: DocKind, body: &[u8]) -> DocText {
        self.read.fetch_add(1, Ordering::Relaxed);
        match &self.how {
            How::Worker(iso) => iso.read(kind, body),
            How::InProcess(limits) => document::read_in_process(kind, body, limits),
        }
    }

    /// How many documents this reader has read (extracted) so far.
    pub fn documents_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

/// What a version of a document keeps: its file name as title, its text or why there is
/// none. A document links nowhere of its own.
pub fn document_content(url: &Url, text: DocText) -> Content {
    let (text, text_status) = match text {
        DocText::Text(t) => (t, TextStatus::Read),
        DocText::Unavailable(why) => (String::new(), TextStatus::Unavailable(why)),
    };
    // A document states facts too (a schedule's "End date: …", its lots), read from its text
    // lines as SPEC's "Facts" says; a document with no text states none.
    let facts = super::facts::text::facts_from_text(&text).into_vec();
    Content {
        title: file_title(url),
        text,
        text_status,
        facts,
        ..Default::default()
    }
}

/// A body that is neither a page nor a document quietwatch reads: kept by its bytes.
pub fn unread_content(url: &Url, content_type: Option<&str>) -> Content {
    let what = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or(ct)
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|ct| !ct.is_empty())
        .unwrap_or_else(|| "an unknown type".to_string());
    Content {
        title: file_title(url),
        text_status: TextStatus::Unavailable(format!(
            "no reader for {}",
            crate::markup::cap_chars(&what, 80)
        )),
        ..Default::default()
    }
}

/// The name a document goes by: the last segment of its path, else its URL (as earlier
/// builds named it, so an archive's old versions and new ones agree).
pub fn file_title(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| url.to_string())
}

/// The type a document goes by in a digest ("PDF", "spreadsheet"), from what is stored of
/// it (its `Content-Type` and URL); `None` for a page or an unknown type.
pub fn document_type_name(content_type: Option<&str>, url: &str) -> Option<&'static str> {
    let url = Url::parse(url).ok()?;
    match document::classify(content_type, &url, &[]) {
        document::BodyKind::Document(kind) => Some(kind.type_name()),
        _ => None,
    }
}
