//! Issue 9, the archive's side: an archive written before documents were read is upgraded
//! without a flood of records and without its garbage; hostile documents end as recorded
//! text-unavailable versions while the crawl goes on.

mod common;

use common::Harness;
use quietwatch::analyse::charset::decode_html;
use quietwatch::analyse::extract::Extractor;
use quietwatch::model::ChangeKind;
use quietwatch::store::TextStatus;
use quietwatch_fixture::{demo_site, FixtureSite};
use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};
use std::path::Path;
use url::Url;

const SPEC: &str = "/wp-content/uploads/2026/01/RM6160-Specification.docx";
const PRICES: &str = "/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx";
const ORDER: &str = "/wp-content/uploads/2026/01/RM6160-Order-Form.pdf";

/// What the reader before this change made of a body (its code, verbatim in substance):
/// any Content-Type containing "html", or "xml" but not "application/xml", was parsed as
/// HTML; `text/*` was decoded; anything else had no text. Title: the HTML title, else the
/// file name.
fn old_reading(body: &[u8], content_type: &str, url: &Url) -> (String, String) {
    let ct = content_type.to_ascii_lowercase();
    let file = url
        .path_segments()
        .unwrap()
        .next_back()
        .unwrap()
        .to_string();
    if ct.contains("html") || ct.contains("xml") && !ct.contains("application/xml") {
        let (html, _) = decode_html(body, Some(content_type));
        let ex = Extractor::new(None, &[], &[], None)
            .unwrap()
            .extract(&html, url);
        return (ex.title, ex.text);
    }
    if ct.starts_with("text/") {
        return (file, decode_html(body, Some(content_type)).0);
    }
    (file, String::new())
}

