//! The web UI's templates, compiled into the binary, with HTML auto-escaping through the one
//! escaper ([`crate::markup::html_formatter`]) and filters for times and sizes.

use crate::store::format_ms;
use chrono::{DateTime, TimeZone, Utc};
use minijinja::{Environment, UndefinedBehavior, Value};

pub(super) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(crate::markup::html_formatter);
    let sources: [(&str, &str); 11] = [
        ("base.html", include_str!("../../templates/serve/base.html")),
        (
            "changes_list.html",
            include_str!("../../templates/serve/changes_list.html"),
        ),
        (
            "index.html",
            include_str!("../../templates/serve/index.html"),
        ),
        ("site.html", include_str!("../../templates/serve/site.html")),
        (
            "changes.html",
            include_str!("../../templates/serve/changes.html"),
        ),
        ("page.html", include_str!("../../templates/serve/page.html")),
        (
            "version.html",
            include_str!("../../templates/serve/version.html"),
        ),
        ("diff.html", include_str!("../../templates/serve/diff.html")),
        (
            "facts.html",
            include_str!("../../templates/serve/facts.html"),
        ),
        (
            "search.html",
            include_str!("../../templates/serve/search.html"),
        ),
        (
            "error.html",
            include_str!("../../templates/serve/error.html"),
        ),
    ];
    for (name, src) in sources {
        if let Err(e) = env.add_template(name, src) {
            // Templates are compiled into the binary; the unit tests render every one.
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env.add_filter("when", when_filter);
    env.add_filter("bytes", |n: u64| human_bytes(n));
    env
}

/// A stored time (milliseconds, or an RFC 3339 string) as `<time>` in UTC, "Z" and "UTC"
/// both shown; "—" for none.
fn when_filter(v: Value) -> Value {
    let ms = if let Some(i) = v.as_i64() {
        Some(i)
    } else {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_millis())
    };
    match ms.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) {
        Some(t) => Value::from_safe_string(format!(
            "<time datetime=\"{}\">{}</time>",
            format_ms(t.timestamp_millis()),
            t.format("%Y-%m-%d %H:%M:%S UTC")
        )),
        None => Value::from("—"),
    }
}

fn human_bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn every_template_compiles() {
        let env = templates();
        for name in [
            "base.html",
            "changes_list.html",
            "index.html",
            "site.html",
            "changes.html",
            "page.html",
            "version.html",
            "diff.html",
            "facts.html",
            "search.html",
            "error.html",
        ] {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn stored_text_is_escaped_in_text_and_attributes() {
        let env = templates();
        let t = env
            .template_from_named_str("t.html", "<a title=\"{{ x }}\">{{ x }}</a>{{ n }}")
            .unwrap();
        let out = t.render(context! { x => "\"'<script>&/", n => 3 }).unwrap();
        assert_eq!(
            out,
            "<a title=\"&quot;&#39;&lt;script&gt;&amp;/\">&quot;&#39;&lt;script&gt;&amp;/</a>3"
        );
    }
}
