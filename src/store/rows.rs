//! The archive's records as the rest of the crate sees them: one type per idea, shared by
//! what is written and what is read back.
//!
//! - A site ([`SiteRow`]), a page ([`PageRow`]) and its aliases.
//! - A fetch: [`FetchMeta`] is what every response records (time, statuses, hops,
//!   validators, headers, error); [`FetchRecord`] carries it in with the body and its
//!   extracted [`Content`], [`FetchRow`] brings it back out with the ids the store assigned.
//! - A version: [`VersionSpan`] is a run of identical bodies at one page (what listings and
//!   timelines need, no text decompressed); [`Version`] adds the stored text, links and
//!   documents.
//! - Detection's output ([`NewChange`], [`PageUpdate`], [`PageMerge`]), a site's part of a
//!   run ([`SiteRunRecord`], [`SiteRunRow`]), a sent digest ([`DigestRecord`]), and the small
//!   aggregates the web UI's overview pages show.

use crate::model::{
    ChangeDetail, ChangeKind, Fact, FactChange, FetchPurpose, PageState, Significance, SiteOutcome,
};

/// A site as the store knows it.
#[derive(Debug, Clone)]
pub struct SiteRow {
    pub id: i64,
    pub name: String,
    pub baseline_at: Option<i64>,
}

/// A page as the store knows it.
#[derive(Debug, Clone)]
pub struct PageRow {
    pub id: i64,
    pub site_id: i64,
    pub url: String,
    pub is_document: bool,
    pub depth: u32,
    pub first_seen: i64,
    pub state: PageState,
    /// When the page entered its current state (set by detection).
    pub state_since: Option<i64>,
    /// The version detection last accepted.
    pub reported_version: Option<i64>,
    pub latest_version: Option<i64>,
    pub fail_streak: u32,
    pub linked: bool,
    pub redirect_to: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What one response records, written and read alike.
#[derive(Debug, Clone, Default)]
pub struct FetchMeta {
    pub run_id: i64,
    pub page_id: Option<i64>,
    /// The URL asked for, when it differs from the page's URL (or there is no page).
    pub url: Option<String>,
    pub purpose: FetchPurpose,
    pub fetched_at: i64,
    pub duration_ms: i64,
    /// Status of the first response (SPEC's `http_status`).
    pub first_status: Option<u16>,
    /// Status of the final response; `None` on a network error.
    pub status: Option<u16>,
    /// Redirect responses before the final one: (URL, status).
    pub hops: Vec<(String, u16)>,
    pub final_url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    /// Response headers; not kept for 304s.
    pub headers: Vec<(String, String)>,
    pub truncated: bool,
    pub error: Option<String>,
}

/// What the crawler hands over for one response, to be stored in one transaction.
#[derive(Debug, Clone, Default)]
pub struct FetchRecord {
    pub meta: FetchMeta,
    /// The body, when the response carried one worth keeping (not for 304s).
    pub body: Option<Vec<u8>>,
    /// The body already hashed and compressed (off the writer's path); used instead of
    /// `body` when set.
    pub encoded: Option<super::codec::EncodedBody>,
    /// What extraction made of the body; when set together with `meta.page_id` and a body,
    /// the body becomes (or extends) a version of that page.
    pub content: Option<Content>,
    /// Validators to remember on the page for the next conditional GET.
    pub remember_validators: bool,
    /// A 304: the page's latest version was seen again.
    pub not_modified: bool,
}

/// One stored fetch.
#[derive(Debug, Clone)]
pub struct FetchRow {
    pub id: i64,
    pub meta: FetchMeta,
    /// Bytes of the body received (before any cap was applied to what is stored).
    pub bytes: Option<u64>,
    pub body_id: Option<i64>,
    pub version_id: Option<i64>,
}

/// The extracted parts of a body that detection and history need.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub title: String,
    pub text: String,
    /// Absolute URLs the body links to (deduplicated, in page order).
    pub links: Vec<String>,
    /// The links that point at documents.
    pub documents: Vec<String>,
    /// The facts read from the body (SPEC.md "Facts"), kept with the version.
    pub facts: Vec<Fact>,
    /// Whether `text` is the body's text, or why there is none.
    pub text_status: TextStatus,
}

