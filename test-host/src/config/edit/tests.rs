use std::path::Path;

use super::*;

fn edit() -> ConfigEdit {
    ConfigEdit {
        primary: "huggingface/deepseek-ai/DeepSeek-R1".into(),
        alias: Some("DeepSeek R1".into()),
        provider_model: Some(ProviderModelEntry {
            id: "deepseek-ai/DeepSeek-R1".into(),
            name: "DeepSeek R1".into(),
            reasoning: true,
            input: vec!["text".into()],
            context_window: 131072,
            max_tokens: 8192,
        }),
    }
}

fn render(text: &str) -> Rendered {
    edit().render(Path::new("c.json5"), text).unwrap()
}

fn value(text: &str) -> Value {
    parse(Path::new("c.json5"), text).unwrap()
}

#[test]
fn a_fresh_config_gets_everything() {
    let out = render("");
    assert!(out.kept_layout);
    let v = value(&out.text);
    assert_eq!(
        v["agents"]["defaults"]["model"]["primary"],
        "huggingface/deepseek-ai/DeepSeek-R1"
    );
    assert_eq!(
        v["agents"]["defaults"]["models"]["huggingface/deepseek-ai/DeepSeek-R1"]["alias"],
        "DeepSeek R1"
    );
    assert_eq!(
        v["auth"]["profiles"]["huggingface:default"]["mode"],
        "api_key"
    );
    assert_eq!(
        v["models"]["providers"]["huggingface"]["baseUrl"],
        DEFAULT_BASE_URL
    );
    assert_eq!(
        v["models"]["providers"]["huggingface"]["models"][0]["id"],
        "deepseek-ai/DeepSeek-R1"
    );
    // Applying it again changes nothing, byte for byte.
    assert_eq!(render(&out.text).text, out.text);
}

const USER: &str = r#"// my gateway
{
  // the agents
  agents: {
    defaults: {
      model: { primary: 'huggingface/Qwen/Qwen3-8B', fallbacks: ['huggingface/Qwen/Qwen3-32B',], },
      models: { 'huggingface/deepseek-ai/DeepSeek-R1': { alias: 'R1 mine' } },
      workspace: "~/w", /* unknown to us */
    },
  },
  models: { providers: { huggingface: {
    baseUrl: 'http://127.0.0.1:9/v1',
    models: [ { id: 'deepseek-ai/DeepSeek-R1', name: 'My R1', custom: 0x10 } ],
  } } },
  channels: { telegram: { enabled: true } },
}
"#;

#[test]
fn comments_unknown_keys_user_entries_and_fallbacks_are_kept() {
    let out = render(USER);
    assert!(out.kept_layout);
    for kept in [
        "// my gateway",
        "// the agents",
        "/* unknown to us */",
        "telegram",
        "'R1 mine'",
        "name: 'My R1', custom: 0x10",
        "fallbacks: ['huggingface/Qwen/Qwen3-32B',]",
    ] {
        assert!(out.text.contains(kept), "{kept} lost:\n{}", out.text);
    }
    let v = value(&out.text);
    let defaults = &v["agents"]["defaults"];
    assert_eq!(
        defaults["model"]["primary"],
        "huggingface/deepseek-ai/DeepSeek-R1"
    );
    assert_eq!(
        defaults["model"]["fallbacks"][0],
        "huggingface/Qwen/Qwen3-32B"
    );
    // An existing alias wins.
    assert_eq!(
        defaults["models"]["huggingface/deepseek-ai/DeepSeek-R1"]["alias"],
        "R1 mine"
    );
    // The user's entry for the id is kept; no duplicate is added.
    let models = v["models"]["providers"]["huggingface"]["models"]
        .as_array()
        .unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0]["name"], "My R1");
    assert_eq!(render(&out.text).text, out.text);
}

#[test]
fn a_string_model_becomes_an_object() {
    let out = render("{agents: {defaults: {model: 'huggingface/Qwen/Qwen3-8B'}}}");
    let v = value(&out.text);
    assert_eq!(
        v["agents"]["defaults"]["model"],
        serde_json::json!({"primary": "huggingface/deepseek-ai/DeepSeek-R1"})
    );
}

#[test]
fn another_provider_entry_gets_the_catalog_entry_appended() {
    let out = render("{models: {providers: {huggingface: {models: [{id: 'x/y'}]}}}}");
    let v = value(&out.text);
    let models = v["models"]["providers"]["huggingface"]["models"]
        .as_array()
        .unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(models[1]["id"], "deepseek-ai/DeepSeek-R1");
    // The user did not have a baseUrl; we do not add one to their entry.
    assert!(
        v["models"]["providers"]["huggingface"]
            .get("baseUrl")
            .is_none()
    );
}

#[test]
fn json5_extensions_survive_the_edit() {
    let text =
        "{a: 'single', b: 0x1F, c: +1, d: .5, e: 5., f: Infinity, h: 'multi\\\nline', $j: 1,}\n";
    let out = render(text);
    assert!(out.kept_layout, "{}", out.text);
    // The object becomes multi-line to take the new keys; every value is
    // kept as written.
    for kept in [
        "a: 'single'",
        "b: 0x1F",
        "c: +1",
        "d: .5",
        "e: 5.",
        "f: Infinity",
        "'multi\\\nline'",
        "$j: 1",
    ] {
        assert!(out.text.contains(kept), "{kept} lost:\n{}", out.text);
    }
}

#[test]
fn invalid_configs_are_refused() {
    let e = edit()
        .render(Path::new("c.json5"), "{agents: {defaults: {model: 3}}}")
        .unwrap_err();
    assert!(e.message.contains("c.json5: agents.defaults.model"), "{e}");
    let e = edit()
        .render(Path::new("c.json5"), "{\n  a: [1,\n}")
        .unwrap_err();
    assert!(e.message.contains("line"), "{e}");
}

#[test]
fn commit_writes_atomically_and_reports_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openclaw.json");
    let prepared = prepare(&path, &edit()).unwrap();
    assert!(prepared.changes());
    assert_eq!(prepared.commit().unwrap(), ConfigOutcome::Created);
    let first = std::fs::read(&path).unwrap();
    assert_eq!(
        prepare(&path, &edit()).unwrap().commit().unwrap(),
        ConfigOutcome::Unchanged
    );
    assert_eq!(std::fs::read(&path).unwrap(), first);
    std::fs::write(&path, USER).unwrap();
    assert_eq!(
        prepare(&path, &edit()).unwrap().commit().unwrap(),
        ConfigOutcome::Updated
    );
    assert!(!dir.path().join("openclaw.json.bak").exists());
}

#[test]
fn a_full_rewrite_keeps_the_previous_file_as_bak() {
    // The fallback for text the syntax tree cannot edit; no JSON5 input we
    // know of takes it, so it is driven directly.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openclaw.json");
    std::fs::write(&path, USER).unwrap();
    let prepared = PreparedConfig {
        _lock: FileLock::acquire(&path, std::time::Duration::ZERO).unwrap(),
        path: path.clone(),
        old: Some(USER.to_string()),
        new: Rendered {
            text: "{}\n".into(),
            kept_layout: false,
        },
    };
    let backup = dir.path().join("openclaw.json.bak");
    assert_eq!(
        prepared.commit().unwrap(),
        ConfigOutcome::Rewritten {
            backup: backup.clone()
        }
    );
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), USER);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
}
