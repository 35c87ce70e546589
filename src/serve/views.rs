//! The web UI's listing views: the front page, a site's pages, the changes, a page's
//! timeline, search; and the view models they share with the version views.

use super::{run_view, App, AppError, Params};
use super::{
    CHANGES_PER_PAGE, PAGES_PER_PAGE, RECENT_CHANGES, SEARCH_PAGES, TIMELINE_CHANGES,
    TIMELINE_PROBLEMS, TIMELINE_VERSIONS,
};
use crate::archive::{history, search};
use crate::links::{change_diff_link, page_link, site_changes_link, site_link, version_link};
use crate::markup::http_url;
use crate::model::{Change, ChangeKind, PageState, Significance};
use crate::store::{ChangeFilter, FetchRow, PageRow, Store, VersionSpan};
use crate::when::{parse_when_ms, DayEdge};
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, Value};
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
pub(super) struct ChangeView {
    id: i64,
    detected_at: String,
    site: String,
    url: String,
    kind: &'static str,
    kind_label: &'static str,
    significance: &'static str,
    title: String,
    summary: String,
    from: Option<i64>,
    to: Option<i64>,
    http_status: Option<u16>,
    redirect_to: Option<String>,
    words_added: u64,
    words_removed: u64,
    page_href: String,
    diff_href: Option<String>,
    figures: Vec<String>,
    /// The fact changes: (label, before, after) as shown; `None` when added or removed.
    facts: Vec<(String, Option<String>, Option<String>)>,
}

impl From<Change> for ChangeView {
    fn from(c: Change) -> ChangeView {
        let diff_href = change_diff_link("", &c);
        let figures = c
            .detail
            .figures
            .iter()
            .take(10)
            .map(|f| {
                format!(
                    "{} → {}",
                    f.before.as_deref().unwrap_or("(none)"),
                    f.after.as_deref().unwrap_or("(none)")
                )
            })
            .collect();
        let facts = c
            .facts
            .iter()
            .take(20)
            .map(|f| {
                (
                    f.label.clone(),
                    crate::model::fact_before(f),
                    crate::model::fact_after(f),
                )
            })
            .collect();
        ChangeView {
            id: c.id,
            page_href: page_link("", &c.url),
            diff_href,
            detected_at: c.detected_at,
            site: c.site,
            url: c.url,
            kind: c.kind.as_str(),
            kind_label: c.kind.label(),
            significance: c.significance.as_str(),
            title: c.title,
            summary: c.summary,
            from: c.from,
            to: c.to,
            http_status: c.http_status,
            redirect_to: c.redirect_to,
            words_added: c.words_added,
            words_removed: c.words_removed,
            figures,
            facts,
        }
    }
}

#[derive(Serialize)]
pub(super) struct FetchView {
    id: i64,
    fetched_at: i64,
    purpose: String,
    first_status: Option<u16>,
    status: Option<u16>,
    final_url: Option<String>,
    hops: Vec<String>,
    error: Option<String>,
    duration_ms: i64,
    bytes: Option<u64>,
    truncated: bool,
    content_type: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
}

impl From<FetchRow> for FetchView {
    fn from(f: FetchRow) -> FetchView {
        let m = f.meta;
        FetchView {
            id: f.id,
            fetched_at: m.fetched_at,
            purpose: m.purpose.as_str().to_string(),
            first_status: m.first_status,
            status: m.status,
            final_url: m.final_url,
            hops: m
                .hops
                .into_iter()
                .take(20)
                .map(|(u, s)| format!("{s} {u}"))
                .collect(),
            error: m.error,
            duration_ms: m.duration_ms,
            bytes: f.bytes,
            truncated: m.truncated,
            content_type: m.content_type,
            etag: m.etag,
            last_modified: m.last_modified,
        }
    }
}

#[derive(Serialize)]
pub(super) struct PageHead {
    id: i64,
    url: String,
    href: Option<String>,
    page_href: String,
    state: &'static str,
    redirect_to: Option<String>,
    first_seen: i64,
    is_document: bool,
}

