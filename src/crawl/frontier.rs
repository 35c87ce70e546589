//! The frontier: what is still to be fetched this run, and what has already been judged.
//!
//! A navigation menu repeats the same links on every page, so each URL is judged once per
//! run — scheduled, or turned away (out of scope, disallowed, over budget) — and never again;
//! `/x` and `/x/` are one page, fetched once. `max_pages` bounds how many pages are
//! scheduled, and known pages are scheduled before anything new, so the budget can never
//! crowd a known page out.

use crate::model::FetchPurpose;
use crate::urlnorm;
use std::collections::{HashSet, VecDeque};
use url::Url;

/// One fetch to make.
#[derive(Debug, Clone)]
pub(super) struct Task {
    pub url: Url,
    pub depth: u32,
    /// The page this URL is (or leads to), when the store knows it.
    pub page_id: Option<i64>,
    /// `Page` or `Confirm` (the second fetch of a 404).
    pub purpose: FetchPurpose,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The SHA-256 of the page's latest body: the same bytes again need no new reading.
    pub latest_body: Option<[u8; 32]>,
}

pub(super) struct Frontier {
    queue: VecDeque<Task>,
    /// URLs scheduled this run (canonical strings).
    scheduled: HashSet<String>,
    /// URLs turned away this run.
    turned_away: HashSet<String>,
    /// Pages fetched (or scheduled) this run.
    pages: HashSet<i64>,
    budget: usize,
}

impl Frontier {
    pub(super) fn new(budget: usize) -> Self {
        Frontier {
            queue: VecDeque::new(),
            scheduled: HashSet::new(),
            turned_away: HashSet::new(),
            pages: HashSet::new(),
            budget,
        }
    }

    /// Whether `url` (as `key`) was already scheduled or turned away this run, directly, as
    /// its trailing-slash twin, or as the page it leads to.
    pub(super) fn judged(&self, key: &str, url: &Url, page: Option<i64>) -> bool {
        self.scheduled.contains(key)
            || self.turned_away.contains(key)
            || urlnorm::trailing_slash_twin(url)
                .is_some_and(|t| self.scheduled.contains(t.as_str()))
            || page.is_some_and(|id| self.pages.contains(&id))
    }

    /// Whether a stored link string still needs judging (cheap: no URL parsing).
    pub(super) fn unjudged(&self, key: &str) -> bool {
        !self.scheduled.contains(key) && !self.turned_away.contains(key)
    }

    pub(super) fn turn_away(&mut self, key: String) {
        self.turned_away.insert(key);
    }

    pub(super) fn over_budget(&self) -> bool {
        self.pages.len() >= self.budget
    }

    /// Schedules a page fetch.
    pub(super) fn schedule(&mut self, task: Task) {
        self.scheduled.insert(task.url.to_string());
        if let Some(id) = task.page_id {
            self.pages.insert(id);
        }
        self.queue.push_back(task);
    }

    /// A form of a URL that must count as scheduled (a page filed under its canonical form).
    pub(super) fn mark_scheduled(&mut self, key: String) {
        self.scheduled.insert(key);
    }

    /// A page that became known this run counts against the budget.
    pub(super) fn count_page(&mut self, id: i64) {
        self.pages.insert(id);
    }

    /// Queues a fetch outside the page budget (404 confirmations).
    pub(super) fn push_extra(&mut self, task: Task) {
        self.queue.push_back(task);
    }

    pub(super) fn pop(&mut self) -> Option<Task> {
        self.queue.pop_front()
    }
}
