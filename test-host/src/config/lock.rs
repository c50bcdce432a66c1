//! One writer at a time: an advisory lock on `<file>.lock`.
//!
//! An OS lock (flock), not the lock file's existence: a crashed onboarding
//! releases it with its process, so there is never a stale lock to remove.
//! The holder deletes the lock file before it lets go, so nothing is left
//! behind. That is safe because a waiter that then gets the lock checks that
//! its file is still the one at the path; if the holder deleted it
//! meanwhile, the waiter opens the path again and locks the new file.

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
        let open = || {
            let mut options = OpenOptions::new();
            options.create(true).truncate(false).write(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(&lock_path).map_err(|e| {
                CliError::new(format!(
                    "cannot create the lock file {}: {e}",
                    lock_path.display()
                ))
            })
        };
        let mut file = open()?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) if is_at(&file, &lock_path) => {
                    return Ok(FileLock {
                        _file: file,
                        path: lock_path,
                    });
                }
                // The previous holder deleted this file as it let go: lock
                // the one at the path now.
                Ok(()) => file = open()?,
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

/// Whether `file` is the file at `path` (not one deleted since it was opened).
fn is_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(open), Ok(now)) => open.dev() == now.dev() && open.ino() == now.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Still locked here: the file goes first, then the lock with it.
        let _ = std::fs::remove_file(&self.path);
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
        assert!(
            !dir.path().join("openclaw.json.lock").exists(),
            "left behind"
        );
        FileLock::acquire(&target, Duration::ZERO).unwrap();
    }

    #[test]
    fn a_waiter_that_locks_a_deleted_file_locks_the_new_one_instead() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("openclaw.json");
        let holder = FileLock::acquire(&target, Duration::ZERO).unwrap();
        let waiter = {
            let target = target.clone();
            std::thread::spawn(move || FileLock::acquire(&target, Duration::from_secs(5)).unwrap())
        };
        std::thread::sleep(Duration::from_millis(100));
        drop(holder);
        let second = waiter.join().unwrap();
        // It holds the file that is at the path, so a third one must wait.
        assert!(is_at(&second._file, second.path()));
        let e = FileLock::acquire(&target, Duration::from_millis(100)).unwrap_err();
        assert!(e.message.contains("another onboarding"), "{e}");
    }
}
