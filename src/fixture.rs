//! A loopback web server that plays back versioned fixture sites.
//!
//! quietwatch's tests and its `demo` command need real HTTP with real quirks — redirects,
//! 404 pages, soft 404s, 503s, stalls, endless bodies, rotating CSRF tokens — and they need
//! the site to *change* between two crawls so that every change kind can be planted. This
//! module serves a site directory (or one embedded in the binary) on `127.0.0.1`, one
//! listener per declared host, and lets the caller switch the whole site from one version to
//! the next with [`FixtureServer::set_version`].
//!
//! Key choices (the site format itself is documented in `fixtures/sites/README.md`):
//! - The whole site is loaded and validated when the server starts (bounded by
//!   [`MAX_SITE_FILES`] and [`MAX_SITE_BYTES`]); a typo in the manifest, a deletion of a file
//!   that does not exist or an unknown `{{placeholder}}` fails `start`, not a request.
//! - Answers behave like a careful real server: strong ETags (a hash of the bytes actually
//!   sent), Last-Modified, 304s, real 404 pages. Last-Modified moves forward whenever a
//!   file's content changes through a version switch, so a client that sends the time of its
//!   last check as If-Modified-Since never gets a false 304.
//! - Hostile behaviours (stall, endless body) are generated lazily and end when the server
//!   shuts down; nothing is buffered beyond one chunk, and the request log is capped.
//! - Placeholders (`{{csrf}}`, `{{now}}`, `{{cachebust}}`, `{{host:NAME}}`) are replaced at
//!   byte level in text files on every request, so a windows-1252 page is never re-encoded.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The demo site, compiled into the binary so `quietwatch demo` works from any directory.
static DEMO_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/sites/demo");

/// Most files a site may hold (all versions together): fixture sites are small by design.
pub const MAX_SITE_FILES: usize = 20_000;
/// Most bytes a site may hold in memory (all versions together).
pub const MAX_SITE_BYTES: usize = 256 * 1024 * 1024;
/// Most bytes of one file.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// Deepest directory nesting read from a site directory.
const MAX_DIR_DEPTH: usize = 32;
/// Request log entries kept; older ones are dropped first.
const MAX_LOG_ENTRIES: usize = 100_000;
/// Longest `{{…}}` placeholder name looked for.
const MAX_PLACEHOLDER_LEN: usize = 64;
/// How long `shutdown` waits for a listener to drain before aborting it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Size of one chunk of an endless body.
const ENDLESS_CHUNK_BYTES: usize = 16 * 1024;

/// Everything that can go wrong loading a fixture site or starting its server.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// A file or directory of the site could not be read.
    #[error("cannot read fixture site file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// `site.toml` is not valid TOML or has unknown keys.
    #[error("bad fixture site manifest {path}: {source}")]
    Manifest {
        path: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    /// The site is well-formed TOML but inconsistent (unknown host, bad version numbering…).
    #[error("invalid fixture site: {0}")]
    Invalid(String),
    /// The site is larger than the caps allow.
    #[error("fixture site too large: {0}")]
    TooLarge(String),
    /// A loopback listener could not be bound.
    #[error("cannot bind a loopback listener for host {host}: {source}")]
    Bind {
        host: String,
        #[source]
        source: std::io::Error,
    },
    /// A file asked for with [`FixtureSite::read`] does not exist.
    #[error("no file {0} in the fixture site")]
    NotFound(String),
}

/// Where a fixture site's files come from.
#[derive(Debug, Clone)]
pub enum FixtureSite {
    /// A directory on disk holding `site.toml` and `v1/`, `v2/`… (tests use this).
    Dir(PathBuf),
    /// A directory compiled into the binary with `include_dir!` (the demo uses this).
    Embedded(&'static Dir<'static>),
}

/// The demo site (`fixtures/sites/demo`), embedded in the binary.
///
/// Note: `include_dir` tracks the bytes of files it embedded, but a file *added* to the
/// directory is only picked up when this module is recompiled (touch `src/fixture.rs`).
pub fn demo_site() -> FixtureSite {
    FixtureSite::Embedded(&DEMO_DIR)
}

impl FixtureSite {
    /// Reads one file of the site by its path relative to the site root, e.g.
    /// `"quietwatch.toml"` or `"EXPECTED.md"`; lets the demo and tests use the config and
    /// expectations that travel with the site.
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, FixtureError> {
        match self {
            FixtureSite::Dir(root) => {
                let path = root.join(rel);
                std::fs::read(&path).map_err(|source| {
                    if source.kind() == std::io::ErrorKind::NotFound {
                        FixtureError::NotFound(rel.to_string())
                    } else {
                        FixtureError::Io {
                            path: path.display().to_string(),
                            source,
                        }
                    }
                })
            }
            FixtureSite::Embedded(dir) => dir
                .get_file(rel)
                .map(|f| f.contents().to_vec())
                .ok_or_else(|| FixtureError::NotFound(rel.to_string())),
        }
    }

    /// Reads `site.toml` and every file under `v<N>/` (other files at the root, such as
    /// READMEs, are not part of what is served).
    fn load_tree(&self) -> Result<(String, BTreeMap<String, Bytes>), FixtureError> {
        let manifest = self.read("site.toml")?;
        let manifest = String::from_utf8(manifest)
            .map_err(|_| FixtureError::Invalid("site.toml is not UTF-8".into()))?;
        let mut files = BTreeMap::new();
        let mut total = 0usize;
        match self {
            FixtureSite::Dir(root) => {
                let entries = std::fs::read_dir(root).map_err(|source| FixtureError::Io {
                    path: root.display().to_string(),
                    source,
                })?;
                for entry in entries {
                    let entry = entry.map_err(|source| FixtureError::Io {
                        path: root.display().to_string(),
                        source,
                    })?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if is_version_dir_name(&name) && entry.path().is_dir() {
                        walk_disk(&entry.path(), &name, 0, &mut files, &mut total)?;
                    }
                }
            }
            FixtureSite::Embedded(dir) => {
                for sub in dir.dirs() {
                    let name = sub.path().to_string_lossy().into_owned();
                    if is_version_dir_name(&name) {
                        walk_embedded(sub, 0, &mut files, &mut total)?;
                    }
                }
            }
        }
        Ok((manifest, files))
    }
}

