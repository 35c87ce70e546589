//! The records detection files, and the judgements several observations share: whether a
//! redirect target is the same content (`moved`), whether a 200 is really the site's
//! not-found page (`soft_removed`), and whether two texts differ in more than noise
//! (`changed`).

use crate::analyse::compare::{compare, PageText};
use crate::analyse::facts::{self, Facts};
use crate::crawl::NotFoundPrint;
use crate::model::{ChangeDetail, ChangeKind, FactChange, Significance};
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
    let mut facts = fact_changes(old, new);
    if !cmp.changed {
        // On unchanged text, words that merely became a link (on real GOV.UK history:
        // "Manage your funding" linked, nothing else touched) are an editor's polish, not
        // news; a link that is gone while its words stay is a quiet unlinking and is kept.
        facts.retain(|f| !(f.name.starts_with("link:") && f.from.is_none()));
    }
    let facts_major = facts.iter().any(FactChange::is_major);
    // A fact change that is not major and comes with no change of the text (a link only
    // reworded, moved or retargeted under the same words) is not news: crying wolf is the
    // worse failure.
    if !cmp.changed && !facts_major {
        return None;
    }
    let significance = if facts_major {
        Significance::Major
    } else {
        cmp.significance
    };
    let summary = match (facts.is_empty(), cmp.changed) {
        (true, _) => cmp.summary,
        (false, true) => format!("{}; {}", facts_summary(&facts), cmp.summary),
        (false, false) => facts_summary(&facts),
    };
    let mut c = record(
        page,
        ChangeKind::Changed,
        significance,
        new.span.title.clone(),
        summary,
        Some(status),
    );
    c.facts = facts;
    c.from_version = Some(old.span.id);
    c.to_version = Some(new.span.id);
    c.words_added = cmp.words_added;
    c.words_removed = cmp.words_removed;
    c.similarity = Some(cmp.similarity);
    c.detail = cmp.detail;
    Some(c)
}

/// How the facts kept with two versions differ (the stored facts: nothing is parsed again).
pub(super) fn fact_changes(old: &Version, new: &Version) -> Vec<FactChange> {
    // A version stored before facts were kept states no facts we know of: the first version
    // read with its facts is not a page full of "added" facts (an upgrade must not cry wolf).
    if !old.facts_read || !new.facts_read || old.facts == new.facts {
        return Vec::new();
    }
    facts::diff(
        &Facts::from(old.facts.clone()),
        &Facts::from(new.facts.clone()),
    )
}

/// Fact changes a summary states in words; the rest are counted (all are in `facts`).
const MAX_SUMMARY_FACTS: usize = 8;

/// The fact changes in words, major ones first (SPEC: the summary leads with them), at most
/// [`MAX_SUMMARY_FACTS`] of them: a page that lost a hundred links says so in a line.
pub(super) fn facts_summary(changes: &[FactChange]) -> String {
    if changes.len() <= MAX_SUMMARY_FACTS {
        return facts::summary(changes);
    }
    let mut ordered: Vec<FactChange> = changes.iter().filter(|c| c.is_major()).cloned().collect();
    ordered.extend(changes.iter().filter(|c| !c.is_major()).cloned());
    format!(
        "{}; {} more fact changes",
        facts::summary(&ordered[..MAX_SUMMARY_FACTS]),
        changes.len() - MAX_SUMMARY_FACTS
    )
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
        phrase: None,
        facts: Vec::new(),
    }
}

/// A major record of what a live page serves now (`added`, `restored`, `soft_removed`):
/// from the version last reported to the latest one.
pub(super) fn served_record(
    page: &PageRow,
    kind: ChangeKind,
    title: String,
    summary: String,
    first_status: u16,
) -> NewChange {
    let mut c = record(
        page,
        kind,
        Significance::Major,
        title,
        summary,
        Some(first_status),
    );
    c.to_version = page.latest_version;
    c
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FactValue;

    fn link_removed(n: usize) -> FactChange {
        FactChange {
            name: format!("link:https://x.test/{n}"),
            label: format!("Link {n}"),
            from: Some(FactValue::Text(format!("Link {n}"))),
            to: None,
            from_text: Some(format!("Link {n}")),
            to_text: None,
        }
    }

    #[test]
    fn summary_states_a_few_facts_and_counts_the_rest_major_first() {
        let minor = FactChange {
            name: "regulation".into(),
            label: "Regulation".into(),
            from: Some(FactValue::Text("PCR 2015".into())),
            to: Some(FactValue::Text("PA 2023".into())),
            from_text: Some("PCR 2015".into()),
            to_text: Some("PA 2023".into()),
        };
        let mut changes = vec![minor.clone()];
        changes.extend((0..11).map(link_removed));
        let s = facts_summary(&changes);
        assert!(s.starts_with("link \"Link 0\" removed; "), "{s}");
        assert!(s.ends_with("; 4 more fact changes"), "{s}");
        assert!(
            !s.contains("regulation"),
            "the minor one is among those counted: {s}"
        );
        assert_eq!(facts_summary(&[minor]), "regulation PCR 2015 → PA 2023");
    }
}
