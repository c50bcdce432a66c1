//! Loading a plugin file safely.
//!
//! The file is first copied to a path derived from its content: dlopen dedups
//! by path, so a rebuilt file at the same path must get a new path to load as
//! the new version, while loading identical bytes twice reuses one mapping.
//! Libraries are never unloaded (see [`crate::Plugin`]).

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use abi_stable::library::{LibraryError, lib_header_from_path};
use abi_stable::sabi_types::VersionNumber;

use provider_abi::abi::{INTERFACE_VERSION, ProviderModule_Ref};

/// Why a plugin file could not be loaded. Its `Display` is one short line
/// naming the file and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// There is no file at the path.
    #[error("{}: no such plugin file", path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The file exists but could not be read or copied.
    #[error("{}: cannot read the plugin file: {source}", path.display())]
    Io {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a shared library, or not one that exports a provider.
    #[error("{}: not a provider plugin ({reason})", path.display())]
    NotAPlugin {
        /// The path given.
        path: PathBuf,
        /// A short description of what was found instead.
        reason: String,
        /// abi_stable's own error (boxed: it is large and rarely read).
        source: Box<LibraryError>,
    },
    /// The plugin was built against an interface this host cannot use.
    #[error("{}: plugin built against interface {plugin}, this host implements {host}: {advice}", path.display())]
    IncompatibleVersion {
        /// The path given.
        path: PathBuf,
        /// The plugin's interface version.
        plugin: String,
        /// This host's interface version.
        host: String,
        /// What to do about it.
        advice: &'static str,
    },
    /// The plugin's types do not have the layout this host expects.
    #[error("{}: plugin (interface {plugin}) does not match this host's layout (interface {host}): {}", path.display(), mismatches.join("; "))]
    LayoutMismatch {
        /// The path given.
        path: PathBuf,
        /// The plugin's interface version.
        plugin: String,
        /// This host's interface version.
        host: String,
        /// The first few mismatches, one short line each.
        mismatches: Vec<String>,
        /// abi_stable's full report (thousands of lines).
        source: Box<LibraryError>,
    },
    /// Any other loader failure.
    #[error("{}: cannot load the plugin: {message}", path.display())]
    Other {
        /// The path given.
        path: PathBuf,
        /// A short description.
        message: String,
    },
}

/// How many mismatch lines a [`LoadError::LayoutMismatch`] keeps.
const MAX_MISMATCHES: usize = 3;

pub(crate) struct Loaded {
    pub(crate) module: ProviderModule_Ref,
    pub(crate) mapped_path: PathBuf,
}

