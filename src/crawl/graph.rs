//! The run's link graph: which pages are linked from another page or listed in a sitemap.
//!
//! `unlinked` is a serious claim (a page still live that nothing points to any more), so the
//! graph only answers when it is complete: a sitemap that failed to load or was cut off
//! makes [`LinkGraph::linked`] answer `None` (cannot tell), and a page that could not be
//! read this run keeps the links of its last stored version (the caller supplies them).
//!
//! It holds a few bytes per page, not the links themselves: a link is resolved to the page it
//! leads to when it is recorded, and only targets that are not (yet) pages are kept, once
//! each, until the end of the run — when a redirect alias or a page found later may turn out
//! to be what they lead to. A site of 50,000 pages with 45 links each would otherwise hold
//! two million URL strings until its crawl ends.

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

/// Who links to a target that is not a page yet.
#[derive(Clone, Copy)]
enum Linkers {
    /// One page only (it may turn out to be a link to itself, which does not count).
    One(i64),
    /// Several pages, or a sitemap: linked, whatever page it turns out to be.
    Many,
}

/// Links seen this run, resolved to pages as far as they can be.
#[derive(Default)]
pub(super) struct LinkGraph {
    /// Pages linked from another page, or listed in a sitemap.
    linked: HashSet<i64>,
    /// Pages whose links were recorded this run (read now, or from their stored version).
    recorded: HashSet<i64>,
    /// Targets that were not pages when their links were recorded.
    unresolved: HashMap<String, Linkers>,
    /// A sitemap could not be read whole.
    incomplete: bool,
}

impl LinkGraph {
    /// Records the links of a page read this run (or of its stored version).
    pub(super) fn set_links<'a>(
        &mut self,
        page: i64,
        targets: impl IntoIterator<Item = &'a str>,
        index: &PageIndex,
    ) {
        self.recorded.insert(page);
        for t in targets {
            match index.get(t) {
                Some(id) if id == page => {}
                Some(id) => {
                    self.linked.insert(id);
                }
                None => self.unresolved_link(t, Linkers::One(page)),
            }
        }
    }

    fn unresolved_link(&mut self, target: &str, by: Linkers) {
        match self.unresolved.get_mut(target) {
            Some(l) => {
                if !matches!((*l, by), (Linkers::One(a), Linkers::One(b)) if a == b) {
                    *l = Linkers::Many;
                }
            }
            None => {
                self.unresolved.insert(target.to_string(), by);
            }
        }
    }

    pub(super) fn has_links(&self, page: i64) -> bool {
        self.recorded.contains(&page)
    }

    /// A URL a sitemap lists.
    pub(super) fn listed(&mut self, url: &str, index: &PageIndex) {
        match index.get(url) {
            Some(id) => {
                self.linked.insert(id);
            }
            None => self.unresolved_link(url, Linkers::Many),
        }
    }

    /// A sitemap could not be read whole: nothing can be called unlinked this run.
    pub(super) fn mark_incomplete(&mut self) {
        self.incomplete = true;
    }

    pub(super) fn is_complete(&self) -> bool {
        !self.incomplete
    }

    /// The pages linked from another page or listed in a sitemap; `None` when the graph is
    /// incomplete. A page's links to itself do not count. Targets that were not pages when
    /// recorded are resolved now, against the index as the run left it.
    pub(super) fn linked(mut self, index: &PageIndex) -> Option<HashSet<i64>> {
        if self.incomplete {
            return None;
        }
        for (target, by) in std::mem::take(&mut self.unresolved) {
            let Some(id) = index.get(&target) else {
                continue;
            };
            if !matches!(by, Linkers::One(source) if source == id) {
                self.linked.insert(id);
            }
        }
        Some(self.linked)
    }
}

impl Linkers {
    #[cfg(test)]
    fn is_many(self) -> bool {
        matches!(self, Linkers::Many)
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
        g.set_links(1, ["https://e.org/a", "https://e.org/b"], &index);
        g.set_links(2, ["https://e.org/b"], &index);
        assert_eq!(g.linked(&index), Some([2].into()));
        let mut g = LinkGraph::default();
        g.set_links(1, ["https://e.org/b"], &index);
        g.mark_incomplete();
        assert_eq!(g.linked(&index), None);
    }

    #[test]
    fn targets_that_become_pages_later_are_resolved_at_the_end() {
        let mut index = PageIndex::default();
        index.insert("https://e.org/a".into(), 1);
        let mut g = LinkGraph::default();
        // /new is not a page yet; /later is linked only by itself once it is one.
        g.set_links(1, ["https://e.org/new"], &index);
        g.set_links(1, ["https://e.org/new"], &index);
        assert!(!g.unresolved["https://e.org/new"].is_many());
        index.insert("https://e.org/new".into(), 3);
        index.insert("https://e.org/later".into(), 4);
        g.unresolved_link("https://e.org/later", Linkers::One(4));
        g.listed("https://e.org/listed", &index);
        index.insert("https://e.org/listed".into(), 5);
        assert_eq!(g.linked(&index), Some([3, 5].into()));
    }
}
