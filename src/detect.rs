//! Detection: turn what each page answered in this run into change records, against the
//! state the store last settled on for it.
//!
//! Detection alerts on *transitions*, never on states: a page is reported `removed` once, on
//! the run its 404 is confirmed, not on every run it stays gone. The page's state and the
//! version last reported (`pages.state`, `pages.reported_version`) move only here, filed in
//! the same transaction as the records, so a crash between crawl and detection means the
//! next run finds the same transitions again.
//!
//! The two failures it is built against:
//! - **crying wolf**: a failed fetch (5xx, 429, timeout, refused connection, 401/403) is never
//!   a removal or a change — it only counts towards `unreachable`, reported after
//!   `unreachable_after` consecutive failed runs; a 404 counts only once confirmed by a
//!   second fetch; text is compared after extraction has dropped scripts, tokens, banners
//!   and the site's `ignore` rules; `unlinked` is only judged when the run saw the whole link
//!   graph (every sitemap read), and a page that could not be read keeps its old links;
//! - **missing a quiet deletion**: every known page is re-fetched every run (see
//!   [`crate::crawl`]), and a 200 that carries the site's "page not found" content is
//!   `soft_removed`.
//!
//! One record per page per run: the first of SPEC.md's order (removed, redirected, moved,
//! soft_removed, unlinked, changed) wins. A content change hidden behind another record is
//! not lost: the reported version is not advanced, so it is reported on a later run.

use crate::compare::{compare, PageText};
use crate::model::{ChangeDetail, ChangeKind, Significance};
use crate::store::{
    format_ms, Content, NewChange, PageMerge, PageRow, PageState, PageUpdate, SiteRow, Store,
    StoreError, VersionRow,
};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// What one page answered in this run.
#[derive(Debug, Clone)]
pub enum Observation {
    /// 200 (or 304) at the page's own URL; its latest version is current.
    Live { first_status: u16 },
    /// 404 or 410, possibly at the end of a redirect; `confirmed` by a second fetch.
    Gone {
        status: u16,
        first_status: u16,
        confirmed: bool,
        redirect_to: Option<String>,
    },
    /// Redirected to another page, which answered 200.
    Redirected {
        first_status: u16,
        target: String,
        target_page: Option<i64>,
        content: Option<Content>,
    },
    /// Out of reach: a network error, a timeout, a 5xx, 429, 401, 403….
    Failed { status: Option<u16>, error: String },
}

/// The site's "page not found" page, learnt this run from a path that cannot exist.
#[derive(Debug, Clone)]
pub struct NotFoundPrint {
    pub status: u16,
    pub title: String,
    pub text: String,
}

/// Everything detection needs about one site's run.
#[derive(Debug)]
pub struct SiteObservations {
    pub run_id: i64,
    pub site: SiteRow,
    pub pages: Vec<PageRow>,
    pub observations: HashMap<i64, Observation>,
    /// Pages linked from another page of this run or listed in a sitemap; `None` when the
    /// run cannot tell.
    pub linked: Option<HashSet<i64>>,
    pub start_pages: HashSet<i64>,
    pub not_found: Option<NotFoundPrint>,
    pub unreachable_after: u32,
    pub site_failed: bool,
}

/// What detection decided, for [`Store::apply_detection`].
#[derive(Debug, Default)]
pub struct DetectOutcome {
    pub merges: Vec<PageMerge>,
    pub updates: Vec<PageUpdate>,
    pub changes: Vec<NewChange>,
}

/// Similarity above which a redirect target counts as the same content (`moved`).
const MOVED_SIMILARITY: f64 = 0.8;
/// Similarity to the site's not-found page above which a 200 is a soft 404.
const NOT_FOUND_SIMILARITY: f64 = 0.9;

fn not_found_words() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)\b(page not found|not found|404|page (cannot|can't|could not|can not) be found|no longer (available|exists)|(page|document) (does not|doesn't) exist)\b",
        )
        .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    })
}

