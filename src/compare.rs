//! TEMP STUB (lead) until h2 lands.
use crate::model::{ChangeDetail, Significance};
pub struct PageText<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub documents: &'a [String],
}
pub struct Comparison {
    pub changed: bool,
    pub significance: Significance,
    pub summary: String,
    pub words_added: u64,
    pub words_removed: u64,
    pub similarity: f64,
    pub detail: ChangeDetail,
}
pub fn compare(old: &PageText, new: &PageText) -> Comparison {
    let changed = old.title != new.title || old.text != new.text;
    Comparison {
        changed,
        significance: Significance::Major,
        summary: "changed".into(),
        words_added: 0,
        words_removed: 0,
        similarity: crate::diff::diff_stats(old.text, new.text).similarity,
        detail: ChangeDetail::default(),
    }
}
