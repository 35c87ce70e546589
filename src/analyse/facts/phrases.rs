//! Watched phrases (`[[watch]]`): whether a text states a phrase, and in which line.
//!
//! A phrase is matched the way a reader would: case-insensitive, with every run of
//! whitespace (spaces, tabs, no-break spaces) as one space, and on word boundaries, so
//! "market engagement" is found in "Market  Engagement:" but not in "supermarket
//! engagement" nor "market engagements". Matching is per line of the compared text (a line
//! is a paragraph, heading, list item or table row), which is also the context a record
//! quotes. Both sides are folded the same way, so the line returned is the original one.

/// Longest phrase kept, in characters (a phrase is a few words; the cap bounds the work).
pub const MAX_PHRASE_CHARS: usize = crate::config::defaults::MAX_PHRASE_CHARS;

/// A watched phrase, folded for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    folded: String,
    /// The first and last characters are word characters: the match must not continue a
    /// word on that side.
    bounded_start: bool,
    bounded_end: bool,
}

impl Phrase {
    /// The phrase as configured; an empty (or all-whitespace) phrase matches nothing.
    pub fn new(phrase: &str) -> Phrase {
        let capped: String = phrase.chars().take(MAX_PHRASE_CHARS).collect();
        let folded = fold(&capped);
        Phrase {
            bounded_start: folded.chars().next().is_some_and(is_word),
            bounded_end: folded.chars().next_back().is_some_and(is_word),
            folded,
        }
    }

    /// The phrase folded (lower case, single spaces): two phrases with the same folded form
    /// watch the same thing.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// The first line of `text` that contains the phrase.
    pub fn first_line<'a>(&self, text: &'a str) -> Option<&'a str> {
        if self.folded.is_empty() {
            return None;
        }
        text.lines().find(|line| self.in_line(line))
    }

    /// Whether `text` contains the phrase (in any one line).
    pub fn is_in(&self, text: &str) -> bool {
        self.first_line(text).is_some()
    }

    fn in_line(&self, line: &str) -> bool {
        let hay = fold(line);
        hay.match_indices(self.folded.as_str()).any(|(at, m)| {
            let before = hay[..at].chars().next_back();
            let after = hay[at + m.len()..].chars().next();
            !(self.bounded_start && before.is_some_and(is_word))
                && !(self.bounded_end && after.is_some_and(is_word))
        })
    }
}

/// Lower case, whitespace runs as one space, trimmed.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_whitespace_are_folded() {
        let p = Phrase::new("Market engagement");
        let text = "Intro\nWe are running  MARKET\u{a0}\tEngagement events.\nEnd";
        assert_eq!(
            p.first_line(text),
            Some("We are running  MARKET\u{a0}\tEngagement events.")
        );
        assert!(Phrase::new("  market   engagement ").is_in("market engagement"));
    }

    #[test]
    fn words_are_matched_whole() {
        let p = Phrase::new("market engagement");
        assert!(!p.is_in("supermarket engagement"));
        assert!(!p.is_in("market engagements"));
        assert!(!p.is_in("market_engagement"));
        assert!(p.is_in("supermarket engagement, then market engagement."));
        assert!(p.is_in("(market engagement)"));
        assert!(p.is_in("# Market engagement"));
    }

    #[test]
    fn a_phrase_does_not_span_lines() {
        assert!(!Phrase::new("market engagement").is_in("market\nengagement"));
    }

    #[test]
    fn punctuation_at_the_edges_needs_no_boundary() {
        let p = Phrase::new("£25bn");
        assert!(p.is_in("worth £25bn."));
        assert!(p.is_in("worth£25bn"));
        assert!(!p.is_in("worth £25bnx"));
    }

    #[test]
    fn an_empty_phrase_matches_nothing() {
        assert!(!Phrase::new(" \t").is_in("anything"));
        assert!(!Phrase::new("").is_in(""));
    }

    #[test]
    fn non_ascii_lower_case_changes_nothing_about_the_line_returned() {
        let p = Phrase::new("ÉTUDE");
        assert_eq!(
            p.first_line("x\nUne étude de marché"),
            Some("Une étude de marché")
        );
    }
}
