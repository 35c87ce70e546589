//! `[[watch]]` tables: phrases a reader wants to hear about the moment they appear on, or
//! vanish from, any watched page (SPEC.md, "Watched phrases").
//!
//! Read strictly like the rest of the config: a site name that no `[[site]]` has is an error
//! naming it (a typo would otherwise watch nothing, silently), `on` is one of three words,
//! and a phrase listed twice is refused rather than reported twice.

use super::build::Ctx;
use super::{defaults, ConfigError, SiteConfig};
use serde::Deserialize;
use toml::Spanned;

/// When a watched phrase is news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchOn {
    Appear,
    Disappear,
    Both,
}

impl WatchOn {
    pub fn on_appear(self) -> bool {
        matches!(self, WatchOn::Appear | WatchOn::Both)
    }

    pub fn on_disappear(self) -> bool {
        matches!(self, WatchOn::Disappear | WatchOn::Both)
    }
}

/// One `[[watch]]`, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchConfig {
    /// As written (trimmed): what records name in `"phrase"`.
    pub phrase: String,
    /// The sites it watches; `None`: every site.
    pub sites: Option<Vec<String>>,
    pub on: WatchOn,
}

impl WatchConfig {
    /// Whether this phrase is watched on the site named `site`.
    pub fn covers(&self, site: &str) -> bool {
        self.sites
            .as_ref()
            .is_none_or(|s| s.iter().any(|n| n == site))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWatch {
    phrase: Spanned<String>,
    sites: Option<Spanned<Vec<Spanned<String>>>>,
    on: Option<Spanned<String>>,
}

/// `[[watch]]` tables, checked against the sites already built.
pub(super) fn build_watches(
    ctx: &Ctx<'_>,
    raw: Vec<Spanned<RawWatch>>,
    sites: &[SiteConfig],
) -> Result<Vec<WatchConfig>, ConfigError> {
    let mut out: Vec<WatchConfig> = Vec::with_capacity(raw.len());
    let mut folded: Vec<String> = Vec::with_capacity(raw.len());
    for (i, w) in raw.into_iter().enumerate() {
        let w = w.into_inner();
        let key = |k: &str| format!("[[watch]] {} key `{k}`", i + 1);
        let phrase = w.phrase.get_ref().trim().to_string();
        // Folded as the matcher folds it (`analyse::facts::phrases`): case and spacing.
        let fold = phrase
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if fold.is_empty() || phrase.chars().any(|c| c.is_control() && c != '\t') {
            return Err(ctx.invalid(
                Some(&w.phrase.span()),
                key("phrase"),
                "must be a non-empty phrase on one line, e.g. \"market engagement\"",
            ));
        }
        if phrase.chars().count() > defaults::MAX_PHRASE_CHARS
            || phrase.split_whitespace().count() > defaults::MAX_PHRASE_WORDS
        {
            return Err(ctx.invalid(
                Some(&w.phrase.span()),
                key("phrase"),
                format!(
                    "is longer than {} characters or {} words",
                    defaults::MAX_PHRASE_CHARS,
                    defaults::MAX_PHRASE_WORDS
                ),
            ));
        }
        if let Some(earlier) = folded.iter().position(|f| *f == fold) {
            return Err(ctx.invalid(
                Some(&w.phrase.span()),
                key("phrase"),
                format!(
                    "{phrase:?} is already watched by [[watch]] {} (phrases match whatever the \
                     case and spacing): list every site in one table",
                    earlier + 1
                ),
            ));
        }
        let watched_sites = match w.sites {
            None => None,
            Some(list) => Some(watch_sites(ctx, &key("sites"), list, sites)?),
        };
        let on = match w.on {
            None => WatchOn::Both,
            Some(on) => match on.get_ref().trim() {
                "appear" => WatchOn::Appear,
                "disappear" => WatchOn::Disappear,
                "both" => WatchOn::Both,
                other => {
                    return Err(ctx.invalid(
                        Some(&on.span()),
                        key("on"),
                        format!("expected \"appear\", \"disappear\" or \"both\", found {other:?}"),
                    ))
                }
            },
        };
        folded.push(fold);
        out.push(WatchConfig {
            phrase,
            sites: watched_sites,
            on,
        });
    }
    Ok(out)
}

/// A `sites` list: every name one of the `[[site]]` names, at least one, each once.
fn watch_sites(
    ctx: &Ctx<'_>,
    key: &str,
    list: Spanned<Vec<Spanned<String>>>,
    sites: &[SiteConfig],
) -> Result<Vec<String>, ConfigError> {
    let span = list.span();
    let list = list.into_inner();
    if list.is_empty() {
        return Err(ctx.invalid(
            Some(&span),
            key,
            "lists no site: leave `sites` out to watch every site",
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for name in list {
        let n = name.get_ref();
        if !sites.iter().any(|s| s.name == *n) {
            let known: Vec<String> = sites.iter().map(|s| format!("{:?}", s.name)).collect();
            return Err(ctx.invalid(
                Some(&name.span()),
                key,
                format!("no [[site]] named {n:?} (sites: {})", known.join(", ")),
            ));
        }
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    Ok(out)
}
