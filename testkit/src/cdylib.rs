//! Finding the libraries the tests load.
//!
//! The provider plugin and the test plugin are dev-dependencies of the crates
//! whose tests load them, so cargo builds their `cdylib` (same profile, same
//! features as everything else in the run) before any test starts; a test
//! only has to find it. Libraries built as another interface version (the
//! compatibility tests) need their own `cargo build`: [`build_variant`].

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// `target/<profile>` of the running test or bench executable (cargo puts
/// those in `target/<profile>/deps`).
///
/// # Errors
/// The executable is not inside a cargo target directory.
pub fn profile_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} is not inside target/<profile>/deps", exe.display()))
}

/// The file name of library crate `crate_name` on this OS, e.g.
/// `libhuggingface_provider.so`.
pub fn library_file_name(crate_name: &str) -> String {
    format!(
        "{}{crate_name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The `cdylib` of `crate_name` that cargo built for this run.
///
/// # Errors
/// It was not built: the crate whose test asks for it must list its package
/// as a dev-dependency.
pub fn built_library(crate_name: &str) -> Result<PathBuf, String> {
    let profile = profile_dir()?;
    let name = library_file_name(crate_name);
    // A dependency's cdylib stays in deps/; a library built as a root unit
    // (`cargo build -p ...`) is written there too, then copied up.
    [profile.join("deps").join(&name), profile.join(&name)]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "{name} was not built in {}: list its package as a dev-dependency of the crate whose test loads it",
                profile.display()
            )
        })
}

/// The real provider plugin (`libhuggingface_provider`) built for this run.
///
/// # Errors
/// As [`built_library`].
pub fn plugin_path() -> Result<PathBuf, String> {
    built_library("huggingface_provider")
}

/// One `cargo build` of a variant at a time in this process, and a lock file
/// across processes (test runners may run binaries in parallel): every
/// variant of a package is written to the same output path.
static BUILD: Mutex<()> = Mutex::new(());

/// Runs `build` (a cargo build into this run's target directory, and the copy
/// of what it produced) while no other variant build runs, in this process or
/// another.
///
/// # Errors
/// The lock file cannot be created or locked.
pub fn with_build_lock<T>(build: impl FnOnce() -> T) -> Result<T, String> {
    let _in_process = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let variants = profile_dir()?.join("variants");
    std::fs::create_dir_all(&variants).map_err(|e| format!("{}: {e}", variants.display()))?;
    let lock = std::fs::File::create(variants.join(".lock"))
        .map_err(|e| format!("{}: {e}", variants.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", variants.display()))?;
    Ok(build())
}

/// The artifacts of one variant build, by variant, for this process: each
/// test asks again, cargo need not be asked twice.
static BUILT: Mutex<Vec<(String, Vec<PathBuf>)>> = Mutex::new(Vec::new());

/// Builds `packages` in one cargo invocation with `features` (each
/// `package/feature`) in this run's profile, and copies their `artifacts`
/// (files of `target/<profile>`, e.g. [`library_file_name`] or a binary's
/// name) to `target/<profile>/variants/<variant>/`; returns the copies'
/// paths, in order.
///
/// Building every variant with the same package set gives every variant the
/// same resolution of the registry dependencies, so they are compiled once.
///
/// # Errors
/// Why cargo could not build it, in one line.
pub fn build_variant(
    packages: &[&str],
    features: &[String],
    artifacts: &[&str],
    variant: &str,
) -> Result<Vec<PathBuf>, String> {
    if let Some((_, paths)) = BUILT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(v, _)| v == variant)
    {
        return Ok(paths.clone());
    }
    let profile = profile_dir()?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let paths = with_build_lock(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(&workspace).arg("build");
        for package in packages {
            cmd.args(["-p", package]);
        }
        if !features.is_empty() {
            cmd.args(["--features", &features.join(",")]);
        }
        if profile.file_name().and_then(|n| n.to_str()) == Some("release") {
            cmd.arg("--release");
        }
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run cargo to build {}: {e}", packages.join(", ")))?;
        if !status.success() {
            return Err(format!(
                "building {} [{}] failed: {status}",
                packages.join(", "),
                features.join(",")
            ));
        }
        let out = profile.join("variants").join(variant);
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        artifacts
            .iter()
            .map(|artifact| {
                let built = profile.join(artifact);
                let copy = out.join(artifact);
                std::fs::copy(&built, &copy).map_err(|e| format!("{}: {e}", built.display()))?;
                Ok(copy)
            })
            .collect::<Result<Vec<_>, String>>()
    })??;
    BUILT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((variant.to_string(), paths.clone()));
    Ok(paths)
}