/// Decides every page's change for one site's run.
pub fn detect(store: &Store, input: &SiteObservations) -> Result<DetectOutcome, StoreError> {
    let mut out = DetectOutcome::default();
    let baseline = input.site.baseline_at.is_none();
    let linked = if input.site_failed {
        None
    } else {
        input.linked.as_ref()
    };
    let by_id: HashMap<i64, &PageRow> = input.pages.iter().map(|p| (p.id, p)).collect();
    // Redirect targets are looked up now, not when the redirect was fetched: the target may
    // have become a page later in the same run (found by a link or a sitemap).
    let by_url: HashMap<&str, i64> = input.pages.iter().map(|p| (p.url.as_str(), p.id)).collect();
    let page_at = |url: &str| -> Option<i64> {
        by_url.get(url).copied().or_else(|| {
            crate::urlnorm::trailing_slash_twin_str(url)
                .and_then(|t| by_url.get(t.as_str()).copied())
        })
    };
    // Pages that a moved page's history absorbed this run: never also `added`.
    let mut absorbed: HashSet<i64> = HashSet::new();
    let mut versions = VersionCache::new(store);

    // Moves first, so the pages they absorb are known before `added` is judged.
    let mut order: Vec<&PageRow> = input.pages.iter().collect();
    order.sort_by_key(|p| {
        (
            !matches!(
                input.observations.get(&p.id),
                Some(Observation::Redirected { .. })
            ),
            p.id,
        )
    });

    for page in order {
        if absorbed.contains(&page.id) {
            continue;
        }
        let Some(obs) = input.observations.get(&page.id) else {
            continue;
        };
        let linked_now = linked.map(|l| l.contains(&page.id));
        let mut update = PageUpdate {
            page_id: page.id,
            state: page.state,
            reported_version: page.reported_version,
            fail_streak: page.fail_streak,
            linked: linked_now.unwrap_or(page.linked),
            redirect_to: page.redirect_to.clone(),
        };
        let change: Option<NewChange> = match obs {
            Observation::Failed { status, error } => {
                update.fail_streak = page.fail_streak.saturating_add(1);
                // A page we could not read keeps its linked flag.
                update.linked = page.linked;
                let can_fall = matches!(page.state, PageState::Live | PageState::SoftRemoved);
                if !baseline && can_fall && update.fail_streak >= input.unreachable_after {
                    update.state = PageState::Unreachable;
                    let title = versions.title(page.reported_version)?;
                    Some(record(
                        page,
                        ChangeKind::Unreachable,
                        Significance::Minor,
                        title,
                        format!(
                            "no answer for {} consecutive runs (last: {})",
                            update.fail_streak,
                            match status {
                                Some(s) => format!("HTTP {s}"),
                                None => error.clone(),
                            }
                        ),
                        *status,
                    ))
                } else {
                    None
                }
            }
            Observation::Gone {
                status,
                first_status,
                confirmed,
                redirect_to,
            } => {
                update.fail_streak = 0;
                update.linked = page.linked;
                let was_up = matches!(
                    page.state,
                    PageState::Live
                        | PageState::Unreachable
                        | PageState::SoftRemoved
                        | PageState::Redirected
                        | PageState::Moved
                );
                if page.state == PageState::New {
                    // Never accepted as a page: nothing to remove.
                    None
                } else if *confirmed && was_up {
                    update.state = PageState::Removed;
                    update.redirect_to = redirect_to.clone();
                    let title = versions.title(page.reported_version)?;
                    let since = versions
                        .get(page.reported_version)?
                        .map(|v| format!("; last seen live {}", format_ms(v.last_seen)))
                        .unwrap_or_default();
                    let summary = match redirect_to {
                        Some(t) => format!(
                            "redirects ({first_status}) to {t}, which answers {status}{since}"
                        ),
                        None => format!("answers {status} (confirmed by a second fetch){since}"),
                    };
                    if baseline {
                        None
                    } else {
                        let mut c = record(
                            page,
                            ChangeKind::Removed,
                            Significance::Major,
                            title,
                            summary,
                            Some(*first_status),
                        );
                        c.redirect_to = redirect_to.clone();
                        Some(c)
                    }
                } else {
                    None
                }
            }
            Observation::Redirected {
                first_status,
                target,
                target_page,
                content,
            } => {
                update.fail_streak = 0;
                update.linked = page.linked;
                let was_up = matches!(
                    page.state,
                    PageState::Live | PageState::Unreachable | PageState::SoftRemoved
                );
                let already = matches!(page.state, PageState::Redirected | PageState::Moved)
                    && page.redirect_to.as_deref() == Some(target.as_str());
                if page.state == PageState::New || already {
                    None
                } else if was_up || page.state == PageState::Removed {
                    let old = versions.get(page.reported_version)?;
                    let title = old.as_ref().map(|v| v.title.clone()).unwrap_or_default();
                    let similarity = match (&old, content) {
                        (Some(v), Some(c)) if page.state != PageState::Removed => {
                            Some(content_similarity(v, c))
                        }
                        _ => None,
                    };
                    let same = similarity.is_some_and(|s| s >= MOVED_SIMILARITY);
                    let target_row = target_page
                        .or_else(|| page_at(target))
                        .filter(|t| *t != page.id)
                        .and_then(|t| by_id.get(&t).copied());
                    let absorbable = target_row.is_some_and(|t| t.state == PageState::New);
                    let twin = is_twin(&page.url, target);
                    if same && absorbable {
                        // The history continues at the new URL: fold the new page in.
                        let t = target_row.map(|t| t.id);
                        if let Some(t) = t {
                            absorbed.insert(t);
                        }
                        out.merges.push(PageMerge {
                            into: page.id,
                            from: t,
                            new_url: target.clone(),
                            old_url: page.url.clone(),
                        });
                        update.state = PageState::Live;
                        update.redirect_to = None;
                        update.reported_version = target_row.and_then(|t| t.latest_version);
                        if twin {
                            None
                        } else {
                            let mut c =
                                moved_record(page, title, target, *first_status, similarity);
                            c.to_version = update.reported_version;
                            Some(c)
                        }
                    } else if same {
                        update.state = PageState::Moved;
                        update.redirect_to = Some(target.clone());
                        Some(moved_record(page, title, target, *first_status, similarity))
                    } else {
                        update.state = PageState::Redirected;
                        update.redirect_to = Some(target.clone());
                        let target_title = content
                            .as_ref()
                            .map(|c| c.title.as_str())
                            .filter(|t| !t.is_empty())
                            .map(|t| format!(" (“{}”)", clip(t, 80)))
                            .unwrap_or_default();
                        let mut c = record(
                            page,
                            ChangeKind::Redirected,
                            Significance::Major,
                            title,
                            format!("now redirects ({first_status}) to {target}{target_title}"),
                            Some(*first_status),
                        );
                        c.redirect_to = Some(target.clone());
                        c.similarity = similarity;
                        Some(c)
                    }
                    .filter(|_| !baseline)
                } else {
                    None
                }
            }
            Observation::Live { first_status } => {
                update.fail_streak = 0;
                // A live page serving the version last accepted has neither changed nor turned
                // into a not-found page: only its links can tell something new. Skipping the
                // text here keeps a recheck of an unchanged site cheap.
                let unchanged =
                    page.state == PageState::Live && page.latest_version == page.reported_version;
                let latest = if unchanged {
                    None
                } else {
                    versions.get(page.latest_version)?
                };
                let soft = latest.as_ref().is_some_and(|v| {
                    !page.is_document && looks_not_found(v, input.not_found.as_ref())
                });
                match page.state {
                    PageState::New => {
                        if soft {
                            None
                        } else {
                            update.state = PageState::Live;
                            update.reported_version = page.latest_version;
                            if baseline {
                                None
                            } else {
                                let title =
                                    latest.as_ref().map(|v| v.title.clone()).unwrap_or_default();
                                let mut c = record(
                                    page,
                                    ChangeKind::Added,
                                    Significance::Major,
                                    title,
                                    if page.is_document {
                                        "new document".to_string()
                                    } else {
                                        "new page".to_string()
                                    },
                                    Some(*first_status),
                                );
                                c.to_version = page.latest_version;
                                Some(c)
                            }
                        }
                    }
                    PageState::Removed
                    | PageState::Redirected
                    | PageState::Moved
                    | PageState::Unreachable
                    | PageState::SoftRemoved
                        if !(soft && page.state == PageState::SoftRemoved) =>
                    {
                        if soft {
                            // Back from elsewhere, but as a not-found page.
                            update.state = PageState::SoftRemoved;
                            None
                        } else {
                            let was = page.state;
                            update.state = PageState::Live;
                            update.redirect_to = None;
                            let title =
                                latest.as_ref().map(|v| v.title.clone()).unwrap_or_default();
                            let mut summary =
                                format!("live again (was {})", was.as_str().replace('_', " "));
                            let old = versions.get(page.reported_version)?;
                            let mut c_detail = None;
                            if let (Some(o), Some(n)) = (&old, &latest) {
                                if o.id != n.id && !page.is_document {
                                    let cmp = compare(&page_text(o), &page_text(n));
                                    if cmp.changed {
                                        summary.push_str(&format!(
                                            "; content changed: {}",
                                            cmp.summary
                                        ));
                                        c_detail = Some(cmp);
                                    }
                                }
                            }
                            update.reported_version = page.latest_version;
                            let mut c = record(
                                page,
                                ChangeKind::Restored,
                                Significance::Major,
                                title,
                                summary,
                                Some(*first_status),
                            );
                            c.from_version = page.reported_version;
                            c.to_version = page.latest_version;
                            if let Some(cmp) = c_detail {
                                c.words_added = cmp.words_added;
                                c.words_removed = cmp.words_removed;
                                c.similarity = Some(cmp.similarity);
                                c.detail = cmp.detail;
                            }
                            (!baseline).then_some(c)
                        }
                    }
                    // Only a page that *became* a not-found page: one that always looked like
                    // it (a site whose unknown paths answer with its home page) is not news.
                    PageState::Live
                        if soft
                            && !versions
                                .get(page.reported_version)?
                                .is_some_and(|v| looks_not_found(&v, input.not_found.as_ref())) =>
                    {
                        update.state = PageState::SoftRemoved;
                        let title = versions.title(page.reported_version)?;
                        let mut c = record(
                            page,
                            ChangeKind::SoftRemoved,
                            Significance::Major,
                            title,
                            format!(
                                "answers {first_status} but with the site's “page not found” content{}",
                                latest
                                    .as_ref()
                                    .map(|v| format!(" (title “{}”)", clip(&v.title, 80)))
                                    .unwrap_or_default()
                            ),
                            Some(*first_status),
                        );
                        c.from_version = page.reported_version;
                        c.to_version = page.latest_version;
                        (!baseline).then_some(c)
                    }
                    PageState::Live => {
                        let unlinked = linked_now == Some(false)
                            && page.linked
                            && !page.is_document
                            && !input.start_pages.contains(&page.id);
                        if unlinked && !baseline {
                            let title = versions.title(page.latest_version)?;
                            Some(record(
                                page,
                                ChangeKind::Unlinked,
                                Significance::Major,
                                title,
                                "still live, but no longer linked from any page crawled nor listed in a sitemap".to_string(),
                                Some(*first_status),
                            ))
                        } else if page.latest_version != page.reported_version {
                            let old = versions.get(page.reported_version)?;
                            update.reported_version = page.latest_version;
                            match (old, latest) {
                                (Some(o), Some(n)) if !baseline => {
                                    changed_record(page, &o, &n, *first_status)
                                }
                                _ => None,
                            }
                        } else {
                            None
                        }
                    }
                    // Still a soft 404.
                    _ => None,
                }
            }
        };
        if let Some(c) = change {
            out.changes.push(c);
        }
        out.updates.push(update);
    }
    Ok(out)
}