/// Whether a version's text was read from its body (SPEC: "Documents are read").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TextStatus {
    /// `text` is what the body says (a page's extracted text, a document's text).
    #[default]
    Read,
    /// The body's text could not be had; why, in words ("encrypted PDF"). Compared by bytes.
    Unavailable(String),
    /// Stored before quietwatch read documents: not read yet (the repair reads it).
    NotRead,
}

impl TextStatus {
    /// The stored name: `read`, `unavailable`, `not_read`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TextStatus::Read => "read",
            TextStatus::Unavailable(_) => "unavailable",
            TextStatus::NotRead => "not_read",
        }
    }

    /// Why there is no text (`None` when read).
    pub fn reason(&self) -> Option<&str> {
        match self {
            TextStatus::Read => None,
            TextStatus::Unavailable(r) => Some(r),
            TextStatus::NotRead => Some("not read (stored before documents were read)"),
        }
    }

    pub fn is_read(&self) -> bool {
        matches!(self, TextStatus::Read)
    }
}

/// What storing a fetch produced.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stored {
    pub fetch_id: i64,
    pub body_id: Option<i64>,
    pub version_id: Option<i64>,
    pub new_version: bool,
    pub new_body: bool,
}

/// A version: a run of identical bodies at one page, without its text.
#[derive(Debug, Clone)]
pub struct VersionSpan {
    pub id: i64,
    pub page_id: i64,
    pub body_id: i64,
    /// Versions with the same `text_id` read the same (their bodies differ only in noise).
    pub text_id: Option<i64>,
    pub body_sha256: [u8; 32],
    pub body_size: u64,
    pub title: String,
    pub content_type: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub seen_count: u64,
    /// Whether the version's text was read, or why not.
    pub text_status: TextStatus,
}

impl VersionSpan {
    /// The body's SHA-256 as hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.body_sha256)
    }
}

/// A version with its text, links and linked documents.
#[derive(Debug, Clone)]
pub struct Version {
    pub span: VersionSpan,
    pub text: String,
    pub links: Vec<String>,
    pub documents: Vec<String>,
    /// The facts kept with the version (empty when none were read).
    pub facts: Vec<Fact>,
    /// Whether facts were read for this version at all: `false` for a version stored before
    /// quietwatch kept facts, whose empty list means "unknown", not "none".
    pub facts_read: bool,
}

/// A version stored before documents were read, whose text the repair reads from its body.
#[derive(Debug, Clone)]
pub struct UnreadVersion {
    pub id: i64,
    pub page_id: i64,
    pub body_id: i64,
    pub url: String,
    pub content_type: Option<String>,
    pub title: String,
}

/// What the repair learnt from reading an [`UnreadVersion`]'s body again.
#[derive(Debug, Clone)]
pub struct TextRepair {
    pub version_id: i64,
    /// The version's text, replacing what it holds (`None`: keep the stored text).
    pub text: Option<String>,
    /// A new title (`None`: keep it).
    pub title: Option<String>,
    /// A document has no links of its own: drop what an HTML reading of it stored.
    pub clear_links: bool,
    /// The facts its text states, replacing what the version holds (`None`: keep them), so
    /// that the next version, read with its facts, is not a fact change against none.
    pub facts: Option<Vec<Fact>>,
    pub status: TextStatus,
}

/// A change about to be filed by detection.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub page_id: i64,
    pub url: String,
    pub kind: ChangeKind,
    pub significance: Significance,
    pub title: String,
    pub summary: String,
    pub from_version: Option<i64>,
    pub to_version: Option<i64>,
    pub http_status: Option<u16>,
    pub redirect_to: Option<String>,
    pub words_added: u64,
    pub words_removed: u64,
    pub similarity: Option<f64>,
    pub detail: ChangeDetail,
    /// The facts that changed (SPEC.md's `"facts"`), empty when none did.
    pub facts: Vec<FactChange>,
    /// The `[[watch]]` phrase of a phrase record.
    pub phrase: Option<String>,
}

