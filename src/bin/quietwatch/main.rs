//! The `quietwatch` command: argument parsing, logging set-up and output. Everything it does
//! is a call into the library; what it prints is decided here and nowhere else.

mod args;
mod progress;

use anyhow::Context;
use args::{Cli, Command, ExportArgs};
use clap::Parser;
use progress::Bar;
use quietwatch::analyse::doc_reading::DocumentReading;
use quietwatch::archive::{history, search, warc};
use quietwatch::config::Config;
use quietwatch::model::SiteOutcome;
use quietwatch::output::{json, text};
use quietwatch::report::mail::MailError;
use quietwatch::run::{RunOptions, RunReport};
use quietwatch::store::{ChangeFilter, Store};
use quietwatch::when::{parse_when_ms, DayEdge};
use quietwatch::ErrorKind;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

type Result<T> = anyhow::Result<T>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                ErrorKind::Usage.exit_code()
            } else {
                0
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.verbose, cli.quiet);
    match dispatch(&cli) {
        Ok(code) => ExitCode::from(code),
        // A reader that went away (`quietwatch changes | head`) is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quietwatch: {}", describe(&e));
            ExitCode::from(kind_of(&e).exit_code())
        }
    }
}

/// The exit code's kind, from the library's error (anything else is a plain failure).
fn kind_of(e: &anyhow::Error) -> ErrorKind {
    e.downcast_ref::<quietwatch::Error>()
        .map_or(ErrorKind::Failed, quietwatch::Error::kind)
}

/// An error and its causes on one line. Many errors already print their source in their own
/// message (`SMTP server h:p: {source}`), so a cause whose text is already there is skipped
/// rather than repeated.
fn describe(e: &anyhow::Error) -> String {
    describe_causes(e.chain())
}

/// [`describe`] for a library error kept by value in a report.
fn describe_chain(e: &(dyn std::error::Error + 'static)) -> String {
    describe_causes(std::iter::successors(Some(e), |e| e.source()))
}

fn describe_causes<'a>(
    chain: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>,
) -> String {
    let mut out = String::new();
    for cause in chain {
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

/// The runtime. Its blocking pool reads the fetched bodies (CPU work); tokio's default of 512
/// threads made 89 in one change check, each with its own zstd contexts (BENCHMARKS.md).
fn runtime() -> Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads((2 * cores).max(8))
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A library call's error, kept as the library's so its kind decides the exit code.
fn lib<T, E: Into<quietwatch::Error>>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| anyhow::Error::new(e.into()))
}

fn load_config(cli: &Cli) -> Result<Config> {
    lib(Config::load(&cli.config))
}

/// `--db`, else the config's `[storage] db` (a missing config is fine when `--db` is given).
fn db_path(cli: &Cli) -> Result<PathBuf> {
    match &cli.db {
        Some(db) => Ok(db.clone()),
        None => Ok(load_config(cli)?.storage.db),
    }
}

fn read_store(cli: &Cli) -> Result<Store> {
    lib(Store::open_readonly(&db_path(cli)?))
}

fn when(input: Option<&str>, edge: DayEdge) -> Result<Option<i64>> {
    lib(input.map(|w| parse_when_ms(w, edge)).transpose())
}

