//! Reading a document in a worker process with resource limits: the robust path.
//!
//! Why a process: a parser that loops forever on a broken PDF cannot be stopped from inside
//! the process (a thread with `catch_unwind` catches panics, not loops or runaway
//! allocations), and an allocation failure aborts the whole process. So each document is
//! read by `quietwatch extract-worker`, started for it, with
//!
//! - `RLIMIT_AS` (the address space: a runaway allocation fails in the worker),
//!   `RLIMIT_CPU` (the timeout, rounded up, plus a second: a busy loop gets `SIGXCPU`),
//!   `RLIMIT_CORE` and `RLIMIT_FSIZE` at 0 (no core dumps, no files written), set between
//!   `fork` and `exec` so the limits hold before the worker runs any code;
//! - a wall-clock timeout, after which the worker is killed and reaped (a worker blocked
//!   without using CPU is caught too);
//! - its answer read with a size cap, and stderr discarded.
//!
//! Whatever happens to the worker is one [`DocText::Unavailable`] with a reason in words.
//! Where no process can be spawned (the executable is missing, or not on Unix), the document
//! is read on a thread with `catch_unwind` and the same timeout; a reader that hangs there
//! is abandoned, not stopped, and the warning says so.
//!
//! The protocol, one document per process: the request is a header line
//! `quietwatch-extract 1 KIND` followed by the limits as decimal numbers (see
//! [`encode_header`]), then the document's bytes to the end of stdin. The answer on stdout is
//! `T\n` and the text, or `U\n` and the reason.

use super::{read_in_process, DocKind, DocText, Limits};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand the worker runs as.
pub const WORKER_SUBCOMMAND: &str = "extract-worker";

const MAGIC: &str = "quietwatch-extract";
const VERSION: &str = "1";
const MAX_HEADER_BYTES: u64 = 1024;

/// Reads documents in worker processes (see the module docs). Cheap to clone and share
/// between threads: each [`Isolation::read`] starts its own worker.
#[derive(Clone, Debug)]
pub struct Isolation {
    worker_exe: PathBuf,
    limits: Limits,
}

impl Isolation {
    /// `worker_exe` is the `quietwatch` binary (`std::env::current_exe()` in the program,
    /// `env!("CARGO_BIN_EXE_quietwatch")` in tests).
    pub fn new(worker_exe: PathBuf, limits: Limits) -> Self {
        Isolation { worker_exe, limits }
    }

    /// The limits every read is held to.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The document's text, or why there is none; never panics, never outlives the timeout
    /// by more than the time to kill and reap the worker.
    pub fn read(&self, kind: DocKind, bytes: &[u8]) -> DocText {
        if bytes.len() > self.limits.max_input_bytes {
            return DocText::unavailable(format!(
                "too large: {} bytes (limit {})",
                bytes.len(),
                self.limits.max_input_bytes
            ));
        }
        match self.spawn() {
            Ok(child) => self.run(child, kind, bytes),
            Err(e) => {
                tracing::warn!(worker = %self.worker_exe.display(), error = %e,
                    "cannot start the document worker; reading on a thread, where a hang cannot be stopped");
                read_on_thread(kind, bytes, &self.limits)
            }
        }
    }

