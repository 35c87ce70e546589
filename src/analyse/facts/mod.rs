//! Facts: what a procurement page states as label and value — an agreement's reference,
//! status, dates, lots, supplier count, value — and the links in its content.
//!
//! A bid team thinks in agreements, not lines of text: "end date 16/06/2026 → 16/12/2026
//! (+6 months)" is news, "1 word changed" is not. So every version's facts are extracted
//! (from the compared content of a page, [`html`], or a document's text lines, [`text`]),
//! kept with it, and compared as facts ([`diff`]).
//!
//! Key choices:
//! * A fact is `name` (the label folded to snake case, or a well-known name whatever the
//!   label says: [`labels`]), `label` and `text` as shown, and a typed `value` ([`values`]).
//!   Lots are `lot:ID` (the value is the lot's status when shown, else its title), links are
//!   `link:URL` (the value is the link text).
//! * **The first fact of a name wins.** A page that states its end date twice (a key-facts
//!   panel and the body) keeps the first; a suffix (`end_date_2`) would turn a reordering of
//!   the page into two fact changes, which is crying wolf. A later statement that differs is
//!   still a change of the compared text. A lot seen again may only fill in the status or
//!   expiry the first sighting left out.
//! * Facts are only read from structures that say "label, value" (definition lists,
//!   two-column tables, short `Label: value` lines) and lot lines; prose yields none.
//! * Bounded: at most [`MAX_FACTS`] facts, labels and texts capped.

pub mod diff;
pub mod html;
pub mod labels;
pub mod phrases;
pub mod text;
pub mod values;

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::fact::{Fact, FactValue};
pub use diff::{diff, summary, FactChange};
pub use phrases::{Phrase, PhraseError};

/// At most this many facts are kept per version (links included).
pub const MAX_FACTS: usize = 2000;
/// A label is capped at this many characters.
pub const MAX_LABEL_CHARS: usize = 120;
/// A fact's text is capped at this many characters.
pub const MAX_TEXT_CHARS: usize = 300;

impl Fact {
    /// A fact whose value is typed from its text by its name (see [`values::typed`]).
    pub fn new(name: impl Into<String>, label: &str, text: &str) -> Fact {
        let name = name.into();
        let text = crate::markup::truncate_chars(&values::fold(text), MAX_TEXT_CHARS);
        let value = values::typed(&name, &text);
        Fact {
            name,
            label: crate::markup::truncate_chars(&values::fold(label), MAX_LABEL_CHARS),
            text,
            value,
            status: None,
            expires: None,
        }
    }

    /// A lot (`lot:ID`): `text` is its title; its value is the status when shown, else the title.
    pub fn lot(id: &str, title: &str, status: Option<String>, expires: Option<String>) -> Fact {
        let id = id.trim().to_lowercase();
        let title = crate::markup::truncate_chars(&values::fold(title), MAX_TEXT_CHARS);
        let label = if title.is_empty() {
            format!("Lot {id}")
        } else {
            format!("Lot {id}: {title}")
        };
        let value = FactValue::Text(status.clone().unwrap_or_else(|| title.clone()));
        Fact {
            name: format!("lot:{id}"),
            label: crate::markup::truncate_chars(&label, MAX_LABEL_CHARS),
            text: title,
            value,
            status,
            expires,
        }
    }

    /// A link in the compared content (`link:URL`, text = the link text).
    pub fn link(target: &str, text: &str) -> Fact {
        let text = crate::markup::truncate_chars(&values::fold(text), MAX_TEXT_CHARS);
        Fact {
            name: format!("link:{target}"),
            label: text.clone(),
            text: text.clone(),
            value: FactValue::Text(text),
            status: None,
            expires: None,
        }
    }

    /// `lot`, `link` or `label` (a label/value fact).
    pub fn kind(&self) -> FactKind {
        if self.name.starts_with("lot:") {
            FactKind::Lot
        } else if self.name.starts_with("link:") {
            FactKind::Link
        } else {
            FactKind::Label
        }
    }

    /// A lot's id (`2a` of `lot:2a`), a link's target; `None` for label/value facts.
    pub fn key(&self) -> Option<&str> {
        self.name
            .strip_prefix("lot:")
            .or_else(|| self.name.strip_prefix("link:"))
    }
}

/// What a fact is: a label/value pair, a lot, or a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    Label,
    Lot,
    Link,
}

