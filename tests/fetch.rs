//! The fetcher against a real HTTP/1.1 server on loopback.
//!
//! The server is written here on a bare `TcpListener` so that it can misbehave precisely:
//! stall after the headers, send a body that never ends, redirect in circles, refuse with 503
//! or 429. Each test starts its own server and its own `Fetcher`, with small timeouts.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quietwatch::crawl::fetch::{FetchFailure, FetchOutcome, FetchRequest, FetchSettings, Fetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    /// Lowercased names.
    headers: Vec<(String, String)>,
    /// 1 for the first request to this path, 2 for the second, …
    nth: usize,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with one request.
enum Action {
    /// Write these bytes and close.
    Send(Vec<u8>),
    /// Wait, then write these bytes and close.
    SendAfter(Duration, Vec<u8>),
    /// Write these bytes, then hold the connection open silently.
    Stall(Vec<u8>, Duration),
    /// Write these bytes (headers), then body bytes until the client goes away.
    Endless(Vec<u8>),
}

type Handler = dyn Fn(&Seen) -> Action + Send + Sync;

struct Server {
    base: Url,
    seen: Arc<Mutex<Vec<Seen>>>,
    peak_in_flight: Arc<Mutex<(usize, usize)>>,
}

impl Server {
    async fn start(handler: impl Fn(&Seen) -> Action + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let peak = Arc::new(Mutex::new((0usize, 0usize)));
        let handler: Arc<Handler> = Arc::new(handler);
        let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        {
            let (seen, peak) = (seen.clone(), peak.clone());
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    let (seen, peak, handler, counts) =
                        (seen.clone(), peak.clone(), handler.clone(), counts.clone());
                    tokio::spawn(async move {
                        handle(socket, seen, peak, handler, counts).await;
                    });
                }
            });
        }
        Server {
            base,
            seen,
            peak_in_flight: peak,
        }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn peak(&self) -> usize {
        self.peak_in_flight.lock().unwrap().1
    }
}

