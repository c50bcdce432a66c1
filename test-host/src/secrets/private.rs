//! The state directory and the secret files in it (`auth-profiles.json`,
//! `serve-key`, `.env`) are for their owner only, as ssh has it for its keys:
//! - a state directory that other users may write to, or that belongs to
//!   another user, is refused: they could replace the keys in it;
//! - a secret file of another user is refused; one of ours that others may
//!   read is narrowed to 0600 with a warning saying so (the secret may have
//!   been read: the warning says what to do about that);
//! - a missing state directory is created 0700.
//!
//! Modes are changed through the open file, never by path, so a link or a
//! file swapped in meanwhile is never what gets changed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::config::atomic::OWNER_ONLY;
use crate::error::{CliError, CliResult};
use crate::paths::shell_word;

/// A state directory this process creates.
#[cfg(unix)]
const PRIVATE_DIR: u32 = 0o700;

/// Whether a secret file may be a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Followed: a file the user manages (the store, `.env`) may live elsewhere.
    Follow,
    /// Refused: a file this host made itself (the serve key) is never a link;
    /// one there was put by someone else.
    Refuse,
}

/// A secret file to read: where, and what to tell its owner when others
/// could read it.
#[derive(Debug, Clone, Copy)]
pub struct SecretFile<'a> {
    /// The file.
    pub path: &'a Path,
    /// Whether it may be a symbolic link.
    pub links: Links,
    /// What to do about a secret others may have read (a full sentence).
    pub exposed_advice: &'a str,
}

/// Creates the state directory owner-only (0700) when it does not exist; an
/// existing one is checked (see [`check_dir`]) and otherwise left as its
/// owner set it.
///
/// # Errors
/// When it cannot be created, or is refused.
pub fn create_state_dir(dir: &Path) -> CliResult {
    if dir.is_dir() {
        return check_dir(dir);
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR);
    builder
        .create(dir)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", dir.display())))
}

/// Refuses a state directory that other users may write to or that belongs
/// to another user (root's is accepted, as ssh does). A missing or
/// unreadable one passes: whatever reads it next says what is wrong.
///
/// # Errors
/// When the directory is refused, with the command that fixes it.
pub fn check_dir(dir: &Path) -> CliResult {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(dir) else {
            return Ok(());
        };
        if !meta.is_dir() {
            return Ok(());
        }
        if let Some(owner) = foreign_owner(meta.uid()) {
            return Err(CliError::usage(format!(
                "{} belongs to another user (uid {owner}): the keys in a state directory must be yours; use a directory of your own (--state-dir or $OPENCLAW_STATE_DIR)",
                dir.display()
            )));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(CliError::usage(format!(
                "{} is writable by other users (mode {mode:04o}): they could replace the keys in it; run `chmod 700 {}`",
                dir.display(),
                shell_word(dir)
            )));
        }
    }
    Ok(())
}

/// The uid owning a file when it is neither this process's effective user
/// nor root.
#[cfg(unix)]
fn foreign_owner(uid: u32) -> Option<u32> {
    let me = rustix::process::geteuid().as_raw();
    (uid != me && uid != 0).then_some(uid)
}

