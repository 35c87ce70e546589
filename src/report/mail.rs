//! Delivering a digest: build the MIME message, keep a copy, send it over SMTP, and only then
//! mark what it carried as sent.
//!
//! The promise to readers is "never lose a change, never send twice", and the order of the
//! steps in [`deliver`] is how it is kept:
//!
//! 1. build the message (multipart/alternative, text + HTML, Date and Message-ID set);
//! 2. write the copy to `out_dir` (`digest-YYYYMMDDTHHMMSSZ.eml` and `.html`, each written to a
//!    temporary file and renamed, so a crash never leaves half a file under the final name);
//! 3. with `[smtp]`, send exactly those bytes;
//! 4. only after the server accepted them (or, without `[smtp]`, after the copy is written)
//!    mark the changes and site notes as carried by this digest, in one transaction.
//!
//! A failure in 1–3 marks nothing: the changes stay pending and the next run's digest carries
//! them (a copy of the unsent digest may remain in `out_dir`, which is harmless). The one
//! window left is a crash, or a database error, *after* the server accepted the message and
//! *before* the marking commits: the next digest then repeats those items once. The other
//! order (mark first, then send) would instead lose them silently on a failed send, which is
//! the worse failure for a monitor. The run lock keeps two digests from racing, and marking
//! only touches changes no digest has carried yet.
//!
//! An empty digest (nothing worth an email, see [`crate::report::digest::Digest::is_empty`]) is not
//! sent unless `send_empty`; whatever it settles (changes below `min_significance`, a site
//! that failed once) is still marked, with a digest record that has no `sent_at` and no copy,
//! so it does not pile up.
//!
//! Headers only ever hold configured text (addresses, the subject built from counts and site
//! names); lettre encodes non-ASCII (RFC 2047) and the subject is re-cleaned of control
//! characters here as a last guard against header injection.

use crate::markup::one_line;
use crate::report::digest::{Digest, DigestSettings, SmtpSecurity, SmtpSettings};
use crate::store::{now_ms, to_ms, DigestRecord, Store, StoreError};
use chrono::{DateTime, Utc};
use lettre::address::Envelope;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long the whole SMTP exchange (connect, greeting, commands, upload, the server's
/// answer) may take before the send counts as failed. lettre's own async timeout only covers
/// the connect, so a server that stops answering mid-exchange would otherwise hang a cron run
/// forever. Two minutes carry a digest of a few MB over a slow link.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long closing the connection after the exchange may take.
const SMTP_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// The sender used for the `.eml` copy when `[digest] from` is not set (no `[smtp]`).
pub const DEFAULT_FROM: &str = "quietwatch <quietwatch@localhost>";

/// Errors while delivering a digest. Each names the setting, address, file or server at
/// fault, because the operator reads them from a cron mail.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("[digest] {field}: {value:?} is not a valid mail address: {message}")]
    Address {
        field: &'static str,
        value: String,
        message: String,
    },
    #[error("[digest] to is empty: there is no one to send the digest to")]
    NoRecipient,
    #[error("[digest] from is required when [smtp] is set")]
    NoSender,
    #[error("building the digest message: {0}")]
    Build(#[source] lettre::error::Error),
    #[error("[smtp] username is set but password_env is not (the password is read from the environment variable it names)")]
    NoPasswordEnv,
    #[error("[smtp] password_env: environment variable {var} is not set; it must hold the SMTP password for {username:?}")]
    MissingPassword { var: String, username: String },
    #[error("SMTP server {host}:{port}: {source}")]
    Smtp {
        host: String,
        port: u16,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error(
        "SMTP server {host}:{port}: no complete exchange within {secs} s (not known to be sent)"
    )]
    Timeout { host: String, port: u16, secs: u64 },
    #[error("digest copy {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`deliver`] did with a digest.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The copy of the message as sent (or as it would have been).
    pub eml_path: PathBuf,
    /// The HTML part alone, for a browser.
    pub html_path: PathBuf,
    /// `<uuid@quietwatch>`.
    pub message_id: String,
    /// The SMTP server accepted the message (false without `[smtp]`: only written).
    pub sent: bool,
    /// The digest record the changes were marked with.
    pub digest_id: i64,
}

/// Builds the MIME message: multipart/alternative with the text part first (clients show
/// the last part they understand), From/To from the settings, the digest's subject, Date and
/// a fresh Message-ID.
///
/// Without recipients (no `[smtp]`, no `to`) the message has no To header and its envelope
/// goes to the sender, so the `.eml` copy is still a well-formed message.
pub fn build_message(
    d: &Digest,
    settings: &DigestSettings,
    now: DateTime<Utc>,
) -> Result<Message, MailError> {
    let from_text = settings.from.as_deref().unwrap_or(DEFAULT_FROM);
    let from = parse_mailbox("from", from_text)?;
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(one_line(
            &d.subject,
            crate::report::digest::MAX_SUBJECT_CHARS,
        ))
        .date(SystemTime::from(now))
        .message_id(Some(format!("<{}@quietwatch>", uuid::Uuid::new_v4())));
    for to in &settings.to {
        builder = builder.to(parse_mailbox("to", to)?);
    }
    if settings.to.is_empty() {
        let envelope =
            Envelope::new(Some(from.email.clone()), vec![from.email]).map_err(MailError::Build)?;
        builder = builder.envelope(envelope);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            d.text.clone(),
            d.html.clone(),
        ))
        .map_err(MailError::Build)
}

