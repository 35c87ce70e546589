//! The run's link graph: which page links to which, what the sitemaps list, and from that,
//! which pages are linked at all.
//!
//! `unlinked` is a serious claim (a page still live that nothing points to any more), so the
//! graph only answers when it is complete: a sitemap that failed to load or was cut off
//! makes [`LinkGraph::linked`] answer `None` (cannot tell), and a page that could not be
//! read this run keeps the links of its last stored version (the caller supplies them).

use crate::urlnorm;
use std::collections::{HashMap, HashSet};

/// Page ids by URL string: pages' own URLs and aliases exactly, and their trailing-slash twins
/// (`/x` finds the page `/x/`), so the link graph resolves without parsing URLs.
#[derive(Default)]
pub(super) struct PageIndex {
    exact: HashMap<String, i64>,
    twins: HashMap<String, i64>,
}

impl PageIndex {
    pub(super) fn insert(&mut self, url: String, id: i64) {
        if let Some(twin) = urlnorm::trailing_slash_twin_str(&url) {
            self.twins.entry(twin).or_insert(id);
        }
        self.exact.insert(url, id);
    }

    /// The page a URL leads to: itself, an alias, or its trailing-slash twin.
    pub(super) fn get(&self, url: &str) -> Option<i64> {
        self.exact.get(url).or_else(|| self.twins.get(url)).copied()
    }
}

/// Links seen this run and sitemap listings.
#[derive(Default)]
pub(super) struct LinkGraph {
    /// Source page → the targets it links to (canonical URL strings).
    links: HashMap<i64, Vec<String>>,
    listed_in_sitemap: HashSet<String>,
    /// False once a sitemap failed to load or was cut off: the graph proves nothing then.
    incomplete: bool,
}

impl LinkGraph {
    /// Records the links of a page read this run (or of its stored version).
    pub(super) fn set_links(&mut self, page: i64, targets: Vec<String>) {
        self.links.insert(page, targets);
    }

    pub(super) fn has_links(&self, page: i64) -> bool {
        self.links.contains_key(&page)
    }

    pub(super) fn links_of(&self, page: i64) -> Option<&[String]> {
        self.links.get(&page).map(Vec::as_slice)
    }

    pub(super) fn listed(&mut self, url: String) {
        self.listed_in_sitemap.insert(url);
    }

    /// A sitemap could not be read whole: nothing can be called unlinked this run.
    pub(super) fn mark_incomplete(&mut self) {
        self.incomplete = true;
    }

    pub(super) fn is_complete(&self) -> bool {
        !self.incomplete
    }

    /// The pages linked from another page or listed in a sitemap; `None` when the graph is
    /// incomplete. A page's links to itself do not count.
    pub(super) fn linked(&self, index: &PageIndex) -> Option<HashSet<i64>> {
        if self.incomplete {
            return None;
        }
        let mut linked = HashSet::new();
        for (source, targets) in &self.links {
            for t in targets {
                if let Some(id) = index.get(t) {
                    if id != *source {
                        linked.insert(id);
                    }
                }
            }
        }
        for u in &self.listed_in_sitemap {
            if let Some(id) = index.get(u) {
                linked.insert(id);
            }
        }
        Some(linked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_links_do_not_count_and_twins_resolve() {
        let mut index = PageIndex::default();
        index.insert("https://e.org/a/".into(), 1);
        index.insert("https://e.org/b".into(), 2);
        let mut g = LinkGraph::default();
        g.set_links(1, vec!["https://e.org/a".into(), "https://e.org/b".into()]);
        g.set_links(2, vec!["https://e.org/b".into()]);
        assert_eq!(g.linked(&index), Some([2].into()));
        g.mark_incomplete();
        assert_eq!(g.linked(&index), None);
    }
}
