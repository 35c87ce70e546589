//! `quietwatch serve`: a read-only local web UI over the archive — a small Wayback Machine for
//! the pages a team watches.
//!
//! Why it looks like this:
//! - **Every view is a GET permalink** (`/page?url=…`, `/diff?url=…&from=17&to=93`, …) so a
//!   journalist can cite a URL, and the version picker is a plain HTML form submitted by GET.
//!   No JavaScript at all.
//! - **Stored page text is hostile.** Templates are minijinja with HTML auto-escaping; every
//!   response carries a Content-Security-Policy that forbids scripts outright
//!   (`default-src 'none'`), so even an escaping bug could not run stored script. The raw
//!   bytes a server sent are only ever offered as an `application/octet-stream` attachment,
//!   never rendered.
//! - **It runs beside cron.** Each request borrows a read-only SQLite connection (with a busy
//!   timeout) from a small pool; under WAL a crawl writing the same file never blocks it and
//!   it never blocks the crawl. Database work runs on tokio's blocking pool.
//! - **One answer per question.** A page is found by [`crate::history::find_page`] (URL,
//!   alias, trailing-slash twin, fragment), the search is [`crate::history::search`] and a
//!   diff is [`crate::diff`]'s, so the web UI, the CLI, detection and the digest never
//!   disagree about what a page said or how much of it changed.
//! - **Bounded work.** Every list has a LIMIT (changes are keyset-paginated), a view costs a
//!   fixed handful of statements (no query per row), diffs run under `crate::diff`'s
//!   deadlines on capped input and produce a capped number of rows.
//! - **Loopback by default.** The archive may hold material a team has not published; binding
//!   elsewhere is allowed but logged as a warning.

use crate::diff::{DiffLine, LineDiff};
use crate::history::{self, HistoryError};
use crate::model::{Change, ChangeKind, Segment, Significance};
use crate::store::{format_ms, ChangeFilter, FetchRow, PageRow, Store, StoreError, VersionBrief};
use crate::when::{parse_when_ms, DayEdge};
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The Content-Security-Policy of every response: no scripts, no frames, no foreign
/// anything; styles and images only from this server, forms only to this server.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Changes per page of `/changes`.
const CHANGES_PER_PAGE: u32 = 100;
/// Recent changes on the front page.
const RECENT_CHANGES: u32 = 20;
/// Pages per page of `/site`.
const PAGES_PER_PAGE: u32 = 200;
/// Versions shown on a timeline (the newest ones).
const TIMELINE_VERSIONS: u32 = 1000;
/// Changes shown on a timeline (the newest ones).
const TIMELINE_CHANGES: u32 = 200;
/// Problem fetches shown on a timeline (the newest ones).
const TIMELINE_PROBLEMS: u32 = 100;
/// Pages a search lists (in the CLI's order, by URL); the rest are counted.
const SEARCH_PAGES: usize = 200;
/// Linked documents listed on a version page.
const MAX_DOCUMENTS_SHOWN: usize = 200;
/// Bytes of extracted text shown on a version page.
const MAX_TEXT_SHOWN: usize = 2_000_000;
/// Bytes of each side fed to the diff.
const MAX_DIFF_INPUT: usize = 1_000_000;
/// Lines a diff view renders (each is one inline row; side by side has at most as many).
const MAX_DIFF_LINES: usize = 5000;
/// Unchanged lines kept around each change in a diff.
const DIFF_CONTEXT: usize = 3;
/// Idle read-only connections kept for reuse.
const POOL_SIZE: usize = 4;

/// What `quietwatch serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub db: PathBuf,
    pub listen: SocketAddr,
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("web server failed: {0}")]
    Io(#[source] std::io::Error),
}

/// Runs the web UI until `shutdown` resolves. The archive must exist (a missing file is an
/// error here, not a page of 503s); a non-loopback address is served but warned about.
pub async fn serve(
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let db = opts.db.clone();
    tokio::task::spawn_blocking(move || Store::open_readonly(&db).map(drop))
        .await
        .map_err(|e| ServeError::Io(std::io::Error::other(e)))??;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Io)?;
    if !addr.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "serving the archive on a non-loopback address: anyone who can reach it can read every stored page"
        );
    }
    tracing::info!(db = %opts.db.display(), "serving the archive on http://{addr}/");
    axum::serve(listener, router(opts.db))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Io)
}

