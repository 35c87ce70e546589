//! Documents are read, not only hashed: the text of a PDF, a Word or OpenDocument text, a
//! spreadsheet or a CSV file, as stable lines that are compared like a page's text.
//!
//! Why: procurement changes most often in the documents a page links to, replaced under the
//! same link without a word on the page. Comparing their bytes cries wolf on every re-export
//! (a new PDF `CreationDate` or `/ID`, a re-zipped DOCX) and says nothing useful when a real
//! change happens. Their text says "£650 → £675".
//!
//! The line format is the one [`super::extract`] uses for HTML, so the comparison, the
//! significance rules and the excerpts work unchanged: headings `# `…`###### `, list items
//! `- `, table rows `| a | b |`, plain lines; whitespace folded, control and invisible
//! characters dropped. Per format (SPEC.md, "Documents are read, not only hashed"):
//!
//! | kind | text |
//! |---|---|
//! | PDF | `# Page N`, then one line per text line in reading order |
//! | DOCX, ODT | paragraphs; headings as heading lines; list items `- `; tables row by row |
//! | XLSX, ODS, XLS | `# Sheet: NAME`, then one line per non-empty row, cells joined by ` \| ` |
//! | CSV | charset-detected, one line per non-empty row, cells joined by ` \| ` |
//!
//! Documents are hostile input, and document parsers (PDF ones above all) are known to
//! panic, loop and allocate without bound on broken files. So:
//!
//! - every reader is bounded by [`Limits`]: input size, output size, zip entry count and
//!   expanded size (counted while inflating, never trusted from headers), XML depth, a
//!   deadline checked in the readers' loops;
//! - [`read_in_process`] catches panics, for tests and for the worker;
//! - [`Isolation`] is the robust path the crawl uses: each document is read by a worker
//!   process (`quietwatch extract-worker`, running [`worker_main`]) with an address-space and
//!   CPU-time limit and a wall-clock timeout after which it is killed. A panic, a hang, an
//!   OOM or a crash there is one [`DocText::Unavailable`], never the run's crash.
//!
//! A document whose text cannot be had is [`DocText::Unavailable`] with a short reason in
//! words (`encrypted PDF`, `scanned PDF: no text`, `malformed DOCX: …`, `too large: …`,
//! `timed out`): the caller records it and falls back to comparing bytes.

mod delimited;
mod docx;
mod isolate;
mod kind;
mod numfmt;
mod ods;
mod odt;
mod pdf;
mod sheet;
mod text;
mod xml;
mod zipped;

pub use isolate::{worker_main, Isolation, WORKER_SUBCOMMAND};
pub use kind::classify;

use std::time::{Duration, Instant};

/// A document format quietwatch reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocKind {
    Pdf,
    Docx,
    Odt,
    Xlsx,
    Ods,
    Xls,
    Csv,
}

impl DocKind {
    /// Every kind, for parsing names and for tests.
    pub const ALL: [DocKind; 7] = [
        DocKind::Pdf,
        DocKind::Docx,
        DocKind::Odt,
        DocKind::Xlsx,
        DocKind::Ods,
        DocKind::Xls,
        DocKind::Csv,
    ];

    /// What a reader calls it: the digest names a document's type beside its title.
    pub fn type_name(self) -> &'static str {
        match self {
            DocKind::Pdf => "PDF",
            DocKind::Docx => "Word document",
            DocKind::Odt => "OpenDocument text",
            DocKind::Xlsx | DocKind::Ods | DocKind::Xls => "spreadsheet",
            DocKind::Csv => "CSV",
        }
    }

    /// A fixed short name (`pdf`, `docx`, …): the worker protocol and storage use it.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Pdf => "pdf",
            DocKind::Docx => "docx",
            DocKind::Odt => "odt",
            DocKind::Xlsx => "xlsx",
            DocKind::Ods => "ods",
            DocKind::Xls => "xls",
            DocKind::Csv => "csv",
        }
    }

    /// The kind named by [`DocKind::as_str`]; `None` for any other name.
    pub fn from_name(name: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a fetched body is, as far as reading it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// An HTML (or XHTML) page: [`super::extract`] reads it.
    Html,
    /// A document this module reads.
    Document(DocKind),
    /// Some other text (`text/plain`, …): kept as it is.
    Text,
    /// Anything else (images, archives, unknown binaries): compared by its bytes.
    Other,
}

/// A document's text, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocText {
    /// The text in the line format of the module docs (lines joined by `\n`, no trailing
    /// newline); empty only for a document with no text at all (an empty sheet).
    Text(String),
    /// Why no text could be had, in a few words (`encrypted PDF`, `timed out`).
    Unavailable(String),
}

