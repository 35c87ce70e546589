//! The fixture server over real loopback HTTP: validators and 304s, 404 pages, version
//! switching, redirects (chains, loops, host renames, slug changes), placeholders, the
//! request log, endless bodies and stalls — on the demo and crawl sites and on small sites
//! written to a temporary directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use quietwatch::fixture::{demo_site, FixtureServer, FixtureSite};
use reqwest::header::{
    HeaderMap, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
    RETRY_AFTER,
};
use reqwest::StatusCode;

fn sites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sites")
}

fn crawl_site() -> FixtureSite {
    FixtureSite::Dir(sites_dir().join("crawl"))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn url(server: &FixtureServer, host: &str, path: &str) -> String {
    server.base_url(host).join(path).unwrap().to_string()
}

fn origin(server: &FixtureServer, host: &str) -> String {
    server
        .base_url(host)
        .as_str()
        .trim_end_matches('/')
        .to_string()
}

async fn get(c: &reqwest::Client, u: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let r = c.get(u).send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.bytes().await.unwrap().to_vec();
    (status, headers, body)
}

async fn get_with(
    c: &reqwest::Client,
    u: &str,
    name: reqwest::header::HeaderName,
    value: &str,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let r = c.get(u).header(name, value).send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.bytes().await.unwrap().to_vec();
    (status, headers, body)
}

fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> &str {
    h.get(name).unwrap().to_str().unwrap()
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

/// The `<main …>…</main>` part of a page.
fn main_of(body: &[u8]) -> String {
    let t = text(body);
    let start = t.find("<main").expect("page has <main>");
    let end = t.find("</main>").expect("page has </main>");
    t[start..end].to_string()
}

fn last_modified(h: &HeaderMap) -> SystemTime {
    httpdate::parse_http_date(header(h, LAST_MODIFIED)).unwrap()
}

#[tokio::test]
async fn files_have_strong_validators_and_answer_304() {
    let server = FixtureServer::start(demo_site()).await.unwrap();
    let c = client();
    let rate_card = url(&server, "gca", "/agreements/RM6160/rate-card");

    let (status, h, body) = get(&c, &rate_card).await;
    assert_eq!(status, StatusCode::OK);
    // .html is text/html with no charset: the page is windows-1252 and says so nowhere.
    assert_eq!(header(&h, CONTENT_TYPE), "text/html");
    assert!(body.contains(&0xA3), "the pound sign is byte 0xA3");
    assert!(std::str::from_utf8(&body).is_err(), "not UTF-8");
    let etag = header(&h, ETAG).to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
        "{etag}"
    );
    let lm = header(&h, LAST_MODIFIED).to_string();
    assert!(last_modified(&h) < SystemTime::now());

    // A second plain request: same bytes, same validators.
    let (_, h2, body2) = get(&c, &rate_card).await;
    assert_eq!(body, body2);
    assert_eq!(header(&h2, ETAG), etag);
    assert_eq!(header(&h2, LAST_MODIFIED), lm);

    let (status, h304, body304) = get_with(&c, &rate_card, IF_NONE_MATCH, &etag).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body304.is_empty());
    assert_eq!(header(&h304, ETAG), etag);

    let (status, _, _) = get_with(&c, &rate_card, IF_NONE_MATCH, "\"0000\"").await;
    assert_eq!(status, StatusCode::OK, "a stale ETag gets the page");

    let (status, _, _) = get_with(&c, &rate_card, IF_MODIFIED_SINCE, &lm).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let older = httpdate::fmt_http_date(last_modified(&h) - Duration::from_secs(86_400));
    let (status, _, body) = get_with(&c, &rate_card, IF_MODIFIED_SINCE, &older).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, body2);

    // A PDF: its own type, real PDF bytes.
    let (status, h, body) = get(
        &c,
        &url(
            &server,
            "gca",
            "/wp-content/uploads/2024/06/Public-Sector-Contract-Core-Terms.pdf",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, CONTENT_TYPE), "application/pdf");
    assert!(body.starts_with(b"%PDF-1.4") && body.ends_with(b"%%EOF\n"));
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_get_a_real_404_page() {
    let server = FixtureServer::start(demo_site()).await.unwrap();
    let c = client();
    let (status, h, body) = get(&c, &url(&server, "gca", "/agreements/RM9999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&h, CONTENT_TYPE), "text/html");
    let t = text(&body);
    assert!(t.contains("<h1>Page not found</h1>"), "{t}");
    assert!(
        t.contains("Government Commercial Agency"),
        "the host's own 404 page"
    );
    assert!(h.get(ETAG).is_none());

    // Error pages and dot-files are never served by URL; GCA-style pages have no `/x/` form.
    for path in [
        "/_404.html",
        "/_503.html",
        "/.git/config",
        "/agreements/RM6187/..%2fRM6187",
        "/agreements/RM6098/",
    ] {
        let (status, _, _) = get(&c, &url(&server, "gca", path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = c
        .post(url(&server, "gca", "/agreements"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);

    // A site without its own 404 page for a host still answers a real 404 page.
    let crawl = FixtureServer::start(crawl_site()).await.unwrap();
    let (status, _, body) = get(&c, &url(&crawl, "sbs", "/frameworks/no-such-framework/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text(&body).contains("Page not found"));
    crawl.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn switching_versions_changes_answers_and_moves_last_modified_forward() {
    let server = FixtureServer::start(demo_site()).await.unwrap();
    let c = client();
    assert_eq!(server.version(), 1);
    let me = url(&server, "gca", "/agreements/RM6281/market-engagement");
    let tepas = url(&server, "gca", "/agreements/RM6098");
    let pdf = url(
        &server,
        "gca",
        "/wp-content/uploads/2024/06/Public-Sector-Contract-Core-Terms.pdf",
    );

    assert_eq!(get(&c, &me).await.0, StatusCode::OK);
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6194")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6200")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6374")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, tepas_h1, tepas_v1) = get(&c, &tepas).await;
    assert!(text(&tepas_v1).contains("<dd>16/06/2026</dd>"));
    let (_, pdf_h1, _) = get(&c, &pdf).await;

    let checked_before_switch = httpdate::fmt_http_date(SystemTime::now());
    server.set_version(2);
    assert_eq!(server.version(), 2);
    let (status, _, body) = get(&c, &me).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text(&body).contains("Page not found"));
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6194")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _, body) = get(&c, &url(&server, "gca", "/agreements/RM6200")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(text(&body).contains("Sorry, the service is unavailable"));
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6374")).await.0,
        StatusCode::OK
    );

    // A changed file: newer Last-Modified; the v1 date as If-Modified-Since gets the new page.
    let v1_lm = header(&tepas_h1, LAST_MODIFIED).to_string();
    let (status, h, body) = get_with(&c, &tepas, IF_MODIFIED_SINCE, &v1_lm).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&body).contains("<dd>16/12/2026</dd>"));
    assert!(last_modified(&h) > last_modified(&tepas_h1));
    // A client that sends the time of its last check (just before the switch, in the same
    // second) gets the change too: Last-Modified moved to the next whole second.
    assert_eq!(
        get_with(&c, &tepas, IF_MODIFIED_SINCE, &checked_before_switch)
            .await
            .0,
        StatusCode::OK
    );
    // An unchanged file keeps its date and validators.
    let (status, _, _) =
        get_with(&c, &pdf, IF_MODIFIED_SINCE, header(&pdf_h1, LAST_MODIFIED)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _, _) = get_with(&c, &pdf, IF_NONE_MATCH, header(&pdf_h1, ETAG)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    server.set_version(3);
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6194")).await.0,
        StatusCode::OK
    );
    assert_eq!(get(&c, &me).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6200")).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    server.set_version(4);
    assert_eq!(server.version(), 4);
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6200")).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        get(&c, &url(&server, "gca", "/agreements/RM6194")).await.0,
        StatusCode::OK
    );

    // Back to v1: the v1 page again, dated after everything seen since.
    server.set_version(1);
    let (status, h, _) = get(&c, &me).await;
    assert_eq!(status, StatusCode::OK);
    assert!(last_modified(&h) > last_modified(&tepas_h1));
    server.shutdown().await;
}

#[tokio::test]
async fn redirects_chains_loops_host_renames_and_slug_changes() {
    let server = FixtureServer::start(demo_site()).await.unwrap();
    let c = client();
    let gca = origin(&server, "gca");
    let ccs = origin(&server, "ccs");
    let nhs = origin(&server, "nhs");

    // Two-hop alias.
    let (status, h, _) = get(&c, &format!("{gca}/agreements/RM6187_cas")).await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header(&h, LOCATION), format!("{gca}/agreements/RM6187/"));
    let (status, h, _) = get(&c, header(&h, LOCATION)).await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header(&h, LOCATION), format!("{gca}/agreements/RM6187"));
    assert_eq!(get(&c, header(&h, LOCATION)).await.0, StatusCode::OK);

    // v1: the old host still serves two agreements, which gca does not have yet.
    let (status, _, body) = get(&c, &format!("{ccs}/agreements/RM6240")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&body).contains("Crown Commercial Service"));
    assert_eq!(
        get(&c, &format!("{gca}/agreements/RM6240")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&c, &format!("{gca}/agreements/RM3808")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        get(
            &c,
            &format!("{nhs}/long-read/procurement-transformation-programme/")
        )
        .await
        .0,
        StatusCode::OK
    );

    server.set_version(2);
    // Host rename: same path and query on gca, robots.txt included.
    let (status, h, _) = get(&c, &format!("{ccs}/agreements/RM6240?ref=old")).await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        header(&h, LOCATION),
        format!("{gca}/agreements/RM6240?ref=old")
    );
    let (status, _, body) = get(&c, header(&h, LOCATION)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!text(&body).contains("Crown Commercial Service became"));
    let (status, h, _) = get(&c, &format!("{ccs}/robots.txt")).await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header(&h, LOCATION), format!("{gca}/robots.txt"));

    // Redirected to the listing.
    let (status, h, _) = get(&c, &format!("{gca}/agreements/RM3808")).await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header(&h, LOCATION), format!("{gca}/agreements"));

    // Slug change, with and without the trailing slash.
    for old in [
        "/long-read/procurement-transformation-programme/",
        "/long-read/procurement-transformation-programme",
    ] {
        let (status, h, _) = get(&c, &format!("{nhs}{old}")).await;
        assert_eq!(status, StatusCode::MOVED_PERMANENTLY, "{old}");
        assert_eq!(
            header(&h, LOCATION),
            format!("{nhs}/long-read/nhs-procurement-transformation-programme/")
        );
    }
    assert_eq!(
        get(
            &c,
            &format!("{nhs}/long-read/nhs-procurement-transformation-programme/")
        )
        .await
        .0,
        StatusCode::OK
    );
    server.shutdown().await;

    // The crawl site: a three-hop chain with three codes, and a loop.
    let crawl = FixtureServer::start(crawl_site()).await.unwrap();
    let sbs = origin(&crawl, "sbs");
    let mut next = format!("{sbs}/frameworks/digital/sbs10050/");
    let mut codes = Vec::new();
    loop {
        let (status, h, _) = get(&c, &next).await;
        if !status.is_redirection() {
            assert_eq!(status, StatusCode::OK);
            break;
        }
        codes.push(status.as_u16());
        next = header(&h, LOCATION).to_string();
        assert!(codes.len() < 10);
    }
    assert_eq!(codes, vec![301, 302, 308]);
    assert_eq!(
        next,
        format!("{sbs}/frameworks/digital/sbs10050-digital-workplace/")
    );

    let (status, h, _) = get(&c, &format!("{sbs}/frameworks/loop-a/")).await;
    assert_eq!(status, StatusCode::FOUND);
    let (status, h2, _) = get(&c, header(&h, LOCATION)).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(header(&h2, LOCATION), format!("{sbs}/frameworks/loop-a/"));
    crawl.shutdown().await;
}

