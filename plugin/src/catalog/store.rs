//! The on-disk last-good copy of the discovered list, so an offline restart
//! still knows which models and backends are live.
//!
//! `<state_dir>/huggingface-models.json` holds a format tag, a version, the
//! base URL it came from, the fetch time and the rows in the router's own
//! shape (read back through the same tolerant parser). It is replaced
//! atomically: a temp file in the same directory, fsync, rename, so a crash
//! mid-write leaves the previous copy, never half a file.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::api::{ApiModel, parse_rows};

pub(super) const FILE_NAME: &str = "huggingface-models.json";
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

    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let target = file_path(dir);
    // Unique per process and call, so two plugin instances sharing a state
    // dir never write the same temp file.
    let temp = dir.join(format!(
        ".{FILE_NAME}.{}.{}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = write_synced(&temp, &bytes).and_then(|()| fs::rename(&temp, &target));
    if let Err(e) = written {
        // Best effort: a stray temp file is harmless, the error is what matters.
        let _ = fs::remove_file(&temp);
        return Err(io_err(&target)(e));
    }
    sync_dir(dir);
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
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