fn is_version_dir_name(name: &str) -> bool {
    name.strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn add_file(
    files: &mut BTreeMap<String, Bytes>,
    total: &mut usize,
    rel: String,
    bytes: Bytes,
) -> Result<(), FixtureError> {
    *total = total.saturating_add(bytes.len());
    if files.len() >= MAX_SITE_FILES {
        return Err(FixtureError::TooLarge(format!(
            "more than {MAX_SITE_FILES} files"
        )));
    }
    if *total > MAX_SITE_BYTES {
        return Err(FixtureError::TooLarge(format!(
            "more than {MAX_SITE_BYTES} bytes"
        )));
    }
    files.insert(rel, bytes);
    Ok(())
}

fn walk_disk(
    dir: &Path,
    rel: &str,
    depth: usize,
    files: &mut BTreeMap<String, Bytes>,
    total: &mut usize,
) -> Result<(), FixtureError> {
    if depth > MAX_DIR_DEPTH {
        return Err(FixtureError::TooLarge(format!(
            "{rel} is nested deeper than {MAX_DIR_DEPTH}"
        )));
    }
    let io_err = |source| FixtureError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_err)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let child_rel = format!("{rel}/{name}");
        let path = entry.path();
        let meta = std::fs::metadata(&path).map_err(|source| FixtureError::Io {
            path: path.display().to_string(),
            source,
        })?;
        if meta.is_dir() {
            walk_disk(&path, &child_rel, depth + 1, files, total)?;
        } else if meta.is_file() {
            if meta.len() > MAX_FILE_BYTES {
                return Err(FixtureError::TooLarge(format!(
                    "{child_rel} is larger than {MAX_FILE_BYTES} bytes"
                )));
            }
            let bytes = std::fs::read(&path).map_err(|source| FixtureError::Io {
                path: path.display().to_string(),
                source,
            })?;
            add_file(files, total, child_rel, Bytes::from(bytes))?;
        }
    }
    Ok(())
}

fn walk_embedded(
    dir: &'static Dir<'static>,
    depth: usize,
    files: &mut BTreeMap<String, Bytes>,
    total: &mut usize,
) -> Result<(), FixtureError> {
    if depth > MAX_DIR_DEPTH {
        return Err(FixtureError::TooLarge(format!(
            "{} is nested deeper than {MAX_DIR_DEPTH}",
            dir.path().display()
        )));
    }
    for file in dir.files() {
        let rel = file.path().to_string_lossy().replace('\\', "/");
        add_file(files, total, rel, Bytes::from_static(file.contents()))?;
    }
    for sub in dir.dirs() {
        walk_embedded(sub, depth + 1, files, total)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The manifest (site.toml)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    #[allow(dead_code)] // documentation for readers of site.toml
    name: Option<String>,
    hosts: Vec<String>,
    #[serde(default)]
    content_types: BTreeMap<String, String>,
    #[serde(rename = "version")]
    versions: Vec<VersionSpec>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionSpec {
    n: u32,
    #[serde(default)]
    inherit: bool,
    #[serde(default)]
    delete: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)] // documentation for readers of site.toml
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    host: String,
    path: Option<String>,
    prefix: Option<String>,
    #[serde(default = "one")]
    from: u32,
    until: Option<u32>,
    redirect: Option<String>,
    redirect_host: Option<String>,
    code: Option<u16>,
    status: Option<u16>,
    retry_after: Option<u64>,
    file: Option<String>,
    #[serde(default)]
    gzip: bool,
    stall_s: Option<f64>,
    #[serde(default)]
    endless: bool,
    content_type: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    note: Option<String>,
}

fn one() -> u32 {
    1
}

/// One file of one version, as loaded.
#[derive(Debug)]
struct FileEntry {
    bytes: Bytes,
    /// SHA-256 of the source bytes (before placeholders), to see when content changed.
    id: [u8; 32],
}

#[derive(Debug, Clone)]
enum PathMatch {
    Exact(String),
    Prefix(String),
}

#[derive(Debug, Clone)]
enum RedirectTarget {
    /// A path on the same host, an absolute URL, or a `{{host:NAME}}…` template.
    Template(String),
    /// The same path and query on another host of the site.
    SamePathOn(String),
}

#[derive(Debug, Clone)]
enum BodySource {
    /// Serve the file the request path maps to (404 if none).
    Lookup,
    /// Serve this file of the host (path relative to the host directory).
    File(String),
    /// The host's `_<status>.html`, or a built-in page.
    StatusPage,
    /// Send the headers, then stall this long, then drop the connection.
    Stall(Duration),
    /// Send a body that never ends.
    Endless,
}

#[derive(Debug, Clone)]
enum Action {
    Redirect {
        target: RedirectTarget,
        code: StatusCode,
    },
    Respond {
        status: StatusCode,
        body: BodySource,
    },
}

#[derive(Debug, Clone)]
struct Rule {
    host: String,
    matcher: PathMatch,
    from: u32,
    until: Option<u32>,
    action: Action,
    retry_after: Option<u64>,
    gzip: bool,
    content_type: Option<HeaderValue>,
    headers: Vec<(HeaderName, HeaderValue)>,
    note: Option<String>,
}

impl Rule {
    fn applies(&self, host: &str, path: &str, version: u32) -> bool {
        self.host == host
            && version >= self.from
            && self.until.is_none_or(|u| version <= u)
            && match &self.matcher {
                PathMatch::Exact(p) => p == path,
                PathMatch::Prefix(p) => path.starts_with(p.as_str()),
            }
    }
}

