//! The repair of archives written before documents were read: each version the migration
//! marked `not_read` is read again from its stored body, in place.
//!
//! Why in place, at the start of a run, rather than at detection or in the migration:
//! - the migration is SQL and cannot parse a PDF; reading needs the extraction worker;
//! - reading a version in place adds no version, so detection has nothing new to compare and
//!   a document whose only "change" is gaining its text is never reported;
//! - run before the crawl, it gives the versions detection will compare against (each page's
//!   latest and reported ones, read first) their text before the new fetches arrive;
//! - a DOCX or XLSX an older build parsed as HTML (zip bytes in `texts` and the index) gets
//!   its real text, and the garbage leaves `texts` and the full-text index with it.
//!
//! Bounded: at most [`REPAIR_PER_RUN`] versions per run (each document within the worker's
//! limits); the rest wait for the next run. A version not read yet is compared by its bytes,
//! as before this build, so no run ever reports noise because the repair is unfinished.

use super::doc_reading::{file_title, DocReader};
use super::document::{classify, BodyKind, DocText};
use crate::store::{Store, StoreError, TextRepair, TextStatus, UnreadVersion};
use std::sync::Arc;
use url::Url;

/// Versions read again per run, at most.
pub const REPAIR_PER_RUN: u32 = 1000;

/// What one repair pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Versions given their text (or the reason they have none).
    pub repaired: u64,
    /// Of those, documents that had been read as HTML (their old text removed).
    pub misread: u64,
}

/// Reads the versions an older archive stored without their text (see the module docs).
/// Extraction runs off the async executor; the store is written on the caller's task.
pub async fn read_unread_versions(
    store: &mut Store,
    docs: Arc<DocReader>,
) -> Result<RepairReport, StoreError> {
    let mut report = RepairReport::default();
    let todo = store.versions_not_read(REPAIR_PER_RUN)?;
    if todo.is_empty() {
        return Ok(report);
    }
    tracing::info!(
        versions = todo.len(),
        "reading documents stored before documents were read"
    );
    for v in todo {
        let body = store.body(v.body_id)?;
        let docs = docs.clone();
        let joined =
            tokio::task::spawn_blocking(move || repair_of(&v, body.as_deref(), &docs)).await;
        let (repair, misread) = match joined {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "reading a stored document failed");
                continue;
            }
        };
        store.file_text_repair(&repair)?;
        report.repaired += 1;
        report.misread += u64::from(misread);
    }
    Ok(report)
}

/// What reading one stored body again says of its version; `true` when it is a document an
/// older build read as HTML.
fn repair_of(v: &UnreadVersion, body: Option<&[u8]>, docs: &DocReader) -> (TextRepair, bool) {
    let keep = |status: TextStatus| TextRepair {
        version_id: v.id,
        text: None,
        title: None,
        clear_links: false,
        facts: None,
        status,
    };
    let (Some(body), Ok(url)) = (body, Url::parse(&v.url)) else {
        return (
            keep(TextStatus::Unavailable("stored body missing".into())),
            false,
        );
    };
    let html_type = v.content_type.as_deref().is_some_and(|ct| {
        let ct = ct.to_ascii_lowercase();
        ct.contains("html") || ct.contains("xml") && !ct.contains("application/xml")
    });
    let (text, status) = match classify(v.content_type.as_deref(), &url, body) {
        // Pages were read as today; plain text was decoded as today, unless its type (say
        // `text/xml`) made an older build parse it as HTML.
        BodyKind::Html => return (keep(TextStatus::Read), false),
        BodyKind::Text if !html_type => return (keep(TextStatus::Read), false),
        BodyKind::Text => (
            super::charset::decode_html(body, v.content_type.as_deref()).0,
            TextStatus::Read,
        ),
        BodyKind::Document(kind) => match docs.read(kind, body) {
            DocText::Text(t) => (t, TextStatus::Read),
            DocText::Unavailable(why) => (String::new(), TextStatus::Unavailable(why)),
        },
        BodyKind::Other => (
            String::new(),
            super::doc_reading::unread_content(&url, v.content_type.as_deref()).text_status,
        ),
    };
    // The title earlier builds gave a document is its file name; one read as HTML had
    // whatever the zip bytes looked like.
    let title = file_title(&url);
    let facts = super::facts::text::facts_from_text(&text).into_vec();
    let repair = TextRepair {
        version_id: v.id,
        text: Some(text),
        title: (title != v.title).then_some(title),
        clear_links: true,
        facts: Some(facts),
        status,
    };
    (repair, html_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::doc_reading::DocumentReading;

    fn unread(url: &str, ct: &str) -> UnreadVersion {
        UnreadVersion {
            id: 7,
            page_id: 1,
            body_id: 1,
            url: url.into(),
            content_type: Some(ct.into()),
            title: "whatever the zip looked like".into(),
        }
    }

    #[test]
    fn a_misread_spreadsheet_gets_its_text_and_a_page_keeps_its_own() {
        let docs = DocReader::new(&DocumentReading::InProcess);
        let xlsx = quietwatch_fixture::demo_site()
            .read("v1/gca/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx")
            .unwrap();
        let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        let (r, misread) = repair_of(&unread("https://e.org/prices", ct), Some(&xlsx), &docs);
        assert!(misread);
        assert_eq!(r.status, TextStatus::Read);
        assert!(r.text.as_deref().unwrap().contains("# Sheet: Day rates"));
        assert_eq!(r.title.as_deref(), Some("prices"));
        assert!(r.clear_links);

        let page = b"<html><title>T</title><main>x</main></html>";
        let (r, misread) = repair_of(&unread("https://e.org/a", "text/html"), Some(page), &docs);
        assert!(!misread && r.text.is_none() && r.title.is_none() && !r.clear_links);

        let (r, _) = repair_of(
            &unread("https://e.org/gone.pdf", "application/pdf"),
            None,
            &docs,
        );
        assert!(matches!(r.status, TextStatus::Unavailable(_)));
    }
}
