//! The router's `GET /models` rows and a parser that tolerates a loose router.
//!
//! Rows are read field by field from a `serde_json::Value` rather than with a
//! derived `Deserialize`: one field of the wrong type must cost that field, not
//! the row, and one bad row must not cost the list.

use host_sdk::Cost;
use serde_json::{Map, Value, json};

/// One model row, as the router sends it (only the fields we use).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ApiModel {
    /// `org/name`.
    pub(crate) id: String,
    pub(crate) created: Option<u64>,
    pub(crate) owned_by: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) display_name: Option<String>,
    /// `architecture.input_modalities`.
    pub(crate) input_modalities: Option<Vec<String>>,
    pub(crate) providers: Vec<ApiBackend>,
}

/// One entry of a row's `providers`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ApiBackend {
    pub(crate) provider: String,
    /// `live`, `staging`, `error`; anything else is kept as sent.
    pub(crate) status: String,
    pub(crate) context_length: Option<u64>,
    pub(crate) pricing: Option<Cost>,
    pub(crate) is_free: Option<bool>,
    pub(crate) supports_tools: Option<bool>,
    pub(crate) supports_structured_output: Option<bool>,
    pub(crate) first_token_latency_ms: Option<f64>,
    pub(crate) throughput: Option<f64>,
    pub(crate) is_model_author: Option<bool>,
}

/// Why a body is not a model list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParseError {
    #[error("the model list is not JSON ({detail}): {excerpt:?}")]
    NotJson { detail: String, excerpt: String },
    #[error("the model list has no `data` array: {excerpt:?}")]
    NoData { excerpt: String },
}

/// How much of a bad body an error quotes.
const EXCERPT_CHARS: usize = 120;

/// Parses a `GET /models` body: `{"data":[...]}` or a bare array of rows.
///
/// Rows without a usable `id` are skipped; the first of several rows with the
/// same id wins. An empty list is not an error here (the caller decides).
///
/// # Errors
/// When the body is not JSON (an HTML error page, a truncated body) or is JSON
/// without a list of rows, with a short excerpt of the body.
pub(crate) fn parse_models(body: &[u8]) -> Result<Vec<ApiModel>, ParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ParseError::NotJson {
        detail: e.to_string(),
        excerpt: excerpt(body),
    })?;
    let rows = match &value {
        Value::Array(rows) => rows,
        Value::Object(map) => match map.get("data") {
            Some(Value::Array(rows)) => rows,
            _ => {
                return Err(ParseError::NoData {
                    excerpt: excerpt(body),
                });
            }
        },
        _ => {
            return Err(ParseError::NoData {
                excerpt: excerpt(body),
            });
        }
    };
    Ok(parse_rows(rows))
}

/// The usable rows of a list, duplicates removed (first wins).
pub(super) fn parse_rows(rows: &[Value]) -> Vec<ApiModel> {
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    rows.iter()
        .filter_map(parse_row)
        .filter(|m| seen.insert(m.id.clone()))
        .collect()
}

/// One row, or `None` when it has no usable id.
pub(super) fn parse_row(row: &Value) -> Option<ApiModel> {
    let map = row.as_object()?;
    let id = map.get("id")?.as_str()?.trim();
    if !is_usable_id(id) {
        return None;
    }
    let input_modalities = map
        .get("architecture")
        .and_then(|a| a.get("input_modalities"))
        .and_then(Value::as_array)
        .map(|list| string_list(list))
        .filter(|list| !list.is_empty());
    let providers = match map.get("providers") {
        Some(Value::Array(list)) => list.iter().filter_map(parse_backend).collect(),
        _ => Vec::new(),
    };
    Some(ApiModel {
        id: id.to_string(),
        created: map.get("created").and_then(Value::as_u64),
        owned_by: text(map, "owned_by"),
        name: text(map, "name"),
        title: text(map, "title"),
        display_name: text(map, "display_name"),
        input_modalities,
        providers,
    })
}