/// How detection leaves a page.
#[derive(Debug, Clone)]
pub struct PageUpdate {
    pub page_id: i64,
    pub state: PageState,
    pub reported_version: Option<i64>,
    pub fail_streak: u32,
    pub linked: bool,
    pub redirect_to: Option<String>,
}

/// A page folded into another: `from` (a page first seen at a redirect's target) merges into
/// `into` (the moved page whose history continues there), which takes `url`.
#[derive(Debug, Clone)]
pub struct PageMerge {
    pub into: i64,
    pub from: Option<i64>,
    pub new_url: String,
    pub old_url: String,
}

/// One site's part of a run, as filed.
#[derive(Debug, Clone, Default)]
pub struct SiteRunRecord {
    pub outcome: SiteOutcome,
    pub pages: u64,
    pub fetched: u64,
    pub not_modified: u64,
    pub failed: u64,
    pub changes: u64,
    pub error: Option<String>,
}

/// A stored site-run, as the digest reports baselines and failed sites and the web UI shows
/// a site's latest run.
#[derive(Debug, Clone)]
pub struct SiteRunRow {
    pub run_id: i64,
    pub site: String,
    pub record: SiteRunRecord,
    pub finished_at: i64,
}

/// Which changes to list.
#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub site: Option<String>,
    pub page_id: Option<i64>,
    /// Only the changes filed by this run.
    pub run_id: Option<i64>,
    pub kind: Option<ChangeKind>,
    /// Exactly this significance.
    pub significance: Option<Significance>,
    /// Only changes no digest has carried yet.
    pub pending_only: bool,
    /// Only changes the named delivery channel owns and has not yet had delivered.
    pub pending_for: Option<String>,
    /// Only changes older than this id (keyset pagination, newest first).
    pub before_id: Option<i64>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    pub limit: Option<u64>,
}

/// A delivery channel's state (`quietwatch channels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelStatus {
    pub created_at: i64,
    pub pending: u64,
    /// When it last accepted a delivery.
    pub last_delivered: Option<i64>,
}

/// A digest that went out (or was written).
#[derive(Debug, Clone, Default)]
pub struct DigestRecord {
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub subject: String,
    pub message_id: Option<String>,
    pub eml_path: Option<String>,
    pub html_path: Option<String>,
}

/// A site with its page counts by state and its latest run (the web UI's front page).
#[derive(Debug, Clone)]
pub struct SiteOverview {
    pub site: SiteRow,
    pub pages: u64,
    pub documents: u64,
    /// (state, pages in it), by state name.
    pub states: Vec<(PageState, u64)>,
    pub last_run: Option<SiteRunRow>,
}

/// A run of any command.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: i64,
    pub command: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub summary: Option<String>,
}

/// A page in a site's page list, with its latest version's title and last sighting.
#[derive(Debug, Clone)]
pub struct PageListItem {
    pub id: i64,
    pub url: String,
    pub state: PageState,
    pub state_since: Option<i64>,
    pub is_document: bool,
    pub title: Option<String>,
    pub last_seen: Option<i64>,
}

/// The facts of the version of a page that stood at a moment (the register's row before it
/// is judged), with where it was found and when it was last seen.
#[derive(Debug, Clone)]
pub struct PageFacts {
    pub page_id: i64,
    pub site: String,
    pub url: String,
    pub version_id: i64,
    pub title: String,
    /// The last sighting of that version (at or before the moment asked about).
    pub checked_at: i64,
    pub facts: Vec<Fact>,
}

/// A version whose text matched a search, with its page (one row per version).
#[derive(Debug, Clone)]
pub struct TextMatch {
    pub version_id: i64,
    pub page_id: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub url: String,
    pub site: String,
    pub state: PageState,
    pub state_since: Option<i64>,
    pub latest_version: Option<i64>,
    pub latest_title: Option<String>,
}
