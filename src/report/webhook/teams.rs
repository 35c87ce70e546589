//! The `teams` format: one message for a Teams **Workflows** webhook ("When a Teams webhook
//! request is received"), carrying one Adaptive Card:
//! `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
//! "contentUrl":null,"content":{…AdaptiveCard 1.2…}}]}`.
//!
//! Why this shape: Office 365 connector webhooks and their `MessageCard`s are being retired;
//! Workflows webhooks take Adaptive Cards only, in exactly this envelope (Microsoft's
//! "Create and send messages" / "Create incoming webhooks with Workflows" pages). The card
//! declares version 1.2 — every element used here (`RichTextBlock`, `TextRun` with
//! `strikethrough`/`highlight`, `ActionSet`, `Action.OpenUrl`) exists since 1.2, and 1.2 renders
//! on every Teams client, mobile included. No Teams-only extensions (`msteams`) are used, so
//! the card validates against the published 1.2 schema (the tests check that).
//!
//! Page text is never markdown here: it goes only into `TextRun`s, whose `text` the Adaptive
//! Card schema defines as plain ("Markdown is not supported"), never into a `TextBlock` (which
//! reads `**`, `_`, `[x](y)` links) nor a `FactSet` (which Teams also reads as markdown).
//! Adaptive Card markdown has no escape that every client honours, so not parsing it at all is
//! the only safe way. Mentions need an `msteams.entities` entry, and the card has none, so
//! `<at>…</at>` from a page is shown as typed. Only absolute http(s) URLs become
//! `Action.OpenUrl` targets.
//!
//! Size: Teams refuses messages over 28 KB. The message is built to [`MAX_BYTES`] of JSON:
//! up to [`MAX_IN_FULL`] changes in full (major first), then one line each, then a closing
//! line counting the rest by kind, with a button to the archive's list.

use super::view::{self, ChangeView, LineTag};
use super::{MessageOptions, Part, PartStats};
use crate::model::{Change, Significance};
use serde_json::{json, Value};

/// Teams' cap on a message.
pub const TEAMS_LIMIT_BYTES: usize = 28 * 1024;
/// What a message is built to (the rest of the limit is headroom for the envelope Teams adds).
pub const MAX_BYTES: usize = 24_000;
/// Changes shown in full at most.
pub const MAX_IN_FULL: usize = 10;
/// Bytes of card the in-full items may use.
const IN_FULL_BYTES: usize = 15_000;
/// Bytes one in-full item is shrunk to.
const ITEM_BYTES: usize = 4_000;
const BRIEF_TITLE_CHARS: usize = 120;

/// The Adaptive Card version declared.
pub const CARD_VERSION: &str = "1.2";

fn run(text: impl Into<String>) -> Value {
    json!({"type": "TextRun", "text": text.into()})
}

fn rich(inlines: Vec<Value>) -> Value {
    json!({"type": "RichTextBlock", "inlines": inlines})
}

fn open_url(title: &str, url: &str) -> Value {
    json!({"type": "Action.OpenUrl", "title": title, "url": url})
}

fn kind_run(v: &ChangeView) -> Value {
    let colour = match v.significance {
        Significance::Major => "Attention",
        Significance::Minor => "Accent",
    };
    json!({"type": "TextRun", "text": v.kind_label, "weight": "Bolder", "color": colour})
}

fn item(v: &ChangeView, lines: usize, facts: usize) -> Value {
    let mut items = vec![
        rich(vec![
            kind_run(v),
            run(" — "),
            json!({"type": "TextRun", "text": v.title, "weight": "Bolder"}),
        ]),
        rich(vec![json!({
            "type": "TextRun",
            "text": format!("{} · {} · {}", v.significance, v.site, v.detected_at),
            "isSubtle": true,
            "size": "Small",
        })]),
    ];
    if !v.summary.is_empty() {
        items.push(rich(vec![run(v.summary.clone())]));
    }
    if let Some(to) = &v.redirect_to {
        items.push(rich(vec![run("Redirects to "), run(to.clone())]));
    }
    for f in v.facts.iter().take(facts) {
        items.push(rich(vec![
            json!({"type": "TextRun", "text": format!("{}: ", f.label), "weight": "Bolder"}),
            run(f.before.clone().unwrap_or_else(|| "—".into())),
            run(" → "),
            run(f.after.clone().unwrap_or_else(|| "—".into())),
        ]));
    }
    let facts_more = v.facts_more + v.facts.len().saturating_sub(facts);
    if facts_more > 0 {
        items.push(rich(vec![run(format!("and {facts_more} more"))]));
    }
    for line in v.excerpt.iter().take(lines) {
        let prefix = match line.tag {
            LineTag::Removed => "− ",
            LineTag::Added => "+ ",
            LineTag::Context => "   ",
        };
        let mut inlines = vec![json!({"type": "TextRun", "text": prefix, "fontType": "Monospace"})];
        for seg in &line.segments {
            let mut r = json!({"type": "TextRun", "text": seg.text});
            if line.marks(seg) {
                if line.tag == LineTag::Removed {
                    r["strikethrough"] = json!(true);
                    r["color"] = json!("Attention");
                } else {
                    r["highlight"] = json!(true);
                    r["weight"] = json!("Bolder");
                    r["color"] = json!("Good");
                }
            }
            inlines.push(r);
        }
        items.push(rich(inlines));
    }
    let lines_more = v.excerpt_more + v.excerpt.len().saturating_sub(lines);
    if lines_more > 0 && lines > 0 {
        items.push(rich(vec![run(format!("…and {lines_more} more lines"))]));
    }
    let mut actions = Vec::new();
    if let Some(h) = &v.href {
        actions.push(open_url("Open the page", h));
    }
    if let Some(a) = &v.archive_href {
        actions.push(open_url("View in the archive", a));
    }
    if !actions.is_empty() {
        items.push(json!({"type": "ActionSet", "actions": actions}));
    }
    json!({"type": "Container", "separator": true, "spacing": "Medium", "items": items})
}

