//! Watched phrases: whether a text holds a phrase, and the line it is found in.
//!
//! "market engagement" must match `Market  Engagement` and `market\u{a0}engagement`, and must
//! not match "supermarket engagement". So a phrase is its words, matched case-insensitively,
//! separated by any run of white space, with a word boundary at each end that is a word
//! character (a phrase that starts with `£` needs none there). One regex per phrase (the
//! `regex` crate: linear time in the text); phrases are capped at [`MAX_PHRASE_CHARS`] and
//! [`MAX_PHRASE_WORDS`].

use regex::{Regex, RegexBuilder};

/// A phrase has at most this many characters…
pub const MAX_PHRASE_CHARS: usize = 200;
/// …and this many words.
pub const MAX_PHRASE_WORDS: usize = 20;

/// Why a phrase cannot be watched (reported as a config error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhraseError {
    #[error("a watched phrase is empty")]
    Empty,
    #[error(
        "a watched phrase has at most {MAX_PHRASE_CHARS} characters and {MAX_PHRASE_WORDS} words"
    )]
    TooLong,
    #[error("a watched phrase could not be compiled: {0}")]
    Pattern(String),
}

/// A compiled watched phrase.
#[derive(Debug, Clone)]
pub struct Phrase {
    phrase: String,
    re: Regex,
}

impl Phrase {
    /// Compiles `phrase` (whitespace folded).
    pub fn new(phrase: &str) -> Result<Phrase, PhraseError> {
        let words: Vec<&str> = phrase.split_whitespace().collect();
        if words.is_empty() {
            return Err(PhraseError::Empty);
        }
        let folded = words.join(" ");
        if folded.chars().count() > MAX_PHRASE_CHARS || words.len() > MAX_PHRASE_WORDS {
            return Err(PhraseError::TooLong);
        }
        let body = words
            .iter()
            .map(|w| regex::escape(w))
            .collect::<Vec<_>>()
            .join(r"\s+");
        let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let start = if is_word(folded.chars().next()) {
            r"\b"
        } else {
            ""
        };
        let end = if is_word(folded.chars().next_back()) {
            r"\b"
        } else {
            ""
        };
        let re = RegexBuilder::new(&format!("{start}{body}{end}"))
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| PhraseError::Pattern(e.to_string()))?;
        Ok(Phrase { phrase: folded, re })
    }

    /// The phrase as watched (whitespace folded).
    pub fn as_str(&self) -> &str {
        &self.phrase
    }

    /// Whether `text` holds the phrase (within one line).
    pub fn is_in(&self, text: &str) -> bool {
        self.first_line(text).is_some()
    }

    /// The first line of `text` that holds the phrase.
    pub fn first_line<'t>(&self, text: &'t str) -> Option<&'t str> {
        text.lines().find(|line| self.re.is_match(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_whitespace_and_word_boundaries() {
        let p = Phrase::new("  market   engagement ").unwrap();
        assert_eq!(p.as_str(), "market engagement");
        let text = "# Title\nThe supermarket engagement team\nEarly MARKET\u{a0} Engagement opens\nmarket engagement";
        assert_eq!(
            p.first_line(text),
            Some("Early MARKET\u{a0} Engagement opens")
        );
        assert!(!p.is_in("supermarket engagement"));
        assert!(!p.is_in("market engagements"));
        assert!(p.is_in("(market engagement)"));
        assert!(!p.is_in("market\nengagement"));
        let money = Phrase::new("£25bn").unwrap();
        assert!(money.is_in("about £25bn of spend"));
        assert!(!money.is_in("about £25bnx"));
        let dotted = Phrase::new("RM1557.14").unwrap();
        assert!(dotted.is_in("see rm1557.14 for details"));
        assert!(!dotted.is_in("RM1557x14"));
    }

    #[test]
    fn bounded() {
        assert_eq!(Phrase::new(" ").unwrap_err(), PhraseError::Empty);
        assert_eq!(
            Phrase::new(&"a".repeat(201)).unwrap_err(),
            PhraseError::TooLong
        );
        assert_eq!(
            Phrase::new(&"a ".repeat(21)).unwrap_err(),
            PhraseError::TooLong
        );
        assert!(Phrase::new("a.*b (").is_ok());
        assert!(!Phrase::new("a.*b").unwrap().is_in("axxb"));
    }
}
