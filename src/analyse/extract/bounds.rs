//! Bounding hostile HTML before the parser sees it: a byte cap, and a cheap pre-scan that
//! ends the document at the first tag nesting deeper than [`MAX_DEPTH`] or opening more than
//! [`MAX_ELEMENTS`] elements (html5ever's tree builder is quadratic in nesting depth).

use super::*;

/// Caps the input's size and nesting depth before parsing.
pub(super) fn bound_input(html: &str) -> &str {
    let mut end = html.len().min(MAX_HTML_BYTES);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    if end < html.len() {
        tracing::warn!(
            bytes = html.len(),
            "HTML truncated to {MAX_HTML_BYTES} bytes"
        );
    }
    limit_nesting(html.get(..end).unwrap_or(""), MAX_DEPTH)
}

pub(super) const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "basefont", "bgsound", "frame",
];
/// Elements whose end tag is optional: the tree builder closes them itself, so they are not
/// counted (counting them would flag every page with unclosed `<p>`s).
pub(super) const OPTIONAL_END: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",
];
pub(super) const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Returns the prefix of `html` before the first tag that would nest elements deeper than
/// `max_depth` or open more than [`MAX_ELEMENTS`] elements, by a light tokenizer that tracks open element names much as the tree builder
/// does (void and optional-end elements are not counted; end tags pop to their match; a
/// nested `<a>` closes the open one; `/>` closes only inside svg/math).
pub(super) fn limit_nesting(html: &str, max_depth: usize) -> &str {
    let b = html.as_bytes();
    let mut stack: Vec<&[u8]> = Vec::new();
    let mut elements = 0usize;
    let mut foreign = 0usize;
    let mut i = 0usize;
    while let Some(off) = b.get(i..).and_then(|r| r.iter().position(|&c| c == b'<')) {
        let start = i + off;
        let rest = b.get(start + 1..).unwrap_or(&[]);
        if rest.starts_with(b"!--") {
            i = find(b, start + 4, b"-->").map_or(b.len(), |p| p + 3);
            continue;
        }
        match rest.first() {
            Some(b'!') | Some(b'?') => {
                i = find(b, start + 1, b">").map_or(b.len(), |p| p + 1);
            }
            Some(b'/') => {
                let name = tag_name(rest.get(1..).unwrap_or(&[]));
                i = tag_end(b, start + 2 + name.len()).0;
                if let Some(pos) = stack.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
                    foreign = foreign.saturating_sub(foreign_in(&stack, pos));
                    stack.truncate(pos);
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    tracing::warn!(
                        offset = start,
                        "HTML has more than {MAX_ELEMENTS} elements; ignoring the rest"
                    );
                    return html.get(..start).unwrap_or("");
                }
                let name = tag_name(rest);
                let (end, self_closing) = tag_end(b, start + 1 + name.len());
                i = end;
                if name.eq_ignore_ascii_case(b"plaintext") {
                    return html;
                }
                if foreign == 0 && in_list(name, RAW_TEXT) {
                    let mut close = b"</".to_vec();
                    close.extend_from_slice(name);
                    i = find_ci(b, end, &close).unwrap_or(b.len());
                    continue;
                }
                if in_list(name, VOID)
                    || in_list(name, OPTIONAL_END)
                    || (self_closing && foreign > 0)
                {
                    continue;
                }
                if name.eq_ignore_ascii_case(b"a") {
                    if let Some(pos) = stack.iter().rposition(|n| n.eq_ignore_ascii_case(b"a")) {
                        foreign = foreign.saturating_sub(foreign_in(&stack, pos));
                        stack.truncate(pos);
                    }
                }
                if is_foreign_root(name) {
                    foreign += 1;
                }
                stack.push(name);
                if stack.len() > max_depth {
                    tracing::warn!(
                        offset = start,
                        "HTML nested deeper than {max_depth} elements; ignoring the rest"
                    );
                    return html.get(..start).unwrap_or("");
                }
            }
            _ => i = start + 1,
        }
    }
    html
}

pub(super) fn in_list(name: &[u8], list: &[&str]) -> bool {
    list.iter().any(|x| x.as_bytes().eq_ignore_ascii_case(name))
}

/// How many svg/math elements the stack holds from `pos` up.
pub(super) fn foreign_in(stack: &[&[u8]], pos: usize) -> usize {
    stack
        .get(pos..)
        .unwrap_or(&[])
        .iter()
        .filter(|n| is_foreign_root(n))
        .count()
}

pub(super) fn is_foreign_root(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"svg") || name.eq_ignore_ascii_case(b"math")
}

pub(super) fn tag_name(b: &[u8]) -> &[u8] {
    let len = b
        .iter()
        .position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
        .unwrap_or(b.len());
    b.get(..len).unwrap_or(&[])
}

/// From just after a tag name, the index after the tag's `>` (attribute values in quotes
/// may hold `>`), and whether the tag ended with `/>`.
pub(super) fn tag_end(b: &[u8], mut i: usize) -> (usize, bool) {
    let mut prev = 0u8;
    while let Some(&c) = b.get(i) {
        match c {
            b'>' => return (i + 1, prev == b'/'),
            b'=' => {
                i += 1;
                while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
                    i += 1;
                }
                if let Some(&q) = b.get(i).filter(|&&q| q == b'"' || q == b'\'') {
                    i = b
                        .get(i + 1..)
                        .and_then(|r| r.iter().position(|&c| c == q))
                        .map_or(b.len(), |p| i + 1 + p + 1);
                    prev = q;
                    continue;
                }
                prev = b'=';
                continue;
            }
            _ => {}
        }
        prev = c;
        i += 1;
    }
    (b.len(), false)
}

pub(super) fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

pub(super) fn find_ci(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}