/// `org/name` with no whitespace, no `:` (that would read as a suffix) and
/// exactly one `/`: the shape `ModelRef` accepts, so every row is resolvable.
fn is_usable_id(id: &str) -> bool {
    let Some((org, name)) = id.split_once('/') else {
        return false;
    };
    !org.is_empty()
        && !name.is_empty()
        && !name.contains('/')
        && !id.contains(':')
        && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn parse_backend(value: &Value) -> Option<ApiBackend> {
    let map = value.as_object()?;
    let provider = text(map, "provider")?;
    Some(ApiBackend {
        provider,
        // A backend without a status is not known to be serving.
        status: text(map, "status").unwrap_or_else(|| "unknown".to_string()),
        context_length: map
            .get("context_length")
            .and_then(whole_number)
            .filter(|n| *n > 0),
        pricing: map.get("pricing").and_then(parse_pricing),
        is_free: map.get("is_free").and_then(Value::as_bool),
        supports_tools: map.get("supports_tools").and_then(Value::as_bool),
        supports_structured_output: map
            .get("supports_structured_output")
            .and_then(Value::as_bool),
        first_token_latency_ms: map.get("first_token_latency_ms").and_then(non_negative),
        throughput: map.get("throughput").and_then(non_negative),
        is_model_author: map.get("is_model_author").and_then(Value::as_bool),
    })
}

/// Both prices or none: a half-known price would read as "free" on one side.
fn parse_pricing(value: &Value) -> Option<Cost> {
    Some(Cost {
        input: value.get("input").and_then(non_negative)?,
        output: value.get("output").and_then(non_negative)?,
    })
}

/// A trimmed, non-empty string field.
fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    let s = map.get(key)?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn string_list(list: &[Value]) -> Vec<String> {
    list.iter()
        .filter_map(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A finite, non-negative number.
fn non_negative(value: &Value) -> Option<f64> {
    value.as_f64().filter(|n| n.is_finite() && *n >= 0.0)
}

/// An integer, also when sent as `131072.0`.
fn whole_number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        let n = non_negative(value)?;
        // Truncation is intended: `n` is whole and below 2^53 here.
        (n.fract() == 0.0 && n < 9.0e15).then_some(n as u64)
    })
}

/// The start of a body, on one line, for error messages.
pub(super) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = out.char_indices().nth(EXCERPT_CHARS) {
        out.truncate(cut);
        out.push('…');
    }
    out
}

impl ApiModel {
    /// The row in the router's own shape, so a saved copy reads back through
    /// the same tolerant parser.
    pub(crate) fn to_wire(&self) -> Value {
        let mut row = Map::new();
        row.insert("id".into(), json!(self.id));
        row.insert("object".into(), json!("model"));
        insert_opt(&mut row, "created", self.created.map(|v| json!(v)));
        insert_opt(
            &mut row,
            "owned_by",
            self.owned_by.as_ref().map(|v| json!(v)),
        );
        insert_opt(&mut row, "name", self.name.as_ref().map(|v| json!(v)));
        insert_opt(&mut row, "title", self.title.as_ref().map(|v| json!(v)));
        insert_opt(
            &mut row,
            "display_name",
            self.display_name.as_ref().map(|v| json!(v)),
        );
        if let Some(input) = &self.input_modalities {
            row.insert("architecture".into(), json!({ "input_modalities": input }));
        }
        let providers: Vec<Value> = self.providers.iter().map(ApiBackend::to_wire).collect();
        row.insert("providers".into(), Value::Array(providers));
        Value::Object(row)
    }
}

impl ApiBackend {
    fn to_wire(&self) -> Value {
        let mut b = Map::new();
        b.insert("provider".into(), json!(self.provider));
        b.insert("status".into(), json!(self.status));
        insert_opt(
            &mut b,
            "context_length",
            self.context_length.map(|v| json!(v)),
        );
        insert_opt(
            &mut b,
            "pricing",
            self.pricing
                .map(|p| json!({ "input": p.input, "output": p.output })),
        );
        insert_opt(&mut b, "is_free", self.is_free.map(|v| json!(v)));
        insert_opt(
            &mut b,
            "supports_tools",
            self.supports_tools.map(|v| json!(v)),
        );
        insert_opt(
            &mut b,
            "supports_structured_output",
            self.supports_structured_output.map(|v| json!(v)),
        );
        insert_opt(
            &mut b,
            "first_token_latency_ms",
            self.first_token_latency_ms.map(|v| json!(v)),
        );
        insert_opt(&mut b, "throughput", self.throughput.map(|v| json!(v)));
        insert_opt(
            &mut b,
            "is_model_author",
            self.is_model_author.map(|v| json!(v)),
        );
        Value::Object(b)
    }
}

fn insert_opt(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests;
