//! A user's ref or alias -> what to send to the router, checked against the
//! catalog before any request goes out.
//!
//! This sits on the hot path of every completion and is benchmarked across the
//! ABI, so the success path is: at most one alias lookup, a parse that borrows
//! the id, one hash lookup by id, and the clones the result needs. Everything
//! slow (suggestions) happens only on the error path.

use std::borrow::Cow;

use provider_abi::{ErrorKind, ModelInfo, ProviderError};

use super::model_ref::{MAX_REF_LEN, ModelRefStr, RouteSuffix, too_long};
use crate::PROVIDER_ID;

use super::{Aliases, Catalog, Entry, merge, names};

/// Backends the router has dropped; a ref naming one fails even when the
/// catalog does not know the model's backends (docs/router.md).
const REMOVED_BACKENDS: [&str; 3] = ["nebius", "sambanova", "hyperbolic"];
/// A resolved ref whose catalog entry is borrowed; fields as in
/// [`provider_abi::ResolvedModel`].
#[derive(Debug, Clone)]
pub(crate) struct ResolvedRef<'a> {
    pub(crate) model_ref: String,
    pub(crate) router_model: String,
    pub(crate) suffix: Option<String>,
    pub(crate) locked: bool,
    pub(crate) verified: bool,
    pub(crate) display_name: String,
    /// Borrowed from the catalog; owned only for an unverified pass-through.
    pub(crate) info: Cow<'a, ModelInfo>,
}

impl ResolvedRef<'_> {
    #[cfg(test)]
    pub(crate) fn into_owned(self) -> provider_abi::ResolvedModel {
        provider_abi::ResolvedModel {
            model_ref: self.model_ref,
            router_model: self.router_model,
            suffix: self.suffix,
            locked: self.locked,
            verified: self.verified,
            display_name: self.display_name,
            info: self.info.into_owned(),
        }
    }
}

/// How many close matches a ModelNotFound error suggests.
const MAX_SUGGESTIONS: usize = 3;
/// Jaro-Winkler similarity below which an id is not worth suggesting.
const MIN_SIMILARITY: f64 = 0.8;

impl Catalog {
    /// [`Catalog::resolve_ref`] with an owned result (tests compare whole values).
    #[cfg(test)]
    pub(crate) fn resolve(
        &self,
        input: &str,
        aliases: &Aliases,
    ) -> Result<provider_abi::ResolvedModel, ProviderError> {
        self.resolve_ref(input, aliases)
            .map(ResolvedRef::into_owned)
    }

