//! Reading the file: private `Raw*` structs whose fields are [`toml::Spanned`], so that an
//! error found after parsing still knows its line, then one builder per table that checks
//! every value it can without the network and fills gaps from [`super::defaults`].

use super::defaults;
use super::webhook::{WebhookFormat, WebhookUrl};
use super::*;
use std::ops::Range;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    crawl: Option<RawCrawl>,
    storage: Option<RawStorage>,
    digest: Option<RawDigest>,
    smtp: Option<Spanned<RawSmtp>>,
    #[serde(default)]
    site: Vec<Spanned<RawSite>>,
    #[serde(default)]
    webhook: Vec<Spanned<RawWebhook>>,
    #[serde(default)]
    watch: Vec<Spanned<super::watch::RawWatch>>,
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
    ending_within_days: Option<u32>,
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
    facts: Option<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    ignore_text: Vec<Spanned<String>>,
    documents: Option<bool>,
}

/// Parses and validates config text (see [`Config::parse`]).
pub(super) fn config(text: &str, path: &Path) -> Result<Config, ConfigError> {
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
                .unwrap_or_else(|| defaults::DB.to_string()),
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

    let webhooks = build_webhooks(&ctx, raw.webhook)?;
    let watches = super::watch::build_watches(&ctx, raw.watch, &sites)?;
    Ok(Config {
        source: path.to_path_buf(),
        crawl,
        storage,
        digest,
        smtp,
        sites,
        webhooks,
        watches,
    })
}

/// Turns spans into `FILE:LINE: key: message` errors.
pub(super) struct Ctx<'a> {
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

    pub(super) fn invalid(
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
        if message.starts_with("invalid type") || message.starts_with("invalid value") {
            message = in_words(&message);
            if let Some(key) = err.span().and_then(|s| self.key_at(s.start)) {
                message = format!("{key}: {message}");
            }
        }
        ConfigError::Syntax {
            path: self.path.to_path_buf(),
            line: err.span().map(|s| self.line(&s)),
            message,
        }
    }
}

impl Ctx<'_> {
    /// The key a value at byte `at` belongs to, as messages name keys: `[crawl] key
    /// \`concurrency\``, `[[site]] 2 key \`max_pages\``. Read from the text itself (the
    /// `key =` on that line and the last table header above it), so it works for any table.
    fn key_at(&self, at: usize) -> Option<String> {
        let before = self.text.get(..at)?;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = self.text.get(line_start..)?.lines().next()?;
        let (key, _) = line.split_once('=')?;
        let key = key.trim().trim_matches('"');
        if key.is_empty() || key.contains(char::is_whitespace) {
            return None;
        }
        let mut table = String::new();
        let mut arrays: Vec<(String, usize)> = Vec::new();
        for l in before.lines().map(str::trim) {
            if let Some(name) = l.strip_prefix("[[").and_then(|r| r.split_once("]]")) {
                let name = name.0.trim().to_string();
                let n = match arrays.iter_mut().find(|(a, _)| *a == name) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        arrays.push((name.clone(), 1));
                        1
                    }
                };
                table = format!("[[{name}]] {n} ");
            } else if let Some(name) = l.strip_prefix('[').and_then(|r| r.split_once(']')) {
                table = format!("[{}] ", name.0.trim());
            }
        }
        Some(format!("{table}key `{key}`"))
    }
}

/// The TOML parser's type names in words an operator reads ("expected usize" → "expected a
/// whole number").
fn in_words(message: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("expected usize", "expected a whole number (0 or more)"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ];
    let mut out = message.to_string();
    for (from, to) in WORDS {
        if let Some(i) = out.find(from) {
            let end = i + from.len();
            if !out[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                out.replace_range(i..end, to);
                break;
            }
        }
    }
    out
}

/// A value that must be the NAME of an environment variable, never the secret it holds.
fn env_var_name(
    ctx: &Ctx<'_>,
    var: Spanned<String>,
    key: &str,
    example: &str,
    secret: &str,
) -> Result<String, ConfigError> {
    let name = var.get_ref();
    let looks_like_name = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !looks_like_name {
        return Err(ctx.invalid(
            Some(&var.span()),
            key,
            format!(
                "must be the NAME of an environment variable (letters, digits, `_`), such as \
                 {example:?} — never {secret} itself"
            ),
        ));
    }
    Ok(var.into_inner())
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
    let password_env = raw
        .password_env
        .map(|var| {
            env_var_name(
                ctx,
                var,
                "[smtp] key `password_env`",
                "QUIETWATCH_SMTP_PASSWORD",
                "the password",
            )
        })
        .transpose()?;
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
    if let Some(days) = raw.ending_within_days {
        out.ending_within_days = days;
    }
    Ok(out)
}

/// The start URLs, canonical, each once.
fn site_start(
    ctx: &Ctx<'_>,
    key: &dyn Fn(&str) -> String,
    raw: Spanned<Vec<Spanned<String>>>,
) -> Result<Vec<Url>, ConfigError> {
    let span = raw.span();
    let raw = raw.into_inner();
    if raw.is_empty() {
        return Err(ctx.invalid(Some(&span), key("start"), "needs at least one start URL"));
    }
    let mut start = Vec::with_capacity(raw.len());
    for s in &raw {
        let url = crate::urlnorm::canonicalize(&check_http_url(ctx, s, &key("start"))?);
        if !start.contains(&url) {
            start.push(url);
        }
    }
    Ok(start)
}