/// A loaded, validated site: every version's full file set (inheritance resolved).
#[derive(Debug)]
struct Site {
    hosts: Vec<String>,
    /// `versions[i]` is version `i + 1`; keys are `host/relative/path`.
    versions: Vec<HashMap<String, Arc<FileEntry>>>,
    rules: Vec<Rule>,
    content_types: HashMap<String, String>,
}

fn default_content_types() -> HashMap<String, String> {
    [
        ("html", "text/html"),
        ("htm", "text/html"),
        ("xml", "application/xml"),
        ("txt", "text/plain"),
        ("csv", "text/csv"),
        ("css", "text/css"),
        ("js", "text/javascript"),
        ("json", "application/json"),
        ("svg", "image/svg+xml"),
        ("pdf", "application/pdf"),
        ("gz", "application/gzip"),
        ("png", "image/png"),
        ("ico", "image/x-icon"),
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("odt", "application/vnd.oasis.opendocument.text"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Extensions whose files get placeholders replaced.
fn is_text_ext(ext: &str) -> bool {
    matches!(
        ext,
        "html" | "htm" | "xml" | "txt" | "csv" | "css" | "js" | "json" | "svg"
    )
}

fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

fn invalid(msg: impl Into<String>) -> FixtureError {
    FixtureError::Invalid(msg.into())
}

impl Site {
    fn load(source: &FixtureSite) -> Result<Site, FixtureError> {
        let (manifest_text, tree) = source.load_tree()?;
        let manifest: Manifest =
            toml::from_str(&manifest_text).map_err(|e| FixtureError::Manifest {
                path: "site.toml".into(),
                source: Box::new(e),
            })?;

        // Hosts.
        if manifest.hosts.is_empty() {
            return Err(invalid("site.toml declares no hosts"));
        }
        let mut seen = HashSet::new();
        for h in &manifest.hosts {
            let ok = !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(invalid(format!(
                    "host name {h:?} must be lowercase letters, digits and '-'"
                )));
            }
            if !seen.insert(h.as_str()) {
                return Err(invalid(format!("host {h:?} declared twice")));
            }
        }
        let hosts: HashSet<&str> = manifest.hosts.iter().map(String::as_str).collect();

        // Content types.
        let mut content_types = default_content_types();
        for (ext, ct) in &manifest.content_types {
            HeaderValue::from_str(ct)
                .map_err(|_| invalid(format!("content type {ct:?} is not a header value")))?;
            content_types.insert(ext.to_ascii_lowercase(), ct.clone());
        }

        // Files by version, checked for placeholders.
        let mut by_version: BTreeMap<u32, Vec<(String, Bytes)>> = BTreeMap::new();
        for (rel, bytes) in tree {
            let (vdir, rest) = rel
                .split_once('/')
                .ok_or_else(|| invalid(format!("{rel}: not in a version directory")))?;
            let n: u32 = vdir
                .get(1..)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| invalid(format!("{rel}: bad version directory")))?;
            let host = rest.split('/').next().unwrap_or("");
            if !hosts.contains(host) || !rest.contains('/') {
                return Err(invalid(format!(
                    "{rel}: files of a version must sit under a declared host directory ({})",
                    manifest.hosts.join(", ")
                )));
            }
            if extension(rest).is_some_and(|e| is_text_ext(&e)) {
                check_placeholders(&rel, &bytes, &hosts)?;
            }
            by_version
                .entry(n)
                .or_default()
                .push((rest.to_string(), bytes));
        }

        // Versions, inheritance resolved.
        if manifest.versions.is_empty() {
            return Err(invalid("site.toml declares no [[version]]"));
        }
        let mut versions: Vec<HashMap<String, Arc<FileEntry>>> = Vec::new();
        for (i, spec) in manifest.versions.iter().enumerate() {
            let expected = u32::try_from(i + 1).map_err(|_| invalid("too many versions"))?;
            if spec.n != expected {
                return Err(invalid(format!(
                    "[[version]] number {} found where {expected} was expected (versions are 1, 2, 3… in order)",
                    spec.n
                )));
            }
            let mut files = if spec.inherit {
                versions
                    .last()
                    .cloned()
                    .ok_or_else(|| invalid("version 1 cannot inherit"))?
            } else {
                HashMap::new()
            };
            for d in &spec.delete {
                if files.remove(d).is_none() {
                    return Err(invalid(format!(
                        "version {}: delete {d:?} names no file of version {} (write host/path, e.g. gca/agreements/x.html)",
                        spec.n,
                        spec.n.saturating_sub(1)
                    )));
                }
            }
            for (rel, bytes) in by_version.remove(&spec.n).unwrap_or_default() {
                let id: [u8; 32] = Sha256::digest(&bytes).into();
                files.insert(rel, Arc::new(FileEntry { bytes, id }));
            }
            versions.push(files);
        }
        if let Some(n) = by_version.keys().next() {
            return Err(invalid(format!(
                "directory v{n}/ exists but site.toml declares no [[version]] n = {n}"
            )));
        }

        let last = u32::try_from(versions.len()).unwrap_or(u32::MAX);
        let rules = manifest
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| build_rule(i, r, &hosts, last))
            .collect::<Result<Vec<_>, _>>()?;

        Ok(Site {
            hosts: manifest.hosts,
            versions,
            rules,
            content_types,
        })
    }

    fn last_version(&self) -> u32 {
        u32::try_from(self.versions.len()).unwrap_or(u32::MAX)
    }

    fn files(&self, version: u32) -> Option<&HashMap<String, Arc<FileEntry>>> {
        let idx = usize::try_from(version.checked_sub(1)?).ok()?;
        self.versions.get(idx)
    }

    fn rule_for(&self, host: &str, path: &str, version: u32) -> Option<&Rule> {
        self.rules.iter().find(|r| r.applies(host, path, version))
    }

    fn content_type_for(&self, request_path: &str, file_key: &str) -> String {
        extension(request_path)
            .and_then(|e| self.content_types.get(&e))
            .or_else(|| extension(file_key).and_then(|e| self.content_types.get(&e)))
            .cloned()
            .unwrap_or_else(|| "application/octet-stream".to_string())
    }
}

