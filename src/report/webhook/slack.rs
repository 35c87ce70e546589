//! The `slack` format: one Slack incoming-webhook message — a `text` fallback (what
//! notifications show) and Block Kit `blocks` in `mrkdwn`.
//!
//! Limits (Slack's published ones, and one it enforces without publishing): at most 50 blocks;
//! a section's text at most 3,000 characters; a header's at most 150; `text` at most 40,000;
//! and messages whose blocks hold more than about 12,000 characters in all are refused
//! (`msg_blocks_too_long`; Slack staff describe it as "12,000 text characters with a buffer for
//! block containers"). Sizes here are counted in UTF-8 bytes, never fewer than Slack's
//! characters, against a budget of [`BLOCKS_BUDGET`]. What does not fit is never dropped: up to
//! [`MAX_IN_FULL`] changes (major first) are shown in full, then one line each while lines fit,
//! then a closing section counts the rest by kind and links to the archive's list.
//!
//! Escaping page text for mrkdwn ([`escape`]):
//! - `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;` (Slack's rule): `<!channel>`, `<!here>`,
//!   `<@U123>`, `<#C123>` and `<http://evil|label>` from a page then display as typed and can
//!   neither notify anyone nor become a link.
//! - mrkdwn has no escape for its formatting characters, and a zero-width space *enables*
//!   formatting rather than preventing it, so `*`, `_`, `~` and `` ` `` (and their fullwidth
//!   forms, which Slack also honours) are replaced by look-alikes that Slack does not read as
//!   markup: `∗` (U+2217), `ˍ` (U+02CD), `∼` (U+223C), `ˋ` (U+02CB); `＊` → `﹡`, `＿` → `⸏`,
//!   `｀` → `ˋ`. The jsx-slack library makes the same substitution for text it cannot escape.
//!   The text reads the same; the exact characters are in the `json` format and the archive.
//! - Every text object has `verbatim: true`, so Slack does not auto-link bare URLs or channel
//!   names nor parse `@here`-style mentions in it; page text is always preceded by our own
//!   text on its line, so a `>` it starts with is never a block quote. `unfurl_links` and
//!   `unfurl_media` are off: Slack does not fetch previews of watched pages (or the archive).
//! - Only absolute http(s) URLs become link targets, with `|`, `<`, `>` percent-encoded.
//! - Emoji shortcodes (`:name:`) in page text are left alone: they can neither notify, link
//!   nor hide text.

use super::view::{self, ChangeView, LineTag};
use super::{MessageOptions, Part, PartStats};
use crate::model::{Change, Significance};
use serde_json::{json, Value};

/// Slack's cap on blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// Slack's cap on a section's text.
pub const MAX_SECTION_CHARS: usize = 3000;
/// Slack's cap on a header's text.
pub const MAX_HEADER_CHARS: usize = 150;
/// Slack's cap on the top-level `text`.
pub const MAX_TEXT_CHARS: usize = 40_000;
/// The total text of all blocks a message is built to, in bytes (Slack refuses somewhere
/// above 12,000 characters).
pub const BLOCKS_BUDGET: usize = 10_000;
/// Changes shown in full at most; the rest are listed one line each, then counted.
pub const MAX_IN_FULL: usize = 10;

/// Bytes of blocks the in-full items may use (the rest is for one-line items and the count).
const IN_FULL_BUDGET: usize = 6_500;
/// Bytes one in-full section is shrunk to (fewer excerpt lines, then fewer facts).
const ITEM_BYTES: usize = 2_000;
/// Bytes a section is filled to (Slack's cap is 3,000 characters).
const SECTION_BYTES: usize = 2_800;
/// A one-line item is cut to this title length, and loses its link past [`BRIEF_BYTES`].
const BRIEF_TITLE_CHARS: usize = 120;
const BRIEF_BYTES: usize = 700;

/// Page text made inert for mrkdwn (see the module doc).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' => out.push('\u{2217}'),
            '_' => out.push('\u{02cd}'),
            '~' => out.push('\u{223c}'),
            '`' => out.push('\u{02cb}'),
            '\u{ff0a}' => out.push('\u{fe61}'),
            '\u{ff3f}' => out.push('\u{2e0f}'),
            '\u{ff40}' => out.push('\u{02cb}'),
            c => out.push(c),
        }
    }
    out
}

