//! Searching every version ever stored: `search TEXT`.
//!
//! Every version is searched through the contentless FTS5 index (text ids → versions by
//! `text_id`), never decompressing a text per hit, so it stays fast on large stores; what a
//! user types becomes a safe FTS5 query: plain text is one phrase ("market engagement",
//! "RM6281", "£25bn" just work), an explicit `"…"` phrase, a `foo*` prefix, `AND`/`OR`/`NOT`
//! and parentheses pass through, and bad syntax is a clear error.

use super::history::{HistoryError, Result};
use crate::model::PageState;
use crate::store::{Store, StoreError};
use serde::Serialize;

/// Most version rows one search gathers; a query matching more (a very common word on a
/// huge store) is answered from the first ones, with a warning in the log.
const MAX_SEARCH_ROWS: usize = 1_000_000;

/// Longest search query accepted, in bytes: FTS5 parses it, and nobody types more.
const MAX_QUERY_BYTES: usize = 2_000;

/// One page whose stored versions contain the searched text.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub url: String,
    pub site: String,
    /// The title of the page's latest version ("" when it has none).
    pub title: String,
    /// Earliest `first_seen` among the page's versions containing the text.
    pub first_seen: i64,
    /// Latest `last_seen` among them: the last time the text was seen on the page.
    pub last_seen: i64,
    /// The page's latest version contains the text and the page is live (state `live`, or
    /// `moved` — its content lives on at the new URL — or `new`, not yet judged).
    pub present_now: bool,
    /// The page's latest version contains the text, whatever the page's state (a removed
    /// page's last words still had it).
    pub in_latest: bool,
    /// Versions of the page containing the text, oldest first.
    pub version_ids: Vec<i64>,
    /// The page's state as detection left it (live, removed, redirected…).
    pub page_state: PageState,
    pub state_since: Option<i64>,
    /// When the text was last dropped: the version that followed the last one containing it.
    pub gone_in_version: Option<i64>,
    /// That version's `first_seen`.
    pub gone_since: Option<i64>,
}

#[derive(Debug, PartialEq)]
enum Tok {
    Phrase { inner: String, prefix: bool },
    Word(String),
    Open,
    Close,
}

fn quote(inner: &str) -> String {
    format!("\"{}\"", inner.replace('"', "\"\""))
}

/// Turns what a user typed into an FTS5 query.
///
/// - Plain text (no `"`, no parentheses, no `AND`/`OR`/`NOT`) is one phrase: `market
///   engagement` finds those words together, and characters FTS5 would read as syntax
///   (`£25bn`, `RM1557.14`, `e-tendering`, `body:x`) are inside quotes, so they just work.
///   A trailing `*` makes it a prefix phrase (`engag*`, `market engag*`).
/// - Otherwise it is an expression: `"…"` phrases (with an optional `*`), `AND`, `OR`, `NOT`
///   and parentheses pass through; every other word is quoted (keeping a trailing `*`).
pub fn fts_query(input: &str) -> Result<String> {
    let input = input.trim();
    if input.is_empty() || input.chars().all(|c| c == '*' || c.is_whitespace()) {
        return Err(HistoryError::EmptyQuery);
    }
    if input.len() > MAX_QUERY_BYTES {
        return Err(HistoryError::BadQuery {
            query: input.chars().take(40).collect::<String>() + "…",
            message: format!("longer than {MAX_QUERY_BYTES} bytes"),
        });
    }
    let toks = tokenize(input)?;
    let expression = toks.iter().any(|t| match t {
        Tok::Phrase { .. } | Tok::Open | Tok::Close => true,
        Tok::Word(w) => matches!(w.as_str(), "AND" | "OR" | "NOT"),
    });
    if !expression {
        return Ok(match input.strip_suffix('*') {
            Some(core) if !core.ends_with(char::is_whitespace) => format!("{}*", quote(core)),
            _ => quote(input),
        });
    }
    let parts: Vec<String> = toks
        .into_iter()
        .map(|t| match t {
            Tok::Open => "(".to_string(),
            Tok::Close => ")".to_string(),
            Tok::Phrase { inner, prefix } => {
                format!("{}{}", quote(&inner), if prefix { "*" } else { "" })
            }
            Tok::Word(w) if matches!(w.as_str(), "AND" | "OR" | "NOT") => w,
            Tok::Word(w) => match w.strip_suffix('*') {
                Some(core) if !core.is_empty() => format!("{}*", quote(core)),
                _ => quote(&w),
            },
        })
        .collect();
    Ok(parts.join(" "))
}