/// The URL prefixes in scope: as given, else each start page's origin once.
fn site_allow(
    ctx: &Ctx<'_>,
    key: &dyn Fn(&str) -> String,
    table_span: &Range<usize>,
    raw: Option<Vec<Spanned<String>>>,
    start: &[Url],
) -> Result<Vec<String>, ConfigError> {
    let Some(entries) = raw else {
        let mut allow: Vec<String> = Vec::new();
        for url in start {
            let origin = format!("{}/", url.origin().ascii_serialization());
            if !allow.contains(&origin) {
                allow.push(origin);
            }
        }
        return Ok(allow);
    };
    if entries.is_empty() {
        return Err(ctx.invalid(
            Some(table_span),
            key("allow"),
            "is empty, so nothing would be in scope; leave it out to allow the start pages' hosts",
        ));
    }
    let mut allow = Vec::with_capacity(entries.len());
    for e in entries {
        check_http_url(ctx, &e, &key("allow"))?;
        allow.push(e.into_inner().trim().to_string());
    }
    Ok(allow)
}

/// A CSS selector that must compile.
fn check_selector(ctx: &Ctx<'_>, s: &Spanned<String>, key: String) -> Result<(), ConfigError> {
    scraper::Selector::parse(s.get_ref())
        .map(|_| ())
        .map_err(|e| {
            // Some of scraper's messages are multi-line and apologetic; the variant name says
            // more.
            let mut why = e.to_string();
            if why.contains('\n') {
                why = format!("{e:?}");
            }
            ctx.invalid(
                Some(&s.span()),
                key,
                format!("not a valid CSS selector: {:?} ({why})", s.get_ref()),
            )
        })
}

/// The site's globs, selectors and regexes, each checked where it is written.
fn check_site_patterns(
    ctx: &Ctx<'_>,
    key: &dyn Fn(&str) -> String,
    raw: &RawSite,
) -> Result<(), ConfigError> {
    for d in &raw.deny {
        globset::Glob::new(d.get_ref()).map_err(|e| {
            ctx.invalid(
                Some(&d.span()),
                key("deny"),
                format!("not a valid glob pattern: {e}"),
            )
        })?;
    }
    if let Some(c) = &raw.content {
        check_selector(ctx, c, key("content"))?;
    }
    if let Some(f) = &raw.facts {
        check_selector(ctx, f, key("facts"))?;
    }
    for s in &raw.ignore {
        check_selector(ctx, s, key("ignore"))?;
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
    Ok(())
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

    check_site_patterns(ctx, &key, &raw)?;
    let start = site_start(ctx, &key, raw.start)?;
    let allow = site_allow(ctx, &key, &table_span, raw.allow, &start)?;
    let max_pages = match raw.max_pages {
        None => defaults::MAX_PAGES,
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
            max_depth: raw.max_depth.unwrap_or(defaults::MAX_DEPTH),
            max_pages,
            sitemaps: raw.sitemaps.unwrap_or(defaults::SITEMAPS),
            content: raw.content.map(Spanned::into_inner),
            facts: raw.facts.map(Spanned::into_inner),
            ignore: raw.ignore.into_iter().map(Spanned::into_inner).collect(),
            ignore_text: raw
                .ignore_text
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            documents: raw.documents.unwrap_or(defaults::DOCUMENTS),
        },
        name_span,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    name: Spanned<String>,
    url: Option<Spanned<String>>,
    url_env: Option<Spanned<String>>,
    format: Spanned<String>,
    min_significance: Option<Significance>,
    secret_env: Option<Spanned<String>>,
}

/// `[[webhook]]` tables: unique names (`mail` is the digest's), one of `url` / `url_env`, a
/// known format, variable names that are names.
fn build_webhooks(
    ctx: &Ctx<'_>,
    raw: Vec<Spanned<RawWebhook>>,
) -> Result<Vec<WebhookConfig>, ConfigError> {
    let mut out: Vec<WebhookConfig> = Vec::with_capacity(raw.len());
    for (i, w) in raw.into_iter().enumerate() {
        let span = w.span();
        let w = w.into_inner();
        let name = w.name.get_ref().trim().to_string();
        let key = |k: &str| format!("[[webhook]] {} key `{k}`", i + 1);
        if name.is_empty() || name.eq_ignore_ascii_case("mail") {
            return Err(ctx.invalid(
                Some(&w.name.span()),
                key("name"),
                "must be a non-empty name other than \"mail\" (the digest's channel)",
            ));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(ctx.invalid(
                Some(&w.name.span()),
                key("name"),
                format!("duplicate webhook name {name:?}"),
            ));
        }
        let url = match (w.url, w.url_env) {
            (Some(u), None) => UrlSource::Literal(WebhookUrl::parse(u.get_ref()).map_err(|e| {
                ctx.invalid(
                    Some(&u.span()),
                    key("url"),
                    format!("not a usable webhook URL: {e}"),
                )
            })?),
            (None, Some(var)) => UrlSource::Env(env_var_name(
                ctx,
                var,
                &key("url_env"),
                "QUIETWATCH_SLACK_URL",
                "the URL",
            )?),
            _ => {
                return Err(ctx.invalid(
                    Some(&span),
                    key("url_env"),
                    "give exactly one of `url_env` (the variable holding the URL; webhook URLs \
                     are secrets) or `url`",
                ))
            }
        };
        let format = w
            .format
            .get_ref()
            .parse::<WebhookFormat>()
            .map_err(|e| ctx.invalid(Some(&w.format.span()), key("format"), e))?;
        let secret_env = w
            .secret_env
            .map(|v| {
                env_var_name(
                    ctx,
                    v,
                    &key("secret_env"),
                    "QUIETWATCH_HOOK_SECRET",
                    "the key",
                )
            })
            .transpose()?;
        out.push(WebhookConfig {
            name,
            url,
            format,
            min_significance: w.min_significance.unwrap_or(Significance::Minor),
            secret_env,
        });
    }
    Ok(out)
}