async fn handle(
    mut socket: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    peak: Arc<Mutex<(usize, usize)>>,
    handler: Arc<Handler>,
    counts: Arc<Mutex<HashMap<String, usize>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        assert!(buf.len() < 64 * 1024, "request head too large");
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let nth = {
        let mut counts = counts.lock().unwrap();
        let n = counts.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let request = Seen {
        path,
        headers,
        nth,
        at: Instant::now(),
    };
    seen.lock().unwrap().push(request.clone());
    {
        let mut p = peak.lock().unwrap();
        p.0 += 1;
        p.1 = p.1.max(p.0);
    }
    // "In flight" ends just before the answer is written: until then the client is surely
    // still holding its slot, so the peak cannot be inflated by a slow server teardown.
    let done = || peak.lock().unwrap().0 -= 1;
    match handler(&request) {
        Action::Send(bytes) => {
            done();
            let _ = socket.write_all(&bytes).await;
        }
        Action::SendAfter(wait, bytes) => {
            tokio::time::sleep(wait).await;
            done();
            let _ = socket.write_all(&bytes).await;
        }
        Action::Stall(bytes, wait) => {
            done();
            let _ = socket.write_all(&bytes).await;
            tokio::time::sleep(wait).await;
        }
        Action::Endless(head) => {
            done();
            if socket.write_all(&head).await.is_ok() {
                let filler = vec![b'x'; 16 * 1024];
                // Bounded only so that a broken client cannot keep the test server busy
                // forever: 10 000 × 16 KiB is far beyond any cap used here.
                for _ in 0..10_000 {
                    if socket.write_all(&filler).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    let _ = socket.shutdown().await;
}

/// A complete HTTP/1.1 response that closes the connection.
fn reply(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn html(body: &str) -> Action {
    Action::Send(reply(
        "200 OK",
        &[("Content-Type", "text/html; charset=utf-8")],
        body.as_bytes(),
    ))
}

fn redirect(status: &str, location: &str) -> Action {
    Action::Send(reply(status, &[("Location", location)], b""))
}

fn settings() -> FetchSettings {
    FetchSettings {
        user_agent: "quietwatch-test/1".into(),
        timeout: Duration::from_secs(5),
        max_body_bytes: 1_000_000,
        retries: 0,
        concurrency: 8,
        per_host_concurrency: 8,
        delay: Duration::ZERO,
        max_redirects: 10,
    }
}

async fn get(fetcher: &Fetcher, url: Url) -> FetchOutcome {
    fetcher.fetch(FetchRequest::get(url)).await
}

#[tokio::test]
async fn conditional_get_sends_validators_and_gets_304() {
    let server = Server::start(|req| match req.path.as_str() {
        "/page" if req.header("if-none-match") == Some("\"v1\"") => {
            Action::Send(reply("304 Not Modified", &[("ETag", "\"v1\"")], b""))
        }
        "/page" => Action::Send(reply(
            "200 OK",
            &[
                ("Content-Type", "text/html"),
                ("ETag", "\"v1\""),
                ("Last-Modified", "Sat, 21 Nov 2026 10:00:00 GMT"),
            ],
            b"<p>hello</p>",
        )),
        "/old" => redirect("301 Moved Permanently", "/page"),
        _ => Action::Send(reply("404 Not Found", &[], b"")),
    })
    .await;
    let fetcher = Fetcher::new(settings()).unwrap();

    let first = get(&fetcher, server.url("/page")).await;
    let response = first.result.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        response.last_modified.as_deref(),
        Some("Sat, 21 Nov 2026 10:00:00 GMT")
    );
    assert_eq!(response.body, b"<p>hello</p>");

    let second = fetcher
        .fetch(FetchRequest {
            url: server.url("/page"),
            etag: response.etag.clone(),
            last_modified: response.last_modified.clone(),
            follow_redirects: true,
        })
        .await;
    let not_modified = second.result.unwrap();
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert!(!not_modified.truncated);

    // Validators go only with the first URL of a chain: /old gets them, /page does not.
    let chained = fetcher
        .fetch(FetchRequest {
            url: server.url("/old"),
            etag: Some("\"v1\"".into()),
            last_modified: Some("Sat, 21 Nov 2026 10:00:00 GMT".into()),
            follow_redirects: true,
        })
        .await;
    assert_eq!(chained.result.unwrap().status, 200);

    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].header("if-none-match"), None);
    assert_eq!(seen[0].header("if-modified-since"), None);
    assert_eq!(seen[0].header("user-agent"), Some("quietwatch-test/1"));
    assert_eq!(seen[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        seen[1].header("if-modified-since"),
        Some("Sat, 21 Nov 2026 10:00:00 GMT")
    );
    assert_eq!(seen[2].path, "/old");
    assert_eq!(seen[2].header("if-none-match"), Some("\"v1\""));
    assert_eq!(seen[3].path, "/page");
    assert_eq!(seen[3].header("if-none-match"), None);
    assert_eq!(seen[3].header("if-modified-since"), None);
}

#[tokio::test]
async fn three_hop_redirect_chain_is_recorded() {
    let server = Server::start(|req| match req.path.as_str() {
        "/a" => Action::Send(reply(
            "301 Moved Permanently",
            &[("Location", "/b")],
            b"moved",
        )),
        "/b" => redirect("302 Found", "sub/c"),
        "/sub/c" => redirect("308 Permanent Redirect", "../d?x=1#section"),
        "/d?x=1" => html("<h1>final</h1>"),
        _ => Action::Send(reply("404 Not Found", &[], b"")),
    })
    .await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let outcome = get(&fetcher, server.url("/a")).await;

    let statuses: Vec<u16> = outcome.hops.iter().map(|h| h.status).collect();
    assert_eq!(statuses, vec![301, 302, 308]);
    let from: Vec<&str> = outcome.hops.iter().map(|h| h.url.path()).collect();
    assert_eq!(from, vec!["/a", "/b", "/sub/c"]);
    let to: Vec<String> = outcome
        .hops
        .iter()
        .map(|h| h.location.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(
        to,
        vec![
            server.url("/b").to_string(),
            server.url("/sub/c").to_string(),
            server.url("/d?x=1").to_string(), // fragment dropped
        ]
    );
    assert_eq!(outcome.attempts, 4);
    assert_eq!(outcome.requested, server.url("/a"));
    let response = outcome.result.unwrap();
    assert_eq!(response.url, server.url("/d?x=1"));
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"<h1>final</h1>");
    assert_eq!(
        response.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );

    // Not following: the first redirect is the final response, with its Location header.
    let unfollowed = fetcher
        .fetch(FetchRequest {
            follow_redirects: false,
            ..FetchRequest::get(server.url("/a"))
        })
        .await;
    assert!(unfollowed.hops.is_empty());
    let response = unfollowed.result.unwrap();
    assert_eq!(response.status, 301);
    assert_eq!(response.header("location"), Some("/b"));
}

#[tokio::test]
async fn redirect_without_location_is_final() {
    let server = Server::start(|_| Action::Send(reply("302 Found", &[], b"nowhere"))).await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let outcome = get(&fetcher, server.url("/x")).await;
    assert!(outcome.hops.is_empty());
    let response = outcome.result.unwrap();
    assert_eq!(response.status, 302);
    assert_eq!(response.body, b"nowhere");
}

#[tokio::test]
async fn redirect_loops_end_bounded() {
    let server = Server::start(|req| {
        let path = req.path.clone();
        match path.as_str() {
            "/loop1" => redirect("301 Moved Permanently", "/loop2"),
            "/loop2" => redirect("302 Found", "/loop1"),
            "/self" => redirect("302 Found", "/self#again"),
            p if p.starts_with("/n/") => {
                let n: u32 = p[3..].parse().unwrap();
                redirect("302 Found", &format!("/n/{}", n + 1))
            }
            _ => Action::Send(reply("404 Not Found", &[], b"")),
        }
    })
    .await;
    let fetcher = Fetcher::new(settings()).unwrap();

    let looped = get(&fetcher, server.url("/loop1")).await;
    assert_eq!(
        looped.result.unwrap_err(),
        FetchFailure::RedirectLoop(server.url("/loop1"))
    );
    assert_eq!(looped.hops.len(), 2);
    assert_eq!(looped.attempts, 2);

    let to_self = get(&fetcher, server.url("/self")).await;
    assert_eq!(
        to_self.result.unwrap_err(),
        FetchFailure::RedirectLoop(server.url("/self"))
    );

    // An endless chain of new URLs: stops after max_redirects (10) have been followed.
    let endless = get(&fetcher, server.url("/n/0")).await;
    let failure = endless.result.unwrap_err();
    assert_eq!(failure, FetchFailure::TooManyRedirects(10));
    assert_eq!(failure.to_string(), "gave up after 10 redirects");
    assert_eq!(endless.hops.len(), 11);
    assert_eq!(endless.attempts, 11);
}

#[tokio::test]
async fn bad_redirect_target_is_reported() {
    let server = Server::start(|req| match req.path.as_str() {
        "/ftp" => redirect("301 Moved Permanently", "ftp://files.example/x"),
        _ => redirect("301 Moved Permanently", "http://[::1"),
    })
    .await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let outcome = get(&fetcher, server.url("/ftp")).await;
    assert!(matches!(outcome.result, Err(FetchFailure::BadRedirect(_))));
    let outcome = get(&fetcher, server.url("/broken")).await;
    assert!(matches!(outcome.result, Err(FetchFailure::BadRedirect(_))));
    assert_eq!(outcome.hops.len(), 1);
    assert_eq!(outcome.hops[0].location, None);
}

#[tokio::test]
async fn endless_body_is_truncated_at_the_cap() {
    let server = Server::start(|_| {
        Action::Endless(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n".to_vec(),
        )
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        max_body_bytes: 100_000,
        ..settings()
    })
    .unwrap();
    let outcome = get(&fetcher, server.url("/forever")).await;
    let response = outcome.result.unwrap();
    assert_eq!(response.status, 200);
    assert!(response.truncated);
    assert_eq!(response.body.len(), 100_000);
    assert!(response.body.iter().all(|&b| b == b'x'));
}

#[tokio::test]
async fn headers_then_stall_times_out() {
    let server = Server::start(|_| {
        Action::Stall(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial".to_vec(),
            Duration::from_secs(10),
        )
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        timeout: Duration::from_secs(2),
        ..settings()
    })
    .unwrap();
    let outcome = get(&fetcher, server.url("/stall")).await;
    assert!(
        matches!(outcome.result, Err(FetchFailure::Timeout(_))),
        "{:?}",
        outcome.result
    );
    assert_eq!(outcome.attempts, 1);
    assert!(outcome.duration >= Duration::from_secs(2));
    assert!(
        outcome.duration < Duration::from_secs(5),
        "{:?}",
        outcome.duration
    );
}

#[tokio::test]
async fn connection_refused_is_connect_failure_and_retried() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let fetcher = Fetcher::new(FetchSettings {
        retries: 1,
        ..settings()
    })
    .unwrap();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let outcome = get(&fetcher, url).await;
    let failure = outcome.result.unwrap_err();
    assert!(matches!(failure, FetchFailure::Connect(_)), "{failure:?}");
    let message = failure.to_string();
    assert!(message.starts_with("could not connect: "), "{message}");
    assert!(!message.contains('\n'));
    assert_eq!(outcome.attempts, 2);
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let server = Server::start(|req| match req.nth {
        1 | 2 => Action::Send(reply("503 Service Unavailable", &[], b"busy")),
        _ => html("<p>ok</p>"),
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        retries: 2,
        ..settings()
    })
    .unwrap();
    let outcome = get(&fetcher, server.url("/flaky")).await;
    assert_eq!(outcome.attempts, 3);
    let response = outcome.result.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"<p>ok</p>");
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn persistent_server_error_stays_a_response() {
    let server =
        Server::start(|_| Action::Send(reply("500 Internal Server Error", &[], b"oops"))).await;
    let fetcher = Fetcher::new(FetchSettings {
        retries: 1,
        ..settings()
    })
    .unwrap();
    let outcome = get(&fetcher, server.url("/down")).await;
    assert_eq!(outcome.attempts, 2);
    let response = outcome.result.unwrap();
    assert_eq!(response.status, 500);
    assert_eq!(response.body, b"oops");
}

#[tokio::test]
async fn not_found_and_gone_are_not_retried() {
    let server = Server::start(|req| match req.path.as_str() {
        "/gone" => Action::Send(reply("410 Gone", &[], b"")),
        _ => Action::Send(reply("404 Not Found", &[], b"<h1>Not found</h1>")),
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        retries: 2,
        ..settings()
    })
    .unwrap();
    let outcome = get(&fetcher, server.url("/missing")).await;
    assert_eq!(outcome.attempts, 1);
    let response = outcome.result.unwrap();
    assert_eq!(response.status, 404);
    assert_eq!(response.body, b"<h1>Not found</h1>");
    let outcome = get(&fetcher, server.url("/gone")).await;
    assert_eq!(outcome.attempts, 1);
    assert_eq!(outcome.result.unwrap().status, 410);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let server = Server::start(|req| match req.nth {
        1 => Action::Send(reply(
            "429 Too Many Requests",
            &[("Retry-After", "1")],
            b"slow down",
        )),
        _ => html("<p>ok</p>"),
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        retries: 2,
        ..settings()
    })
    .unwrap();
    let outcome = get(&fetcher, server.url("/limited")).await;
    assert_eq!(outcome.attempts, 2);
    assert_eq!(outcome.result.unwrap().status, 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");

    // The pause holds for the whole host, not just that URL: a 429 with Retry-After and no
    // retries left still makes the next fetch to the host wait.
    let server = Server::start(|req| match req.path.as_str() {
        "/first" => Action::Send(reply("429 Too Many Requests", &[("Retry-After", "1")], b"")),
        _ => html("ok"),
    })
    .await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let first = get(&fetcher, server.url("/first")).await;
    assert_eq!(first.result.unwrap().status, 429);
    assert_eq!(first.attempts, 1);
    get(&fetcher, server.url("/second")).await.result.unwrap();
    let seen = server.seen();
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(950));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        writer.write_all(data).unwrap();
    }
    out
}

#[tokio::test]
async fn compressed_bodies_are_decoded_and_capped_after_decoding() {
    let page = "<p>£25bn framework</p>".repeat(50);
    let gz = gzip(page.as_bytes());
    let br = brotli(page.as_bytes());
    let bomb = gzip(&vec![0u8; 20_000_000]);
    let server = Server::start(move |req| {
        let (encoding, body) = match req.path.as_str() {
            "/gzip" => ("gzip", gz.clone()),
            "/br" => ("br", br.clone()),
            _ => ("gzip", bomb.clone()),
        };
        Action::Send(reply(
            "200 OK",
            &[
                ("Content-Type", "text/html"),
                ("Content-Encoding", encoding),
            ],
            &body,
        ))
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        max_body_bytes: 50_000,
        ..settings()
    })
    .unwrap();

    let response = get(&fetcher, server.url("/gzip")).await.result.unwrap();
    assert_eq!(response.body, page.as_bytes());
    assert!(!response.truncated);
    let accepted = server.seen()[0]
        .header("accept-encoding")
        .unwrap_or_default()
        .to_owned();
    assert!(
        accepted.contains("gzip") && accepted.contains("br"),
        "{accepted}"
    );

    let response = get(&fetcher, server.url("/br")).await.result.unwrap();
    assert_eq!(response.body, page.as_bytes());

    // 20 MB of zeros in ~20 KB of gzip: the cap counts decoded bytes.
    let response = get(&fetcher, server.url("/bomb")).await.result.unwrap();
    assert!(response.truncated);
    assert_eq!(response.body.len(), 50_000);
}

#[tokio::test]
async fn headers_are_lowercased_and_bounded() {
    let server = Server::start(|_| {
        let long = "v".repeat(20_000);
        let mut headers: Vec<(String, String)> = (0..150)
            .map(|i| (format!("X-Extra-{i:03}"), "1".to_owned()))
            .collect();
        headers.insert(0, ("X-Long".into(), long));
        headers.insert(0, ("X-Latin".into(), "caf\u{e9}".into()));
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        Action::Send(reply("200 OK", &refs, b"ok"))
    })
    .await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let response = get(&fetcher, server.url("/")).await.result.unwrap();
    assert_eq!(response.headers.len(), 100);
    assert!(response
        .headers
        .iter()
        .all(|(n, _)| *n == n.to_ascii_lowercase()));
    assert_eq!(response.header("x-long").map(str::len), Some(8 * 1024));
    assert_eq!(response.header("x-latin"), Some("café"));
}

#[tokio::test]
async fn sloppy_response_heads_are_tolerated_like_browsers() {
    let server = Server::start(|_| {
        Action::Send(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nthis is not a header\r\n\
              X-Spaced : yes\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                .to_vec(),
        )
    })
    .await;
    let fetcher = Fetcher::new(settings()).unwrap();
    let response = get(&fetcher, server.url("/")).await.result.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"ok");
    assert_eq!(response.content_type.as_deref(), Some("text/html"));
}

#[tokio::test]
async fn every_hop_and_retry_respects_the_host_gap() {
    let server = Server::start(|req| match (req.path.as_str(), req.nth) {
        ("/start", _) => redirect("302 Found", "/flaky"),
        ("/flaky", 1) => Action::Send(reply("502 Bad Gateway", &[], b"")),
        _ => html("done"),
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        delay: Duration::from_millis(700),
        retries: 1,
        ..settings()
    })
    .unwrap();
    let outcome = get(&fetcher, server.url("/start")).await;
    assert_eq!(outcome.result.unwrap().status, 200);
    assert_eq!(outcome.attempts, 3);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for pair in seen.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(650), "gap {gap:?}");
    }
}