/// A link target for `<href|label>`: an http(s) URL with the characters that would end the
/// link (`|`, `>`) or start markup (`<`) percent-encoded, and `&` as Slack wants it.
fn link_target(href: &str) -> String {
    href.replace('&', "&amp;")
        .replace('|', "%7C")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

/// `<href|label>` (label already escaped), or the label alone without a usable target.
fn link(href: Option<&str>, label: &str) -> String {
    match href {
        // A `|` in the label would read as a second separator: show it as `¦`.
        Some(h) => format!("<{}|{}>", link_target(h), label.replace('|', "\u{a6}")),
        None => label.to_string(),
    }
}

/// Wraps `text` (already escaped) in a mrkdwn mark, keeping surrounding spaces outside it so
/// Slack sees the mark at a word boundary.
fn mark(text: &str, m: char) -> String {
    let core = text.trim();
    if core.is_empty() {
        return text.to_string();
    }
    let lead = &text[..text.len() - text.trim_start().len()];
    let trail = &text[text.trim_end().len()..];
    format!("{lead}{m}{core}{m}{trail}")
}

fn section(text: String) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": true}})
}

/// The mrkdwn of one change in full, with at most `lines` excerpt lines and `facts` rows.
fn item_text(v: &ChangeView, lines: usize, facts: usize, with_links: bool) -> String {
    let title = escape(&v.title);
    let mut out = format!(
        "*{}* — *{}*\n_{} · {} · {}_",
        escape(&v.kind_label),
        if with_links {
            link(v.href.as_deref(), &title)
        } else {
            title
        },
        v.significance,
        escape(&v.site),
        escape(&v.detected_at)
    );
    if !v.summary.is_empty() {
        out.push('\n');
        out.push_str(&escape(&v.summary));
    }
    if let Some(to) = &v.redirect_to {
        out.push_str("\nRedirects to ");
        let label = escape(to);
        out.push_str(&if with_links {
            link(v.redirect_href.as_deref(), &label)
        } else {
            label
        });
    }
    for f in v.facts.iter().take(facts) {
        out.push_str(&format!(
            "\n• {}: {} → {}",
            escape(&f.label),
            f.before
                .as_deref()
                .map(escape)
                .unwrap_or_else(|| "—".into()),
            f.after.as_deref().map(escape).unwrap_or_else(|| "—".into()),
        ));
    }
    let facts_more = v.facts_more + v.facts.len().saturating_sub(facts);
    if facts_more > 0 {
        out.push_str(&format!("\n• and {facts_more} more"));
    }
    for line in v.excerpt.iter().take(lines) {
        let (prefix, m) = match line.tag {
            LineTag::Removed => ("\n> − ", '~'),
            LineTag::Added => ("\n> + ", '*'),
            LineTag::Context => ("\n>    ", ' '),
        };
        out.push_str(prefix);
        for seg in &line.segments {
            let text = escape(&seg.text);
            if line.marks(seg) {
                out.push_str(&mark(&text, m));
            } else {
                out.push_str(&text);
            }
        }
    }
    let lines_more = v.excerpt_more + v.excerpt.len().saturating_sub(lines);
    if lines_more > 0 && lines > 0 {
        out.push_str(&format!("\n> …and {lines_more} more lines"));
    }
    if with_links {
        if let Some(a) = &v.archive_href {
            out.push('\n');
            out.push_str(&link(Some(a), "View the change in the archive"));
        }
    }
    out
}

/// The change in full, shrunk (excerpt lines first, then facts, then links) until it fits
/// [`ITEM_BYTES`]; `None` when even the bare form does not.
fn item(v: &ChangeView) -> Option<String> {
    let mut lines = v.excerpt.len();
    let mut facts = v.facts.len();
    loop {
        let t = item_text(v, lines, facts, true);
        if t.len() <= ITEM_BYTES {
            return Some(t);
        }
        if lines > 0 {
            lines -= 1;
        } else if facts > 0 {
            facts -= 1;
        } else {
            let t = item_text(v, 0, 0, false);
            return (t.len() <= ITEM_BYTES).then_some(t);
        }
    }
}

/// `• REMOVED — <href|title>`: one change on one line.
fn brief(v: &ChangeView) -> String {
    let title = escape(&crate::markup::cap_chars(&v.title, BRIEF_TITLE_CHARS));
    let kind = escape(&v.kind_label);
    let line = format!("• *{kind}* — {}", link(v.href.as_deref(), &title));
    if line.len() <= BRIEF_BYTES {
        line
    } else {
        format!("• *{kind}* — {title}")
    }
}

