//! Where the host finds its config, its state and the plugin.

use std::path::{Path, PathBuf};

use crate::error::{CliError, CliResult};

/// The gateway's home directory, `~/.openclaw`.
fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `--config`, else `OPENCLAW_CONFIG_PATH`, else `~/.openclaw/openclaw.json`.
pub fn config_path(flag: Option<&Path>) -> CliResult<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("OPENCLAW_CONFIG_PATH").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    home_dir()
        .map(|h| h.join(".openclaw").join("openclaw.json"))
        .ok_or_else(|| CliError::usage("HOME is not set: pass --config PATH"))
}

/// `--state-dir`, else `OPENCLAW_STATE_DIR`, else `~/.openclaw`.
pub fn state_dir(flag: Option<&Path>) -> CliResult<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("OPENCLAW_STATE_DIR").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    home_dir()
        .map(|h| h.join(".openclaw"))
        .ok_or_else(|| CliError::usage("HOME is not set: pass --state-dir DIR"))
}

/// `path` as one word of a shell command, for "run `…`" advice: as it is
/// when it has nothing a shell would read, else single-quoted.
pub fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The plugin's file name on this OS, e.g. `libhuggingface_provider.so`.
fn plugin_file_name() -> String {
    format!(
        "{}huggingface_provider{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// `--plugin`, else the newest of the plugin next to this executable (or in
/// its `deps/`) and those in the workspace's `target/{debug,release}`.
pub fn plugin_path(flag: Option<&Path>) -> CliResult<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    let name = plugin_file_name();
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join(&name));
        candidates.push(dir.join("deps").join(&name));
        // `cargo test` puts binaries one level down, in target/<profile>/deps.
        if let Some(parent) = dir.parent() {
            candidates.push(parent.join(&name));
        }
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for profile in ["debug", "release"] {
        candidates.push(workspace.join("target").join(profile).join(&name));
    }
    // The newest build wins: `cargo build` writes the plugin next to
    // test-host, `cargo test` only into deps/ (it is a dev-dependency there),
    // and a stale copy of an older interface would be refused.
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    candidates
        .iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| modified(p))
        .cloned()
        .ok_or_else(|| {
            CliError::usage(format!(
                "no plugin found (looked for {name} next to test-host and in the workspace target dir): build it with `cargo build -p huggingface-provider` or pass --plugin PATH"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word(Path::new("/home/me/.openclaw")),
            "/home/me/.openclaw"
        );
        assert_eq!(shell_word(Path::new("/tmp/my dir")), "'/tmp/my dir'");
        assert_eq!(shell_word(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
    }
}
