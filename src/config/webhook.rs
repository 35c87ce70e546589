//! `[[webhook]]` tables: where each channel posts, in which format, and where its secrets
//! are read from.
//!
//! The URL of a chat webhook is itself a secret (Slack's carries its token in the path, a
//! Teams Workflows URL its signature in the query), so [`WebhookUrl`] never prints more than
//! its scheme and host, and the config names an environment variable (`url_env`) rather than
//! holding it — a literal `url` is accepted too, for a receiver that is not secret. Variables
//! are read when a run delivers, not when the config loads, so reading commands work without
//! them; a missing one fails that channel's delivery, naming the variable.

use crate::model::Significance;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a webhook's URL comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum UrlSource {
    /// `url = "…"`, checked at load time.
    Literal(WebhookUrl),
    /// `url_env = "NAME"`: read at delivery time.
    Env(String),
}

/// One `[[webhook]]`, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// Unique among webhooks, and not `mail`: the channel's name in delivery records.
    pub name: String,
    pub url: UrlSource,
    pub format: WebhookFormat,
    pub min_significance: Significance,
    /// The environment variable holding the HMAC key, when POSTs are signed.
    pub secret_env: Option<String>,
}

impl WebhookConfig {
    /// The URL and secret, read from the environment where the config says so; the error
    /// names the variable, never a value.
    pub fn resolve(&self) -> Result<(WebhookUrl, Option<WebhookSecret>), String> {
        let url = match &self.url {
            UrlSource::Literal(u) => u.clone(),
            UrlSource::Env(var) => {
                let value = std::env::var(var).map_err(|_| {
                    format!("url_env: environment variable {var} is not set (it must hold the webhook URL)")
                })?;
                WebhookUrl::parse(&value)
                    .map_err(|e| format!("url_env: {var} is not a usable URL: {e}"))?
            }
        };
        let secret = match &self.secret_env {
            None => None,
            Some(var) => Some(WebhookSecret::new(std::env::var(var).map_err(|_| {
                format!("secret_env: environment variable {var} is not set (it must hold the signing key)")
            })?)),
        };
        Ok((url, secret))
    }
}

/// A `[[webhook]]`'s `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{"changes": [ …change JSON… ]}`.
    Json,
    /// A Slack incoming-webhook message (`text` fallback + Block Kit `blocks`, mrkdwn).
    Slack,
    /// A Teams Workflows webhook message carrying one Adaptive Card.
    Teams,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Teams => "teams",
        }
    }
}

impl fmt::Display for WebhookFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WebhookFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(WebhookFormat::Json),
            "slack" => Ok(WebhookFormat::Slack),
            "teams" => Ok(WebhookFormat::Teams),
            _ => Err(format!(
                "expected \"json\", \"slack\" or \"teams\", found {s:?}"
            )),
        }
    }
}

/// A webhook URL. It is a secret: it prints (in `Debug`, `Display` and every error) as its
/// scheme, host and port only, `https://hooks.slack.com/…`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    /// An absolute `http` or `https` URL with a host and no user name or password. The error
    /// never repeats the URL.
    pub fn parse(s: &str) -> Result<WebhookUrl, String> {
        let u = url::Url::parse(s.trim()).map_err(|e| format!("not an absolute URL ({e})"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(format!("scheme {:?} is not http or https", u.scheme()));
        }
        if u.host_str().is_none() {
            return Err("no host".to_string());
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err("user names and passwords in the URL are not supported".to_string());
        }
        Ok(WebhookUrl(u))
    }

    /// The host, with the port when it is not the scheme's default: what errors name.
    pub fn host(&self) -> String {
        let host = self.0.host_str().unwrap_or("?");
        match self.0.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        }
    }

    /// `https://host[:port]/…`: the URL with its secret parts (path, query) hidden.
    pub fn redacted(&self) -> String {
        format!("{}://{}/…", self.0.scheme(), self.host())
    }

    /// The whole URL, for the HTTP client only.
    pub(crate) fn expose(&self) -> &url::Url {
        &self.0
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.redacted())
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The HMAC key of `X-Quietwatch-Signature`. Prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn new(s: impl Into<String>) -> WebhookSecret {
        WebhookSecret(s.into())
    }

    pub(crate) fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}