/// Loads the provider plugin at `path` (see the module docs for the copy step).
pub(crate) fn load(path: &Path) -> Result<Loaded, LoadError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LoadError::Missing {
                path: path.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(LoadError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if !meta.is_file() {
        return Err(LoadError::Other {
            path: path.to_path_buf(),
            message: "not a regular file".into(),
        });
    }
    let mapped_path = unique_copy(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let header = lib_header_from_path(&mapped_path).map_err(|e| classify(path, None, e))?;
    let plugin_version = header.version_strings().version.to_string();
    check_version(path, &plugin_version)?;
    let module = header
        .init_root_module::<ProviderModule_Ref>()
        .map_err(|e| classify(path, Some(&plugin_version), e))?;
    Ok(Loaded {
        module,
        mapped_path,
    })
}

fn parse_version(text: &str) -> Option<VersionNumber> {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
    Some(VersionNumber {
        major: parts.next()??,
        minor: parts.next()??,
        patch: parts.next().flatten().unwrap_or(0),
    })
}

/// abi_stable checks this too, but its error names neither side's version in
/// words a user can act on.
fn check_version(path: &Path, plugin: &str) -> Result<(), LoadError> {
    let (Some(p), Some(h)) = (parse_version(plugin), parse_version(INTERFACE_VERSION)) else {
        return Ok(());
    };
    let advice = if p.major > h.major {
        "the plugin is for a newer major interface; upgrade the host"
    } else if p.major < h.major || p.minor < h.minor {
        "the plugin is older than this host; rebuild it against provider-abi of this host's interface version"
    } else {
        return Ok(());
    };
    Err(LoadError::IncompatibleVersion {
        path: path.to_path_buf(),
        plugin: plugin.to_string(),
        host: INTERFACE_VERSION.to_string(),
        advice,
    })
}

fn classify(path: &Path, plugin_version: Option<&str>, error: LibraryError) -> LoadError {
    let path = path.to_path_buf();
    match &error {
        LibraryError::OpenError { err, .. } => {
            let reason = first_line(&err.to_string());
            LoadError::NotAPlugin {
                path,
                reason: format!("not a loadable shared library: {reason}"),
                source: Box::new(error),
            }
        }
        LibraryError::GetSymbolError { .. } => LoadError::NotAPlugin {
            path,
            reason: "a shared library that exports no abi_stable root module".into(),
            source: Box::new(error),
        },
        LibraryError::InvalidAbiHeader(_) | LibraryError::InvalidCAbi { .. } => {
            LoadError::NotAPlugin {
                path,
                reason: "built with an incompatible abi_stable".into(),
                source: Box::new(error),
            }
        }
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => LoadError::IncompatibleVersion {
            path,
            plugin: actual_version.to_string(),
            host: expected_version.to_string(),
            advice: "rebuild the plugin against provider-abi of this host's interface version",
        },
        LibraryError::AbiInstability(report) => {
            let mismatches = mismatch_lines(&report.to_string());
            LoadError::LayoutMismatch {
                path,
                plugin: plugin_version.unwrap_or("unknown").to_string(),
                host: INTERFACE_VERSION.to_string(),
                mismatches,
                source: Box::new(error),
            }
        }
        other => LoadError::Other {
            message: first_line(&other.to_string()),
            path,
        },
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("unknown error")
        .to_string()
}

/// abi_stable's layout report is thousands of lines; the useful part is each
/// `Error:` marker, with the type being compared when it was found (the last
/// `--- Type Layout ---` before it) and the `Expected:`/`Found:` values after it:
/// `AbiHostContext: too many fields (expected 3, found 4)`.
pub(crate) fn mismatch_lines(report: &str) -> Vec<String> {
    let lines: Vec<&str> = report.lines().map(str::trim).collect();
    let mut found: Vec<String> = Vec::new();
    let mut current_type: Option<&str> = None;
    for (i, line) in lines.iter().enumerate() {
        if *line == "--- Type Layout ---" {
            if let Some(name) = lines.get(i + 1).and_then(|l| l.strip_prefix("type:")) {
                current_type = Some(name);
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("Error:") else {
            continue;
        };
        let what = match rest.trim() {
            "" => next_value(&lines[i + 1..]).unwrap_or("layout mismatch"),
            text => text,
        };
        let mut text = match current_type {
            Some(name) => format!("{name}: {what}"),
            None => what.to_string(),
        };
        let section = section_after(&lines[i + 1..]);
        if let (Some(expected), Some(actual)) =
            (labelled(section, "Expected:"), labelled(section, "Found:"))
        {
            text.push_str(&format!(" (expected {expected}, found {actual})"));
        }
        if !found.contains(&text) {
            found.push(text);
        }
        if found.len() >= MAX_MISMATCHES {
            break;
        }
    }
    if found.is_empty() {
        found.push(first_line(report));
    }
    found
}

/// The lines up to the next `Error:` marker.
fn section_after<'a>(lines: &'a [&'a str]) -> &'a [&'a str] {
    let end = lines
        .iter()
        .position(|l| l.starts_with("Error:"))
        .unwrap_or(lines.len());
    &lines[..end]
}

fn next_value<'a>(lines: &[&'a str]) -> Option<&'a str> {
    lines.iter().copied().find(|l| !l.is_empty())
}

/// The first line after `label`, with abi_stable's `field_name:` shortened.
fn labelled(section: &[&str], label: &str) -> Option<String> {
    let at = section.iter().position(|l| *l == label)?;
    let value = next_value(&section[at + 1..])?;
    Some(match value.strip_prefix("field_name:") {
        Some(field) => format!("field `{field}`"),
        None => value.to_string(),
    })
}

/// Copies `path` to `<temp>/host-sdk-plugins/<stem>-<content hash>.<ext>`,
/// atomically (temp file + rename) so concurrent loaders never map a partial copy.
fn unique_copy(path: &Path) -> std::io::Result<PathBuf> {
    let bytes = fs::read(path)?;
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    let hash = hasher.finish();
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("plugin");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("so");
    let dir = std::env::temp_dir().join("host-sdk-plugins");
    fs::create_dir_all(&dir)?;
    let target = dir.join(format!("{stem}-{hash:016x}.{ext}"));
    if fs::metadata(&target).is_ok_and(|m| m.len() == bytes.len() as u64) {
        // Fresh again, so a concurrent prune (below) leaves it alone.
        if let Ok(f) = fs::File::options().write(true).open(&target) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
    } else {
        let mut tmp = tempfile_in(&dir, stem)?;
        tmp.1.write_all(&bytes)?;
        tmp.1.sync_all()?;
        drop(tmp.1);
        fs::rename(&tmp.0, &target)?;
    }
    prune_stale_copies(&dir, &target);
    Ok(target)
}

/// Copies not used for this long are removed when another plugin loads.
const STALE_COPY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Keeps the copy directory from growing with every rebuild. Removing a copy
/// is safe even while some process has it mapped: the mapping keeps the file's
/// data alive until that process exits, and a later load copies it again.
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

fn tempfile_in(dir: &Path, stem: &str) -> std::io::Result<(PathBuf, fs::File)> {
    for attempt in 0u32..100 {
        let name = format!(".{stem}-{}-{attempt}.tmp", std::process::id());
        let path = dir.join(name);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "cannot create a temporary plugin copy",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatch_lines_keep_the_first_few_errors() {
        let report = "Compared <this>\n  Error:\n    too many fields, expected 6 found 5\n  noise\n  Error: different type name\n  Error:\n    too many fields, expected 6 found 5\n";
        assert_eq!(
            mismatch_lines(report),
            vec!["too many fields, expected 6 found 5", "different type name"]
        );
    }

    #[test]
    fn mismatch_lines_name_the_type_and_both_values() {
        let report = "Compared <this>:\n    --- Type Layout ---\n    type:PrefixRef<'a, ProviderModule>\n\
            Layout of found type:\n    --- Type Layout ---\n    type:AbiHostContext\n    size:104 align:8\n\
            Error:incompatible type size\nExpected:\n    96\nFound:\n    104\n\n\
            Error:too many fields\nExpected:\n    3\nFound:\n    4\n\n\
            Error:unexpected field\nExpected:\n    field_name:host_version\n    type:RString\n\
            Found:\n    field_name:layout_break\n    type:u64\n\n\
            Error:unexpected field\nExpected:\n    field_name:log\nFound:\n    field_name:host_version\n";
        assert_eq!(
            mismatch_lines(report),
            vec![
                "AbiHostContext: incompatible type size (expected 96, found 104)",
                "AbiHostContext: too many fields (expected 3, found 4)",
                "AbiHostContext: unexpected field (expected field `host_version`, found field `layout_break`)",
            ]
        );
    }

    #[test]
    fn version_check_explains_both_directions() {
        let p = Path::new("/x/libp.so");
        let older = check_version(p, "0.9.0").unwrap_err().to_string();
        assert!(
            older.contains("0.9.0") && older.contains(INTERFACE_VERSION),
            "{older}"
        );
        assert!(older.contains("older"), "{older}");
        let newer = check_version(p, "99.0.0").unwrap_err().to_string();
        assert!(newer.contains("upgrade the host"), "{newer}");
        assert!(check_version(p, INTERFACE_VERSION).is_ok());
    }
}
