//! STAND-IN for branch `facts-core` (the fact extraction engine): only the types and the
//! signatures this branch builds on, so it compiles before that branch is merged. Replaced
//! wholesale by facts-core's module at merge.

use serde::{Deserialize, Serialize};

/// A typed fact value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FactValue {
    Date(String),
    Money(f64),
    Count(u64),
    Reference(String),
    Text(String),
}

/// One fact read from a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub name: String,
    pub label: String,
    pub text: String,
    pub value: FactValue,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
}

/// A page's facts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts(pub Vec<Fact>);

impl From<Vec<Fact>> for Facts {
    fn from(v: Vec<Fact>) -> Facts {
        Facts(v)
    }
}

impl Facts {
    pub fn get(&self, name: &str) -> Option<&Fact> {
        self.0.iter().find(|f| f.name == name)
    }
}

/// One fact that changed (SPEC's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactChange {
    pub name: String,
    pub label: String,
    pub from: Option<serde_json::Value>,
    pub to: Option<serde_json::Value>,
    #[serde(default)]
    pub from_text: Option<String>,
    #[serde(default)]
    pub to_text: Option<String>,
}

impl FactChange {
    pub fn is_major(&self) -> bool {
        false
    }
}

pub fn diff(_old: &Facts, _new: &Facts) -> Vec<FactChange> {
    Vec::new()
}

pub fn summary(changes: &[FactChange]) -> String {
    changes
        .iter()
        .map(|c| c.label.clone())
        .collect::<Vec<_>>()
        .join("; ")
}
