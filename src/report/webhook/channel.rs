//! One webhook as a delivery channel of the archive: what is pending for it, sent once per
//! run, and marked delivered only part by part as the receiver accepts.
//!
//! The channel's marks are its own (`deliveries` rows under its name): a webhook that is down
//! keeps its changes pending for its next run while the mail digest and the other webhooks
//! carry on. Changes below its `min_significance` are settled unsent, so they do not stay
//! pending forever. A crash between a 2xx and its mark repeats that one message next run (at
//! least once, never lost), as for mail.

use super::{build, deliver, BuildError, DeliveryError, DeliveryReport, MessageOptions, Payload};
use super::{SendOptions, WebhookSettings};
use crate::config::WebhookConfig;
use crate::report::digest::MAX_COLLECT;
use crate::store::{ChangeFilter, Store, StoreError};

/// Why a webhook's delivery did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The URL or secret could not be read (a variable not set): nothing was sent.
    #[error("webhook {channel:?}: {message}; nothing was sent, the changes stay pending")]
    Setup { channel: String, message: String },
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The channel's settings with its secrets read from the environment.
pub fn settings(config: &WebhookConfig) -> Result<WebhookSettings, ChannelError> {
    let (url, secret) = config.resolve().map_err(|message| ChannelError::Setup {
        channel: config.name.clone(),
        message,
    })?;
    Ok(WebhookSettings {
        name: config.name.clone(),
        url,
        format: config.format,
        min_significance: config.min_significance,
        secret,
    })
}

/// What is pending for the channel, as the payload it would get (oldest first, capped like
/// the digest's input).
pub fn pending_payload(
    store: &Store,
    settings: &WebhookSettings,
    opts: &MessageOptions,
) -> Result<Payload, ChannelError> {
    let pending = store.changes(&ChangeFilter {
        pending_for: Some(settings.name.clone()),
        limit: Some(MAX_COLLECT),
        ..Default::default()
    })?;
    Ok(build(settings, &pending, opts)?)
}

/// Sends what is pending for the channel, marking each part delivered once accepted.
pub async fn deliver_pending(
    store: &mut Store,
    config: &WebhookConfig,
    opts: &MessageOptions,
    send: &SendOptions,
) -> Result<DeliveryReport, ChannelError> {
    let settings = settings(config)?;
    let payload = pending_payload(store, &settings, opts)?;
    if !payload.skipped_ids.is_empty() {
        store.mark_delivered(&settings.name, &payload.skipped_ids, false)?;
    }
    if payload.is_empty() {
        return Ok(DeliveryReport {
            parts: 0,
            changes: 0,
            attempts: 0,
        });
    }
    let name = settings.name.clone();
    let report = deliver(&settings, &payload, send, |part| {
        store
            .mark_delivered(&name, &part.change_ids, true)
            .map_err(|e| e.to_string())
    })
    .await?;
    tracing::info!(channel = %name, changes = report.changes, parts = report.parts, "webhook delivered");
    Ok(report)
}

/// What `digest --dry-run` shows for the channel; nothing is sent or marked.
pub fn preview(store: &Store, config: &WebhookConfig, opts: &MessageOptions) -> String {
    let shown = settings(config).and_then(|s| Ok((pending_payload(store, &s, opts)?, s)));
    match shown {
        Ok((payload, settings)) => payload.dry_run_text(&settings),
        Err(e) => format!("{e}\n"),
    }
}