fn build_rule(
    i: usize,
    r: &RuleSpec,
    hosts: &HashSet<&str>,
    last: u32,
) -> Result<Rule, FixtureError> {
    let at = format!(
        "[[rule]] #{} ({})",
        i + 1,
        r.note.as_deref().unwrap_or("no note")
    );
    if !hosts.contains(r.host.as_str()) {
        return Err(invalid(format!("{at}: unknown host {:?}", r.host)));
    }
    let matcher = match (&r.path, &r.prefix) {
        (Some(p), None) if p.starts_with('/') => PathMatch::Exact(p.clone()),
        (None, Some(p)) if p.starts_with('/') => PathMatch::Prefix(p.clone()),
        _ => {
            return Err(invalid(format!(
                "{at}: give exactly one of path or prefix, starting with '/'"
            )))
        }
    };
    if r.from == 0 || r.from > last {
        return Err(invalid(format!(
            "{at}: from = {} is not a declared version",
            r.from
        )));
    }
    if r.until.is_some_and(|u| u < r.from) {
        return Err(invalid(format!("{at}: until is before from")));
    }
    let is_redirect = r.redirect.is_some() || r.redirect_host.is_some();
    let action = if is_redirect {
        if r.status.is_some()
            || r.file.is_some()
            || r.stall_s.is_some()
            || r.endless
            || r.gzip
            || r.retry_after.is_some()
            || r.content_type.is_some()
        {
            return Err(invalid(format!(
                "{at}: a redirect takes only code and headers besides its target"
            )));
        }
        let code = StatusCode::from_u16(r.code.unwrap_or(301))
            .ok()
            .filter(|c| matches!(c.as_u16(), 301 | 302 | 303 | 307 | 308))
            .ok_or_else(|| invalid(format!("{at}: redirect code must be 301/302/303/307/308")))?;
        let target = match (&r.redirect, &r.redirect_host) {
            (Some(t), None) => {
                check_placeholders(&at, t.as_bytes(), hosts)?;
                RedirectTarget::Template(t.clone())
            }
            (None, Some(h)) if hosts.contains(h.as_str()) => RedirectTarget::SamePathOn(h.clone()),
            (None, Some(h)) => return Err(invalid(format!("{at}: unknown redirect_host {h:?}"))),
            _ => {
                return Err(invalid(format!(
                    "{at}: give redirect or redirect_host, not both"
                )))
            }
        };
        Action::Redirect { target, code }
    } else {
        if r.code.is_some() {
            return Err(invalid(format!("{at}: code is for redirects; use status")));
        }
        let status = StatusCode::from_u16(r.status.unwrap_or(200))
            .ok()
            .filter(|s| !s.is_informational() && !s.is_redirection())
            .ok_or_else(|| invalid(format!("{at}: status must be 2xx, 4xx or 5xx")))?;
        if r.endless && r.stall_s.is_some() {
            return Err(invalid(format!(
                "{at}: endless and stall_s exclude each other"
            )));
        }
        let body = if r.endless {
            BodySource::Endless
        } else if let Some(s) = r.stall_s {
            let d = Duration::try_from_secs_f64(s)
                .ok()
                .filter(|d| *d <= Duration::from_secs(3600))
                .ok_or_else(|| invalid(format!("{at}: stall_s must be 0..=3600")))?;
            BodySource::Stall(d)
        } else if let Some(f) = &r.file {
            BodySource::File(f.trim_start_matches('/').to_string())
        } else if status != StatusCode::OK {
            BodySource::StatusPage
        } else {
            BodySource::Lookup
        };
        Action::Respond { status, body }
    };
    let content_type = r
        .content_type
        .as_deref()
        .map(HeaderValue::from_str)
        .transpose()
        .map_err(|_| invalid(format!("{at}: content_type is not a header value")))?;
    let headers = r
        .headers
        .iter()
        .map(|(k, v)| {
            Ok((
                HeaderName::from_bytes(k.as_bytes())
                    .map_err(|_| invalid(format!("{at}: bad header name {k:?}")))?,
                HeaderValue::from_str(v)
                    .map_err(|_| invalid(format!("{at}: bad header value {v:?}")))?,
            ))
        })
        .collect::<Result<Vec<_>, FixtureError>>()?;
    Ok(Rule {
        host: r.host.clone(),
        matcher,
        from: r.from,
        until: r.until,
        action,
        retry_after: r.retry_after,
        gzip: r.gzip,
        content_type,
        headers,
        note: r.note.clone(),
    })
}

// ---------------------------------------------------------------------------------------
// Placeholders
// ---------------------------------------------------------------------------------------

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Calls `f` with each `{{name}}` found (a name of `a-z 0-9 : _ -`), in order, and the
/// text before it; other `{{` are passed on as text.
fn for_each_placeholder<'a>(input: &'a [u8], mut f: impl FnMut(&'a [u8], Option<&'a [u8]>)) {
    let mut rest = input;
    while let Some(start) = find(rest, b"{{") {
        let (before, from_open) = rest.split_at(start);
        let after_open = from_open.get(2..).unwrap_or_default();
        let window = after_open
            .get(..MAX_PLACEHOLDER_LEN.min(after_open.len()))
            .unwrap_or_default();
        let end = find(window, b"}}").filter(|&end| {
            end > 0
                && window.get(..end).is_some_and(|name| {
                    name.iter().all(|&b| {
                        b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || matches!(b, b':' | b'_' | b'-')
                    })
                })
        });
        match end {
            Some(end) => {
                let (name, tail) = after_open.split_at(end);
                f(before, Some(name));
                rest = tail.get(2..).unwrap_or_default();
            }
            None => {
                // Not a placeholder: keep the braces as text and go on after them.
                let (braces, tail) = from_open.split_at(2.min(from_open.len()));
                f(before, None);
                f(braces, None);
                rest = tail;
            }
        }
    }
    f(rest, None);
}

