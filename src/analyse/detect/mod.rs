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
//! Watched-phrase records (`phrase`) do not count against that rule: a step carries them
//! beside its one state record, judged on the version the step accepts.
//!
//! The shape: one function per observation — `failed`, `gone`, `redirected`, `live` — each a
//! small state machine from the page's stored state to its new state and at most one record
//! (a `Step`), plus the phrase records of a live page; the baseline rule ("no records on a
//! site's first crawl", phrase records included) is applied once, here; `records` builds the records and holds the judgements they share (moved or
//! redirected away, a soft 404).

mod failed;
mod gone;
mod live;
mod phrase;
mod records;
mod redirected;

use crate::config::WatchConfig;
use crate::crawl::{NotFoundPrint, Observation, SiteObservations};
use crate::store::{NewChange, PageMerge, PageRow, PageUpdate, Store, StoreError, Version};
use std::collections::{HashMap, HashSet};

/// What detection decided, for [`Store::apply_detection`].
#[derive(Debug, Default)]
pub struct DetectOutcome {
    pub merges: Vec<PageMerge>,
    pub updates: Vec<PageUpdate>,
    pub changes: Vec<NewChange>,
}

/// One page's move: its new state, at most one record, the watched-phrase records beside it,
/// and (for a move whose history continues at a page first seen this run) the merge that
/// folds that page in.
struct Step {
    update: PageUpdate,
    change: Option<NewChange>,
    phrases: Vec<NewChange>,
    merge: Option<PageMerge>,
}

impl Step {
    /// The page as it was, with a fresh fail streak and `linked` as given.
    fn stay(page: &PageRow, linked: bool) -> Step {
        Step {
            update: PageUpdate {
                page_id: page.id,
                state: page.state,
                reported_version: page.reported_version,
                fail_streak: 0,
                linked,
                redirect_to: page.redirect_to.clone(),
            },
            change: None,
            phrases: Vec::new(),
            merge: None,
        }
    }

    fn with(mut self, change: Option<NewChange>) -> Step {
        self.change = change;
        self
    }
}

/// What every observation's judgement may consult.
struct Ctx<'a> {
    store: &'a Store,
    versions: HashMap<i64, Option<Version>>,
    pages: HashMap<i64, &'a PageRow>,
    by_url: HashMap<&'a str, i64>,
    not_found: Option<&'a NotFoundPrint>,
    unreachable_after: u32,
}

impl Ctx<'_> {
    /// A version with its text, read once per page judged.
    fn version(&mut self, id: Option<i64>) -> Result<Option<Version>, StoreError> {
        let Some(id) = id else { return Ok(None) };
        if let Some(v) = self.versions.get(&id) {
            return Ok(v.clone());
        }
        let v = self.store.version(id)?;
        self.versions.insert(id, v.clone());
        Ok(v)
    }

    fn title(&mut self, id: Option<i64>) -> Result<String, StoreError> {
        Ok(self.version(id)?.map(|v| v.span.title).unwrap_or_default())
    }

    /// The page at a URL (or its trailing-slash twin), looked up now rather than when the
    /// redirect was fetched: the target may have become a page later in the same run.
    fn page_at(&self, url: &str) -> Option<i64> {
        self.by_url.get(url).copied().or_else(|| {
            crate::urlnorm::trailing_slash_twin_str(url)
                .and_then(|t| self.by_url.get(t.as_str()).copied())
        })
    }
}

/// Decides every page's change for one site's run, and the `[[watch]]` phrases (of any
/// site; those covering this one apply) that appeared or disappeared.
pub fn detect(
    store: &Store,
    input: &SiteObservations,
    unreachable_after: u32,
    watches: &[WatchConfig],
) -> Result<DetectOutcome, StoreError> {
    let pages = store.pages_of_site(input.site.id)?;
    let baseline = input.site.baseline_at.is_none();
    let watches = phrase::for_site(watches, &input.site.name);
    let mut ctx = Ctx {
        store,
        versions: HashMap::new(),
        pages: pages.iter().map(|p| (p.id, p)).collect(),
        by_url: pages.iter().map(|p| (p.url.as_str(), p.id)).collect(),
        not_found: input.not_found.as_ref(),
        unreachable_after,
    };
    // Moves first, so the pages they absorb are known before `added` is judged.
    let mut order: Vec<&PageRow> = pages.iter().collect();
    order.sort_by_key(|p| {
        let redirect = matches!(
            input.observations.get(&p.id),
            Some(Observation::Redirected { .. })
        );
        (!redirect, p.id)
    });
    // Pages that a moved page's history absorbed this run: never also `added`.
    let mut absorbed: HashSet<i64> = HashSet::new();
    let mut out = DetectOutcome::default();
    for page in order {
        if absorbed.contains(&page.id) {
            continue;
        }
        let Some(obs) = input.observations.get(&page.id) else {
            continue;
        };
        // Versions are cached for one page's judgement only: a site's worth of texts held
        // until detection ends was most of a change check's memory (225 MB of 275 at 5,000
        // pages).
        ctx.versions.clear();
        let mut step = observe(&mut ctx, page, obs, input)?;
        if let Observation::Live { first_status } = obs {
            step.phrases = phrase::records(&mut ctx, page, &step, *first_status, &watches)?;
        }
        if baseline {
            // The baseline records the pages as they are: nothing is news yet.
            step.change = None;
            step.phrases.clear();
        }
        if let Some(m) = step.merge.take() {
            absorbed.extend(m.from);
            out.merges.push(m);
        }
        out.changes.extend(step.change);
        out.changes.append(&mut step.phrases);
        out.updates.push(step.update);
    }
    Ok(out)
}

