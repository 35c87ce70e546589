//! Reading the web UI's HTML in tests, shared by `tests/serve.rs` and the browser test.

/// `s` as a query-string value, as the web UI's permalinks encode it.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The texts marked `<{tag}>` in a page, in order, joined by spaces: "£17 billion" whether the
/// word diff marked it as one run or two.
pub fn marked(html: &str, tag: &str) -> String {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    html.split(open.as_str())
        .skip(1)
        .filter_map(|s| s.split(close.as_str()).next())
        .collect::<Vec<_>>()
        .join(" ")
}