/// The web UI's routes over the archive at `db`, which is opened read-only on demand (so a
/// router can be built before the first crawl; until then every view answers 503).
pub fn router(db: PathBuf) -> Router {
    let state = Arc::new(App {
        db,
        env: templates(),
        pool: Mutex::new(Vec::new()),
    });
    Router::new()
        .route("/", get(index))
        .route("/site", get(site_view))
        .route("/changes", get(changes_view))
        .route("/page", get(page_view))
        .route("/version/{id}", get(version_view))
        .route("/version/{id}/raw", get(raw_view))
        .route("/diff", get(diff_view))
        .route("/search", get(search_view))
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

// ---------------------------------------------------------------- permalinks

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The timeline of the page at `url`: `{base}/page?url=…`.
pub fn page_link(base: &str, url: &str) -> String {
    format!("{}/page?url={}", base.trim_end_matches('/'), enc(url))
}

/// The diff of two versions of a page: `{base}/diff?url=…&from=…&to=…`.
pub fn diff_link(base: &str, url: &str, from: i64, to: i64) -> String {
    format!(
        "{}/diff?url={}&from={from}&to={to}",
        base.trim_end_matches('/'),
        enc(url)
    )
}

/// One version's text: `{base}/version/{id}`.
pub fn version_link(base: &str, id: i64) -> String {
    format!("{}/version/{id}", base.trim_end_matches('/'))
}

/// The diff view of a change, when it has two different versions to compare (a `changed`,
/// a `moved`…); `None` for a change with a single version (`removed`, `added`…). The digest
/// shows it beside the page's timeline ([`page_link`]).
pub fn change_diff_link(base: &str, change: &Change) -> Option<String> {
    match (change.from, change.to) {
        (Some(from), Some(to)) if from != to => Some(diff_link(base, &change.url, from, to)),
        _ => None,
    }
}

/// The one view a change should link to (with `[digest] archive_url` as `base`): the diff
/// when the change has two versions, else the page's timeline.
pub fn change_link(base: &str, change: &Change) -> String {
    change_diff_link(base, change).unwrap_or_else(|| page_link(base, &change.url))
}

// ---------------------------------------------------------------- state, errors, plumbing

struct App {
    db: PathBuf,
    env: Environment<'static>,
    pool: Mutex<Vec<Store>>,
}

impl App {
    fn checkout(&self) -> Result<Store, AppError> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        match pooled {
            Some(s) => Ok(s),
            None => Ok(Store::open_readonly(&self.db)?),
        }
    }

    fn checkin(&self, store: Store) {
        if let Ok(mut p) = self.pool.lock() {
            if p.len() < POOL_SIZE {
                p.push(store);
            }
        }
    }

    fn render(&self, status: StatusCode, name: &str, ctx: Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => html_response(status, html),
            Err(e) => {
                tracing::error!(template = name, error = %e, "template failed");
                html_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Error</title><p>This page could not be rendered; see the server log.</p>".to_string(),
                )
            }
        }
    }
}

fn html_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// A view's failure, shown as a page of its own.
#[derive(Debug)]
enum AppError {
    NotFound(String),
    BadRequest {
        message: String,
        /// A suggestion: (link, label).
        hint: Option<(String, String)>,
    },
    Unavailable(String),
    Internal,
}

impl AppError {
    fn bad(message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            message: message.into(),
            hint: None,
        }
    }

    fn render(self, app: &App) -> Response {
        let (status, title, message, hint) = match self {
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m, None),
            AppError::BadRequest { message, hint } => {
                (StatusCode::BAD_REQUEST, "Bad request", message, hint)
            }
            AppError::Unavailable(m) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Archive unavailable",
                m,
                None,
            ),
            AppError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error",
                "The archive could not be read; the server log says why.".to_string(),
                None,
            ),
        };
        let ctx = context! {
            title => title,
            status => status.as_u16(),
            message => message,
            hint => hint.map(|(href, label)| context!{ href => href, label => label }),
        };
        app.render(status, "error.html", ctx)
    }
}

/// A search the full-text index cannot parse, with a link to the same words as a phrase.
fn bad_query(query: &str, message: &str) -> AppError {
    AppError::BadRequest {
        message: format!(
            "The search {query:?} is not a valid query ({message}). Plain words and punctuation are searched as a phrase; \"quoted phrases\", prefix* and AND / OR / NOT combine them."
        ),
        hint: Some((
            format!("/search?q={}", enc(&format!("\"{}\"", query.replace('"', "")))),
            "Search for it as a phrase".to_string(),
        )),
    }
}

