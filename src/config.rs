//! The TOML configuration: what to crawl, how politely, where to keep it and whom to tell.
//!
//! Why this module is strict: a monitor that silently ignores a misspelt key (`max_page`,
//! `ignore_txt`) runs for weeks with settings nobody chose, and its digests cry wolf or miss
//! the change that mattered. So every table denies unknown keys, every value that can be
//! checked without the network is checked at load time (URLs, globs, CSS selectors, regexes,
//! mail addresses), and every error names the file, the line and the key, so `quietwatch`
//! can exit 2 with a message an operator can act on from a cron mail.
//!
//! Key choices:
//! - The file is first read into private `Raw*` structs whose fields are
//!   [`toml::Spanned`], so a validation error after parsing still knows its line; the
//!   public structs the rest of the crate uses are plain values.
//! - Paths (`[storage] db`, `[digest] out_dir`) are resolved relative to the config file's
//!   directory, as SPEC.md says, so cron's working directory doesn't matter.
//! - Secrets never live in the file: `[smtp] password_env` names an environment variable,
//!   and a `password` key is rejected with a hint saying so.
//! - `[digest] to` and `from` are required only when `[smtp]` is present; without `[smtp]`
//!   the digest is only written to `out_dir`.

use crate::model::Significance;
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use url::Url;

/// The whole configuration, validated, with paths resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this was read from (for messages).
    pub source: PathBuf,
    pub crawl: CrawlSettings,
    pub storage: StorageSettings,
    pub digest: DigestSettings,
    /// `None`: digests are only written to `[digest] out_dir`.
    pub smtp: Option<SmtpSettings>,
    /// At least one; names are unique.
    pub sites: Vec<SiteConfig>,
}

/// `[crawl]`: politeness and patience, shared by every site.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlSettings {
    /// Sent with every request; its first token (before `/`) is the robots.txt product token.
    pub user_agent: String,
    /// Requests in flight overall.
    pub concurrency: usize,
    /// Requests in flight to one host.
    pub per_host_concurrency: usize,
    /// Minimum gap between requests to one host; a larger robots.txt Crawl-delay wins.
    pub delay_ms: u64,
    pub timeout_s: u64,
    /// Bodies are cut off beyond this many bytes.
    pub max_body_bytes: u64,
    pub respect_robots: bool,
    /// Retries for 5xx, 429 and network errors (never for 404/410).
    pub retries: u32,
    /// Consecutive failed runs before a page is reported `unreachable`.
    pub unreachable_after: u32,
}

impl Default for CrawlSettings {
    /// SPEC.md's example values.
    fn default() -> Self {
        CrawlSettings {
            user_agent: "quietwatch/0.1 (+mailto:you@example.org)".to_string(),
            concurrency: 8,
            per_host_concurrency: 2,
            delay_ms: 1000,
            timeout_s: 30,
            max_body_bytes: 10_000_000,
            respect_robots: true,
            retries: 2,
            unreachable_after: 3,
        }
    }
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageSettings {
    /// The SQLite archive, resolved relative to the config file's directory.
    pub db: PathBuf,
}

/// `[digest]`: who gets the digest and what goes in it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestSettings {
    /// Recipients; required (non-empty) only when `[smtp]` is present.
    pub to: Vec<String>,
    /// Sender; required only when `[smtp]` is present.
    pub from: Option<String>,
    pub subject_prefix: String,
    /// Changes below this are left out of the digest (they stay in the archive).
    pub min_significance: Significance,
    /// Where a copy of every digest (.eml and .html) goes; resolved relative to the config
    /// file's directory when loaded from a file.
    pub out_dir: PathBuf,
    /// Send a digest even when nothing changed (a heartbeat).
    pub send_empty: bool,
    /// Base URL of `quietwatch serve`, to link each item to its view.
    pub archive_url: Option<String>,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            to: Vec::new(),
            from: None,
            subject_prefix: "[quietwatch]".to_string(),
            min_significance: Significance::Minor,
            out_dir: PathBuf::from("digests"),
            send_empty: false,
            archive_url: None,
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587 by default).
    StartTls,
    /// TLS from the first byte (port 465 by default).
    Tls,
    /// No encryption (port 25 by default); for a relay on localhost.
    None,
}

impl SmtpSecurity {
    /// The conventional port, used when `port` is not given.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

/// `[smtp]`: present means "send the digest by mail".
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// The name of the environment variable holding the password, never the password.
    pub password_env: Option<String>,
}

