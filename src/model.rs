//! The vocabulary every stage shares: change kinds, significance and the change record.
//!
//! These types are the contract between detection (which makes them), the store (which
//! keeps them), the digest (which sends them) and `changes --json` (which prints them), so
//! they live apart from all four. Their serialised names are fixed by SPEC.md.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What happened to a page between two runs (SPEC.md, "Change kinds").
///
/// The declaration order is the precedence order of SPEC.md: where several kinds apply to one
/// page in one run, the first wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Removed,
    Redirected,
    Moved,
    SoftRemoved,
    Unlinked,
    Changed,
    Added,
    Restored,
    Unreachable,
}

impl ChangeKind {
    /// Every kind, in precedence order.
    pub const ALL: [ChangeKind; 9] = [
        ChangeKind::Removed,
        ChangeKind::Redirected,
        ChangeKind::Moved,
        ChangeKind::SoftRemoved,
        ChangeKind::Unlinked,
        ChangeKind::Changed,
        ChangeKind::Added,
        ChangeKind::Restored,
        ChangeKind::Unreachable,
    ];

    /// The name used in JSON, the database and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Removed => "removed",
            ChangeKind::Redirected => "redirected",
            ChangeKind::Moved => "moved",
            ChangeKind::SoftRemoved => "soft_removed",
            ChangeKind::Unlinked => "unlinked",
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "added",
            ChangeKind::Restored => "restored",
            ChangeKind::Unreachable => "unreachable",
        }
    }

    /// A short human label for digests and listings ("soft removed").
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::SoftRemoved => "soft removed",
            other => other.as_str(),
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChangeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChangeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown change kind {s:?}"))
    }
}

/// How much a change matters. `Major` sorts before `Minor` so digests list it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Significance {
    Major,
    Minor,
}

impl Significance {
    pub fn as_str(self) -> &'static str {
        match self {
            Significance::Major => "major",
            Significance::Minor => "minor",
        }
    }

    /// Whether a change of this significance passes a `min_significance` threshold.
    pub fn at_least(self, threshold: Significance) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Significance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Significance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "major" => Ok(Significance::Major),
            "minor" => Ok(Significance::Minor),
            _ => Err(format!("expected \"major\" or \"minor\", found {s:?}")),
        }
    }
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
    /// Digest-only detail; not part of the JSON line.
    #[serde(skip)]
    pub detail: ChangeDetail,
}
