//! The private copy of a plugin file that is actually mapped.
//!
//! dlopen dedups by path, so a file rebuilt in place must be mapped from a
//! path of its own to load as a new version, while identical bytes must map
//! to one path (one library, one runtime). And the copy is code this process
//! will execute: nobody else may be able to choose or change it.
//!
//! - **Linux**: no file system at all. The bytes go into an anonymous memory
//!   file (`memfd_create`), sealed against any later change, and ld.so opens
//!   it as `/proc/self/fd/N`. Nothing is shared with other users or processes.
//! - **Elsewhere**, and on Linux when a memory file cannot be used (an old
//!   kernel, `vm.memfd_noexec = 2`, no `/proc`), or when
//!   `HOST_SDK_PLUGIN_COPY=dir` asks for it: a per-user directory
//!   (`<temp>/host-sdk-plugins-<uid>`) that this process creates 0700 and then
//!   checks — a real directory (not a symlink), owned by this user, not
//!   writable by group or others. A directory that fails the check is never
//!   used: the copy goes to a fresh private directory instead. An existing
//!   copy is reused only after a byte-for-byte comparison with the source.
//!
//! Either way a copy is named by the SHA-256 of its bytes, and this process
//! keeps one copy per digest, so loading identical bytes again returns the
//! same path (and dlopen the same library).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// Set to `dir` to use the private directory even where memory files work.
pub(crate) const STRATEGY_VAR: &str = "HOST_SDK_PLUGIN_COPY";

/// A copy made by this process: the path to map, and (for a memory file) the
/// descriptor that keeps `/proc/self/fd/N` naming it. Never closed: the
/// library stays mapped for the life of the process, and a closed number
/// could be reused for another file while dlopen still matches the name.
struct Copy {
    path: PathBuf,
    _keep_open: Option<fs::File>,
}

/// One copy per content digest, for the life of the process.
static COPIES: LazyLock<Mutex<HashMap<[u8; 32], Copy>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Reads `source` and returns the path of a private copy of its bytes.
pub(super) fn private_copy(source: &Path) -> std::io::Result<PathBuf> {
    let bytes = fs::read(source)?;
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    // Held while copying: two threads loading the same bytes make one copy.
    let mut copies = COPIES.lock();
    if let Some(copy) = copies.get(&digest) {
        return Ok(copy.path.clone());
    }
    let name = copy_name(source, &digest);
    let copy = match memory_file(&name, &bytes) {
        Some(copy) => copy,
        None => Copy {
            path: dir::copy_into_private_dir(&name, &bytes)?,
            _keep_open: None,
        },
    };
    let path = copy.path.clone();
    copies.insert(digest, copy);
    Ok(path)
}