/// One `[[site]]`: a group of pages crawled and reported together.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    /// Unique, non-empty; used in digests and `--site`.
    pub name: String,
    /// Seeds, canonicalised ([`crate::urlnorm::canonicalize`]); watched by name, never
    /// `unlinked`.
    pub start: Vec<Url>,
    /// URL prefixes in scope; default: `scheme://host/` of each seed.
    pub allow: Vec<String>,
    /// Glob patterns matched against the whole URL; a match is out of scope.
    pub deny: Vec<String>,
    /// Link hops from the seeds; 0 = the start pages only.
    pub max_depth: u32,
    pub max_pages: usize,
    /// Also read the host's sitemap(s).
    pub sitemaps: bool,
    /// CSS selector of the part of a page that matters.
    pub content: Option<String>,
    /// CSS selectors removed before comparing.
    pub ignore: Vec<String>,
    /// Regexes removed from the text before comparing.
    pub ignore_text: Vec<String>,
    /// Also keep linked documents (PDF, DOCX, …) as pages of their own.
    pub documents: bool,
}

/// Why a configuration could not be used. Every variant names the file; errors in the
/// content also name the line and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: config file not found (write a starter one with `quietwatch init`)", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// TOML syntax, a wrong type or an unknown key, as reported by the TOML parser.
    #[error("{}: {message}", location(path, *line))]
    Syntax {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// A value that parsed but makes no sense (a bad URL, regex, selector, …).
    #[error("{}: {key}: {message}", location(path, *line))]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        /// Where in the file, e.g. `[[site]] 2 ("NHS England") key `start``.
        key: String,
        message: String,
    },
    #[error("{}: already exists; not overwriting it", path.display())]
    Exists { path: PathBuf },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ConfigError {
    /// The 1-based line the error points at, when it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Syntax { line, .. } | ConfigError::Invalid { line, .. } => *line,
            _ => None,
        }
    }
}

fn location(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// The file as written, with spans.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    crawl: Option<RawCrawl>,
    storage: Option<RawStorage>,
    digest: Option<RawDigest>,
    smtp: Option<Spanned<RawSmtp>>,
    #[serde(default)]
    site: Vec<Spanned<RawSite>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrawl {
    user_agent: Option<Spanned<String>>,
    concurrency: Option<Spanned<usize>>,
    per_host_concurrency: Option<Spanned<usize>>,
    delay_ms: Option<u64>,
    timeout_s: Option<Spanned<u64>>,
    max_body_bytes: Option<Spanned<u64>>,
    respect_robots: Option<bool>,
    retries: Option<u32>,
    unreachable_after: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    db: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDigest {
    to: Option<Spanned<Vec<Spanned<String>>>>,
    from: Option<Spanned<String>>,
    subject_prefix: Option<String>,
    min_significance: Option<Significance>,
    out_dir: Option<Spanned<String>>,
    send_empty: Option<bool>,
    archive_url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: Spanned<String>,
    port: Option<Spanned<u16>>,
    security: Option<SmtpSecurity>,
    username: Option<String>,
    password_env: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: Spanned<String>,
    start: Spanned<Vec<Spanned<String>>>,
    allow: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    max_depth: Option<u32>,
    max_pages: Option<Spanned<usize>>,
    sitemaps: Option<bool>,
    content: Option<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    ignore_text: Vec<Spanned<String>>,
    documents: Option<bool>,
}

/// Turns spans into `FILE:LINE: key: message` errors.
struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        // Counted in bytes, so a span inside a character cannot panic.
        let bytes = self.text.as_bytes();
        bytes
            .get(..span.start)
            .unwrap_or(bytes)
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn invalid(
        &self,
        span: Option<&Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: span.map(|s| self.line(s)),
            key: key.into(),
            message: message.into(),
        }
    }

    fn syntax(&self, err: &toml::de::Error) -> ConfigError {
        let mut message = err.message().trim_end().to_string();
        if message.contains("unknown field `password`")
            || message.contains("unknown field `pass`")
            || message.contains("unknown field `smtp_password`")
        {
            message.push_str(
                ". Secrets never go in the config file: put the password in an environment \
                 variable and name that variable with `password_env = \"QUIETWATCH_SMTP_PASSWORD\"`",
            );
        }
        if message.contains("expected a sequence") {
            message.push_str(": write a list, e.g. start = [\"https://example.org/\"]");
        }
        ConfigError::Syntax {
            path: self.path.to_path_buf(),
            line: err.span().map(|s| self.line(&s)),
            message,
        }
    }
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::NotFound {
                    path: path.to_path_buf(),
                })
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Config::parse(&text, path)
    }

    /// Parses and validates config text. `path` is used only in messages and to resolve
    /// relative paths (against its parent directory); nothing is read from it.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let ctx = Ctx { path, text };
        let raw: RawConfig = toml::from_str(text).map_err(|e| ctx.syntax(&e))?;
        let base = path.parent().unwrap_or(Path::new(""));

        let crawl = build_crawl(&ctx, raw.crawl)?;
        let storage = StorageSettings {
            db: base.join(
                raw.storage
                    .and_then(|s| s.db)
                    .map(|d| non_empty_path(&ctx, d, "[storage] key `db`"))
                    .transpose()?
                    .unwrap_or_else(|| "quietwatch.db".to_string()),
            ),
        };
        let smtp = raw.smtp.map(|s| build_smtp(&ctx, s)).transpose()?;
        let digest = build_digest(&ctx, raw.digest, smtp.as_ref().map(|s| &s.1), base)?;
        let smtp = smtp.map(|s| s.0);

        if raw.site.is_empty() {
            return Err(ctx.invalid(
                None,
                "[[site]]",
                "no sites configured: add at least one [[site]] table with a `name` and `start`",
            ));
        }
        let mut sites: Vec<SiteConfig> = Vec::with_capacity(raw.site.len());
        for (i, site) in raw.site.into_iter().enumerate() {
            let site = build_site(&ctx, i + 1, site)?;
            if let Some(earlier) = sites.iter().position(|s| s.name == site.0.name) {
                return Err(ctx.invalid(
                    Some(&site.1),
                    format!("[[site]] {} key `name`", i + 1),
                    format!(
                        "duplicate site name {:?} (already used by [[site]] {})",
                        site.0.name,
                        earlier + 1
                    ),
                ));
            }
            sites.push(site.0);
        }

        Ok(Config {
            source: path.to_path_buf(),
            crawl,
            storage,
            digest,
            smtp,
            sites,
        })
    }

    /// The site called `name`, for `--site NAME`.
    pub fn site(&self, name: &str) -> Option<&SiteConfig> {
        self.sites.iter().find(|s| s.name == name)
    }
}