impl From<HistoryError> for AppError {
    fn from(e: HistoryError) -> AppError {
        match e {
            HistoryError::Store(e) => AppError::from(e),
            HistoryError::UnknownPage { url } => AppError::NotFound(format!(
                "The archive has no page at {url}. Check the address, or search the archive's text."
            )),
            HistoryError::BadQuery { query, message } => bad_query(&query, &message),
            HistoryError::EmptyQuery => AppError::bad("Type some words to search for."),
            e @ (HistoryError::NoVersions { .. }
            | HistoryError::NoVersionYet { .. }
            | HistoryError::NotEnoughVersions { .. }) => AppError::NotFound(e.to_string()),
            e @ (HistoryError::Sqlite(_)
            | HistoryError::BodyMissing { .. }
            | HistoryError::BodyMismatch { .. }) => {
                tracing::error!(error = %e, "archive read failed");
                AppError::Internal
            }
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::BadQuery { query, message } => bad_query(&query, &message),
            StoreError::Missing(path) => AppError::Unavailable(format!(
                "The archive {} does not exist yet: run `quietwatch crawl` first.",
                path.display()
            )),
            other => {
                tracing::error!(error = %other, "archive read failed");
                AppError::Internal
            }
        }
    }
}

type ViewResult = Result<Response, AppError>;

/// Runs a view on the blocking pool with a pooled read-only connection.
async fn run_view<F>(app: Arc<App>, view: F) -> Response
where
    F: FnOnce(&App, &Store) -> ViewResult + Send + 'static,
{
    let worker = app.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let store = worker.checkout()?;
        let out = view(&worker, &store);
        // A connection that failed may be broken; only good ones go back to the pool.
        if !matches!(out, Err(AppError::Internal)) {
            worker.checkin(store);
        }
        out
    })
    .await;
    match joined {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => e.render(&app),
        Err(e) => {
            tracing::error!(error = %e, "view panicked or was cancelled");
            AppError::Internal.render(&app)
        }
    }
}

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// The query string as (name, value) pairs; lenient (bad percent-encoding becomes U+FFFD).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<String>) -> Params {
        Params(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first non-blank value of `name`, trimmed.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    fn id(&self, name: &str) -> Result<Option<i64>, AppError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| AppError::bad(format!("{name}={v:?} is not a number."))),
        }
    }
}

// ---------------------------------------------------------------- templates

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(html_formatter);
    let sources: [(&str, &str); 10] = [
        ("base.html", include_str!("../templates/serve/base.html")),
        (
            "changes_list.html",
            include_str!("../templates/serve/changes_list.html"),
        ),
        ("index.html", include_str!("../templates/serve/index.html")),
        ("site.html", include_str!("../templates/serve/site.html")),
        (
            "changes.html",
            include_str!("../templates/serve/changes.html"),
        ),
        ("page.html", include_str!("../templates/serve/page.html")),
        (
            "version.html",
            include_str!("../templates/serve/version.html"),
        ),
        ("diff.html", include_str!("../templates/serve/diff.html")),
        (
            "search.html",
            include_str!("../templates/serve/search.html"),
        ),
        ("error.html", include_str!("../templates/serve/error.html")),
    ];
    for (name, src) in sources {
        if let Err(e) = env.add_template(name, src) {
            // Templates are compiled into the binary; the unit tests render every one.
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env.add_filter("when", when_filter);
    env.add_filter("bytes", |n: u64| human_bytes(n));
    env
}

/// minijinja's escaping formatter, except that plain strings escape only `& < > " '` (all
/// HTML needs, in text and in quoted attributes): its default also turns `/` into `&#x2f;`,
/// which made every URL in the markup unreadable.
fn html_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            let mut escaped = String::with_capacity(text.len() + text.len() / 8);
            for c in text.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#39;"),
                    other => escaped.push(other),
                }
            }
            out.write_str(&escaped).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
            })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// A stored time (milliseconds, or an RFC 3339 string) as `<time>` in UTC, "Z" and "UTC"
/// both shown; "—" for none.
fn when_filter(v: Value) -> Value {
    let ms = if let Some(i) = v.as_i64() {
        Some(i)
    } else {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_millis())
    };
    match ms.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) {
        Some(t) => Value::from_safe_string(format!(
            "<time datetime=\"{}\">{}</time>",
            format_ms(t.timestamp_millis()),
            t.format("%Y-%m-%d %H:%M:%S UTC")
        )),
        None => Value::from("—"),
    }
}

fn human_bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

/// Only http(s) URLs become links; anything else stored as a URL is shown as text.
fn external(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| url.to_string())
}

// ---------------------------------------------------------------- view models

#[derive(Serialize)]
struct ChangeView {
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
        }
    }
}

#[derive(Serialize)]
struct FetchView {
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
        FetchView {
            id: f.id,
            fetched_at: f.fetched_at,
            purpose: f.purpose,
            first_status: f.first_status,
            status: f.status,
            final_url: f.final_url,
            hops: f
                .hops
                .into_iter()
                .take(20)
                .map(|(u, s)| format!("{s} {u}"))
                .collect(),
            error: f.error,
            duration_ms: f.duration_ms,
            bytes: f.bytes,
            truncated: f.truncated,
            content_type: f.content_type,
            etag: f.etag,
            last_modified: f.last_modified,
        }
    }
}