/// The text of a secret file, `None` when there is none. The file is opened
/// first and checked through the open handle (see the module).
///
/// # Errors
/// When it cannot be read, is not a regular file, is a link where
/// [`Links::Refuse`], belongs to another user, or could not be narrowed.
pub fn read_secret(secret: SecretFile<'_>) -> CliResult<Option<String>> {
    let path = secret.path;
    let mut file = match open(path, secret.links) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if link && secret.links == Links::Refuse {
                return Err(CliError::usage(format!(
                    "{} is a symbolic link: it is used only as a regular file of your own; remove it (`rm {}`)",
                    path.display(),
                    shell_word(path)
                )));
            }
            return Err(CliError::usage(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    check_file(&file, secret)?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(Some(text))
}

/// Opens for reading; with [`Links::Refuse`], a link at `path` is an error
/// (`O_NOFOLLOW`), not followed.
fn open(path: &Path, links: Links) -> std::io::Result<File> {
    match links {
        #[cfg(unix)]
        Links::Refuse => {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            Ok(File::from(rustix::fs::open(path, flags, Mode::empty())?))
        }
        _ => File::open(path),
    }
}

/// A regular file of our own (or root's) that only its owner may read;
/// one of ours that others may read is narrowed to 0600.
fn check_file(file: &File, secret: SecretFile<'_>) -> CliResult {
    let path = secret.path;
    let meta = file
        .metadata()
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(CliError::usage(format!(
            "{} is not a regular file; remove it",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if let Some(owner) = foreign_owner(meta.uid()) {
            return Err(CliError::usage(format!(
                "{} belongs to another user (uid {owner}): only a file of your own is used; remove it",
                path.display()
            )));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 == 0 {
            return Ok(());
        }
        let mine = meta.uid() == rustix::process::geteuid().as_raw();
        let narrowed = mine
            && file
                .set_permissions(std::fs::Permissions::from_mode(OWNER_ONLY))
                .is_ok();
        if !narrowed {
            return Err(CliError::usage(format!(
                "{} is accessible to other users (mode {mode:04o}); run `chmod 600 {}`",
                path.display(),
                shell_word(path)
            )));
        }
        tracing::warn!(
            "{} was accessible to other users (mode {mode:04o}); narrowed it to 0600. {}",
            path.display(),
            secret.exposed_advice
        );
    }
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn secret(path: &Path, links: Links) -> SecretFile<'_> {
        SecretFile {
            path,
            links,
            exposed_advice: "Replace it.",
        }
    }

    #[test]
    fn a_missing_state_dir_is_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("home/.openclaw");
        create_state_dir(&state).unwrap();
        assert_eq!(mode(&state), 0o700);
        // An existing one is left as it is.
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o750)).unwrap();
        create_state_dir(&state).unwrap();
        assert_eq!(mode(&state), 0o750);
    }

    #[test]
    fn a_state_dir_others_may_write_to_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for open in [0o777, 0o770, 0o1777, 0o722] {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(open)).unwrap();
            let e = check_dir(dir.path()).unwrap_err();
            assert!(
                e.message.contains("writable by other users")
                    && e.message
                        .contains(&format!("run `chmod 700 {}`", dir.path().display())),
                "{e}"
            );
            assert_eq!(e.code, 2);
        }
        // Readable by others is the owner's choice: the files inside are 0600.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        check_dir(dir.path()).unwrap();
        check_dir(&dir.path().join("absent")).unwrap();
    }

    #[test]
    fn a_secret_others_may_read_is_narrowed_and_its_text_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serve-key");
        assert_eq!(read_secret(secret(&path, Links::Refuse)).unwrap(), None);
        std::fs::write(&path, "k\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let text = read_secret(secret(&path, Links::Refuse)).unwrap();
        assert_eq!(text.as_deref(), Some("k\n"));
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_link_is_refused_where_asked_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "not a key").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("serve-key");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = read_secret(secret(&link, Links::Refuse)).unwrap_err();
        assert!(
            e.message.contains("is a symbolic link") && e.message.contains("rm "),
            "{e}"
        );
        assert_eq!(mode(&target), 0o644, "the target's mode is untouched");
        // A dangling one too.
        std::fs::remove_file(&target).unwrap();
        let e = read_secret(secret(&link, Links::Refuse)).unwrap_err();
        assert!(e.message.contains("is a symbolic link"), "{e}");
        // Where links are followed, a dangling one is no file.
        assert_eq!(read_secret(secret(&link, Links::Follow)).unwrap(), None);
    }

    #[test]
    fn a_directory_in_place_of_a_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_secret(secret(dir.path(), Links::Follow)).unwrap_err();
        assert!(e.message.contains("not a regular file"), "{e}");
    }

    /// Giving a file away needs root; the owner check is the same for both.
    #[test]
    fn files_and_dirs_of_another_user_are_refused() {
        if rustix::process::geteuid().as_raw() != 0 {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        let path = state.join("auth-profiles.json");
        std::fs::write(&path, "{}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        let e = read_secret(secret(&path, Links::Follow)).unwrap_err();
        assert!(
            e.message.contains("belongs to another user (uid 65534)"),
            "{e}"
        );
        std::os::unix::fs::chown(&state, Some(65534), Some(65534)).unwrap();
        let e = check_dir(&state).unwrap_err();
        assert!(
            e.message.contains("belongs to another user (uid 65534)"),
            "{e}"
        );
    }
}