fn check_placeholders(what: &str, bytes: &[u8], hosts: &HashSet<&str>) -> Result<(), FixtureError> {
    let mut bad = None;
    for_each_placeholder(bytes, |_, name| {
        let Some(name) = name else { return };
        let name = String::from_utf8_lossy(name);
        let ok = match name.strip_prefix("host:") {
            Some(h) => hosts.contains(h),
            None => matches!(name.as_ref(), "csrf" | "now" | "cachebust"),
        };
        if !ok && bad.is_none() {
            bad = Some(name.into_owned());
        }
    });
    match bad {
        Some(name) => Err(invalid(format!(
            "{what}: unknown placeholder {{{{{name}}}}} (known: csrf, now, cachebust, host:NAME)"
        ))),
        None => Ok(()),
    }
}

/// Replaces every placeholder; the result differs on each call when `csrf`, `now` or
/// `cachebust` occur.
fn expand_placeholders(input: &[u8], origins: &HashMap<String, String>) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 64);
    for_each_placeholder(input, |before, name| {
        out.extend_from_slice(before);
        let Some(name) = name else { return };
        match name {
            b"csrf" => {
                let token: String = (0..20)
                    .map(|_| format!("{:02x}", fastrand::u8(..)))
                    .collect();
                out.extend_from_slice(token.as_bytes());
            }
            b"now" => out.extend_from_slice(
                chrono::Utc::now()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                    .as_bytes(),
            ),
            b"cachebust" => out.extend_from_slice(
                fastrand::u64(1_000_000_000..10_000_000_000)
                    .to_string()
                    .as_bytes(),
            ),
            other => {
                let host = other
                    .strip_prefix(b"host:")
                    .and_then(|h| std::str::from_utf8(h).ok().and_then(|h| origins.get(h)));
                match host {
                    Some(origin) => out.extend_from_slice(origin.as_bytes()),
                    None => {
                        // Validated at load, so unreachable in practice; keep the text.
                        out.extend_from_slice(b"{{");
                        out.extend_from_slice(other);
                        out.extend_from_slice(b"}}");
                    }
                }
            }
        }
    });
    out
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

/// One request as the fixture server saw and answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The site host name (as declared in `site.toml`) whose listener got the request.
    pub host: String,
    /// Path and query exactly as requested (still percent-encoded).
    pub path: String,
    /// `GET`, `HEAD`…
    pub method: String,
    /// The `If-None-Match` header, if sent.
    pub if_none_match: Option<String>,
    /// The `If-Modified-Since` header, if sent.
    pub if_modified_since: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The site version that was active.
    pub version: u32,
    /// When the request arrived.
    pub at: SystemTime,
}

impl RequestRecord {
    /// Whether the client made the request conditional.
    pub fn conditional(&self) -> bool {
        self.if_none_match.is_some() || self.if_modified_since.is_some()
    }
}

/// Version state: the active version and, per file, the Last-Modified it is served with.
#[derive(Debug)]
struct Clock {
    version: u32,
    /// `host/rel` → (source hash, Last-Modified).
    last_modified: HashMap<String, ([u8; 32], SystemTime)>,
}

#[derive(Debug)]
struct Shared {
    site: Site,
    origins: HashMap<String, String>,
    clock: Mutex<Clock>,
    log: Mutex<VecDeque<RequestRecord>>,
    shutdown: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave them inconsistent (single inserts).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn whole_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Shared {
    fn effective(&self, v: u32) -> u32 {
        v.clamp(1, self.site.last_version())
    }

    fn current(&self) -> (u32, u32) {
        let v = lock(&self.clock).version;
        (v, self.effective(v))
    }

    fn log(&self, rec: RequestRecord) {
        let mut log = lock(&self.log);
        if log.len() >= MAX_LOG_ENTRIES {
            log.pop_front();
        }
        log.push_back(rec);
    }
}

/// A fixture site served on loopback, one listener per host of the site.
///
/// Dropping it stops the listeners too; [`FixtureServer::shutdown`] does so gracefully.
#[derive(Debug)]
pub struct FixtureServer {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Clone)]
struct HostState {
    shared: Arc<Shared>,
    host: Arc<str>,
}

