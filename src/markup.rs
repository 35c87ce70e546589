//! Page text made safe for every output it reaches: capped, kept on one line where a line is
//! wanted, stripped of the characters that make text read differently from what it is, and
//! escaped for HTML.
//!
//! Why one module: titles, summaries, excerpts and URLs all come from crawled sites, and they
//! end up in mail headers, digests, the web UI, feeds and chat messages. A rule stated in one
//! place (which characters are unsafe, how a cap is marked, what HTML escaping covers) cannot
//! drift between those outputs; every renderer calls these and nothing else.
//!
//! The reading side of the same hygiene lives here too, for the same reason: the one folding
//! of whitespace and invisible characters (extraction, facts, documents) and the one reading
//! of XML references (sitemaps, office documents).

/// Characters that must never reach a header, a rendered line, a feed or a chat message:
/// C0/C1 controls, the bidi overrides and isolates that make text read differently from what
/// it is, line and paragraph separators, the BOM, and Unicode noncharacters (U+FFFE and
/// U+FFFF are not even legal XML 1.0).
pub fn is_unsafe_char(c: char) -> bool {
    let u = c as u32;
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fdd0}'..='\u{fdef}'
        )
        || (u & 0xfffe) == 0xfffe
}

/// Characters that take no room and carry no meaning in compared text: zero-width space,
/// joiner and non-joiner, word joiner, the BOM and the soft hyphen. Dropped, not spaced.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Folds runs of whitespace (any Unicode white space, control characters) to one space,
/// drops [invisible](is_invisible) characters and trims: the one folding of a page's text, so
/// that extraction's lines and the facts read from them cannot fold differently.
pub fn fold_whitespace(s: &str) -> String {
    // One pass over the bytes: ASCII (most of any page's text) is classified without
    // decoding a char; extraction and the facts reader fold every block, so this is hot.
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    let keep = |out: &mut String, space: &mut bool| {
        if std::mem::take(space) && !out.is_empty() {
            out.push(' ');
        }
    };
    let mut rest = s;
    while let Some(&b) = rest.as_bytes().first() {
        if b.is_ascii() {
            let run = rest
                .bytes()
                .position(|b| !b.is_ascii() || b <= b' ' || b == 0x7f)
                .unwrap_or(rest.len());
            if run == 0 {
                // ASCII white space and controls are exactly the bytes up to ' ' and DEL.
                space = true;
                rest = rest.get(1..).unwrap_or("");
                continue;
            }
            keep(&mut out, &mut space);
            out.push_str(rest.get(..run).unwrap_or(""));
            rest = rest.get(run..).unwrap_or("");
        } else {
            let Some(c) = rest.chars().next() else { break };
            if c.is_whitespace() || c.is_control() {
                space = true;
            } else if !is_invisible(c) {
                keep(&mut out, &mut space);
                out.push(c);
            }
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
    }
    out
}

/// The text an XML entity or character reference stands for (`&#163;`, `&amp;`: the five XML
/// entities only; anything else is `None`), for every XML reader (sitemaps, office documents).
pub fn xml_reference_text(r: &quick_xml::events::BytesRef<'_>) -> Option<String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Some(c.to_string()),
        Ok(None) => r
            .decode()
            .ok()
            .and_then(|name| quick_xml::escape::resolve_xml_entity(&name))
            .map(str::to_string),
        Err(_) => None,
    }
}

/// Page text as one display line: control characters (CR/LF included) become spaces,
/// whitespace runs collapse, and the result is capped at `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    let mut pending_space = false;
    let mut n = 0usize;
    for c in s.chars() {
        if c.is_whitespace() || is_unsafe_char(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            n += 1;
            pending_space = false;
        }
        out.push(c);
        n += 1;
        // One character past the cap is enough to know it must be cut.
        if n > max {
            break;
        }
    }
    cap_chars(&out, max)
}

/// Replaces unsafe characters (newlines included) with spaces but keeps the spacing
/// (excerpt segments are joined as they are).
pub fn strip_controls(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe_char(c) { ' ' } else { c })
        .collect()
}

/// An excerpt line's segments made safe to show: unsafe characters replaced, the line capped
/// at `max` characters across its segments (the cut marked `…`), as (text, emphasised).
pub fn capped_segments(segments: &[crate::model::Segment], max: usize) -> Vec<(String, bool)> {
    let mut budget = max;
    let mut out = Vec::new();
    for seg in segments {
        if budget == 0 {
            break;
        }
        let text = strip_controls(&seg.text);
        let n = text.chars().count();
        let text = if n > budget {
            let mut t: String = text.chars().take(budget).collect();
            t.push('…');
            budget = 0;
            t
        } else {
            budget -= n;
            text
        };
        out.push((text, seg.emphasised));
    }
    out
}

