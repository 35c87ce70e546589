//! The Atom feed read back by independent parsers: Python's `feedparser` (no bozo, the
//! expected entries, ids and links), Python's expat and Rust's roxmltree (strict XML 1.0
//! well-formedness), with hostile page text that must round-trip as text.

mod channel_fixtures;

use channel_fixtures::*;
use quietwatch::model::Change;
use quietwatch::report::feed::{entry_id, feed, FeedOptions};
use serde_json::Value;

const ARCHIVE: &str = "http://127.0.0.1:8080";
const ATOM: &str = "http://www.w3.org/2005/Atom";

fn sample() -> Vec<Change> {
    let mut plain = change(3, "unlinked", "minor", "");
    plain.detected_at = "2026-11-23T06:00:00Z".into();
    vec![rich_change(1), hostile_change(2), plain]
}

fn write_tmp(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

const FEEDPARSER: &str = r#"
import json, sys
import xml.sax
import feedparser
path = sys.argv[1]
# expat, strict: raises on any well-formedness error or character XML 1.0 forbids
xml.sax.parse(path, xml.sax.ContentHandler())
d = feedparser.parse(path)
out = {
    "bozo": int(bool(d.bozo)),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "version": d.version,
    "feed_id": d.feed.get("id"),
    "feed_title": d.feed.get("title"),
    "feed_updated": d.feed.get("updated"),
    "entries": [
        {
            "id": e.get("id"),
            "title": e.get("title"),
            "title_type": e.get("title_detail", {}).get("type"),
            "updated": e.get("updated"),
            "links": [{"rel": l.get("rel"), "href": l.get("href")} for l in e.get("links", [])],
            "summary": e.get("summary"),
            "content": [c.get("value") for c in e.get("content", [])],
            "content_type": [c.get("type") for c in e.get("content", [])],
            "tags": [{"term": t.get("term"), "scheme": t.get("scheme")} for t in e.get("tags", [])],
            "author": e.get("author"),
        }
        for e in d.entries
    ],
}
print(json.dumps(out))
"#;

fn parse_with_feedparser(xml: &str) -> Value {
    let (_dir, path) = write_tmp("feed.atom", xml);
    let out = python(FEEDPARSER, &[&path]);
    serde_json::from_str(out.trim()).expect("feedparser output")
}

#[test]
fn feedparser_reads_the_feed_without_errors() {
    let opts = FeedOptions {
        self_link: Some("http://127.0.0.1:8080/feed.atom".into()),
        ..FeedOptions::all_sites(Some(ARCHIVE))
    };
    let xml = feed(&sample(), &opts);
    let d = parse_with_feedparser(&xml);
    assert_eq!(d["bozo"], 0, "feedparser: {}", d["bozo_exception"]);
    assert_eq!(d["version"], "atom10");
    assert_eq!(d["feed_id"], "urn:quietwatch:feed");
    assert_eq!(
        d["feed_updated"], "2026-11-23T06:00:00+00:00",
        "the newest entry's time"
    );
    let entries = d["entries"].as_array().unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    // Newest first.
    assert_eq!(ids, vec![entry_id(3), entry_id(2), entry_id(1)]);

    let plain = &entries[0];
    assert_eq!(
        plain["title"], "UNLINKED — https://www.gca.gov.uk/agreements/RM6003",
        "untitled pages fall back to their URL"
    );
    let rich = &entries[2];
    assert_eq!(rich["title"], "CHANGED — Health Sector Resourcing");
    assert_eq!(rich["title_type"], "text/plain");
    assert_eq!(rich["updated"], "2026-11-22T06:00:01+00:00");
    assert_eq!(rich["author"], "GCA agreements");
    let links = rich["links"].as_array().unwrap();
    assert_eq!(links[0]["rel"], "alternate");
    assert!(links[0]["href"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:8080/diff?url="));
    assert_eq!(links[1]["rel"], "related");
    assert_eq!(links[1]["href"], "https://www.gca.gov.uk/agreements/RM6001");
    let tags: Vec<(&str, &str)> = rich["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["term"].as_str().unwrap(), t["scheme"].as_str().unwrap()))
        .collect();
    assert!(tags.contains(&("changed", "urn:quietwatch:kind")));
    assert!(tags.contains(&("major", "urn:quietwatch:significance")));
    assert_eq!(rich["content_type"][0], "text/html");
    let html = rich["content"][0].as_str().unwrap();
    assert!(
        html.contains("<table>") && html.contains("£25bn") && html.contains("£17bn"),
        "{html}"
    );
    assert!(
        html.contains("<del>£25bn</del>") && html.contains("<ins>£17bn</ins>"),
        "{html}"
    );
    assert!(html.contains("rm6281-guidance.pdf"));

    // Hostile text is text: feedparser gives it back as typed (controls removed), and its
    // sanitised HTML holds it escaped, never as elements.
    let hostile = &entries[1];
    let title = hostile["title"].as_str().unwrap();
    for p in PLANTED {
        assert!(title.contains(p), "{p:?} lost from the title {title:?}");
    }
    assert!(title.starts_with("REMOVED — <script>alert(1)</script>"));
    assert!(!title.contains('\u{1}') && !title.contains('\u{fffe}') && !title.contains('\u{202e}'));
    let html = hostile["content"][0].as_str().unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
    assert!(
        html.contains("&lt;!channel&gt;") && html.contains("[link](http"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("<at>"),
        "{html}"
    );
    assert!(!html.contains("href=\"http://evil"), "{html}");
    // A javascript: redirect or document never becomes a link.
    assert!(!html.contains("href=\"javascript"), "{html}");
    let links = hostile["links"].as_array().unwrap();
    assert!(links
        .iter()
        .all(|l| l["href"].as_str().unwrap().starts_with("http")));
}

#[test]
fn ids_are_stable_across_generations_and_independent_of_archive_url() {
    let first = feed(&sample(), &FeedOptions::all_sites(Some(ARCHIVE)));
    assert_eq!(
        first,
        feed(&sample(), &FeedOptions::all_sites(Some(ARCHIVE))),
        "deterministic"
    );

    // Next generation: a new change, input in another order, another archive URL.
    let mut next = sample();
    next.reverse();
    let mut newer = change(4, "restored", "major", "Back again");
    newer.detected_at = "2026-11-24T06:00:00Z".into();
    next.push(newer);
    let second = feed(
        &next,
        &FeedOptions::all_sites(Some("https://archive.example.org/qw")),
    );

    let ids = |xml: &str| -> Vec<String> {
        let d = parse_with_feedparser(xml);
        assert_eq!(d["bozo"], 0, "{}", d["bozo_exception"]);
        d["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    let a = ids(&first);
    let b = ids(&second);
    assert_eq!(b[0], "urn:quietwatch:change:4");
    assert_eq!(&b[1..], &a[..], "the same changes keep the same ids");
    assert!(second.contains("https://archive.example.org/qw/diff?url="));
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    n.children()
        .find(|c| c.tag_name().name() == name && c.tag_name().namespace() == Some(ATOM))
        .unwrap_or_else(|| panic!("no <{name}>"))
}

#[test]
fn strict_xml_reader_gets_hostile_text_back_as_text() {
    let xml = feed(
        &sample(),
        &FeedOptions::site("GCA <agreements> & co", Some(ARCHIVE)),
    );
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML 1.0");
    let root = doc.root_element();
    assert_eq!(root.tag_name().namespace(), Some(ATOM));
    assert_eq!(root.tag_name().name(), "feed");
    assert_eq!(
        child(root, "id").text(),
        Some("urn:quietwatch:feed:site:GCA+%3Cagreements%3E+%26+co")
    );
    assert_eq!(
        child(root, "title").text(),
        Some("quietwatch: changes on GCA <agreements> & co")
    );
    let entries: Vec<_> = root
        .children()
        .filter(|c| c.tag_name().name() == "entry")
        .collect();
    assert_eq!(entries.len(), 3);
    let hostile = entries
        .iter()
        .find(|e| child(**e, "id").text() == Some("urn:quietwatch:change:2"))
        .unwrap();
    let title = child(*hostile, "title").text().unwrap();
    let expected = format!("REMOVED — {} end", PLANTED.join(" "));
    assert_eq!(title, expected, "the title round-trips as text");
    // No element came out of page text: the entry has only Atom's own children.
    for c in hostile.children().filter(|c| c.is_element()) {
        assert_eq!(c.tag_name().namespace(), Some(ATOM));
        assert!(
            ["id", "title", "updated", "author", "category", "link", "summary", "content"]
                .contains(&c.tag_name().name()),
            "unexpected <{}>",
            c.tag_name().name()
        );
    }
    let content = child(*hostile, "content");
    assert_eq!(content.attribute("type"), Some("html"));
    assert!(
        content.children().all(|c| c.is_text()),
        "content is one text node"
    );
    let html = content.text().unwrap();
    assert!(
        html.contains("&lt;script&gt;") && html.contains("]]&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"));
    let summary = child(*hostile, "summary").text().unwrap();
    assert!(
        summary.starts_with("summary <script>alert(1)</script>"),
        "{summary}"
    );
    assert!(!summary.contains('\u{0}') && !summary.contains('\u{1b}'));
}

#[test]
fn without_archive_url_the_page_is_the_alternate_link() {
    let xml = feed(&[rich_change(1)], &FeedOptions::all_sites(None));
    let d = parse_with_feedparser(&xml);
    assert_eq!(d["bozo"], 0, "{}", d["bozo_exception"]);
    let links = d["entries"][0]["links"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["rel"], "alternate");
    assert_eq!(links[0]["href"], "https://www.gca.gov.uk/agreements/RM6001");
    assert!(!xml.contains("127.0.0.1"));
}

#[test]
fn an_empty_feed_is_valid_and_deterministic() {
    let xml = feed(&[], &FeedOptions::all_sites(None));
    assert_eq!(xml, feed(&[], &FeedOptions::all_sites(None)));
    let d = parse_with_feedparser(&xml);
    assert_eq!(d["bozo"], 0, "{}", d["bozo_exception"]);
    assert_eq!(d["entries"].as_array().unwrap().len(), 0);
    assert_eq!(d["feed_updated"], "1970-01-01T00:00:00+00:00");
}
