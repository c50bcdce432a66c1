//! The plugin copy is code the host runs, so no other user may choose it.
//! Each test runs `test-host plugin-info` with its own temporary directory
//! (`TMPDIR`) where an attacker has prepared something: a directory at the
//! copy's location, a library with the expected name and size, a symlink.
//! The host must load the real plugin every time and never the planted file.
//! A planted file is a real shared library (the C math library) padded to the
//! plugin's size: had it been loaded, the host would report "not a provider
//! plugin".
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `test-host plugin-info --json` with `tmp` as its temporary directory;
/// `dir` selects the private-directory copy (the fallback where memory files
/// are unavailable).
fn plugin_info(tmp: &Path, dir: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_test-host"));
    cmd.args(["plugin-info", "--json", "--plugin"])
        .arg(common::plugin_path())
        .env("TMPDIR", tmp)
        .env_remove("RUST_LOG");
    if dir {
        cmd.env("HOST_SDK_PLUGIN_COPY", "dir");
    } else {
        cmd.env_remove("HOST_SDK_PLUGIN_COPY");
    }
    cmd.output().expect("run test-host")
}

fn assert_loaded_the_real_plugin(out: &Output) {
    assert!(
        out.status.success(),
        "the real plugin did not load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(common::json_of(out)["provider_id"], "huggingface");
}

/// A real shared library that is not the plugin, padded with zeros (after its
/// ELF image, so it still loads) to exactly the plugin's size.
fn planted_library() -> Vec<u8> {
    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
        "/usr/lib/aarch64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
        "/usr/lib64/libm.so.6",
        "/usr/lib/libm.so.6",
    ]
    .iter()
    .map(Path::new)
    .find(|p| p.is_file())
    .expect("a system libm to plant");
    let mut bytes = fs::read(libm).unwrap();
    let size = fs::metadata(common::plugin_path()).unwrap().len();
    bytes.resize(usize::try_from(size).unwrap(), 0);
    bytes
}

/// This user's id, as the loader puts it in its directory's name.
fn my_uid(tmp: &Path) -> u32 {
    fs::metadata(tmp).unwrap().uid()
}

fn private_dir(tmp: &Path) -> PathBuf {
    tmp.join(format!("host-sdk-plugins-{}", my_uid(tmp)))
}

/// The copy's file name, learnt from a clean run in a directory of its own.
fn copy_name() -> String {
    let tmp = tempfile::tempdir().unwrap();
    assert_loaded_the_real_plugin(&plugin_info(tmp.path(), true));
    let names: Vec<String> = fs::read_dir(private_dir(tmp.path()))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    names[0].clone()
}

