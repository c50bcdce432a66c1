//! The on-disk last-good copy of the discovered list, so an offline restart
//! still knows which models and backends are live.
//!
//! `<state_dir>/huggingface-models.json` holds a format tag, a version, the
//! base URL it came from, the fetch time and the rows in the router's own
//! shape (read back through the same tolerant parser). It is replaced
//! atomically: a temp file in the same directory, fsync, rename, so a crash
//! mid-write leaves the previous copy, never half a file.
//!
//! The state directory is shared with the host's secrets: one the plugin
//! creates is owner-only (0700), and so is the file (0600). A process killed
//! mid-write (a host that exits without waiting for the plugin) leaves its
//! temp file behind; each writer holds a lock on its temp file, so the next
//! start removes the unlocked ones (see [`remove_stale_temps`]).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::api::{ApiModel, parse_rows};

pub(super) const FILE_NAME: &str = "huggingface-models.json";
/// Temp files are `.huggingface-models.json.<pid>.<random>.tmp`.
const TEMP_PREFIX: &str = ".huggingface-models.json.";
const TEMP_SUFFIX: &str = ".tmp";
/// A temp file this recent may be one another writer has created but not yet
/// locked: it is left for a later start.
const TEMP_GRACE: Duration = Duration::from_secs(2);
/// Owner-only, like the host's secrets beside it.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;
const FORMAT: &str = "huggingface-provider/models";
const VERSION: u64 = 1;
/// Far above any real list (a few MB); a file this big is not ours.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A loaded copy.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Saved {
    pub(super) fetched_at: SystemTime,
    pub(super) rows: Vec<ApiModel>,
}

/// Why a saved copy was not used or not written.
#[derive(Debug, thiserror::Error)]
pub(super) enum StoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is not a saved model list ({why}); ignoring it")]
    Unusable { path: PathBuf, why: String },
}

pub(super) fn file_path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// The saved copy for `base_url`, `None` when there is none. A copy saved for
/// another base URL (a test server, a proxy) is none for this one: switching
/// `--base-url` is normal use, not a fault to warn about; it is not reused.
pub(super) fn load(dir: &Path, base_url: &str) -> Result<Option<Saved>, StoreError> {
    let path = file_path(dir);
    let io_err = |source| StoreError::Io {
        path: path.clone(),
        source,
    };
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    let unusable = |why: &str| StoreError::Unusable {
        path: path.clone(),
        why: why.to_string(),
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(unusable("too large"));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| unusable("not JSON"))?;
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(unusable("unknown format"));
    }
    if value.get("version").and_then(Value::as_u64) != Some(VERSION) {
        return Err(unusable("unsupported version"));
    }
    let saved_for = value.get("base_url").and_then(Value::as_str);
    if saved_for.map(normalise_url) != Some(normalise_url(base_url)) {
        tracing::debug!(
            "model catalog: the saved list is for another base URL ({}); not used",
            saved_for.unwrap_or("none")
        );
        return Ok(None);
    }
    let fetched_at = value
        .get("fetched_at_ms")
        .and_then(Value::as_u64)
        .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .ok_or_else(|| unusable("no fetch time"))?;
    let rows = match value.get("data") {
        Some(Value::Array(rows)) => parse_rows(rows),
        _ => return Err(unusable("no data")),
    };
    if rows.is_empty() {
        return Err(unusable("no models"));
    }
    Ok(Some(Saved { fetched_at, rows }))
}