/// A `changed` record, or none when only noise differed.
fn changed_record(
    page: &PageRow,
    old: &VersionRow,
    new: &VersionRow,
    status: u16,
) -> Option<NewChange> {
    if page.is_document {
        if old.body_sha256 == new.body_sha256 {
            return None;
        }
        let mut c = record(
            page,
            ChangeKind::Changed,
            Significance::Major,
            new.title.clone(),
            format!(
                "document changed: {} → {} bytes, sha256 {}… → {}…",
                old.body_size,
                new.body_size,
                &hex::encode(old.body_sha256)[..12],
                &hex::encode(new.body_sha256)[..12]
            ),
            Some(status),
        );
        c.from_version = Some(old.id);
        c.to_version = Some(new.id);
        return Some(c);
    }
    let cmp = compare(&page_text(old), &page_text(new));
    if !cmp.changed {
        return None;
    }
    let mut c = record(
        page,
        ChangeKind::Changed,
        cmp.significance,
        new.title.clone(),
        cmp.summary,
        Some(status),
    );
    c.from_version = Some(old.id);
    c.to_version = Some(new.id);
    c.words_added = cmp.words_added;
    c.words_removed = cmp.words_removed;
    c.similarity = Some(cmp.similarity);
    c.detail = cmp.detail;
    Some(c)
}

