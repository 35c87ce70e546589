//! The `json` format: `{"changes": [ …change JSON… ]}`, each change exactly as
//! `changes --json` prints it (serde of [`Change`], so fields the record gains appear here
//! too), oldest first.
//!
//! A machine receiver wants every change in full, so nothing is summarised. A body is kept
//! under [`MAX_BODY_BYTES`] (common web servers and API gateways refuse request bodies of a
//! few megabytes); a run with more than that is split into several complete bodies of the same
//! shape, in order, each carrying whole changes. A single change larger than the cap still
//! goes out, alone in its body: a change is never dropped.

use super::{Part, PartStats};
use crate::model::Change;

/// The largest body a `json` POST is built to (1 MiB), unless one change alone is larger.
pub const MAX_BODY_BYTES: usize = 1 << 20;

const HEAD: &[u8] = b"{\"changes\":[";
const TAIL: &[u8] = b"]}";

/// The bodies for `changes`, in order.
pub fn parts(changes: &[&Change]) -> Result<Vec<Part>, serde_json::Error> {
    parts_capped(changes, MAX_BODY_BYTES)
}

/// [`parts`] with a given cap (tests use a small one).
pub fn parts_capped(changes: &[&Change], cap: usize) -> Result<Vec<Part>, serde_json::Error> {
    let mut parts = Vec::new();
    let mut body = HEAD.to_vec();
    let mut ids = Vec::new();
    for c in changes {
        // Each element is a complete JSON value from serde_json; the envelope around them is
        // fixed, so the body is valid JSON by construction (the tests parse it back).
        let item = serde_json::to_vec(c)?;
        let sep = usize::from(!ids.is_empty());
        if !ids.is_empty() && body.len() + sep + item.len() + TAIL.len() > cap {
            body.extend_from_slice(TAIL);
            parts.push(part(
                std::mem::replace(&mut body, HEAD.to_vec()),
                std::mem::take(&mut ids),
            ));
        }
        if !ids.is_empty() {
            body.push(b',');
        }
        body.extend_from_slice(&item);
        ids.push(c.id);
    }
    if !ids.is_empty() {
        body.extend_from_slice(TAIL);
        parts.push(part(body, ids));
    }
    Ok(parts)
}

fn part(body: Vec<u8>, change_ids: Vec<i64>) -> Part {
    Part {
        body,
        stats: PartStats {
            in_full: change_ids.len(),
            ..PartStats::default()
        },
        change_ids,
    }
}
