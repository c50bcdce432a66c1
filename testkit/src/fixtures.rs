//! The recorded router traffic in `testkit/fixtures/` (see its README for
//! where each recording came from), for every test that replays it.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// `testkit/fixtures/`.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `testkit/fixtures/recorded-chat/`: `NNN.json` exchanges and `expected.jsonl`.
pub fn recorded_chat_dir() -> PathBuf {
    dir().join("recorded-chat")
}

/// The text of `testkit/fixtures/models/<name>`.
///
/// # Errors
/// The file cannot be read.
pub fn model_list(name: &str) -> std::io::Result<String> {
    std::fs::read_to_string(dir().join("models").join(name))
}

/// One recorded exchange (`recorded-chat/NNN.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct Exchange {
    /// `NNN`.
    pub id: String,
    /// The URL the recorder called.
    pub url: String,
    /// The request body as recorded (JSON), if any.
    #[serde(default)]
    pub request_body: Value,
    /// The response as recorded.
    pub response: Recorded,
}

/// The recorded response of one exchange.
#[derive(Debug, Clone, Deserialize)]
pub struct Recorded {
    /// HTTP status.
    pub status: u16,
    /// Recorded headers (lowercase names).
    #[serde(default)]
    pub headers: serde_json::Map<String, Value>,
    /// The body exactly as recorded.
    pub body: String,
}

impl Recorded {
    /// The recorded `content-type`, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get("content-type").and_then(Value::as_str)
    }
}

/// Reads `recorded-chat/<id>.json`.
///
/// # Errors
/// The file is missing or not an exchange.
pub fn exchange(id: &str) -> Result<Exchange, String> {
    let path = recorded_chat_dir().join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every line of `recorded-chat/expected.jsonl`, in order: what a good client
/// makes of each exchange.
///
/// # Errors
/// The file is missing or a line is not JSON.
pub fn expected() -> Result<Vec<Value>, String> {
    let path = recorded_chat_dir().join("expected.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}
