//! One writer at a time: the run lock.
//!
//! Two overlapping cron runs would fetch everything twice and could file the same change twice.
//! `run`, `crawl` and `digest` take an exclusive lock on a file beside the database; a second
//! one fails at once (exit 3) instead of waiting. The lock is the OS's advisory file lock
//! (`File::try_lock`), so it is released when the process ends however it ends — a kill -9
//! leaves no stale lock behind. The file holds the holder's pid, for the operator's benefit.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another quietwatch run holds the lock {path}{holder}")]
    Held { path: PathBuf, holder: String },
    #[error("cannot open lock file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Held while a run writes; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// The lock file that goes with a database: `<db>.lock`.
    pub fn path_for(db: &Path) -> PathBuf {
        let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        db.with_file_name(name)
    }

    /// Takes the lock for `db`, or fails at once if another process holds it.
    pub fn acquire(db: &Path) -> Result<RunLock, LockError> {
        let path = Self::path_for(db);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LockError::Io {
                path: path.clone(),
                source,
            })?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|source| LockError::Io {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .map(|s| format!(" (pid {s})"))
                    .unwrap_or_default();
                return Err(LockError::Held { path, holder });
            }
            Err(TryLockError::Error(source)) => return Err(LockError::Io { path, source }),
        }
        // Best effort: the pid is a courtesy, the lock is what matters.
        let _ = file.set_len(0);
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(RunLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_until_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("q.db");
        let first = RunLock::acquire(&db).unwrap();
        let err = RunLock::acquire(&db).unwrap_err();
        assert!(matches!(err, LockError::Held { .. }), "{err}");
        assert!(err.to_string().contains("pid"));
        drop(first);
        RunLock::acquire(&db).unwrap();
    }
}