fn plant(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// Directories in `tmp` whose name starts with `prefix`.
fn dirs_named(tmp: &Path, prefix: &str) -> Vec<PathBuf> {
    fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn on_linux_the_copy_lives_in_no_directory_and_a_planted_one_is_ignored() {
    use std::hash::{DefaultHasher, Hash, Hasher};

    // What an attacker prepared for the loader of old: the shared, fixed
    // directory, world-writable, holding a library with the name it would
    // compute (std's DefaultHasher of the bytes) and the plugin's size.
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("host-sdk-plugins");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    let mut hasher = DefaultHasher::new();
    fs::read(common::plugin_path()).unwrap().hash(&mut hasher);
    let stem = common::plugin_path().file_stem().unwrap().to_string_lossy();
    let name = format!("{stem}-{:016x}.so", hasher.finish());
    let planted = planted_library();
    let planted_path = plant(&shared, &name, &planted);

    assert_loaded_the_real_plugin(&plugin_info(tmp.path(), false));
    assert_eq!(fs::read(&planted_path).unwrap(), planted, "left alone");
    let entries: Vec<PathBuf> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries, [shared], "the host wrote nothing in the temp dir");
}

#[test]
fn a_copy_directory_that_someone_else_prepared_is_never_used() {
    let name = copy_name();
    let planted = planted_library();

    // Writable by others.
    let tmp = tempfile::tempdir().unwrap();
    let open = private_dir(tmp.path());
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let in_open = plant(&open, &name, &planted);
    let out = plugin_info(tmp.path(), true);
    assert_loaded_the_real_plugin(&out);
    assert_eq!(fs::read(&in_open).unwrap(), planted, "never used");
    // The copy went to a directory of the host's own instead, 0700.
    let fresh = dirs_named(
        tmp.path(),
        &format!("host-sdk-plugins-{}-", my_uid(tmp.path())),
    );
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    assert_eq!(fs::metadata(&fresh[0]).unwrap().mode() & 0o777, 0o700);
    assert!(fresh[0].join(&name).is_file());

    // A symlink to a directory the attacker controls.
    let tmp = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    fs::set_permissions(theirs.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let in_theirs = plant(theirs.path(), &name, &planted);
    std::os::unix::fs::symlink(theirs.path(), private_dir(tmp.path())).unwrap();
    assert_loaded_the_real_plugin(&plugin_info(tmp.path(), true));
    assert_eq!(fs::read(&in_theirs).unwrap(), planted, "never used");

    // Owned by another user (this part needs root to give the directory
    // away; the owner check itself is also unit-tested in host-sdk).
    if my_uid(tmp.path()) == 0 {
        let tmp = tempfile::tempdir().unwrap();
        let other = private_dir(tmp.path());
        fs::create_dir(&other).unwrap();
        fs::set_permissions(&other, fs::Permissions::from_mode(0o755)).unwrap();
        let in_other = plant(&other, &name, &planted);
        std::os::unix::fs::chown(&other, Some(65534), Some(65534)).unwrap();
        std::os::unix::fs::chown(&in_other, Some(65534), Some(65534)).unwrap();
        assert_loaded_the_real_plugin(&plugin_info(tmp.path(), true));
        assert_eq!(fs::read(&in_other).unwrap(), planted, "never used");
    }
}

#[test]
fn a_planted_copy_in_the_private_directory_is_verified_and_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    assert_loaded_the_real_plugin(&plugin_info(tmp.path(), true));
    let dir = private_dir(tmp.path());
    assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    let copy = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .unwrap();
    let real = fs::read(common::plugin_path()).unwrap();

    // Same name, same size, other bytes: compared in full, then replaced.
    let planted = planted_library();
    fs::write(&copy, &planted).unwrap();
    assert_loaded_the_real_plugin(&plugin_info(tmp.path(), true));
    assert!(fs::read(&copy).unwrap() == real, "the copy was rewritten");

    // A symlink in the copy's place is replaced, never followed.
    let elsewhere = tempfile::tempdir().unwrap();
    let target = plant(elsewhere.path(), "lib.so", &planted);
    fs::remove_file(&copy).unwrap();
    std::os::unix::fs::symlink(&target, &copy).unwrap();
    assert_loaded_the_real_plugin(&plugin_info(tmp.path(), true));
    assert!(!fs::symlink_metadata(&copy).unwrap().is_symlink());
    assert!(fs::read(&copy).unwrap() == real);
    assert_eq!(fs::read(&target).unwrap(), planted, "left alone");
}

#[test]
fn identical_bytes_are_one_library_and_other_bytes_another() {
    let dir = tempfile::tempdir().unwrap();
    let first = common::plugin();
    let mut bytes = fs::read(common::plugin_path()).unwrap();
    let same = plant(dir.path(), "libsame.so", &bytes);
    bytes.extend_from_slice(b"v2");
    let other = plant(dir.path(), "libother.so", &bytes);
    let same = host_sdk::Plugin::load(&same).unwrap();
    let other = host_sdk::Plugin::load(&other).unwrap();
    assert_eq!(same.mapped_path(), first.mapped_path());
    assert_ne!(other.mapped_path(), first.mapped_path());
    #[cfg(target_os = "linux")]
    assert!(
        first.mapped_path().starts_with("/proc/self/fd/"),
        "{}",
        first.mapped_path().display()
    );
}
