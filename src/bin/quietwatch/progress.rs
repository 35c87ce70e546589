//! The progress bar `crawl` and `run` show on a terminal (nothing under cron).

use quietwatch::crawl::Progress;
use std::io::IsTerminal;

/// A progress bar on a terminal; nothing under cron.
pub struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    pub fn new(quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {prefix:.bold} [{bar:30}] {pos}/{len} {wide_msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(Some(bar))
    }

    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn site_started(&self, site: &str) {
        if let Some(b) = &self.0 {
            b.set_prefix(site.to_string());
            b.set_length(0);
            b.set_position(0);
        }
    }
    fn queued(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc_length(n);
        }
    }
    fn fetched(&self, url: &str) {
        if let Some(b) = &self.0 {
            b.inc(1);
            b.set_message(url.to_string());
        }
    }
    fn site_finished(&self, summary: &str) {
        if let Some(b) = &self.0 {
            b.println(format!("  {summary}"));
        }
    }
}
