//! Watched-phrase records (`phrase_appeared`, `phrase_disappeared`): filed beside the page's
//! own record, judged on the same two versions `changed` is judged on.
//!
//! The judgement is derived from the versions, not kept as state: the old side is the
//! version detection last reported, the new side the version this step accepts. So a phrase
//! is reported on the run its page's accepted text gains or loses it, and never again while
//! it stays (the next run's old side already has it); a version that is not accepted (the
//! page removed, redirected, moved, soft-removed, or its content change held back behind
//! `unlinked`) gets no phrase record now and is judged when it is accepted. Keeping "which
//! phrases each page has" in a table instead would need a migration and a backfill each time
//! a phrase is added to the config, and could drift from the versions it summarises.

use super::records::record;
use super::{Ctx, Step};
use crate::analyse::facts::phrases::Phrase;
use crate::config::{WatchConfig, WatchOn};
use crate::model::{ChangeKind, PageState, Significance};
use crate::store::{NewChange, PageRow, StoreError, Version};

/// Characters of the line quoted in a phrase record's summary.
const MAX_LINE_CHARS: usize = 200;

/// A `[[watch]]` of the site being judged, compiled once per site.
pub(super) struct Watch {
    phrase: Phrase,
    name: String,
    on: WatchOn,
}

/// The watches that cover `site`. The config has checked every phrase; one that still does
/// not compile is said, never silently dropped.
pub(super) fn for_site(watches: &[WatchConfig], site: &str) -> Vec<Watch> {
    watches
        .iter()
        .filter(|w| w.covers(site))
        .filter_map(|w| match Phrase::new(&w.phrase) {
            Ok(phrase) => Some(Watch {
                phrase,
                name: w.phrase.clone(),
                on: w.on,
            }),
            Err(e) => {
                tracing::warn!(phrase = %w.phrase, "[[watch]] phrase not watched: {e}");
                None
            }
        })
        .collect()
}

/// The phrase records of one page's step: only when the step accepts a new version of a
/// page that is live after it.
pub(super) fn records(
    ctx: &mut Ctx<'_>,
    page: &PageRow,
    step: &Step,
    first_status: u16,
    watches: &[Watch],
) -> Result<Vec<NewChange>, StoreError> {
    let accepted = step.update.reported_version;
    if watches.is_empty()
        || step.update.state != PageState::Live
        || accepted.is_none()
        || accepted == page.reported_version
    {
        return Ok(Vec::new());
    }
    let Some(new) = ctx.version(accepted)? else {
        return Ok(Vec::new());
    };
    let old = ctx.version(page.reported_version)?;
    let mut out = Vec::new();
    for w in watches {
        let before = old.as_ref().and_then(|v| found_in(&w.phrase, v));
        let after = found_in(&w.phrase, &new);
        let (kind, line) = match (before, after) {
            (None, Some(line)) if w.on.on_appear() => (ChangeKind::PhraseAppeared, line),
            (Some(line), None) if w.on.on_disappear() => (ChangeKind::PhraseDisappeared, line),
            _ => continue,
        };
        let line = crate::markup::one_line(quoted(line), MAX_LINE_CHARS);
        let summary = match kind {
            ChangeKind::PhraseAppeared => format!("“{}” appeared: “{line}”", w.name),
            _ => format!("“{}” disappeared (was in “{line}”)", w.name),
        };
        let mut c = record(
            page,
            kind,
            Significance::Major,
            new.span.title.clone(),
            summary,
            Some(first_status),
        );
        c.from_version = old.as_ref().map(|v| v.span.id);
        c.to_version = Some(new.span.id);
        c.phrase = Some(w.name.clone());
        out.push(c);
    }
    Ok(out)
}

/// The first line of the version's compared text, title first, that holds the phrase.
fn found_in<'v>(phrase: &Phrase, v: &'v Version) -> Option<&'v str> {
    phrase
        .first_line(&v.span.title)
        .or_else(|| phrase.first_line(&v.text))
}

/// A text line as a reader quotes it: without the heading or list-item marker.
fn quoted(line: &str) -> &str {
    let l = line.trim_start_matches('#');
    let l = if l.len() < line.len() { l } else { line };
    let l = l.trim_start();
    l.strip_prefix("- ").unwrap_or(l)
}