/// Atomically replaces the saved copy. Blocking: call off the async threads.
pub(super) fn save(
    dir: &Path,
    base_url: &str,
    rows: &[ApiModel],
    fetched_at: SystemTime,
) -> Result<(), StoreError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let fetched_at_ms = fetched_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let document = json!({
        "format": FORMAT,
        "version": VERSION,
        "base_url": normalise_url(base_url),
        "fetched_at_ms": fetched_at_ms,
        "data": rows.iter().map(ApiModel::to_wire).collect::<Vec<_>>(),
    });
    let bytes = serde_json::to_vec(&document).map_err(|e| io_err(dir)(io::Error::other(e)))?;

    create_private_dir(dir).map_err(io_err(dir))?;
    let target = file_path(dir);
    // Unique per process and call, so two plugin instances sharing a state
    // dir never write the same temp file.
    let temp = dir.join(format!(
        "{TEMP_PREFIX}{}.{}{TEMP_SUFFIX}",
        std::process::id(),
        rand::random::<u64>()
    ));
    // The lock (held until `_writing` is dropped, after the rename) tells
    // `remove_stale_temps` in another process that this write is alive.
    let written = write_locked(&temp, &bytes).and_then(|_writing| fs::rename(&temp, &target));
    if let Err(e) = written {
        // A temp file left here would be removed by the next start anyway.
        let _ = fs::remove_file(&temp);
        return Err(io_err(&target)(e));
    }
    sync_dir(dir);
    Ok(())
}

/// Creates the directory (and missing parents) owner-only; an existing one is
/// left as its owner set it.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)
}

/// A new owner-only file with `bytes`, flushed to disk, still open and locked.
fn write_locked(path: &Path, bytes: &[u8]) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    let mut file = options.open(path)?;
    file.lock()?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(file)
}

/// Removes the temp files of writes that died (a process killed mid-save):
/// ours by name, unlocked, and older than [`TEMP_GRACE`]. Best effort:
/// whatever cannot be checked or removed is left. Blocking.
pub(super) fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let path = entry.path();
        if is_stale(&path, now) && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::debug!(
            "model catalog: removed {removed} temp file(s) of interrupted saves in {}",
            dir.display()
        );
    }
    removed
}

/// A regular file nobody writes: older than the grace period and not locked.
fn is_stale(path: &Path, now: SystemTime) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    let old = meta
        .modified()
        .ok()
        .and_then(|at| now.duration_since(at).ok())
        .is_some_and(|age| age >= TEMP_GRACE);
    if !(meta.is_file() && old) {
        return false;
    }
    // The lock is taken and dropped at once: a live writer holds it.
    File::open(path).is_ok_and(|file| file.try_lock().is_ok())
}

/// Makes the rename itself durable. Not every platform can open a directory
/// for syncing; the rename is still atomic without it.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

