//! The local access key `test-host serve` requires from its clients. It is
//! not the Hugging Face token, which never leaves this process.
//!
//! `<state-dir>/serve-key` is made by serve itself, so it is only ever a
//! regular file of the user's own: a symbolic link there is refused (opened
//! with `O_NOFOLLOW`), never followed — another file's contents must not
//! become the key, nor its mode change.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::private::{self, Links, SecretFile};
use crate::config::atomic::OWNER_ONLY;
use crate::dotenv::Environment;
use crate::error::{CliError, CliResult};

/// The environment variable that overrides the serve key.
pub const SERVE_KEY_ENV: &str = "OPENCLAW_HF_SERVE_KEY";

/// What to do when others could read the key file.
const EXPOSED_ADVICE: &str =
    "Anyone who read it can use this serve: delete it and restart serve to make a new key.";

/// Where `test-host serve` keeps its local access key.
pub fn serve_key_path(state_dir: &Path) -> PathBuf {
    state_dir.join("serve-key")
}

/// `$OPENCLAW_HF_SERVE_KEY` when set, else `<state-dir>/serve-key`, created
/// with a random key (0600, in a 0700 state dir) on first use.
///
/// # Errors
/// When the key file cannot be read or created, is empty, or is refused (a
/// symbolic link, another user's, a state directory others may write to).
pub fn serve_key(state_dir: &Path, env: &Environment) -> CliResult<String> {
    if let Some(key) = env.var(SERVE_KEY_ENV) {
        return Ok(key.trim().to_string());
    }
    private::check_dir(state_dir)?;
    let path = serve_key_path(state_dir);
    // Two rounds: a key another serve created between our read and our
    // create is read in the second. Bounded, so a path that exists but reads
    // as missing can never loop.
    for _ in 0..2 {
        if let Some(key) = read_key(&path)? {
            return Ok(key);
        }
        private::create_state_dir(state_dir)?;
        let key = format!(
            "hfserve-{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        // create_new (O_EXCL): never through a link, and two servers starting
        // at once do not both write a key.
        match write_new_private(&path, format!("{key}\n").as_bytes()) {
            Ok(()) => return Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(CliError::new(format!(
                    "cannot create {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Err(CliError::new(format!(
        "{} exists but cannot be read as a key file; remove it and a new key is made, or set ${SERVE_KEY_ENV}",
        path.display()
    )))
}

/// The key in the file, `None` when there is no file.
fn read_key(path: &Path) -> CliResult<Option<String>> {
    let Some(text) = private::read_secret(SecretFile {
        path,
        links: Links::Refuse,
        exposed_advice: EXPOSED_ADVICE,
    })?
    else {
        return Ok(None);
    };
    let key = text.trim();
    if key.is_empty() {
        return Err(CliError::new(format!(
            "{} is empty: delete it and a new key is made, or set ${SERVE_KEY_ENV}",
            path.display()
        )));
    }
    Ok(Some(key.to_string()))
}

/// Writes a new owner-only file; fails if anything (a link included) is there.
fn write_new_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, OWNER_ONLY);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn no_env() -> Environment {
        Environment::from_parts(|_| None, Default::default())
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_key_is_made_once_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let key = serve_key(&state, &no_env()).unwrap();
        assert!(key.starts_with("hfserve-") && key.len() == 8 + 64, "{key}");
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&serve_key_path(&state)), 0o600);
        assert_eq!(serve_key(&state, &no_env()).unwrap(), key);
        let env = Environment::from_parts(
            |n| (n == SERVE_KEY_ENV).then(|| " from-env ".to_string()),
            Default::default(),
        );
        assert_eq!(serve_key(&state, &env).unwrap(), "from-env");
    }

    /// Item 5: a dangling link made serve recurse until its stack overflowed
    /// (create: exists; read: not found; create…).
    #[test]
    fn a_dangling_link_is_refused_not_a_stack_overflow() {
        let dir = tempfile::tempdir().unwrap();
        let path = serve_key_path(dir.path());
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &path).unwrap();
        let e = serve_key(dir.path(), &no_env()).unwrap_err();
        assert!(
            e.message.contains("serve-key is a symbolic link")
                && e.message.contains(&format!("`rm {}`", path.display())),
            "{e}"
        );
        assert!(!dir.path().join("nowhere").exists(), "nothing was created");
    }

    /// Item 5: a link to another file made that file's contents the key and
    /// its mode 0600.
    #[test]
    fn a_link_to_another_file_is_neither_read_nor_changed() {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("notes.txt");
        std::fs::write(&other, "some other file\n").unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&other, serve_key_path(dir.path())).unwrap();
        let e = serve_key(dir.path(), &no_env()).unwrap_err();
        assert!(e.message.contains("is a symbolic link"), "{e}");
        assert_eq!(mode(&other), 0o644);
        assert_eq!(
            std::fs::read_to_string(&other).unwrap(),
            "some other file\n"
        );
    }

    /// Item 6: a key others could read is narrowed (and a warning says so).
    #[test]
    fn an_exposed_key_is_narrowed_and_still_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = serve_key_path(dir.path());
        std::fs::write(&path, "hfserve-mine\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(serve_key(dir.path(), &no_env()).unwrap(), "hfserve-mine");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn an_open_state_dir_is_refused_before_any_key_is_made() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = serve_key(dir.path(), &no_env()).unwrap_err();
        assert!(e.message.contains("writable by other users"), "{e}");
        assert!(!serve_key_path(dir.path()).exists());
    }
}
