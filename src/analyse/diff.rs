//! Line diffs with word-level highlights, always in bounded time.
//!
//! Four consumers want four shapes of the same diff: detection wants numbers (words added
//! and removed, a similarity), the digest wants a short excerpt with the changed words
//! emphasised, `quietwatch diff` wants a readable unified diff and `quietwatch serve` wants
//! numbered lines to lay out side by side. The last three are views of one structure,
//! [`LineDiff::hunks`], so they cannot disagree. All of them read one
//! [`LineDiff`] of the *extracted* text (one block per line, see [`crate::analyse::extract`]): lines
//! are diffed first, then words inside changed blocks only, so the cost follows the size of
//! the change, and a caller wanting several views (see [`crate::analyse::compare`]) diffs once.
//!
//! Page content is hostile and diff algorithms are not linear: two 2 MB texts with every
//! line reordered would keep Myers busy for minutes. Every diff therefore runs against a
//! deadline ([`LINE_BUDGET`] for the line diff, [`WORD_BUDGET`] shared by all word diffs of
//! one [`LineDiff`]); past it `similar` settles for a coarser but still correct diff (whole
//! blocks replaced), so counts may overstate a pathological change but never hang. Equal
//! texts short-circuit before any diffing.
//!
//! Words are maximal runs of non-whitespace. Similarity is
//! `2 × unchanged words / (old words + new words)`, 1.0 for two empty texts. Within a
//! replaced block, changed words are emphasised only when at least half the words survived;
//! a line rewritten outright is shown whole, as emphasising every word would say nothing.

use std::time::{Duration, Instant};

use similar::{capture_diff_slices_deadline, group_diff_ops, Algorithm, DiffOp, DiffTag};

use crate::model::{ExcerptLine, Segment};

/// Time allowed for one line diff before it settles for a coarser answer.
pub const LINE_BUDGET: Duration = Duration::from_millis(500);
/// Time allowed for all the word diffs read from one [`LineDiff`] together.
pub const WORD_BUDGET: Duration = Duration::from_millis(250);
/// Context lines around each hunk in [`render`].
/// Word emphasis needs at least this share of a replaced block's words unchanged.
const MIN_INLINE_RATIO: f64 = 0.5;

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

impl DiffStats {
    const EQUAL: DiffStats = DiffStats {
        words_added: 0,
        words_removed: 0,
        similarity: 1.0,
        lines_added: 0,
        lines_removed: 0,
    };
}

/// A line diff of two texts, computed once (within [`LINE_BUDGET`]) and read several ways.
#[derive(Debug, Clone)]
pub struct LineDiff<'a> {
    old: Vec<&'a str>,
    new: Vec<&'a str>,
    ops: Vec<DiffOp>,
    /// The line diff hit [`LINE_BUDGET`] and is coarser than it could be.
    line_coarse: bool,
    /// Shared by every word diff read from this line diff.
    word_deadline: Instant,
}