fn non_empty_path(ctx: &Ctx<'_>, value: Spanned<String>, key: &str) -> Result<String, ConfigError> {
    if value.get_ref().trim().is_empty() {
        return Err(ctx.invalid(Some(&value.span()), key, "must not be empty"));
    }
    Ok(value.into_inner())
}

fn positive<T: PartialOrd + Default + Copy>(
    ctx: &Ctx<'_>,
    value: Option<Spanned<T>>,
    default: T,
    key: &str,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if *v.get_ref() > T::default() => Ok(*v.get_ref()),
        Some(v) => Err(ctx.invalid(
            Some(&v.span()),
            format!("[crawl] key `{key}`"),
            "must be greater than 0",
        )),
    }
}

fn build_crawl(ctx: &Ctx<'_>, raw: Option<RawCrawl>) -> Result<CrawlSettings, ConfigError> {
    let d = CrawlSettings::default();
    let Some(raw) = raw else { return Ok(d) };
    let user_agent = match raw.user_agent {
        None => d.user_agent,
        Some(ua) => {
            let span = ua.span();
            let ua = ua.into_inner();
            if ua.trim().is_empty() || ua.chars().any(|c| c.is_control()) {
                return Err(ctx.invalid(
                    Some(&span),
                    "[crawl] key `user_agent`",
                    "must be a non-empty single line, e.g. \"quietwatch/0.1 (+mailto:you@example.org)\"",
                ));
            }
            ua
        }
    };
    let unreachable_after = match raw.unreachable_after {
        None => d.unreachable_after,
        Some(v) if *v.get_ref() >= 1 => *v.get_ref(),
        Some(v) => {
            return Err(ctx.invalid(
                Some(&v.span()),
                "[crawl] key `unreachable_after`",
                "must be at least 1",
            ))
        }
    };
    Ok(CrawlSettings {
        user_agent,
        concurrency: positive(ctx, raw.concurrency, d.concurrency, "concurrency")?,
        per_host_concurrency: positive(
            ctx,
            raw.per_host_concurrency,
            d.per_host_concurrency,
            "per_host_concurrency",
        )?,
        delay_ms: raw.delay_ms.unwrap_or(d.delay_ms),
        timeout_s: positive(ctx, raw.timeout_s, d.timeout_s, "timeout_s")?,
        max_body_bytes: positive(ctx, raw.max_body_bytes, d.max_body_bytes, "max_body_bytes")?,
        respect_robots: raw.respect_robots.unwrap_or(d.respect_robots),
        retries: raw.retries.unwrap_or(d.retries),
        unreachable_after,
    })
}

/// Returns the settings and the span of the `[smtp]` table (for "`to` is required" errors).
fn build_smtp(
    ctx: &Ctx<'_>,
    raw: Spanned<RawSmtp>,
) -> Result<(SmtpSettings, Range<usize>), ConfigError> {
    let span = raw.span();
    let raw = raw.into_inner();
    let host = raw.host.get_ref().trim().to_string();
    if host.is_empty() {
        return Err(ctx.invalid(
            Some(&raw.host.span()),
            "[smtp] key `host`",
            "must not be empty",
        ));
    }
    let security = raw.security.unwrap_or(SmtpSecurity::StartTls);
    let port = match raw.port {
        None => security.default_port(),
        Some(p) if *p.get_ref() != 0 => *p.get_ref(),
        Some(p) => return Err(ctx.invalid(Some(&p.span()), "[smtp] key `port`", "must not be 0")),
    };
    let password_env = match raw.password_env {
        None => None,
        Some(var) => {
            let name = var.get_ref();
            let looks_like_name = !name.is_empty()
                && name.len() <= 128
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !looks_like_name {
                return Err(ctx.invalid(
                    Some(&var.span()),
                    "[smtp] key `password_env`",
                    "must be the NAME of an environment variable (letters, digits, `_`), such \
                     as \"QUIETWATCH_SMTP_PASSWORD\" — never the password itself",
                ));
            }
            Some(var.into_inner())
        }
    };
    Ok((
        SmtpSettings {
            host,
            port,
            security,
            username: raw.username,
            password_env,
        },
        span,
    ))
}

