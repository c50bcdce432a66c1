//! The API token: where it comes from, and a type that never prints it.

use std::fmt;

/// A token that never appears in `Debug`/`Display` output, logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    #[cfg(test)]
    /// The token, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `Some` unless the value is empty or whitespace (which counts as absent).
    pub(crate) fn new(value: &str) -> Option<ApiKey> {
        let value = value.trim();
        (!value.is_empty()).then(|| ApiKey(value.to_string()))
    }

    /// `Bearer <token>`.
    pub(crate) fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the token came from, for messages that must not show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeySource {
    Host,
    HuggingfaceHubToken,
    HfToken,
}

/// The token in the documented order: the key the host passed, then
/// `HUGGINGFACE_HUB_TOKEN`, then `HF_TOKEN`. Empty values count as absent.
pub(crate) fn resolve_key(host_key: Option<&str>) -> Option<(ApiKey, KeySource)> {
    resolve_key_with(host_key, |name| std::env::var(name).ok())
}

pub(crate) fn resolve_key_with(
    host_key: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Option<(ApiKey, KeySource)> {
    if let Some(key) = host_key.and_then(ApiKey::new) {
        return Some((key, KeySource::Host));
    }
    [
        ("HUGGINGFACE_HUB_TOKEN", KeySource::HuggingfaceHubToken),
        ("HF_TOKEN", KeySource::HfToken),
    ]
    .into_iter()
    .find_map(|(name, source)| {
        env(name)
            .as_deref()
            .and_then(ApiKey::new)
            .map(|k| (k, source))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_beats_env_and_blank_counts_as_absent() {
        let env = |name: &str| match name {
            "HUGGINGFACE_HUB_TOKEN" => Some("  ".to_string()),
            "HF_TOKEN" => Some("hf_env".to_string()),
            _ => None,
        };
        let (k, s) = resolve_key_with(Some("hf_host"), env).unwrap();
        assert_eq!((k.expose(), s), ("hf_host", KeySource::Host));
        let (k, s) = resolve_key_with(Some(" "), env).unwrap();
        assert_eq!((k.expose(), s), ("hf_env", KeySource::HfToken));
        assert!(resolve_key_with(None, |_| None).is_none());
    }

    #[test]
    fn never_prints_the_token() {
        let k = ApiKey::new("hf_secret_value").unwrap();
        assert!(!format!("{k:?} {k}").contains("hf_secret"));
    }
}
