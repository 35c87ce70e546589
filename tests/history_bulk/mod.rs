//! Builds a large archive for the search test (tests/history.rs) and the search benchmark
//! (benches/history.rs): `PAGES` pages, one distinct text per version.
//!
//! Rows go straight into the store's tables in one transaction with prepared statements
//! (`Store::record_fetch` costs a transaction and a dozen statement preparations per call,
//! which is minutes for 50,000 versions in a debug build). The FTS index is filled with the
//! same statement `store.rs` uses; fetch rows are left out because search never reads them.

use quietwatch::store::{sha256, Store};
use rusqlite::params;
use std::path::Path;

/// Pages in the big store; versions are spread evenly over them.
pub const PAGES: u32 = 100;

const WORDS: &[&str] = &[
    "framework",
    "agreement",
    "supplier",
    "lot",
    "tender",
    "contract",
    "award",
    "notice",
    "health",
    "sector",
    "resourcing",
    "procurement",
    "public",
    "buyer",
    "guidance",
    "value",
    "estimated",
    "duration",
    "months",
    "renewal",
    "category",
    "services",
    "digital",
    "outcomes",
    "specialists",
    "facilities",
    "management",
    "estates",
    "workforce",
    "nursing",
    "clinical",
    "temporary",
    "staffing",
    "customer",
    "pricing",
    "schedule",
    "terms",
    "call-off",
    "direct",
    "award",
    "competition",
    "further",
    "regional",
    "national",
    "capacity",
    "spend",
];

/// Fills `path` with `versions` versions of about `words` words each, one minute apart.
/// Every text contains "market engagement" except the last two versions of page 7; version
/// number 31337 (counting from 0) alone carries the token "tok31337x".
pub fn fill_big_store(path: &Path, versions: u32, words: u32, t0: i64) {
    let store = Store::open(path).unwrap();
    let site = store.site("Big").unwrap();
    let pages: Vec<i64> = (0..PAGES)
        .map(|p| {
            store
                .ensure_page(site.id, &format!("https://big.example/page/{p}"), 0, false)
                .unwrap()
                .id
        })
        .collect();
    // Written directly, as a bulk loader would: the store's one-transaction-per-fetch path
    // would take minutes for 50,000 versions in a debug build.
    drop(store);
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("PRAGMA synchronous = OFF; BEGIN").unwrap();
    {
        let mut body_st = c
            .prepare("INSERT INTO bodies (sha256, size, data) VALUES (?1, ?2, ?3)")
            .unwrap();
        let mut text_st = c
            .prepare("INSERT INTO texts (sha256, data) VALUES (?1, ?2)")
            .unwrap();
        let mut fts_st = c
            .prepare("INSERT INTO texts_fts (rowid, body) VALUES (?1, ?2)")
            .unwrap();
        let mut version_st = c
            .prepare(
                "INSERT INTO versions (page_id, body_id, text_id, title, content_type,
                    first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, 'text/html', ?5, ?5)",
            )
            .unwrap();
        let per_page = versions / PAGES;
        let mut rng = fastrand::Rng::with_seed(7);
        // One compression context for all rows: creating one per row dominates in debug.
        let mut zc = zstd::bulk::Compressor::new(1).unwrap();
        for n in 0..versions {
            let p = n % PAGES;
            let round = n / PAGES;
            let mut text = format!("Page {p} revision {round}. token tok{n}x.\n");
            if !(p == 7 && round + 2 >= per_page) {
                text.push_str("Market engagement is open for this agreement.\n");
            }
            for i in 0..words {
                text.push_str(WORDS[rng.usize(..WORDS.len())]);
                text.push(if i % 12 == 11 { '\n' } else { ' ' });
            }
            let body = format!("<html><body><main>{text}</main></body></html>");
            let z = zc.compress(body.as_bytes()).unwrap();
            body_st
                .execute(params![&sha256(body.as_bytes())[..], body.len() as i64, z])
                .unwrap();
            let body_id = c.last_insert_rowid();
            let z = zc.compress(text.as_bytes()).unwrap();
            text_st
                .execute(params![&sha256(text.as_bytes())[..], z])
                .unwrap();
            let text_id = c.last_insert_rowid();
            fts_st.execute(params![text_id, text]).unwrap();
            version_st
                .execute(params![
                    pages[p as usize],
                    body_id,
                    text_id,
                    format!("Page {p}"),
                    t0 + i64::from(n) * 60_000
                ])
                .unwrap();
        }
    }
    c.execute_batch(
        "UPDATE pages SET state = 'live',
            latest_version = (SELECT MAX(id) FROM versions WHERE page_id = pages.id);
         COMMIT",
    )
    .unwrap();
}