#[derive(Serialize)]
struct PageHead {
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
            href: external(&p.url),
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

fn timeline_rows(versions: &[VersionBrief]) -> Vec<TimelineRow> {
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
                row.size = v.size;
                row.sha256.clone_from(&v.sha256);
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
                size: v.size,
                sha256: v.sha256.clone(),
                content_type: v.content_type.clone(),
            },
        ));
    }
    rows.into_iter().map(|(_, r)| r).collect()
}

// ---------------------------------------------------------------- views

async fn index(State(app): State<Arc<App>>) -> Response {
    run_view(app, |app, store| {
        let sites = store.serve_site_overview()?;
        let last_run = store.serve_last_run()?;
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
                context! {
                    name => s.name.clone(),
                    href => format!("/site?name={}", enc(&s.name)),
                    changes_href => format!("/changes?site={}", enc(&s.name)),
                    baseline_at => s.baseline_at,
                    pages => s.pages,
                    documents => s.documents,
                    states => s.states.iter().map(|(state, n)| context! {
                        state => state,
                        n => n,
                        href => format!("/site?name={}&state={}", enc(&s.name), enc(state)),
                    }).collect::<Vec<_>>(),
                    last_run => s.last_run.map(|r| context! {
                        run_id => r.run_id,
                        outcome => r.outcome,
                        pages => r.pages,
                        fetched => r.fetched,
                        failed => r.failed,
                        changes => r.changes,
                        error => r.error,
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

async fn site_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    run_view(app, move |app, store| {
        let name = p
            .get("name")
            .ok_or_else(|| AppError::bad("Which site? Add ?name=… (the site's name)."))?;
        let site = store
            .find_site(name)?
            .ok_or_else(|| AppError::NotFound(format!("The archive has no site {name:?}.")))?;
        let state = p.get("state");
        let offset = p.id("offset")?.unwrap_or(0).max(0) as u64;
        let (pages, total) = store.serve_pages_of_site(site.id, state, offset, PAGES_PER_PAGE)?;
        let base = match state {
            Some(s) => format!("/site?name={}&state={}", enc(name), enc(s)),
            None => format!("/site?name={}", enc(name)),
        };
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
                    state => pg.state,
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
                changes_href => format!("/changes?site={}", enc(name)),
                all_href => format!("/site?name={}", enc(name)),
            },
        ))
    })
    .await
}

async fn changes_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    run_view(app, move |app, store| {
        let kind = match p.get("kind") {
            None => None,
            Some(k) => Some(k.parse::<ChangeKind>().map_err(|_| {
                AppError::bad(format!(
                    "kind={k:?} is not a change kind (one of {}).",
                    ChangeKind::ALL.map(|k| k.as_str()).join(", ")
                ))
            })?),
        };
        let significance = match p.get("significance") {
            None => None,
            Some(s) => Some(s.parse::<Significance>().map_err(AppError::bad)?),
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
                kinds => ChangeKind::ALL.map(|k| k.as_str()).to_vec(),
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
fn page_by_url(store: &Store, url: &str) -> Result<PageRow, AppError> {
    Ok(history::find_page(store, url)?)
}

async fn page_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
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
        let (versions, total_versions) = store.serve_version_briefs(page.id, TIMELINE_VERSIONS)?;
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
        let (fetch_count, first_fetch, last_fetch) = store.serve_fetch_stats(page.id)?;
        let problems: Vec<FetchView> = store
            .serve_fetch_problems(page.id, TIMELINE_PROBLEMS)?
            .into_iter()
            .rev()
            .map(FetchView::from)
            .collect();
        let site = store
            .sites()?
            .into_iter()
            .find(|s| s.id == page.site_id)
            .map(|s| s.name);
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
                site_href => site.map(|s| format!("/site?name={}", enc(&s))),
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

/// Which of `urls` are pages of the archive (a linked document may be out of scope or denied
/// and never fetched: a link to its timeline would be a 404). One statement.
fn archived_urls(
    store: &Store,
    urls: &[&String],
) -> Result<std::collections::HashSet<String>, AppError> {
    if urls.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT url FROM pages WHERE url IN ({})",
        vec!["?"; urls.len()].join(",")
    );
    let read = || -> rusqlite::Result<std::collections::HashSet<String>> {
        let mut st = store.conn().prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(urls.iter()), |r| r.get(0))?;
        rows.collect()
    };
    read().map_err(|e| {
        tracing::error!(error = %e, "archive read failed");
        AppError::Internal
    })
}

fn version_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .map_err(|_| AppError::NotFound(format!("There is no version {raw:?}.")))
}

async fn version_view(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    run_view(app, move |app, store| {
        let id = version_id(&id)?;
        let v = store
            .version(id)?
            .ok_or_else(|| AppError::NotFound(format!("The archive has no version {id}.")))?;
        let page = store
            .page(v.page_id)?
            .ok_or_else(|| AppError::NotFound(format!("Version {id} has no page.")))?;
        let fetch = store
            .serve_version_first_fetch(page.id, v.id)?
            .map(FetchView::from);
        let (prev, next) = store.serve_neighbour_versions(page.id, v.id)?;
        let (text, truncated) = cap_str(&v.text, MAX_TEXT_SHOWN);
        let documents: Vec<&String> = v.documents.iter().take(MAX_DOCUMENTS_SHOWN).collect();
        let archived = archived_urls(store, &documents)?;
        Ok(app.render(
            StatusCode::OK,
            "version.html",
            context! {
                page => PageHead::from(&page),
                v => context! {
                    id => v.id,
                    title => v.title,
                    content_type => v.content_type,
                    size => v.body_size,
                    sha256 => hex::encode(v.body_sha256),
                    first_seen => v.first_seen,
                    last_seen => v.last_seen,
                    seen_count => v.seen_count,
                    documents => documents.iter().map(|d| context! {
                        url => d, href => external(d),
                        page_href => archived.contains(d.as_str()).then(|| page_link("", d)),
                    }).collect::<Vec<_>>(),
                    links => v.links.len(),
                },
                text => text,
                truncated => truncated,
                text_len => v.text.len(),
                fetch => fetch,
                raw_href => format!("/version/{}/raw", v.id),
                prev_href => prev.map(|p| version_link("", p)),
                next_href => next.map(|n| version_link("", n)),
                diff_prev_href => prev.map(|p| diff_link("", &page.url, p, v.id)),
            },
        ))
    })
    .await
}

async fn raw_view(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    run_view(app, move |_app, store| {
        let id = version_id(&id)?;
        let (body_id, url, content_type) = store
            .serve_version_raw_ref(id)?
            .ok_or_else(|| AppError::NotFound(format!("The archive has no version {id}.")))?;
        // Evidence is handed over only if it is still the bytes that were recorded: a body
        // that no longer matches its hash is a store error, answered 500 and logged.
        let (body, found) = store
            .verified_body(body_id)?
            .ok_or_else(|| AppError::NotFound(format!("Version {id} has no stored body.")))?;
        let sha = hex::encode(found);
        let name = attachment_name(&url, id, content_type.as_deref());
        let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
        let mut resp = (StatusCode::OK, body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        h.insert(header::CONTENT_DISPOSITION, disposition);
        if let Ok(v) = HeaderValue::from_str(&sha) {
            h.insert(HeaderName::from_static("x-content-sha256"), v);
        }
        if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
            // What the server declared, for the record; the browser still gets octet-stream.
            h.insert(HeaderName::from_static("x-original-content-type"), ct);
        }
        Ok(resp)
    })
    .await
}

/// A safe download name: the URL's last path segment (or host), the version id and an
/// extension from the declared content type, ASCII letters, digits, `.`, `-`, `_` only.
fn attachment_name(url: &str, version: i64, content_type: Option<&str>) -> String {
    let parsed = url::Url::parse(url).ok();
    let stem = parsed
        .as_ref()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.rfind(|seg| !seg.is_empty()).map(str::to_string))
                .or_else(|| u.host_str().map(str::to_string))
        })
        .unwrap_or_else(|| "page".to_string());
    let mut stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let ext = [
        ("html", "html"),
        ("pdf", "pdf"),
        ("wordprocessingml", "docx"),
        ("msword", "doc"),
        ("spreadsheetml", "xlsx"),
        ("ms-excel", "xls"),
        ("opendocument.text", "odt"),
        ("opendocument.spreadsheet", "ods"),
        ("csv", "csv"),
        ("xml", "xml"),
        ("json", "json"),
        ("text/plain", "txt"),
    ]
    .iter()
    .find(|(needle, _)| ct.contains(needle))
    .map(|(_, e)| *e)
    .unwrap_or("bin");
    if let Some(dot) = stem.rfind('.') {
        if stem[dot + 1..].eq_ignore_ascii_case(ext) {
            stem.truncate(dot);
        }
    }
    let stem = stem.trim_matches('.');
    let stem = if stem.is_empty() { "page" } else { stem };
    format!("{stem}-v{version}.{ext}")
}

