//! Webhooks: the changes pending for a channel, as one JSON, Slack or Teams message, signed and
//! POSTed, and marked delivered only once the receiver accepted them.
//!
//! Why it is shaped so:
//! - **Build, then send, then mark.** [`build`] is pure (the same changes always make the same
//!   bytes, so `digest --dry-run` can show exactly what would go out); [`send::deliver`]
//!   POSTs the bytes and calls the caller back for each part a receiver answered with a 2xx,
//!   which is where the caller records the delivery. Nothing is recorded before a 2xx, so a
//!   failing channel keeps its changes pending for its next run; the window left is a crash
//!   between "accepted" and "recorded", which repeats that one message, as for mail.
//! - **One message per run, never a silent drop.** SPEC asks for one POST per webhook per run.
//!   Chat channels have hard size limits (Slack: 50 blocks, 3,000 characters a section and
//!   about 12,000 for all blocks together; Teams: 28 KB a message), so [`slack`] and [`teams`]
//!   always send **one** message: changes in full (major first) while they fit, then one line
//!   each while those fit, then a closing line that *counts* every change not listed, by kind,
//!   and links to the archive's list of them. Every change is either shown or counted, and the
//!   message is marked delivered as a whole. `json` is for machines, which want every change in
//!   full: it is one POST unless the body would exceed [`json::MAX_BODY_BYTES`], and then it is
//!   split into several complete `{"changes": [...]}` bodies sent in order, each marked
//!   delivered on its own 2xx — so a failure part-way re-sends only the parts not yet
//!   accepted (see [`send`] for the exact rules).
//! - **Changes below `min_significance` are settled, not sent** ([`Payload::skipped_ids`]), as
//!   the digest does, so they do not stay pending for that webhook forever.
//! - **Webhook URLs are secrets** (Slack's carries its token in the path, a Teams Workflows
//!   URL its signature in the query). [`WebhookUrl`] prints as `https://host/…` in `Debug`,
//!   `Display`, errors and logs; the full URL is only handed to the HTTP client.
//! - **Page text is hostile**: it goes through [`view`] (controls stripped, capped, http-only
//!   links) and then each format's own escaping ([`slack::escape`]; Teams puts it only in
//!   `TextRun`s, which Adaptive Cards never read as markdown).

pub mod channel;
pub mod json;
pub mod send;
pub mod slack;
pub mod teams;
pub mod view;

use crate::model::{Change, Significance};

pub use crate::config::webhook::{WebhookFormat, WebhookSecret, WebhookUrl};
pub use send::{deliver, signature, DeliveryError, DeliveryReport, SendOptions, SIGNATURE_HEADER};

/// One `[[webhook]]`, with its secrets already resolved by the config loader (`url_env` or
/// `url`, `secret_env`).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// The channel's name (`"bids channel"`): what errors, logs and delivery records name.
    pub name: String,
    pub url: WebhookUrl,
    pub format: WebhookFormat,
    /// Changes below this are settled without being sent (SPEC `min_significance`).
    pub min_significance: Significance,
    /// When set, every POST carries `X-Quietwatch-Signature: sha256=HEX`.
    pub secret: Option<WebhookSecret>,
}

/// What a message links to beyond the pages themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageOptions {
    /// `[digest] archive_url`: each change links to its view in `quietwatch serve`, and a
    /// capped chat message links to the archive's list of changes.
    pub archive_url: Option<String>,
}

/// How a chat message accounted for its changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartStats {
    /// Shown with summary, facts and excerpt.
    pub in_full: usize,
    /// Shown as one line (kind and title, linked).
    pub briefly: usize,
    /// Only counted in the closing "and N more" line.
    pub counted: usize,
}

/// One POST: the exact body bytes and the changes it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The body, sent byte for byte (and signed as such).
    pub body: Vec<u8>,
    /// Every change this body shows or counts: mark them delivered to the webhook once the
    /// receiver answered this part with a 2xx.
    pub change_ids: Vec<i64>,
    pub stats: PartStats,
}

/// What one webhook gets for one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    /// The POSTs, in order: one for `slack` and `teams`; one for `json` unless it is larger
    /// than [`json::MAX_BODY_BYTES`]. Empty when nothing reaches `min_significance`.
    pub parts: Vec<Part>,
    /// Pending changes below `min_significance`: never sent; settle them for this webhook (as
    /// the digest settles its own) so they do not stay pending forever.
    pub skipped_ids: Vec<i64>,
}