impl<'a> LineDiff<'a> {
    /// Diffs two texts line by line (`str::lines`: `\n` or `\r\n`, no empty last line).
    pub fn new(old: &'a str, new: &'a str) -> LineDiff<'a> {
        let old_lines: Vec<&str> = old.lines().collect();
        let new_lines: Vec<&str> = new.lines().collect();
        let line_deadline = Instant::now() + LINE_BUDGET;
        let ops = if old == new {
            vec![DiffOp::Equal {
                old_index: 0,
                new_index: 0,
                len: old_lines.len(),
            }]
        } else {
            capture_diff_slices_deadline(
                Algorithm::Myers,
                &old_lines,
                &new_lines,
                Some(line_deadline),
            )
        };
        LineDiff {
            old: old_lines,
            new: new_lines,
            ops,
            line_coarse: Instant::now() > line_deadline,
            word_deadline: Instant::now() + WORD_BUDGET,
        }
    }

    /// The diff operations over line indices.
    pub fn ops(&self) -> &[DiffOp] {
        &self.ops
    }

    pub fn old_lines(&self) -> &[&'a str] {
        &self.old
    }

    pub fn new_lines(&self) -> &[&'a str] {
        &self.new
    }

    /// Whether the texts have the same lines.
    pub fn is_equal(&self) -> bool {
        self.ops.iter().all(|op| op.tag() == DiffTag::Equal)
    }

    fn old_block(&self, op: &DiffOp) -> &[&'a str] {
        self.old.get(op.old_range()).unwrap_or(&[])
    }

    fn new_block(&self, op: &DiffOp) -> &[&'a str] {
        self.new.get(op.new_range()).unwrap_or(&[])
    }

    /// Words and lines added and removed; see [`diff_stats`].
    pub fn stats(&self) -> DiffStats {
        if self.is_equal() {
            return DiffStats::EQUAL;
        }
        let (mut kept, mut added, mut removed) = (0u64, 0u64, 0u64);
        let (mut lines_added, mut lines_removed) = (0u64, 0u64);
        for op in &self.ops {
            let (old_block, new_block) = (self.old_block(op), self.new_block(op));
            if op.tag() != DiffTag::Equal {
                lines_removed += old_block.len() as u64;
                lines_added += new_block.len() as u64;
            }
            match op.tag() {
                DiffTag::Equal => kept += count_words(old_block),
                DiffTag::Delete => removed += count_words(old_block),
                DiffTag::Insert => added += count_words(new_block),
                DiffTag::Replace => {
                    let (ow, nw) = (words(old_block), words(new_block));
                    let word_ops = capture_diff_slices_deadline(
                        Algorithm::Myers,
                        &ow,
                        &nw,
                        Some(self.word_deadline),
                    );
                    for w in word_ops {
                        if w.tag() == DiffTag::Equal {
                            kept += w.old_range().len() as u64;
                        } else {
                            removed += w.old_range().len() as u64;
                            added += w.new_range().len() as u64;
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

    /// The lines of one op, limited to `limit` lines per side, numbered.
    fn op_lines(&self, op: &DiffOp, limit: usize) -> Vec<DiffLine> {
        let old_block = self.old_block(op);
        let new_block = self.new_block(op);
        let old_block = old_block.get(..limit.min(old_block.len())).unwrap_or(&[]);
        let new_block = new_block.get(..limit.min(new_block.len())).unwrap_or(&[]);
        let (old_at, new_at) = (op.old_range().start, op.new_range().start);
        // Line `i` of the op's block on each side, 1-based in its text.
        let line = |tag: char, i: usize, segments: Vec<Segment>, whole: bool| DiffLine {
            tag,
            old_line: (tag != '+').then_some(old_at + i + 1),
            new_line: (tag != '-').then_some(new_at + i + 1),
            segments,
            whole,
        };
        let plain = |tag: char, lines: &[&str]| -> Vec<DiffLine> {
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let segments = vec![Segment {
                        text: (*l).to_owned(),
                        emphasised: false,
                    }];
                    line(tag, i, segments, tag != ' ')
                })
                .collect()
        };
        match op.tag() {
            DiffTag::Equal => plain(' ', old_block),
            DiffTag::Delete => plain('-', old_block),
            DiffTag::Insert => plain('+', new_block),
            DiffTag::Replace => match inline_block(old_block, new_block, self.word_deadline) {
                Some((old_lines, new_lines)) => old_lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| line('-', i, s, false))
                    .chain(
                        new_lines
                            .into_iter()
                            .enumerate()
                            .map(|(i, s)| line('+', i, s, false)),
                    )
                    .collect(),
                None => {
                    let mut out = plain('-', old_block);
                    out.extend(plain('+', new_block));
                    out
                }
            },
        }
    }

    /// Changed lines in hunks with `context` unchanged lines around each change, numbered,
    /// the changed words emphasised — the structure [`LineDiff::excerpt`], [`LineDiff::render`]
    /// and the web UI's side-by-side view are drawn from. At most `max_lines` lines in all;
    /// word-level work is done only for the lines kept. Empty when the texts are equal.
    pub fn hunks(&self, context: usize, max_lines: usize) -> Hunks {
        let mut out = Hunks {
            coarse: self.line_coarse,
            ..Hunks::default()
        };
        if self.is_equal() {
            return out;
        }
        let mut produced = 0usize;
        let mut old_pos = 0usize;
        for group in group_diff_ops(self.ops.clone(), context) {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                continue;
            };
            if produced >= max_lines {
                out.truncated = true;
                break;
            }
            let (old_start, new_start) = (first.old_range().start, first.new_range().start);
            let mut hunk = Hunk {
                skipped: old_start.saturating_sub(old_pos),
                old_start,
                old_len: last.old_range().end.saturating_sub(old_start),
                new_start,
                new_len: last.new_range().end.saturating_sub(new_start),
                lines: Vec::new(),
            };
            old_pos = last.old_range().end;
            for op in &group {
                let room = max_lines.saturating_sub(produced);
                let lines = self.op_lines(op, room);
                let (kept, cut) = (lines.len().min(room), lines.len() > room);
                let full = match op.tag() {
                    DiffTag::Equal | DiffTag::Delete => op.old_range().len(),
                    DiffTag::Insert => op.new_range().len(),
                    DiffTag::Replace => op.old_range().len() + op.new_range().len(),
                };
                hunk.lines.extend(lines.into_iter().take(kept));
                produced += kept;
                if cut || full > kept {
                    out.truncated = true;
                    break;
                }
            }
            out.hunks.push(hunk);
            if out.truncated {
                break;
            }
        }
        if !out.truncated {
            out.skipped_after = self.old.len().saturating_sub(old_pos);
        }
        out.coarse |= Instant::now() > self.word_deadline;
        out
    }

    /// A short excerpt for digests; see [`excerpt`].
    pub fn excerpt(&self, max_lines: usize, max_line_chars: usize) -> Vec<ExcerptLine> {
        let mut out: Vec<ExcerptLine> = Vec::new();
        'hunks: for (i, hunk) in self.hunks(1, max_lines).hunks.into_iter().enumerate() {
            if i > 0 {
                if out.len() + 2 > max_lines {
                    break;
                }
                out.push(ExcerptLine {
                    tag: ' ',
                    segments: vec![Segment {
                        text: "…".to_owned(),
                        emphasised: false,
                    }],
                    whole: false,
                });
            }
            for line in hunk.lines {
                if out.len() >= max_lines {
                    break 'hunks;
                }
                out.push(ExcerptLine {
                    tag: line.tag,
                    segments: cap_segments(line.segments, max_line_chars),
                    whole: line.whole,
                });
            }
        }
        out
    }
}