fn page_text(v: &VersionRow) -> PageText<'_> {
    PageText {
        title: &v.title,
        text: &v.text,
        documents: &v.documents,
    }
}

fn record(
    page: &PageRow,
    kind: ChangeKind,
    significance: Significance,
    title: String,
    summary: String,
    http_status: Option<u16>,
) -> NewChange {
    NewChange {
        page_id: page.id,
        url: page.url.clone(),
        kind,
        significance,
        title,
        summary,
        from_version: page.reported_version,
        to_version: None,
        http_status,
        redirect_to: None,
        words_added: 0,
        words_removed: 0,
        similarity: None,
        detail: ChangeDetail::default(),
    }
}

/// A `moved` record: the page now redirects to `target`, which serves the same content.
fn moved_record(
    page: &PageRow,
    title: String,
    target: &str,
    first_status: u16,
    similarity: Option<f64>,
) -> NewChange {
    let mut c = record(
        page,
        ChangeKind::Moved,
        Significance::Minor,
        title,
        format!(
            "moved to {target} ({first_status}); content essentially the same (similarity {:.2})",
            similarity.unwrap_or(1.0)
        ),
        Some(first_status),
    );
    c.redirect_to = Some(target.to_string());
    c.similarity = similarity;
    c
}

/// How alike a stored version and a redirect target's content are (0..1).
fn content_similarity(old: &VersionRow, new: &Content) -> f64 {
    if old.text.is_empty() && new.text.is_empty() {
        return if old.title == new.title { 1.0 } else { 0.0 };
    }
    crate::diff::diff_stats(&old.text, &new.text).similarity
}