impl From<&PageRow> for PageHead {
    fn from(p: &PageRow) -> PageHead {
        PageHead {
            id: p.id,
            url: p.url.clone(),
            href: http_url(&p.url),
            page_href: page_link("", &p.url),
            state: p.state.as_str(),
            redirect_to: p.redirect_to.clone(),
            first_seen: p.first_seen,
            is_document: p.is_document,
        }
    }
}

/// One timeline row: consecutive versions with the same extracted text (bodies that differ
/// only in noise such as a rotating token) collapsed into one span.
#[derive(Serialize)]
struct TimelineRow {
    /// The version the row stands for in the diff picker (the newest of the span).
    id: i64,
    /// Every version of the span, oldest first (bounded).
    versions: Vec<i64>,
    more_versions: usize,
    title: String,
    first_seen: i64,
    last_seen: i64,
    checks: u64,
    size: u64,
    sha256: String,
    content_type: Option<String>,
}

fn timeline_rows(versions: &[VersionSpan]) -> Vec<TimelineRow> {
    let mut rows: Vec<(Option<i64>, TimelineRow)> = Vec::new();
    for v in versions {
        if let Some((text_id, row)) = rows.last_mut() {
            if text_id.is_some() && *text_id == v.text_id && row.title == v.title {
                row.id = v.id;
                if row.versions.len() < 20 {
                    row.versions.push(v.id);
                } else {
                    row.more_versions += 1;
                }
                row.last_seen = row.last_seen.max(v.last_seen);
                row.first_seen = row.first_seen.min(v.first_seen);
                row.checks += v.seen_count;
                row.size = v.body_size;
                row.sha256 = v.sha256_hex();
                row.content_type.clone_from(&v.content_type);
                continue;
            }
        }
        rows.push((
            v.text_id,
            TimelineRow {
                id: v.id,
                versions: vec![v.id],
                more_versions: 0,
                title: v.title.clone(),
                first_seen: v.first_seen,
                last_seen: v.last_seen,
                checks: v.seen_count,
                size: v.body_size,
                sha256: v.sha256_hex(),
                content_type: v.content_type.clone(),
            },
        ));
    }
    rows.into_iter().map(|(_, r)| r).collect()
}

pub(super) async fn index(State(app): State<Arc<App>>) -> Response {
    run_view(app, |app, store| {
        let sites = store.site_overview()?;
        let last_run = store.last_run()?;
        let recent: Vec<ChangeView> = store
            .changes(&ChangeFilter {
                newest_first: true,
                limit: Some(u64::from(RECENT_CHANGES)),
                ..Default::default()
            })?
            .into_iter()
            .map(ChangeView::from)
            .collect();
        let sites: Vec<Value> = sites
            .into_iter()
            .map(|s| {
                let name = s.site.name.clone();
                context! {
                    href => site_link("", &name, None),
                    changes_href => site_changes_link("", &name),
                    baseline_at => s.site.baseline_at,
                    name => name.clone(),
                    pages => s.pages,
                    documents => s.documents,
                    states => s.states.iter().map(|(state, n)| context! {
                        state => state.as_str(),
                        n => n,
                        href => site_link("", &name, Some(state.as_str())),
                    }).collect::<Vec<_>>(),
                    last_run => s.last_run.map(|r| context! {
                        run_id => r.run_id,
                        outcome => r.record.outcome.as_str(),
                        pages => r.record.pages,
                        fetched => r.record.fetched,
                        failed => r.record.failed,
                        changes => r.record.changes,
                        error => r.record.error,
                        finished_at => r.finished_at,
                    }),
                }
            })
            .collect();
        let last_run = last_run.map(|r| {
            context! {
                id => r.id, command => r.command, started_at => r.started_at,
                finished_at => r.finished_at, summary => r.summary,
            }
        });
        Ok(app.render(
            StatusCode::OK,
            "index.html",
            context! { sites => sites, last_run => last_run, changes => recent },
        ))
    })
    .await
}