fn check_mailbox(ctx: &Ctx<'_>, value: &Spanned<String>, key: &str) -> Result<(), ConfigError> {
    value
        .get_ref()
        .parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| {
            ctx.invalid(
                Some(&value.span()),
                key,
                format!("not a mail address ({e}): {:?}", value.get_ref()),
            )
        })
}

fn check_http_url(ctx: &Ctx<'_>, value: &Spanned<String>, key: &str) -> Result<Url, ConfigError> {
    let text = value.get_ref().trim();
    let url = Url::parse(text).map_err(|e| {
        ctx.invalid(
            Some(&value.span()),
            key,
            format!("not a URL: {text:?} ({e}); write an absolute http(s) address"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(ctx.invalid(
            Some(&value.span()),
            key,
            format!("not an http(s) URL with a host: {text:?}"),
        ));
    }
    Ok(url)
}

fn build_digest(
    ctx: &Ctx<'_>,
    raw: Option<RawDigest>,
    smtp_span: Option<&Range<usize>>,
    base: &Path,
) -> Result<DigestSettings, ConfigError> {
    let d = DigestSettings::default();
    let mut out = DigestSettings {
        out_dir: base.join(&d.out_dir),
        ..d
    };
    let Some(raw) = raw else {
        if let Some(span) = smtp_span {
            return Err(ctx.invalid(
                Some(span),
                "[digest] key `to`",
                "[smtp] is set, so [digest] needs `to` (recipients) and `from`",
            ));
        }
        return Ok(out);
    };

    let to_span = raw.to.as_ref().map(|t| t.span());
    let to: Vec<Spanned<String>> = raw.to.map(Spanned::into_inner).unwrap_or_default();
    for addr in &to {
        check_mailbox(ctx, addr, "[digest] key `to`")?;
    }
    if let Some(from) = &raw.from {
        check_mailbox(ctx, from, "[digest] key `from`")?;
    }
    if let Some(smtp_span) = smtp_span {
        if to.is_empty() {
            return Err(ctx.invalid(
                Some(to_span.as_ref().unwrap_or(smtp_span)),
                "[digest] key `to`",
                "[smtp] is set, so [digest] needs at least one recipient in `to`",
            ));
        }
        if raw.from.is_none() {
            return Err(ctx.invalid(
                Some(smtp_span),
                "[digest] key `from`",
                "[smtp] is set, so [digest] needs a sender in `from`",
            ));
        }
    }
    if let Some(url) = &raw.archive_url {
        check_http_url(ctx, url, "[digest] key `archive_url`")?;
    }
    out.to = to.into_iter().map(Spanned::into_inner).collect();
    out.from = raw.from.map(Spanned::into_inner);
    if let Some(p) = raw.subject_prefix {
        out.subject_prefix = p;
    }
    if let Some(m) = raw.min_significance {
        out.min_significance = m;
    }
    if let Some(dir) = raw.out_dir {
        out.out_dir = base.join(non_empty_path(ctx, dir, "[digest] key `out_dir`")?);
    }
    if let Some(s) = raw.send_empty {
        out.send_empty = s;
    }
    out.archive_url = raw.archive_url.map(|u| u.into_inner().trim().to_string());
    Ok(out)
}

/// Returns the site and the span of its name (for duplicate-name errors).
fn build_site(
    ctx: &Ctx<'_>,
    index: usize,
    raw: Spanned<RawSite>,
) -> Result<(SiteConfig, Range<usize>), ConfigError> {
    let table_span = raw.span();
    let raw = raw.into_inner();
    let name_span = raw.name.span();
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(ctx.invalid(
            Some(&name_span),
            format!("[[site]] {index} key `name`"),
            "must not be empty",
        ));
    }
    let key = |k: &str| format!("[[site]] {index} ({name:?}) key `{k}`");

    let start_span = raw.start.span();
    let start_raw = raw.start.into_inner();
    if start_raw.is_empty() {
        return Err(ctx.invalid(
            Some(&start_span),
            key("start"),
            "needs at least one start URL",
        ));
    }
    let mut start = Vec::with_capacity(start_raw.len());
    for s in &start_raw {
        let url = crate::urlnorm::canonicalize(&check_http_url(ctx, s, &key("start"))?);
        if !start.contains(&url) {
            start.push(url);
        }
    }

    let allow = match raw.allow {
        Some(entries) => {
            if entries.is_empty() {
                return Err(ctx.invalid(
                    Some(&table_span),
                    key("allow"),
                    "is empty, so nothing would be in scope; leave it out to allow the start \
                     pages' hosts",
                ));
            }
            let mut allow = Vec::with_capacity(entries.len());
            for e in entries {
                check_http_url(ctx, &e, &key("allow"))?;
                allow.push(e.into_inner().trim().to_string());
            }
            allow
        }
        None => {
            let mut allow: Vec<String> = Vec::new();
            for url in &start {
                let origin = format!("{}/", url.origin().ascii_serialization());
                if !allow.contains(&origin) {
                    allow.push(origin);
                }
            }
            allow
        }
    };

    for d in &raw.deny {
        globset::Glob::new(d.get_ref()).map_err(|e| {
            ctx.invalid(
                Some(&d.span()),
                key("deny"),
                format!("not a valid glob pattern: {e}"),
            )
        })?;
    }
    let check_selector = |s: &Spanned<String>, k: &str| {
        scraper::Selector::parse(s.get_ref())
            .map(|_| ())
            .map_err(|e| {
                // Some of scraper's messages are multi-line and apologetic; the variant
                // name says more.
                let mut why = e.to_string();
                if why.contains('\n') {
                    why = format!("{e:?}");
                }
                ctx.invalid(
                    Some(&s.span()),
                    key(k),
                    format!("not a valid CSS selector: {:?} ({why})", s.get_ref()),
                )
            })
    };
    if let Some(c) = &raw.content {
        check_selector(c, "content")?;
    }
    for s in &raw.ignore {
        check_selector(s, "ignore")?;
    }
    for r in &raw.ignore_text {
        regex::Regex::new(r.get_ref()).map_err(|e| {
            ctx.invalid(
                Some(&r.span()),
                key("ignore_text"),
                format!("not a valid regular expression: {e}"),
            )
        })?;
    }
    let max_pages = match raw.max_pages {
        None => 5000,
        Some(p) if *p.get_ref() > 0 => *p.get_ref(),
        Some(p) => {
            return Err(ctx.invalid(Some(&p.span()), key("max_pages"), "must be greater than 0"))
        }
    };

    Ok((
        SiteConfig {
            name,
            start,
            allow,
            deny: raw.deny.into_iter().map(Spanned::into_inner).collect(),
            max_depth: raw.max_depth.unwrap_or(2),
            max_pages,
            sitemaps: raw.sitemaps.unwrap_or(true),
            content: raw.content.map(Spanned::into_inner),
            ignore: raw.ignore.into_iter().map(Spanned::into_inner).collect(),
            ignore_text: raw
                .ignore_text
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            documents: raw.documents.unwrap_or(true),
        },
        name_span,
    ))
}

/// What `quietwatch init` writes: every key, explained, with a site that works as is.
pub const STARTER_CONFIG: &str = r#"# quietwatch configuration.
#
# quietwatch crawls the sites below, keeps every version of every page in SQLite, and
# writes (or mails) one digest of what changed. Unknown keys are errors, so a typo is caught
# at once. Relative paths are relative to this file's directory.

[crawl]
# Sent with every request. Say who you are and how to reach you; the first word (before
# "/") is the name robots.txt rules are matched against.
user_agent = "quietwatch/0.1 (+mailto:you@example.org)"
# Requests in flight overall, and to any one host.
concurrency = 8
per_host_concurrency = 2
# Minimum gap between two requests to one host, in milliseconds. A larger robots.txt
# Crawl-delay wins.
delay_ms = 1000
# Give up on a request after this many seconds.
timeout_s = 30
# Bodies larger than this many bytes are cut off.
max_body_bytes = 10000000
# Obey robots.txt (a disallowed URL is never fetched, even when a sitemap lists it).
respect_robots = true
# Retries for 5xx, 429 and network errors, with backoff. Never for 404/410.
retries = 2
# A page is reported unreachable only after this many consecutive failed runs; a single
# timeout or 503 is never reported.
unreachable_after = 3

[storage]
# The SQLite archive of every fetch, version and change.
db = "quietwatch.db"

[digest]
# Recipients and sender. Required only when [smtp] below is enabled.
to = ["team@example.org"]
from = "quietwatch <quietwatch@example.org>"
# Put in front of every digest's subject line.
subject_prefix = "[quietwatch]"
# "minor" reports everything; "major" leaves out minor edits (they stay in the archive).
min_significance = "minor"
# A copy of every digest (.eml and .html) goes here; without [smtp] it is the only output.
out_dir = "digests"
# true: send a digest even when nothing changed (a sign of life).
send_empty = false
# Optional: link each digest item to its view in `quietwatch serve`.
# archive_url = "http://127.0.0.1:8080"

# Uncomment to mail the digest. The password is read from the environment variable named
# by password_env; it never goes in this file.
# [smtp]
# host = "smtp.example.org"
# port = 587                  # default: 587 for starttls, 465 for tls, 25 for none
# security = "starttls"       # starttls | tls | none
# username = "monitor"
# password_env = "QUIETWATCH_SMTP_PASSWORD"

# One [[site]] table per group of pages to watch. Add as many as you like.
[[site]]
# Unique; used in digests and with `--site`.
name = "GCA agreements"
# Seeds: always fetched, watched by name (never reported as unlinked).
start = ["https://www.gca.gov.uk/agreements"]
# URL prefixes in scope, matched at a path-segment boundary. Default: the start pages' hosts.
allow = ["https://www.gca.gov.uk/agreements"]
# Glob patterns matched against the whole URL; "*" also crosses "/", "[?]" is a literal "?".
deny = ["*/suppliers/*", "*[?]search=*"]
# Link hops followed from the start pages; 0 watches the start pages only.
max_depth = 2
# Stop discovering new pages beyond this many.
max_pages = 5000
# Also read the host's sitemap(s) (from robots.txt, else /sitemap.xml).
sitemaps = true
# Optional: CSS selector of the part of the page that matters. Default: a main-content
# heuristic.
# content = "main"
# CSS selectors removed before comparing (cookie banners are removed anyway).
ignore = [".cookie-banner"]
# Regular expressions removed from the text before comparing.
ignore_text = ['Page last reviewed: .*']
# Also keep linked PDF/DOC(X)/XLS(X)/ODT/CSV files as pages of their own.
documents = true
"#;

/// Writes [`STARTER_CONFIG`] to `path` (creating its directory), refusing to overwrite an
/// existing file: `init` must never destroy a config someone has tuned.
pub fn write_starter(path: &Path) -> Result<(), ConfigError> {
    use std::io::Write;
    let write_err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(ConfigError::Exists {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(write_err(e)),
    };
    file.write_all(STARTER_CONFIG.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[[site]]\nname = \"A\"\nstart = [\"https://example.org/a\"]\n";

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("conf/qw.toml"))
    }

    fn err(text: &str) -> String {
        match parse(text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn defaults_fill_a_minimal_file() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.crawl, CrawlSettings::default());
        assert_eq!(c.crawl.concurrency, 8);
        assert_eq!(c.crawl.delay_ms, 1000);
        assert_eq!(c.crawl.unreachable_after, 3);
        assert!(c.crawl.respect_robots);
        assert_eq!(c.storage.db, PathBuf::from("conf/quietwatch.db"));
        assert_eq!(c.digest.out_dir, PathBuf::from("conf/digests"));
        assert_eq!(c.digest.subject_prefix, "[quietwatch]");
        assert_eq!(c.digest.min_significance, Significance::Minor);
        assert!(!c.digest.send_empty);
        assert!(c.digest.to.is_empty());
        assert!(c.smtp.is_none());
        let s = &c.sites[0];
        assert_eq!(s.name, "A");
        assert_eq!(s.start[0].as_str(), "https://example.org/a");
        assert_eq!(s.allow, vec!["https://example.org/".to_string()]);
        assert_eq!((s.max_depth, s.max_pages), (2, 5000));
        assert!(s.sitemaps && s.documents);
        assert!(s.deny.is_empty() && s.ignore.is_empty() && s.ignore_text.is_empty());
        assert_eq!(s.content, None);
        assert_eq!(c.site("A"), Some(s));
        assert_eq!(c.site("B"), None);
    }

    #[test]
    fn default_allow_is_each_seed_origin_once() {
        let c = parse(
            "[[site]]\nname = \"A\"\nstart = [\"https://x.org/a\", \"https://x.org/b\", \"http://y.org:8080/c\"]\n",
        )
        .unwrap();
        assert_eq!(
            c.sites[0].allow,
            vec![
                "https://x.org/".to_string(),
                "http://y.org:8080/".to_string()
            ]
        );
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = "[crawl]\nconcurrency = 4\nmax_page = 3\n\n[[site]]\nname = \"A\"\nstart = [\"https://example.org/\"]\n";
        let e = parse(text).unwrap_err();
        assert_eq!(e.line(), Some(3), "{e}");
        let msg = e.to_string();
        assert!(msg.starts_with("conf/qw.toml:3: "), "{msg}");
        assert!(msg.contains("max_page"), "{msg}");
    }

    #[test]
    fn unknown_key_in_a_site_names_its_line() {
        let text = format!("{MINIMAL}ignore_txt = ['x']\n");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line(), Some(4), "{e}");
        assert!(e.to_string().contains("ignore_txt"), "{e}");
    }

    #[test]
    fn password_key_gets_a_hint() {
        let text = format!(
            "[digest]\nto = [\"a@example.org\"]\nfrom = \"b@example.org\"\n[smtp]\nhost = \"h\"\npassword = \"hunter2\"\n{MINIMAL}"
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line(), Some(6), "{e}");
        let msg = e.to_string();
        assert!(msg.contains("password_env"), "{msg}");
        assert!(msg.contains("environment"), "{msg}");
    }

    #[test]
    fn bad_start_url_names_site_key_and_line() {
        let text = format!("{MINIMAL}\n[[site]]\nname = \"NHS England\"\nstart = [\n  \"https://ok.example/\",\n  \"not a url\",\n]\n");
        let msg = err(&text);
        assert!(
            msg.starts_with("conf/qw.toml:9: [[site]] 2 (\"NHS England\") key `start`: not a URL"),
            "{msg}"
        );
    }

    #[test]
    fn non_http_start_and_allow_are_rejected() {
        let msg = err("[[site]]\nname = \"A\"\nstart = [\"ftp://example.org/\"]\n");
        assert!(msg.contains(":3:") && msg.contains("`start`"), "{msg}");
        let msg = err(&format!("{MINIMAL}allow = [\"/agreements\"]\n"));
        assert!(msg.contains(":4:") && msg.contains("`allow`"), "{msg}");
        let msg = err("[[site]]\nname = \"A\"\nstart = []\n");
        assert!(msg.contains(":3:") && msg.contains("at least one"), "{msg}");
    }

    #[test]
    fn a_string_where_a_list_belongs_gets_a_hint() {
        let msg = err("[[site]]\nname = \"A\"\nstart = \"https://e.org/\"\n");
        assert!(msg.starts_with("conf/qw.toml:3: "), "{msg}");
        assert!(msg.contains("write a list"), "{msg}");
    }

    #[test]
    fn bad_regex_selector_glob() {
        let msg = err(&format!("{MINIMAL}ignore_text = ['ok', '(unclosed']\n"));
        assert!(
            msg.contains(":4:") && msg.contains("`ignore_text`"),
            "{msg}"
        );
        assert!(msg.contains("regular expression"), "{msg}");

        let msg = err(&format!("{MINIMAL}ignore = ['div >> > p']\n"));
        assert!(msg.contains(":4:") && msg.contains("`ignore`"), "{msg}");
        assert!(msg.contains("CSS selector"), "{msg}");

        let msg = err(&format!("{MINIMAL}content = '#'\n"));
        assert!(msg.contains(":4:") && msg.contains("`content`"), "{msg}");

        let msg = err(&format!("{MINIMAL}deny = ['*[unclosed']\n"));
        assert!(msg.contains(":4:") && msg.contains("`deny`"), "{msg}");
    }

    #[test]
    fn crawl_numbers_must_be_positive() {
        for key in [
            "concurrency",
            "per_host_concurrency",
            "timeout_s",
            "max_body_bytes",
            "unreachable_after",
        ] {
            let msg = err(&format!("[crawl]\n{key} = 0\n{MINIMAL}"));
            assert!(
                msg.starts_with(&format!("conf/qw.toml:2: [crawl] key `{key}`")),
                "{msg}"
            );
        }
        let msg = err(&format!("[crawl]\nconcurrency = -1\n{MINIMAL}"));
        assert!(msg.starts_with("conf/qw.toml:2:"), "{msg}");
    }

    #[test]
    fn smtp_requires_to_and_from() {
        let msg = err(&format!("[smtp]\nhost = \"smtp.example.org\"\n{MINIMAL}"));
        assert!(msg.contains("`to`") && msg.contains(":1:"), "{msg}");
        let msg = err(&format!(
            "[digest]\nfrom = \"a@example.org\"\n[smtp]\nhost = \"smtp.example.org\"\n{MINIMAL}"
        ));
        assert!(msg.contains("`to`"), "{msg}");
        let msg = err(&format!(
            "[digest]\nto = [\"a@example.org\"]\n[smtp]\nhost = \"smtp.example.org\"\n{MINIMAL}"
        ));
        assert!(msg.contains("`from`"), "{msg}");
        let msg = err(&format!(
            "[digest]\nto = [\"nobody\"]\nfrom = \"a@example.org\"\n[smtp]\nhost = \"h\"\n{MINIMAL}"
        ));
        assert!(
            msg.contains(":2:") && msg.contains("not a mail address"),
            "{msg}"
        );
        let msg = err(&format!(
            "[digest]\nto = [\"a@example.org\"]\nfrom = \"a@example.org\"\n[smtp]\nhost = \"h\"\nport = 0\n{MINIMAL}"
        ));
        assert!(msg.contains(":6:") && msg.contains("`port`"), "{msg}");
        let msg = err(&format!(
            "[digest]\nto = [\"a@example.org\"]\nfrom = \"a@example.org\"\n[smtp]\nhost = \"h\"\npassword_env = \"s3cr3t!pass\"\n{MINIMAL}"
        ));
        assert!(
            msg.contains(":6:") && msg.contains("never the password"),
            "{msg}"
        );
    }

    #[test]
    fn smtp_complete() {
        let c = parse(&format!(
            "[digest]\nto = [\"Team <team@example.org>\"]\nfrom = \"quietwatch <qw@example.org>\"\nmin_significance = \"major\"\n[smtp]\nhost = \"smtp.example.org\"\nsecurity = \"tls\"\nusername = \"u\"\npassword_env = \"QW_PASS\"\n{MINIMAL}"
        ))
        .unwrap();
        let smtp = c.smtp.unwrap();
        assert_eq!(smtp.port, 465);
        assert_eq!(smtp.security, SmtpSecurity::Tls);
        assert_eq!(smtp.password_env.as_deref(), Some("QW_PASS"));
        assert_eq!(c.digest.min_significance, Significance::Major);
        assert_eq!(c.digest.to, vec!["Team <team@example.org>".to_string()]);
    }

    #[test]
    fn sites_need_unique_nonempty_names_and_at_least_one_site() {
        let msg = err("[crawl]\ndelay_ms = 5\n");
        assert!(
            msg.contains("[[site]]") && msg.contains("at least one"),
            "{msg}"
        );
        let msg = err(&format!(
            "{MINIMAL}[[site]]\nname = \"A\"\nstart = [\"https://e.org/\"]\n"
        ));
        assert!(msg.contains(":5:") && msg.contains("duplicate"), "{msg}");
        let msg = err("[[site]]\nname = \" \"\nstart = [\"https://e.org/\"]\n");
        assert!(msg.contains(":2:") && msg.contains("`name`"), "{msg}");
    }

    #[test]
    fn relative_paths_resolve_against_the_config_dir() {
        let text =
            format!("[storage]\ndb = \"data/qw.db\"\n[digest]\nout_dir = \"out\"\n{MINIMAL}");
        let c = Config::parse(&text, Path::new("/etc/quietwatch/qw.toml")).unwrap();
        assert_eq!(c.storage.db, PathBuf::from("/etc/quietwatch/data/qw.db"));
        assert_eq!(c.digest.out_dir, PathBuf::from("/etc/quietwatch/out"));
        let text = format!("[storage]\ndb = \"/var/lib/qw.db\"\n{MINIMAL}");
        let c = Config::parse(&text, Path::new("/etc/quietwatch/qw.toml")).unwrap();
        assert_eq!(c.storage.db, PathBuf::from("/var/lib/qw.db"));
        // A bare file name: relative to the working directory, like the file itself.
        let c = Config::parse(MINIMAL, Path::new("qw.toml")).unwrap();
        assert_eq!(c.storage.db, PathBuf::from("quietwatch.db"));
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.toml");
        let e = Config::load(&path).unwrap_err();
        assert!(matches!(e, ConfigError::NotFound { .. }));
        assert!(e.to_string().contains("nope.toml"), "{e}");
    }

    #[test]
    fn starter_config_parses_round_trips_and_mentions_every_key() {
        let parsed = parse(STARTER_CONFIG).unwrap();
        assert_eq!(parsed.crawl, CrawlSettings::default());
        assert!(parsed.smtp.is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config/quietwatch.toml");
        write_starter(&path).unwrap();
        let loaded = Config::load(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), STARTER_CONFIG);
        assert_eq!(loaded.sites, parsed.sites);
        assert_eq!(loaded.crawl, parsed.crawl);
        assert_eq!(loaded.storage.db, dir.path().join("config/quietwatch.db"));
        // Refuses to overwrite.
        std::fs::write(&path, "# tuned by hand\n").unwrap();
        assert!(matches!(
            write_starter(&path),
            Err(ConfigError::Exists { .. })
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# tuned by hand\n");
        // Uncommenting [smtp] gives a valid config too.
        let with_smtp = STARTER_CONFIG
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| {
                        r.starts_with("[smtp]")
                            || r.starts_with("host")
                            || r.starts_with("port")
                            || r.starts_with("security")
                            || r.starts_with("username")
                            || r.starts_with("password_env")
                            || r.starts_with("archive_url")
                            || r.starts_with("content")
                    })
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&with_smtp).unwrap();
        assert_eq!(c.smtp.unwrap().port, 587);
        assert_eq!(c.sites[0].content.as_deref(), Some("main"));
        assert!(c.digest.archive_url.is_some());
        for key in [
            "user_agent",
            "concurrency",
            "per_host_concurrency",
            "delay_ms",
            "timeout_s",
            "max_body_bytes",
            "respect_robots",
            "retries",
            "unreachable_after",
            "db",
            "to",
            "from",
            "subject_prefix",
            "min_significance",
            "out_dir",
            "send_empty",
            "archive_url",
            "host",
            "port",
            "security",
            "username",
            "password_env",
            "name",
            "start",
            "allow",
            "deny",
            "max_depth",
            "max_pages",
            "sitemaps",
            "content",
            "ignore",
            "ignore_text",
            "documents",
        ] {
            assert!(
                STARTER_CONFIG
                    .lines()
                    .any(|l| l.trim_start_matches("# ").starts_with(&format!("{key} = "))),
                "starter config lacks `{key}`"
            );
        }
    }

    #[test]
    fn shipped_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/quietwatch.toml");
        let c = Config::load(&path).unwrap();
        assert!(c.smtp.is_none());
        let names: Vec<&str> = c.sites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "GCA agreements",
                "NHS England procurement",
                "NHS SBS frameworks"
            ]
        );
        assert!(c
            .sites
            .iter()
            .all(|s| !s.deny.is_empty() || s.name != "GCA agreements"));
    }
}
