//! `<state-dir>/.env`: extra environment for the host, as the gateway's
//! daemon reads it — `KEY=value` lines, `#` comments, single or double
//! quotes, an optional `export ` prefix — never overriding a variable that is
//! already set.
//!
//! The values are kept in an overlay ([`Environment`]) rather than written
//! into the process environment: `std::env::set_var` is unsafe once other
//! threads run (the async runtime, the plugin's threads), and only the host
//! needs them — it passes a token found there to the plugin as `apiKey`.
//!
//! The file holds tokens, so it is a secret file like the auth store: one
//! others could read is narrowed to 0600 with a warning, and a state
//! directory others may write to is refused before anything in it is read
//! (see `secrets::private`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::CliResult;
use crate::secrets::{self, Links, SecretFile};

/// The file's name in the state directory.
pub const DOTENV_FILE: &str = ".env";

/// What to do when others could read the file.
const EXPOSED_ADVICE: &str = "Anyone who read it may have the tokens in it: replace them.";

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The process environment with `.env` values under it.
pub struct Environment {
    process: Lookup,
    file: BTreeMap<String, String>,
}

impl std::fmt::Debug for Environment {
    // Values may be secrets: show names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("dotenv_keys", &self.file.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Environment {
    /// The real process environment plus `<state_dir>/.env` (missing: nothing).
    ///
    /// # Errors
    /// When the file exists but cannot be read, or the state directory or
    /// the file is refused (see the module).
    pub fn load(state_dir: &Path) -> CliResult<Environment> {
        secrets::check_dir(state_dir)?;
        let path = state_dir.join(DOTENV_FILE);
        let text = secrets::read_secret(SecretFile {
            path: &path,
            links: Links::Follow,
            exposed_advice: EXPOSED_ADVICE,
        })?;
        let file = match text {
            Some(text) => {
                let parsed = parse(&text);
                for line in &parsed.skipped {
                    tracing::warn!(file = %path.display(), line, "ignoring a line that is not KEY=value");
                }
                parsed.vars
            }
            None => BTreeMap::new(),
        };
        Ok(Environment::from_parts(
            |name| std::env::var(name).ok(),
            file,
        ))
    }

    /// An environment from a lookup function and `.env` values (tests, demo).
    pub fn from_parts(
        process: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
        file: BTreeMap<String, String>,
    ) -> Environment {
        Environment {
            process: Box::new(process),
            file,
        }
    }

    /// A variable of the process itself (empty counts as unset).
    pub fn process_var(&self, name: &str) -> Option<String> {
        (self.process)(name).filter(|v| !v.trim().is_empty())
    }

    /// A variable: the process's, else the `.env` file's (empty counts as unset).
    pub fn var(&self, name: &str) -> Option<String> {
        self.process_var(name).or_else(|| {
            self.file
                .get(name)
                .filter(|v| !v.trim().is_empty())
                .cloned()
        })
    }
}

/// What a `.env` text holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Variables; a later line wins over an earlier one.
    pub vars: BTreeMap<String, String>,
    /// Line numbers (1-based) that are not `KEY=value` (values never echoed).
    pub skipped: Vec<usize>,
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A double-quoted value: `\n`, `\t`, `\"` and `\\` escapes; `None` if unclosed.
fn double_quoted(rest: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// Parses `.env` text.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            parsed.skipped.push(i + 1);
            continue;
        };
        let key = key.trim();
        if !valid_key(key) {
            parsed.skipped.push(i + 1);
            continue;
        }
        let value = value.trim();
        let value = if let Some(rest) = value.strip_prefix('"') {
            double_quoted(rest)
        } else if let Some(rest) = value.strip_prefix('\'') {
            rest.find('\'').map(|end| rest[..end].to_string())
        } else {
            // Unquoted: a `#` after whitespace starts a comment.
            let end = value
                .char_indices()
                .find(|&(j, c)| c == '#' && value[..j].ends_with([' ', '\t']))
                .map_or(value.len(), |(j, _)| j);
            Some(value[..end].trim_end().to_string())
        };
        match value {
            Some(v) => {
                parsed.vars.insert(key.to_string(), v);
            }
            None => parsed.skipped.push(i + 1),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_forms() {
        let p = parse(
            "# comment\n\
             HF_TOKEN=hf_plain # trailing comment\n\
             export A = 'single # kept'\n\
             B=\"double \\\"q\\\" \\n x\"\n\
             C=\n\
             D=a#b\n\
             not a line\n\
             1BAD=x\n\
             E=\"unclosed\n",
        );
        assert_eq!(p.vars["HF_TOKEN"], "hf_plain");
        assert_eq!(p.vars["A"], "single # kept");
        assert_eq!(p.vars["B"], "double \"q\" \n x");
        assert_eq!(p.vars["C"], "");
        assert_eq!(p.vars["D"], "a#b");
        assert_eq!(p.skipped, [7, 8, 9]);
    }

    #[test]
    fn process_variables_win_and_empty_ones_count_as_unset() {
        let env = Environment::from_parts(
            |n| match n {
                "SET" => Some("process".into()),
                "EMPTY" => Some(String::new()),
                _ => None,
            },
            [
                ("SET".to_string(), "file".to_string()),
                ("EMPTY".to_string(), "file".to_string()),
                ("ONLY".to_string(), "file".to_string()),
            ]
            .into(),
        );
        assert_eq!(env.var("SET").as_deref(), Some("process"));
        assert_eq!(env.var("EMPTY").as_deref(), Some("file"));
        assert_eq!(env.var("ONLY").as_deref(), Some("file"));
        assert_eq!(env.var("NONE"), None);
    }

    /// Item 6: a `.env` others could read is narrowed; an open state
    /// directory is refused before the file is read.
    #[cfg(unix)]
    #[test]
    fn an_exposed_file_is_narrowed_and_an_open_dir_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "HF_TOKEN=hf_x\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let env = Environment::load(dir.path()).unwrap();
        assert_eq!(env.file["HF_TOKEN"], "hf_x");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = Environment::load(dir.path()).unwrap_err();
        assert!(e.message.contains("writable by other users"), "{e}");
    }

    #[test]
    fn loads_from_the_state_dir() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Environment::load(dir.path()).unwrap().file.len(), 0);
        std::fs::write(dir.path().join(".env"), "X_TEST_ONLY_VAR=1\n").unwrap();
        let env = Environment::load(dir.path()).unwrap();
        assert_eq!(env.var("X_TEST_ONLY_VAR").as_deref(), Some("1"));
    }
}
