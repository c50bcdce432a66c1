use std::path::Path;

use super::*;

fn edit() -> ConfigEdit {
    ConfigEdit {
        primary: "huggingface/deepseek-ai/DeepSeek-R1".into(),
        alias: Some(DEFAULT_ALIAS.into()),
        moves: Vec::new(),
    }
}

fn render(text: &str) -> Rendered {
    edit().render(Path::new("c.json5"), text).unwrap()
}

fn value(text: &str) -> Value {
    parse(Path::new("c.json5"), text).unwrap()
}

#[test]
fn a_fresh_config_gets_what_the_gateways_onboarding_writes() {
    let out = render("");
    assert!(out.kept_layout);
    assert_eq!(
        value(&out.text),
        serde_json::json!({
            "agents": { "defaults": {
                "model": { "primary": "huggingface/deepseek-ai/DeepSeek-R1" },
                "models": { "huggingface/deepseek-ai/DeepSeek-R1": { "alias": "Hugging Face" } },
            } },
            "auth": { "profiles": { "huggingface:default": {
                "provider": "huggingface", "mode": "api_key",
            } } },
            "models": {
                "providers": { "huggingface": {
                    "baseUrl": DEFAULT_BASE_URL, "api": "openai-completions", "models": [],
                } },
                "mode": "merge",
            },
            "plugins": { "entries": { "huggingface": { "enabled": true } } },
            "meta": { "migrations": { "modelPolicyAllowlist": true } },
        })
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
    // The user's entries are kept as they are; none is added.
    let hf = &v["models"]["providers"]["huggingface"];
    let models = hf["models"].as_array().unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0]["name"], "My R1");
    assert_eq!(hf["baseUrl"], "http://127.0.0.1:9/v1");
    assert_eq!(hf["api"], "openai-completions");
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
fn a_users_own_provider_entry_and_mode_are_kept() {
    let out = render(
        "{models: {mode: 'replace', providers: {huggingface: {models: [{id: 'x/y', name: 'X'}]}}}}",
    );
    let v = value(&out.text);
    assert_eq!(v["models"]["mode"], "replace");
    let hf = &v["models"]["providers"]["huggingface"];
    assert_eq!(
        hf["models"],
        serde_json::json!([{"id": "x/y", "name": "X"}])
    );
    // The user did not have a baseUrl; we do not add one to their entry.
    assert!(hf.get("baseUrl").is_none());
}

#[test]
fn settings_in_refused_or_ignored_places_move_keeping_comments_and_the_new_places_values() {
    let text = r#"{
  // mine
  models: { providers: { huggingface: { models: [ { id: 'a/b', name: 'B', alias: 'bee' } ] } } },
  plugins: { entries: {
    huggingface: { config: { billTo: 'new', discovery: { enabled: false } } },  // kept
    'hf-plugin': { config: { discovery: { intervalSeconds: 60 }, billTo: 'old', retry: { maxAttempts: 2 } } },
  } },
}
"#;
    let moves = crate::config::validate(&value(text)).unwrap().moved;
    assert_eq!(moves.len(), 4);
    let out = ConfigEdit { moves, ..edit() }
        .render(Path::new("c.json5"), text)
        .unwrap();
    assert!(
        out.kept_layout && out.text.contains("// mine") && out.text.contains("// kept"),
        "{}",
        out.text
    );
    let v = value(&out.text);
    assert_eq!(
        v["plugins"]["entries"],
        serde_json::json!({ "huggingface": { "enabled": true, "config": {
            "billTo": "new",
            "discovery": { "enabled": false, "intervalSeconds": 60 },
            "retry": { "maxAttempts": 2 },
        } } }),
        "the emptied old entry is gone:\n{}",
        out.text
    );
    assert_eq!(
        v["agents"]["defaults"]["models"]["huggingface/a/b"]["alias"],
        "bee"
    );
    assert!(
        v["models"]["providers"]["huggingface"]["models"][0]
            .get("alias")
            .is_none()
    );
    let left = crate::config::validate(&v).unwrap().moved;
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(render(&out.text).text, out.text);
}

#[test]
fn the_old_entry_stays_while_it_holds_anything_but_the_moved_settings() {
    let text = "{plugins: {entries: {'hf-plugin': {enabled: true, config: {billTo: 'org'}}}}}";
    let moves = crate::config::validate(&value(text)).unwrap().moved;
    let out = ConfigEdit { moves, ..edit() }
        .render(Path::new("c.json5"), text)
        .unwrap();
    let v = value(&out.text);
    assert_eq!(
        v["plugins"]["entries"]["hf-plugin"],
        serde_json::json!({ "enabled": true })
    );
    assert_eq!(
        v["plugins"]["entries"]["huggingface"]["config"]["billTo"],
        "org"
    );
}

#[test]
fn the_model_policy_marker_is_written_unless_the_config_has_it_or_a_policy() {
    let marker = |text: &str| value(&render(text).text)["meta"]["migrations"].clone();
    // Kept with the rest of `meta`.
    assert_eq!(
        marker(
            "{meta: {lastTouchedVersion: '2026.9.6', migrations: {utilityModelSeparation: true}}}"
        ),
        serde_json::json!({ "utilityModelSeparation": true, "modelPolicyAllowlist": true })
    );
    // `true` is its only valid value.
    assert_eq!(
        marker("{meta: {migrations: {modelPolicyAllowlist: false}}}"),
        serde_json::json!({ "modelPolicyAllowlist": true })
    );
    // A policy of the user's own: nothing to migrate, no marker.
    let text = "{agents: {defaults: {modelPolicy: {allow: ['huggingface/*']}}}}";
    let v = value(&render(text).text);
    assert!(v.get("meta").is_none(), "{v}");
    assert_eq!(
        v["agents"]["defaults"]["modelPolicy"],
        serde_json::json!({ "allow": ["huggingface/*"] })
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
