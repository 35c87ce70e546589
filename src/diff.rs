//! Line diffs with word-level highlights, always in bounded time.
//!
//! Three consumers want three shapes of the same diff: detection wants numbers (words added
//! and removed, a similarity), the digest wants a short excerpt with the changed words
//! emphasised, and `quietwatch diff` wants a readable unified diff. All three diff the
//! *extracted* text (one block per line, see [`crate::extract`]) line by line first, then
//! word by word inside changed blocks only, so the cost follows the size of the change.
//!
//! Page content is hostile and diff algorithms are not linear: two 2 MB texts with every
//! line reordered would keep Myers busy for minutes. Every diff therefore runs against a
//! deadline ([`LINE_BUDGET`] for the line diff, [`WORD_BUDGET`] shared by all word diffs of
//! one call); past it `similar` settles for a coarser but still correct diff (whole blocks
//! replaced), so counts may overstate a pathological change but never hang. Equal texts
//! short-circuit before any diffing.
//!
//! Words are maximal runs of non-whitespace. Similarity is `2 × unchanged words / (old words
//! + new words)`, 1.0 for two empty texts.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use similar::{capture_diff_slices_deadline, Algorithm, ChangeTag, DiffOp, DiffTag, TextDiff};

use crate::model::{ExcerptLine, Segment};

/// Time allowed for one line diff before it settles for a coarser answer.
pub const LINE_BUDGET: Duration = Duration::from_millis(500);
/// Time allowed for all the word diffs of one call together.
pub const WORD_BUDGET: Duration = Duration::from_millis(250);
/// Context lines around each hunk in [`render`].
const RENDER_CONTEXT: usize = 3;

/// How much two texts differ, in words and lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiffStats {
    pub words_added: u64,
    pub words_removed: u64,
    /// `2 × unchanged words / (old words + new words)`, in 0..=1; 1.0 when both are empty.
    pub similarity: f64,
    pub lines_added: u64,
    pub lines_removed: u64,
}

/// Counts the words and lines added and removed between two texts.
///
/// Lines are diffed first; inside each replaced block the words are diffed, so a one-word
/// edit in a long paragraph counts one word removed and one added, not the whole line.
pub fn diff_stats(old: &str, new: &str) -> DiffStats {
    if old == new {
        return DiffStats {
            words_added: 0,
            words_removed: 0,
            similarity: 1.0,
            lines_added: 0,
            lines_removed: 0,
        };
    }
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let ops = capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_lines,
        &new_lines,
        Some(Instant::now() + LINE_BUDGET),
    );
    let word_deadline = Instant::now() + WORD_BUDGET;

    let (mut kept, mut added, mut removed) = (0u64, 0u64, 0u64);
    let (mut lines_added, mut lines_removed) = (0u64, 0u64);
    for op in &ops {
        let old_block = old_lines.get(op.old_range()).unwrap_or(&[]);
        let new_block = new_lines.get(op.new_range()).unwrap_or(&[]);
        lines_removed += old_block.len() as u64 * u64::from(op.tag() != DiffTag::Equal);
        lines_added += new_block.len() as u64 * u64::from(op.tag() != DiffTag::Equal);
        match op.tag() {
            DiffTag::Equal => kept += words(old_block).len() as u64,
            DiffTag::Delete => removed += words(old_block).len() as u64,
            DiffTag::Insert => added += words(new_block).len() as u64,
            DiffTag::Replace => {
                let (ow, nw) = (words(old_block), words(new_block));
                let word_ops =
                    capture_diff_slices_deadline(Algorithm::Myers, &ow, &nw, Some(word_deadline));
                for w in word_ops {
                    match w.tag() {
                        DiffTag::Equal => kept += w.old_range().len() as u64,
                        _ => {
                            removed += w.old_range().len() as u64;
                            added += w.new_range().len() as u64;
                        }
                    }
                }
            }
        }
    }
    let total = 2 * kept + added + removed;
    DiffStats {
        words_added: added,
        words_removed: removed,
        similarity: if total == 0 {
            1.0
        } else {
            (2 * kept) as f64 / total as f64
        },
        lines_added,
        lines_removed,
    }
}