fn normalise_url(url: &str) -> &str {
    url.trim().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::api::ApiBackend;

    const BASE: &str = "https://router.huggingface.co/v1";

    fn rows() -> Vec<ApiModel> {
        vec![ApiModel {
            id: "org/model".into(),
            name: Some("Model".into()),
            providers: vec![ApiBackend {
                provider: "together".into(),
                status: "live".into(),
                context_length: Some(1_000),
                ..ApiBackend::default()
            }],
            ..ApiModel::default()
        }]
    }

    #[test]
    fn saves_and_loads_the_rows_and_fetch_time() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("state/deeper");
        let at = UNIX_EPOCH + Duration::from_millis(1_776_900_000_123);
        save(&nested, BASE, &rows(), at).unwrap();
        let saved = load(&nested, &format!("{BASE}/")).unwrap().unwrap();
        assert_eq!(
            saved,
            Saved {
                fetched_at: at,
                rows: rows()
            }
        );
        // Replacing leaves exactly one file: no temp files behind.
        save(&nested, BASE, &rows(), at).unwrap();
        let names: Vec<_> = fs::read_dir(&nested)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME]);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_state_dir_and_the_file_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("home/.openclaw");
        save(&state, BASE, &rows(), UNIX_EPOCH).unwrap();
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&dir.path().join("home")), 0o700);
        assert_eq!(mode(&file_path(&state)), 0o600);
        // A copy an older version left readable by others is replaced by an
        // owner-only one; an existing directory is left as it is.
        fs::set_permissions(file_path(&state), fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(&state, fs::Permissions::from_mode(0o750)).unwrap();
        save(&state, BASE, &rows(), UNIX_EPOCH).unwrap();
        assert_eq!(mode(&file_path(&state)), 0o600);
        assert_eq!(mode(&state), 0o750);
    }

    /// What a killed writer leaves: a temp file of our name, nobody holding it.
    fn leftover(dir: &Path, name: &str, age: Duration) -> PathBuf {
        let path = dir.join(name);
        let file = File::create(&path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
        path
    }

    #[test]
    fn the_temp_files_of_interrupted_saves_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = Duration::from_secs(60);
        let dead = leftover(dir.path(), ".huggingface-models.json.123.456.tmp", old);
        let dead_too = leftover(dir.path(), ".huggingface-models.json.9.1.tmp", old);
        // A write in progress in another process: it holds its lock.
        let live = leftover(dir.path(), ".huggingface-models.json.77.8.tmp", old);
        let writer = fs::OpenOptions::new().write(true).open(&live).unwrap();
        writer.lock().unwrap();
        // Just created: perhaps not locked yet by its writer.
        let fresh = leftover(
            dir.path(),
            ".huggingface-models.json.5.6.tmp",
            Duration::ZERO,
        );
        // Not ours.
        let other = leftover(dir.path(), ".openclaw.json.abc.tmp", old);
        let cache = leftover(dir.path(), FILE_NAME, old);

        assert_eq!(remove_stale_temps(dir.path()), 2);
        assert!(!dead.exists() && !dead_too.exists());
        for kept in [&live, &fresh, &other, &cache] {
            assert!(kept.exists(), "{} was removed", kept.display());
        }
        drop(writer);
        assert_eq!(remove_stale_temps(dir.path()), 1, "its writer is gone");
        assert!(!live.exists());
        assert_eq!(remove_stale_temps(&dir.path().join("absent")), 0);
    }

    #[test]
    fn a_missing_file_is_no_copy() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path(), BASE).unwrap().is_none());
        assert!(load(&dir.path().join("absent"), BASE).unwrap().is_none());
    }

    #[test]
    fn corrupt_or_foreign_files_are_unusable() {
        let dir = tempfile::tempdir().unwrap();
        let good = || {
            json!({"format": FORMAT, "version": VERSION, "base_url": BASE,
                   "fetched_at_ms": 5, "data": [{"id": "a/b"}]})
        };
        let mut cases: Vec<Vec<u8>> = vec![b"{not json".to_vec(), b"".to_vec(), b"[]".to_vec()];
        for (key, value) in [
            ("format", json!("someone-else")),
            ("version", json!(2)),
            ("fetched_at_ms", json!("yesterday")),
            ("data", json!({})),
            ("data", json!([{"id": 7}])),
        ] {
            let mut doc = good();
            doc[key] = value;
            cases.push(serde_json::to_vec(&doc).unwrap());
        }
        for bytes in cases {
            fs::write(file_path(dir.path()), &bytes).unwrap();
            let e = load(dir.path(), BASE).unwrap_err();
            assert!(matches!(e, StoreError::Unusable { .. }), "{e}");
        }
        fs::write(file_path(dir.path()), serde_json::to_vec(&good()).unwrap()).unwrap();
        assert_eq!(load(dir.path(), BASE).unwrap().unwrap().rows.len(), 1);
    }

    #[test]
    fn a_copy_for_another_base_url_is_no_copy_and_no_error() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), BASE, &rows(), UNIX_EPOCH).unwrap();
        assert!(load(dir.path(), "http://127.0.0.1:9/v1").unwrap().is_none());
        assert!(load(dir.path(), BASE).unwrap().is_some());
    }

    #[test]
    fn a_failed_save_leaves_the_previous_copy() {
        let dir = tempfile::tempdir().unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(10);
        save(dir.path(), BASE, &rows(), at).unwrap();
        // A directory where the file should be makes the rename fail.
        let blocked = dir.path().join("blocked");
        fs::create_dir_all(file_path(&blocked)).unwrap();
        assert!(matches!(
            save(&blocked, BASE, &rows(), at),
            Err(StoreError::Io { .. })
        ));
        let leftovers = fs::read_dir(&blocked).unwrap().count();
        assert_eq!(leftovers, 1, "the temp file was removed");
        assert!(load(dir.path(), BASE).unwrap().is_some());
    }
}