/// One page's observation, judged by the function for its kind.
fn observe(
    ctx: &mut Ctx<'_>,
    page: &PageRow,
    obs: &Observation,
    input: &SiteObservations,
) -> Result<Step, StoreError> {
    match obs {
        Observation::Failed { status, error } => failed::failed(ctx, page, *status, error),
        Observation::Gone {
            status,
            first_status,
            confirmed,
            redirect_to,
        } => gone::gone(
            ctx,
            page,
            gone::Gone {
                status: *status,
                first_status: *first_status,
                confirmed: *confirmed,
                redirect_to: redirect_to.as_deref(),
            },
        ),
        Observation::Redirected {
            first_status,
            target,
            target_page,
            content,
        } => redirected::redirected(
            ctx,
            page,
            redirected::Redirect {
                first_status: *first_status,
                target,
                target_page: *target_page,
                content: content.as_ref(),
            },
        ),
        Observation::Live { first_status } => live::live(
            ctx,
            page,
            *first_status,
            live::Links {
                linked_now: input.linked.as_ref().map(|l| l.contains(&page.id)),
                is_start: input.start_pages.contains(&page.id),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChangeKind, PageState};
    use crate::store::{Content, FetchMeta, FetchRecord, SiteRow, SiteRunRecord};

    /// A store with one site past its baseline and one live page whose reported version has
    /// `old` as text and whose latest has `new`.
    fn page_with(old: &str, new: &str) -> (tempfile::TempDir, Store, SiteRow, PageRow) {
        page_with_bodies([(old, old), (new, new)])
    }

    /// As [`page_with`], with each version's body (inside `<main>`) and text given apart.
    fn page_with_bodies(
        versions: [(&str, &str); 2],
    ) -> (tempfile::TempDir, Store, SiteRow, PageRow) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("q.db")).unwrap();
        let run = store.begin_run("test").unwrap();
        let site = store.site("S").unwrap();
        let page = store
            .ensure_page(site.id, "https://s.test/home", 0, false)
            .unwrap();
        let mut ids = Vec::new();
        for (body, text) in versions {
            let stored = store
                .record_fetch(&FetchRecord {
                    meta: FetchMeta {
                        run_id: run,
                        page_id: Some(page.id),
                        status: Some(200),
                        ..Default::default()
                    },
                    body: Some(format!("<main>{body}</main>").into_bytes()),
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

    /// A 200 answer from `page`, observed.
    fn observe_live(
        store: &Store,
        site: &SiteRow,
        page: &PageRow,
        print: Option<NotFoundPrint>,
    ) -> DetectOutcome {
        observe(
            store,
            site,
            page,
            Observation::Live { first_status: 200 },
            print,
        )
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
                observations: [(page.id, obs)].into(),
                linked: Some([page.id].into()),
                start_pages: [page.id].into(),
                not_found: print,
                failure: None,
                stats: Default::default(),
            },
            3,
            &[],
        )
        .unwrap()
    }

    #[test]
    fn a_new_body_that_reads_like_the_accepted_one_is_accepted_without_a_record() {
        let text = "RM6281 Health Sector Resourcing\nEnd date 16/06/2026";
        let (_d, store, site, page) =
            page_with_bodies([("generated 06:00", text), ("generated 07:00", text)]);
        assert_ne!(page.latest_version, page.reported_version);
        let out = observe_live(&store, &site, &page, None);
        assert!(out.changes.is_empty(), "{:?}", out.changes);
        assert_eq!(out.updates.len(), 1);
        assert_eq!(out.updates[0].reported_version, page.latest_version);
    }

    #[test]
    fn a_new_body_with_a_new_text_is_still_compared() {
        let (_d, store, site, page) = page_with(
            "RM6281 Health Sector Resourcing\nEnd date 16/06/2026",
            "RM6281 Health Sector Resourcing\nEnd date 16/12/2026",
        );
        let out = observe_live(&store, &site, &page, None);
        assert_eq!(out.changes.len(), 1, "{:?}", out.changes);
        assert_eq!(out.changes[0].kind, ChangeKind::Changed);
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
        let out = observe_live(&store, &site, &page, Some(print));
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
        let out = observe_live(&store, &site, &page, Some(print));
        assert_eq!(out.changes.len(), 1);
        assert_eq!(out.changes[0].kind, ChangeKind::SoftRemoved);
    }

    #[test]
    fn failures_are_never_removals_and_unreachable_waits_for_the_streak() {
        let (_d, mut store, site, mut page) = page_with("a", "a");
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
            // Filed as a run would file it, so the next run starts from it.
            store
                .apply_detection(
                    1,
                    &site,
                    &[],
                    &out.updates,
                    &[],
                    false,
                    &SiteRunRecord::default(),
                )
                .unwrap();
            page = store.page(page.id).unwrap().unwrap();
        }
        assert_eq!(page.state, PageState::Unreachable);
    }
}
