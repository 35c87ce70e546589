//! What is not content: the noise filter (scripts, forms, navigation, page chrome, cookie
//! banners, the site's `ignore` selectors), the bounded walk that skips it, and the
//! densest-block choice of content when a page has no `main` or `article`.

use super::*;

// Noise filter and traversal

/// Decides which elements (with everything inside them) are not content.
pub(super) struct Filter<'x> {
    pub(super) ignored: HashSet<NodeId>,
    /// [`COOKIE_WORDS`], case-insensitive, compiled once per extractor.
    pub(super) cookie_words: &'x Regex,
}

impl Filter<'_> {
    /// `in_content` is true inside `main`/`article`/`[role=main]`, where `header` and
    /// `footer` belong to the content rather than to the site's chrome.
    fn drops(&self, el: ElementRef, in_content: bool) -> bool {
        if self.ignored.contains(&el.id()) {
            return true;
        }
        let e = el.value();
        if &*e.name.ns == SVG_NS {
            return true;
        }
        let name = e.name();
        match name {
            "script" | "style" | "template" | "noscript" | "svg" | "iframe" | "object"
            | "embed" | "canvas" | "input" | "select" | "textarea" | "datalist" | "nav" => {
                return true
            }
            "dialog" if attr(e, "open").is_none() => return true,
            "header" | "footer" if !in_content => return true,
            _ => {}
        }
        if let Some(h) = attr(e, "hidden") {
            if !h.trim().eq_ignore_ascii_case("until-found") {
                return true;
            }
        }
        if attr(e, "aria-hidden").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return true;
        }
        let role = attr(e, "role").unwrap_or("").trim().to_ascii_lowercase();
        match role.as_str() {
            "navigation" => return true,
            "banner" | "contentinfo" if !in_content => return true,
            _ => {}
        }
        if !in_content {
            const FOOTERS: &[&str] = &["footer", "site-footer", "page-footer", "global-footer"];
            let id_is_footer = e
                .id()
                .is_some_and(|id| FOOTERS.iter().any(|f| id.eq_ignore_ascii_case(f)));
            if id_is_footer
                || e.classes()
                    .any(|c| FOOTERS.iter().any(|f| c.eq_ignore_ascii_case(f)))
            {
                return true;
            }
        }
        if matches!(name, "html" | "body" | "main" | "article") {
            return false;
        }
        self.is_cookie_banner(el, &role)
    }

    fn is_cookie_banner(&self, el: ElementRef, role: &str) -> bool {
        let e = el.value();
        let labelled = [
            "id",
            "class",
            "aria-label",
            "aria-labelledby",
            "aria-describedby",
        ]
        .iter()
        .filter_map(|a| attr(e, a))
        .any(|v| self.cookie_words.is_match(v));
        let dialog = matches!(role, "dialog" | "alertdialog")
            || attr(e, "aria-modal").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !labelled && !dialog {
            return false;
        }
        match bounded_text(el, COOKIE_TEXT_LIMIT) {
            None => false, // too big to be a banner
            Some(text) => {
                if labelled {
                    return true;
                }
                let text = text.to_lowercase();
                text.contains("cookie") || text.contains("consent")
            }
        }
    }
}

/// The text of an element if it has at most `limit` non-whitespace characters (and a
/// bounded number of nodes), else `None`.
pub(super) fn bounded_text(el: ElementRef, limit: usize) -> Option<String> {
    let mut text = String::new();
    let mut chars = 0usize;
    for (n, node) in el.descendants().enumerate() {
        if n > 4 * limit {
            return None;
        }
        if let Node::Text(t) = node.value() {
            chars += t.chars().filter(|c| !c.is_whitespace()).count();
            if chars > limit {
                return None;
            }
            text.push_str(t);
            text.push(' ');
        }
    }
    Some(text)
}

