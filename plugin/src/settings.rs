//! The provider settings a host passes as JSON, validated in two stages: a
//! raw all-optional mirror of the JSON (unknown keys rejected, with their
//! path), then one function that checks every value and reports each bad one
//! with its key path.
//!
//! Keys (all optional):
//! ```json5
//! {
//!   baseUrl: "https://router.huggingface.co/v1",
//!   apiKey: "hf_...",               // else HUGGINGFACE_HUB_TOKEN, else HF_TOKEN
//!   billTo: "my-org",               // X-HF-Bill-To
//!   stateDir: "~/.openclaw",        // where the last-good model list is kept
//!   aliases: { "huggingface/deepseek-ai/DeepSeek-R1": "DeepSeek R1" },
//!   models: [ { id: "org/model", alias: "...", name: "..." } ],  // user entries
//!   discovery: { enabled: true, intervalSeconds: 900, timeoutSeconds: 30 },
//!   timeouts: { connectSeconds: 10, firstByteSeconds: 120, idleSeconds: 60, totalSeconds: null },
//!   retry: { maxAttempts: 3, baseDelayMs: 500, maxDelaySeconds: 20, maxRetryAfterSeconds: 60 },
//! }
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use provider_abi::{ErrorKind, ProviderError};
use serde::Deserialize;

use crate::auth::{ApiKey, KeySource, resolve_key};

/// The router's public endpoint.
pub(crate) const DEFAULT_BASE_URL: &str = "https://router.huggingface.co/v1";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSettings {
    base_url: Option<String>,
    api_key: Option<String>,
    bill_to: Option<String>,
    state_dir: Option<PathBuf>,
    #[serde(default)]
    aliases: HashMap<String, String>,
    #[serde(default)]
    models: Vec<RawModelEntry>,
    #[serde(default)]
    discovery: RawDiscovery,
    #[serde(default)]
    timeouts: RawTimeouts,
    #[serde(default)]
    retry: RawRetry,
    #[cfg(test)]
    #[serde(default)]
    test_hooks: crate::test_hooks::TestHooks,
}

/// A user's entry in `models.providers.huggingface.models`. Only the fields
/// the provider uses are read; the rest belong to the host and are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawModelEntry {
    id: String,
    alias: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDiscovery {
    enabled: Option<bool>,
    interval_seconds: Option<f64>,
    timeout_seconds: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTimeouts {
    connect_seconds: Option<f64>,
    first_byte_seconds: Option<f64>,
    idle_seconds: Option<f64>,
    total_seconds: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRetry {
    max_attempts: Option<u32>,
    base_delay_ms: Option<u64>,
    max_delay_seconds: Option<f64>,
    max_retry_after_seconds: Option<f64>,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) base_url: String,
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) key_source: Option<KeySource>,
    pub(crate) bill_to: Option<String>,
    pub(crate) state_dir: Option<PathBuf>,
    /// Exact ref -> alias.
    pub(crate) aliases: HashMap<String, String>,
    pub(crate) discovery_enabled: bool,
    pub(crate) discovery_interval: Duration,
    pub(crate) discovery_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) first_byte_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) max_attempts: u32,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) max_retry_after: Duration,
    #[cfg(test)]
    pub(crate) test_hooks: crate::test_hooks::TestHooks,
}

fn invalid(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::InvalidRequest, message)
}

/// Seconds as a positive duration no longer than a day.
fn seconds(errors: &mut Vec<String>, key: &str, value: Option<f64>, default: f64) -> Duration {
    let v = value.unwrap_or(default);
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Duration::from_secs_f64(v)
    } else {
        errors.push(format!(
            "{key}: expected seconds between 0 and 86400, got {v}"
        ));
        Duration::from_secs_f64(default)
    }
}

/// Parses and validates the settings JSON.
///
/// # Errors
/// `InvalidRequest` listing every bad key with its path, e.g.
/// `invalid provider settings: timeouts.idleSeconds: expected seconds between 0 and 86400, got -1`.
pub(crate) fn parse(json: &str) -> Result<Settings, ProviderError> {
    let json = if json.trim().is_empty() { "{}" } else { json };
    let de = &mut serde_json::Deserializer::from_str(json);
    let raw: RawSettings = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let detail = inner.to_string();
        // serde's message may end with " at line 1 column N": noise for a key path.
        let detail = detail.split(" at line ").next().unwrap_or(&detail);
        invalid(format!("invalid provider settings: {path}: {detail}"))
    })?;
    validate(raw)
}