/// Turns an archive written by this build back into one written before documents were read:
/// the schema of two steps (`user_version` 2: no facts, phrases or text status), and every non-HTML version
/// holding what the old reader made of its body — the XLSX and DOCX as HTML garbage in
/// `texts` and the index. Returns the garbage's words that only the garbage holds.
fn age(db: &Path) -> Vec<String> {
    let c = Connection::open(db).unwrap();
    let rows: Vec<(i64, String, String, Vec<u8>)> = {
        let mut st = c
            .prepare(
                "SELECT v.id, p.url, v.content_type, b.data FROM versions v
                 JOIN pages p ON p.id = v.page_id JOIN bodies b ON b.id = v.body_id
                 WHERE v.content_type NOT LIKE 'text/html%'",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(rows.len(), 6, "the demo's six documents");
    let mut garbage_words = Vec::new();
    for (id, url, ct, z) in rows {
        let body = zstd::decode_all(&z[..]).unwrap();
        let (title, text) = old_reading(&body, &ct, &Url::parse(&url).unwrap());
        if ct.contains("openxmlformats") {
            assert!(!text.is_empty(), "the old reader read {url} as HTML");
            // Words only this garbage holds: not in any text indexed so far.
            let fresh: Vec<String> = text
                .split(|ch: char| !ch.is_alphanumeric())
                .filter(|w| w.len() >= 6 && w.chars().all(|c| c.is_ascii_alphabetic()))
                .filter(|w| fts_count(&c, w) == 0)
                .take(3)
                .map(str::to_string)
                .collect();
            garbage_words.extend(fresh);
        }
        let sha = Sha256::digest(text.as_bytes()).to_vec();
        c.execute(
            "INSERT OR IGNORE INTO texts (sha256, data) VALUES (?1, ?2)",
            params![sha, zstd::encode_all(text.as_bytes(), 3).unwrap()],
        )
        .unwrap();
        let text_id: i64 = c
            .query_row("SELECT id FROM texts WHERE sha256 = ?1", [&sha], |r| {
                r.get(0)
            })
            .unwrap();
        if c.changes() > 0 {
            c.execute(
                "INSERT INTO texts_fts (rowid, body) VALUES (?1, ?2)",
                params![text_id, text],
            )
            .unwrap();
        }
        c.execute(
            "UPDATE versions SET text_id = ?2, title = ?3 WHERE id = ?1",
            params![id, text_id, title],
        )
        .unwrap();
    }
    c.execute_batch(
        // Every step after the second (facts, watched phrases and endings, documents' text)
        // undone, as a build from before them left its archives.
        "DROP INDEX versions_not_read;
         ALTER TABLE versions DROP COLUMN text_status;
         ALTER TABLE versions DROP COLUMN text_note;
         DROP TABLE ending_notices;
         ALTER TABLE changes DROP COLUMN phrase;
         ALTER TABLE changes DROP COLUMN facts;
         ALTER TABLE versions DROP COLUMN agreement;
         ALTER TABLE versions DROP COLUMN facts;
         PRAGMA user_version = 2;",
    )
    .unwrap();
    garbage_words.sort();
    garbage_words.dedup();
    garbage_words
}

fn fts_hits(db: &Path, word: &str) -> i64 {
    fts_count(&Connection::open(db).unwrap(), word)
}

fn fts_count(c: &Connection, word: &str) -> i64 {
    c.query_row(
        "SELECT COUNT(*) FROM texts_fts WHERE texts_fts MATCH ?1",
        [format!("\"{word}\"")],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_from_before_is_upgraded_without_a_flood_of_records() {
    // "Ending soon" is news of its own (which agreements end soon depends on the day the test
    // runs); this test is about what an upgrade reports, so it is off.
    let h = Harness::start(
        demo_site(),
        &[("ending_within_days = 90", "ending_within_days = 0")],
    )
    .await;
    let r1 = h.crawl().await;
    assert!(!r1.any_site_failed(), "{}", r1.summary_line());
    let garbage = age(&h.db());
    assert!(!garbage.is_empty());
    // What the old archive looks like: the garbage is searchable.
    assert!(
        garbage.iter().any(|w| fts_hits(&h.db(), w) > 0),
        "{garbage:?}"
    );

    // The upgraded build's first run: the same site, nothing changed on it.
    let r2 = h.crawl().await;
    assert_eq!(r2.repaired.repaired, 6, "{:?}", r2.repaired);
    assert!(r2.repaired.misread >= 2, "{:?}", r2.repaired);
    let changes = h.changes_of_run(&r2);
    assert!(
        changes.is_empty(),
        "gaining a text is no change: {changes:#?}"
    );
    // The garbage left the index and the stored texts; the XLSX reads as a spreadsheet.
    for w in &garbage {
        assert_eq!(fts_hits(&h.db(), w), 0, "{w} is still indexed");
    }
    let store = h.store();
    let xlsx = store.page_for_url(&h.url("gca", PRICES)).unwrap().unwrap();
    let v = store
        .version(xlsx.latest_version.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(v.span.text_status, TextStatus::Read);
    assert!(v.text.contains("Senior consultant | £650"), "{}", v.text);
    assert_eq!(v.span.title, "RM6160-Pricing-Schedule.xlsx");
    let show = common::qw(&h.config_path, &["show", &h.url("gca", PRICES)]).await;
    assert!(
        show.stdout.contains("# Sheet: Day rates"),
        "{}",
        show.stdout
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    drop(store);

    // And the next real change is judged by text: the re-exported PDF is quiet.
    h.server.set_version(2);
    let r3 = h.crawl().await;
    let changes = h.changes_of_run(&r3);
    let at = |p: &str| changes.iter().find(|c| c.url == h.url("gca", p));
    assert!(at(ORDER).is_none(), "{changes:#?}");
    let spec = at(SPEC).expect("the DOCX's new requirement");
    assert_eq!(spec.kind, ChangeKind::Changed);
    assert!(!spec.summary.contains("sha256"), "{}", spec.summary);
    assert!(at(PRICES).is_some_and(|c| c.summary.contains("£675")));
}

/// A PDF whose trailer says it is encrypted (RC4, the standard handler), of one page.
fn encrypted_pdf() -> Vec<u8> {
    let objects: [&[u8]; 5] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 8 >>\nstream\n\x8a\x13\x07\xf2\x11\x9c\x01\x55\nendstream",
        b"<< /Filter /Standard /V 1 /R 2 /O <0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef> /U <fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210> /P -44 >>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Encrypt 5 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A DOCX whose document part inflates to 200 MB of one repeated byte (a zip bomb).
fn zip_bomb_docx() -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("[Content_Types].xml", opts).unwrap();
        z.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#).unwrap();
        z.start_file("word/document.xml", opts).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..200 {
            z.write_all(&chunk).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_are_recorded_unreadable_and_the_crawl_goes_on() {
    let xlsx = demo_site()
        .read("v1/gca/wp-content/uploads/2026/01/RM6160-Pricing-Schedule.xlsx")
        .unwrap();
    let pdf = demo_site()
        .read("v1/gca/wp-content/uploads/2026/01/RM6160-Order-Form.pdf")
        .unwrap();
    let docs: Vec<(&str, Vec<u8>)> = vec![
        ("encrypted.pdf", encrypted_pdf()),
        ("bomb.docx", zip_bomb_docx()),
        ("truncated.xlsx", xlsx[..xlsx.len() / 2].to_vec()),
        ("truncated.pdf", pdf[..pdf.len() / 3].to_vec()),
        (
            "noise.pdf",
            b"%PDF-1.7\n\x00\xff garbage, not a PDF at all".repeat(50),
        ),
        ("not-a-zip.docx", b"PK\x03\x04 this is no zip".to_vec()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let host = site.join("v1/web");
    std::fs::create_dir_all(host.join("docs")).unwrap();
    let links: String = docs
        .iter()
        .map(|(name, _)| format!("<li><a href=\"/docs/{name}\">{name}</a></li>"))
        .collect();
    std::fs::write(
        host.join("index.html"),
        format!(
            "<html><head><title>Documents</title></head><body><main><h1>Documents</h1>\
             <ul>{links}</ul><p><a href=\"/after\">After the documents</a></p></main></body></html>"
        ),
    )
    .unwrap();
    std::fs::write(
        host.join("after.html"),
        "<html><head><title>After</title></head><body><main><h1>Still crawled</h1></main></body></html>",
    )
    .unwrap();
    for (name, bytes) in &docs {
        std::fs::write(host.join("docs").join(name), bytes).unwrap();
    }
    std::fs::write(
        site.join("site.toml"),
        "name = \"hostile\"\nhosts = [\"web\"]\n[[version]]\nn = 1\n",
    )
    .unwrap();
    std::fs::write(
        site.join("quietwatch.toml"),
        "[crawl]\ndelay_ms = 0\nrespect_robots = false\nmax_body_bytes = 10000000\n\
         [storage]\ndb = \"q.db\"\n\
         [[site]]\nname = \"hostile\"\nstart = [\"{{host:web}}/\"]\nsitemaps = false\ndocuments = true\n",
    )
    .unwrap();
    let h = Harness::start(FixtureSite::Dir(site), &[]).await;
    let started = std::time::Instant::now();
    let r = h.crawl().await;
    assert!(!r.any_site_failed(), "{}", r.summary_line());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "bounded: {:?}",
        started.elapsed()
    );
    let store = h.store();
    for (name, _) in &docs {
        let url = h.url("web", &format!("/docs/{name}"));
        let page = store
            .page_for_url(&url)
            .unwrap()
            .unwrap_or_else(|| panic!("{name} was not kept as a page"));
        let v = store
            .version_span(page.latest_version.unwrap())
            .unwrap()
            .unwrap();
        match &v.text_status {
            TextStatus::Unavailable(why) => assert!(!why.is_empty(), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(
        store
            .page_for_url(&h.url("web", "/after"))
            .unwrap()
            .is_some(),
        "the crawl went on past the documents"
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    // `history` says why a document has no text.
    let out = common::qw(
        &h.config_path,
        &["history", &h.url("web", "/docs/encrypted.pdf"), "--json"],
    )
    .await;
    assert!(
        out.stdout.contains("\"text_status\":\"unavailable\""),
        "{}",
        out.stdout
    );
    // So does the web UI's version page.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let db = h.db();
    tokio::spawn(async move { axum::serve(listener, quietwatch::serve::router(db)).await });
    let page = store
        .page_for_url(&h.url("web", "/docs/encrypted.pdf"))
        .unwrap()
        .unwrap();
    let body = reqwest::get(format!(
        "http://{addr}/version/{}",
        page.latest_version.unwrap()
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(body.contains("Text unavailable: "), "{body}");
}
