//! The evidence row of a fetch: what every response records, whatever it meant.

use super::fetch::FetchOutcome;
use crate::model::FetchPurpose;
use crate::store::{FetchMeta, FetchRecord};

/// The parts of a fetch record every response shares: times, statuses, hops, validators,
/// headers (not for 304s), truncation and error.
pub fn fetch_meta(run_id: i64, purpose: FetchPurpose, o: &FetchOutcome) -> FetchMeta {
    let mut meta = FetchMeta {
        run_id,
        purpose,
        fetched_at: crate::store::to_ms(o.started_at),
        duration_ms: o.duration.as_millis().min(i64::MAX as u128) as i64,
        hops: o
            .hops
            .iter()
            .map(|h| (h.url.to_string(), h.status))
            .collect(),
        first_status: super::classify::first_status(o),
        ..Default::default()
    };
    match &o.result {
        Ok(r) => {
            meta.status = Some(r.status);
            if !o.hops.is_empty() {
                meta.final_url = Some(r.url.to_string());
            }
            meta.etag = r.etag.clone();
            meta.last_modified = r.last_modified.clone();
            meta.content_type = r.content_type.clone();
            if r.status != 304 {
                meta.headers = r.headers.clone();
            }
            meta.truncated = r.truncated;
            if r.truncated {
                meta.error = Some(format!("body cut off at {} bytes", r.body.len()));
            }
        }
        Err(e) => meta.error = Some(e.to_string()),
    }
    meta
}

/// A fetch that belongs to no page (robots.txt, sitemap, probe), kept as evidence with the
/// URL asked for; robots.txt and probe bodies are kept, sitemaps' only once parsed.
pub fn aux_record(run_id: i64, purpose: FetchPurpose, o: &FetchOutcome) -> FetchRecord {
    let mut meta = fetch_meta(run_id, purpose, o);
    meta.url = Some(o.requested.to_string());
    let body = match &o.result {
        Ok(r) if purpose != FetchPurpose::Sitemap => Some(r.body.clone()),
        _ => None,
    };
    FetchRecord {
        meta,
        body,
        ..Default::default()
    }
}