fn dispatch(cli: &Cli) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    match &cli.command {
        Command::ExtractWorker => {
            quietwatch::analyse::document::worker_main(std::io::stdin().lock(), &mut out)?;
        }
        Command::Init { path } => {
            let path = path.clone().unwrap_or_else(|| cli.config.clone());
            lib(quietwatch::config::write_starter(&path))?;
            if !cli.quiet {
                writeln!(
                    out,
                    "wrote {}: edit [[site]] and [digest], then run `quietwatch crawl`",
                    path.display()
                )?;
            }
        }
        Command::Run => return cmd_run(cli, None, true),
        Command::Crawl { site } => return cmd_run(cli, site.as_deref(), false),
        Command::Digest { dry_run } => return cmd_digest(cli, *dry_run),
        Command::Changes { since, site, json } => {
            cmd_changes(cli, &mut out, since.as_deref(), site.clone(), *json)?
        }
        Command::History { url, json } => {
            let h = lib(history::page_history(&read_store(cli)?, url))?;
            if *json {
                for v in json::history_json(&h) {
                    writeln!(out, "{v}")?;
                }
            } else {
                write!(out, "{}", text::render_history(&h))?;
            }
        }
        Command::Show { url, at, raw } => {
            let store = read_store(cli)?;
            let v = lib(history::version_at(
                &store,
                url,
                when(at.as_deref(), DayEdge::End)?,
            ))?;
            if *raw {
                out.write_all(&lib(history::raw_body(&store, &v))?)?;
            } else {
                writeln!(out, "{}\n{}", text::render_show_header(&v), v.version.text)?;
            }
        }
        Command::Diff { url, from, to } => {
            let (from, to) = (
                when(from.as_deref(), DayEdge::End)?,
                when(to.as_deref(), DayEdge::End)?,
            );
            let (a, b) = lib(history::diff_versions(&read_store(cli)?, url, from, to))?;
            let color = std::io::stdout().is_terminal();
            write!(out, "{}", text::render_diff(&a, &b, color))?;
        }
        Command::Search { text: query } => {
            let hits = lib(search::search(&read_store(cli)?, query))?;
            write!(out, "{}", text::render_search(&hits, query))?;
        }
        Command::Facts {
            site,
            expiring,
            at,
            json,
            csv,
        } => {
            let query = quietwatch::archive::register::RegisterQuery {
                site: site.clone(),
                expiring_days: *expiring,
                at_ms: when(at.as_deref(), DayEdge::End)?,
            };
            cmd_facts(cli, &mut out, &query, *json, *csv)?
        }
        Command::Export(args) => cmd_export(cli, &mut out, args)?,
        Command::Feed { site, out: file } => {
            let config = load_config(cli).ok();
            if let (Some(c), Some(name)) = (&config, site) {
                lib(c.site_named(name))?;
            }
            let archive = config.and_then(|c| c.digest.archive_url);
            let xml = lib(quietwatch::report::feed::latest(
                &read_store(cli)?,
                site.as_deref(),
                archive.as_deref(),
                None,
            ))?;
            match file {
                Some(path) => std::fs::write(path, xml)
                    .with_context(|| format!("writing the feed to {}", path.display()))?,
                None => out.write_all(xml.as_bytes())?,
            }
        }
        Command::Channels => {
            let config = load_config(cli)?;
            let db = cli.db.clone().unwrap_or_else(|| config.storage.db.clone());
            for c in lib(quietwatch::run::channel_reports(&config, &db))? {
                writeln!(out, "{}", text::channel_line(&c.name, c.status.as_ref()))?;
            }
        }
        Command::Serve { listen } => cmd_serve(cli, &mut out, *listen)?,
        Command::Demo { dir } => {
            let report = lib(runtime()?.block_on(quietwatch::demo::run_demo(
                dir.as_deref(),
                DocumentReading::this_executable(),
            )))?;
            if !cli.quiet {
                write!(out, "{}", report.render())?;
            }
        }
    }
    Ok(0)
}

fn cmd_changes(
    cli: &Cli,
    out: &mut impl Write,
    since: Option<&str>,
    site: Option<String>,
    as_json: bool,
) -> Result<()> {
    let filter = ChangeFilter {
        since_ms: when(since, DayEdge::Start)?,
        site,
        ..Default::default()
    };
    let changes = lib(read_store(cli)?.changes(&filter))?;
    for c in &changes {
        if as_json {
            writeln!(out, "{}", json::change_line(c)?)?;
        } else {
            writeln!(out, "{}", text::change_line(c))?;
        }
    }
    if !as_json && changes.is_empty() && !cli.quiet {
        writeln!(out, "no changes")?;
    }
    Ok(())
}

/// `facts`: the register as a table, JSON Lines or CSV.
fn cmd_facts(
    cli: &Cli,
    out: &mut impl Write,
    query: &quietwatch::archive::register::RegisterQuery,
    json: bool,
    csv: bool,
) -> Result<()> {
    if let (Ok(c), Some(name)) = (load_config(cli), &query.site) {
        lib(c.site_named(name))?;
    }
    let rows = lib(quietwatch::archive::register::register(
        &read_store(cli)?,
        query,
    ))?;
    use quietwatch::output::register as reg;
    match (json, csv) {
        (true, _) => write!(out, "{}", reg::json_lines(&rows)?)?,
        (_, true) => write!(out, "{}", reg::csv(&rows)?)?,
        _ => write!(out, "{}", reg::render(&rows, query))?,
    }
    Ok(())
}

fn cmd_export(cli: &Cli, out: &mut impl Write, args: &ExportArgs) -> Result<()> {
    let options = warc::ExportOptions {
        site: args.site.clone(),
        since_ms: when(args.since.as_deref(), DayEdge::Start)?,
        user_agent: load_config(cli).ok().map(|c| c.crawl.user_agent),
    };
    let summary = lib(warc::export_warc(&read_store(cli)?, &args.warc, &options))?;
    if !cli.quiet {
        writeln!(
            out,
            "wrote {}: {} responses, {} revisits, {} requests, {} bytes",
            args.warc.display(),
            summary.responses,
            summary.revisits,
            summary.requests,
            summary.bytes
        )?;
    }
    Ok(())
}