    /// Resolves `huggingface/<id>[:suffix]`, a bare `<id>[:suffix]`, or a
    /// user alias (case-insensitive) to the ref the router receives.
    ///
    /// A known model keeps the catalog's spelling of its id. An unknown id is
    /// an error once discovery has succeeded; before that it passes through
    /// with default metadata and `verified: false`, so a new model works
    /// offline. A model that is known only from the built-in list while
    /// discovery succeeded still resolves (`info.live == false`): the router
    /// answers for it, and failover handles a refusal.
    ///
    /// The result borrows the catalog entry instead of cloning it: a caller
    /// that converts it into another type anyway (the FFI edge) saves the
    /// dearest part of a resolve, copying every backend.
    ///
    /// # Errors
    /// `InvalidRequest` for an empty, over-long ([`MAX_REF_LEN`]) or malformed
    /// ref, or a `:<backend>` that
    /// is not among the model's live backends (the message lists them);
    /// `ModelNotFound` for an unknown alias, or an unknown id when discovery
    /// succeeded, with up to three close matches.
    pub(crate) fn resolve_ref<'a>(
        &'a self,
        input: &str,
        aliases: &Aliases,
    ) -> Result<ResolvedRef<'a>, ProviderError> {
        let text = input.trim();
        // Before anything that reads the whole text: an unknown id costs a
        // comparison with every catalog id, in proportion to its length.
        if text.len() > MAX_REF_LEN {
            return Err(ProviderError::new(
                ErrorKind::InvalidRequest,
                too_long(text),
            ));
        }
        if text.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::InvalidRequest,
                "empty model ref: expected huggingface/<org>/<model>[:suffix]",
            ));
        }
        let (parsed, entry) = self.parse_ref_or_alias(text, aliases)?;
        let (info, verified) = match entry {
            Some(entry) => {
                check_backend(&entry.info, parsed.suffix.as_ref())?;
                (Cow::Borrowed(&entry.info), true)
            }
            None if self.discovered_at.is_some() => return Err(self.not_found(parsed.id)),
            None => {
                check_removed(parsed.id, parsed.suffix.as_ref())?;
                (Cow::Owned(merge::passthrough_info(parsed.id)), false)
            }
        };

        // Built by hand rather than with `format!`: this is the hot path.
        // The id is the catalog's spelling, whatever case the user typed.
        let suffix = parsed.suffix.as_ref().map(RouteSuffix::as_str);
        let mut router_model = String::with_capacity(info.id.len() + 16);
        router_model.push_str(&info.id);
        if let Some(suffix) = suffix {
            router_model.push(':');
            router_model.push_str(suffix);
        }
        let mut canonical = String::with_capacity(PROVIDER_ID.len() + 1 + router_model.len());
        canonical.push_str(PROVIDER_ID);
        canonical.push('/');
        canonical.push_str(&router_model);
        let display_name = match aliases.alias_for(&canonical) {
            Some(alias) => alias.to_string(),
            None => names::with_label(&info.name, parsed.suffix.as_ref()),
        };
        Ok(ResolvedRef {
            router_model,
            suffix: suffix.map(str::to_string),
            locked: parsed.is_locked(),
            verified,
            display_name,
            info,
            model_ref: canonical,
        })
    }

    /// A ref, or the ref an alias stands for. Text without a `/` is an alias,
    /// else an id without an org that the catalog lists (`custom-model-a`;
    /// `huggingface/custom-model-a` always names it). Text with one is tried as a ref first, so the common path
    /// never lower-cases the input for the alias lookup; an alias is used
    /// when the text is not a ref the catalog knows (so an alias may contain
    /// a `/`, but an alias spelled exactly like a known ref means that ref).
    /// The catalog entry comes along so the hot path looks it up once.
    fn parse_ref_or_alias<'t>(
        &self,
        text: &'t str,
        aliases: &'t Aliases,
    ) -> Result<(ModelRefStr<'t>, Option<&Entry>), ProviderError> {
        let alias = || {
            let parsed = ModelRefStr::parse(aliases.ref_for(text)?).ok()?;
            let entry = self.entry(parsed.id);
            Some((parsed, entry))
        };
        if !text.contains('/') {
            if let Some(found) = alias() {
                return Ok(found);
            }
            if let Ok(parsed) = ModelRefStr::parse(text)
                && let Some(entry) = self.entry(parsed.id)
            {
                return Ok((parsed, Some(entry)));
            }
            return Err(self.unknown_alias(text));
        }
        match ModelRefStr::parse(text) {
            Ok(parsed) => match self.entry(parsed.id) {
                Some(entry) => Ok((parsed, Some(entry))),
                None => Ok(alias().unwrap_or((parsed, None))),
            },
            Err(e) => {
                alias().ok_or_else(|| ProviderError::new(ErrorKind::InvalidRequest, e.to_string()))
            }
        }
    }

    /// Text without a `/` that is no alias: it was meant as one (or as a
    /// display name), so it is "not found", with the model whose display
    /// name it is, if any.
    fn unknown_alias(&self, text: &str) -> ProviderError {
        let wanted = text.to_lowercase();
        let mut message = format!(
            "'{text}' is neither a configured alias nor a model ref \
             (huggingface/<org>/<model>[:suffix])"
        );
        // A display name typed as if it were an alias is the usual mistake.
        let by_name: Vec<String> = self
            .entries
            .iter()
            .filter(|e| e.info.name.to_lowercase() == wanted)
            .map(|e| format!("huggingface/{}", e.info.id))
            .take(MAX_SUGGESTIONS)
            .collect();
        if !by_name.is_empty() {
            message.push_str(&format!("; did you mean {}?", by_name.join(", ")));
        }
        ProviderError::new(ErrorKind::ModelNotFound, message)
    }

    /// Unknown id in a discovered catalog, with the closest ids.
    fn not_found(&self, id: &str) -> ProviderError {
        let suggestions = self.suggestions(id);
        let mut message = format!("the router does not list the model '{id}'");
        if !suggestions.is_empty() {
            let refs: Vec<String> = suggestions
                .iter()
                .map(|id| format!("huggingface/{id}"))
                .collect();
            message.push_str(&format!("; did you mean {}?", refs.join(", ")));
        }
        ProviderError::new(ErrorKind::ModelNotFound, message)
    }

    /// Up to three ids most similar to `id`, best first.
    pub(crate) fn suggestions(&self, id: &str) -> Vec<&str> {
        let wanted = id.to_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .entries
            .iter()
            .map(|e| {
                let score = strsim::jaro_winkler(&wanted, &e.info.id.to_lowercase());
                (score, e.info.id.as_str())
            })
            .filter(|(score, _)| *score >= MIN_SIMILARITY)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|(_, id)| id)
            .collect()
    }
}

/// A `:<backend>` suffix must name a live backend when the catalog knows the
/// model's backends; policies are always accepted.
fn check_backend(info: &ModelInfo, suffix: Option<&RouteSuffix>) -> Result<(), ProviderError> {
    let Some(RouteSuffix::Backend(name)) = suffix else {
        return Ok(());
    };
    if info.backends.is_empty() {
        return check_removed(&info.id, suffix);
    }
    if info
        .live_backends()
        .any(|b| b.provider.eq_ignore_ascii_case(name))
    {
        return Ok(());
    }
    let live: Vec<&str> = info.live_backends().map(|b| b.provider.as_str()).collect();
    let why = if REMOVED_BACKENDS.contains(&name.as_str()) {
        "was removed from the router"
    } else if info
        .backends
        .iter()
        .any(|b| b.provider.eq_ignore_ascii_case(name))
    {
        "is not live for this model right now"
    } else {
        "does not serve this model"
    };
    let message = if live.is_empty() {
        format!("backend '{name}' {why}; '{}' has no live backend", info.id)
    } else {
        format!(
            "backend '{name}' {why}; live backends for '{}': {}",
            info.id,
            live.join(", ")
        )
    };
    Err(ProviderError::new(ErrorKind::InvalidRequest, message))
}

fn check_removed(id: &str, suffix: Option<&RouteSuffix>) -> Result<(), ProviderError> {
    match suffix {
        Some(RouteSuffix::Backend(name)) if REMOVED_BACKENDS.contains(&name.as_str()) => {
            Err(ProviderError::new(
                ErrorKind::InvalidRequest,
                format!(
                    "backend '{name}' was removed from the router; \
                     use huggingface/{id} or another backend"
                ),
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