fn words<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    lines.iter().flat_map(|l| l.split_whitespace()).collect()
}

/// Makes the last line end in `'\n'` like the others, so appending a line does not also
/// show the previous last line as changed.
fn terminated(s: &str) -> Cow<'_, str> {
    if s.is_empty() || s.ends_with('\n') {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("{s}\n"))
    }
}

/// Limits a diff op to its first `n` lines on each side, so word-level highlighting of a
/// huge block costs no more than the lines that will be shown.
fn head(op: &DiffOp, n: usize) -> DiffOp {
    match *op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index,
            new_index,
            len: len.min(n),
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index,
            old_len: old_len.min(n),
            new_index,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index,
            new_index,
            new_len: new_len.min(n),
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index,
            old_len: old_len.min(n),
            new_index,
            new_len: new_len.min(n),
        },
    }
}

fn tag_char(tag: ChangeTag) -> char {
    match tag {
        ChangeTag::Equal => ' ',
        ChangeTag::Delete => '-',
        ChangeTag::Insert => '+',
    }
}

/// Appends text to segments, merging with the previous segment of the same emphasis.
/// Whitespace is never emphasised (it would underline gaps).
fn push_segment(segments: &mut Vec<Segment>, text: &str, emphasised: bool) {
    let emphasised = emphasised && !text.trim().is_empty();
    match segments.last_mut() {
        Some(last) if last.emphasised == emphasised => last.text.push_str(text),
        _ => segments.push(Segment {
            text: text.to_owned(),
            emphasised,
        }),
    }
}

/// Cuts segments to `max_chars` characters in total, ending with "…" when cut.
fn cap_segments(segments: Vec<Segment>, max_chars: usize) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut left = max_chars;
    for seg in segments {
        let len = seg.text.chars().count();
        if len <= left {
            left -= len;
            out.push(seg);
            continue;
        }
        let keep: String = seg.text.chars().take(left.saturating_sub(1)).collect();
        out.push(Segment {
            text: format!("{keep}…"),
            emphasised: seg.emphasised,
        });
        break;
    }
    out
}

/// A short excerpt for digests: changed lines with one line of context, the changed words
/// emphasised, at most `max_lines` lines (hunks separated by a context line "…") of at most
/// `max_line_chars` characters each.
pub fn excerpt(old: &str, new: &str, max_lines: usize, max_line_chars: usize) -> Vec<ExcerptLine> {
    if old == new || max_lines == 0 {
        return Vec::new();
    }
    let (old_t, new_t) = (terminated(old), terminated(new));
    let line_deadline = Instant::now() + LINE_BUDGET;
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(line_deadline)
        .diff_lines(old_t.as_ref(), new_t.as_ref());
    let word_deadline = Instant::now() + WORD_BUDGET;

    let mut out: Vec<ExcerptLine> = Vec::new();
    'groups: for (gi, group) in diff.grouped_ops(1).iter().enumerate() {
        if gi > 0 {
            if out.len() + 2 > max_lines {
                break;
            }
            out.push(ExcerptLine {
                tag: ' ',
                segments: vec![Segment {
                    text: "…".to_owned(),
                    emphasised: false,
                }],
            });
        }
        for op in group {
            let op = head(op, max_lines);
            for change in diff.iter_inline_changes_deadline(&op, Some(word_deadline)) {
                if out.len() >= max_lines {
                    break 'groups;
                }
                let mut segments = Vec::new();
                for (emphasised, text) in change.iter_strings_lossy() {
                    push_segment(
                        &mut segments,
                        text.trim_end_matches(['\n', '\r']),
                        emphasised,
                    );
                }
                out.push(ExcerptLine {
                    tag: tag_char(change.tag()),
                    segments: cap_segments(segments, max_line_chars),
                });
            }
        }
    }
    out
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const EMPHASIS: &str = "\x1b[1;4m";
const NO_EMPHASIS: &str = "\x1b[22;24m";
const RESET: &str = "\x1b[0m";

