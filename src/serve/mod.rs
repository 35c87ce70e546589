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
//! - **One answer per question.** A page is found by [`crate::archive::history::find_page`] (URL,
//!   alias, trailing-slash twin, fragment), the search is [`crate::archive::history::search`] and a
//!   diff is [`crate::analyse::diff`]'s, so the web UI, the CLI, detection and the digest never
//!   disagree about what a page said or how much of it changed.
//! - **Bounded work.** Every list has a LIMIT (changes are keyset-paginated), a view costs a
//!   fixed handful of statements (no query per row), diffs run under `crate::analyse::diff`'s
//!   deadlines on capped input and produce a capped number of rows.
//! - **Loopback by default.** The archive may hold material a team has not published; binding
//!   elsewhere is allowed but logged as a warning.

mod diff_view;
mod facts_view;
mod feeds;
mod templates;
mod version_views;
mod views;

use crate::archive::history::HistoryError;
use crate::links::search_link;
use crate::store::{Store, StoreError};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minijinja::{context, Environment, Value};
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
        env: templates::templates(),
        pool: Mutex::new(Vec::new()),
    });
    Router::new()
        .route("/", get(views::index))
        .route("/site", get(views::site_view))
        .route("/changes", get(views::changes_view))
        .route("/page", get(views::page_view))
        .route("/version/{id}", get(version_views::version_view))
        .route("/version/{id}/raw", get(version_views::raw_view))
        .route("/diff", get(version_views::diff_view))
        .route("/search", get(views::search_view))
        .route("/facts", get(facts_view::facts_view))
        .route("/feed.atom", get(feeds::all_sites))
        .route("/sites/{name}/feed.atom", get(feeds::one_site))
        .route("/static/style.css", get(views::stylesheet))
        .fallback(views::not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
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
            search_link("", &format!("\"{}\"", query.replace('"', ""))),
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
            e @ (HistoryError::BodyMissing { .. } | HistoryError::BodyMismatch { .. }) => {
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