    fn spawn(&self) -> std::io::Result<std::process::Child> {
        let mut cmd = Command::new(&self.worker_exe);
        cmd.arg(WORKER_SUBCOMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        limit_resources(&mut cmd, &self.limits)?;
        cmd.spawn()
    }

    fn run(&self, mut child: std::process::Child, kind: DocKind, bytes: &[u8]) -> DocText {
        let header = encode_header(kind, &self.limits);
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let cap = (self.limits.max_output_bytes as u64).saturating_add(MAX_HEADER_BYTES);
        let deadline = Instant::now() + self.limits.timeout;
        std::thread::scope(|scope| {
            // The worker may die before reading everything: a write error is expected then.
            scope.spawn(move || {
                if let Some(mut stdin) = stdin {
                    let _ = stdin
                        .write_all(header.as_bytes())
                        .and_then(|()| stdin.write_all(bytes));
                }
            });
            let reader = scope.spawn(move || {
                let mut out = Vec::new();
                if let Some(stdout) = stdout {
                    let _ = stdout.take(cap.saturating_add(1)).read_to_end(&mut out);
                }
                out
            });
            let status = wait_until(&mut child, deadline);
            let answer = reader.join().unwrap_or_default();
            match status {
                Waited::TimedOut => DocText::unavailable(format!(
                    "timed out after {} s",
                    self.limits.timeout.as_secs_f64().ceil()
                )),
                Waited::Failed(e) => DocText::unavailable(format!("worker failed: {e}")),
                Waited::Exited(status) if status.success() => {
                    if answer.len() as u64 > cap {
                        DocText::unavailable("worker answer too large")
                    } else {
                        decode_answer(&answer)
                    }
                }
                Waited::Exited(status) => DocText::unavailable(describe_exit(status, &self.limits)),
            }
        })
    }
}

enum Waited {
    Exited(std::process::ExitStatus),
    TimedOut,
    Failed(std::io::Error),
}

/// Waits for the child until `deadline`, then kills and reaps it.
fn wait_until(child: &mut std::process::Child, deadline: Instant) -> Waited {
    let mut pause = Duration::from_millis(2);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Waited::Exited(status),
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Waited::Failed(e);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Waited::TimedOut;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

/// A worker's death in words.
fn describe_exit(status: std::process::ExitStatus, limits: &Limits) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return match signal {
                // SIGXCPU, and SIGKILL when the hard CPU limit follows it.
                24 | 9 => format!("timed out: CPU limit of {} s reached", cpu_seconds(limits)),
                // Rust aborts when an allocation fails under RLIMIT_AS.
                6 => format!(
                    "too large: the reader ran out of memory (limit {} MB)",
                    limits.max_memory_bytes / (1024 * 1024)
                ),
                s => format!("the reader crashed (signal {s})"),
            };
        }
    }
    let _ = limits;
    match status.code() {
        Some(code) => format!("the reader failed (exit status {code})"),
        None => "the reader failed".to_string(),
    }
}

fn cpu_seconds(limits: &Limits) -> u64 {
    limits.timeout.as_secs_f64().ceil() as u64 + 1
}

#[cfg(unix)]
fn limit_resources(cmd: &mut Command, limits: &Limits) -> std::io::Result<()> {
    use rustix::process::{setrlimit, Resource, Rlimit};
    use std::os::unix::process::CommandExt;
    let memory = limits.max_memory_bytes;
    let cpu = cpu_seconds(limits);
    let set = move || -> std::io::Result<()> {
        let limit = |n: u64| Rlimit {
            current: Some(n),
            maximum: Some(n),
        };
        setrlimit(Resource::As, limit(memory))?;
        // The soft limit sends SIGXCPU; the hard one, a second later, SIGKILL.
        setrlimit(
            Resource::Cpu,
            Rlimit {
                current: Some(cpu),
                maximum: Some(cpu + 1),
            },
        )?;
        setrlimit(Resource::Core, limit(0))?;
        setrlimit(Resource::Fsize, limit(0))?;
        Ok(())
    };
    // SAFETY: the closure runs in the forked child before exec; it only makes setrlimit
    // system calls (async-signal-safe: no allocation, no locks) and returns their result.
    unsafe {
        cmd.pre_exec(set);
    }
    Ok(())
}

#[cfg(not(unix))]
fn limit_resources(_cmd: &mut Command, _limits: &Limits) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "resource limits need a Unix system",
    ))
}

/// The fallback where no worker can be started: a thread, panics caught, the same timeout.
fn read_on_thread(kind: DocKind, bytes: &[u8], limits: &Limits) -> DocText {
    let (send, receive) = std::sync::mpsc::channel();
    let owned = bytes.to_vec();
    let thread_limits = limits.clone();
    let spawned = std::thread::Builder::new()
        .name("document-reader".into())
        .spawn(move || {
            let _ = send.send(read_in_process(kind, &owned, &thread_limits));
        });
    if let Err(e) = spawned {
        return DocText::unavailable(format!("no reader thread: {e}"));
    }
    match receive.recv_timeout(limits.timeout) {
        Ok(text) => text,
        Err(_) => DocText::unavailable(format!(
            "timed out after {} s",
            limits.timeout.as_secs_f64().ceil()
        )),
    }
}

