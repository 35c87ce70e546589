//! `search` on a store of 50,000 versions (SPEC/issue 5: "well under a second").
//!
//! Builds the store once (100 pages × 500 versions, ~200 words each, distinct texts), then
//! times each query several times and prints the median and the worst. Run with
//! `cargo bench --bench history`. Speed targets live here, never in timed tests.

#[path = "../tests/history_bulk/mod.rs"]
mod bulk;

use quietwatch::archive::search;
use quietwatch::store::Store;
use std::time::{Duration, Instant};

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let t = Instant::now();
    bulk::fill_big_store(&path, 50_000, 200, 1_767_225_600_000);
    println!(
        "built 50,000 versions in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let store = Store::open_readonly(&path).expect("open");

    for query in [
        "market engagement",   // a phrase in 49,998 versions of all 100 pages
        "tok31337x",           // one version
        "engag*",              // a prefix
        "framework agreement", // two common words as a phrase
        "RM6281",              // nowhere
    ] {
        let mut times: Vec<Duration> = Vec::new();
        let mut hits = 0;
        for _ in 0..15 {
            let t = Instant::now();
            hits = search::search(&store, query).expect("search").len();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "search {query:?}: {hits} pages, median {:.1} ms, worst {:.1} ms",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3
        );
    }
}