async fn diff_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q);
    run_view(app, move |app, store| {
        let from = p.id("from")?;
        let to = p.id("to")?;
        let page = match p.get("url") {
            Some(url) => page_by_url(store, url)?,
            None => {
                let any = to.or(from).ok_or_else(|| {
                    AppError::bad("Which page? Add ?url=… and the two versions, from=… and to=….")
                })?;
                let v = store.serve_version_raw_ref(any)?.ok_or_else(|| {
                    AppError::NotFound(format!("The archive has no version {any}."))
                })?;
                page_by_url(store, &v.1)?
            }
        };
        // Defaults as the CLI's `diff`: the last two versions.
        let (to, from) = match (from, to) {
            (Some(f), Some(t)) => (t, f),
            _ => {
                let (latest, _) = store.serve_version_briefs(page.id, 2)?;
                let newest = latest.last().map(|v| v.id);
                let older = latest.first().map(|v| v.id);
                let t = to.or(newest).ok_or_else(|| {
                    AppError::NotFound(format!("{} has no stored version.", page.url))
                })?;
                (t, from.or(older).unwrap_or(t))
            }
        };
        let load = |id: i64| -> Result<crate::store::VersionRow, AppError> {
            match store.version(id)? {
                Some(v) if v.page_id == page.id => Ok(v),
                Some(_) => Err(AppError::NotFound(format!(
                    "Version {id} is not a version of {}.",
                    page.url
                ))),
                None => Err(AppError::NotFound(format!(
                    "The archive has no version {id}."
                ))),
            }
        };
        let old = load(from)?;
        let new = load(to)?;
        let d = diff_view_model(&old.text, &new.text);
        let head = |v: &crate::store::VersionRow| {
            context! {
                id => v.id, title => v.title.clone(), first_seen => v.first_seen,
                last_seen => v.last_seen, seen_count => v.seen_count,
                sha256 => hex::encode(v.body_sha256), size => v.body_size,
                href => version_link("", v.id),
            }
        };
        Ok(app.render(
            StatusCode::OK,
            "diff.html",
            context! {
                page => PageHead::from(&page),
                old => head(&old),
                new => head(&new),
                same_bytes => old.body_sha256 == new.body_sha256,
                title_changed => old.title != new.title,
                d => d,
                swap_href => diff_link("", &page.url, new.id, old.id),
            },
        ))
    })
    .await
}

