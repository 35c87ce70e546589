//! The vocabulary every stage shares: change kinds, significance, page states, fetch
//! purposes, site outcomes and the change record.
//!
//! These types are the contract between the crawl and detection (which make them), the
//! store (which keeps them, by name), the digest (which sends them) and `changes --json`
//! (which prints them), so they live apart from all of those. Their names are fixed by
//! SPEC.md (`docs/SPEC.md`); a stored name this build does not know is an error, never a
//! guess.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a fieldless enum whose variants have fixed names: the names are what JSON, the
/// database and the CLI use, `ALL` lists the variants in declaration order, and parsing an
/// unknown name is an error (never a silent default: the store turns it into `Corrupt`).
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name used in JSON, the database and the CLI.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownName {
                        what: stringify!($name),
                        found: s.chars().take(40).collect(),
                        expected: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

/// A name that is not one of an enum's variants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {found:?} (expected one of: {expected})")]
pub struct UnknownName {
    pub what: &'static str,
    pub found: String,
    pub expected: String,
}

named_enum! {
    /// What happened to a page between two runs (SPEC.md, "Change kinds").
    ///
    /// The declaration order is the precedence order of SPEC.md: where several kinds apply to
    /// one page in one run, the first wins.
    pub enum ChangeKind {
        Removed = "removed",
        Redirected = "redirected",
        Moved = "moved",
        SoftRemoved = "soft_removed",
        Unlinked = "unlinked",
        Changed = "changed",
        Added = "added",
        Restored = "restored",
        Unreachable = "unreachable",
        /// A `[[watch]]` phrase newly found on a page (SPEC.md, "Watched phrases"); filed
        /// beside the page's own record, not instead of it.
        PhraseAppeared = "phrase_appeared",
        /// A `[[watch]]` phrase no longer found on a page that is still live.
        PhraseDisappeared = "phrase_disappeared",
        /// An agreement or lot whose end date comes within `[digest] ending_within_days`,
        /// announced once per end date (SPEC.md, "Facts").
        Ending = "ending",
    }
}

impl ChangeKind {
    /// A short human label for digests and listings ("soft removed").
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::SoftRemoved => "soft removed",
            ChangeKind::PhraseAppeared => "phrase appeared",
            ChangeKind::PhraseDisappeared => "phrase disappeared",
            ChangeKind::Ending => "ending soon",
            other => other.as_str(),
        }
    }

    /// A record about a watched phrase, which does not count against "one record per page
    /// per run".
    pub fn is_phrase(self) -> bool {
        matches!(
            self,
            ChangeKind::PhraseAppeared | ChangeKind::PhraseDisappeared
        )
    }
}

named_enum! {
    /// How much a change matters. `Major` sorts before `Minor` so digests list it first.
    pub enum Significance {
        Major = "major",
        Minor = "minor",
    }
}

impl Significance {
    /// Whether a change of this significance passes a `min_significance` threshold.
    pub fn at_least(self, threshold: Significance) -> bool {
        self <= threshold
    }
}

named_enum! {
    /// The state detection last settled on for a page; it moves only with the records that
    /// report the move.
    pub enum PageState {
        /// Seen for the first time in the current run; not yet accepted by detection.
        New = "new",
        Live = "live",
        Removed = "removed",
        Redirected = "redirected",
        Moved = "moved",
        SoftRemoved = "soft_removed",
        Unreachable = "unreachable",
    }
}

named_enum! {
    /// Why a URL was fetched.
    #[derive(Default)]
    pub enum FetchPurpose {
        /// A page, known or newly found.
        #[default]
        Page = "page",
        /// The second fetch that confirms a 404/410 of a known page.
        Confirm = "confirm",
        Robots = "robots",
        Sitemap = "sitemap",
        /// The path that cannot exist, fetched to learn the site's not-found page.
        Probe = "probe",
    }
}

named_enum! {
    /// How a site's part of a run ended.
    #[derive(Default)]
    pub enum SiteOutcome {
        /// The first successful crawl: the pages were recorded, nothing reported.
        Baseline = "baseline",
        #[default]
        Ok = "ok",
        /// Every start page failed: nothing was concluded about the site.
        Failed = "failed",
    }
}

/// Facts are vocabulary every stage shares (stored with versions and changes, shown by every
/// output); their reading and comparing live in [`crate::analyse::facts`].
pub use crate::fact::{Fact, FactChange, FactValue};

/// A fact change's value before, as the page showed it (its text, else its typed value);
/// `None` when the fact was added.
pub fn fact_before(f: &FactChange) -> Option<String> {
    f.from_text
        .clone()
        .or_else(|| f.from.as_ref().map(FactValue::to_string))
}

/// A fact change's value after, as the page shows it; `None` when the fact was removed.
pub fn fact_after(f: &FactChange) -> Option<String> {
    f.to_text
        .clone()
        .or_else(|| f.to.as_ref().map(FactValue::to_string))
}

/// One figure that changed, stated plainly in digests ("£25bn → £17bn").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureChange {
    /// The figure before, `None` when it was added.
    pub before: Option<String>,
    /// The figure after, `None` when it was removed.
    pub after: Option<String>,
}

/// One line of a diff excerpt: context, removed or added, with word-level segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcerptLine {
    /// `' '` context, `'-'` removed, `'+'` added.
    pub tag: char,
    /// The line as segments; `emphasised` marks the words that changed within the line.
    pub segments: Vec<Segment>,
    /// A removed or added line that changed as a whole (no counterpart line shares enough
    /// words for a word-level view); `false` for context and for lines edited in place.
    #[serde(default)]
    pub whole: bool,
}

/// A run of text within an [`ExcerptLine`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub emphasised: bool,
}

impl ExcerptLine {
    /// The whole line as plain text.
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}

/// Detail kept with a change for the digest and the web UI, beyond SPEC.md's JSON fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeDetail {
    /// Figures added, removed or changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<FigureChange>,
    /// A bounded excerpt of the word-level diff.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excerpt: Vec<ExcerptLine>,
    /// Linked documents that appeared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents_added: Vec<String>,
    /// Linked documents that disappeared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents_removed: Vec<String>,
}

/// A detected change as stored and as printed by `changes --json` (SPEC.md's shape; fields
/// may be added, never renamed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: i64,
    /// RFC 3339, UTC, second precision.
    pub detected_at: String,
    pub site: String,
    pub url: String,
    pub kind: ChangeKind,
    pub significance: Significance,
    pub title: String,
    pub summary: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub http_status: Option<u16>,
    pub redirect_to: Option<String>,
    pub words_added: u64,
    pub words_removed: u64,
    pub similarity: Option<f64>,
    /// The facts that changed (SPEC.md "Facts"); `[]` when none did.
    #[serde(default)]
    pub facts: Vec<FactChange>,
    /// The `[[watch]]` phrase of a `phrase_appeared` / `phrase_disappeared` record, as
    /// configured; `null` for every other kind.
    #[serde(default)]
    pub phrase: Option<String>,
    /// The stored `Content-Type` of the version the change is about (its new version, else
    /// the one it lost), e.g. `application/pdf`; null when there is none.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Digest-only detail; not part of the JSON line.
    #[serde(skip)]
    pub detail: ChangeDetail,
}