pub(super) async fn site_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    run_view(app, move |app, store| {
        let name = p
            .get("name")
            .ok_or_else(|| AppError::bad("Which site? Add ?name=… (the site's name)."))?;
        let site = store
            .find_site(name)?
            .ok_or_else(|| AppError::NotFound(format!("The archive has no site {name:?}.")))?;
        let state = p.get("state");
        let state_filter = match state {
            None => None,
            Some(s) => Some(
                s.parse::<PageState>()
                    .map_err(|e| AppError::bad(e.to_string()))?,
            ),
        };
        let offset = p.id("offset")?.unwrap_or(0).max(0) as u64;
        let (pages, total) = store.page_list(site.id, state_filter, offset, PAGES_PER_PAGE)?;
        let base = site_link("", name, state);
        let next = (offset + u64::from(PAGES_PER_PAGE) < total)
            .then(|| format!("{base}&offset={}", offset + u64::from(PAGES_PER_PAGE)));
        let prev = (offset > 0).then(|| {
            format!(
                "{base}&offset={}",
                offset.saturating_sub(u64::from(PAGES_PER_PAGE))
            )
        });
        let pages: Vec<Value> = pages
            .into_iter()
            .map(|pg| {
                context! {
                    url => pg.url.clone(),
                    href => page_link("", &pg.url),
                    state => pg.state.as_str(),
                    state_since => pg.state_since,
                    is_document => pg.is_document,
                    title => pg.title,
                    last_seen => pg.last_seen,
                }
            })
            .collect();
        Ok(app.render(
            StatusCode::OK,
            "site.html",
            context! {
                name => site.name, baseline_at => site.baseline_at, state => state,
                pages => pages, total => total, offset => offset, next => next, prev => prev,
                changes_href => site_changes_link("", name),
                all_href => site_link("", name, None),
            },
        ))
    })
    .await
}

