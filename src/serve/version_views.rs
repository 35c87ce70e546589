//! One version: its text, its bytes as served (an attachment, checked against its SHA-256),
//! and a diff of any two versions of a page.

use super::diff_view::diff_view_model;
use super::views::{page_by_url, FetchView, PageHead};
use super::{run_view, App, AppError, Params, MAX_DOCUMENTS_SHOWN, MAX_TEXT_SHOWN};
use crate::links::{diff_link, page_link, raw_link, version_link};
use crate::markup::{cap_bytes, http_url};
use crate::store::Version;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use std::sync::Arc;

fn version_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .map_err(|_| AppError::NotFound(format!("There is no version {raw:?}.")))
}

pub(super) async fn version_view(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    run_view(app, move |app, store| {
        let id = version_id(&id)?;
        let v = store
            .version(id)?
            .ok_or_else(|| AppError::NotFound(format!("The archive has no version {id}.")))?;
        let page = store
            .page(v.span.page_id)?
            .ok_or_else(|| AppError::NotFound(format!("Version {id} has no page.")))?;
        let fetch = store
            .first_fetch_of_version(page.id, v.span.id)?
            .map(FetchView::from);
        let (prev, next) = store.neighbour_versions(page.id, v.span.id)?;
        let (text, truncated) = cap_bytes(&v.text, MAX_TEXT_SHOWN);
        let documents: Vec<&str> = v
            .documents
            .iter()
            .take(MAX_DOCUMENTS_SHOWN)
            .map(String::as_str)
            .collect();
        let archived = store.urls_that_are_pages(&documents)?;
        Ok(app.render(
            StatusCode::OK,
            "version.html",
            context! {
                page => PageHead::from(&page),
                v => context! {
                    id => v.span.id,
                    title => v.span.title,
                    content_type => v.span.content_type,
                    text_unavailable => v.span.text_status.reason(),
                    size => v.span.body_size,
                    sha256 => v.span.sha256_hex(),
                    first_seen => v.span.first_seen,
                    last_seen => v.span.last_seen,
                    seen_count => v.span.seen_count,
                    documents => documents.iter().map(|d| context! {
                        url => d, href => http_url(d),
                        page_href => archived.contains(*d).then(|| page_link("", d)),
                    }).collect::<Vec<_>>(),
                    links => v.links.len(),
                },
                text => text,
                truncated => truncated,
                text_len => v.text.len(),
                fetch => fetch,
                raw_href => raw_link("", v.span.id),
                prev_href => prev.map(|p| version_link("", p)),
                next_href => next.map(|n| version_link("", n)),
                diff_prev_href => prev.map(|p| diff_link("", &page.url, p, v.span.id)),
            },
        ))
    })
    .await
}

pub(super) async fn raw_view(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    run_view(app, move |_app, store| {
        let id = version_id(&id)?;
        let span = store
            .version_span(id)?
            .ok_or_else(|| AppError::NotFound(format!("The archive has no version {id}.")))?;
        let url = store.page(span.page_id)?.map(|p| p.url).unwrap_or_default();
        let (body_id, content_type) = (span.body_id, span.content_type);
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

pub(super) async fn diff_view(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
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
                let span = store.version_span(any)?.ok_or_else(|| {
                    AppError::NotFound(format!("The archive has no version {any}."))
                })?;
                store
                    .page(span.page_id)?
                    .ok_or_else(|| AppError::NotFound(format!("Version {any} has no page.")))?
            }
        };
        // Defaults as the CLI's `diff`: the last two versions.
        let (to, from) = match (from, to) {
            (Some(f), Some(t)) => (t, f),
            _ => {
                let (latest, _) = store.latest_versions_of_page(page.id, 2)?;
                let newest = latest.last().map(|v| v.id);
                let older = latest.first().map(|v| v.id);
                let t = to.or(newest).ok_or_else(|| {
                    AppError::NotFound(format!("{} has no stored version.", page.url))
                })?;
                (t, from.or(older).unwrap_or(t))
            }
        };
        let load = |id: i64| -> Result<Version, AppError> {
            match store.version(id)? {
                Some(v) if v.span.page_id == page.id => Ok(v),
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
        let head = |v: &Version| {
            let s = &v.span;
            context! {
                id => s.id, title => s.title.clone(), first_seen => s.first_seen,
                last_seen => s.last_seen, seen_count => s.seen_count,
                sha256 => s.sha256_hex(), size => s.body_size,
                href => version_link("", s.id),
            }
        };
        Ok(app.render(
            StatusCode::OK,
            "diff.html",
            context! {
                page => PageHead::from(&page),
                old => head(&old),
                new => head(&new),
                same_bytes => old.span.body_sha256 == new.span.body_sha256,
                title_changed => old.span.title != new.span.title,
                d => d,
                swap_href => diff_link("", &page.url, new.span.id, old.span.id),
            },
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