/// `<stem>-<sha256>.<ext>`.
fn copy_name(source: &Path, digest: &[u8; 32]) -> String {
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("plugin");
    let ext = source
        .extension()
        .and_then(|s| s.to_str())
        .unwrap_or(std::env::consts::DLL_EXTENSION);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{stem}-{hex}.{ext}")
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn memory_file(name: &str, bytes: &[u8]) -> Option<Copy> {
    if std::env::var_os(STRATEGY_VAR).is_some_and(|v| v == "dir") {
        return None;
    }
    match memfd::sealed(name, bytes) {
        Ok(copy) => Some(copy),
        Err(e) => {
            tracing::debug!("no memory file for the plugin copy ({e}); using a private directory");
            None
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn memory_file(_name: &str, _bytes: &[u8]) -> Option<Copy> {
    None
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod memfd {
    use std::fs;
    use std::io::Write;
    use std::path::PathBuf;

    use rustix::fs::{MemfdFlags, SealFlags};
    use rustix::io::Errno;

    use super::Copy;

    /// A memory file holding `bytes`, sealed so nothing can write, grow or
    /// shrink it any more, and the path ld.so can open it by.
    pub(super) fn sealed(name: &str, bytes: &[u8]) -> std::io::Result<Copy> {
        let flags = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING;
        // Executable on purpose: since Linux 6.3 a memory file may default to
        // non-executable (vm.memfd_noexec = 1); older kernels reject the flag.
        let fd = match rustix::fs::memfd_create(name, flags | MemfdFlags::EXEC) {
            Err(Errno::INVAL) => rustix::fs::memfd_create(name, flags)?,
            other => other?,
        };
        let mut file = fs::File::from(fd);
        file.write_all(bytes)?;
        rustix::fs::fcntl_add_seals(
            &file,
            SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL,
        )?;
        let path = PathBuf::from(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&file)
        ));
        // No /proc (a minimal container): ld.so could not open it.
        fs::metadata(&path)?;
        Ok(Copy {
            path,
            _keep_open: Some(file),
        })
    }
}

mod dir {
    use std::fs;
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use super::owner;

    /// Copies not used for this long are removed when another plugin loads.
    const STALE_COPY: std::time::Duration = std::time::Duration::from_secs(3600);

    /// Writes (or verifies and reuses) `name` in this user's private directory.
    pub(super) fn copy_into_private_dir(name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let dir = private_dir()?;
        let target = dir.join(name);
        if holds_exactly(&target, bytes) {
            // Fresh again, so a concurrent prune (below) leaves it alone.
            if let Ok(f) = fs::File::options().write(true).open(&target) {
                let _ = f.set_modified(std::time::SystemTime::now());
            }
        } else {
            // Temp file + rename: a concurrent loader never maps a partial
            // copy, and a symlink in the target's place is replaced, not followed.
            let (tmp, mut file) = create_new_in(&dir, name)?;
            let written = file.write_all(bytes).and_then(|()| file.sync_all());
            drop(file);
            if let Err(e) = written.and_then(|()| fs::rename(&tmp, &target)) {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        }
        prune_stale_copies(&dir, &target);
        Ok(target)
    }

    /// The per-user directory when it is trustworthy, else a new private one.
    fn private_dir() -> std::io::Result<PathBuf> {
        let base = std::env::temp_dir();
        let shared = base.join(format!("host-sdk-plugins-{}", owner::current_user()));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&shared) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        match owner::check_private(&shared) {
            Ok(()) => Ok(shared),
            Err(why) => {
                tracing::warn!(
                    "not using {} for plugin copies: {why}; using a new private directory",
                    shared.display()
                );
                fresh_private_dir(&base, &builder)
            }
        }
    }

    /// A directory this call created itself (mkdir fails on an existing
    /// name, so no one else can have prepared it), checked like the shared one.
    fn fresh_private_dir(base: &Path, builder: &fs::DirBuilder) -> std::io::Result<PathBuf> {
        for attempt in 0u32..100 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let dir = base.join(format!(
                "host-sdk-plugins-{}-{}-{nanos:09}-{attempt}",
                owner::current_user(),
                std::process::id()
            ));
            match builder.create(&dir) {
                Ok(()) => {
                    owner::check_private(&dir).map_err(std::io::Error::other)?;
                    return Ok(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(
            "cannot create a private directory for the plugin copy",
        ))
    }

    /// Whether `path` is a regular file (not a symlink) of this user that
    /// holds exactly `bytes`.
    fn holds_exactly(path: &Path, bytes: &[u8]) -> bool {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return false;
        };
        if !meta.file_type().is_file()
            || meta.len() != bytes.len() as u64
            || owner::check_file(&meta).is_err()
        {
            return false;
        }
        fs::read(path).is_ok_and(|existing| existing == bytes)
    }

    fn create_new_in(dir: &Path, name: &str) -> std::io::Result<(PathBuf, fs::File)> {
        for attempt in 0u32..100 {
            let path = dir.join(format!(".{name}-{}-{attempt}.tmp", std::process::id()));
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(f) => return Ok((path, f)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(
            "cannot create a temporary plugin copy",
        ))
    }

    /// Keeps the directory from growing with every rebuild. Removing a copy
    /// is safe even while some process has it mapped: the mapping keeps the
    /// file's data alive until that process exits, and a later load copies
    /// it again.
    fn prune_stale_copies(dir: &Path, keep: &Path) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_COPY);
            if stale && path != keep {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// Who may own the copies: the current user only.
pub(super) mod owner {
    use std::fs;
    use std::path::Path;

    /// The current (effective) user id, as used in the directory name.
    #[cfg(unix)]
    pub(crate) fn current_user() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    #[cfg(not(unix))]
    pub(crate) fn current_user() -> u32 {
        0
    }

    /// Checks that `dir` is a real directory (not a symlink) owned by this
    /// user and not writable by group or others.
    pub(crate) fn check_private(dir: &Path) -> Result<(), String> {
        let meta = fs::symlink_metadata(dir).map_err(|e| e.to_string())?;
        if meta.file_type().is_symlink() {
            return Err("it is a symbolic link".into());
        }
        if !meta.is_dir() {
            return Err("it is not a directory".into());
        }
        check_owner_and_mode(&meta, current_user())
    }

    /// A file inside the private directory: this user's, not writable by others.
    pub(crate) fn check_file(meta: &fs::Metadata) -> Result<(), String> {
        check_owner_and_mode(meta, current_user())
    }

    #[cfg(unix)]
    pub(crate) fn check_owner_and_mode(meta: &fs::Metadata, user: u32) -> Result<(), String> {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != user {
            return Err(format!(
                "it is owned by user {}, not by this user ({user})",
                meta.uid()
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "group or others may write to it (mode {:o})",
                meta.mode() & 0o7777
            ));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    pub(crate) fn check_owner_and_mode(_meta: &fs::Metadata, _user: u32) -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_directory_of_another_user_or_writable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let me = owner::current_user();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let meta_private = fs::symlink_metadata(dir.path()).unwrap();
        assert!(owner::check_owner_and_mode(&meta_private, me).is_ok());
        let other = owner::check_owner_and_mode(&meta_private, me + 1).unwrap_err();
        assert!(other.contains("owned by user"), "{other}");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let open = fs::symlink_metadata(dir.path()).unwrap();
        let writable = owner::check_owner_and_mode(&open, me).unwrap_err();
        assert!(writable.contains("mode 777"), "{writable}");

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let why = owner::check_private(&link).unwrap_err();
        assert!(why.contains("symbolic link"), "{why}");
        assert!(owner::check_private(dir.path()).is_ok());
    }

    #[test]
    fn copies_are_named_by_their_sha256() {
        let digest: [u8; 32] = Sha256::digest(b"abc").into();
        assert_eq!(
            copy_name(Path::new("/x/libp.so"), &digest),
            "libp-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.so"
        );
    }
}
