//! The Atom feeds of the latest changes: `/feed.atom` (every site) and
//! `/sites/{name}/feed.atom`, the same documents `quietwatch feed` writes, with entries
//! linking to their views on this server.

use super::{run_view, App};
use crate::report::feed;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// This server's root as the client reached it (`http://127.0.0.1:8080`), when the `Host`
/// header is a plain host[:port]; entries then link to their views here.
fn base(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    plain.then(|| format!("http://{host}"))
}

/// The feed's own URL on this server: `base` + the path segments, each percent-encoded.
fn self_link(base: Option<&str>, segments: &[&str]) -> Option<String> {
    let mut url = url::Url::parse(base?).ok()?;
    url.path_segments_mut().ok()?.clear().extend(segments);
    Some(url.to_string())
}

async fn atom(site: Option<String>, app: Arc<App>, headers: HeaderMap) -> Response {
    run_view(app, move |_app, store| {
        let base = base(&headers);
        let self_link = match &site {
            Some(name) => self_link(base.as_deref(), &["sites", name, "feed.atom"]),
            None => self_link(base.as_deref(), &["feed.atom"]),
        };
        let xml = feed::latest(store, site.as_deref(), base.as_deref(), self_link)?;
        Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            xml,
        )
            .into_response())
    })
    .await
}

pub(super) async fn all_sites(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    atom(None, app, headers).await
}

pub(super) async fn one_site(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    atom(Some(name), app, headers).await
}
