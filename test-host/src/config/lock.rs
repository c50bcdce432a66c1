//! One writer at a time: an advisory lock on `<file>.lock`.
//!
//! An OS lock (flock), not the lock file's existence: a crashed onboarding
//! releases it with its process, so there is never a stale lock to remove.
//! The empty lock file itself is left in place, because deleting it while
//! another process waits on it would let two writers in.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{CliError, CliResult};

/// How long a second onboarding waits for the first before giving up.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: PathBuf,
}

impl FileLock {
    /// `<path>.lock`.
    pub fn lock_path(path: &Path) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Locks `<path>.lock`, waiting up to `wait` for another holder.
    ///
    /// # Errors
    /// When the lock file cannot be created, or another process still holds
    /// it after `wait`.
    pub fn acquire(path: &Path, wait: Duration) -> CliResult<FileLock> {
        let lock_path = Self::lock_path(path);
        if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::new(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&lock_path).map_err(|e| {
            CliError::new(format!(
                "cannot create the lock file {}: {e}",
                lock_path.display()
            ))
        })?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(FileLock {
                        _file: file,
                        path: lock_path,
                    });
                }
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(CliError::new(format!(
                        "another onboarding is writing {} (it holds {}); try again when it has finished",
                        path.display(),
                        lock_path.display()
                    )));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(CliError::new(format!(
                        "cannot lock {}: {e}",
                        lock_path.display()
                    )));
                }
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_gives_up_and_gets_it_after_release() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("openclaw.json");
        let first = FileLock::acquire(&target, Duration::ZERO).unwrap();
        assert!(first.path().ends_with("openclaw.json.lock"));
        let e = FileLock::acquire(&target, Duration::from_millis(120)).unwrap_err();
        assert!(e.message.contains("another onboarding"), "{e}");
        drop(first);
        FileLock::acquire(&target, Duration::ZERO).unwrap();
    }
}