/// A unified-style diff for `quietwatch diff`: `@@ -a,b +c,d @@` hunk headers with three
/// lines of context, `-`/`+` lines; with `color`, removed lines red, added lines green and
/// the changed words bold and underlined. Empty when the texts are equal.
pub fn render(old: &str, new: &str, color: bool) -> String {
    if old == new {
        return String::new();
    }
    let (old_t, new_t) = (terminated(old), terminated(new));
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(Instant::now() + LINE_BUDGET)
        .diff_lines(old_t.as_ref(), new_t.as_ref());
    let word_deadline = Instant::now() + WORD_BUDGET;

    let mut out = String::new();
    for group in diff.grouped_ops(RENDER_CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_start = first.old_range().start;
        let new_start = first.new_range().start;
        let old_len = last.old_range().end - old_start;
        let new_len = last.new_range().end - new_start;
        let header = format!(
            "@@ -{} +{} @@",
            hunk_range(old_start, old_len),
            hunk_range(new_start, new_len)
        );
        if color {
            out.push_str(CYAN);
            out.push_str(&header);
            out.push_str(RESET);
        } else {
            out.push_str(&header);
        }
        out.push('\n');
        for op in &group {
            for change in diff.iter_inline_changes_deadline(op, Some(word_deadline)) {
                let tag = tag_char(change.tag());
                let line_color = match change.tag() {
                    ChangeTag::Delete => Some(RED),
                    ChangeTag::Insert => Some(GREEN),
                    ChangeTag::Equal => None,
                };
                match (color, line_color) {
                    (true, Some(c)) => {
                        out.push_str(c);
                        out.push(tag);
                        for (emphasised, text) in change.iter_strings_lossy() {
                            let text = text.trim_end_matches(['\n', '\r']);
                            if emphasised && !text.trim().is_empty() {
                                out.push_str(EMPHASIS);
                                out.push_str(text);
                                out.push_str(NO_EMPHASIS);
                            } else {
                                out.push_str(text);
                            }
                        }
                        out.push_str(RESET);
                    }
                    _ => {
                        out.push(tag);
                        for (_, text) in change.iter_strings_lossy() {
                            out.push_str(text.trim_end_matches(['\n', '\r']));
                        }
                    }
                }
                out.push('\n');
            }
        }
    }
    out
}

