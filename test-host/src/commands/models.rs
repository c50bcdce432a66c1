//! `test-host models`.

use std::io::IsTerminal;

use host_sdk::{Cost, ModelInfo};
use serde_json::{Value, json};

use crate::cli::GlobalOptions;
use crate::error::{CliError, CliResult};
use crate::host::{self, PROVIDER_ID};
use crate::stdout;

/// One catalog row as JSON, with every field. A value nobody states (a
/// price, tool support) is `null`, never 0 or `true`.
pub fn model_json(m: &ModelInfo) -> Value {
    json!({
        "ref": format!("{PROVIDER_ID}/{}", m.id),
        "id": m.id,
        "name": m.name,
        "context_window": m.context_window,
        "max_tokens": m.max_tokens,
        "cost": m.cost.map(|c| json!({ "input": c.input, "output": c.output })),
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

/// `in/out` per million tokens, `?` when unknown.
fn prices(cost: Option<Cost>) -> String {
    cost.map_or_else(
        || "?".into(),
        |c| format!("{}/{}", price(c.input), price(c.output)),
    )
}

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

const HEADER: [&str; 8] = [
    "REF",
    "NAME",
    "CONTEXT",
    "MAX OUT",
    "$ IN/OUT",
    "REASONING",
    "TOOLS",
    "LIVE/ALL",
];
const NAME: usize = 1;
/// The order in which columns go when the table is too wide for the
/// terminal: the least useful first. REF is never dropped (it is what a user
/// copies into `--model`), nor cut.
const DROP_ORDER: [usize; 7] = [3, 5, 7, 6, 2, 4, 1];
/// NAME is cut to this many characters (with `…`) before any column goes.
const NAME_MIN: usize = 16;
const GAP: usize = 2;

/// A table for people: one row per model, all columns at full width.
pub fn table(models: &[ModelInfo]) -> String {
    table_for_width(models, None)
}

/// [`table`] fitted to `width` columns when given: NAME is cut first, then
/// columns are dropped by priority (see `DROP_ORDER`).
pub fn table_for_width(models: &[ModelInfo], width: Option<usize>) -> String {
    let mut rows: Vec<[String; 8]> = models
        .iter()
        .map(|m| {
            [
                format!("{PROVIDER_ID}/{}", m.id),
                m.name.clone(),
                m.context_window.to_string(),
                m.max_tokens.to_string(),
                prices(m.cost),
                if m.reasoning { "yes" } else { "no" }.into(),
                yes_no(m.supports_tools).into(),
                format!("{}/{}", m.live_backends().count(), m.backends.len()),
            ]
        })
        .collect();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut shown = [true; 8];
    if let Some(width) = width {
        let total = |widths: &[usize; 8], shown: &[bool; 8]| {
            let cols = shown.iter().filter(|s| **s).count();
            widths
                .iter()
                .zip(shown)
                .filter(|(_, s)| **s)
                .map(|(w, _)| w)
                .sum::<usize>()
                + GAP * cols.saturating_sub(1)
        };
        if total(&widths, &shown) > width {
            let over = total(&widths, &shown) - width;
            let cut = widths[NAME]
                .saturating_sub(over)
                .max(NAME_MIN.min(widths[NAME]));
            if cut < widths[NAME] {
                widths[NAME] = cut;
                for row in &mut rows {
                    row[NAME] = truncate(&row[NAME], cut);
                }
            }
        }
        for column in DROP_ORDER {
            if total(&widths, &shown) <= width {
                break;
            }
            shown[column] = false;
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 8]| {
        let text: Vec<String> = cells
            .iter()
            .zip(widths)
            .zip(shown)
            .filter(|(_, show)| *show)
            .map(|((c, w), _)| format!("{c:<w$}"))
            .collect();
        out.push_str(text.join(&" ".repeat(GAP)).trim_end());
        out.push('\n');
    };
    line(HEADER);
    for row in &rows {
        line(row.each_ref().map(String::as_str));
    }
    out
}

/// `text` cut to `max` characters, the last one `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The terminal's width when stdout is one (`COLUMNS` first, as shells set
/// it); `None` when piped, so scripts get every column in full.
fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
    {
        return Some(columns);
    }
    #[cfg(unix)]
    {
        rustix::termios::tcgetwinsize(std::io::stdout())
            .ok()
            .map(|size| usize::from(size.ws_col))
            .filter(|c| *c > 0)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// How long `--refresh` waits for the router's list.
const REFRESH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Prints the catalog; with `refresh`, fetches the router's list first. A
/// failed refresh still shows the catalog in memory, then exits non-zero.
pub async fn run(global: &GlobalOptions, as_json: bool, refresh: bool) -> CliResult {
    let session = host::open(global)?;
    let mut failed = None;
    if refresh {
        match session.provider.refresh(REFRESH_TIMEOUT).await {
            Ok(report) => errln!(
                "refreshed: {} models from the router, {} in the catalog",
                report.discovered,
                report.models
            ),
            Err(e) => {
                errln!(
                    "warning: could not refresh the model list ({e}); showing the catalog in memory"
                );
                if let Some(hint) = host::token_hint(&e, &session.token) {
                    errln!("hint: {hint}");
                }
                failed = Some(e);
            }
        }
    }
    let models = session.provider.discover()?;
    if as_json {
        let rows: Vec<Value> = models.iter().map(model_json).collect();
        stdout::println(format_args!("{:#}", Value::Array(rows)))?;
    } else {
        stdout::print(table_for_width(&models, terminal_width()))?;
    }
    match failed {
        // Already explained on stderr; the exit code tells scripts.
        Some(_) => Err(CliError {
            message: String::new(),
            code: 1,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str, name: &str) -> ModelInfo {
        ModelInfo {
            id: id.into(),
            name: name.into(),
            context_window: 131_072,
            max_tokens: 8_192,
            ..ModelInfo::default()
        }
    }

    #[test]
    fn unknown_price_and_tools_are_question_marks() {
        let mut known = model("a/b", "B");
        known.cost = Some(Cost {
            input: 0.0,
            output: 1.5,
        });
        known.supports_tools = Some(false);
        let text = table(&[known, model("c/d", "D")]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].contains("0/1.50") && lines[1].contains(" no "),
            "{text}"
        );
        let cells: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(cells[4], "?", "{text}");
        assert_eq!(cells[6], "?", "{text}");
        let json = model_json(&model("c/d", "D"));
        assert!(json["cost"].is_null() && json["supports_tools"].is_null());
    }

    #[test]
    fn a_narrow_terminal_cuts_the_name_then_drops_columns() {
        let models = [model(
            "meta-llama/Llama-3.3-70B-Instruct",
            "A very long display name for a model, longer than any terminal would like",
        )];
        let full = table_for_width(&models, None);
        assert!(full.lines().all(|l| l.chars().count() > 100), "{full}");
        for width in [120, 100, 80, 60] {
            let text = table_for_width(&models, Some(width));
            for line in text.lines() {
                assert!(line.chars().count() <= width, "{width}: {line}");
            }
            assert!(text.contains("huggingface/meta-llama/Llama-3.3-70B-Instruct"));
        }
        let eighty = table_for_width(&models, Some(80));
        assert!(eighty.contains("A very long dis…  "), "{eighty}");
        assert!(!eighty.contains("MAX OUT"), "{eighty}");
        assert!(eighty.contains("$ IN/OUT"), "{eighty}");
        // Too narrow for anything but the ref: the ref stays whole.
        let tiny = table_for_width(&models, Some(10));
        assert_eq!(
            tiny.lines().nth(1),
            Some("huggingface/meta-llama/Llama-3.3-70B-Instruct")
        );
    }
}