impl FixtureServer {
    /// Loads and validates the site, binds `127.0.0.1:0` for each declared host and starts
    /// serving version 1.
    pub async fn start(site: FixtureSite) -> Result<FixtureServer, FixtureError> {
        let site = Site::load(&site)?;
        let mut listeners = Vec::new();
        let mut origins = HashMap::new();
        for host in &site.hosts {
            let bind_err = |source| FixtureError::Bind {
                host: host.clone(),
                source,
            };
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .map_err(bind_err)?;
            let port = listener.local_addr().map_err(bind_err)?.port();
            origins.insert(host.clone(), format!("http://127.0.0.1:{port}"));
            listeners.push((host.clone(), listener));
        }

        // Version 1's files get plausible past dates, spread over a month.
        let start_secs = whole_seconds(SystemTime::now());
        let mut last_modified = HashMap::new();
        if let Some(files) = site.files(1) {
            for (key, entry) in files {
                let spread = u64::from(u32::from_be_bytes([
                    entry.id[0],
                    entry.id[1],
                    entry.id[2],
                    entry.id[3],
                ])) % (30 * 86_400);
                let secs = start_secs.saturating_sub(86_400 + spread);
                last_modified.insert(
                    key.clone(),
                    (entry.id, UNIX_EPOCH + Duration::from_secs(secs)),
                );
            }
        }

        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            site,
            origins,
            clock: Mutex::new(Clock {
                version: 1,
                last_modified,
            }),
            log: Mutex::new(VecDeque::new()),
            shutdown,
        });

        let mut tasks = Vec::new();
        for (host, listener) in listeners {
            let state = HostState {
                shared: Arc::clone(&shared),
                host: Arc::from(host.as_str()),
            };
            let router = Router::new().fallback(handle).with_state(state);
            let mut rx = shared.shutdown.subscribe();
            tasks.push(tokio::spawn(async move {
                let stop = async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                };
                if let Err(e) = axum::serve(listener, router)
                    .with_graceful_shutdown(stop)
                    .await
                {
                    tracing::warn!(host = %host, error = %e, "fixture listener ended with an error");
                }
            }));
        }
        tracing::debug!(hosts = ?shared.origins, "fixture server started");
        Ok(FixtureServer { shared, tasks })
    }

    /// The host names the site declares, in manifest order.
    pub fn hosts(&self) -> Vec<String> {
        self.shared.site.hosts.clone()
    }

    /// The base URL of one host of the site, e.g. `http://127.0.0.1:PORT/`, or `None` for a
    /// host the site does not declare.
    pub fn try_base_url(&self, host: &str) -> Option<url::Url> {
        let origin = self.shared.origins.get(host)?;
        url::Url::parse(&format!("{origin}/")).ok()
    }

    /// The base URL of one host of the site, e.g. `http://127.0.0.1:PORT/`.
    ///
    /// # Panics
    /// If the site declares no such host: that is a mistake in the calling test, and a loud
    /// one is what it needs. Use [`FixtureServer::try_base_url`] to check.
    pub fn base_url(&self, host: &str) -> url::Url {
        match self.try_base_url(host) {
            Some(u) => u,
            None => panic!(
                "fixture site has no host {host:?} (hosts: {:?})",
                self.shared.site.hosts
            ),
        }
    }

    /// Replaces every `{{host:NAME}}` in `text` with that host's origin
    /// (`http://127.0.0.1:PORT`, no trailing slash), exactly as in served files; used to turn
    /// the site's `quietwatch.toml` template into a config for this server.
    pub fn expand_hosts(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (host, origin) in &self.shared.origins {
            out = out.replace(&format!("{{{{host:{host}}}}}"), origin);
        }
        out
    }

    /// Switches the whole site to version `v` (0 counts as 1; a number past the last
    /// declared version serves the last one). Files whose content changed get a new
    /// Last-Modified: the next whole second, so it is later than any date a client saw.
    pub fn set_version(&self, v: u32) {
        let v = v.max(1);
        let eff = self.shared.effective(v);
        let mut clock = lock(&self.shared.clock);
        if clock.version == v {
            return;
        }
        clock.version = v;
        let activated = UNIX_EPOCH + Duration::from_secs(whole_seconds(SystemTime::now()) + 1);
        if let Some(files) = self.shared.site.files(eff) {
            clock.last_modified.retain(|k, _| files.contains_key(k));
            for (key, entry) in files {
                let fresh = clock
                    .last_modified
                    .get(key)
                    .is_none_or(|(id, _)| *id != entry.id);
                if fresh {
                    clock
                        .last_modified
                        .insert(key.clone(), (entry.id, activated));
                }
            }
        }
        tracing::debug!(
            version = v,
            effective = eff,
            "fixture site version switched"
        );
    }

    /// The version last set (1 at start).
    pub fn version(&self) -> u32 {
        lock(&self.shared.clock).version
    }

    /// Every request received so far, oldest first (the last 100 000 at most).
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    /// Forgets the request log, e.g. between two crawls of one test.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// How many requests `host` got for `path`. A `path` with a `?` must match the requested
    /// path and query exactly; one without matches the path part whatever the query, so
    /// `request_count("gca", "/agreements")` also counts `/agreements?search=x`.
    pub fn request_count(&self, host: &str, path: &str) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.host == host)
            .filter(|r| {
                if path.contains('?') {
                    r.path == path
                } else {
                    r.path.split('?').next() == Some(path)
                }
            })
            .count()
    }

    /// Stops every listener: open stalls and endless bodies end at once, idle connections
    /// are closed, and a listener that has not drained after a few seconds is aborted.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.send_replace(true);
        for mut task in std::mem::take(&mut self.tasks) {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                tracing::warn!("fixture listener did not drain in time; aborting it");
                task.abort();
            }
        }
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn handle(
    State(state): State<HostState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (version, eff) = state.shared.current();
    let response = respond(&state.shared, &state.host, eff, &method, &uri, &headers);
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    state.shared.log(RequestRecord {
        host: state.host.to_string(),
        path: uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| uri.path().to_string()),
        method: method.as_str().to_string(),
        if_none_match: header_text(header::IF_NONE_MATCH),
        if_modified_since: header_text(header::IF_MODIFIED_SINCE),
        status: response.status().as_u16(),
        version,
        at: SystemTime::now(),
    });
    response
}

fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Candidate files for a decoded URL path, in the order tried (see the module docs).
fn candidates(host: &str, path: &str) -> Vec<String> {
    let Some(rel) = path.strip_prefix('/') else {
        return Vec::new();
    };
    let trimmed = rel.strip_suffix('/').unwrap_or(rel);
    // Refuse traversal, empty segments and private (`_x`, `.x`) names.
    if !trimmed.is_empty()
        && trimmed
            .split('/')
            .any(|s| s.is_empty() || s.starts_with('.') || s.starts_with('_'))
    {
        return Vec::new();
    }
    if rel.is_empty() {
        vec![format!("{host}/index.html")]
    } else if rel.ends_with('/') {
        vec![format!("{host}/{trimmed}/index.html")]
    } else {
        vec![
            format!("{host}/{rel}"),
            format!("{host}/{rel}.html"),
            format!("{host}/{rel}/index.html"),
        ]
    }
}

fn html_page(title: &str, message: &str) -> Bytes {
    Bytes::from(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n<p>{message}</p>\n</main>\n</body>\n</html>\n"
    ))
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

struct Built {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Body,
}

impl Built {
    fn into_response(self) -> Response {
        let mut resp = Response::new(self.body);
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        for (k, v) in self.headers {
            h.append(k, v);
        }
        resp
    }
}

