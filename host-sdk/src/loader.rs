//! Loading a plugin file safely.
//!
//! The file is first copied to a private copy named by its content (see
//! [`copy`]): dlopen dedups by path, so a rebuilt file at the same path must
//! get a new path to load as the new version, while loading identical bytes
//! twice reuses one mapping. Libraries are never unloaded (see
//! [`crate::Plugin`]). Errors name the user's path, never the copy's.

mod copy;

use std::fs;
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
    let mapped_path = copy::private_copy(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let header =
        lib_header_from_path(&mapped_path).map_err(|e| classify(path, &mapped_path, None, e))?;
    let plugin_version = header.version_strings().version.to_string();
    check_version(path, &plugin_version)?;
    let module = header
        .init_root_module::<ProviderModule_Ref>()
        .map_err(|e| classify(path, &mapped_path, Some(&plugin_version), e))?;
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

/// `error` as a [`LoadError`] about `path`. abi_stable's and ld.so's texts
/// name the file they opened, the private copy at `mapped`: that name is
/// replaced by the user's, which is the one they can act on.
fn classify(
    path: &Path,
    mapped: &Path,
    plugin_version: Option<&str>,
    error: LibraryError,
) -> LoadError {
    let mapped_text = mapped.to_string_lossy();
    let user_facing = |text: &str| {
        first_line(text)
            .replace(&format!("{mapped_text}: "), "")
            .replace(&*mapped_text, &path.to_string_lossy())
    };
    let path = path.to_path_buf();
    match &error {
        LibraryError::OpenError { err, .. } => {
            let reason = user_facing(&err.to_string());
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
            message: user_facing(&other.to_string()),
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
