//! The library's one error type, and the kind of each failure: what the binary's exit code
//! says (SPEC.md: 0 ok, 1 a site could not be crawled or a delivery failed, 2 bad usage or
//! bad config, 3 another run holds the lock).
//!
//! Every stage keeps its own error type (they say precisely what went wrong, naming the
//! file, URL or key); [`Error`] gathers them so a caller asks one question — [`Error::kind`]
//! — instead of downcasting each.

use crate::archive::history::HistoryError;
use crate::archive::warc::WarcError;
use crate::config::ConfigError;
use crate::crawl::CrawlError;
use crate::report::digest::DigestError;
use crate::report::mail::MailError;
use crate::report::webhook::channel::ChannelError;
use crate::run::lock::LockError;
use crate::serve::ServeError;
use crate::store::StoreError;
use crate::when::WhenError;

/// What kind of failure an error is, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad arguments or a bad config (exit 2): the message names the file, line and key.
    Usage,
    /// Another run holds the lock (exit 3).
    Locked,
    /// A whole site could not be crawled (exit 1).
    SiteFailed,
    /// A digest or another delivery could not be sent (exit 1).
    DeliveryFailed,
    /// Anything else: the archive, the network set-up, I/O (exit 1).
    Failed,
}

impl ErrorKind {
    /// The process exit code of SPEC.md.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Usage => 2,
            ErrorKind::Locked => 3,
            ErrorKind::SiteFailed | ErrorKind::DeliveryFailed | ErrorKind::Failed => 1,
        }
    }
}

/// Every failure the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    When(#[from] WhenError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crawl(#[from] CrawlError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Warc(#[from] WarcError),
    #[error(transparent)]
    Digest(#[from] DigestError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Webhook(#[from] ChannelError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// A site's settings that cannot be compiled (a selector, a pattern).
    #[error("site {site:?}: {message}")]
    Site { site: String, message: String },
    #[error("demo fixture: {0}")]
    Fixture(#[from] quietwatch_fixture::FixtureError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) | Error::When(_) | Error::Site { .. } => ErrorKind::Usage,
            Error::Lock(LockError::Held { .. }) => ErrorKind::Locked,
            Error::History(HistoryError::BadQuery { .. } | HistoryError::EmptyQuery) => {
                ErrorKind::Usage
            }
            Error::Warc(WarcError::UnknownSite(_)) => ErrorKind::Usage,
            Error::Mail(_) | Error::Webhook(_) => ErrorKind::DeliveryFailed,
            _ => ErrorKind::Failed,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
