//! Every default setting, stated once: the config loader fills gaps with these, the starter
//! config that `quietwatch init` writes shows them, and the fetcher's own defaults are them.

pub const USER_AGENT: &str = "quietwatch/0.1 (+mailto:you@example.org)";
pub const CONCURRENCY: usize = 8;
pub const PER_HOST_CONCURRENCY: usize = 2;
pub const DELAY_MS: u64 = 1000;
pub const TIMEOUT_S: u64 = 30;
pub const MAX_BODY_BYTES: u64 = 10_000_000;
pub const RESPECT_ROBOTS: bool = true;
pub const RETRIES: u32 = 2;
pub const UNREACHABLE_AFTER: u32 = 3;
/// Redirects followed per fetch before giving up (browsers allow about 20).
pub const MAX_REDIRECTS: usize = 10;

pub const DB: &str = "quietwatch.db";

pub const SUBJECT_PREFIX: &str = "[quietwatch]";
pub const OUT_DIR: &str = "digests";
pub const SEND_EMPTY: bool = false;
/// `[digest] ending_within_days`: agreements and lots ending this soon are announced; 0 = off.
pub const ENDING_WITHIN_DAYS: u32 = 90;

/// Longest `[[watch]] phrase`, in characters and in words (a phrase is a few words); the
/// matcher (`analyse::facts::phrases`) holds the same caps.
pub const MAX_PHRASE_CHARS: usize = 200;
pub const MAX_PHRASE_WORDS: usize = 20;

pub const MAX_DEPTH: u32 = 2;
pub const MAX_PAGES: usize = 5000;
pub const SITEMAPS: bool = true;
pub const DOCUMENTS: bool = true;
