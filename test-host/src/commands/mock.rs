//! `test-host mock-router`.

use std::net::SocketAddr;

use crate::error::{CliError, CliResult};
use testkit::mock_router::{self, KNOWN_MODELS, LISTED_SCENARIOS, MockOptions};

/// Serves the mock router on `listen` until Ctrl-C; with `require_token` it
/// accepts only that token.
pub async fn run(listen: SocketAddr, require_token: Option<String>) -> CliResult {
    mock_router::serve(listen, options(listen, require_token))
        .await
        .map_err(|e| CliError::new(format!("mock router on {listen}: {e}")))
}

fn options(listen: SocketAddr, require_token: Option<String>) -> MockOptions {
    MockOptions {
        listen,
        require_token,
        ..MockOptions::default()
    }
}

/// The scenarios that take an argument, as a `mock/` model: the `:` form and
/// the `-` form a checked ref can carry (`None`: there is only one form).
const ARGUMENT_FORMS: [(&str, Option<&str>); 7] = [
    ("status:NNN", Some("status-NNN")),
    ("slow:MS", Some("slow-MS")),
    ("stall-before:MS", Some("stall-before-MS")),
    ("stall-mid:MS", Some("stall-mid-MS")),
    ("fail-then-ok:N:STATUS", Some("fail-then-ok:N-STATUS")),
    ("flaky:N", None),
    ("replay:NNN", None),
];

/// The end of `mock-router --help`: which tokens pass and which models the
/// mock serves. Built from testkit's lists so it cannot drift from them.
pub fn models_help() -> String {
    let mut lines = vec![
        "Tokens:".to_owned(),
        "  Any token, or none (e.g. HF_TOKEN=hf_mock); with --require-token, only that one.".into(),
        String::new(),
        "Models:".into(),
        format!(
            "  GET /v1/models lists the {} well-known models, these scenario models, then",
            KNOWN_MODELS.len()
        ),
        format!(
            "  generated rows up to {}:",
            MockOptions::default().model_count
        ),
    ];
    lines.extend(LISTED_SCENARIOS.map(|scenario| format!("    mock/{scenario}")));
    lines.extend([
        "  Scenarios that take an argument are served too, unlisted. A client that checks".into(),
        "  refs against the list reads a `:suffix` as a backend, so give it the `-` form".into(),
        "  (or turn its discovery off):".into(),
    ]);
    lines.extend(ARGUMENT_FORMS.map(|(colon, dash)| match dash {
        Some(dash) => format!("    mock/{colon:<24} or mock/{dash}"),
        None => format!("    mock/{colon}"),
    }));
    lines.extend([
        "  Any model can also take a scenario from the header `x-mock-scenario: <scenario>`."
            .into(),
        "  Each scenario's contract: testkit/src/mock_router/scenario.rs.".into(),
    ]);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory as _, Parser as _};

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn require_token_is_parsed_and_must_not_be_empty() {
        let cli = Cli::try_parse_from(["test-host", "mock-router", "--require-token", "hf_t"]);
        let given = match cli.map(|cli| cli.command) {
            Ok(Command::MockRouter { require_token, .. }) => require_token,
            other => panic!("{other:?}"),
        };
        assert_eq!(given.as_deref(), Some("hf_t"));
        assert!(Cli::try_parse_from(["test-host", "mock-router", "--require-token", ""]).is_err());
    }

    #[test]
    fn help_says_which_tokens_pass_and_lists_the_scenario_models() {
        let mut cli = Cli::command();
        let command = cli.find_subcommand_mut("mock-router").unwrap();
        let help = command.render_long_help().to_string();
        for needle in [
            "--require-token <TOKEN>",
            "any token, or none",
            "only that one",
            "mock/tool-once",
            "mock/status-503",
            "mock/slow-200",
            "mock/status:NNN",
            "mock/status-NNN",
            "mock/stall-mid-MS",
        ] {
            assert!(help.contains(needle), "{needle} not in:\n{help}");
        }
        for scenario in LISTED_SCENARIOS {
            assert!(help.contains(&format!("mock/{scenario}\n")), "{scenario}");
        }
    }

    #[tokio::test]
    async fn a_required_token_is_the_only_one_accepted() {
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let router = mock_router::MockRouter::start(options(listen, Some("hf_t".into())))
            .await
            .unwrap();
        let chat = |token: &'static str| {
            reqwest::Client::new()
                .post(format!("{}/chat/completions", router.base_url()))
                .bearer_auth(token)
                .json(&serde_json::json!({
                    "model": "mock/echo",
                    "messages": [{"role": "user", "content": "hi"}],
                }))
                .send()
        };
        assert_eq!(chat("hf_t").await.unwrap().status(), 200);
        assert_eq!(chat("hf_other").await.unwrap().status(), 401);
    }
}