/// One line of a [`LineDiff::hunks`] diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// `' '` context, `'-'` removed, `'+'` added (as in [`ExcerptLine`]).
    pub tag: char,
    /// 1-based line number in the old text (`None` for an added line).
    pub old_line: Option<usize>,
    /// 1-based line number in the new text (`None` for a removed line).
    pub new_line: Option<usize>,
    /// The line; inside a replaced block that mostly survived, the changed words (and the
    /// spaces between two of them) are emphasised.
    pub segments: Vec<Segment>,
    /// The line was added, removed or rewritten outright: it changed as a whole, not word by
    /// word (it carries no emphasis). A `'-'` line with no emphasis and `whole == false`
    /// lost no words: its block only gained some.
    pub whole: bool,
}

/// Changed lines with their context, as a unified diff's `@@` hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// Unchanged lines left out between the previous hunk (or the start) and this one.
    pub skipped: usize,
    /// 0-based start and length of the hunk in the old text.
    pub old_start: usize,
    pub old_len: usize,
    /// 0-based start and length of the hunk in the new text.
    pub new_start: usize,
    pub new_len: usize,
    /// The hunk's lines in order (in a replaced block the removed lines come first); cut
    /// short only when [`Hunks::truncated`].
    pub lines: Vec<DiffLine>,
}