fn tokenize(input: &str) -> Result<Vec<Tok>> {
    let mut toks = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            chars.next();
            toks.push(Tok::Open);
        } else if c == ')' {
            chars.next();
            toks.push(Tok::Close);
        } else if c == '"' {
            chars.next();
            let mut inner = String::new();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        inner.push('"');
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    inner.push(c);
                }
            }
            if !closed {
                return Err(HistoryError::BadQuery {
                    query: input.to_string(),
                    message: "a quote is not closed".to_string(),
                });
            }
            let prefix = chars.peek() == Some(&'*');
            if prefix {
                chars.next();
            }
            toks.push(Tok::Phrase { inner, prefix });
        } else {
            let mut w = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' || c == '(' || c == ')' {
                    break;
                }
                w.push(c);
                chars.next();
            }
            toks.push(Tok::Word(w));
        }
    }
    Ok(toks)
}

/// `search TEXT`: every page one of whose versions contains the text, with when it was first
/// and last seen there and whether it is there now; sorted by URL.
///
/// One SQL statement: the FTS5 index gives the matching text ids, `versions_text` the
/// versions that carry them. No text is decompressed.
pub fn search(store: &Store, query: &str) -> Result<Vec<SearchHit>> {
    let fts = fts_query(query)?;
    // Syntax check through the store, which turns FTS5's complaints into BadQuery.
    store.search_text_ids(&fts, 1).map_err(|e| match e {
        StoreError::BadQuery { message, .. } => HistoryError::BadQuery {
            query: query.to_string(),
            message,
        },
        other => HistoryError::from(other),
    })?;
    // Rows come ordered by page, then version: one hit per page.
    let mut hits: Vec<SearchHit> = Vec::new();
    let mut latest: Vec<Option<i64>> = Vec::new();
    let mut page_ids: Vec<i64> = Vec::new();
    let n = store.text_matches(&fts, MAX_SEARCH_ROWS, |m| match hits.last_mut() {
        Some(h) if page_ids.last() == Some(&m.page_id) => {
            h.first_seen = h.first_seen.min(m.first_seen);
            h.last_seen = h.last_seen.max(m.last_seen);
            h.version_ids.push(m.version_id);
        }
        _ => {
            page_ids.push(m.page_id);
            latest.push(m.latest_version);
            hits.push(SearchHit {
                url: m.url,
                site: m.site,
                title: m.latest_title.unwrap_or_default(),
                first_seen: m.first_seen,
                last_seen: m.last_seen,
                present_now: false,
                in_latest: false,
                version_ids: vec![m.version_id],
                page_state: m.state,
                state_since: m.state_since,
                gone_in_version: None,
                gone_since: None,
            });
        }
    })?;
    if n >= MAX_SEARCH_ROWS {
        tracing::warn!(
            query,
            "search matched more than {MAX_SEARCH_ROWS} versions; answering from the first ones"
        );
    }
    for ((h, page_id), latest) in hits.iter_mut().zip(page_ids).zip(latest) {
        h.in_latest = latest.is_some_and(|l| h.version_ids.contains(&l));
        let live = matches!(
            h.page_state,
            PageState::Live | PageState::New | PageState::Moved
        );
        h.present_now = h.in_latest && live;
        if !h.in_latest {
            let last_match = h.version_ids.last().copied().unwrap_or(0);
            if let Some((v, at)) = store.next_version(page_id, last_match)? {
                h.gone_in_version = Some(v);
                h.gone_since = Some(at);
            }
        }
    }
    hits.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_one_phrase() {
        assert_eq!(
            fts_query("market engagement").unwrap(),
            "\"market engagement\""
        );
        assert_eq!(fts_query("RM6281").unwrap(), "\"RM6281\"");
        assert_eq!(fts_query("£25bn").unwrap(), "\"£25bn\"");
        assert_eq!(fts_query("RM1557.14").unwrap(), "\"RM1557.14\"");
        assert_eq!(fts_query("body:x - y").unwrap(), "\"body:x - y\"");
        assert_eq!(fts_query("engag*").unwrap(), "\"engag\"*");
        assert_eq!(fts_query("market engag*").unwrap(), "\"market engag\"*");
    }

    #[test]
    fn explicit_syntax_passes_through_and_bare_words_are_quoted() {
        assert_eq!(
            fts_query("\"market engagement\"").unwrap(),
            "\"market engagement\""
        );
        assert_eq!(
            fts_query("\"market engag\"* OR RM6281").unwrap(),
            "\"market engag\"* OR \"RM6281\""
        );
        assert_eq!(
            fts_query("(£25bn OR £17bn) NOT draft*").unwrap(),
            "( \"£25bn\" OR \"£17bn\" ) NOT \"draft\"*"
        );
        assert_eq!(
            fts_query("\"say \"\"hi\"\"\"").unwrap(),
            "\"say \"\"hi\"\"\""
        );
    }

    #[test]
    fn empty_and_unterminated_queries_are_errors() {
        assert!(matches!(fts_query("  "), Err(HistoryError::EmptyQuery)));
        assert!(matches!(fts_query("*"), Err(HistoryError::EmptyQuery)));
        let e = fts_query("\"market engagement").unwrap_err();
        assert!(e.to_string().contains("not closed"), "{e}");
    }
}