fn cmd_serve(cli: &Cli, out: &mut impl Write, listen: std::net::SocketAddr) -> Result<()> {
    let db = db_path(cli)?;
    // Fail early and clearly when there is nothing to serve.
    drop(lib(Store::open_readonly(&db))?);
    if !cli.quiet {
        writeln!(
            out,
            "serving {} on http://{listen}/ (read-only; Ctrl-C stops)",
            db.display()
        )?;
        out.flush()?;
    }
    let options = quietwatch::serve::ServeOptions { db, listen };
    lib(
        runtime()?.block_on(quietwatch::serve::serve(options, async {
            let _ = tokio::signal::ctrl_c().await;
        })),
    )
}

/// `run` and `crawl`: the library's pipeline, with a progress bar on a terminal.
fn cmd_run(cli: &Cli, site: Option<&str>, deliver: bool) -> Result<u8> {
    let config = load_config(cli)?;
    let db = cli.db.clone().unwrap_or_else(|| config.storage.db.clone());
    let bar = Bar::new(cli.quiet);
    let opts = RunOptions {
        command: if deliver { "run" } else { "crawl" },
        site,
        deliver,
        progress: &bar,
        documents: DocumentReading::this_executable(),
    };
    let outcome = runtime()?.block_on(quietwatch::run::run(&config, &db, &opts));
    bar.finish();
    let outcome = lib(outcome)?;
    print_summary(cli, &outcome.report);
    if let Some(d) = &outcome.delivery {
        print_delivery(cli, d);
    }
    Ok(outcome.failure().map_or(0, ErrorKind::exit_code))
}

fn cmd_digest(cli: &Cli, dry_run: bool) -> Result<u8> {
    let config = load_config(cli)?;
    let db = cli.db.clone().unwrap_or_else(|| config.storage.db.clone());
    if dry_run {
        let preview = lib(quietwatch::run::preview_pending(&config, &db))?;
        write!(std::io::stdout().lock(), "{preview}")?;
        return Ok(0);
    }
    // The lock or the archive failing is not a delivery that failed but one that never began.
    let delivered = lib(runtime()?.block_on(quietwatch::run::deliver_locked(&config, &db)))?;
    Ok(print_delivery(cli, &delivered))
}

/// The summary line on stdout (not with `-q`); a site that could not be crawled is also
/// named on stderr, always, since it is why the exit code is 1.
fn print_summary(cli: &Cli, report: &RunReport) {
    if !cli.quiet {
        println!("{}", report.summary_line());
    }
    for site in &report.sites {
        if site.outcome == SiteOutcome::Failed {
            eprintln!(
                "quietwatch: site {:?} could not be crawled: {}; nothing was concluded about its pages",
                site.site,
                site.error.as_deref().unwrap_or("no reason recorded")
            );
        }
    }
}

/// What each channel did: on stdout when it worked, on stderr (always) when it did not,
/// saying which channel and what that means for its pending changes. Returns the exit code
/// it calls for.
fn print_delivery(cli: &Cli, d: &quietwatch::run::Deliveries) -> u8 {
    match &d.mail {
        Ok(m) if !cli.quiet => match &m.mail {
            Some(mail) => println!(
                "digest {}: {} ({})",
                if mail.sent { "sent" } else { "written" },
                m.subject,
                mail.eml_path.display()
            ),
            None => println!("no digest: nothing new since the last one"),
        },
        Ok(_) => {}
        Err(e) => {
            let why = describe_chain(e);
            if matches!(e, quietwatch::Error::Mail(MailError::Store(_))) {
                eprintln!("quietwatch: the digest may have been sent but could not be recorded; the next digest may repeat its items: {why}");
            } else {
                eprintln!(
                    "quietwatch: digest not sent, the changes stay pending for the next run: {why}"
                );
            }
        }
    }
    for (name, result) in &d.webhooks {
        match result {
            Ok(r) if !cli.quiet && r.changes > 0 => println!(
                "webhook {name:?}: {} change{} delivered",
                r.changes,
                if r.changes == 1 { "" } else { "s" }
            ),
            Ok(_) => {}
            Err(e) => eprintln!(
                "quietwatch: webhook {name:?} not delivered, its changes stay pending for its next run: {}",
                describe_chain(e)
            ),
        }
    }
    d.failure().map_or(0, ErrorKind::exit_code)
}