/// `start,len` in unified-diff convention (1-based; an empty range names the line before).
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{}", start + 1, len),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_page(n: usize) -> String {
        (0..n)
            .map(|i| format!("Paragraph {i} says something about lot {i} and its suppliers."))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn equal_texts_short_circuit() {
        let t = long_page(50);
        let s = diff_stats(&t, &t);
        assert_eq!((s.words_added, s.words_removed, s.similarity), (0, 0, 1.0));
        assert!(excerpt(&t, &t, 12, 300).is_empty());
        assert_eq!(render(&t, &t, true), "");
        assert_eq!(diff_stats("", "").similarity, 1.0);
    }

    #[test]
    fn one_word_in_a_long_line_counts_one_word() {
        let old = "a b c\nThe review commenced in August 2023 and found savings.\nz";
        let new = "a b c\nThe review concluded in August 2023 and found savings.\nz";
        let s = diff_stats(old, new);
        assert_eq!((s.words_added, s.words_removed), (1, 1));
        assert_eq!((s.lines_added, s.lines_removed), (1, 1));
        // 13 words each side, 12 kept.
        assert!((s.similarity - 24.0 / 26.0).abs() < 1e-9);
    }

    #[test]
    fn added_and_removed_lines() {
        let s = diff_stats("a b\nc d", "a b\nc d\ne f g");
        assert_eq!((s.words_added, s.words_removed, s.lines_added), (3, 0, 1));
        let s = diff_stats("a b\nc d", "");
        assert_eq!((s.words_removed, s.similarity), (4, 0.0));
    }

    #[test]
    fn excerpt_emphasises_changed_words_with_context() {
        let mut old = long_page(30);
        let mut new = old.replace("lot 15 and", "lot 16 and");
        old.push_str("\nfinal");
        new.push_str("\nfinal");
        let ex = excerpt(&old, &new, 12, 300);
        let tags: String = ex.iter().map(|l| l.tag).collect();
        assert_eq!(tags, " -+ ");
        assert_eq!(
            ex[0].text(),
            "Paragraph 14 says something about lot 14 and its suppliers."
        );
        let emphasised: Vec<&str> = ex[1..3]
            .iter()
            .flat_map(|l| {
                l.segments
                    .iter()
                    .filter(|s| s.emphasised)
                    .map(|s| s.text.as_str())
            })
            .collect();
        assert_eq!(emphasised, vec!["15", "16"]);
        assert_eq!(
            ex[2].text(),
            "Paragraph 15 says something about lot 16 and its suppliers."
        );
    }

    #[test]
    fn excerpt_is_bounded_and_separates_hunks() {
        let old = long_page(200);
        let new = old.replace("suppliers", "providers");
        let ex = excerpt(&old, &new, 12, 20);
        assert_eq!(ex.len(), 12);
        assert!(ex.iter().all(|l| l.text().chars().count() <= 20));
        assert!(ex[0].text().ends_with('…'));
        // Two separate edits far apart: a "…" line between hunks.
        let new = old
            .replace("lot 10 and", "lot X and")
            .replace("lot 100 and", "lot Y and");
        let ex = excerpt(&old, &new, 12, 300);
        assert!(ex.iter().any(|l| l.tag == ' ' && l.text() == "…"));
        assert_eq!(ex.iter().filter(|l| l.tag == '+').count(), 2);
    }

    #[test]
    fn render_plain_and_coloured() {
        let old = "one\ntwo\nthree four\nfive";
        let new = "one\ntwo\nthree FOUR\nfive\nsix";
        assert_eq!(
            render(old, new, false),
            "@@ -1,4 +1,5 @@\n one\n two\n-three four\n+three FOUR\n five\n+six\n"
        );
        let coloured = render(old, new, true);
        assert!(coloured.contains(&format!("{RED}-three {EMPHASIS}four{NO_EMPHASIS}{RESET}")));
        assert!(coloured.contains(&format!("{GREEN}+six{RESET}")));
        assert!(coloured.starts_with(CYAN));
    }

    #[test]
    fn appended_line_does_not_touch_the_previous_last_line() {
        let r = render("a\nb", "a\nb\nc", false);
        assert_eq!(r, "@@ -1,2 +1,3 @@\n a\n b\n+c\n");
    }

    #[test]
    fn pathological_pair_finishes() {
        // Two ~2 MB texts with every line reordered: bounded by the deadlines.
        let lines: Vec<String> = (0..40_000u64)
            .map(|i| {
                format!(
                    "line {i:06} {} of the supplier list, lot details and dates",
                    i.wrapping_mul(2_654_435_761) % 1_000_003
                )
            })
            .collect();
        let old = lines.join("\n");
        let mut shuffled = lines.clone();
        // Deterministic reorder: interleave from both ends.
        shuffled.sort_by_key(|l| {
            let n: u64 = l[5..11].parse().unwrap();
            n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7
        });
        let new = shuffled.join("\n");
        assert!(old.len() > 2_000_000);
        let s = diff_stats(&old, &new);
        assert!(s.words_added > 0 && s.similarity < 1.0);
        assert!(excerpt(&old, &new, 12, 300).len() <= 12);
        assert!(!render(&old, &new, true).is_empty());
    }
}
