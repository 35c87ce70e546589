//! The command line, as clap reads it: commands, options and their help (SPEC.md's
//! interface, `docs/SPEC.md`).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "quietwatch",
    version,
    about = "Watch public procurement pages for quiet changes: deletions, redirects, rewritten figures",
    long_about = None
)]
pub struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "QUIETWATCH_CONFIG",
        default_value = "config/quietwatch.toml"
    )]
    pub config: PathBuf,
    /// Database file (overrides [storage] db).
    #[arg(long, global = true, env = "QUIETWATCH_DB")]
    pub db: Option<PathBuf>,
    /// More logging (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No output unless something failed.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
    /// An Atom feed of the latest 100 changes (stdout unless --out).
    Feed {
        #[arg(long)]
        site: Option<String>,
        /// Write the feed to FILE instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Each delivery channel (the mail digest, each webhook): changes pending, last delivery.
    Channels,
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
    /// Internal: read one document from stdin in this process, answer on stdout (the
    /// worker process `analyse::document::Isolation` starts with resource limits).
    #[command(name = "extract-worker", hide = true)]
    ExtractWorker,
    /// Write a commented starter config.
    Init {
        /// Where to write it (default: the `--config` path). Never overwrites a file.
        path: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Output file (.warc.gz).
    #[arg(long)]
    pub warc: PathBuf,
    #[arg(long)]
    pub site: Option<String>,
    /// Only responses fetched at or after WHEN.
    #[arg(long)]
    pub since: Option<String>,
}