#[tokio::test]
async fn concurrency_limits_hold_across_fetches() {
    let slow =
        |_: &Seen| Action::SendAfter(Duration::from_millis(300), reply("200 OK", &[], b"ok"));

    // Global limit 1: never two requests at once, even with a generous per-host limit.
    let server = Server::start(slow).await;
    let fetcher = Fetcher::new(FetchSettings {
        concurrency: 1,
        per_host_concurrency: 4,
        ..settings()
    })
    .unwrap();
    let urls: Vec<Url> = (0..3).map(|i| server.url(&format!("/g{i}"))).collect();
    let outcomes = futures_util::future::join_all(urls.into_iter().map(|u| get(&fetcher, u))).await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    assert_eq!(server.peak(), 1);

    // Per-host limit 2 under a global limit of 8.
    let server = Server::start(slow).await;
    let fetcher = Fetcher::new(FetchSettings {
        concurrency: 8,
        per_host_concurrency: 2,
        ..settings()
    })
    .unwrap();
    let urls: Vec<Url> = (0..5).map(|i| server.url(&format!("/h{i}"))).collect();
    let outcomes = futures_util::future::join_all(urls.into_iter().map(|u| get(&fetcher, u))).await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    assert_eq!(server.peak(), 2);
}

#[tokio::test]
async fn unsupported_scheme_fails_cleanly() {
    let fetcher = Fetcher::new(settings()).unwrap();
    let outcome = get(&fetcher, Url::parse("ftp://example.org/file").unwrap()).await;
    assert!(matches!(outcome.result, Err(FetchFailure::Other(_))));
    assert_eq!(outcome.attempts, 0);
}
