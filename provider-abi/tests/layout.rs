//! The interface version changes exactly when the ABI does.
//!
//! Every type reachable from the root module is described in a canonical text
//! (names, sizes, alignments, fields, variants, function signatures; not the
//! crates' versions or source lines, which do not change the ABI) and compared
//! with the description recorded for `INTERFACE_VERSION` in
//! `tests/layouts/<version>.txt`. A change to the ABI without a new version
//! fails here. After bumping `INTERFACE_VERSION` (see the crate docs for
//! which number), record the new layout with
//! `UPDATE_LAYOUT=1 cargo test --workspace --test layout`.
//!
//! Built with the test-only feature `interface-prev` (an earlier minor,
//! 2.0.0: `cargo test -p provider-abi --features interface-prev --test
//! layout`, which host-sdk's compatibility test runs), the same test proves
//! that the variant the compatibility tests build their host of 2.0 from is
//! exactly the recorded 2.0.0 interface.
#![cfg(all(
    target_pointer_width = "64",
    not(any(
        feature = "interface-next",
        feature = "interface-old",
        feature = "layout-break"
    ))
))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use abi_stable::StableAbi;
use abi_stable::type_layout::TypeLayout;
use provider_abi::INTERFACE_VERSION;
use provider_abi::abi::ProviderModule_Ref;

/// One line per fact, without what does not change the ABI: a crate's
/// version (`version:'2.0.0'`) or a source position (`line:392`).
fn canonical(text: &str) -> String {
    text.lines()
        .map(|line| match line.find(" version:'") {
            Some(at) => &line[..at],
            None => line,
        })
        .filter(|line| !line.trim_start().starts_with("line:"))
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every type reachable from `root`, described, in name order: through the
/// types its fields and functions name, and through the extra checks that
/// carry the enums inside non-exhaustive wrappers.
fn describe(root: &'static TypeLayout) -> String {
    let mut visited = HashSet::new();
    let mut described = BTreeSet::new();
    let mut queue = vec![root];
    while let Some(layout) = queue.pop() {
        // By address: the names of generic types (`ROption`) and of the
        // trait objects' vtables (`VTable`) repeat across instances.
        if !visited.insert(std::ptr::from_ref(layout) as usize) {
            continue;
        }
        described.insert(format!(
            "=== {} ({}, {})\n{}\n",
            layout.full_type(),
            layout.package(),
            layout.mod_path(),
            canonical(&format!(
                "size:{} align:{} repr:{:?}\n{}",
                layout.size(),
                layout.alignment(),
                layout.repr_attr(),
                layout.data()
            ))
        ));
        queue.extend(layout.shared_vars().type_layouts().iter().map(|f| f()));
        if let Some(checks) = layout.extra_checks() {
            queue.extend(checks.nested_type_layouts().iter().copied());
        }
    }
    described.into_iter().collect()
}

#[test]
fn the_abi_is_the_one_recorded_for_this_interface_version() {
    let current = describe(<ProviderModule_Ref as StableAbi>::LAYOUT);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/layouts")
        .join(format!("{INTERFACE_VERSION}.txt"));
    if std::env::var_os("UPDATE_LAYOUT").is_some() {
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no ABI layout is recorded for interface {INTERFACE_VERSION} ({}): a new version's \
             layout is recorded with UPDATE_LAYOUT=1 cargo test --workspace --test layout",
            path.display()
        )
    });
    if recorded != current {
        let first = recorded
            .lines()
            .zip(current.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(recorded.lines().count().min(current.lines().count()));
        let around = |text: &str| {
            text.lines()
                .skip(first.saturating_sub(3))
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "the ABI changed but INTERFACE_VERSION is still {INTERFACE_VERSION}: bump it (an \
             appended member raises the minor, anything else the major, with provider-abi's \
             package major) and record the new layout with UPDATE_LAYOUT=1 cargo test \
             --workspace --test layout.\nrecorded, from line {}:\n{}\nnow:\n{}",
            first + 1,
            around(&recorded),
            around(&current)
        );
    }
}