fn validate(raw: RawSettings) -> Result<Settings, ProviderError> {
    let mut errors = Vec::new();
    let base_url = raw
        .base_url
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    if !(base_url.starts_with("http://") || base_url.starts_with("https://"))
        || base_url.len() <= "https://".len()
    {
        errors.push(format!(
            "baseUrl: expected an http:// or https:// URL, got '{base_url}'"
        ));
    }
    let (api_key, key_source) = match resolve_key(raw.api_key.as_deref()) {
        Some((key, source)) => (Some(key), Some(source)),
        None => (None, None),
    };
    let bill_to = raw
        .bill_to
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    if let Some(b) = &bill_to
        && !b.chars().all(|c| c.is_ascii_graphic())
    {
        errors.push("billTo: expected an organisation name without spaces".to_string());
    }
    let mut aliases = raw.aliases;
    for entry in raw.models {
        if let Some(alias) = entry.alias.filter(|a| !a.trim().is_empty()) {
            let model_ref = if entry.id.starts_with("huggingface/") {
                entry.id
            } else {
                format!("huggingface/{}", entry.id)
            };
            aliases.entry(model_ref).or_insert(alias);
        }
    }
    let d = raw.discovery;
    let t = raw.timeouts;
    let r = raw.retry;
    let max_attempts = r.max_attempts.unwrap_or(3);
    if !(1..=10).contains(&max_attempts) {
        errors.push(format!(
            "retry.maxAttempts: expected 1 to 10, got {max_attempts}"
        ));
    }
    let base_delay_ms = r.base_delay_ms.unwrap_or(500);
    if base_delay_ms > 60_000 {
        errors.push(format!(
            "retry.baseDelayMs: expected at most 60000, got {base_delay_ms}"
        ));
    }
    let settings = Settings {
        base_url,
        api_key,
        key_source,
        bill_to,
        state_dir: raw.state_dir,
        aliases,
        discovery_enabled: d.enabled.unwrap_or(true),
        discovery_interval: seconds(
            &mut errors,
            "discovery.intervalSeconds",
            d.interval_seconds,
            900.0,
        ),
        discovery_timeout: seconds(
            &mut errors,
            "discovery.timeoutSeconds",
            d.timeout_seconds,
            30.0,
        ),
        connect_timeout: seconds(
            &mut errors,
            "timeouts.connectSeconds",
            t.connect_seconds,
            10.0,
        ),
        first_byte_timeout: seconds(
            &mut errors,
            "timeouts.firstByteSeconds",
            t.first_byte_seconds,
            120.0,
        ),
        idle_timeout: seconds(&mut errors, "timeouts.idleSeconds", t.idle_seconds, 60.0),
        total_timeout: t
            .total_seconds
            .map(|v| seconds(&mut errors, "timeouts.totalSeconds", Some(v), 600.0)),
        max_attempts: max_attempts.clamp(1, 10),
        base_delay: Duration::from_millis(base_delay_ms.min(60_000)),
        max_delay: seconds(
            &mut errors,
            "retry.maxDelaySeconds",
            r.max_delay_seconds,
            20.0,
        ),
        max_retry_after: seconds(
            &mut errors,
            "retry.maxRetryAfterSeconds",
            r.max_retry_after_seconds,
            60.0,
        ),
        #[cfg(test)]
        test_hooks: raw.test_hooks,
    };
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(invalid(format!(
            "invalid provider settings: {}",
            errors.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        let s = parse("").unwrap();
        assert_eq!(s.base_url, DEFAULT_BASE_URL);
        assert!(s.discovery_enabled);
        assert_eq!(s.discovery_interval, Duration::from_secs(900));
        assert_eq!(s.max_attempts, 3);
        assert_eq!(s.max_delay, Duration::from_secs(20));
        assert_eq!(s.total_timeout, None);
    }

    #[test]
    fn unknown_and_mistyped_keys_are_named() {
        let e = parse(r#"{"timeouts":{"idleSecs":3}}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert!(e.message.contains("timeouts.idleSecs"), "{}", e.message);
        let e = parse(r#"{"discovery":{"enabled":"yes"}}"#).unwrap_err();
        assert!(e.message.contains("discovery.enabled"), "{}", e.message);
    }

    #[test]
    fn every_bad_value_is_reported() {
        let e = parse(
            r#"{"baseUrl":"ftp://x","timeouts":{"idleSeconds":-1},"retry":{"maxAttempts":0}}"#,
        )
        .unwrap_err();
        for key in ["baseUrl", "timeouts.idleSeconds", "retry.maxAttempts"] {
            assert!(e.message.contains(key), "{key} missing from {}", e.message);
        }
    }

    #[test]
    fn model_entries_contribute_aliases_and_key_is_redacted() {
        let s = parse(r#"{"apiKey":"hf_secret","models":[{"id":"Qwen/Qwen3-8B","alias":"Qwen","contextWindow":1}]}"#)
            .unwrap();
        assert_eq!(
            s.aliases
                .get("huggingface/Qwen/Qwen3-8B")
                .map(String::as_str),
            Some("Qwen")
        );
        assert!(!format!("{s:?}").contains("hf_secret"));
    }
}
