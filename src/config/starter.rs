//! The starter config `quietwatch init` writes: every key, explained, with a site that works
//! as is, and every default shown as [`super::defaults`] states it.

use super::defaults as d;
use super::ConfigError;
use std::path::Path;

/// The optional tables at the end of the starter config, commented out: nothing in them
/// depends on a default.
const OPTIONAL_TABLES: &str = r#"# Optional: phrases to hear about the moment they appear on, or vanish from, a page. Matched
# whatever the case and spacing, on whole words ("supermarket engagement" is not "market
# engagement"); one [[watch]] table per phrase.
# [[watch]]
# phrase = "market engagement"
# sites = ["GCA agreements"]              # default: every site
# on = "both"                             # appear | disappear | both

# Optional: post the changes to a chat channel or your own system too, once per run. Each
# webhook keeps its own "delivered" marks: one that is down gets its changes on a later run.
# [[webhook]]
# name = "bids channel"                   # unique; how errors and `quietwatch channels` name it
# url_env = "QUIETWATCH_SLACK_URL"        # the URL is a secret: read from this variable (or url = "...")
# format = "slack"                        # json | slack | teams
# min_significance = "major"
# secret_env = "QUIETWATCH_HOOK_SECRET"   # optional: X-Quietwatch-Signature: sha256=HMAC of the body
"#;

/// What `quietwatch init` writes.
pub fn starter_config() -> String {
    let mut text = format!(
        r#"# quietwatch configuration.
#
# quietwatch crawls the sites below, keeps every version of every page in SQLite, and
# writes (or mails) one digest of what changed. Unknown keys are errors, so a typo is caught
# at once. Relative paths are relative to this file's directory.

[crawl]
# Sent with every request. Say who you are and how to reach you; the first word (before
# "/") is the name robots.txt rules are matched against.
user_agent = "{user_agent}"
# Requests in flight overall, and to any one host.
concurrency = {concurrency}
per_host_concurrency = {per_host}
# Minimum gap between two requests to one host, in milliseconds. A larger robots.txt
# Crawl-delay wins.
delay_ms = {delay_ms}
# Give up on a request after this many seconds.
timeout_s = {timeout_s}
# Bodies larger than this many bytes are cut off.
max_body_bytes = {max_body}
# Obey robots.txt (a disallowed URL is never fetched, even when a sitemap lists it).
respect_robots = {respect_robots}
# Retries for 5xx, 429 and network errors, with backoff. Never for 404/410.
retries = {retries}
# A page is reported unreachable only after this many consecutive failed runs; a single
# timeout or 503 is never reported.
unreachable_after = {unreachable_after}

[storage]
# The SQLite archive of every fetch, version and change.
db = "{db}"

[digest]
# Recipients and sender. Required only when [smtp] below is enabled.
to = ["team@example.org"]
from = "quietwatch <quietwatch@example.org>"
# Put in front of every digest's subject line.
subject_prefix = "{subject_prefix}"
# "minor" reports everything; "major" leaves out minor edits (they stay in the archive).
min_significance = "minor"
# A copy of every digest (.eml and .html) goes here; without [smtp] it is the only output.
out_dir = "{out_dir}"
# true: send a digest even when nothing changed (a sign of life).
send_empty = {send_empty}
# Optional: link each digest item to its view in `quietwatch serve`.
# archive_url = "http://127.0.0.1:8080"
# Announce (once per end date) each agreement or lot whose end date comes within this many
# days, in the digest's "Ending soon" section. 0 turns it off.
ending_within_days = {ending_within_days}

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
max_depth = {max_depth}
# Stop discovering new pages beyond this many.
max_pages = {max_pages}
# Also read the host's sitemap(s) (from robots.txt, else /sitemap.xml).
sitemaps = {sitemaps}
# Optional: CSS selector of the part of the page that matters. Default: a main-content
# heuristic.
# content = "main"
# Optional: CSS selector of the page's key-facts panel (reference, status, dates, lots). When
# set, only it is read for label/value facts. Default: every label/value structure of the
# compared text.
# facts = ".key-facts"
# CSS selectors removed before comparing (cookie banners are removed anyway).
ignore = [".cookie-banner"]
# Regular expressions removed from the text before comparing.
ignore_text = ['Page last reviewed: .*']
# Also keep linked PDF/DOC(X)/XLS(X)/ODT/CSV files as pages of their own.
documents = {documents}

"#,
        user_agent = d::USER_AGENT,
        concurrency = d::CONCURRENCY,
        per_host = d::PER_HOST_CONCURRENCY,
        delay_ms = d::DELAY_MS,
        timeout_s = d::TIMEOUT_S,
        max_body = d::MAX_BODY_BYTES,
        respect_robots = d::RESPECT_ROBOTS,
        retries = d::RETRIES,
        unreachable_after = d::UNREACHABLE_AFTER,
        db = d::DB,
        subject_prefix = d::SUBJECT_PREFIX,
        out_dir = d::OUT_DIR,
        send_empty = d::SEND_EMPTY,
        ending_within_days = d::ENDING_WITHIN_DAYS,
        max_depth = d::MAX_DEPTH,
        max_pages = d::MAX_PAGES,
        sitemaps = d::SITEMAPS,
        documents = d::DOCUMENTS,
    );
    text.push_str(OPTIONAL_TABLES);
    text
}

/// Writes [`starter_config`] to `path` (creating its directory), refusing to overwrite an
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
    file.write_all(starter_config().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_err)
}