pub(super) async fn changes_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    run_view(app, move |app, store| {
        let kind = match p.get("kind") {
            None => None,
            Some(k) => Some(k.parse::<ChangeKind>().map_err(|_| {
                AppError::bad(format!(
                    "kind={k:?} is not a change kind (one of {}).",
                    ChangeKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?),
        };
        let significance = match p.get("significance") {
            None => None,
            Some(s) => Some(
                s.parse::<Significance>()
                    .map_err(|e| AppError::bad(e.to_string()))?,
            ),
        };
        let since = p.get("since");
        let since_ms = match since {
            None => None,
            Some(s) => Some(parse_when_ms(s, DayEdge::Start).map_err(|e| {
                AppError::bad(format!("since: {e}"))
            })?),
        };
        let site = p.get("site").map(str::to_string);
        let before = p.id("before")?;
        let mut rows = store.changes(&ChangeFilter {
            before_id: before,
            since_ms,
            site: site.clone(),
            kind,
            significance,
            newest_first: true,
            limit: Some(u64::from(CHANGES_PER_PAGE) + 1),
            ..Default::default()
        })?;
        let more = rows.len() > CHANGES_PER_PAGE as usize;
        rows.truncate(CHANGES_PER_PAGE as usize);
        let mut filter = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("kind", kind.map(|k| k.as_str().to_string())),
            ("significance", significance.map(|s| s.as_str().to_string())),
            ("site", site.clone()),
            ("since", since.map(str::to_string)),
        ] {
            if let Some(v) = v {
                filter.append_pair(k, &v);
            }
        }
        let filter = filter.finish();
        let older = match rows.last() {
            Some(last) if more => Some(if filter.is_empty() {
                format!("/changes?before={}", last.id)
            } else {
                format!("/changes?{filter}&before={}", last.id)
            }),
            _ => None,
        };
        let site_names: Vec<String> = store.sites()?.into_iter().map(|s| s.name).collect();
        let changes: Vec<ChangeView> = rows.into_iter().map(ChangeView::from).collect();
        Ok(app.render(
            StatusCode::OK,
            "changes.html",
            context! {
                changes => changes,
                older => older,
                paged => before.is_some(),
                first_href => if filter.is_empty() { "/changes".to_string() } else { format!("/changes?{filter}") },
                kinds => ChangeKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                sites => site_names,
                sel => context! {
                    kind => kind.map(|k| k.as_str()).unwrap_or(""),
                    significance => significance.map(|s| s.as_str()).unwrap_or(""),
                    site => site.unwrap_or_default(),
                    since => since.unwrap_or(""),
                },
            },
        ))
    })
    .await
}

/// The page at what the user typed, found exactly as `quietwatch history URL` finds it.
pub(super) fn page_by_url(store: &Store, url: &str) -> Result<PageRow, AppError> {
    Ok(history::find_page(store, url)?)
}

pub(super) async fn page_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    run_view(app, move |app, store| {
        let url = p
            .get("url")
            .ok_or_else(|| AppError::bad("Which page? Add ?url=… (the page's address)."))?;
        let page = page_by_url(store, url)?;
        // The picker's rows are serve's own, not `history`'s collapsed runs: those are runs of
        // *fetches* (a version shows again after an outage, interleaved with changes), drawn
        // from every fetch and version of the page (`history::page_history` is unbounded),
        // while a picker needs one row per distinct text from a bounded query.
        let (versions, total_versions) =
            store.latest_versions_of_page(page.id, TIMELINE_VERSIONS)?;
        let rows = timeline_rows(&versions);
        // Everything on a timeline reads oldest first, like `history` (and so the picker's
        // form submits `from` before `to`); the queries take the newest N.
        let changes: Vec<ChangeView> = store
            .changes(&ChangeFilter {
                page_id: Some(page.id),
                newest_first: true,
                limit: Some(u64::from(TIMELINE_CHANGES)),
                ..Default::default()
            })?
            .into_iter()
            .rev()
            .map(ChangeView::from)
            .collect();
        let (fetch_count, first_fetch, last_fetch) = store.fetch_span_of_page(page.id)?;
        let problems: Vec<FetchView> = store
            .problem_fetches_of_page(page.id, TIMELINE_PROBLEMS)?
            .into_iter()
            .rev()
            .map(FetchView::from)
            .collect();
        let site = store.site_of_page(page.id)?.map(|s| s.name);
        // The picker starts on the last two distinct texts.
        let to_default = rows.last().map(|r| r.id);
        let from_default = rows
            .len()
            .checked_sub(2)
            .and_then(|i| rows.get(i))
            .map(|r| r.id)
            .or(to_default);
        Ok(app.render(
            StatusCode::OK,
            "page.html",
            context! {
                page => PageHead::from(&page),
                site => site.clone(),
                site_href => site.map(|s| site_link("", &s, None)),
                rows => rows,
                total_versions => total_versions,
                shown_versions => versions.len(),
                from_default => from_default,
                to_default => to_default,
                changes => changes,
                problems => problems,
                fetch_count => fetch_count,
                first_fetch => first_fetch,
                last_fetch => last_fetch,
            },
        ))
    })
    .await
}

pub(super) async fn search_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    run_view(app, move |app, store| {
        let Some(q) = p.get("q").map(str::to_string) else {
            return Ok(app.render(
                StatusCode::OK,
                "search.html",
                context! { q => "", searched => false, hits => Vec::<Value>::new(), capped => false, total => 0 },
            ));
        };
        if q.len() > 1000 {
            return Err(AppError::bad("That search is too long (1000 characters at most)."));
        }
        let hits = search::search(store, &q)?;
        let total = hits.len();
        let hits: Vec<Value> = hits
            .into_iter()
            .take(SEARCH_PAGES)
            .map(|h| {
                context! {
                    href => page_link("", &h.url),
                    url => h.url,
                    site => h.site,
                    state => h.page_state.as_str(),
                    state_since => h.state_since,
                    title => h.title,
                    first_seen => h.first_seen,
                    last_seen => h.last_seen,
                    versions => h.version_ids.len(),
                    first_version_href => h.version_ids.first().map(|v| version_link("", *v)),
                    there_now => h.present_now,
                    in_latest => h.in_latest,
                    gone_since => h.gone_since,
                    gone_in_version => h.gone_in_version,
                    gone_href => h.gone_in_version.map(|v| version_link("", v)),
                }
            })
            .collect();
        Ok(app.render(
            StatusCode::OK,
            "search.html",
            context! { q => q, searched => true, capped => total > hits.len(), total => total, hits => hits },
        ))
    })
    .await
}

pub(super) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../templates/serve/style.css"),
    )
        .into_response()
}

pub(super) async fn not_found(State(app): State<Arc<App>>) -> Response {
    AppError::NotFound("There is nothing at this address.".to_string()).render(&app)
}