fn csrf_token(body: &[u8]) -> String {
    let t = text(body);
    let marker = "name=\"_csrf\" value=\"";
    let start = t.find(marker).expect("page has a CSRF field") + marker.len();
    t[start..start + 40].to_string()
}

#[tokio::test]
async fn placeholders_are_substituted_and_noise_differs_on_every_request() {
    let server = FixtureServer::start(demo_site()).await.unwrap();
    let c = client();
    let gca = origin(&server, "gca");
    let listing = format!("{gca}/agreements");

    let (s1, h1, b1) = get(&c, &listing).await;
    let (s2, h2, b2) = get(&c, &listing).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    for b in [&b1, &b2] {
        assert!(!text(b).contains("{{"), "every placeholder is replaced");
    }
    assert_ne!(b1, b2, "noise makes every answer different");
    assert_ne!(
        header(&h1, ETAG),
        header(&h2, ETAG),
        "the ETag is the hash of the bytes sent"
    );
    let (t1, t2) = (csrf_token(&b1), csrf_token(&b2));
    assert!(t1.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(t1, t2);
    assert!(text(&b1).contains(&format!(
        "<link rel=\"canonical\" href=\"{gca}/agreements\">"
    )));
    assert!(text(&b1).contains("/agreements?search=cloud"));

    // An agreement page: cache-busting query on the back link and on assets.
    let (_, _, b) = get(&c, &format!("{gca}/agreements/RM6187")).await;
    let t = text(&b);
    assert!(t.contains("class=\"back-link\" href=\"/agreements?v="));
    assert!(t.contains("main.css?ver="));
    assert!(t.contains("Page generated 20"), "footer timestamp");

    // Files with only {{host:…}} are stable between requests.
    let (_, h1, sitemap) = get(&c, &format!("{gca}/sitemap.xml")).await;
    let (_, h2, sitemap2) = get(&c, &format!("{gca}/sitemap.xml")).await;
    assert_eq!(sitemap, sitemap2);
    assert_eq!(header(&h1, ETAG), header(&h2, ETAG));
    assert_eq!(header(&h1, CONTENT_TYPE), "application/xml");
    let t = text(&sitemap);
    assert!(
        t.contains(&format!("<loc>{gca}/agreements/RM6263</loc>")),
        "{t}"
    );
    let (_, h, robots) = get(&c, &url(&server, "nhs", "/robots.txt")).await;
    assert_eq!(header(&h, CONTENT_TYPE), "text/plain");
    assert!(text(&robots).contains(&format!(
        "Sitemap: {}/sitemap_index.xml",
        origin(&server, "nhs")
    )));
    let (_, _, gca_robots) = get(&c, &url(&server, "gca", "/robots.txt")).await;
    assert!(text(&gca_robots).contains("Disallow: /agreements/*/suppliers/*"));
    assert!(text(&gca_robots).contains("Disallow: *?search=*"));
    server.shutdown().await;
}

#[tokio::test]
async fn nhs_pages_answer_with_and_without_slash_and_soft_404_serves_the_not_found_page() {
    let server = FixtureServer::start(demo_site()).await.unwrap();
    let c = client();
    let nhs = origin(&server, "nhs");
    let (s1, _, slash) = get(&c, &format!("{nhs}/long-read/framework-host-management/")).await;
    let (s2, _, bare) = get(&c, &format!("{nhs}/long-read/framework-host-management")).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(main_of(&slash), main_of(&bare));
    assert!(text(&slash).contains(&format!(
        "<link rel=\"canonical\" href=\"{nhs}/long-read/framework-host-management/\">"
    )));
    assert!(main_of(&slash).contains("about &#163;25bn of NHS spend"));
    assert!(main_of(&slash).contains("commenced in August 2023"));

    server.set_version(2);
    let (_, _, fhm) = get(&c, &format!("{nhs}/long-read/framework-host-management/")).await;
    assert!(main_of(&fhm).contains("in the region of &#163;17 billion of NHS spend"));
    assert!(main_of(&fhm).contains("concluded in January 2024"));

    let (status, _, soft) = get(
        &c,
        &format!("{nhs}/long-read/sustainable-procurement-supplier-roadmap/"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, real) = get(&c, &format!("{nhs}/long-read/no-such-guidance/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(main_of(&soft), main_of(&real));
    assert!(main_of(&soft).contains("Page not found"));
    server.shutdown().await;
}

#[tokio::test]
async fn request_log_records_conditional_headers_and_statuses() {
    let server = FixtureServer::start(demo_site()).await.unwrap();
    let c = client();
    let pdf_path = "/wp-content/uploads/2025/11/RM6187-Customer-Guide.pdf";
    let pdf = url(&server, "gca", pdf_path);
    let (_, h, _) = get(&c, &pdf).await;
    server.clear_requests();

    get_with(&c, &pdf, IF_NONE_MATCH, header(&h, ETAG)).await;
    get_with(&c, &pdf, IF_MODIFIED_SINCE, header(&h, LAST_MODIFIED)).await;
    let r = c.head(&pdf).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    get(&c, &url(&server, "gca", "/agreements?search=cloud")).await;
    get(&c, &url(&server, "ccs", "/nothing-here")).await;

    let log = server.requests();
    assert_eq!(log.len(), 5);
    assert_eq!(log[0].host, "gca");
    assert_eq!(log[0].path, pdf_path);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].if_none_match.as_deref(), Some(header(&h, ETAG)));
    assert!(log[0].if_modified_since.is_none());
    assert_eq!(log[0].status, 304);
    assert_eq!(
        log[1].if_modified_since.as_deref(),
        Some(header(&h, LAST_MODIFIED))
    );
    assert!(log[1].if_none_match.is_none());
    assert_eq!(log[1].status, 304);
    assert!(log[0].conditional() && log[1].conditional());
    assert_eq!(log[2].method, "HEAD");
    assert!(!log[2].conditional());
    assert_eq!(log[2].status, 200);
    assert_eq!(log[3].path, "/agreements?search=cloud");
    assert_eq!(log[4].host, "ccs");
    assert_eq!(log[4].status, 404);
    assert!(log.iter().all(|r| r.version == 1));

    assert_eq!(server.request_count("gca", pdf_path), 3);
    assert_eq!(
        server.request_count("gca", "/agreements"),
        1,
        "without '?' the query is ignored"
    );
    assert_eq!(server.request_count("gca", "/agreements?search=cloud"), 1);
    assert_eq!(server.request_count("gca", "/agreements?search=legal"), 0);
    assert_eq!(server.request_count("nhs", pdf_path), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn endless_body_streams_past_a_megabyte_and_can_be_dropped() {
    let server = FixtureServer::start(crawl_site()).await.unwrap();
    let c = client();
    let mut r = c
        .get(url(&server, "sbs", "/frameworks/digital/notices-feed/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.content_length().is_none(),
        "no length: the body has no end"
    );
    let mut read = 0usize;
    let mut first = Vec::new();
    while read <= 1024 * 1024 {
        let chunk = tokio::time::timeout(Duration::from_secs(10), r.chunk())
            .await
            .expect("the body keeps coming")
            .unwrap()
            .expect("the body never ends");
        if first.is_empty() {
            first = chunk.to_vec();
        }
        read += chunk.len();
    }
    assert!(text(&first).starts_with("<!DOCTYPE html>"));
    drop(r);

    // The server is still responsive and shuts down promptly with the stream gone.
    assert_eq!(
        get(&c, &url(&server, "sbs", "/frameworks/")).await.0,
        StatusCode::OK
    );
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("shutdown does not wait for the dropped stream");
}

fn write_site(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, content) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

#[tokio::test]
async fn stall_sends_headers_then_delays_then_drops_the_connection() {
    let dir = write_site(&[
        (
            "site.toml",
            "hosts = [\"h\"]\n[[version]]\nn = 1\n[[rule]]\nhost = \"h\"\npath = \"/slow\"\nstall_s = 1.5\n",
        ),
        ("v1/h/index.html", "<p>home</p>"),
    ]);
    let server = FixtureServer::start(FixtureSite::Dir(dir.path().to_path_buf()))
        .await
        .unwrap();
    let c = client();
    let started = Instant::now();
    let r = c.get(url(&server, "h", "/slow")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "headers come first"
    );
    let body = r.bytes().await;
    assert!(
        body.is_err(),
        "the connection is dropped, not ended cleanly"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the stall really waits"
    );
    server.shutdown().await;

    // The crawl site's 10 s stall: still nothing after a second.
    let crawl = FixtureServer::start(crawl_site()).await.unwrap();
    let mut r = c
        .get(url(&crawl, "sbs", "/frameworks/clinical/live-tenders/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(tokio::time::timeout(Duration::from_secs(1), r.chunk())
        .await
        .is_err());
    drop(r);
    tokio::time::timeout(Duration::from_secs(10), crawl.shutdown())
        .await
        .expect("shutdown ends stalls");
}

#[tokio::test]
async fn crawl_site_sitemaps_robots_and_versions() {
    let server = FixtureServer::start(crawl_site()).await.unwrap();
    let c = client();
    let sbs = origin(&server, "sbs");

    let (_, _, index) = get(&c, &format!("{sbs}/sitemap_index.xml")).await;
    assert!(text(&index).contains(&format!("<loc>{sbs}/sitemaps/frameworks.xml.gz</loc>")));
    assert!(text(&index).contains(&format!("<loc>{sbs}/sitemaps/pages.txt</loc>")));

    let (status, h, gz) = get(&c, &format!("{sbs}/sitemaps/frameworks.xml.gz")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, CONTENT_TYPE), "application/gzip");
    assert!(h.get("content-encoding").is_none());
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut xml).unwrap();
    assert!(
        xml.contains(&format!(
            "<loc>{sbs}/frameworks/sbs10099-orphan-framework/</loc>"
        )),
        "{xml}"
    );
    assert_eq!(
        get(&c, &format!("{sbs}/sitemaps/_frameworks.xml")).await.0,
        StatusCode::NOT_FOUND
    );

    let (_, h, txt) = get(&c, &format!("{sbs}/sitemaps/pages.txt")).await;
    assert_eq!(header(&h, CONTENT_TYPE), "text/plain");
    assert_eq!(
        text(&txt).lines().next(),
        Some(format!("{sbs}/frameworks/contact-the-team").as_str())
    );

    let (_, _, robots) = get(&c, &format!("{sbs}/robots.txt")).await;
    let robots = text(&robots);
    assert!(robots.contains("Crawl-delay: 0.5"));
    assert!(robots.contains(&format!("Sitemap: {sbs}/sitemap_index.xml")));
    assert!(!robots.contains("sbs10062-payroll"));

    let (status, h, body) = get(&c, &format!("{sbs}/frameworks/estates/price-list-2019")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, CONTENT_TYPE), "text/html");
    assert!(body.contains(&0xA3) && !text(&body).to_lowercase().contains("charset"));

    server.set_version(2);
    let (_, _, robots) = get(&c, &format!("{sbs}/robots.txt")).await;
    assert!(text(&robots).contains("Disallow: /frameworks/workforce/sbs10062-payroll/"));
    // The page itself is still there: out of reach for a polite crawler, not gone.
    assert_eq!(
        get(&c, &format!("{sbs}/frameworks/workforce/sbs10062-payroll/"))
            .await
            .0,
        StatusCode::OK
    );
    server.shutdown().await;
}

#[tokio::test]
async fn inheritance_deletions_statuses_and_retry_after() {
    let dir = write_site(&[
        (
            "site.toml",
            r#"hosts = ["a", "b"]
[content_types]
txt = "text/plain; charset=utf-8"
[[version]]
n = 1
[[version]]
n = 2
inherit = true
delete = ["a/gone-soon.html"]
[[rule]]
host = "a"
path = "/busy"
status = 429
retry_after = 7
[[rule]]
host = "a"
path = "/old"
status = 410
[[rule]]
host = "b"
prefix = "/"
from = 2
redirect_host = "a"
code = 308
[[rule]]
host = "a"
path = "/tagged"
headers = { "X-Robots-Tag" = "noindex, nofollow" }
"#,
        ),
        ("v1/a/index.html", "<p>v1 home, see {{host:b}}/x</p>"),
        ("v1/a/gone-soon.html", "<p>soon gone</p>"),
        ("v1/a/tagged.html", "<p>tagged</p>"),
        ("v1/a/notes.txt", "plain"),
        ("v1/b/index.html", "<p>b home</p>"),
        ("v2/a/index.html", "<p>v2 home</p>"),
    ]);
    let server = FixtureServer::start(FixtureSite::Dir(dir.path().to_path_buf()))
        .await
        .unwrap();
    let c = client();
    let (_, _, home) = get(&c, &url(&server, "a", "/")).await;
    assert_eq!(
        text(&home),
        format!("<p>v1 home, see {}/x</p>", origin(&server, "b"))
    );
    assert_eq!(
        get(&c, &url(&server, "a", "/gone-soon")).await.0,
        StatusCode::OK
    );
    let (status, h, _) = get(&c, &url(&server, "a", "/busy")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&h, RETRY_AFTER), "7");
    let (status, _, body) = get(&c, &url(&server, "a", "/old")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(text(&body).contains("Gone"));
    let (_, h, _) = get(&c, &url(&server, "a", "/tagged")).await;
    assert_eq!(h.get("x-robots-tag").unwrap(), "noindex, nofollow");
    let (_, h, _) = get(&c, &url(&server, "a", "/notes.txt")).await;
    assert_eq!(header(&h, CONTENT_TYPE), "text/plain; charset=utf-8");
    assert_eq!(get(&c, &url(&server, "b", "/")).await.0, StatusCode::OK);

    server.set_version(2);
    let (_, _, home) = get(&c, &url(&server, "a", "/")).await;
    assert_eq!(text(&home), "<p>v2 home</p>");
    assert_eq!(
        get(&c, &url(&server, "a", "/gone-soon")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&c, &url(&server, "a", "/tagged")).await.0,
        StatusCode::OK,
        "inherited"
    );
    let (status, h, _) = get(&c, &url(&server, "b", "/x?y=1")).await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        header(&h, LOCATION),
        format!("{}/x?y=1", origin(&server, "a"))
    );
    // Past the last version: the last one is served.
    server.set_version(9);
    assert_eq!(
        text(&get(&c, &url(&server, "a", "/")).await.2),
        "<p>v2 home</p>"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_sites_are_refused_at_start() {
    let base = "hosts = [\"h\"]\n[[version]]\nn = 1\n";
    type Case = (&'static str, Vec<(&'static str, String)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            "unknown key",
            vec![("site.toml", format!("{base}colour = \"red\"\n"))],
            "colour",
        ),
        (
            "deleting a missing file",
            vec![(
                "site.toml",
                format!("{base}[[version]]\nn = 2\ninherit = true\ndelete = [\"h/nope.html\"]\n"),
            )],
            "h/nope.html",
        ),
        (
            "unknown placeholder",
            vec![
                ("site.toml", base.to_string()),
                ("v1/h/index.html", "<p>{{crsf}}</p>".to_string()),
            ],
            "crsf",
        ),
        (
            "placeholder for an unknown host",
            vec![
                ("site.toml", base.to_string()),
                ("v1/h/index.html", "{{host:zz}}/x".to_string()),
            ],
            "host:zz",
        ),
        (
            "file outside a host directory",
            vec![
                ("site.toml", base.to_string()),
                ("v1/index.html", "x".to_string()),
            ],
            "v1/index.html",
        ),
        (
            "rule for an unknown host",
            vec![(
                "site.toml",
                format!("{base}[[rule]]\nhost = \"q\"\npath = \"/\"\nstatus = 503\n"),
            )],
            "unknown host",
        ),
        (
            "undeclared version directory",
            vec![
                ("site.toml", base.to_string()),
                ("v2/h/index.html", "x".to_string()),
            ],
            "v2",
        ),
        (
            "redirect with a body",
            vec![(
                "site.toml",
                format!(
                    "{base}[[rule]]\nhost = \"h\"\npath = \"/\"\nredirect = \"/x\"\nstatus = 200\n"
                ),
            )],
            "redirect",
        ),
    ];
    for (what, files, needle) in cases {
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
        let dir = write_site(&refs);
        let err = FixtureServer::start(FixtureSite::Dir(dir.path().to_path_buf()))
            .await
            .expect_err(what)
            .to_string();
        assert!(err.contains(needle), "{what}: {err}");
    }
}

#[tokio::test]
async fn site_configs_expand_to_valid_toml_and_the_embedded_demo_is_current() {
    let server = FixtureServer::start(demo_site()).await.unwrap();
    let template = String::from_utf8(demo_site().read("quietwatch.toml").unwrap()).unwrap();
    assert!(template.contains("{{host:gca}}"));
    let config = server.expand_hosts(&template);
    assert!(!config.contains("{{"), "{config}");
    assert!(config.contains(&format!(
        "start = [\"{}/agreements\"]",
        origin(&server, "gca")
    )));
    let value: toml::Value = toml::from_str(&config).unwrap();
    assert_eq!(value["crawl"]["delay_ms"].as_integer(), Some(0));
    assert_eq!(value["crawl"]["unreachable_after"].as_integer(), Some(3));
    assert_eq!(value["site"].as_array().unwrap().len(), 2);
    assert!(demo_site().read("EXPECTED.md").is_ok());
    assert!(demo_site().read("no-such-file").is_err());

    // The binary's embedded copy matches the directory (a stale build would not).
    let on_disk = FixtureSite::Dir(sites_dir().join("demo"));
    for rel in [
        "site.toml",
        "EXPECTED.md",
        "quietwatch.toml",
        "v2/gca/agreements/RM6098.html",
    ] {
        assert_eq!(
            demo_site().read(rel).unwrap(),
            on_disk.read(rel).unwrap(),
            "{rel}"
        );
    }
    assert_eq!(server.hosts(), vec!["gca", "ccs", "nhs"]);
    assert!(server.try_base_url("nope").is_none());
    server.shutdown().await;

    let crawl = FixtureServer::start(crawl_site()).await.unwrap();
    let template = String::from_utf8(crawl_site().read("quietwatch.toml").unwrap()).unwrap();
    let value: toml::Value = toml::from_str(&crawl.expand_hosts(&template)).unwrap();
    assert_eq!(value["site"][0]["max_depth"].as_integer(), Some(3));
    crawl.shutdown().await;
}