/// The request's first line: the kind and every limit the worker applies itself.
fn encode_header(kind: DocKind, l: &Limits) -> String {
    format!(
        "{MAGIC} {VERSION} {} {} {} {} {} {} {} {} {} {}\n",
        kind.as_str(),
        l.max_input_bytes,
        l.max_output_bytes,
        l.max_zip_entries,
        l.max_entry_bytes,
        l.max_expanded_bytes,
        l.max_xml_depth,
        l.max_pages,
        l.max_cells,
        l.timeout.as_millis(),
    )
}

fn decode_header(line: &str) -> Option<(DocKind, Limits)> {
    let mut words = line.split_ascii_whitespace();
    if words.next() != Some(MAGIC) || words.next() != Some(VERSION) {
        return None;
    }
    let kind = DocKind::from_name(words.next()?)?;
    let mut n = || words.next()?.parse::<u64>().ok();
    let limits = Limits {
        max_input_bytes: usize::try_from(n()?).ok()?,
        max_output_bytes: usize::try_from(n()?).ok()?,
        max_zip_entries: usize::try_from(n()?).ok()?,
        max_entry_bytes: n()?,
        max_expanded_bytes: n()?,
        max_xml_depth: usize::try_from(n()?).ok()?,
        max_pages: usize::try_from(n()?).ok()?,
        max_cells: n()?,
        timeout: Duration::from_millis(n()?),
        // The parent set the address-space limit; the worker does not need the number.
        max_memory_bytes: Limits::default().max_memory_bytes,
    };
    Some((kind, limits))
}

fn decode_answer(answer: &[u8]) -> DocText {
    let Ok(text) = std::str::from_utf8(answer) else {
        return DocText::unavailable("worker answer is not UTF-8");
    };
    match text.split_once('\n') {
        Some(("T", body)) => DocText::Text(body.to_string()),
        Some(("U", reason)) => DocText::unavailable(reason),
        _ => DocText::unavailable("worker gave no answer"),
    }
}

/// What `quietwatch extract-worker` runs: reads one request on `stdin` (see the module
/// docs), extracts in this process, writes the answer on `stdout`. A malformed request is
/// answered with a reason, not an error; only a failure to read or write is one.
pub fn worker_main(stdin: impl Read, mut stdout: impl Write) -> std::io::Result<()> {
    let mut input = std::io::BufReader::new(stdin);
    let mut line = Vec::new();
    std::io::BufRead::read_until(&mut (&mut input).take(MAX_HEADER_BYTES), b'\n', &mut line)?;
    let request = std::str::from_utf8(&line).ok().and_then(decode_header);
    let answer = match request {
        None => DocText::unavailable("bad request to the document worker"),
        Some((kind, limits)) => {
            let mut bytes = Vec::new();
            let max = limits.max_input_bytes as u64;
            (&mut input)
                .take(max.saturating_add(1))
                .read_to_end(&mut bytes)?;
            if bytes.len() as u64 > max {
                DocText::unavailable(format!("too large: more than {max} bytes"))
            } else {
                read_in_process(kind, &bytes, &limits)
            }
        }
    };
    match &answer {
        DocText::Text(t) => {
            stdout.write_all(b"T\n")?;
            stdout.write_all(t.as_bytes())?;
        }
        DocText::Unavailable(r) => {
            stdout.write_all(b"U\n")?;
            stdout.write_all(r.as_bytes())?;
        }
    }
    stdout.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let limits = Limits {
            timeout: Duration::from_millis(1500),
            max_cells: 7,
            ..Limits::default()
        };
        let line = encode_header(DocKind::Ods, &limits);
        let (kind, back) = decode_header(&line).unwrap();
        assert_eq!(kind, DocKind::Ods);
        assert_eq!(back, limits);
        assert!(decode_header("quietwatch-extract 2 pdf 1 2 3 4 5 6 7 8 9").is_none());
    }

    #[test]
    fn worker_main_answers_in_process() {
        let mut request = encode_header(DocKind::Csv, &Limits::default()).into_bytes();
        request.extend_from_slice(b"a,b\n1,2\n");
        let mut out = Vec::new();
        worker_main(&request[..], &mut out).unwrap();
        assert_eq!(decode_answer(&out), DocText::Text("a | b\n1 | 2".into()));
        let mut out = Vec::new();
        worker_main(&b"hello\n"[..], &mut out).unwrap();
        assert!(decode_answer(&out)
            .reason()
            .unwrap()
            .contains("bad request"));
    }
}