fn size(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

/// The change in full, shrunk until it fits [`ITEM_BYTES`]; `None` when even the bare form
/// does not.
fn item_fitted(v: &ChangeView) -> Option<(Value, usize)> {
    let mut lines = v.excerpt.len();
    let mut facts = v.facts.len();
    loop {
        let it = item(v, lines, facts);
        let n = size(&it);
        if n <= ITEM_BYTES {
            return Some((it, n));
        }
        if lines > 0 {
            lines -= 1;
        } else if facts > 0 {
            facts -= 1;
        } else {
            return None;
        }
    }
}

fn brief(v: &ChangeView) -> Value {
    let mut title = json!({
        "type": "TextRun",
        "text": crate::markup::cap_chars(&v.title, BRIEF_TITLE_CHARS),
    });
    if let Some(h) = &v.href {
        title["selectAction"] = open_url("Open the page", h);
    }
    rich(vec![kind_run(v), run(" — "), title])
}

/// The one message for `changes` (all at or above the webhook's threshold).
pub fn message(changes: &[&Change], opts: &MessageOptions) -> Result<Part, serde_json::Error> {
    let order = view::delivery_order(changes);
    let headline = format!(
        "{} — {}",
        view::headline(changes),
        view::kind_counts(changes)
    );
    // Our own words only (counts and kind names), so a TextBlock is safe here.
    let mut body = vec![json!({
        "type": "TextBlock", "text": headline, "weight": "Bolder", "size": "Medium", "wrap": true,
    })];
    let envelope = 600; // the message and card wrapper around the body
    let trailer_reserve = 700 + 2 * opts.archive_url.as_deref().map_or(0, str::len);
    let mut used = envelope + size(&body[0]);
    let mut stats = PartStats::default();
    let mut i = 0;

    while i < order.len() && stats.in_full < MAX_IN_FULL {
        let v = ChangeView::new(changes[order[i]], opts.archive_url.as_deref());
        let Some((it, n)) = item_fitted(&v) else {
            break;
        };
        if used + n + 1 > IN_FULL_BYTES {
            break;
        }
        used += n + 1;
        body.push(it);
        stats.in_full += 1;
        i += 1;
    }

    let mut briefs = Vec::new();
    while i < order.len() {
        let v = ChangeView::new(changes[order[i]], opts.archive_url.as_deref());
        let b = brief(&v);
        let n = size(&b) + 1;
        if used + n + 200 + trailer_reserve > MAX_BYTES {
            break;
        }
        used += n;
        briefs.push(b);
        stats.briefly += 1;
        i += 1;
    }
    if !briefs.is_empty() {
        let mut items = Vec::with_capacity(briefs.len() + 1);
        if stats.in_full > 0 {
            items.push(json!({"type": "TextBlock", "text": "Also in this run:", "weight": "Bolder", "wrap": true}));
        }
        items.extend(briefs);
        body.push(
            json!({"type": "Container", "separator": true, "spacing": "Medium", "items": items}),
        );
    }

    if i < order.len() {
        let rest: Vec<&Change> = order[i..].iter().map(|&j| changes[j]).collect();
        stats.counted = rest.len();
        let rest_major = rest
            .iter()
            .filter(|c| c.significance == Significance::Major)
            .count();
        let mut items = vec![json!({
            "type": "TextBlock",
            "text": format!(
                "…and {} not listed here: {} ({rest_major} major).",
                view::more_changes_phrase(rest.len()),
                view::kind_counts(&rest)
            ),
            "wrap": true,
        })];
        match opts
            .archive_url
            .as_deref()
            .and_then(|a| view::archive_changes_link(a, &rest))
        {
            Some(href) => items.push(json!({
                "type": "ActionSet",
                "actions": [open_url("See them in the archive", &href)],
            })),
            None => items.push(json!({
                "type": "TextBlock", "text": "Run quietwatch changes to list them.", "wrap": true,
            })),
        }
        body.push(
            json!({"type": "Container", "separator": true, "spacing": "Medium", "items": items}),
        );
    }

    let card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    });
    let message = json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    });
    Ok(Part {
        body: serde_json::to_vec(&message)?,
        change_ids: changes.iter().map(|c| c.id).collect(),
        stats,
    })
}
