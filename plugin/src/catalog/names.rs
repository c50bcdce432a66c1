//! Display names and user aliases, as the gateway's users know them
//! (docs/gateway.md, "Display names").
//!
//! Precedence, highest first: a user alias for the exact ref; the API row's
//! `name`, `title`, `display_name`; the built-in name; a name derived from the
//! id. Suffix variants then get a label: ` (cheapest)`, ` (fastest)`,
//! ` (preferred)`, and for a backend its name, ` (together)`, so every variant
//! in a dropdown is distinguishable. An alias is used as written, unlabelled:
//! the user chose that exact text for that exact ref.

use std::collections::HashMap;

use super::model_ref::{ModelRef, RouteSuffix};
use crate::PROVIDER_ID;

use super::api::ApiModel;

/// The model's name before any alias or label.
pub(super) fn base_name(api: Option<&ApiModel>, builtin_name: Option<&str>, id: &str) -> String {
    api.and_then(|row| {
        [&row.name, &row.title, &row.display_name]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
    })
    .or(builtin_name)
    .map_or_else(|| derive_name(id), str::to_string)
}

/// `deepseek-ai/DeepSeek-R1` -> `DeepSeek R1`: the part after the last `/`,
/// `-` and `_` as spaces, each word's first letter upper-cased, the rest kept.
pub(super) fn derive_name(id: &str) -> String {
    let last = id.rsplit('/').next().unwrap_or(id);
    last.split(['-', '_'])
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `name` with the variant label for `suffix`.
pub(super) fn with_label(name: &str, suffix: Option<&RouteSuffix>) -> String {
    let Some(suffix) = suffix.map(RouteSuffix::as_str) else {
        return name.to_string();
    };
    // Hand-built: this runs on every resolve.
    let mut label = String::with_capacity(name.len() + suffix.len() + 3);
    label.push_str(name);
    label.push_str(" (");
    label.push_str(suffix);
    label.push(')');
    label
}

/// User aliases from `agents.defaults.models["huggingface/<id>[:suffix]"].alias`.
///
/// Keys are normalised to the canonical ref (`huggingface/<id>[:suffix]`) so a
/// ref typed with a different prefix case or spacing still finds its alias.
/// Keys without the `huggingface/` prefix belong to other providers in the same
/// config map and are ignored: `openai/gpt-4o` must not alias a router model.
#[derive(Debug, Clone, Default)]
pub(crate) struct Aliases {
    /// Canonical ref -> alias.
    by_ref: HashMap<String, String>,
    /// Lower-cased alias -> canonical ref, for case-insensitive lookup.
    by_alias: HashMap<String, String>,
}

impl Aliases {
    /// From `ref -> alias`, as the config file has them. Blank aliases and
    /// refs that do not parse are dropped. When two refs share an alias (in
    /// any case), the alias resolves to the smaller ref so the choice does
    /// not depend on map order.
    pub(crate) fn new(map: HashMap<String, String>) -> Self {
        let mut pairs: Vec<(String, String)> = map
            .into_iter()
            .filter_map(|(key, alias)| {
                let alias = alias.trim();
                let (prefix, _) = key.trim().split_once('/')?;
                if alias.is_empty() || !prefix.trim().eq_ignore_ascii_case(PROVIDER_ID) {
                    return None;
                }
                let canonical = ModelRef::parse(&key).ok()?.to_string();
                Some((canonical, alias.to_string()))
            })
            .collect();
        pairs.sort();
        let mut aliases = Aliases::default();
        for (canonical, alias) in pairs {
            aliases
                .by_alias
                .entry(alias.to_lowercase())
                .or_insert_with(|| canonical.clone());
            aliases.by_ref.entry(canonical).or_insert(alias);
        }
        aliases
    }

    /// The alias for a canonical ref.
    pub(crate) fn alias_for(&self, canonical_ref: &str) -> Option<&str> {
        self.by_ref.get(canonical_ref).map(String::as_str)
    }

    /// The canonical ref an alias stands for (case-insensitive, trimmed).
    pub(crate) fn ref_for(&self, alias: &str) -> Option<&str> {
        if self.by_alias.is_empty() {
            return None;
        }
        self.by_alias
            .get(&alias.trim().to_lowercase())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_follow_the_documented_examples() {
        for (id, want) in [
            ("deepseek-ai/DeepSeek-R1", "DeepSeek R1"),
            ("Qwen/Qwen3-8B", "Qwen3 8B"),
            (
                "meta-llama/Llama-3.3-70B-Instruct",
                "Llama 3.3 70B Instruct",
            ),
            ("openai/gpt-oss-120b", "Gpt Oss 120b"),
            ("zai-org/GLM-4.7", "GLM 4.7"),
            ("org/snake_case__name-", "Snake Case Name"),
            ("org/élan-vital", "Élan Vital"),
            ("no-slash", "No Slash"),
            ("org/", ""),
        ] {
            assert_eq!(derive_name(id), want, "{id}");
        }
    }

    #[test]
    fn api_names_beat_builtin_names_beat_derived_ones() {
        let row = |name: Option<&str>, title: Option<&str>, display: Option<&str>| ApiModel {
            id: "deepseek-ai/DeepSeek-R1".into(),
            name: name.map(Into::into),
            title: title.map(Into::into),
            display_name: display.map(Into::into),
            ..ApiModel::default()
        };
        let id = "deepseek-ai/DeepSeek-R1";
        let cases = [
            (
                Some(row(Some("Name"), Some("Title"), Some("Display"))),
                Some("Built"),
                "Name",
            ),
            (
                Some(row(Some("  "), Some("Title"), Some("Display"))),
                Some("Built"),
                "Title",
            ),
            (
                Some(row(None, None, Some(" Display "))),
                Some("Built"),
                "Display",
            ),
            (Some(row(None, None, None)), Some("Built"), "Built"),
            (Some(row(None, None, None)), None, "DeepSeek R1"),
            (None, Some("Built"), "Built"),
            (None, None, "DeepSeek R1"),
        ];
        for (api, builtin, want) in cases {
            assert_eq!(base_name(api.as_ref(), builtin, id), want);
        }
    }

    #[test]
    fn suffix_variants_get_a_label() {
        let backend = RouteSuffix::Backend("together".into());
        for (suffix, want) in [
            (None, "DeepSeek R1"),
            (Some(RouteSuffix::Cheapest), "DeepSeek R1 (cheapest)"),
            (Some(RouteSuffix::Fastest), "DeepSeek R1 (fastest)"),
            (Some(RouteSuffix::Preferred), "DeepSeek R1 (preferred)"),
            (Some(backend), "DeepSeek R1 (together)"),
        ] {
            assert_eq!(with_label("DeepSeek R1", suffix.as_ref()), want);
        }
    }

    #[test]
    fn aliases_are_per_exact_ref_and_case_insensitive() {
        let aliases = Aliases::new(HashMap::from([
            (
                "huggingface/deepseek-ai/DeepSeek-R1".to_string(),
                "DeepSeek R1".to_string(),
            ),
            (
                " HuggingFace/deepseek-ai/DeepSeek-R1:cheapest".to_string(),
                " R1 cheap ".to_string(),
            ),
            ("openai/gpt-4o".to_string(), "GPT".to_string()),
            ("huggingface/not//a-ref".to_string(), "Broken".to_string()),
            ("huggingface/Qwen/Qwen3-8B".to_string(), "  ".to_string()),
        ]));
        assert_eq!(
            aliases.alias_for("huggingface/deepseek-ai/DeepSeek-R1"),
            Some("DeepSeek R1")
        );
        assert_eq!(
            aliases.alias_for("huggingface/deepseek-ai/DeepSeek-R1:cheapest"),
            Some("R1 cheap")
        );
        assert_eq!(
            aliases.ref_for("deepseek r1"),
            Some("huggingface/deepseek-ai/DeepSeek-R1")
        );
        assert_eq!(
            aliases.ref_for(" R1 CHEAP"),
            Some("huggingface/deepseek-ai/DeepSeek-R1:cheapest")
        );
        for ignored in ["GPT", "Broken", ""] {
            assert_eq!(aliases.ref_for(ignored), None, "{ignored}");
        }
        assert_eq!(aliases.alias_for("huggingface/Qwen/Qwen3-8B"), None);
    }

    #[test]
    fn a_shared_alias_picks_the_same_ref_every_time() {
        for _ in 0..8 {
            let aliases = Aliases::new(HashMap::from([
                ("huggingface/b/m".to_string(), "Same".to_string()),
                ("huggingface/a/m".to_string(), "same".to_string()),
            ]));
            assert_eq!(aliases.ref_for("SAME"), Some("huggingface/a/m"));
        }
    }
}