async fn search_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
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
        let hits = history::search(store, &q)?;
        let total = hits.len();
        let hits: Vec<Value> = hits
            .into_iter()
            .take(SEARCH_PAGES)
            .map(|h| {
                context! {
                    href => page_link("", &h.url),
                    url => h.url,
                    site => h.site,
                    state => h.page_state,
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

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../templates/serve/style.css"),
    )
        .into_response()
}

async fn not_found(State(app): State<Arc<App>>) -> Response {
    AppError::NotFound("There is nothing at this address.".to_string()).render(&app)
}

// ---------------------------------------------------------------- diff view

/// A side-by-side and an inline rendering of [`LineDiff::hunks`].
#[derive(Debug, Default, Serialize)]
struct DiffView {
    /// Side-by-side rows: a removed line beside the added line that replaced it.
    side: Vec<SideRow>,
    /// Inline rows: removed then added lines, in order.
    inline: Vec<InlineRow>,
    /// Counted by [`LineDiff::stats`] over the whole texts, as detection counts them.
    words_added: u64,
    words_removed: u64,
    lines_added: u64,
    lines_removed: u64,
    identical: bool,
    /// Input or output was cut to stay bounded.
    truncated: bool,
    /// The diff hit its deadline and is coarser than it could be.
    timed_out: bool,
}

#[derive(Debug, Serialize)]
struct Cell {
    n: usize,
    /// "eq", "del" or "ins".
    tag: &'static str,
    segs: Vec<Segment>,
}

#[derive(Debug, Serialize)]
struct SideRow {
    /// Unchanged lines skipped here (a gap row when > 0).
    gap: usize,
    left: Option<Cell>,
    right: Option<Cell>,
}

#[derive(Debug, Serialize)]
struct InlineRow {
    gap: usize,
    old_n: Option<usize>,
    new_n: Option<usize>,
    /// "eq", "del" or "ins"; empty for a gap.
    tag: &'static str,
    segs: Vec<Segment>,
}

fn cap_str(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    (s.get(..end).unwrap_or(""), true)
}

/// Lays [`LineDiff::hunks`] out for the diff page: gaps for the unchanged lines left out,
/// each removed line beside the added line that replaced it, and a line added, removed or
/// rewritten outright marked whole.
fn diff_view_model(old: &str, new: &str) -> DiffView {
    let mut view = DiffView::default();
    if old == new {
        view.identical = true;
        return view;
    }
    let (old, cut_old) = cap_str(old, MAX_DIFF_INPUT);
    let (new, cut_new) = cap_str(new, MAX_DIFF_INPUT);
    // One line diff, read twice: the counts (as detection counts) and the lines shown.
    let line_diff = LineDiff::new(old, new);
    let stats = line_diff.stats();
    view.words_added = stats.words_added;
    view.words_removed = stats.words_removed;
    view.lines_added = stats.lines_added;
    view.lines_removed = stats.lines_removed;
    let h = line_diff.hunks(DIFF_CONTEXT, MAX_DIFF_LINES);
    view.truncated = cut_old || cut_new || h.truncated;
    view.timed_out = h.coarse;
    for hunk in h.hunks {
        push_gap(&mut view, hunk.skipped);
        // Removed lines wait for the added lines that follow them, to be shown side by side.
        let mut dels: Vec<Cell> = Vec::new();
        let mut inss: Vec<Cell> = Vec::new();
        for line in hunk.lines {
            let cell = cell(line);
            view.inline.push(InlineRow {
                gap: 0,
                old_n: (cell.tag != "ins").then_some(cell.old_n),
                new_n: (cell.tag != "del").then_some(cell.new_n),
                tag: cell.tag,
                segs: cell.segs.clone(),
            });
            match cell.tag {
                "del" => {
                    if !inss.is_empty() {
                        pair_up(&mut view, &mut dels, &mut inss);
                    }
                    dels.push(Cell {
                        n: cell.old_n,
                        tag: "del",
                        segs: cell.segs,
                    });
                }
                "ins" => inss.push(Cell {
                    n: cell.new_n,
                    tag: "ins",
                    segs: cell.segs,
                }),
                _ => {
                    pair_up(&mut view, &mut dels, &mut inss);
                    view.side.push(SideRow {
                        gap: 0,
                        left: Some(Cell {
                            n: cell.old_n,
                            tag: "eq",
                            segs: cell.segs.clone(),
                        }),
                        right: Some(Cell {
                            n: cell.new_n,
                            tag: "eq",
                            segs: cell.segs,
                        }),
                    });
                }
            }
        }
        pair_up(&mut view, &mut dels, &mut inss);
    }
    push_gap(&mut view, h.skipped_after);
    view
}

/// One diff line as the templates show it.
struct LineCell {
    tag: &'static str,
    old_n: usize,
    new_n: usize,
    segs: Vec<Segment>,
}

fn cell(line: DiffLine) -> LineCell {
    let tag = match line.tag {
        '-' => "del",
        '+' => "ins",
        _ => "eq",
    };
    let mut segs = line.segments;
    // A line added, removed or rewritten outright carries no emphasis from the word diff:
    // mark all of it, so the page shows it struck out or inserted like any changed word. (A
    // removed line of a block that only gained words has no emphasis either, and keeps none.)
    if line.whole && tag != "eq" {
        segs.iter_mut().for_each(|s| s.emphasised = true);
    }
    LineCell {
        tag,
        old_n: line.old_line.unwrap_or(0),
        new_n: line.new_line.unwrap_or(0),
        segs,
    }
}

/// Side by side: the i-th removed line of a block beside its i-th added line.
fn pair_up(view: &mut DiffView, dels: &mut Vec<Cell>, inss: &mut Vec<Cell>) {
    let mut d = dels.drain(..);
    let mut i = inss.drain(..);
    loop {
        match (d.next(), i.next()) {
            (None, None) => break,
            (left, right) => view.side.push(SideRow {
                gap: 0,
                left,
                right,
            }),
        }
    }
}

/// Records `n` unchanged lines left out of the view (nothing when 0).
fn push_gap(view: &mut DiffView, n: usize) {
    if n == 0 {
        return;
    }
    view.side.push(SideRow {
        gap: n,
        left: None,
        right: None,
    });
    view.inline.push(InlineRow {
        gap: n,
        old_n: None,
        new_n: None,
        tag: "",
        segs: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_view_marks_changed_words_and_pairs_lines() {
        let old = "Intro\nThe framework is worth £25bn.\nUnchanged tail\n";
        let new = "Intro\nThe framework is worth £17bn.\nUnchanged tail\nA new line\n";
        let d = diff_view_model(old, new);
        assert!(!d.identical);
        let paired = d
            .side
            .iter()
            .find(|r| matches!((&r.left, &r.right), (Some(l), Some(r)) if l.tag == "del" && r.tag == "ins"))
            .expect("a replaced line pair");
        let left = paired.left.as_ref().unwrap();
        let right = paired.right.as_ref().unwrap();
        assert_eq!((left.n, right.n), (2, 2));
        assert!(left
            .segs
            .iter()
            .any(|s| s.emphasised && s.text.contains("25bn")));
        assert!(right
            .segs
            .iter()
            .any(|s| s.emphasised && s.text.contains("17bn")));
        assert!(left
            .segs
            .iter()
            .any(|s| !s.emphasised && s.text.contains("worth")));
        // A line added whole is marked whole, alone on its side-by-side row.
        assert!(d.inline.iter().any(|r| r.tag == "ins"
            && r.old_n.is_none()
            && r.new_n == Some(4)
            && r.segs.iter().all(|s| s.emphasised)
            && r.segs[0].text == "A new line"));
        assert!(d
            .side
            .iter()
            .any(|r| r.left.is_none() && r.right.as_ref().is_some_and(|c| c.n == 4)));
        // Counted as detection counts: one word replaced, three added.
        assert_eq!((d.words_removed, d.words_added), (1, 4));
        assert_eq!((d.lines_removed, d.lines_added), (1, 2));
        // Inline: context, removed, added, context, added — in text order.
        let tags: Vec<&str> = d.inline.iter().map(|r| r.tag).collect();
        assert_eq!(tags, ["eq", "del", "ins", "eq", "ins"]);
    }

    #[test]
    fn a_line_that_only_gained_words_is_not_struck_out_whole() {
        let d = diff_view_model(
            "Intro\n# Penetration Testing Services\nTail\n",
            "Intro\n# Penetration Testing and IT Health Check Services\nTail\n",
        );
        let row = d
            .side
            .iter()
            .find(|r| r.left.as_ref().is_some_and(|c| c.tag == "del"));
        let left = row.and_then(|r| r.left.as_ref()).expect("a removed line");
        assert!(left.segs.iter().all(|s| !s.emphasised), "{:?}", left.segs);
        let right = row
            .and_then(|r| r.right.as_ref())
            .expect("beside its new form");
        let marked: Vec<&str> = right
            .segs
            .iter()
            .filter(|s| s.emphasised)
            .map(|s| s.text.trim())
            .collect();
        assert_eq!(marked, ["and IT Health Check"]);
    }

    #[test]
    fn long_unchanged_runs_collapse_into_gaps() {
        let mut old = String::new();
        for i in 0..100 {
            old.push_str(&format!("line {i}\n"));
        }
        let new = old.replace("line 50\n", "line fifty\n");
        let d = diff_view_model(&old, &new);
        let gaps: Vec<usize> = d.side.iter().filter(|r| r.gap > 0).map(|r| r.gap).collect();
        assert_eq!(gaps, vec![47, 46]);
        assert!(d.side.len() < 15);
        assert!(diff_view_model("same", "same").identical);
    }

    #[test]
    fn a_full_rewrite_of_a_long_text_stays_bounded() {
        let old: String = (0..30_000).map(|i| format!("old line {i}\n")).collect();
        let new: String = (0..30_000).map(|i| format!("new text {i}\n")).collect();
        let d = diff_view_model(&old, &new);
        assert!(d.truncated);
        assert!(d.side.len() <= MAX_DIFF_LINES + 1, "{}", d.side.len());
        assert!(d.inline.len() <= MAX_DIFF_LINES + 1, "{}", d.inline.len());
        // The counts cover the whole texts, not only the rows shown.
        assert_eq!(d.lines_removed, 30_000);
    }

    #[test]
    fn attachment_names_are_tame() {
        assert_eq!(
            attachment_name(
                "https://e.org/agreements/RM6281",
                7,
                Some("text/html; charset=utf-8")
            ),
            "RM6281-v7.html"
        );
        assert_eq!(
            attachment_name("https://e.org/docs/a%20b\".pdf", 3, Some("application/pdf")),
            "a_20b_22-v3.pdf"
        );
        assert_eq!(attachment_name("https://e.org/", 1, None), "e.org-v1.bin");
        assert_eq!(attachment_name("not a url", 1, None), "page-v1.bin");
    }

    #[test]
    fn every_template_compiles() {
        let env = templates();
        for name in [
            "base.html",
            "changes_list.html",
            "index.html",
            "site.html",
            "changes.html",
            "page.html",
            "version.html",
            "diff.html",
            "search.html",
            "error.html",
        ] {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn stored_text_is_escaped_in_text_and_attributes() {
        let env = templates();
        let t = env
            .template_from_named_str("t.html", "<a title=\"{{ x }}\">{{ x }}</a>{{ n }}")
            .unwrap();
        let out = t.render(context! { x => "\"'<script>&/", n => 3 }).unwrap();
        assert_eq!(
            out,
            "<a title=\"&quot;&#39;&lt;script&gt;&amp;/\">&quot;&#39;&lt;script&gt;&amp;/</a>3"
        );
    }

    #[test]
    fn links_are_encoded_permalinks() {
        let c = "https://e.org/a?b=1&c=2";
        assert_eq!(
            diff_link("http://127.0.0.1:8080/", c, 1, 2),
            "http://127.0.0.1:8080/diff?url=https%3A%2F%2Fe.org%2Fa%3Fb%3D1%26c%3D2&from=1&to=2"
        );
        assert_eq!(
            page_link("", "https://e.org/"),
            "/page?url=https%3A%2F%2Fe.org%2F"
        );
    }
}
