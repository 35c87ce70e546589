//! TEMP STUB (lead) until h2 lands.
pub struct DiffStats {
    pub words_added: u64,
    pub words_removed: u64,
    pub similarity: f64,
    pub lines_added: u64,
    pub lines_removed: u64,
}
pub fn diff_stats(old: &str, new: &str) -> DiffStats {
    let d = similar::TextDiff::from_lines(old, new);
    DiffStats {
        words_added: 0,
        words_removed: 0,
        similarity: d.ratio() as f64,
        lines_added: 0,
        lines_removed: 0,
    }
}
pub fn render(old: &str, new: &str, _color: bool) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .to_string()
}
