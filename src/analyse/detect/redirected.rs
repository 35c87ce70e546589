//! A page that now redirects to another page which answered 200: `moved` when the target
//! serves essentially the same content (its history then continues there, and a target
//! first seen this run is folded in rather than reported `added`), else `redirected` away.

use super::records::{clip, content_similarity, is_twin, moved_record, record, MOVED_SIMILARITY};
use super::{Ctx, Step};
use crate::model::{ChangeKind, PageState, Significance};
use crate::store::{Content, PageMerge, PageRow, StoreError};

/// Where the redirect went.
pub(super) struct Redirect<'a> {
    pub first_status: u16,
    pub target: &'a str,
    pub target_page: Option<i64>,
    pub content: Option<&'a Content>,
}

pub(super) fn redirected(
    ctx: &mut Ctx<'_>,
    page: &PageRow,
    r: Redirect<'_>,
) -> Result<Step, StoreError> {
    let mut step = Step::stay(page, page.linked);
    let was_up = matches!(
        page.state,
        PageState::Live | PageState::Unreachable | PageState::SoftRemoved
    );
    let already = matches!(page.state, PageState::Redirected | PageState::Moved)
        && page.redirect_to.as_deref() == Some(r.target);
    if already || !(was_up || page.state == PageState::Removed) {
        return Ok(step);
    }
    let old = ctx.version(page.reported_version)?;
    let title = old
        .as_ref()
        .map(|v| v.span.title.clone())
        .unwrap_or_default();
    let similarity = match (&old, r.content) {
        (Some(v), Some(c)) if page.state != PageState::Removed => Some(content_similarity(v, c)),
        _ => None,
    };
    let same = similarity.is_some_and(|s| s >= MOVED_SIMILARITY);
    let target_row = r
        .target_page
        .or_else(|| ctx.page_at(r.target))
        .filter(|t| *t != page.id)
        .and_then(|t| ctx.pages.get(&t).copied());
    let absorbable = target_row.filter(|t| t.state == PageState::New);
    let change = if let (true, Some(target)) = (same, absorbable) {
        // The history continues at the new URL: fold the new page in.
        step.merge = Some(PageMerge {
            into: page.id,
            from: Some(target.id),
            new_url: r.target.to_string(),
            old_url: page.url.clone(),
        });
        step.update.state = PageState::Live;
        step.update.redirect_to = None;
        step.update.reported_version = target.latest_version;
        // `/x` → `/x/` is the same page under its other form: not news.
        (!is_twin(&page.url, r.target)).then(|| {
            let mut c = moved_record(page, title, r.target, r.first_status, similarity);
            c.to_version = step.update.reported_version;
            c
        })
    } else if same {
        step.update.state = PageState::Moved;
        step.update.redirect_to = Some(r.target.to_string());
        Some(moved_record(
            page,
            title,
            r.target,
            r.first_status,
            similarity,
        ))
    } else {
        step.update.state = PageState::Redirected;
        step.update.redirect_to = Some(r.target.to_string());
        let target_title = r
            .content
            .map(|c| c.title.as_str())
            .filter(|t| !t.is_empty())
            .map(|t| format!(" (“{}”)", clip(t)))
            .unwrap_or_default();
        let mut c = record(
            page,
            ChangeKind::Redirected,
            Significance::Major,
            title,
            format!(
                "now redirects ({}) to {}{target_title}",
                r.first_status, r.target
            ),
            Some(r.first_status),
        );
        c.redirect_to = Some(r.target.to_string());
        c.similarity = similarity;
        Some(c)
    };
    Ok(step.with(change))
}
