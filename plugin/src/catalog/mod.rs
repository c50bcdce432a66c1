//! The model catalog: built-in models, discovery, merge, names, resolve.
//!
//! A [`Catalog`] is an immutable snapshot: the built-in list merged with the
//! router's `GET /models` rows (when discovery succeeded). It is built once per
//! refresh and shared as `Arc<Catalog>`, so `discover` and `resolve` never touch
//! the network and never take a lock longer than a pointer clone.
//!
//! - `builtin`: the models of the user guide, usable offline.
//! - `api`: the router's wire format and its tolerant parser.
//! - `discovery`: `GET <base>/models` with a size cap and a time limit.
//! - `merge`: built-in ∪ discovered, metadata derived from the backends.
//! - `model_ref`: the `huggingface/<org>/<model>[:suffix]` grammar.
//! - `names`: display names and aliases.
//! - `resolve`: a user's ref or alias -> a [`provider_abi::ResolvedModel`].
//! - `refresh` and `store`: the background refresh and its on-disk last-good copy.

mod api;
mod builtin;
mod discovery;
mod merge;
mod model_ref;
mod names;
mod refresh;
mod resolve;
mod store;

use std::collections::HashMap;
use std::time::SystemTime;

use provider_abi::{Cost, ModelInfo};

pub(crate) use api::parse_models;
pub(crate) use merge::merge;
#[cfg(test)]
pub(crate) use model_ref::ModelRef;
pub(crate) use names::Aliases;
pub(crate) use refresh::{CatalogHandle, RefreshOptions, RefreshOutcome};

/// An immutable snapshot of every model the plugin knows, indexed by id.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    /// Sorted by id (byte order), which is also what `models()` returns.
    entries: Vec<Entry>,
    /// Exact id -> position in `entries`; `resolve` is benchmarked across the
    /// ABI, so the common path is one hash lookup with no allocation.
    by_id: HashMap<String, usize>,
    /// Lower-cased id -> position, for refs typed with different case. Only
    /// consulted after an exact miss.
    by_lower_id: HashMap<String, usize>,
    /// When the discovered rows were fetched; `None` when discovery never
    /// succeeded (neither now nor in a saved copy).
    discovered_at: Option<SystemTime>,
}

/// One model of the snapshot.
#[derive(Debug, Clone)]
struct Entry {
    info: ModelInfo,
}

impl Catalog {
    /// The built-in models only: works offline and without a token.
    pub(crate) fn builtin() -> Catalog {
        merge::build(Vec::new(), None)
    }

    /// Builds the snapshot from merged entries (sorted here) and indexes them.
    fn from_entries(entries: Vec<Entry>, discovered_at: Option<SystemTime>) -> Catalog {
        // Sorting positions and moving each entry once beats sorting the
        // entries themselves, which moves each (a few hundred bytes) log n times.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| entries[a].info.id.cmp(&entries[b].info.id));
        let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
        let entries: Vec<Entry> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let mut by_id = HashMap::with_capacity(entries.len());
        let mut by_lower_id = HashMap::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            by_id.insert(entry.info.id.clone(), i);
            // First one wins if two ids differ only in case: the exact index
            // still reaches both.
            by_lower_id.entry(entry.info.id.to_lowercase()).or_insert(i);
        }
        Catalog {
            entries,
            by_id,
            by_lower_id,
            discovered_at,
        }
    }

    /// What `discover` returns: every model, sorted by id.
    pub(crate) fn models(&self) -> Vec<ModelInfo> {
        self.entries.iter().map(|e| e.info.clone()).collect()
    }

    /// Number of models in the snapshot.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entry for `id`, exact match first, then ignoring case.
    fn entry(&self, id: &str) -> Option<&Entry> {
        let index = match self.by_id.get(id) {
            Some(i) => Some(*i),
            None => self.by_lower_id.get(&id.to_lowercase()).copied(),
        };
        index.and_then(|i| self.entries.get(i))
    }

    #[cfg(test)]
    /// The catalog entry for a model id (a `:suffix` is ignored).
    pub(crate) fn get(&self, id: &str) -> Option<&ModelInfo> {
        self.entry(strip_suffix(id)).map(|e| &e.info)
    }

    /// Prices for costing a completion: each live backend's pricing (by
    /// backend name, so the backend named in `x-inference-provider` can be
    /// looked up) and the model's own cost when one is known. Accepts an id
    /// with or without a `:suffix`; an unknown id gives `(empty, None)`.
    pub(crate) fn pricing_for(&self, id: &str) -> (HashMap<String, Cost>, Option<Cost>) {
        let Some(entry) = self.entry(strip_suffix(id)) else {
            return (HashMap::new(), None);
        };
        let per_backend = entry
            .info
            .live_backends()
            .filter_map(|b| b.pricing.map(|p| (b.provider.clone(), p)))
            .collect();
        (per_backend, entry.info.cost)
    }

    /// When the discovered list was fetched; `None` = discovery never succeeded.
    pub(crate) fn discovered_at(&self) -> Option<SystemTime> {
        self.discovered_at
    }
}

/// `org/name:suffix` -> `org/name`. Router ids never contain `:`.
fn strip_suffix(id: &str) -> &str {
    let id = id.trim();
    id.split_once(':').map_or(id, |(id, _)| id)
}