impl FactValue {
    /// SPEC.md's JSON form (see the type's docs).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FactValue::Date(s) | FactValue::Reference(s) | FactValue::Text(s) => {
                serde_json::Value::String(s.clone())
            }
            FactValue::Money(m) => serde_json::Number::from_f64(*m)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            FactValue::Count(n) => serde_json::Value::Number((*n).into()),
        }
    }

    /// The value read back from its JSON form (`None` for null, booleans, arrays, objects).
    pub fn from_json(v: &serde_json::Value) -> Option<FactValue> {
        match v {
            serde_json::Value::String(s) => Some(if values::is_iso_date(s) {
                FactValue::Date(s.clone())
            } else if values::is_canonical_reference(s) {
                FactValue::Reference(s.clone())
            } else {
                FactValue::Text(s.clone())
            }),
            serde_json::Value::Number(n) => {
                if let Some(u) = n.as_u64().filter(|_| !n.is_f64()) {
                    Some(FactValue::Count(u))
                } else {
                    n.as_f64().map(FactValue::Money)
                }
            }
            _ => None,
        }
    }

    /// The date, when this is one.
    pub fn as_date(&self) -> Option<&str> {
        match self {
            FactValue::Date(d) => Some(d),
            _ => None,
        }
    }

    /// The count, when this is one.
    pub fn as_count(&self) -> Option<u64> {
        match self {
            FactValue::Count(n) => Some(*n),
            _ => None,
        }
    }
}

/// ISO dates, canonical references and text as they are; money as `£1,200,000` (or
/// `£1.5` with pence); counts as integers.
impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Date(s) | FactValue::Reference(s) | FactValue::Text(s) => f.write_str(s),
            FactValue::Money(m) => f.write_str(&values::format_money(*m)),
            FactValue::Count(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for FactValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for FactValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FactValue, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        FactValue::from_json(&v)
            .ok_or_else(|| serde::de::Error::custom("a fact value is a string or a number"))
    }
}

/// A version's facts: in page order, names unique (the first of a name wins; see the
/// module docs), at most [`MAX_FACTS`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<Fact>", into = "Vec<Fact>")]
pub struct Facts {
    list: Vec<Fact>,
    index: HashMap<String, usize>,
}

impl Facts {
    pub fn new() -> Facts {
        Facts::default()
    }

    /// Adds `fact` unless one of its name is already there (then a lot may fill in the
    /// status or expiry the first left out). Returns whether it was added.
    pub fn push(&mut self, fact: Fact) -> bool {
        if let Some(&i) = self.index.get(&fact.name) {
            if let Some(first) = self.list.get_mut(i) {
                if first.kind() == FactKind::Lot {
                    if first.status.is_none() && fact.status.is_some() {
                        first.status = fact.status;
                        if let Some(s) = &first.status {
                            first.value = FactValue::Text(s.clone());
                        }
                    }
                    if first.expires.is_none() {
                        first.expires = fact.expires;
                    }
                }
            }
            return false;
        }
        if self.list.len() >= MAX_FACTS {
            return false;
        }
        self.index.insert(fact.name.clone(), self.list.len());
        self.list.push(fact);
        true
    }

    /// The fact named `name` (`end_date`, `lot:2a`, `link:https://…`).
    pub fn get(&self, name: &str) -> Option<&Fact> {
        self.index.get(name).and_then(|&i| self.list.get(i))
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Fact> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The lots, in page order.
    pub fn lots(&self) -> impl Iterator<Item = &Fact> {
        self.list.iter().filter(|f| f.kind() == FactKind::Lot)
    }

    pub fn as_slice(&self) -> &[Fact] {
        &self.list
    }

    pub fn into_vec(self) -> Vec<Fact> {
        self.list
    }
}

impl From<Vec<Fact>> for Facts {
    fn from(list: Vec<Fact>) -> Facts {
        let mut facts = Facts::new();
        for f in list {
            facts.push(f);
        }
        facts
    }
}

impl From<Facts> for Vec<Fact> {
    fn from(facts: Facts) -> Vec<Fact> {
        facts.list
    }
}

impl FromIterator<Fact> for Facts {
    fn from_iter<I: IntoIterator<Item = Fact>>(iter: I) -> Facts {
        let mut facts = Facts::new();
        for f in iter {
            facts.push(f);
        }
        facts
    }
}

impl<'a> IntoIterator for &'a Facts {
    type Item = &'a Fact;
    type IntoIter = std::slice::Iter<'a, Fact>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// Compiles a constant pattern; a pattern that does not compile is a bug, logged, and the
/// recogniser using it finds nothing.
pub(crate) fn compile(src: &str) -> Option<regex::Regex> {
    match regex::Regex::new(src) {
        Ok(re) => Some(re),
        Err(e) => {
            tracing::error!(pattern = src, error = %e, "fact pattern does not compile");
            None
        }
    }
}