impl Payload {
    /// Whether there is nothing to POST.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Changes carried by all parts.
    pub fn change_count(&self) -> usize {
        self.parts.iter().map(|p| p.change_ids.len()).sum()
    }

    /// What `digest --dry-run` prints for this webhook: a line saying what would be sent,
    /// then each body, pretty-printed, with every control character escaped so hostile page
    /// text cannot drive the terminal.
    pub fn dry_run_text(&self, settings: &WebhookSettings) -> String {
        let mut out = format!(
            "webhook {:?} ({}, {}): {} POST(s) carrying {}; {} below min_significance settled unsent\n",
            crate::markup::one_line(&settings.name, 100),
            settings.format,
            settings.url,
            self.parts.len(),
            view::changes_phrase(self.change_count()),
            self.skipped_ids.len(),
        );
        for (i, part) in self.parts.iter().enumerate() {
            let s = part.stats;
            out.push_str(&format!(
                "-- part {} of {}: {} ({} in full, {} briefly, {} counted)\n",
                i + 1,
                self.parts.len(),
                view::changes_phrase(part.change_ids.len()),
                s.in_full,
                s.briefly,
                s.counted
            ));
            let pretty = serde_json::from_slice::<serde_json::Value>(&part.body)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| String::from_utf8_lossy(&part.body).into_owned());
            for c in pretty.chars() {
                if crate::markup::is_unsafe_char(c) && c != '\n' {
                    out.push_str(&format!("\\u{{{:04x}}}", c as u32));
                } else {
                    out.push(c);
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Errors while building a payload.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("webhook {channel:?}: encoding the {format} message: {source}")]
    Encode {
        channel: String,
        format: WebhookFormat,
        #[source]
        source: serde_json::Error,
    },
}

/// The payload for `settings` from the changes pending for it (oldest first, as the store
/// lists them). Pure: the same input always gives the same bytes.
pub fn build(
    settings: &WebhookSettings,
    pending: &[Change],
    opts: &MessageOptions,
) -> Result<Payload, BuildError> {
    let (send, skip): (Vec<&Change>, Vec<&Change>) = pending
        .iter()
        .partition(|c| c.significance.at_least(settings.min_significance));
    let skipped_ids = skip.iter().map(|c| c.id).collect();
    if send.is_empty() {
        return Ok(Payload {
            parts: Vec::new(),
            skipped_ids,
        });
    }
    let encode = |source| BuildError::Encode {
        channel: settings.name.clone(),
        format: settings.format,
        source,
    };
    let parts = match settings.format {
        WebhookFormat::Json => json::parts(&send).map_err(encode)?,
        WebhookFormat::Slack => vec![slack::message(&send, opts).map_err(encode)?],
        WebhookFormat::Teams => vec![teams::message(&send, opts).map_err(encode)?],
    };
    Ok(Payload { parts, skipped_ids })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_never_print_their_secret_parts() {
        let u =
            WebhookUrl::parse("https://hooks.slack.com/services/T000/B000/SECRETTOKEN").unwrap();
        for s in [format!("{u}"), format!("{u:?}"), u.redacted()] {
            assert!(!s.contains("SECRETTOKEN") && !s.contains("services"), "{s}");
            assert!(s.contains("hooks.slack.com"), "{s}");
        }
        let u = WebhookUrl::parse("http://127.0.0.1:9/hook?sig=abc").unwrap();
        assert_eq!(u.host(), "127.0.0.1:9");
        assert!(!format!("{u:?}").contains("sig"));
        let err = WebhookUrl::parse("ftp://h/SECRET").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        let err = WebhookUrl::parse("https://user:SECRET@h/x").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        assert_eq!(
            format!("{:?}", WebhookSecret::new("hunter2")),
            "WebhookSecret(***)"
        );
    }

    #[test]
    fn formats_parse_as_spec_spells_them() {
        for f in [
            WebhookFormat::Json,
            WebhookFormat::Slack,
            WebhookFormat::Teams,
        ] {
            assert_eq!(f.as_str().parse::<WebhookFormat>(), Ok(f));
        }
        assert!("Slack".parse::<WebhookFormat>().is_err());
    }
}
