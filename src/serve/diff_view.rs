//! A diff laid out for the browser: side by side (a removed line beside the line that
//! replaced it) and inline, from the diff engine's hunks ([`LineDiff::hunks`]), bounded in
//! input and rows.

use super::{DIFF_CONTEXT, MAX_DIFF_INPUT, MAX_DIFF_LINES};
use crate::analyse::diff::{DiffLine, LineDiff};
use crate::markup::cap_bytes;
use crate::model::Segment;
use serde::Serialize;

/// A side-by-side and an inline rendering of [`LineDiff::hunks`].
#[derive(Debug, Default, Serialize)]
pub(super) struct DiffView {
    /// Side-by-side rows: a removed line beside the added line that replaced it.
    side: Vec<SideRow>,
    /// Inline rows: removed then added lines, in order.
    inline: Vec<InlineRow>,
    /// Counted by [`LineDiff::stats`] over the whole texts, as detection counts them.
    words_added: u64,
    words_removed: u64,
    lines_added: u64,
    lines_removed: u64,
    identical: bool,
    /// Input or output was cut to stay bounded.
    truncated: bool,
    /// The diff hit its deadline and is coarser than it could be.
    timed_out: bool,
}

#[derive(Debug, Serialize)]
struct Cell {
    n: usize,
    /// "eq", "del" or "ins".
    tag: &'static str,
    segs: Vec<Segment>,
}

#[derive(Debug, Serialize)]
struct SideRow {
    /// Unchanged lines skipped here (a gap row when > 0).
    gap: usize,
    left: Option<Cell>,
    right: Option<Cell>,
}

#[derive(Debug, Serialize)]
struct InlineRow {
    gap: usize,
    old_n: Option<usize>,
    new_n: Option<usize>,
    /// "eq", "del" or "ins"; empty for a gap.
    tag: &'static str,
    segs: Vec<Segment>,
}

/// Lays [`LineDiff::hunks`] out for the diff page: gaps for the unchanged lines left out,
/// each removed line beside the added line that replaced it, and a line added, removed or
/// rewritten outright marked whole.
pub(super) fn diff_view_model(old: &str, new: &str) -> DiffView {
    let mut view = DiffView::default();
    if old == new {
        view.identical = true;
        return view;
    }
    let (old, cut_old) = cap_bytes(old, MAX_DIFF_INPUT);
    let (new, cut_new) = cap_bytes(new, MAX_DIFF_INPUT);
    // One line diff, read twice: the counts (as detection counts) and the lines shown.
    let line_diff = LineDiff::new(old, new);
    let stats = line_diff.stats();
    view.words_added = stats.words_added;
    view.words_removed = stats.words_removed;
    view.lines_added = stats.lines_added;
    view.lines_removed = stats.lines_removed;
    let h = line_diff.hunks(DIFF_CONTEXT, MAX_DIFF_LINES);
    view.truncated = cut_old || cut_new || h.truncated;
    view.timed_out = h.coarse;
    for hunk in h.hunks {
        push_gap(&mut view, hunk.skipped);
        // Removed lines wait for the added lines that follow them, to be shown side by side.
        let mut dels: Vec<Cell> = Vec::new();
        let mut inss: Vec<Cell> = Vec::new();
        for line in hunk.lines {
            let cell = cell(line);
            view.inline.push(InlineRow {
                gap: 0,
                old_n: (cell.tag != "ins").then_some(cell.old_n),
                new_n: (cell.tag != "del").then_some(cell.new_n),
                tag: cell.tag,
                segs: cell.segs.clone(),
            });
            match cell.tag {
                "del" => {
                    if !inss.is_empty() {
                        pair_up(&mut view, &mut dels, &mut inss);
                    }
                    dels.push(Cell {
                        n: cell.old_n,
                        tag: "del",
                        segs: cell.segs,
                    });
                }
                "ins" => inss.push(Cell {
                    n: cell.new_n,
                    tag: "ins",
                    segs: cell.segs,
                }),
                _ => {
                    pair_up(&mut view, &mut dels, &mut inss);
                    view.side.push(SideRow {
                        gap: 0,
                        left: Some(Cell {
                            n: cell.old_n,
                            tag: "eq",
                            segs: cell.segs.clone(),
                        }),
                        right: Some(Cell {
                            n: cell.new_n,
                            tag: "eq",
                            segs: cell.segs,
                        }),
                    });
                }
            }
        }
        pair_up(&mut view, &mut dels, &mut inss);
    }
    push_gap(&mut view, h.skipped_after);
    view
}

/// One diff line as the templates show it.
struct LineCell {
    tag: &'static str,
    old_n: usize,
    new_n: usize,
    segs: Vec<Segment>,
}

fn cell(line: DiffLine) -> LineCell {
    let tag = match line.tag {
        '-' => "del",
        '+' => "ins",
        _ => "eq",
    };
    let mut segs = line.segments;
    // A line added, removed or rewritten outright carries no emphasis from the word diff:
    // mark all of it, so the page shows it struck out or inserted like any changed word. (A
    // removed line of a block that only gained words has no emphasis either, and keeps none.)
    if line.whole && tag != "eq" {
        segs.iter_mut().for_each(|s| s.emphasised = true);
    }
    LineCell {
        tag,
        old_n: line.old_line.unwrap_or(0),
        new_n: line.new_line.unwrap_or(0),
        segs,
    }
}

