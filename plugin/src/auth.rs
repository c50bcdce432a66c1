//! The API token: where it comes from, a type that never prints it, and its
//! removal from whatever an upstream sends back.

use std::fmt;

use provider_abi::ProviderError;

/// What stands for the token in text that came back from upstream.
pub(crate) const REDACTED: &str = "<redacted>";

/// Tokens shorter than this are not searched for, nor starts of a token this
/// short: nothing that short is a real token, and replacing it would garble
/// ordinary words of every message (HF tokens are 37 characters).
const MIN_REDACTED_CHARS: usize = 4;

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

    /// Removes the token from `text` that came from upstream: a proxy or
    /// backend may echo the `Authorization` header into a request id, an
    /// error body or an in-stream error (issue 19 item 8). Every copy is
    /// replaced by [`REDACTED`], and so is a copy cut short by a length cap:
    /// a start of the token (at least 4 characters) right before `…` or at
    /// the end of the text.
    pub(crate) fn redact(&self, text: &mut String) {
        let token = self.0.as_str();
        if token.chars().count() < MIN_REDACTED_CHARS {
            return;
        }
        if text.contains(token) {
            *text = text.replace(token, REDACTED);
        }
        let mut cut_ends: Vec<usize> = text.match_indices('…').map(|(at, _)| at).collect();
        cut_ends.push(text.len());
        // From the last: replacing a piece moves everything after it.
        for end in cut_ends.into_iter().rev() {
            if let Some(start) = cut_token_start(&text[..end], token) {
                text.replace_range(start..end, REDACTED);
            }
        }
    }

    /// [`ApiKey::redact`] on an optional text.
    pub(crate) fn redact_option(&self, text: Option<String>) -> Option<String> {
        text.map(|mut text| {
            self.redact(&mut text);
            text
        })
    }

    /// [`ApiKey::redact`] on everything in `error` that may come from
    /// upstream: its message and request id.
    pub(crate) fn redact_error(&self, error: &mut ProviderError) {
        self.redact(&mut error.message);
        error.request_id = self.redact_option(error.request_id.take());
    }
}

/// Where a start of `token` (at least [`MIN_REDACTED_CHARS`] characters, not
/// all of it) ends `text`, the longest such start.
fn cut_token_start(text: &str, token: &str) -> Option<usize> {
    let lengths: Vec<usize> = token
        .char_indices()
        .map(|(at, _)| at)
        .skip(MIN_REDACTED_CHARS)
        .collect();
    lengths
        .into_iter()
        .rev()
        .find(|&len| text.ends_with(&token[..len]))
        .map(|len| text.len() - len)
}

/// [`ApiKey::redact_error`] when there is a token.
pub(crate) fn redact_error(key: Option<&ApiKey>, error: &mut ProviderError) {
    if let Some(key) = key {
        key.redact_error(error);
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

    const TOKEN: &str = "hf_SECRETtokenDoNotLeak0123456789";

    fn redacted(text: &str) -> String {
        let mut text = text.to_string();
        ApiKey::new(TOKEN).unwrap().redact(&mut text);
        text
    }

    #[test]
    fn every_copy_of_the_token_is_redacted() {
        assert_eq!(
            redacted(&format!("bad token: Bearer {TOKEN}, again {TOKEN}!")),
            "bad token: Bearer <redacted>, again <redacted>!"
        );
        assert_eq!(redacted(TOKEN), "<redacted>");
        assert_eq!(redacted("nothing to hide…"), "nothing to hide…");
    }

    #[test]
    fn a_token_cut_by_a_length_cap_is_redacted_too() {
        // `cap` and `excerpt` end a long message inside the token with `…`.
        assert_eq!(
            redacted(&format!("invalid token {}…", &TOKEN[..20])),
            "invalid token <redacted>…"
        );
        assert_eq!(
            redacted(&format!("{}… — the token needs a permission", &TOKEN[..9])),
            "<redacted>… — the token needs a permission"
        );
        assert_eq!(
            redacted(&format!("cut at the end {}", &TOKEN[..30])),
            "cut at the end <redacted>"
        );
        // The public prefix alone says nothing and is kept.
        assert_eq!(redacted("tokens start with hf_…"), "tokens start with hf_…");
    }

    #[test]
    fn a_very_short_token_is_not_searched_for() {
        let mut text = "a message about nothing".to_string();
        ApiKey::new("a").unwrap().redact(&mut text);
        assert_eq!(text, "a message about nothing");
    }

    #[test]
    fn redacts_the_message_and_request_id_of_an_error() {
        let mut error = ProviderError::new(
            provider_abi::ErrorKind::Auth,
            format!("token {TOKEN} refused"),
        )
        .with_request_id(format!("req-{TOKEN}"));
        redact_error(ApiKey::new(TOKEN).as_ref(), &mut error);
        assert_eq!(error.message, "token <redacted> refused");
        assert_eq!(error.request_id.as_deref(), Some("req-<redacted>"));
    }

    #[test]
    fn never_prints_the_token() {
        let k = ApiKey::new("hf_secret_value").unwrap();
        assert!(!format!("{k:?} {k}").contains("hf_secret"));
    }
}
