//! JSON renderings for the CLI: `history --json` events and `changes --json` lines.
//!
//! Field names are stable; fields may be added, never renamed (SPEC.md's promise for the
//! change JSON holds for these too).

use crate::archive::history::{ChangeAt, PageHistory};
use crate::model::Change;
use crate::store::format_ms;
use serde_json::json;
use std::collections::BTreeMap;

/// One `changes --json` line (SPEC.md's change shape).
pub fn change_line(c: &Change) -> Result<String, serde_json::Error> {
    serde_json::to_string(c)
}

/// `history --json`: one object per event — `"event": "fetch" | "version" | "change"` —
/// oldest first (a fetch before the version it produced, changes after the fetches of their
/// run). Times are RFC 3339 UTC strings in `at` plus milliseconds in `at_ms`. Field names are
/// stable; fields may be added, never renamed.
pub fn history_json(h: &PageHistory) -> Vec<serde_json::Value> {
    let url = &h.page.url;
    let sha_of_body: BTreeMap<i64, String> = h
        .versions
        .iter()
        .map(|v| (v.body_id, v.sha256_hex()))
        .collect();
    let mut events: Vec<(i64, u8, i64, serde_json::Value)> = Vec::new();
    for f in &h.fetches {
        let hops: Vec<serde_json::Value> = f
            .meta
            .hops
            .iter()
            .map(|(u, s)| json!({"url": u, "status": s}))
            .collect();
        events.push((
            f.meta.fetched_at,
            0,
            f.id,
            json!({
                "event": "fetch",
                "at": format_ms(f.meta.fetched_at),
                "at_ms": f.meta.fetched_at,
                "url": f.meta.url.as_deref().unwrap_or(url),
                "page_url": url,
                "fetch_id": f.id,
                "run_id": f.meta.run_id,
                "purpose": f.meta.purpose,
                "http_status": f.meta.first_status,
                "final_status": f.meta.status,
                "hops": hops,
                "final_url": f.meta.final_url,
                "not_modified": f.meta.status == Some(304),
                "error": f.meta.error,
                "bytes": f.bytes,
                "truncated": f.meta.truncated,
                "duration_ms": f.meta.duration_ms,
                "version": f.version_id,
                "body_sha256": f.body_id.and_then(|b| sha_of_body.get(&b)),
            }),
        ));
    }
    for v in &h.versions {
        events.push((
            v.first_seen,
            1,
            v.id,
            json!({
                "event": "version",
                "at": format_ms(v.first_seen),
                "at_ms": v.first_seen,
                "url": url,
                "version": v.id,
                "title": v.title,
                "sha256": v.sha256_hex(),
                "size": v.body_size,
                "content_type": v.content_type,
                "text_id": v.text_id,
                "text_status": v.text_status.as_str(),
                "text_unavailable": v.text_status.reason(),
                "first_seen": format_ms(v.first_seen),
                "last_seen": format_ms(v.last_seen),
                "seen_count": v.seen_count,
                "fact_changes": h.fact_changes.get(&v.id).cloned().unwrap_or_default(),
            }),
        ));
    }
    for ChangeAt {
        at_ms: at,
        change: c,
    } in &h.changes
    {
        let at = *at;
        let mut obj = serde_json::to_value(c).unwrap_or_else(|_| json!({}));
        if let Some(m) = obj.as_object_mut() {
            m.insert("event".into(), json!("change"));
            m.insert("at".into(), json!(c.detected_at));
            m.insert("at_ms".into(), json!(at));
        }
        events.push((at, 2, c.id, obj));
    }
    events.sort_by_key(|e| (e.0, e.1, e.2));
    events.into_iter().map(|e| e.3).collect()
}