fn parse_mailbox(field: &'static str, value: &str) -> Result<Mailbox, MailError> {
    value
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| MailError::Address {
            field,
            value: value.to_string(),
            message: e.to_string(),
        })
}

/// The Message-ID a built message carries.
pub fn message_id(msg: &Message) -> String {
    msg.headers()
        .get_raw("Message-ID")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Writes `out_dir/digest-YYYYMMDDTHHMMSSZ.eml` (the message bytes) and `.html` (the HTML
/// part), creating `out_dir`. Each file goes to a temporary name, is synced, then renamed, so
/// a reader never sees half a digest. Two digests in the same second get `-2`, `-3`, … rather
/// than overwriting each other.
pub fn write_copy(
    msg: &[u8],
    d: &Digest,
    out_dir: &Path,
    now: DateTime<Utc>,
) -> Result<(PathBuf, PathBuf), MailError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MailError::Io { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let base = format!("digest-{}", now.format("%Y%m%dT%H%M%SZ"));
    let mut chosen = None;
    for n in 1..=1000u32 {
        let stem = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let eml = out_dir.join(format!("{stem}.eml"));
        let html = out_dir.join(format!("{stem}.html"));
        if !eml.exists() && !html.exists() {
            chosen = Some((eml, html));
            break;
        }
    }
    let Some((eml, html)) = chosen else {
        return Err(MailError::Io {
            path: out_dir.join(format!("{base}.eml")),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "too many digests in one second",
            ),
        });
    };
    write_atomic(&eml, msg)?;
    write_atomic(&html, d.html.as_bytes())?;
    Ok((eml, html))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MailError> {
    let err = |source| MailError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    // Make the rename itself durable where the platform allows syncing a directory.
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Sends a message over SMTP: `starttls` upgrades a plain connection (port 587), `tls`
/// connects over TLS (port 465), `none` sends in clear (a local relay or a test server).
/// Credentials come from the environment variable named by `password_env`, never from the
/// file. `timeout` bounds the whole exchange (see [`SMTP_TIMEOUT`]).
pub async fn send(msg: &Message, smtp: &SmtpSettings, timeout: Duration) -> Result<(), MailError> {
    send_raw(msg.envelope(), &msg.formatted(), smtp, timeout).await
}

async fn send_raw(
    envelope: &Envelope,
    bytes: &[u8],
    smtp: &SmtpSettings,
    timeout: Duration,
) -> Result<(), MailError> {
    let smtp_err = |source| MailError::Smtp {
        host: smtp.host.clone(),
        port: smtp.port,
        source,
    };
    let builder = match smtp.security {
        SmtpSecurity::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(smtp_err)?
        }
        SmtpSecurity::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(smtp_err)?
        }
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(timeout));
    if let Some(creds) = credentials(smtp)? {
        builder = builder.credentials(creds);
    }
    let transport = builder.build();
    tracing::debug!(host = %smtp.host, port = smtp.port, "sending digest");
    let result = tokio::time::timeout(timeout, transport.send_raw(envelope, bytes)).await;
    // Close the pooled connection politely; bounded, and its outcome does not matter.
    let _ = tokio::time::timeout(SMTP_CLOSE_TIMEOUT, transport.shutdown()).await;
    match result {
        Ok(Ok(response)) => {
            tracing::info!(host = %smtp.host, code = %response.code(), "SMTP server accepted the digest");
            Ok(())
        }
        Ok(Err(e)) => Err(smtp_err(e)),
        Err(_) => Err(MailError::Timeout {
            host: smtp.host.clone(),
            port: smtp.port,
            secs: timeout.as_secs(),
        }),
    }
}

/// The SMTP credentials, if a username is configured; the password is read from the
/// environment variable `password_env` names.
fn credentials(smtp: &SmtpSettings) -> Result<Option<Credentials>, MailError> {
    let Some(user) = &smtp.username else {
        if smtp.password_env.is_some() {
            tracing::warn!(
                "[smtp] password_env is set without username; sending without authentication"
            );
        }
        return Ok(None);
    };
    let Some(var) = &smtp.password_env else {
        return Err(MailError::NoPasswordEnv);
    };
    match std::env::var(var) {
        Ok(password) => Ok(Some(Credentials::new(user.clone(), password))),
        Err(_) => Err(MailError::MissingPassword {
            var: var.clone(),
            username: user.clone(),
        }),
    }
}

/// Delivers a digest and marks what it carried — in that order (see the module doc).
///
/// Returns `Ok(None)` when the digest was empty and `send_empty` is off: nothing was written
/// or sent (what it settles is still marked). On any error nothing is marked.
pub async fn deliver(
    store: &mut Store,
    digest: &Digest,
    settings: &DigestSettings,
    smtp: Option<&SmtpSettings>,
    now: DateTime<Utc>,
) -> Result<Option<Delivery>, MailError> {
    deliver_with_timeout(store, digest, settings, smtp, now, SMTP_TIMEOUT).await
}

/// [`deliver`] with a chosen bound on the SMTP exchange (tests, impatient callers).
pub async fn deliver_with_timeout(
    store: &mut Store,
    digest: &Digest,
    settings: &DigestSettings,
    smtp: Option<&SmtpSettings>,
    now: DateTime<Utc>,
    timeout: Duration,
) -> Result<Option<Delivery>, MailError> {
    if digest.is_empty && !settings.send_empty {
        if !digest.change_ids.is_empty() || !digest.site_notes.is_empty() {
            let record = DigestRecord {
                created_at: to_ms(now),
                sent_at: None,
                subject: digest.subject.clone(),
                ..Default::default()
            };
            store.mark_digested(&record, &digest.change_ids, &digest.site_notes)?;
            tracing::info!(
                changes = digest.change_ids.len(),
                notes = digest.site_notes.len(),
                "nothing worth a digest; settled quietly"
            );
        } else {
            tracing::info!("nothing changed; no digest");
        }
        return Ok(None);
    }
    if let Some(smtp) = smtp {
        if settings.to.is_empty() {
            return Err(MailError::NoRecipient);
        }
        if settings.from.is_none() {
            return Err(MailError::NoSender);
        }
        // Fail before writing anything when the password is missing.
        credentials(smtp)?;
    }

    let msg = build_message(digest, settings, now)?;
    let message_id = message_id(&msg);
    let bytes = msg.formatted();
    let (eml_path, html_path) = write_copy(&bytes, digest, &settings.out_dir, now)?;
    tracing::info!(eml = %eml_path.display(), "digest copy written");

    let mut sent_at = None;
    if let Some(smtp) = smtp {
        if let Err(e) = send_raw(msg.envelope(), &bytes, smtp, timeout).await {
            tracing::debug!(error = %e, "digest not sent; its changes stay pending for the next run");
            return Err(e);
        }
        sent_at = Some(now_ms());
    }

    let record = DigestRecord {
        created_at: to_ms(now),
        sent_at,
        subject: digest.subject.clone(),
        message_id: Some(message_id.clone()),
        eml_path: Some(eml_path.display().to_string()),
        html_path: Some(html_path.display().to_string()),
    };
    let digest_id = match store.mark_digested(&record, &digest.change_ids, &digest.site_notes) {
        Ok(id) => id,
        Err(e) => {
            if sent_at.is_some() {
                tracing::error!(error = %e, %message_id, "digest was sent but could not be recorded; the next digest will repeat its items");
            }
            return Err(e.into());
        }
    };
    Ok(Some(Delivery {
        eml_path,
        html_path,
        message_id,
        sent: sent_at.is_some(),
        digest_id,
    }))
}

/// What `digest --dry-run` prints: the subject, a blank line, the text part.
pub fn dry_run_text(d: &Digest) -> String {
    format!("Subject: {}\n\n{}", d.subject, d.text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Significance;

    fn digest() -> Digest {
        Digest {
            subject: "[quietwatch] 1 removed — S\r\nBcc: x@y.z".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            change_ids: vec![],
            site_notes: vec![],
            is_empty: false,
        }
    }

    fn settings(to: Vec<&str>, from: Option<&str>) -> DigestSettings {
        DigestSettings {
            to: to.into_iter().map(String::from).collect(),
            from: from.map(String::from),
            subject_prefix: "[quietwatch]".into(),
            min_significance: Significance::Minor,
            out_dir: PathBuf::from("unused"),
            send_empty: false,
            archive_url: None,
            ending_within_days: 90,
        }
    }

    #[test]
    fn bad_address_is_named() {
        let e = build_message(
            &digest(),
            &settings(vec!["not an address"], None),
            Utc::now(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"not an address\""), "{e}");
        assert!(e.to_string().contains("[digest] to"), "{e}");
    }

    #[test]
    fn no_recipient_still_builds_a_message_for_the_copy() {
        let m = build_message(&digest(), &settings(vec![], None), Utc::now()).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("From: quietwatch <quietwatch@localhost>"));
        assert!(!raw.contains("\r\nTo:"));
        assert!(
            !raw.lines().any(|l| l.starts_with("Bcc:")),
            "subject CR/LF must not make a header: {raw}"
        );
        assert!(message_id(&m).ends_with("@quietwatch>"));
    }

    #[test]
    fn missing_password_variable_is_named() {
        let smtp = SmtpSettings {
            host: "localhost".into(),
            port: 25,
            security: SmtpSecurity::None,
            username: Some("monitor".into()),
            password_env: Some("QUIETWATCH_TEST_SURELY_UNSET_VAR".into()),
        };
        let e = credentials(&smtp).unwrap_err();
        assert!(
            e.to_string().contains("QUIETWATCH_TEST_SURELY_UNSET_VAR"),
            "{e}"
        );
        let no_env = SmtpSettings {
            password_env: None,
            ..smtp
        };
        assert!(matches!(
            credentials(&no_env),
            Err(MailError::NoPasswordEnv)
        ));
    }

    #[test]
    fn copies_do_not_overwrite_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("digests");
        let now = Utc::now();
        let (a, _) = write_copy(b"one", &digest(), &out, now).unwrap();
        let (b, bh) = write_copy(b"two", &digest(), &out, now).unwrap();
        assert_ne!(a, b);
        assert_eq!(std::fs::read(&a).unwrap(), b"one");
        assert_eq!(std::fs::read(&b).unwrap(), b"two");
        assert_eq!(std::fs::read_to_string(bh).unwrap(), "<p>html</p>");
        let names: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
        assert_eq!(names.len(), 4, "no temporary files left behind");
    }
}
