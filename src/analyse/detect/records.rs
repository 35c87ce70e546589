//! The records detection files, and the judgements several observations share: whether a
//! redirect target is the same content (`moved`), whether a 200 is really the site's
//! not-found page (`soft_removed`), and whether two texts differ in more than noise
//! (`changed`).

use crate::analyse::compare::{compare, PageText};
use crate::crawl::NotFoundPrint;
use crate::model::{ChangeDetail, ChangeKind, Significance};
use crate::store::{Content, NewChange, PageRow, TextStatus, Version};
use regex::Regex;
use std::sync::OnceLock;

/// Similarity above which a redirect target counts as the same content (`moved`).
pub(super) const MOVED_SIMILARITY: f64 = 0.8;
/// Similarity to the site's not-found page above which a 200 is a soft 404.
const NOT_FOUND_SIMILARITY: f64 = 0.9;

fn not_found_words() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)\b(page not found|not found|404|page (cannot|can't|could not|can not) be found|no longer (available|exists)|(page|document) (does not|doesn't) exist)\b",
        )
        .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// A `changed` record, or none when only noise differed.
///
/// A version whose text was read — a page's, or a document's — is compared by its text, so a
/// document re-exported with new bytes and the same text is no change. Where either side has
/// no text (a document that cannot be read, or one an older build stored unread), the bytes
/// are compared, and the summary says why.
pub(super) fn changed_record(
    page: &PageRow,
    old: &Version,
    new: &Version,
    status: u16,
) -> Option<NewChange> {
    if !old.span.text_status.is_read() || !new.span.text_status.is_read() {
        return byte_change(page, old, new, status);
    }
    let cmp = compare(&page_text(old), &page_text(new));
    if !cmp.changed {
        return None;
    }
    let mut c = record(
        page,
        ChangeKind::Changed,
        cmp.significance,
        new.span.title.clone(),
        cmp.summary,
        Some(status),
    );
    c.from_version = Some(old.span.id);
    c.to_version = Some(new.span.id);
    c.words_added = cmp.words_added;
    c.words_removed = cmp.words_removed;
    c.similarity = Some(cmp.similarity);
    c.detail = cmp.detail;
    Some(c)
}

/// A document compared by its bytes (SHA-256), with why its text could not be compared.
fn byte_change(page: &PageRow, old: &Version, new: &Version, status: u16) -> Option<NewChange> {
    if old.span.body_sha256 == new.span.body_sha256 {
        return None;
    }
    let why = [&new.span.text_status, &old.span.text_status]
        .into_iter()
        .find_map(|s| match s {
            TextStatus::Read => None,
            TextStatus::Unavailable(r) => Some(format!("text unavailable: {r}")),
            TextStatus::NotRead => Some("earlier text not read".to_string()),
        })
        .unwrap_or_default();
    let mut summary = format!(
        "document changed: {} → {} bytes, sha256 {}… → {}…",
        old.span.body_size,
        new.span.body_size,
        &old.span.sha256_hex()[..12],
        &new.span.sha256_hex()[..12]
    );
    if !why.is_empty() {
        summary = format!("{}; {summary}", clip(&why));
    }
    let mut c = record(
        page,
        ChangeKind::Changed,
        Significance::Major,
        new.span.title.clone(),
        summary,
        Some(status),
    );
    c.from_version = Some(old.span.id);
    c.to_version = Some(new.span.id);
    Some(c)
}

pub(super) fn page_text(v: &Version) -> PageText<'_> {
    PageText {
        title: &v.span.title,
        text: &v.text,
        documents: &v.documents,
    }
}

pub(super) fn record(
    page: &PageRow,
    kind: ChangeKind,
    significance: Significance,
    title: String,
    summary: String,
    http_status: Option<u16>,
) -> NewChange {
    NewChange {
        page_id: page.id,
        url: page.url.clone(),
        kind,
        significance,
        title,
        summary,
        from_version: page.reported_version,
        to_version: None,
        http_status,
        redirect_to: None,
        words_added: 0,
        words_removed: 0,
        similarity: None,
        detail: ChangeDetail::default(),
    }
}

/// A `moved` record: the page now redirects to `target`, which serves the same content.
pub(super) fn moved_record(
    page: &PageRow,
    title: String,
    target: &str,
    first_status: u16,
    similarity: Option<f64>,
) -> NewChange {
    let mut c = record(
        page,
        ChangeKind::Moved,
        Significance::Minor,
        title,
        format!(
            "moved to {target} ({first_status}); content essentially the same (similarity {:.2})",
            similarity.unwrap_or(1.0)
        ),
        Some(first_status),
    );
    c.redirect_to = Some(target.to_string());
    c.similarity = similarity;
    c
}

/// How alike a stored version and a redirect target's content are (0..1).
pub(super) fn content_similarity(old: &Version, new: &Content) -> f64 {
    if old.text.is_empty() && new.text.is_empty() {
        return if old.span.title == new.title {
            1.0
        } else {
            0.0
        };
    }
    crate::analyse::diff::diff_stats(&old.text, &new.text).similarity
}

/// Whether a 200 answer is really the site's not-found page.
pub(super) fn looks_not_found(v: &Version, print: Option<&NotFoundPrint>) -> bool {
    let first_heading = v
        .text
        .lines()
        .find(|l| l.starts_with("# "))
        .map(|l| l.trim_start_matches('#').trim())
        .unwrap_or("");
    let re = not_found_words();
    if re.is_match(&v.span.title) || re.is_match(first_heading) {
        return true;
    }
    match print {
        Some(p) if (200..300).contains(&p.status) || !p.text.is_empty() => {
            if p.text.trim().is_empty() {
                return false;
            }
            // Texts of very different lengths cannot be 90% alike: skip the diff.
            let (a, b) = (p.text.len() as f64, v.text.len() as f64);
            if a.min(b) < a.max(b) * NOT_FOUND_SIMILARITY * 0.5 {
                return false;
            }
            let sim = crate::analyse::diff::diff_stats(&p.text, &v.text).similarity;
            sim >= NOT_FOUND_SIMILARITY
        }
        _ => false,
    }
}

pub(super) fn is_twin(a: &str, b: &str) -> bool {
    crate::urlnorm::trailing_slash_twin_str(a).as_deref() == Some(b)
}

/// A title quoted in a summary: 80 characters and a `…` when longer.
pub(super) fn clip(s: &str) -> String {
    crate::markup::cap_chars(s, 81)
}
