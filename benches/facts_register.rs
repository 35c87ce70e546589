//! The facts register (`quietwatch facts`) over 5,000 agreements (issue 10: "answers in
//! under a second"). Plain `fn main` timing, no harness; run with `cargo bench --bench facts_register`.
//!
//! Builds a store once: 5,000 agreement pages with 3 versions each (15,000 versions), every
//! version carrying about 25 facts (reference, status, dates, suppliers, value, 6 lots and 12
//! content links) as the store keeps them, plus 500 removed pages and a change record per
//! page. Then times the register now, as it stood at a past moment (`--at`), with
//! `--expiring 90`, and the JSON Lines and CSV renderings, several times each.

use quietwatch::archive::register::{register, RegisterQuery};
use quietwatch::model::Fact;
use quietwatch::output::register as out;
use quietwatch::store::{sha256, Store};
use rusqlite::params;
use std::time::{Duration, Instant};

const AGREEMENTS: u32 = 5_000;
const VERSIONS: u32 = 3;
const T0: i64 = 1_767_225_600_000; // 2026-01-01
const DAY: i64 = 86_400_000;

fn facts_of(p: u32, v: u32) -> Vec<Fact> {
    let mut f = vec![
        Fact::new("reference", "Agreement ID", &format!("RM{}", 6000 + p)),
        Fact::new(
            "status",
            "Status",
            if v == 2 && p.is_multiple_of(7) {
                "Expired"
            } else {
                "Live"
            },
        ),
        Fact::new("start_date", "Start date", "17/06/2022"),
        Fact::new(
            "end_date",
            "End date",
            &format!("{:02}/{:02}/{}", 1 + p % 28, 1 + (p + v) % 12, 2026 + p % 4),
        ),
        Fact::new("suppliers", "Suppliers", &(20 + p % 50 + v).to_string()),
        Fact::new("value", "Value", "£1.2bn"),
        Fact::new("regulation", "Regulation", "PCR 2015"),
    ];
    for l in 1..=6 {
        f.push(Fact::lot(
            &l.to_string(),
            &format!("Lot title {l} of agreement {p}"),
            Some("Live".into()),
            None,
        ));
    }
    for k in 0..12 {
        f.push(Fact::link(
            &format!("https://www.gca.gov.uk/agreements/RM{}/doc{k}", 6000 + p),
            &format!("Document {k}"),
        ));
    }
    f
}

fn build(path: &std::path::Path) {
    let store = Store::open(path).unwrap();
    let site = store.site("GCA agreements").unwrap();
    let pages: Vec<i64> = (0..AGREEMENTS + 500)
        .map(|p| {
            store
                .ensure_page(
                    site.id,
                    &format!("https://www.gca.gov.uk/agreements/RM{}", 6000 + p),
                    1,
                    false,
                )
                .unwrap()
                .id
        })
        .collect();
    drop(store);
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("PRAGMA synchronous = OFF; BEGIN").unwrap();
    {
        let mut body_st = c
            .prepare("INSERT INTO bodies (sha256, size, data) VALUES (?1, ?2, x'00')")
            .unwrap();
        let mut version_st = c
            .prepare(
                "INSERT INTO versions (page_id, body_id, title, content_type, first_seen, last_seen, facts,
                    agreement) VALUES (?1, ?2, ?3, 'text/html', ?4, ?5, ?6, ?7)",
            )
            .unwrap();
        let mut change_st = c
            .prepare(
                "INSERT INTO changes (run_id, detected_at, site_id, page_id, url, kind, significance, title, summary)
                 VALUES (1, ?1, ?2, ?3, 'u', ?4, 'major', 't', 's')",
            )
            .unwrap();
        for (i, page) in pages.iter().enumerate() {
            let p = i as u32;
            for v in 0..VERSIONS {
                let seen = T0 + i64::from(v) * 30 * DAY;
                body_st
                    .execute(params![&sha256(format!("{p}/{v}").as_bytes())[..], 1])
                    .unwrap();
                let body = c.last_insert_rowid();
                let all = facts_of(p, v);
                let facts = serde_json::to_string(&all).unwrap();
                // As the store files it: the facts without links (every page here is one).
                let kept: Vec<&Fact> = all
                    .iter()
                    .filter(|f| !f.name.starts_with("link:"))
                    .collect();
                let agreement = serde_json::to_string(&kept).unwrap();
                version_st
                    .execute(params![
                        page,
                        body,
                        format!("Agreement {p}"),
                        seen,
                        seen + 29 * DAY,
                        facts,
                        agreement
                    ])
                    .unwrap();
            }
            let kind = if p >= AGREEMENTS {
                "removed"
            } else {
                "changed"
            };
            change_st
                .execute(params![T0 + 75 * DAY, site.id, page, kind])
                .unwrap();
        }
    }
    c.execute_batch(&format!(
        "UPDATE pages SET latest_version = (SELECT MAX(id) FROM versions WHERE page_id = pages.id),
            state = CASE WHEN id > {AGREEMENTS} THEN 'removed' ELSE 'live' END;
         COMMIT"
    ))
    .unwrap();
}

fn time<T>(label: &str, mut f: impl FnMut() -> T, describe: impl Fn(&T) -> String) {
    let mut times: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..7 {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{label}: {}, median {:.0} ms, worst {:.0} ms",
        last.as_ref().map(&describe).unwrap_or_default(),
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facts.db");
    let t = Instant::now();
    build(&path);
    println!(
        "built {} pages × {VERSIONS} versions in {:.1} s",
        AGREEMENTS + 500,
        t.elapsed().as_secs_f64()
    );
    let store = Store::open_readonly(&path).unwrap();
    let rows = |q: RegisterQuery| register(&store, &q).unwrap();
    time(
        "register now",
        || rows(RegisterQuery::default()),
        |r| format!("{} rows", r.len()),
    );
    time(
        "register --at (between versions 2 and 3)",
        || {
            rows(RegisterQuery {
                at_ms: Some(T0 + 45 * DAY),
                ..Default::default()
            })
        },
        |r| format!("{} rows", r.len()),
    );
    time(
        "register --expiring 90",
        || {
            rows(RegisterQuery {
                expiring_days: Some(90),
                ..Default::default()
            })
        },
        |r| format!("{} rows", r.len()),
    );
    time(
        "facts --json (register + JSON Lines)",
        || out::json_lines(&rows(RegisterQuery::default())).unwrap(),
        |s| format!("{} KB", s.len() / 1024),
    );
    time(
        "facts --csv (register + CSV)",
        || out::csv(&rows(RegisterQuery::default())).unwrap(),
        |s| format!("{} KB", s.len() / 1024),
    );
}
