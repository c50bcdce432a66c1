//! `test-host models`.

use std::io::IsTerminal;

use host_sdk::{Cost, ModelInfo, ModelSource};
use serde_json::{Value, json};

use crate::cli::GlobalOptions;
use crate::commands::endpoint;
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

/// A table fitted to a terminal, and what did not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    /// The table, one line per model after the header.
    pub text: String,
    /// The headers of the columns dropped to fit, in table order.
    pub hidden: Vec<&'static str>,
}

/// A table for people: one row per model, all columns at full width.
pub fn table(models: &[ModelInfo]) -> String {
    table_for_width(models, None).text
}

/// `live/all` backends; `?` for a model the router's list has not described
/// (a built-in one), whose backends are unknown rather than none.
fn backend_counts(m: &ModelInfo) -> String {
    if m.source == ModelSource::Builtin && m.backends.is_empty() {
        return "?".into();
    }
    format!("{}/{}", m.live_backends().count(), m.backends.len())
}

/// [`table`] fitted to `width` columns when given: NAME is cut first, then
/// columns are dropped by priority (see `DROP_ORDER`).
pub fn table_for_width(models: &[ModelInfo], width: Option<usize>) -> Fitted {
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
                backend_counts(m),
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
    let hidden = HEADER
        .iter()
        .zip(shown)
        .filter(|(_, show)| !show)
        .map(|(h, _)| *h)
        .collect();
    Fitted { text: out, hidden }
}

/// The note under a table that lost columns: which, and where they are.
pub fn hidden_note(hidden: &[&str], width: usize) -> Option<String> {
    (!hidden.is_empty()).then(|| {
        format!(
            "({} hidden to fit {width} columns: a wider terminal shows them, `models --json` has every field)",
            hidden.join(", ")
        )
    })
}

/// Where the rows came from, and how to get the router's list: a table of
/// built-in models reads as the router's otherwise.
pub fn source_note(models: &[ModelInfo], discovery_enabled: bool) -> String {
    let from_router = models
        .iter()
        .filter(|m| m.source != ModelSource::Builtin)
        .count();
    let count = models.len();
    if !discovery_enabled {
        format!(
            "{count} models: the built-in list, as discovery is off in the config \
             (plugins.entries.huggingface.config.discovery.enabled); \
             a model not listed here is sent unchecked"
        )
    } else if from_router == 0 {
        format!(
            "{count} models: the built-in list; the router's list has not been fetched \
             into this state directory yet (backends and live prices show as ?). \
             `test-host models --refresh` fetches it"
        )
    } else {
        format!(
            "{count} models: the router's list as last saved in this state directory \
             ({from_router}) and the built-in ones; `test-host models --refresh` fetches it anew"
        )
    }
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
    let mut refreshed = false;
    if refresh {
        match session.provider.refresh(REFRESH_TIMEOUT).await {
            Ok(report) => {
                refreshed = true;
                errln!(
                    "refreshed: {} models from the router, {} in the catalog",
                    report.discovered,
                    report.models
                );
            }
            Err(e) => {
                errln!(
                    "warning: could not refresh the model list ({e}); showing the catalog in memory"
                );
                if let Some(hint) = host::token_hint(&e, &session.token) {
                    errln!("hint: {hint}");
                }
                if let Some(hint) =
                    endpoint::missing_v1_hint(&e, &endpoint::base_url(global, &session.config)?)
                {
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
        let width = terminal_width();
        let fitted = table_for_width(&models, width);
        stdout::print(&fitted.text)?;
        if let Some(note) = width.and_then(|w| hidden_note(&fitted.hidden, w)) {
            errln!("{note}");
        }
        if !refreshed {
            errln!(
                "{}",
                source_note(&models, session.config.discovery_enabled()?)
            );
        }
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
        let full = table_for_width(&models, None).text;
        assert!(full.lines().all(|l| l.chars().count() > 100), "{full}");
        for width in [120, 100, 80, 60] {
            let text = table_for_width(&models, Some(width)).text;
            for line in text.lines() {
                assert!(line.chars().count() <= width, "{width}: {line}");
            }
            assert!(text.contains("huggingface/meta-llama/Llama-3.3-70B-Instruct"));
        }
        let eighty = table_for_width(&models, Some(80));
        assert!(eighty.text.contains("A very long dis…  "), "{eighty:?}");
        assert!(!eighty.text.contains("MAX OUT"), "{eighty:?}");
        assert!(eighty.text.contains("$ IN/OUT"), "{eighty:?}");
        assert!(eighty.hidden.contains(&"MAX OUT"), "{eighty:?}");
        // Too narrow for anything but the ref: the ref stays whole.
        let tiny = table_for_width(&models, Some(10));
        assert_eq!(
            tiny.text.lines().nth(1),
            Some("huggingface/meta-llama/Llama-3.3-70B-Instruct")
        );
        // ... and the note says what went, in table order.
        assert_eq!(
            hidden_note(&tiny.hidden, 10).unwrap(),
            "(NAME, CONTEXT, MAX OUT, $ IN/OUT, REASONING, TOOLS, LIVE/ALL hidden to fit 10 \
             columns: a wider terminal shows them, `models --json` has every field)"
        );
        assert_eq!(
            hidden_note(&table_for_width(&models, None).hidden, 80),
            None
        );
    }

    #[test]
    fn built_in_rows_have_unknown_backends_and_the_note_says_where_rows_came_from() {
        let builtin = model("a/b", "B");
        let mut discovered = model("c/d", "D");
        discovered.source = ModelSource::Discovered;
        discovered.backends = vec![host_sdk::Backend {
            provider: "together".into(),
            status: "live".into(),
            ..Default::default()
        }];
        let text = table(&[builtin.clone(), discovered.clone()]);
        let last_cell = |line: &str| line.split_whitespace().last().unwrap().to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(last_cell(lines[1]), "?", "{text}");
        assert_eq!(last_cell(lines[2]), "1/1", "{text}");

        let note = source_note(std::slice::from_ref(&builtin), true);
        assert!(note.starts_with("1 models: the built-in list;"), "{note}");
        assert!(note.contains("`test-host models --refresh`"), "{note}");
        let note = source_note(&[builtin.clone(), discovered], true);
        assert!(note.contains("the router's list as last saved"), "{note}");
        let note = source_note(&[builtin], false);
        assert!(note.contains("discovery is off"), "{note}");
    }
}
