//! The shape of a fact, as every stage shows it: what a page or document states (an end date,
//! a lot, a link) and what changed of it between two versions (SPEC.md "Facts").
//!
//! Part of the shared vocabulary, beside [`crate::model`], so that the store, the reports
//! and the web UI can hold facts without depending on the analysis that reads them; reading,
//! typing and comparing facts live in [`crate::analyse::facts`] (whose `impl` blocks give
//! these types their methods).

use serde::{Deserialize, Serialize};

/// One fact of a page or document version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// `end_date`, `reference`, `lot:2a`, `link:https://…`, or the label folded to snake case.
    pub name: String,
    /// The label as shown (`End date`, `Lot 3: Cloud hosting`; a link's text).
    pub label: String,
    /// The value as shown (`16/06/2026`; a lot's title; a link's text), whitespace folded.
    pub text: String,
    /// The typed value.
    pub value: FactValue,
    /// A lot's status as shown beside it (`Live`, `Expired`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A lot's expiry date (ISO, `YYYY-MM-DD` or `YYYY-MM`), when one is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A fact's typed value.
///
/// As JSON (both in the store and in change records) it is SPEC.md's plain form: a date or a
/// reference or text as a string, money as a number with a fraction (`650.0`), a count as an
/// integer. Reading it back is exact: a string that is a valid ISO date is a date, one in
/// canonical reference form is a reference (the parsers would have typed either so), other
/// strings are text; a number with a fraction is money, an integer a count.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    /// `YYYY-MM-DD`, or `YYYY-MM` when the page gives only a month (`June 2026`).
    Date(String),
    /// Pounds.
    Money(f64),
    Count(u64),
    /// Canonical form: `RM6098`, `RM1557.14`, `SBS10026`.
    Reference(String),
    /// Whitespace-folded text, case kept.
    Text(String),
}

/// One fact that was added, removed or changed (SPEC.md's `"facts"` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactChange {
    pub name: String,
    /// The label as shown (the new version's, or the old one's when it was removed).
    pub label: String,
    /// The typed value before; `None` when the fact was added.
    pub from: Option<FactValue>,
    /// The typed value after; `None` when the fact was removed.
    pub to: Option<FactValue>,
    /// The value as shown before.
    pub from_text: Option<String>,
    /// The value as shown after.
    pub to_text: Option<String>,
}