/// Side by side: the i-th removed line of a block beside its i-th added line.
fn pair_up(view: &mut DiffView, dels: &mut Vec<Cell>, inss: &mut Vec<Cell>) {
    let mut d = dels.drain(..);
    let mut i = inss.drain(..);
    loop {
        match (d.next(), i.next()) {
            (None, None) => break,
            (left, right) => view.side.push(SideRow {
                gap: 0,
                left,
                right,
            }),
        }
    }
}

/// Records `n` unchanged lines left out of the view (nothing when 0).
fn push_gap(view: &mut DiffView, n: usize) {
    if n == 0 {
        return;
    }
    view.side.push(SideRow {
        gap: n,
        left: None,
        right: None,
    });
    view.inline.push(InlineRow {
        gap: n,
        old_n: None,
        new_n: None,
        tag: "",
        segs: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_view_marks_changed_words_and_pairs_lines() {
        let old = "Intro\nThe framework is worth £25bn.\nUnchanged tail\n";
        let new = "Intro\nThe framework is worth £17bn.\nUnchanged tail\nA new line\n";
        let d = diff_view_model(old, new);
        assert!(!d.identical);
        let paired = d
            .side
            .iter()
            .find(|r| matches!((&r.left, &r.right), (Some(l), Some(r)) if l.tag == "del" && r.tag == "ins"))
            .expect("a replaced line pair");
        let left = paired.left.as_ref().unwrap();
        let right = paired.right.as_ref().unwrap();
        assert_eq!((left.n, right.n), (2, 2));
        assert!(left
            .segs
            .iter()
            .any(|s| s.emphasised && s.text.contains("25bn")));
        assert!(right
            .segs
            .iter()
            .any(|s| s.emphasised && s.text.contains("17bn")));
        assert!(left
            .segs
            .iter()
            .any(|s| !s.emphasised && s.text.contains("worth")));
        // A line added whole is marked whole, alone on its side-by-side row.
        assert!(d.inline.iter().any(|r| r.tag == "ins"
            && r.old_n.is_none()
            && r.new_n == Some(4)
            && r.segs.iter().all(|s| s.emphasised)
            && r.segs[0].text == "A new line"));
        assert!(d
            .side
            .iter()
            .any(|r| r.left.is_none() && r.right.as_ref().is_some_and(|c| c.n == 4)));
        // Counted as detection counts: one word replaced, three added.
        assert_eq!((d.words_removed, d.words_added), (1, 4));
        assert_eq!((d.lines_removed, d.lines_added), (1, 2));
        // Inline: context, removed, added, context, added — in text order.
        let tags: Vec<&str> = d.inline.iter().map(|r| r.tag).collect();
        assert_eq!(tags, ["eq", "del", "ins", "eq", "ins"]);
    }

    #[test]
    fn a_line_that_only_gained_words_is_not_struck_out_whole() {
        let d = diff_view_model(
            "Intro\n# Penetration Testing Services\nTail\n",
            "Intro\n# Penetration Testing and IT Health Check Services\nTail\n",
        );
        let row = d
            .side
            .iter()
            .find(|r| r.left.as_ref().is_some_and(|c| c.tag == "del"));
        let left = row.and_then(|r| r.left.as_ref()).expect("a removed line");
        assert!(left.segs.iter().all(|s| !s.emphasised), "{:?}", left.segs);
        let right = row
            .and_then(|r| r.right.as_ref())
            .expect("beside its new form");
        let marked: Vec<&str> = right
            .segs
            .iter()
            .filter(|s| s.emphasised)
            .map(|s| s.text.trim())
            .collect();
        assert_eq!(marked, ["and IT Health Check"]);
    }

    #[test]
    fn long_unchanged_runs_collapse_into_gaps() {
        let mut old = String::new();
        for i in 0..100 {
            old.push_str(&format!("line {i}\n"));
        }
        let new = old.replace("line 50\n", "line fifty\n");
        let d = diff_view_model(&old, &new);
        let gaps: Vec<usize> = d.side.iter().filter(|r| r.gap > 0).map(|r| r.gap).collect();
        assert_eq!(gaps, vec![47, 46]);
        assert!(d.side.len() < 15);
        assert!(diff_view_model("same", "same").identical);
    }

    #[test]
    fn a_full_rewrite_of_a_long_text_stays_bounded() {
        let old: String = (0..30_000).map(|i| format!("old line {i}\n")).collect();
        let new: String = (0..30_000).map(|i| format!("new text {i}\n")).collect();
        let d = diff_view_model(&old, &new);
        assert!(d.truncated);
        assert!(d.side.len() <= MAX_DIFF_LINES + 1, "{}", d.side.len());
        assert!(d.inline.len() <= MAX_DIFF_LINES + 1, "{}", d.inline.len());
        // The counts cover the whole texts, not only the rows shown.
        assert_eq!(d.lines_removed, 30_000);
    }
}
