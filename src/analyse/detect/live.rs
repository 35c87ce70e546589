//! A page that answered 200 (or 304) at its own URL: `added` when new, `restored` when back
//! from elsewhere, `soft_removed` when it became the site's not-found page, `unlinked` when
//! nothing links to it any more, `changed` when its text moved beyond noise — in SPEC's
//! order of precedence.

use super::records::{changed_record, clip, looks_not_found, page_text, record, served_record};
use super::{Ctx, Step};
use crate::analyse::compare::compare;
use crate::model::{ChangeKind, PageState, Significance};
use crate::store::{NewChange, PageRow, StoreError, Version};

/// What the run's link graph says of the page.
pub(super) struct Links {
    /// Linked from another page or a sitemap this run; `None`: the run cannot tell.
    pub linked_now: Option<bool>,
    /// A `start` page: watched by name, never unlinked.
    pub is_start: bool,
}

pub(super) fn live(
    ctx: &mut Ctx<'_>,
    page: &PageRow,
    first_status: u16,
    links: Links,
) -> Result<Step, StoreError> {
    let step = Step::stay(page, links.linked_now.unwrap_or(page.linked));
    // A live page serving the version last accepted has neither changed nor turned into a
    // not-found page: only its links can tell something new. Skipping the text here keeps a
    // recheck of an unchanged site cheap.
    // The same holds for a new version that reads like the accepted one (its body differs only
    // in noise), which the store answers from two rows without touching either text.
    let unchanged = page.state == PageState::Live
        && (page.latest_version == page.reported_version
            || !page.is_document && reads_alike(ctx, page.reported_version, page.latest_version)?);
    let latest = if unchanged {
        None
    } else {
        ctx.version(page.latest_version)?
    };
    let soft = latest
        .as_ref()
        .is_some_and(|v| !page.is_document && looks_not_found(v, ctx.not_found));
    // Only a page that *became* a not-found page is news: one that always looked like it (a
    // site whose unknown paths answer with its home page) is not.
    let became_not_found = soft && page.state == PageState::Live && {
        let not_found = ctx.not_found;
        !ctx.version(page.reported_version)?
            .is_some_and(|v| looks_not_found(&v, not_found))
    };
    match page.state {
        PageState::New => Ok(added(step, page, latest.as_ref(), soft, first_status)),
        PageState::SoftRemoved if soft => Ok(step),
        PageState::Removed
        | PageState::Redirected
        | PageState::Moved
        | PageState::Unreachable
        | PageState::SoftRemoved => restored(ctx, step, page, latest.as_ref(), soft, first_status),
        PageState::Live if became_not_found => {
            soft_removed(ctx, step, page, latest.as_ref(), first_status)
        }
        PageState::Live => still_live(ctx, step, page, latest, &links, first_status),
    }
}

/// Whether two versions of a page read the same, so that neither text needs loading. A
/// document is compared by its bytes when it has no text, so it never takes this shortcut.
fn reads_alike(ctx: &Ctx<'_>, a: Option<i64>, b: Option<i64>) -> Result<bool, StoreError> {
    match (a, b) {
        (Some(a), Some(b)) => ctx.store.versions_read_alike(a, b),
        _ => Ok(false),
    }
}

/// A page accepted for the first time (unless it is a not-found page).
fn added(
    mut step: Step,
    page: &PageRow,
    latest: Option<&Version>,
    soft: bool,
    first_status: u16,
) -> Step {
    if soft {
        return step;
    }
    step.update.state = PageState::Live;
    step.update.reported_version = page.latest_version;
    let title = latest.map(|v| v.span.title.clone()).unwrap_or_default();
    let what = if page.is_document {
        "new document"
    } else {
        "new page"
    };
    let c = served_record(
        page,
        ChangeKind::Added,
        title,
        what.to_string(),
        first_status,
    );
    step.with(Some(c))
}

/// Back from removed, redirected, moved, unreachable or soft-removed.
fn restored(
    ctx: &mut Ctx<'_>,
    mut step: Step,
    page: &PageRow,
    latest: Option<&Version>,
    soft: bool,
    first_status: u16,
) -> Result<Step, StoreError> {
    if soft {
        // Back from elsewhere, but as a not-found page.
        step.update.state = PageState::SoftRemoved;
        return Ok(step);
    }
    step.update.state = PageState::Live;
    step.update.redirect_to = None;
    step.update.reported_version = page.latest_version;
    let title = latest.map(|v| v.span.title.clone()).unwrap_or_default();
    let mut summary = format!("live again (was {})", page.state.as_str().replace('_', " "));
    let old = ctx.version(page.reported_version)?;
    let cmp = match (&old, latest) {
        (Some(o), Some(n))
            if o.span.id != n.span.id
                && o.span.text_status.is_read()
                && n.span.text_status.is_read() =>
        {
            Some(compare(&page_text(o), &page_text(n))).filter(|c| c.changed)
        }
        _ => None,
    };
    if let Some(cmp) = &cmp {
        summary.push_str(&format!("; content changed: {}", cmp.summary));
    }
    let mut c = served_record(page, ChangeKind::Restored, title, summary, first_status);
    if let Some(cmp) = cmp {
        c.words_added = cmp.words_added;
        c.words_removed = cmp.words_removed;
        c.similarity = Some(cmp.similarity);
        c.detail = cmp.detail;
    }
    Ok(step.with(Some(c)))
}

/// A live page that now serves the site's not-found content.
fn soft_removed(
    ctx: &mut Ctx<'_>,
    mut step: Step,
    page: &PageRow,
    latest: Option<&Version>,
    first_status: u16,
) -> Result<Step, StoreError> {
    step.update.state = PageState::SoftRemoved;
    let title = ctx.title(page.reported_version)?;
    let seen = latest
        .map(|v| format!(" (title “{}”)", clip(&v.span.title)))
        .unwrap_or_default();
    let summary =
        format!("answers {first_status} but with the site's “page not found” content{seen}");
    let c = served_record(page, ChangeKind::SoftRemoved, title, summary, first_status);
    Ok(step.with(Some(c)))
}

/// Live before and live now: `unlinked` if nothing links to it any more, else `changed` if
/// its text moved beyond noise.
fn still_live(
    ctx: &mut Ctx<'_>,
    mut step: Step,
    page: &PageRow,
    latest: Option<Version>,
    links: &Links,
    first_status: u16,
) -> Result<Step, StoreError> {
    let unlinked =
        links.linked_now == Some(false) && page.linked && !page.is_document && !links.is_start;
    if unlinked {
        let title = ctx.title(page.latest_version)?;
        return Ok(step.with(Some(record(
            page,
            ChangeKind::Unlinked,
            Significance::Major,
            title,
            "still live, but no longer linked from any page crawled nor listed in a sitemap"
                .to_string(),
            Some(first_status),
        ))));
    }
    if page.latest_version == page.reported_version {
        return Ok(step);
    }
    step.update.reported_version = page.latest_version;
    let Some(latest) = latest else {
        // Read alike (see `live`): the new version is accepted with no record.
        return Ok(step);
    };
    let old = ctx.version(page.reported_version)?;
    let change: Option<NewChange> = match old {
        Some(o) => changed_record(page, &o, &latest, first_status),
        None => None,
    };
    Ok(step.with(change))
}
