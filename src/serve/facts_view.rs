//! `/facts`: the facts register in the browser — one row per agreement with its reference,
//! status, dates, lots and suppliers, linked to the page's timeline, sortable by end date
//! (soonest first, or latest first), optionally of one site, expiring within DAYS, or as it
//! stood at a moment. The rows are [`crate::archive::register`]'s, so the web UI and
//! `quietwatch facts` never disagree.

use super::{run_view, App, AppError, Params};
use crate::archive::register::{register, RegisterQuery, RegisterRow};
use crate::links::page_link;
use crate::when::{parse_when_ms, DayEdge};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;
use std::sync::Arc;

/// Rows a register page shows; the rest are counted.
const REGISTER_ROWS: usize = 2000;

#[derive(Serialize)]
struct FactsRowView {
    #[serde(flatten)]
    row: RegisterRow,
    page_href: String,
    lots_joined: String,
}

pub(super) async fn facts_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    run_view(app, move |app, store| {
        let site = p.get("site").filter(|s| !s.is_empty()).map(str::to_string);
        let expiring =
            match p.get("expiring").filter(|s| !s.is_empty()) {
                None => None,
                Some(d) => Some(d.parse::<u32>().map_err(|_| {
                    AppError::bad(format!("expiring={d:?} is not a number of days."))
                })?),
            };
        let at = p.get("at").filter(|s| !s.is_empty());
        let at_ms = match at {
            None => None,
            Some(a) => Some(
                parse_when_ms(a, DayEdge::End).map_err(|e| AppError::bad(format!("at: {e}")))?,
            ),
        };
        let latest_first = p.get("sort") == Some("-end");
        let mut rows = register(
            store,
            &RegisterQuery {
                site: site.clone(),
                expiring_days: expiring,
                at_ms,
            },
        )?;
        if latest_first {
            // Latest end first, undated still last.
            rows.sort_by(|a, b| {
                (a.end_day().is_none(), std::cmp::Reverse(a.end_day()))
                    .cmp(&(b.end_day().is_none(), std::cmp::Reverse(b.end_day())))
            });
        }
        let total = rows.len();
        rows.truncate(REGISTER_ROWS);
        let rows: Vec<FactsRowView> = rows
            .into_iter()
            .map(|row| FactsRowView {
                page_href: page_link("", &row.url),
                lots_joined: row.lots_joined(),
                row,
            })
            .collect();
        let mut keep = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("site", site.clone()),
            ("expiring", expiring.map(|d| d.to_string())),
            ("at", at.map(str::to_string)),
        ] {
            if let Some(v) = v {
                keep.append_pair(k, &v);
            }
        }
        let keep = keep.finish();
        let sort_href = |sort: &str| {
            if keep.is_empty() {
                format!("/facts?sort={sort}")
            } else {
                format!("/facts?{keep}&sort={sort}")
            }
        };
        let site_names: Vec<String> = store.sites()?.into_iter().map(|s| s.name).collect();
        Ok(app.render(
            StatusCode::OK,
            "facts.html",
            context! {
                shown => rows.len(),
                rows => rows,
                total => total,
                latest_first => latest_first,
                end_sort_href => sort_href(if latest_first { "end" } else { "-end" }),
                sites => site_names,
                sel => context! {
                    site => site.unwrap_or_default(),
                    expiring => expiring.map(|d| d.to_string()).unwrap_or_default(),
                    at => at.unwrap_or(""),
                },
            },
        ))
    })
    .await
}