/// Whether a 200 answer is really the site's not-found page.
fn looks_not_found(v: &VersionRow, print: Option<&NotFoundPrint>) -> bool {
    let first_heading = v
        .text
        .lines()
        .find(|l| l.starts_with("# "))
        .map(|l| l.trim_start_matches('#').trim())
        .unwrap_or("");
    let re = not_found_words();
    if re.is_match(&v.title) || re.is_match(first_heading) {
        return true;
    }
    match print {
        Some(p) if (200..300).contains(&p.status) || !p.text.is_empty() => {
            if p.text.trim().is_empty() {
                return false;
            }
            // Texts of very different lengths cannot be 90% alike: skip the diff.
            let (a, b) = (p.text.len() as f64, v.text.len() as f64);
            if a.min(b) < a.max(b) * NOT_FOUND_SIMILARITY * 0.5 {
                return false;
            }
            let sim = crate::diff::diff_stats(&p.text, &v.text).similarity;
            sim >= NOT_FOUND_SIMILARITY
        }
        _ => false,
    }
}

fn is_twin(a: &str, b: &str) -> bool {
    crate::urlnorm::trailing_slash_twin_str(a).as_deref() == Some(b)
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Versions read once per detection pass.
struct VersionCache<'a> {
    store: &'a Store,
    cache: HashMap<i64, Option<VersionRow>>,
}

