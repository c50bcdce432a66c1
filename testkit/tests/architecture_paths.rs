//! ARCHITECTURE.md names files and folders of the repository; each one must
//! exist, so the map stays true when things move.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::BTreeSet;
use std::path::Path;

/// The repository paths a Markdown text names: `code spans` and the first
/// word of the layout block's lines, when their first component is a
/// top-level entry of the repository (so `/proc/self/fd/N` or the pattern
/// `x/tests.rs` are not taken for paths).
fn named_paths(text: &str, top_level: &BTreeSet<String>) -> BTreeSet<String> {
    let mut candidates = Vec::new();
    for (i, part) in text.split('`').enumerate() {
        // Odd parts sit between backticks; a fence's parts hold whole blocks.
        if i % 2 == 1 && !part.contains(char::is_whitespace) {
            candidates.push(part.to_string());
        }
    }
    for line in text.lines() {
        if let Some(word) = line.split_whitespace().next()
            && word.ends_with('/')
        {
            candidates.push(word.to_string());
        }
    }
    candidates
        .into_iter()
        .filter(|c| c.contains('/') || c.ends_with(".md"))
        .filter(|c| {
            let first = c.split('/').next().unwrap_or_default();
            top_level.contains(first)
        })
        .collect()
}

#[test]
fn every_path_architecture_md_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let top_level: BTreeSet<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "target")
        .collect();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let named = named_paths(&text, &top_level);
    assert!(named.len() > 20, "too few paths found: {named:?}");
    let missing: Vec<&String> = named
        .iter()
        .filter(|path| !root.join(path.trim_end_matches('/')).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

#[test]
fn a_moved_path_is_caught() {
    let top: BTreeSet<String> = ["plugin".to_string()].into();
    let named = named_paths(
        "see `plugin/src/gone.rs` and `/proc/self`\n```\nplugin/   the plugin\n```",
        &top,
    );
    assert_eq!(
        named,
        ["plugin/", "plugin/src/gone.rs"]
            .map(String::from)
            .into_iter()
            .collect()
    );
}
