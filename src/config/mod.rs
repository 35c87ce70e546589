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

mod build;
pub mod defaults;
mod starter;
pub mod watch;
pub mod webhook;

pub use starter::{starter_config, write_starter};
pub use watch::{WatchConfig, WatchOn};
pub use webhook::{UrlSource, WebhookConfig};

use crate::model::Significance;
use serde::Deserialize;
use std::path::{Path, PathBuf};
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
    /// `[[webhook]]` channels, in file order.
    pub webhooks: Vec<WebhookConfig>,
    /// `[[watch]]` phrases, in file order; every site name in them is a configured site.
    pub watches: Vec<WatchConfig>,
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
    /// SPEC.md's example values ([`defaults`]).
    fn default() -> Self {
        CrawlSettings {
            user_agent: defaults::USER_AGENT.to_string(),
            concurrency: defaults::CONCURRENCY,
            per_host_concurrency: defaults::PER_HOST_CONCURRENCY,
            delay_ms: defaults::DELAY_MS,
            timeout_s: defaults::TIMEOUT_S,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            respect_robots: defaults::RESPECT_ROBOTS,
            retries: defaults::RETRIES,
            unreachable_after: defaults::UNREACHABLE_AFTER,
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
    /// Agreements and lots whose end date comes within this many days are announced once
    /// (`ending` records); 0 turns it off.
    pub ending_within_days: u32,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            to: Vec::new(),
            from: None,
            subject_prefix: defaults::SUBJECT_PREFIX.to_string(),
            min_significance: Significance::Minor,
            out_dir: PathBuf::from(defaults::OUT_DIR),
            send_empty: defaults::SEND_EMPTY,
            archive_url: None,
            ending_within_days: defaults::ENDING_WITHIN_DAYS,
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
    /// CSS selector of the site's key-facts panel: when set, only it is read for label/value
    /// facts (SPEC.md "Facts").
    pub facts: Option<String>,
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
    /// `--site NAME` names no `[[site]]` of the config.
    #[error("{}: no [[site]] named {name:?} (sites: {known})", path.display())]
    UnknownSite {
        path: PathBuf,
        name: String,
        known: String,
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
        build::config(text, path)
    }

    /// The site called `name`.
    pub fn site(&self, name: &str) -> Option<&SiteConfig> {
        self.sites.iter().find(|s| s.name == name)
    }

    /// The site called `name`, for `--site NAME`: the one place an unknown name is rejected,
    /// with the names there are.
    pub fn site_named(&self, name: &str) -> Result<&SiteConfig, ConfigError> {
        self.site(name).ok_or_else(|| ConfigError::UnknownSite {
            path: self.source.clone(),
            name: name.to_string(),
            known: self
                .sites
                .iter()
                .map(|s| format!("{:?}", s.name))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
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
    fn webhooks_read_their_secrets_by_name_and_name_their_errors() {
        let ok = format!(
            "{MINIMAL}[[webhook]]\nname = \"bids\"\nurl_env = \"QW_HOOK\"\nformat = \"slack\"\n\
             min_significance = \"major\"\nsecret_env = \"QW_SECRET\"\n\
             [[webhook]]\nname = \"sys\"\nurl = \"https://hooks.example.org/in\"\nformat = \"json\"\n"
        );
        let c = parse(&ok).unwrap();
        assert_eq!(c.webhooks.len(), 2);
        assert_eq!(c.webhooks[0].url, UrlSource::Env("QW_HOOK".into()));
        assert_eq!(c.webhooks[0].min_significance, Significance::Major);
        assert_eq!(c.webhooks[1].min_significance, Significance::Minor);
        let bad = |table: &str| err(&format!("{MINIMAL}[[webhook]]\n{table}"));
        let msg = bad("name = \"a\"\nformat = \"json\"\n");
        assert!(
            msg.contains("[[webhook]] 1") && msg.contains("exactly one"),
            "{msg}"
        );
        let msg = bad("name = \"a\"\nformat = \"irc\"\nurl = \"https://h/x\"\n");
        assert!(msg.contains(":6:") && msg.contains("`format`"), "{msg}");
        let msg = bad(
            "name = \"a\"\nformat = \"json\"\nurl_env = \"https://hooks.slack.com/T/B/SECRET\"\n",
        );
        assert!(msg.contains("`url_env`") && msg.contains("NAME"), "{msg}");
        let msg = bad("name = \"mail\"\nformat = \"json\"\nurl = \"https://h/x\"\n");
        assert!(msg.contains("`name`"), "{msg}");
        let msg = bad("name = \"a\"\nformat = \"json\"\nurl = \"ftp://h/SECRET\"\n");
        assert!(msg.contains("`url`") && !msg.contains("SECRET"), "{msg}");
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key_in_words() {
        let msg = err("[crawl]\nconcurrency = \"eight\"\n[[site]]\nname = \"A\"\nstart = [\"https://example.org/a\"]\n");
        assert!(msg.starts_with("conf/qw.toml:2: "), "{msg}");
        assert!(msg.contains("[crawl] key `concurrency`"), "{msg}");
        assert!(msg.contains("a whole number"), "{msg}");
        assert!(!msg.contains("usize"), "{msg}");
        let msg = err("[[site]]\nname = \"A\"\nstart = [\"https://example.org/a\"]\n[[site]]\nname = \"B\"\nstart = [\"https://example.org/b\"]\nsitemaps = \"yes\"\n");
        assert!(
            msg.contains("[[site]] 2 key `sitemaps`") && msg.contains("true or false"),
            "{msg}"
        );
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

        // The key-facts selector: the error names the site and the key.
        let msg = err(&format!("{MINIMAL}facts = 'dl >> dd'\n"));
        assert!(msg.contains(":4:") && msg.contains("`facts`"), "{msg}");
        assert!(
            msg.contains("[[site]] 1 (") && msg.contains("CSS selector"),
            "{msg}"
        );
        let ok = parse(&format!("{MINIMAL}facts = '.key-facts'\n")).unwrap();
        assert_eq!(ok.sites[0].facts.as_deref(), Some(".key-facts"));

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
        let parsed = parse(&starter_config()).unwrap();
        assert_eq!(parsed.crawl, CrawlSettings::default());
        assert!(parsed.smtp.is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config/quietwatch.toml");
        write_starter(&path).unwrap();
        let loaded = Config::load(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), starter_config());
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
        let with_smtp = starter_config()
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
                            || r.starts_with("facts")
                    })
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&with_smtp).unwrap();
        assert_eq!(c.smtp.unwrap().port, 587);
        assert_eq!(c.sites[0].content.as_deref(), Some("main"));
        assert_eq!(c.sites[0].facts.as_deref(), Some(".key-facts"));
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
                starter_config()
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