/// The result of [`LineDiff::hunks`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hunks {
    pub hunks: Vec<Hunk>,
    /// Unchanged lines after the last hunk (0 when truncated: not shown).
    pub skipped_after: usize,
    /// `max_lines` was reached: later lines are left out.
    pub truncated: bool,
    /// A deadline passed: the diff is coarser than it could be (blocks replaced whole).
    pub coarse: bool,
}

/// Counts the words and lines added and removed between two texts.
///
/// Lines are diffed first; inside each replaced block the words are diffed, so a one-word
/// edit in a long paragraph counts one word removed and one added, not the whole line.
pub fn diff_stats(old: &str, new: &str) -> DiffStats {
    if old == new {
        return DiffStats::EQUAL;
    }
    LineDiff::new(old, new).stats()
}

/// A short excerpt for digests: changed lines with one line of context, the changed words
/// emphasised, at most `max_lines` lines (hunks separated by a context line "…") of at most
/// `max_line_chars` characters each.
pub fn excerpt(old: &str, new: &str, max_lines: usize, max_line_chars: usize) -> Vec<ExcerptLine> {
    if old == new {
        return Vec::new();
    }
    LineDiff::new(old, new).excerpt(max_lines, max_line_chars)
}

fn words<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    lines.iter().flat_map(|l| l.split_whitespace()).collect()
}

fn count_words(lines: &[&str]) -> u64 {
    lines
        .iter()
        .map(|l| l.split_whitespace().count() as u64)
        .sum()
}

/// One line as emphasised and plain runs.
type LineSegments = Vec<Segment>;

/// Word-level emphasis for a replaced block: the block's words are diffed as one sequence
/// and each line is rebuilt as segments, changed words emphasised (and the spaces between
/// two changed words, so a changed phrase reads as one). `None` when fewer than half the
/// words survived.
fn inline_block(
    old: &[&str],
    new: &[&str],
    deadline: Instant,
) -> Option<(Vec<LineSegments>, Vec<LineSegments>)> {
    let (ow, nw) = (words(old), words(new));
    let ops = capture_diff_slices_deadline(Algorithm::Patience, &ow, &nw, Some(deadline));
    let mut old_changed = vec![true; ow.len()];
    let mut new_changed = vec![true; nw.len()];
    let mut kept = 0usize;
    for op in &ops {
        if op.tag() == DiffTag::Equal {
            kept += op.old_range().len();
            for i in op.old_range() {
                if let Some(c) = old_changed.get_mut(i) {
                    *c = false;
                }
            }
            for i in op.new_range() {
                if let Some(c) = new_changed.get_mut(i) {
                    *c = false;
                }
            }
        }
    }
    let total = ow.len() + nw.len();
    if total == 0 || ((2 * kept) as f64 / total as f64) < MIN_INLINE_RATIO {
        return None;
    }
    Some((
        segment_lines(old, &old_changed),
        segment_lines(new, &new_changed),
    ))
}

/// Rebuilds lines as segments from per-word change flags (words in `split_whitespace` order
/// across all lines).
fn segment_lines(lines: &[&str], changed: &[bool]) -> Vec<LineSegments> {
    let mut flags = changed.iter().copied();
    lines
        .iter()
        .map(|line| {
            // Tokens: (text, Some(changed)) for words, (text, None) for whitespace runs.
            let mut tokens: Vec<(&str, Option<bool>)> = Vec::new();
            let mut rest = *line;
            while !rest.is_empty() {
                let ws = rest.len() - rest.trim_start().len();
                if ws > 0 {
                    let (space, tail) = rest.split_at(ws);
                    tokens.push((space, None));
                    rest = tail;
                    continue;
                }
                let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let (word, tail) = rest.split_at(word_len);
                tokens.push((word, Some(flags.next().unwrap_or(true))));
                rest = tail;
            }
            let mut segments = Vec::new();
            for (i, (text, flag)) in tokens.iter().enumerate() {
                let emphasised = match flag {
                    Some(c) => *c,
                    None => {
                        let before = i.checked_sub(1).and_then(|j| tokens.get(j));
                        let after = tokens.get(i + 1);
                        matches!(before, Some((_, Some(true))))
                            && matches!(after, Some((_, Some(true))))
                    }
                };
                push_segment(&mut segments, text, emphasised);
            }
            segments
        })
        .collect()
}

