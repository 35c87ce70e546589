//! A page that answered 404 or 410: `removed` once the second fetch confirmed it, and only
//! if it was up (or elsewhere) before; a page never accepted has nothing to remove.

use super::records::record;
use super::{Ctx, Step};
use crate::model::{ChangeKind, PageState, Significance};
use crate::store::{format_ms, PageRow, StoreError};

/// What the 404 looked like.
pub(super) struct Gone<'a> {
    pub status: u16,
    pub first_status: u16,
    pub confirmed: bool,
    pub redirect_to: Option<&'a str>,
}

pub(super) fn gone(ctx: &mut Ctx<'_>, page: &PageRow, g: Gone<'_>) -> Result<Step, StoreError> {
    let mut step = Step::stay(page, page.linked);
    let was_up = matches!(
        page.state,
        PageState::Live
            | PageState::Unreachable
            | PageState::SoftRemoved
            | PageState::Redirected
            | PageState::Moved
    );
    if !g.confirmed || !was_up {
        return Ok(step);
    }
    step.update.state = PageState::Removed;
    step.update.redirect_to = g.redirect_to.map(str::to_string);
    let old = ctx.version(page.reported_version)?;
    let title = old
        .as_ref()
        .map(|v| v.span.title.clone())
        .unwrap_or_default();
    let since = old
        .map(|v| format!("; last seen live {}", format_ms(v.span.last_seen)))
        .unwrap_or_default();
    let (status, first_status) = (g.status, g.first_status);
    let summary = match g.redirect_to {
        Some(t) => format!("redirects ({first_status}) to {t}, which answers {status}{since}"),
        None => format!("answers {status} (confirmed by a second fetch){since}"),
    };
    let mut c = record(
        page,
        ChangeKind::Removed,
        Significance::Major,
        title,
        summary,
        Some(first_status),
    );
    c.redirect_to = g.redirect_to.map(str::to_string);
    Ok(step.with(Some(c)))
}
