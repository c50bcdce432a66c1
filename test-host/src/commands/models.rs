//! `test-host models`.

use host_sdk::ModelInfo;
use serde_json::{Value, json};

use crate::cli::GlobalOptions;
use crate::error::CliResult;
use crate::host::{self, PROVIDER_ID};

/// One catalog row as JSON, with every field.
pub fn model_json(m: &ModelInfo) -> Value {
    json!({
        "ref": format!("{PROVIDER_ID}/{}", m.id),
        "id": m.id,
        "name": m.name,
        "context_window": m.context_window,
        "max_tokens": m.max_tokens,
        "cost": { "input": m.cost.input, "output": m.cost.output },
        "reasoning": m.reasoning,
        "input": m.input,
        "live": m.live,
        "supports_tools": m.supports_tools,
        "source": m.source.as_str(),
        "providers": m.backends,
    })
}

fn price(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else {
        format!("{v:.2}")
    }
}

/// A table for people: one row per model.
pub fn table(models: &[ModelInfo]) -> String {
    let header = [
        "REF",
        "NAME",
        "CONTEXT",
        "MAX OUT",
        "$ IN/OUT",
        "REASONING",
        "TOOLS",
        "LIVE/ALL",
    ];
    let rows: Vec<[String; 8]> = models
        .iter()
        .map(|m| {
            [
                format!("{PROVIDER_ID}/{}", m.id),
                m.name.clone(),
                m.context_window.to_string(),
                m.max_tokens.to_string(),
                format!("{}/{}", price(m.cost.input), price(m.cost.output)),
                if m.reasoning { "yes" } else { "no" }.into(),
                if m.supports_tools { "yes" } else { "no" }.into(),
                format!("{}/{}", m.live_backends().count(), m.backends.len()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let text: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(text.join("  ").trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// How long `--refresh` waits for the router's list.
const REFRESH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Prints the catalog; with `refresh`, fetches the router's list first. A
/// failed refresh is reported on stderr and the catalog in memory is shown.
pub async fn run(global: &GlobalOptions, as_json: bool, refresh: bool) -> CliResult {
    let session = host::open(global)?;
    if refresh {
        match session.provider.refresh(REFRESH_TIMEOUT).await {
            Ok(report) => eprintln!(
                "refreshed: {} models from the router, {} in the catalog",
                report.discovered, report.models
            ),
            Err(e) => eprintln!(
                "warning: could not refresh the model list ({e}); showing the catalog in memory"
            ),
        }
    }
    let models = session.provider.discover()?;
    if as_json {
        let rows: Vec<Value> = models.iter().map(model_json).collect();
        println!("{:#}", Value::Array(rows));
    } else {
        print!("{}", table(&models));
    }
    Ok(())
}