impl DocText {
    /// The text, if there is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            DocText::Text(t) => Some(t),
            DocText::Unavailable(_) => None,
        }
    }

    /// The reason, if there is no text.
    pub fn reason(&self) -> Option<&str> {
        match self {
            DocText::Text(_) => None,
            DocText::Unavailable(r) => Some(r),
        }
    }

    pub(crate) fn unavailable(reason: impl Into<String>) -> DocText {
        DocText::Unavailable(crate::markup::one_line(&reason.into(), MAX_REASON_CHARS))
    }
}

/// A reason is one short line whatever a parser's error message says.
const MAX_REASON_CHARS: usize = 200;

/// The bounds of one extraction. The defaults suit documents linked from procurement pages
/// (the crawl's body cap is 10 MB; real schedules and guides are far smaller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A larger document is not read (`too large: …`).
    pub max_input_bytes: usize,
    /// The text is cut at this many bytes, at a line boundary.
    pub max_output_bytes: usize,
    /// A zip (DOCX, XLSX, ODT, ODS) with more entries is not read.
    pub max_zip_entries: usize,
    /// The most one zip entry may inflate to (counted while inflating).
    pub max_entry_bytes: u64,
    /// The most all the entries read may inflate to together.
    pub max_expanded_bytes: u64,
    /// The deepest XML nesting read in DOCX and ODT parts.
    pub max_xml_depth: usize,
    /// The most PDF pages read (the rest are left out, the text says so).
    pub max_pages: usize,
    /// The most spreadsheet cells read (rows × columns of the used range, per workbook).
    pub max_cells: u64,
    /// Wall-clock time for one document; in-process readers check it in their loops, the
    /// worker process is killed after it.
    pub timeout: Duration,
    /// The worker process's address-space limit (`RLIMIT_AS`).
    pub max_memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 16 * 1024 * 1024,
            max_output_bytes: super::extract::MAX_TEXT_BYTES,
            max_zip_entries: 10_000,
            max_entry_bytes: 64 * 1024 * 1024,
            max_expanded_bytes: 128 * 1024 * 1024,
            max_xml_depth: 256,
            max_pages: 2_000,
            max_cells: 2_000_000,
            timeout: Duration::from_secs(20),
            max_memory_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// Why a reader stopped without text; turned into [`DocText::Unavailable`] at the top.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Stop {
    #[error("{0}")]
    Unavailable(String),
    #[error("timed out")]
    TimedOut,
}

impl Stop {
    pub(crate) fn malformed(kind: DocKind, detail: impl std::fmt::Display) -> Stop {
        Stop::Unavailable(format!(
            "malformed {}: {detail}",
            kind.as_str().to_uppercase()
        ))
    }
}

/// The deadline every reader's loops check.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(Instant);

impl Deadline {
    pub(crate) fn after(d: Duration) -> Deadline {
        Deadline(Instant::now() + d)
    }

    pub(crate) fn check(&self) -> Result<(), Stop> {
        if Instant::now() >= self.0 {
            Err(Stop::TimedOut)
        } else {
            Ok(())
        }
    }
}

/// Reads a document in this process, panics caught: for tests, and what the worker runs.
/// A parser that loops forever cannot be stopped here except where it checks the deadline;
/// the crawl uses [`Isolation`].
pub fn read_in_process(kind: DocKind, bytes: &[u8], limits: &Limits) -> DocText {
    if bytes.len() > limits.max_input_bytes {
        return DocText::unavailable(format!(
            "too large: {} bytes (limit {})",
            bytes.len(),
            limits.max_input_bytes
        ));
    }
    let deadline = Deadline::after(limits.timeout);
    let run = std::panic::AssertUnwindSafe(|| read_kind(kind, bytes, limits, deadline));
    match std::panic::catch_unwind(run) {
        Ok(Ok(text)) => DocText::Text(text),
        Ok(Err(stop)) => DocText::unavailable(stop.to_string()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::debug!(kind = kind.as_str(), "document reader panicked: {what}");
            DocText::unavailable(format!("malformed {}: the reader failed", kind.as_str()))
        }
    }
}

fn read_kind(
    kind: DocKind,
    bytes: &[u8],
    limits: &Limits,
    deadline: Deadline,
) -> Result<String, Stop> {
    match kind {
        DocKind::Pdf => pdf::read(bytes, limits, deadline),
        DocKind::Docx => docx::read(bytes, limits, deadline),
        DocKind::Odt => odt::read(bytes, limits, deadline),
        DocKind::Xlsx | DocKind::Ods | DocKind::Xls => sheet::read(kind, bytes, limits, deadline),
        DocKind::Csv => delimited::read(bytes, limits, deadline),
    }
}
