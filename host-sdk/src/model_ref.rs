//! Model refs: `huggingface/<org>/<model>[:suffix]`, as written in gateway configs.
//!
//! The provider prefix is split off at the FIRST `/` (trimmed, case-insensitive);
//! what remains is the router's model id, sent as is. A ref without the prefix is
//! a bare id. Suffixes `:fastest`, `:cheapest` and `:preferred` are routing
//! policies; any other suffix names one backend.

use std::fmt;

/// The provider id this SDK's refs are prefixed with.
pub const PROVIDER_ID: &str = "huggingface";

/// The part after `:` in a model ref.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouteSuffix {
    /// `:fastest`: the router picks the highest-throughput backend.
    Fastest,
    /// `:cheapest`: the router picks the lowest price per output token.
    Cheapest,
    /// `:preferred`: the order set in the user's Hugging Face settings.
    Preferred,
    /// `:<provider>`: force one backend.
    Backend(String),
}

impl RouteSuffix {
    /// The suffix text without the colon.
    pub fn as_str(&self) -> &str {
        match self {
            RouteSuffix::Fastest => "fastest",
            RouteSuffix::Cheapest => "cheapest",
            RouteSuffix::Preferred => "preferred",
            RouteSuffix::Backend(name) => name,
        }
    }

    /// Whether the router alone chooses the backend ("provider locked").
    pub fn is_locked(&self) -> bool {
        matches!(self, RouteSuffix::Fastest | RouteSuffix::Cheapest)
    }

    fn parse(text: &str) -> RouteSuffix {
        // Compared in place: resolving a ref is a hot path, and the policies
        // need no allocation.
        if text.eq_ignore_ascii_case("fastest") {
            RouteSuffix::Fastest
        } else if text.eq_ignore_ascii_case("cheapest") {
            RouteSuffix::Cheapest
        } else if text.eq_ignore_ascii_case("preferred") {
            RouteSuffix::Preferred
        } else {
            RouteSuffix::Backend(text.to_ascii_lowercase())
        }
    }
}

/// A parsed model ref.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    /// `org/name`, case kept.
    pub id: String,
    /// The routing suffix, if any.
    pub suffix: Option<RouteSuffix>,
}

/// Why a string is not a model ref.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid model ref '{input}': {reason}")]
pub struct ModelRefError {
    /// The text that was parsed.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ModelRef {
    /// Parses `huggingface/<org>/<model>[:suffix]` or a bare `<org>/<model>[:suffix]`.
    ///
    /// # Errors
    /// When the id is not `org/name`, contains whitespace, or the suffix is empty
    /// or malformed. A plain alias (no `/`) is an error here: resolve aliases first.
    pub fn parse(input: &str) -> Result<ModelRef, ModelRefError> {
        let err = |reason| ModelRefError {
            input: input.to_string(),
            reason,
        };
        let trimmed = input.trim();
        let rest = match trimmed.split_once('/') {
            Some((provider, rest)) if provider.trim().eq_ignore_ascii_case(PROVIDER_ID) => {
                rest.trim()
            }
            Some(_) => trimmed,
            None => return Err(err("expected <org>/<model>")),
        };
        let (id, suffix) = match rest.split_once(':') {
            Some((id, suffix)) => (id, Some(suffix)),
            None => (rest, None),
        };
        let Some((org, name)) = id.split_once('/') else {
            return Err(err("expected <org>/<model>"));
        };
        if org.is_empty() || name.is_empty() || name.contains('/') {
            return Err(err("expected exactly one '/' between <org> and <model>"));
        }
        if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("the model id contains whitespace"));
        }
        let suffix = match suffix {
            None => None,
            Some("") => return Err(err("empty suffix after ':'")),
            Some(s)
                if !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) =>
            {
                return Err(err(
                    "the suffix may only contain letters, digits, '-', '_' and '.'",
                ));
            }
            Some(s) => Some(RouteSuffix::parse(s)),
        };
        Ok(ModelRef {
            id: id.to_string(),
            suffix,
        })
    }

    /// What the router receives as `model`: `<id>[:suffix]`.
    pub fn router_model(&self) -> String {
        match &self.suffix {
            Some(s) => format!("{}:{}", self.id, s.as_str()),
            None => self.id.clone(),
        }
    }

    /// Whether the router alone chooses the backend.
    pub fn is_locked(&self) -> bool {
        self.suffix.as_ref().is_some_and(RouteSuffix::is_locked)
    }
}

impl fmt::Display for ModelRef {
    /// The canonical form, `huggingface/<id>[:suffix]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PROVIDER_ID}/{}", self.router_model())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_bare_and_suffixed_refs() {
        let r = ModelRef::parse("huggingface/deepseek-ai/DeepSeek-R1:cheapest").unwrap();
        assert_eq!(r.id, "deepseek-ai/DeepSeek-R1");
        assert_eq!(r.suffix, Some(RouteSuffix::Cheapest));
        assert!(r.is_locked());
        assert_eq!(r.router_model(), "deepseek-ai/DeepSeek-R1:cheapest");
        assert_eq!(
            r.to_string(),
            "huggingface/deepseek-ai/DeepSeek-R1:cheapest"
        );

        let r = ModelRef::parse("  HuggingFace / Qwen/Qwen3-8B:together ").unwrap();
        assert_eq!(r.id, "Qwen/Qwen3-8B");
        assert_eq!(r.suffix, Some(RouteSuffix::Backend("together".into())));
        assert!(!r.is_locked());

        let r = ModelRef::parse("meta-llama/Llama-3.3-70B-Instruct").unwrap();
        assert_eq!(r.suffix, None);
        assert_eq!(
            r.to_string(),
            "huggingface/meta-llama/Llama-3.3-70B-Instruct"
        );
    }

    #[test]
    fn rejects_malformed_refs() {
        for bad in [
            "DeepSeek R1",
            "huggingface/DeepSeek-R1",
            "huggingface/a/b/c",
            "huggingface/org/model:",
            "org/mo del",
            "org/model:to gether",
            "/model",
            "org/",
        ] {
            assert!(ModelRef::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