/// Appends text to segments, merging with the previous segment of the same emphasis.
fn push_segment(segments: &mut Vec<Segment>, text: &str, emphasised: bool) {
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
    fn changed_phrase_reads_as_one_and_rewrites_are_not_emphasised() {
        let ex = excerpt(
            "Spend is about £25bn a year.",
            "Spend is in the region of £17 billion a year.",
            12,
            300,
        );
        let emphasised: Vec<&str> = ex
            .iter()
            .flat_map(|l| l.segments.iter().filter(|s| s.emphasised))
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(
            emphasised,
            vec!["about £25bn", "in the region of £17 billion"]
        );
        let ex = excerpt(
            "Completely different words here",
            "Nothing alike at all now",
            12,
            300,
        );
        assert_eq!(ex.len(), 2);
        assert!(ex.iter().all(|l| l.segments.iter().all(|s| !s.emphasised)));
    }

    #[test]
    fn hunks_number_lines_count_skipped_lines_and_stop_at_the_cap() {
        let old: String = (1..=10).map(|i| format!("line number {i}\n")).collect();
        let new = old.replace("line number 5\n", "line number five\n");
        let d = LineDiff::new(&old, &new);
        let h = d.hunks(3, 100);
        assert!(!h.truncated && !h.coarse);
        assert_eq!(h.hunks.len(), 1);
        let hunk = &h.hunks[0];
        assert_eq!((hunk.skipped, h.skipped_after), (1, 2));
        assert_eq!(
            (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len),
            (1, 7, 1, 7)
        );
        let tags: String = hunk.lines.iter().map(|l| l.tag).collect();
        assert_eq!(tags, "   -+   ");
        let del = &hunk.lines[3];
        assert_eq!(
            (del.old_line, del.new_line, del.whole),
            (Some(5), None, false)
        );
        assert_eq!(
            del.segments,
            vec![
                Segment {
                    text: "line number ".into(),
                    emphasised: false
                },
                Segment {
                    text: "5".into(),
                    emphasised: true
                },
            ]
        );
        let ins = &hunk.lines[4];
        assert_eq!((ins.old_line, ins.new_line), (None, Some(5)));
        assert_eq!(
            (hunk.lines[5].old_line, hunk.lines[5].new_line),
            (Some(6), Some(6))
        );

        let cut = d.hunks(3, 4);
        assert!(cut.truncated);
        assert_eq!(cut.hunks.iter().map(|h| h.lines.len()).sum::<usize>(), 4);
        assert_eq!(cut.skipped_after, 0);
        assert!(LineDiff::new(&old, &old).hunks(3, 100).hunks.is_empty());

        // Lines added, removed or rewritten outright are whole; a line that only gained
        // words is not, though nothing in it is emphasised.
        let h = LineDiff::new(
            "keep\nPenetration Testing Services\ngone line\n",
            "keep\nPenetration Testing and IT Health Check Services\n",
        )
        .hunks(3, 100);
        let lines = &h.hunks[0].lines;
        let old_heading = lines.iter().find(|l| l.tag == '-' && l.old_line == Some(2));
        assert!(old_heading.is_some_and(|l| !l.whole && l.segments.iter().all(|s| !s.emphasised)));
        let h = LineDiff::new("a\nb\n", "a\nb\nwholly new\n").hunks(3, 100);
        assert!(h.hunks[0].lines.iter().any(|l| l.tag == '+' && l.whole));
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
        let h = LineDiff::new(&old, &new).hunks(3, 5000);
        assert!(h.truncated);
        assert_eq!(h.hunks.iter().map(|h| h.lines.len()).sum::<usize>(), 5000);
        assert!(!LineDiff::new(&old, &new)
            .hunks(3, usize::MAX)
            .hunks
            .is_empty());
    }
}
