//! A page that could not be read this run: never a removal or a change — only, after
//! `unreachable_after` consecutive failed runs, `unreachable`.

use super::records::record;
use super::{Ctx, Step};
use crate::model::{ChangeKind, PageState, Significance};
use crate::store::{PageRow, StoreError};

pub(super) fn failed(
    ctx: &mut Ctx<'_>,
    page: &PageRow,
    status: Option<u16>,
    error: &str,
) -> Result<Step, StoreError> {
    // A page we could not read keeps its linked flag.
    let mut step = Step::stay(page, page.linked);
    step.update.fail_streak = page.fail_streak.saturating_add(1);
    let can_fall = matches!(page.state, PageState::Live | PageState::SoftRemoved);
    if !can_fall || step.update.fail_streak < ctx.unreachable_after {
        return Ok(step);
    }
    step.update.state = PageState::Unreachable;
    let title = ctx.title(page.reported_version)?;
    let last = match status {
        Some(s) => format!("HTTP {s}"),
        None => error.to_string(),
    };
    let summary = format!(
        "no answer for {} consecutive runs (last: {last})",
        step.update.fail_streak
    );
    Ok(step.with(Some(record(
        page,
        ChangeKind::Unreachable,
        Significance::Minor,
        title,
        summary,
        status,
    ))))
}
