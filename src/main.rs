//! The `quietwatch` command: argument parsing, logging set-up and output. Everything it does
//! is a call into the library; what it prints is decided here and nowhere else.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use quietwatch::config::{Config, ConfigError};
use quietwatch::crawl::{self, Progress, RunReport, SiteOutcome, SiteReport};
use quietwatch::history::HistoryError;
use quietwatch::lock::{LockError, RunLock};
use quietwatch::store::{ChangeFilter, Store};
use quietwatch::warc::WarcError;
use quietwatch::when::{parse_when_ms, DayEdge};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "quietwatch",
    version,
    about = "Watch public procurement pages for quiet changes: deletions, redirects, rewritten figures",
    long_about = None
)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "QUIETWATCH_CONFIG",
        default_value = "config/quietwatch.toml"
    )]
    config: PathBuf,
    /// Database file (overrides [storage] db).
    #[arg(long, global = true, env = "QUIETWATCH_DB")]
    db: Option<PathBuf>,
    /// More logging (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// No output unless something failed.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Crawl every site, detect changes, send (or write) the digest. What cron calls.
    Run,
    /// Crawl and detect, no digest.
    Crawl {
        /// Only this site.
        #[arg(long)]
        site: Option<String>,
    },
    /// Send the changes not yet sent.
    Digest {
        /// Print the digest and mark nothing as sent.
        #[arg(long)]
        dry_run: bool,
    },
    /// List detected changes, oldest first.
    Changes {
        /// Only changes detected at or after WHEN (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        site: Option<String>,
        /// JSON Lines on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Every fetch, version and change of one page, oldest first.
    History {
        url: String,
        #[arg(long)]
        json: bool,
    },
    /// The page's text as it was at WHEN (default: latest).
    Show {
        url: String,
        #[arg(long)]
        at: Option<String>,
        /// The bytes exactly as served.
        #[arg(long)]
        raw: bool,
    },
    /// Diff of two versions (default: the last two).
    Diff {
        url: String,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    /// Pages whose any version contains TEXT, with when it appeared and disappeared.
    Search { text: String },
    /// Every stored response as WARC 1.1 records.
    Export(ExportArgs),
    /// Read-only local web UI of sites, pages, timelines and diffs.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
    /// Run the whole pipeline against the bundled fixture site on loopback (no network).
    Demo {
        /// Where to keep the demo's database and digest (default: a new temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Write a commented starter config.
    Init {
        /// Where to write it (default: the `--config` path). Never overwrites a file.
        path: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// Output file (.warc.gz).
    #[arg(long)]
    warc: PathBuf,
    #[arg(long)]
    site: Option<String>,
    /// Only responses fetched at or after WHEN.
    #[arg(long)]
    since: Option<String>,
}

/// Exit codes of SPEC.md.
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_LOCKED: u8 = 3;

/// An error that carries its exit code.
#[derive(Debug)]
struct Exit(u8, anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Exit {
    fn from(e: E) -> Self {
        let e: anyhow::Error = e.into();
        let code = if e
            .downcast_ref::<LockError>()
            .is_some_and(|l| matches!(l, LockError::Held { .. }))
        {
            EXIT_LOCKED
        } else if e.downcast_ref::<ConfigError>().is_some()
            || e.downcast_ref::<quietwatch::when::WhenError>().is_some()
            || e.downcast_ref::<HistoryError>().is_some_and(|h| {
                matches!(h, HistoryError::BadQuery { .. } | HistoryError::EmptyQuery)
            })
            || e.downcast_ref::<WarcError>()
                .is_some_and(|w| matches!(w, WarcError::UnknownSite(_)))
        {
            EXIT_USAGE
        } else {
            EXIT_FAILED
        };
        Exit(code, e)
    }
}

fn usage(msg: impl Into<String>) -> Exit {
    Exit(EXIT_USAGE, anyhow::anyhow!(msg.into()))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.verbose, cli.quiet);
    match dispatch(&cli) {
        Ok(code) => ExitCode::from(code),
        // A reader that went away (`quietwatch changes | head`) is not an error.
        Err(Exit(_, e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Exit(code, e)) => {
            eprintln!("quietwatch: {}", describe(&e));
            ExitCode::from(code)
        }
    }
}

/// An error and its causes on one line. Many errors already print their source in their own
/// message (`SMTP server h:p: {source}`), so a cause whose text is already there is skipped
/// rather than repeated.
fn describe(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("QUIETWATCH_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(format!(
                "quietwatch={default},{}",
                if verbose > 2 { "debug" } else { "warn" }
            ))
        });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(Exit::from)
}

fn load_config(cli: &Cli) -> Result<Config, Exit> {
    Ok(Config::load(&cli.config)?)
}

fn db_path(cli: &Cli, config: Option<&Config>) -> PathBuf {
    match (&cli.db, config) {
        (Some(db), _) => db.clone(),
        (None, Some(c)) => c.storage.db.clone(),
        (None, None) => PathBuf::from("quietwatch.db"),
    }
}

/// The database for read-only commands: `--db`, else the config's (a missing config is fine
/// when `--db` is given).
fn read_store(cli: &Cli) -> Result<Store, Exit> {
    let path = match &cli.db {
        Some(db) => db.clone(),
        None => load_config(cli)?.storage.db,
    };
    Ok(Store::open_readonly(&path)?)
}

fn dispatch(cli: &Cli) -> Result<u8, Exit> {
    match &cli.command {
        Command::Init { path } => {
            let path = path.clone().unwrap_or_else(|| cli.config.clone());
            quietwatch::config::write_starter(&path)?;
            if !cli.quiet {
                println!(
                    "wrote {}: edit [[site]] and [digest], then run `quietwatch crawl`",
                    path.display()
                );
            }
            Ok(0)
        }
        Command::Run => cmd_run(cli),
        Command::Crawl { site } => cmd_crawl(cli, site.as_deref()),
        Command::Digest { dry_run } => cmd_digest(cli, *dry_run),
        Command::Changes { since, site, json } => {
            cmd_changes(cli, since.as_deref(), site.as_deref(), *json)
        }
        Command::History { url, json } => {
            let store = read_store(cli)?;
            let h = quietwatch::history::page_history(&store, url)?;
            let mut out = std::io::stdout().lock();
            if *json {
                for v in quietwatch::history::history_json(&h) {
                    writeln!(out, "{v}")?;
                }
            } else {
                write!(out, "{}", quietwatch::history::render_history(&h))?;
            }
            Ok(0)
        }
        Command::Show { url, at, raw } => {
            let store = read_store(cli)?;
            let at = at
                .as_deref()
                .map(|w| parse_when_ms(w, DayEdge::End))
                .transpose()?;
            let v = quietwatch::history::version_at(&store, url, at)?;
            let mut out = std::io::stdout().lock();
            if *raw {
                out.write_all(&quietwatch::history::raw_body(&store, &v)?)?;
            } else {
                writeln!(out, "{}", quietwatch::history::render_show_header(&v))?;
                writeln!(out, "{}", v.version.text)?;
            }
            Ok(0)
        }
        Command::Diff { url, from, to } => {
            let store = read_store(cli)?;
            let from = from
                .as_deref()
                .map(|w| parse_when_ms(w, DayEdge::End))
                .transpose()?;
            let to = to
                .as_deref()
                .map(|w| parse_when_ms(w, DayEdge::End))
                .transpose()?;
            let (a, b) = quietwatch::history::diff_versions(&store, url, from, to)?;
            let color = std::io::stdout().is_terminal();
            let mut out = std::io::stdout().lock();
            write!(out, "{}", quietwatch::history::render_diff(&a, &b, color))?;
            Ok(0)
        }
        Command::Search { text } => {
            let store = read_store(cli)?;
            let hits = quietwatch::history::search(&store, text)?;
            write!(
                std::io::stdout().lock(),
                "{}",
                quietwatch::history::render_search(&hits, text)
            )?;
            Ok(0)
        }
        Command::Export(args) => {
            let user_agent = load_config(cli).ok().map(|c| c.crawl.user_agent);
            let store = read_store(cli)?;
            let since_ms = args
                .since
                .as_deref()
                .map(|w| parse_when_ms(w, DayEdge::Start))
                .transpose()?;
            let summary = quietwatch::warc::export_warc(
                &store,
                &args.warc,
                &quietwatch::warc::ExportOptions {
                    site: args.site.clone(),
                    since_ms,
                    user_agent,
                },
            )?;
            if !cli.quiet {
                println!(
                    "wrote {}: {} responses, {} revisits, {} requests, {} bytes",
                    args.warc.display(),
                    summary.responses,
                    summary.revisits,
                    summary.requests,
                    summary.bytes
                );
            }
            Ok(0)
        }
        Command::Serve { listen } => {
            let db = match &cli.db {
                Some(db) => db.clone(),
                None => load_config(cli)?.storage.db,
            };
            // Fail early and clearly when there is nothing to serve.
            drop(Store::open_readonly(&db)?);
            if !cli.quiet {
                println!(
                    "serving {} on http://{listen}/ (read-only; Ctrl-C stops)",
                    db.display()
                );
            }
            let rt = runtime()?;
            rt.block_on(quietwatch::serve::serve(
                quietwatch::serve::ServeOptions {
                    db,
                    listen: *listen,
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            ))?;
            Ok(0)
        }
        Command::Demo { dir } => cmd_demo(cli, dir.as_deref()),
    }
}

/// A progress bar on a terminal; nothing under cron.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new(quiet: bool) -> Bar {
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
    fn finish(&self) {
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
    fn site_finished(&self, report: &SiteReport) {
        if let Some(b) = &self.0 {
            b.println(format!("  {}", report_line(report)));
        }
    }
}

fn report_line(r: &SiteReport) -> String {
    RunReport {
        run_id: 0,
        sites: vec![r.clone()],
    }
    .summary_line()
}

/// Crawl (and detect) under the lock; returns the report.
fn crawl_locked(
    cli: &Cli,
    config: &Config,
    store: &mut Store,
    site: Option<&str>,
    command: &str,
) -> Result<RunReport, Exit> {
    let run_id = store.begin_run(command)?;
    let bar = Bar::new(cli.quiet);
    let rt = runtime()?;
    let report = rt.block_on(crawl::crawl(config, store, run_id, site, &bar));
    bar.finish();
    let report = match report {
        Ok(r) => r,
        Err(crawl::CrawlError::UnknownSite(s)) => {
            return Err(usage(format!(
                "{}: no [[site]] named {s:?}",
                config.source.display()
            )))
        }
        Err(e) => return Err(e.into()),
    };
    store.finish_run(run_id, &report.summary_line())?;
    Ok(report)
}

fn open_locked(cli: &Cli, config: &Config) -> Result<(RunLock, Store), Exit> {
    let db = db_path(cli, Some(config));
    let lock = RunLock::acquire(&db)?;
    let store = Store::open(&db)?;
    Ok((lock, store))
}

fn cmd_crawl(cli: &Cli, site: Option<&str>) -> Result<u8, Exit> {
    let config = load_config(cli)?;
    if let Some(name) = site {
        if config.site(name).is_none() {
            let known: Vec<&str> = config.sites.iter().map(|s| s.name.as_str()).collect();
            return Err(usage(format!(
                "{}: no [[site]] named {name:?} (sites: {})",
                config.source.display(),
                known.join(", ")
            )));
        }
    }
    let (_lock, mut store) = open_locked(cli, &config)?;
    let report = crawl_locked(cli, &config, &mut store, site, "crawl")?;
    print_summary(cli, &report);
    Ok(if report.any_site_failed() {
        EXIT_FAILED
    } else {
        0
    })
}

fn cmd_run(cli: &Cli) -> Result<u8, Exit> {
    let config = load_config(cli)?;
    let (_lock, mut store) = open_locked(cli, &config)?;
    // Say now, not after a long crawl, that the digest will not go out; the crawl still runs
    // and its changes wait for the next digest.
    if let Some(var) = config.smtp.as_ref().and_then(|s| s.password_env.as_deref()) {
        if std::env::var_os(var).is_none() {
            tracing::warn!(
                "[smtp] password_env names {var}, which is not set: the digest will not be sent"
            );
        }
    }
    let report = crawl_locked(cli, &config, &mut store, None, "run")?;
    print_summary(cli, &report);
    let sent = send_digest(cli, &config, &mut store);
    let mut code = if report.any_site_failed() {
        EXIT_FAILED
    } else {
        0
    };
    if let Err(Exit(_, e)) = sent {
        digest_failed(&e);
        code = EXIT_FAILED;
    }
    Ok(code)
}

/// Says on stderr what a failed digest means for the pending changes.
fn digest_failed(e: &anyhow::Error) {
    let recorded = !matches!(
        e.downcast_ref::<quietwatch::mail::MailError>(),
        Some(quietwatch::mail::MailError::Store(_))
    );
    if recorded {
        eprintln!(
            "quietwatch: digest not sent, the changes stay pending for the next run: {}",
            describe(e)
        );
    } else {
        eprintln!(
            "quietwatch: the digest may have been sent but could not be recorded; the next digest may repeat its items: {}",
            describe(e)
        );
    }
}

/// The summary line on stdout (not with `-q`); a site that could not be crawled is also
/// named on stderr, always, since it is why the exit code is 1.
fn print_summary(cli: &Cli, report: &RunReport) {
    if !cli.quiet {
        println!("{}", report.summary_line());
    }
    for site in &report.sites {
        if let SiteOutcome::Failed(e) = &site.outcome {
            eprintln!(
                "quietwatch: site {:?} could not be crawled: {e}; nothing was concluded about its pages",
                site.site
            );
        }
    }
}

fn send_digest(cli: &Cli, config: &Config, store: &mut Store) -> Result<(), Exit> {
    let input = quietwatch::digest::collect(store, &config.digest, config.crawl.unreachable_after)?;
    let now = chrono::Utc::now();
    let digest = quietwatch::digest::render(&input, &config.digest, now)?;
    let rt = runtime()?;
    let delivery = rt.block_on(quietwatch::mail::deliver(
        store,
        &digest,
        &config.digest,
        config.smtp.as_ref(),
        now,
    ))?;
    if !cli.quiet {
        match delivery {
            Some(d) => println!(
                "digest {}: {} ({})",
                if d.sent { "sent" } else { "written" },
                digest.subject,
                d.eml_path.display()
            ),
            None => println!("no digest: nothing new since the last one"),
        }
    }
    Ok(())
}

fn cmd_digest(cli: &Cli, dry_run: bool) -> Result<u8, Exit> {
    let config = load_config(cli)?;
    if dry_run {
        let store = Store::open_readonly(&db_path(cli, Some(&config)))?;
        let input =
            quietwatch::digest::collect(&store, &config.digest, config.crawl.unreachable_after)?;
        let digest = quietwatch::digest::render(&input, &config.digest, chrono::Utc::now())?;
        write!(
            std::io::stdout().lock(),
            "{}",
            quietwatch::mail::dry_run_text(&digest)
        )?;
        return Ok(0);
    }
    let (_lock, mut store) = open_locked(cli, &config)?;
    match send_digest(cli, &config, &mut store) {
        Ok(()) => Ok(0),
        Err(Exit(_, e)) => {
            digest_failed(&e);
            Ok(EXIT_FAILED)
        }
    }
}

fn cmd_changes(cli: &Cli, since: Option<&str>, site: Option<&str>, json: bool) -> Result<u8, Exit> {
    let store = read_store(cli)?;
    let filter = ChangeFilter {
        since_ms: since
            .map(|w| parse_when_ms(w, DayEdge::Start))
            .transpose()?,
        site: site.map(str::to_string),
        ..Default::default()
    };
    let changes = store.changes(&filter)?;
    let mut out = std::io::stdout().lock();
    for c in &changes {
        if json {
            writeln!(
                out,
                "{}",
                serde_json::to_string(c).context("encoding a change as JSON")?
            )?;
        } else {
            writeln!(
                out,
                "#{} {} {} [{}] {} — {}\n    {}",
                c.id,
                c.detected_at,
                c.kind.label(),
                c.significance,
                c.site,
                c.url,
                c.summary
            )?;
        }
    }
    if !json && changes.is_empty() && !cli.quiet {
        writeln!(out, "no changes")?;
    }
    Ok(0)
}

fn cmd_demo(cli: &Cli, dir: Option<&Path>) -> Result<u8, Exit> {
    let rt = runtime()?;
    let report = rt.block_on(quietwatch::demo::run_demo(dir))?;
    if !cli.quiet {
        write!(std::io::stdout().lock(), "{}", report.render())?;
    }
    Ok(0)
}