/// One step of a filtered walk.
pub(super) enum Step<'a> {
    Open(ElementRef<'a>),
    Close(ElementRef<'a>),
    Text(&'a str),
}

pub(super) fn is_content_section(el: ElementRef) -> bool {
    let e = el.value();
    matches!(e.name(), "main" | "article")
        || attr(e, "role").is_some_and(|r| r.trim().eq_ignore_ascii_case("main"))
}

/// Walks `root` in document order without recursion, skipping dropped subtrees (the root
/// itself is never dropped: it was chosen as content). `f` returns `false` to stop.
pub(super) fn walk<'a>(root: ElementRef<'a>, filter: &Filter, mut f: impl FnMut(Step<'a>) -> bool) {
    let mut skip: Option<NodeId> = None;
    let mut sections = root
        .ancestors()
        .filter_map(ElementRef::wrap)
        .filter(|a| is_content_section(*a))
        .count();
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skip.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(t) if !f(Step::Text(t)) => return,
                    Node::Text(_) => {}
                    Node::Element(_) => {
                        let Some(el) = ElementRef::wrap(node) else {
                            continue;
                        };
                        if node.id() != root.id() && filter.drops(el, sections > 0) {
                            skip = Some(node.id());
                            continue;
                        }
                        if is_content_section(el) {
                            sections += 1;
                        }
                        if !f(Step::Open(el)) {
                            return;
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(s) = skip {
                    if s == node.id() {
                        skip = None;
                    }
                    continue;
                }
                if let Some(el) = ElementRef::wrap(node) {
                    if is_content_section(el) {
                        sections = sections.saturating_sub(1);
                    }
                    if !f(Step::Close(el)) {
                        return;
                    }
                }
            }
        }
    }
}

/// Elements the densest-block descent may move into.
pub(super) fn is_container(name: &str) -> bool {
    matches!(
        name,
        "div"
            | "section"
            | "article"
            | "main"
            | "table"
            | "tbody"
            | "tr"
            | "td"
            | "center"
            | "form"
    )
}

/// The densest text block under `body`, for pages with no `main`/`article`.
///
/// Scores every container by its non-link text (dropped subtrees excluded), then descends
/// from `body` into the child container holding at least 70% of the current element's text, while
/// that child has at least 200 characters and does not leave an `h1` behind. This sheds
/// sidebars and link lists on div-soup layouts and stops as soon as the text is spread out;
/// one scoring pass plus at most [`MAX_DESCENT`] steps.
pub(super) fn densest_block<'a>(body: ElementRef<'a>, filter: &Filter<'_>) -> ElementRef<'a> {
    struct Frame {
        id: NodeId,
        score: usize,
        h1s: usize,
    }
    let mut scores: HashMap<NodeId, (usize, usize)> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut in_link = 0usize;
    walk(body, filter, |step| {
        match step {
            Step::Open(el) => {
                if el.value().name() == "a" {
                    in_link += 1;
                }
                stack.push(Frame {
                    id: el.id(),
                    score: 0,
                    h1s: 0,
                });
            }
            Step::Text(t) => {
                if in_link == 0 {
                    if let Some(top) = stack.last_mut() {
                        top.score += t.chars().filter(|c| !c.is_whitespace()).count();
                    }
                }
            }
            Step::Close(el) => {
                let name = el.value().name();
                if name == "a" {
                    in_link = in_link.saturating_sub(1);
                }
                if let Some(mut frame) = stack.pop() {
                    if name == "h1" {
                        frame.h1s += 1;
                    }
                    // Only containers can be descended into (a non-container holding 70%
                    // would leave no container at 70% either), so only they are kept.
                    if is_container(name) || frame.id == body.id() {
                        scores.insert(frame.id, (frame.score, frame.h1s));
                    }
                    if let Some(parent) = stack.last_mut() {
                        parent.score += frame.score;
                        parent.h1s += frame.h1s;
                    }
                }
            }
        }
        true
    });

    let mut cur = body;
    for _ in 0..MAX_DESCENT {
        let Some(&(cur_score, cur_h1s)) = scores.get(&cur.id()) else {
            break;
        };
        let best = cur
            .children()
            .filter_map(ElementRef::wrap)
            .filter_map(|c| scores.get(&c.id()).map(|s| (c, *s)))
            .max_by_key(|(_, (score, _))| *score);
        let Some((child, (score, h1s))) = best else {
            break;
        };
        if score < 200 || score * 10 < cur_score * 7 || h1s < cur_h1s {
            break;
        }
        cur = child;
    }
    cur
}