fn respond(
    shared: &Shared,
    host: &str,
    version: u32,
    method: &Method,
    uri: &Uri,
    req_headers: &HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return Built {
            status: StatusCode::METHOD_NOT_ALLOWED,
            headers: vec![
                (header::ALLOW, HeaderValue::from_static("GET, HEAD")),
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html")),
            ],
            body: Body::from(html_page(
                "Method not allowed",
                "This server answers GET and HEAD only.",
            )),
        }
        .into_response();
    }
    let Some(path) = percent_decode(uri.path()) else {
        return status_page(shared, host, version, StatusCode::BAD_REQUEST).into_response();
    };

    let rule = shared.site.rule_for(host, &path, version);
    if let Some(r) = rule {
        tracing::trace!(host, path = %path, note = ?r.note, "fixture rule applies");
    }
    let mut built = match rule.map(|r| &r.action) {
        Some(Action::Redirect { target, code }) => {
            let location = match target {
                RedirectTarget::Template(t) if t.starts_with('/') => {
                    let origin = shared.origins.get(host).map(String::as_str).unwrap_or("");
                    format!("{origin}{t}")
                }
                RedirectTarget::Template(t) => {
                    String::from_utf8_lossy(&expand_placeholders(t.as_bytes(), &shared.origins))
                        .into_owned()
                }
                RedirectTarget::SamePathOn(h) => {
                    let origin = shared.origins.get(h).map(String::as_str).unwrap_or("");
                    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                    format!("{origin}{pq}")
                }
            };
            let title = code.canonical_reason().unwrap_or("Redirect");
            Built {
                status: *code,
                headers: vec![
                    (header::LOCATION, header_value(&location)),
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/html")),
                ],
                body: Body::from(html_page(
                    title,
                    &format!("This page has moved to <a href=\"{location}\">{location}</a>."),
                )),
            }
        }
        Some(Action::Respond { status, body }) => {
            let status = *status;
            match body {
                BodySource::Lookup => {
                    serve_lookup(shared, host, version, &path, status, rule, req_headers)
                }
                BodySource::File(name) => {
                    let key = format!("{host}/{name}");
                    match shared.site.files(version).and_then(|f| f.get(&key)) {
                        Some(entry) => {
                            serve_file(shared, &path, &key, entry, status, rule, req_headers)
                        }
                        None => {
                            tracing::warn!(host, file = %name, version, "fixture rule names a file missing from this version");
                            status_page(shared, host, version, StatusCode::NOT_FOUND)
                        }
                    }
                }
                BodySource::StatusPage => status_page(shared, host, version, status),
                BodySource::Stall(d) => {
                    let ct = rule
                        .and_then(|r| r.content_type.clone())
                        .unwrap_or_else(|| HeaderValue::from_static("text/html"));
                    Built {
                        status,
                        headers: vec![(header::CONTENT_TYPE, ct)],
                        body: stall_body(*d, shared.shutdown.subscribe()),
                    }
                }
                BodySource::Endless => {
                    let ct = rule
                        .and_then(|r| r.content_type.clone())
                        .unwrap_or_else(|| HeaderValue::from_static("text/html"));
                    Built {
                        status,
                        headers: vec![(header::CONTENT_TYPE, ct)],
                        body: endless_body(shared.shutdown.subscribe()),
                    }
                }
            }
        }
        None => serve_lookup(
            shared,
            host,
            version,
            &path,
            StatusCode::OK,
            None,
            req_headers,
        ),
    };
    if let Some(r) = rule {
        if let Some(secs) = r.retry_after {
            built
                .headers
                .push((header::RETRY_AFTER, header_value(&secs.to_string())));
        }
        built.headers.extend(r.headers.iter().cloned());
    }
    built.into_response()
}

fn serve_lookup(
    shared: &Shared,
    host: &str,
    version: u32,
    path: &str,
    status: StatusCode,
    rule: Option<&Rule>,
    req_headers: &HeaderMap,
) -> Built {
    let files = shared.site.files(version);
    let found = candidates(host, path)
        .into_iter()
        .find_map(|key| files.and_then(|f| f.get(&key)).map(|e| (key, e)));
    match found {
        Some((key, entry)) => serve_file(shared, path, &key, entry, status, rule, req_headers),
        None => status_page(shared, host, version, StatusCode::NOT_FOUND),
    }
}

/// The host's own `_<status>.html` for this version, else a plain built-in page.
fn status_page(shared: &Shared, host: &str, version: u32, status: StatusCode) -> Built {
    let key = format!("{host}/_{}.html", status.as_u16());
    let body = match shared.site.files(version).and_then(|f| f.get(&key)) {
        Some(entry) => Bytes::from(expand_placeholders(&entry.bytes, &shared.origins)),
        None => {
            let title = if status == StatusCode::NOT_FOUND {
                "Page not found"
            } else {
                status.canonical_reason().unwrap_or("Error")
            };
            let message = if status == StatusCode::NOT_FOUND {
                "The page you were looking for could not be found. Check the web address or search the site."
            } else {
                "Sorry, something went wrong. Please try again later."
            };
            html_page(title, message)
        }
    };
    let ct = shared
        .site
        .content_types
        .get("html")
        .cloned()
        .unwrap_or_else(|| "text/html".into());
    Built {
        status,
        headers: vec![(header::CONTENT_TYPE, header_value(&ct))],
        body: Body::from(body),
    }
}