/// At most `max` characters; a cut string ends with `…` (which counts towards `max`).
pub fn cap_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The first `max` characters, cut silently (extraction caps titles so; a marker there would
/// make a stored title change when only the cap moved).
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s).to_owned(),
        None => s.to_owned(),
    }
}

/// At most `max` bytes, cut at a character boundary, and whether it was cut (for views that
/// say "truncated" rather than mark the cut).
pub fn cap_bytes(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    (s.get(..end).unwrap_or(""), true)
}

/// Longest URL that becomes a link target.
pub const MAX_LINK_URL_CHARS: usize = 2048;

/// The URL itself when it is an absolute http(s) URL fit to be a link target; `None`
/// otherwise (`javascript:`, `data:`, relative, oversized, or carrying whitespace or unsafe
/// characters), and the caller shows the URL as text.
pub fn http_url(s: &str) -> Option<String> {
    if s.len() > MAX_LINK_URL_CHARS || s.chars().any(|c| c.is_whitespace() || is_unsafe_char(c)) {
        return None;
    }
    let u = url::Url::parse(s).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    let out = u.to_string();
    (out.len() <= MAX_LINK_URL_CHARS).then_some(out)
}

/// Escapes text for HTML element content and quoted attribute values: `& < > " '`, which is
/// all both need. (minijinja's own escaping also turns `/` into `&#x2f;`, valid but it makes
/// every URL in the markup unreadable.)
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The formatter every HTML template environment uses (the digest's and the web UI's):
/// strings that are not marked safe go through [`escape_html`]; everything else is
/// minijinja's own.
pub fn html_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() => out
            .write_str(&escape_html(text))
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {

    /// The folding as first written (split into words, invisible characters dropped): the
    /// byte-wise one must agree with it on every input.
    fn fold_by_words(s: &str) -> String {
        let mut words = Vec::new();
        for word in s.split(|c: char| c.is_whitespace() || c.is_control()) {
            let w: String = word.chars().filter(|c| !is_invisible(*c)).collect();
            if !w.is_empty() {
                words.push(w);
            }
        }
        words.join(" ")
    }

    #[test]
    fn folding_agrees_with_folding_by_words() {
        let cases = [
            "",
            " ",
            "a",
            "  a  b  ",
            "a\tb\r\nc",
            "\u{200B}",
            "a \u{200B} b",
            "a\u{200B}b",
            "\u{00A0}£25bn\u{2003}–\u{3000}x",
            "\u{7f}a\u{0}b\u{85}c",
            "é\u{FEFF} \u{AD}",
            "RM6098\u{2028}End date: 16/06/2026 ",
            "\u{200D}\u{200C}  \u{2060}z",
        ];
        for c in cases {
            assert_eq!(fold_whitespace(c), fold_by_words(c), "{c:?}");
        }
        // Every pair of characters from a mixed alphabet, as a cheap exhaustive check.
        let alphabet = [
            'a', ' ', '\t', '\u{0}', '\u{7f}', '\u{a0}', '\u{200B}', '£', '\u{2028}', 'é',
        ];
        for x in alphabet {
            for y in alphabet {
                for z in alphabet {
                    let s: String = [x, y, z, 'q', y].iter().collect();
                    assert_eq!(fold_whitespace(&s), fold_by_words(&s), "{s:?}");
                }
            }
        }
    }

    use super::*;

    #[test]
    fn one_line_folds_controls_and_caps() {
        assert_eq!(one_line("  a\r\n b\u{202e}c\t ", 10), "a b c");
        assert_eq!(one_line("abcdefghijk", 5), "abcd…");
        assert_eq!(cap_chars("ab", 2), "ab");
    }

    #[test]
    fn cap_bytes_cuts_at_a_boundary() {
        assert_eq!(cap_bytes("£25bn", 1), ("", true));
        assert_eq!(cap_bytes("£25bn", 2), ("£", true));
        assert_eq!(cap_bytes("abc", 3), ("abc", false));
    }

    #[test]
    fn only_http_urls_become_links() {
        assert!(http_url("javascript:alert(1)").is_none());
        assert!(http_url("https://e.org/a b").is_none());
        assert_eq!(
            http_url("https://e.org/a").as_deref(),
            Some("https://e.org/a")
        );
    }

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
