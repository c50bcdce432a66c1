//! Entry points for this crate's criterion benchmarks, which can only reach
//! public items. Hidden from the docs: not an API, no stability promise.

use provider_abi::ProviderError;

use crate::catalog::{Aliases, Catalog, merge, parse_models};
use crate::chat::EventStream;

/// Parses a `GET /models` body and merges it with the built-in models;
/// returns the number of catalog entries.
///
/// # Errors
/// The parse error, as text.
pub fn parse_and_merge(body: &[u8]) -> Result<usize, String> {
    let rows = parse_models(body).map_err(|e| e.to_string())?;
    Ok(merge(rows, std::time::SystemTime::now()).len())
}

/// Decodes an SSE chat stream fed in `piece`-byte reads (SSE framing, chunk
/// JSON, translation to events); returns the number of events.
///
/// # Errors
/// The stream's error, as text.
pub fn decode_sse(body: &[u8], piece: usize) -> Result<usize, String> {
    let mut stream = EventStream::new(4 << 20, None);
    let mut events = provider_abi::EventBatch::new();
    for chunk in body.chunks(piece.max(1)) {
        if stream.push(chunk, &mut events).map_err(|e| e.to_string())? {
            return Ok(events.len());
        }
    }
    stream.finish(&mut events).map_err(|e| e.to_string())?;
    Ok(events.len())
}

/// Only parses a `GET /models` body; returns the number of usable rows.
///
/// # Errors
/// The parse error, as text.
pub fn parse_only(body: &[u8]) -> Result<usize, String> {
    parse_models(body)
        .map(|rows| rows.len())
        .map_err(|e| e.to_string())
}

/// A catalog for the in-process (rlib) side of the resolve benchmark.
pub struct BenchCatalog {
    catalog: Catalog,
    aliases: Aliases,
}

impl BenchCatalog {
    /// The built-in catalog merged with the rows of `body`.
    ///
    /// # Errors
    /// The parse error, as text.
    pub fn from_list(body: &[u8]) -> Result<BenchCatalog, String> {
        let rows = parse_models(body).map_err(|e| e.to_string())?;
        Ok(BenchCatalog {
            catalog: merge(rows, std::time::SystemTime::now()),
            aliases: Aliases::default(),
        })
    }

    /// The built-in catalog alone, as a provider has it offline.
    pub fn builtin() -> BenchCatalog {
        BenchCatalog {
            catalog: Catalog::builtin(),
            aliases: Aliases::default(),
        }
    }

    /// What the provider's `resolve` does before converting to ABI types,
    /// plus the conversion a Rust caller would need: an owned result.
    ///
    /// # Errors
    /// The resolve error.
    pub fn resolve(&self, model_ref: &str) -> Result<provider_abi::ResolvedModel, ProviderError> {
        let r = self.catalog.resolve_ref(model_ref, &self.aliases)?;
        Ok(provider_abi::ResolvedModel {
            model_ref: r.model_ref,
            router_model: r.router_model,
            suffix: r.suffix,
            locked: r.locked,
            verified: r.verified,
            display_name: r.display_name,
            info: r.info.into_owned(),
        })
    }
}