fn serve_file(
    shared: &Shared,
    request_path: &str,
    key: &str,
    entry: &FileEntry,
    status: StatusCode,
    rule: Option<&Rule>,
    req_headers: &HeaderMap,
) -> Built {
    let mut body: Bytes = if extension(key).is_some_and(|e| is_text_ext(&e)) {
        Bytes::from(expand_placeholders(&entry.bytes, &shared.origins))
    } else {
        entry.bytes.clone()
    };
    if rule.is_some_and(|r| r.gzip) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        if enc.write_all(&body).is_ok() {
            if let Ok(gz) = enc.finish() {
                body = Bytes::from(gz);
            }
        }
    }
    let content_type = rule
        .and_then(|r| r.content_type.clone())
        .unwrap_or_else(|| header_value(&shared.site.content_type_for(request_path, key)));
    let etag = format!(
        "\"{}\"",
        hex::encode(Sha256::digest(&body)).get(..32).unwrap_or("")
    );
    let last_modified = lock(&shared.clock)
        .last_modified
        .get(key)
        .map(|(_, t)| *t)
        .unwrap_or(UNIX_EPOCH);
    let mut headers = vec![
        (header::CONTENT_TYPE, content_type),
        (header::ETAG, header_value(&etag)),
        (
            header::LAST_MODIFIED,
            header_value(&httpdate::fmt_http_date(last_modified)),
        ),
    ];
    if status == StatusCode::OK && not_modified(req_headers, &etag, last_modified) {
        headers.retain(|(k, _)| k != header::CONTENT_TYPE);
        return Built {
            status: StatusCode::NOT_MODIFIED,
            headers,
            body: Body::empty(),
        };
    }
    Built {
        status,
        headers,
        body: Body::from(body),
    }
}

/// RFC 9110 §13.2.2: If-None-Match decides when present (weak comparison); otherwise a
/// Last-Modified not later than If-Modified-Since means not modified.
fn not_modified(req: &HeaderMap, etag: &str, last_modified: SystemTime) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH) {
        let inm = String::from_utf8_lossy(inm.as_bytes());
        let ours = etag.trim_start_matches("W/");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == ours);
    }
    if let Some(ims) = req
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    {
        return whole_seconds(last_modified) <= whole_seconds(ims);
    }
    false
}

fn stall_body(stall: Duration, mut shutdown: watch::Receiver<bool>) -> Body {
    let stream = futures_util::stream::once(async move {
        tokio::select! {
            _ = tokio::time::sleep(stall) => {}
            _ = shutdown.wait_for(|stop| *stop) => {}
        }
        Err::<Bytes, _>(std::io::Error::other(
            "fixture stall: closing the connection without a body",
        ))
    });
    Body::from_stream(stream)
}

fn endless_chunk() -> Bytes {
    static CHUNK: OnceLock<Bytes> = OnceLock::new();
    CHUNK
        .get_or_init(|| {
            let mut s = String::with_capacity(ENDLESS_CHUNK_BYTES + 128);
            let mut i = 0u32;
            while s.len() < ENDLESS_CHUNK_BYTES {
                i += 1;
                s.push_str(&format!(
                    "<tr><td>Notice {i:05}</td><td>Contract award</td><td>Open</td></tr>\n"
                ));
            }
            Bytes::from(s)
        })
        .clone()
}

fn endless_body(shutdown: watch::Receiver<bool>) -> Body {
    const HEAD: &[u8] =
        b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Live notices feed</title>\n</head>\n<body>\n<main>\n<h1>Live notices feed</h1>\n<table>\n";
    let stream = futures_util::stream::unfold((true, shutdown), |(first, rx)| async move {
        if *rx.borrow() {
            // Shutting down: abort rather than end cleanly, so no client mistakes the cut
            // for a complete body.
            return Some((
                Err(std::io::Error::other("fixture server shutting down")),
                (false, rx),
            ));
        }
        let chunk = if first {
            Bytes::from_static(HEAD)
        } else {
            endless_chunk()
        };
        Some((Ok::<Bytes, std::io::Error>(chunk), (false, rx)))
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_expand_and_unknown_text_stays() {
        let mut origins = HashMap::new();
        origins.insert("gca".to_string(), "http://127.0.0.1:9".to_string());
        let out = expand_placeholders(
            b"a {{host:gca}}/x {{csrf}} {{ not one }} {{ {{now}}",
            &origins,
        );
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("a http://127.0.0.1:9/x "), "{out}");
        assert!(out.contains("{{ not one }}"), "{out}");
        assert!(
            !out.contains("{{csrf}}") && !out.contains("{{now}}"),
            "{out}"
        );
    }

    #[test]
    fn unknown_placeholder_is_rejected() {
        let hosts: HashSet<&str> = ["gca"].into_iter().collect();
        assert!(check_placeholders("x", b"{{host:gca}} {{csrf}}", &hosts).is_ok());
        assert!(check_placeholders("x", b"{{host:ccs}}", &hosts).is_err());
        assert!(check_placeholders("x", b"{{crsf}}", &hosts).is_err());
    }

    #[test]
    fn path_candidates_follow_the_documented_rules() {
        assert_eq!(candidates("h", "/"), vec!["h/index.html"]);
        assert_eq!(candidates("h", "/a/b/"), vec!["h/a/b/index.html"]);
        assert_eq!(
            candidates("h", "/a/b"),
            vec!["h/a/b", "h/a/b.html", "h/a/b/index.html"]
        );
        assert!(candidates("h", "/a/../b").is_empty());
        assert!(candidates("h", "/_404.html").is_empty());
        assert!(candidates("h", "/a//b").is_empty());
        assert!(candidates("h", "/.git/config").is_empty());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("/agreements/RM6187%3A1").as_deref(),
            Some("/agreements/RM6187:1")
        );
        assert_eq!(percent_decode("/bad%zz"), None);
        assert_eq!(percent_decode("/cut%4"), None);
    }

    #[test]
    fn conditional_requests() {
        let lm = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", \"abc\""),
        );
        assert!(not_modified(&h, "\"abc\"", lm));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        // INM present and not matching: IMS is ignored even if it would say "not modified".
        h.insert(
            header::IF_MODIFIED_SINCE,
            header_value(&httpdate::fmt_http_date(lm)),
        );
        assert!(!not_modified(&h, "\"abc\"", lm));
        h.remove(header::IF_NONE_MATCH);
        assert!(not_modified(&h, "\"abc\"", lm));
        assert!(!not_modified(&h, "\"abc\"", lm + Duration::from_secs(1)));
    }
}