/// The closing line for the changes not listed: counted by kind, linked to the archive.
fn trailer(rest: &[&Change], opts: &MessageOptions) -> String {
    let major = rest
        .iter()
        .filter(|c| c.significance == Significance::Major)
        .count();
    let mut t = format!(
        "…and *{}* not listed here: {} ({major} major).",
        view::more_changes_phrase(rest.len()),
        escape(&view::kind_counts(rest)),
    );
    match opts
        .archive_url
        .as_deref()
        .and_then(|a| view::archive_changes_link(a, rest))
    {
        Some(href) => {
            t.push(' ');
            t.push_str(&link(Some(&href), "See them in the archive"));
        }
        None => t.push_str(" `quietwatch changes` lists them."),
    }
    t
}

/// The one message for `changes` (all at or above the webhook's threshold).
pub fn message(changes: &[&Change], opts: &MessageOptions) -> Result<Part, serde_json::Error> {
    let order = view::delivery_order(changes);
    let headline = view::headline(changes);
    let fallback = format!("{} — {}", headline, view::kind_counts(changes));
    let header = crate::markup::cap_chars(&headline, MAX_HEADER_CHARS);

    let trailer_reserve = 400 + 2 * opts.archive_url.as_deref().map_or(0, str::len);
    let mut blocks =
        vec![json!({"type": "header", "text": {"type": "plain_text", "text": header}})];
    let mut used = header.len();
    let mut stats = PartStats::default();
    let mut i = 0;

    while i < order.len() && stats.in_full < MAX_IN_FULL {
        let v = ChangeView::new(changes[order[i]], opts.archive_url.as_deref());
        let Some(text) = item(&v) else { break };
        if used + text.len() > IN_FULL_BUDGET {
            break;
        }
        used += text.len();
        blocks.push(section(text));
        stats.in_full += 1;
        i += 1;
    }

    let mut current = String::new();
    while i < order.len() {
        let v = ChangeView::new(changes[order[i]], opts.archive_url.as_deref());
        let line = brief(&v);
        let opening = if current.is_empty() {
            if stats.in_full > 0 {
                "*Also in this run:*\n"
            } else {
                ""
            }
        } else {
            "\n"
        };
        if used + opening.len() + line.len() + trailer_reserve > BLOCKS_BUDGET {
            break;
        }
        if !current.is_empty() && current.len() + 1 + line.len() > SECTION_BYTES {
            if blocks.len() + 2 >= MAX_BLOCKS {
                break;
            }
            blocks.push(section(std::mem::take(&mut current)));
            continue;
        }
        if current.is_empty() && blocks.len() + 2 > MAX_BLOCKS {
            break;
        }
        current.push_str(opening);
        current.push_str(&line);
        used += opening.len() + line.len();
        stats.briefly += 1;
        i += 1;
    }
    if !current.is_empty() {
        blocks.push(section(current));
    }

    if i < order.len() {
        let rest: Vec<&Change> = order[i..].iter().map(|&j| changes[j]).collect();
        stats.counted = rest.len();
        blocks.push(section(trailer(&rest, opts)));
    }

    let body = serde_json::to_vec(&json!({
        "text": crate::markup::cap_chars(&fallback, MAX_TEXT_CHARS),
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    }))?;
    Ok(Part {
        body,
        change_ids: changes.iter().map(|c| c.id).collect(),
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup_characters() {
        let s = escape("<!channel> <@U123> <http://evil|x> *b* _i_ ~s~ `c` ＊＿｀ a&b");
        for bad in [
            '<', '>', '*', '_', '~', '`', '\u{ff0a}', '\u{ff3f}', '\u{ff40}',
        ] {
            assert!(!s.contains(bad), "{bad:?} in {s}");
        }
        assert!(
            s.contains("&lt;!channel&gt;") && s.contains("a&amp;b"),
            "{s}"
        );
    }

    #[test]
    fn marks_sit_on_word_boundaries() {
        assert_eq!(mark(" £17bn ", '*'), " *£17bn* ");
        assert_eq!(mark("  ", '~'), "  ");
    }

    #[test]
    fn link_targets_cannot_end_the_link() {
        assert_eq!(
            link(Some("https://x.example/a|b>c?d&e"), "t"),
            "<https://x.example/a%7Cb%3Ec?d&amp;e|t>"
        );
    }
}