impl<'a> VersionCache<'a> {
    fn new(store: &'a Store) -> Self {
        VersionCache {
            store,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, id: Option<i64>) -> Result<Option<VersionRow>, StoreError> {
        let Some(id) = id else { return Ok(None) };
        if let Some(v) = self.cache.get(&id) {
            return Ok(v.clone());
        }
        let v = self.store.version(id)?;
        self.cache.insert(id, v.clone());
        Ok(v)
    }

    fn title(&mut self, id: Option<i64>) -> Result<String, StoreError> {
        Ok(self.get(id)?.map(|v| v.title).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FetchRecord, SiteRunRecord};

    /// A store with one site past its baseline and one live page whose reported version has
    /// `old` as text and whose latest has `new`.
    fn page_with(old: &str, new: &str) -> (tempfile::TempDir, Store, SiteRow, PageRow) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("q.db")).unwrap();
        let run = store.begin_run("test").unwrap();
        let site = store.site("S").unwrap();
        let page = store
            .ensure_page(site.id, "https://s.test/home", 0, false)
            .unwrap();
        let mut ids = Vec::new();
        for text in [old, new] {
            let stored = store
                .record_fetch(&FetchRecord {
                    run_id: run,
                    page_id: Some(page.id),
                    purpose: "page",
                    status: Some(200),
                    body: Some(format!("<main>{text}</main>").into_bytes()),
                    content: Some(Content {
                        title: "Home".into(),
                        text: text.into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .unwrap();
            ids.push(stored.version_id.unwrap());
        }
        let update = PageUpdate {
            page_id: page.id,
            state: PageState::Live,
            reported_version: Some(ids[0]),
            fail_streak: 0,
            linked: true,
            redirect_to: None,
        };
        store
            .apply_detection(
                run,
                &site,
                &[],
                &[update],
                &[],
                true,
                &SiteRunRecord::default(),
            )
            .unwrap();
        let site = store.site("S").unwrap();
        let page = store.page(page.id).unwrap().unwrap();
        (dir, store, site, page)
    }

    fn observe(
        store: &Store,
        site: &SiteRow,
        page: &PageRow,
        obs: Observation,
        print: Option<NotFoundPrint>,
    ) -> DetectOutcome {
        detect(
            store,
            &SiteObservations {
                run_id: 1,
                site: site.clone(),
                pages: vec![page.clone()],
                observations: [(page.id, obs)].into(),
                linked: Some([page.id].into()),
                start_pages: [page.id].into(),
                not_found: print,
                unreachable_after: 3,
                site_failed: false,
            },
        )
        .unwrap()
    }

    #[test]
    fn a_page_that_always_looked_like_the_not_found_page_is_not_soft_removed() {
        // Unknown paths on this site answer with the home page itself.
        let home = "Welcome to the agreements service\nFind an agreement";
        let (_d, store, site, page) = page_with(home, &format!("{home}\nToday"));
        let print = NotFoundPrint {
            status: 200,
            title: "Home".into(),
            text: home.into(),
        };
        let out = observe(
            &store,
            &site,
            &page,
            Observation::Live { first_status: 200 },
            Some(print),
        );
        assert!(
            out.changes
                .iter()
                .all(|c| c.kind != ChangeKind::SoftRemoved),
            "{:?}",
            out.changes
        );
    }

    #[test]
    fn a_page_that_becomes_the_not_found_page_is_soft_removed() {
        let print_text = "Page not found\nSorry, we cannot find that page";
        let (_d, store, site, page) =
            page_with("RM6281 Health Sector Resourcing\nLots", print_text);
        let print = NotFoundPrint {
            status: 404,
            title: "Not found".into(),
            text: print_text.into(),
        };
        let out = observe(
            &store,
            &site,
            &page,
            Observation::Live { first_status: 200 },
            Some(print),
        );
        assert_eq!(out.changes.len(), 1);
        assert_eq!(out.changes[0].kind, ChangeKind::SoftRemoved);
    }

    #[test]
    fn failures_are_never_removals_and_unreachable_waits_for_the_streak() {
        let (_d, store, site, mut page) = page_with("a", "a");
        for run in 1..=3u32 {
            let out = observe(
                &store,
                &site,
                &page,
                Observation::Failed {
                    status: Some(503),
                    error: "HTTP 503".into(),
                },
                None,
            );
            let kinds: Vec<ChangeKind> = out.changes.iter().map(|c| c.kind).collect();
            if run < 3 {
                assert!(kinds.is_empty(), "run {run}: {kinds:?}");
            } else {
                assert_eq!(kinds, vec![ChangeKind::Unreachable]);
            }
            page.fail_streak = out.updates[0].fail_streak;
            page.state = out.updates[0].state;
        }
        assert_eq!(page.state, PageState::Unreachable);
    }
}
