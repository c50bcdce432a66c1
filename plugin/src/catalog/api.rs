//! The router's `GET /models` rows and a parser that tolerates a loose router.
//!
//! Rows are read through lenient wire types (`loose`): one field of the wrong
//! type costs that field, not the row, and one bad row does not cost the list.

mod loose;

use provider_abi::Cost;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use loose::{Loose, Num, WireBackend, WireRow, WireTop};

/// One model row, as the router sends it (only the fields we use).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ApiModel {
    /// The router's id, usually `org/name`.
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
    // Validating UTF-8 once for the whole body lets serde_json skip it for
    // each of the list's tens of thousands of strings (a tenth of the parse).
    // An invalid body goes through from_slice for its usual error.
    let top: Result<WireTop, _> = match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    };
    let top = top.map_err(|e| ParseError::NotJson {
        detail: e.to_string(),
        excerpt: excerpt(body),
    })?;
    match top {
        WireTop::Rows(rows) => Ok(dedup(
            rows.into_iter().filter_map(|r| r.0.and_then(from_wire)),
        )),
        WireTop::NoData => Err(ParseError::NoData {
            excerpt: excerpt(body),
        }),
    }
}

/// The usable rows of a list, duplicates removed (first wins).
pub(super) fn parse_rows(rows: &[Value]) -> Vec<ApiModel> {
    dedup(rows.iter().filter_map(parse_row))
}

fn dedup(rows: impl Iterator<Item = ApiModel>) -> Vec<ApiModel> {
    let rows: Vec<ApiModel> = rows.collect();
    // Borrowed ids: a list of thousands of rows costs no copies of them.
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    let first: Vec<bool> = rows.iter().map(|m| seen.insert(m.id.as_str())).collect();
    drop(seen);
    rows.into_iter()
        .zip(first)
        .filter_map(|(row, first)| first.then_some(row))
        .collect()
}

/// One row, or `None` when it has no usable id.
pub(super) fn parse_row(row: &Value) -> Option<ApiModel> {
    // Same rules as the list parser: the row goes through the same wire types.
    Loose::<WireRow>::deserialize(row)
        .ok()?
        .0
        .and_then(from_wire)
}

fn from_wire(row: WireRow) -> Option<ApiModel> {
    let id = text(row.id.0)?;
    if !is_usable_id(&id) {
        return None;
    }
    let input_modalities = row
        .architecture
        .0
        .and_then(|a| a.input_modalities.0)
        .map(|list| {
            list.into_iter()
                .filter_map(|s| text(s.0))
                .collect::<Vec<_>>()
        })
        .filter(|list| !list.is_empty());
    let providers = row
        .providers
        .0
        .unwrap_or_default()
        .into_iter()
        .filter_map(|b| b.0.and_then(backend_from_wire))
        .collect();
    Some(ApiModel {
        id,
        created: row.created.0.and_then(Num::as_u64),
        owned_by: text(row.owned_by.0),
        name: text(row.name.0),
        title: text(row.title.0),
        display_name: text(row.display_name.0),
        input_modalities,
        providers,
    })
}

/// Any id a ref can address: `org/name` as usual, but also one without an
/// org (`custom-model-a`) or with more slashes (`a/b/c-d`), which the router
/// may list. Only ids no ref could name are dropped (see `is_valid_id`).
fn is_usable_id(id: &str) -> bool {
    super::model_ref::is_valid_id(id)
}

fn backend_from_wire(b: WireBackend) -> Option<ApiBackend> {
    Some(ApiBackend {
        provider: text(b.provider.0)?,
        // A backend without a status is not known to be serving.
        status: text(b.status.0).unwrap_or_else(|| "unknown".to_string()),
        context_length: b.context_length.0.and_then(whole_number).filter(|n| *n > 0),
        pricing: b.pricing.0.and_then(|p| {
            // Both prices or none: a half-known price would read as "free" on one side.
            Some(Cost {
                input: non_negative(p.input.0?)?,
                output: non_negative(p.output.0?)?,
            })
        }),
        is_free: b.is_free.0,
        supports_tools: b.supports_tools.0,
        supports_structured_output: b.supports_structured_output.0,
        first_token_latency_ms: b.first_token_latency_ms.0.and_then(non_negative),
        throughput: b.throughput.0.and_then(non_negative),
        is_model_author: b.is_model_author.0,
    })
}

/// A trimmed, non-empty string.
fn text(value: Option<String>) -> Option<String> {
    let s = value?;
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_string())
    }
}

/// A finite, non-negative number.
fn non_negative(n: Num) -> Option<f64> {
    Some(n.as_f64()).filter(|n| n.is_finite() && *n >= 0.0)
}

/// An integer, also when sent as `131072.0`.
fn whole_number(n: Num) -> Option<u64> {
    n.as_u64().or_else(|| {
        let f = non_negative(n)?;
        // Truncation is intended: `f` is whole and below 2^53 here.
        (f.fract() == 0.0 && f < 9.0e15).then_some(f as u64)
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
