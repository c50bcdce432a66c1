//! Replacing a file so that readers see the old contents or the new, never a
//! mix: the new bytes go to a temporary file in the same directory (so the
//! rename cannot cross file systems), are flushed to disk, and the temporary
//! file is renamed over the target; then the directory itself is synced so
//! the rename survives a crash.

use std::fs::{self, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Owner read/write only.
pub const OWNER_ONLY: u32 = 0o600;

/// The real file behind `path`: a symlinked config is updated where it
/// points instead of being replaced by a regular file.
fn real_target(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

#[cfg(unix)]
fn mode_permissions(mode: u32) -> Permissions {
    use std::os::unix::fs::PermissionsExt;
    Permissions::from_mode(mode)
}

/// New contents written next to their target, not yet visible under its name.
///
/// Dropping it without [`StagedFile::commit`] (an error, a cancelled
/// onboarding) removes the temporary file and leaves the target untouched.
#[derive(Debug)]
pub struct StagedFile {
    temp: NamedTempFile,
    target: PathBuf,
}

impl StagedFile {
    /// Writes `contents` to a temporary file beside `path` and flushes it to
    /// disk. The temporary file gets the target's current permissions, or
    /// `new_mode` when the target does not exist yet; with `force_mode` it
    /// always gets `new_mode` (secrets). The mode is set when the file is
    /// created (and umask can only narrow it), so the file is never more
    /// readable than intended, even for an instant.
    ///
    /// # Errors
    /// Any I/O error; the temporary file is removed then.
    pub fn stage(
        path: &Path,
        contents: &[u8],
        new_mode: u32,
        force_mode: bool,
    ) -> io::Result<StagedFile> {
        let target = real_target(path);
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let existing = fs::metadata(&target).ok().map(|m| m.permissions());
        let permissions = match existing {
            Some(p) if !force_mode => p,
            _ => mode_permissions(new_mode),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            // Owner-only from creation; widened below only to the target's mode.
            .permissions(mode_permissions(OWNER_ONLY))
            .tempfile_in(&dir)?;
        // Set exactly (umask may have narrowed a wider mode at creation).
        temp.as_file().set_permissions(permissions)?;
        temp.write_all(contents)?;
        temp.as_file().sync_all()?;
        Ok(StagedFile { temp, target })
    }

    /// The temporary file (for tests and diagnostics).
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Renames the temporary file over the target and syncs the directory.
    ///
    /// # Errors
    /// When the rename fails (the temporary file is removed then).
    pub fn commit(self) -> io::Result<()> {
        let target = self.target;
        self.temp.persist(&target).map_err(|e| e.error)?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Best effort: some file systems refuse to sync a directory.
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// Replaces `path` with `contents` atomically (see [`StagedFile::stage`]).
///
/// # Errors
/// Any I/O error; `path` is then as it was.
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    new_mode: u32,
    force_mode: bool,
) -> io::Result<()> {
    StagedFile::stage(path, contents, new_mode, force_mode)?.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_failure_before_the_rename_leaves_the_original_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        fs::write(&path, "old").unwrap();
        let staged = StagedFile::stage(&path, b"new and longer", 0o600, false).unwrap();
        assert!(staged.temp_path().exists());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        drop(staged); // the injected failure: never committed
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(entries(dir.path()), ["c.json"]);
    }

    #[test]
    fn keeps_the_mode_of_an_existing_file_and_sets_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"new", 0o600, false).unwrap();
        assert_eq!(mode(&path), 0o640);
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let fresh = dir.path().join("fresh.json");
        write_atomic(&fresh, b"x", 0o600, false).unwrap();
        assert_eq!(mode(&fresh), 0o600);
        // Secrets: always owner-only, whatever the old file had.
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"secret", 0o600, true).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(entries(dir.path()), ["c.json", "fresh.json"]);
    }

    #[test]
    fn a_symlinked_target_is_updated_where_it_points() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new", 0o600, false).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }
}
