//! `GET /v1/models`: a realistic, seed-deterministic list, built once per server.
//!
//! Generated rows mimic the real list's looseness: some rows have no
//! `name`/`title`, some backends carry only `provider`/`status`/
//! `is_model_author`, pricing and context are often missing, and all three
//! statuses (live, staging, error) occur.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use super::{
    catalog::{Backend, Model},
    known::{known_models, mock_models},
};

/// Chat-capable backends the router knows today (docs/router.md).
pub const BACKENDS: [&str; 15] = [
    "baseten",
    "cerebras",
    "cohere",
    "deepinfra",
    "featherless-ai",
    "fireworks-ai",
    "groq",
    "hf-inference",
    "novita",
    "nscale",
    "ovhcloud",
    "publicai",
    "scaleway",
    "together",
    "zai-org",
];

/// What a request needs to know about a listed model.
#[derive(Debug, Clone)]
pub(crate) struct Routing {
    /// (backend, status) in list order.
    pub backends: Vec<(&'static str, &'static str)>,
}

impl Routing {
    /// The backend serving a request with `suffix` (`None`: no suffix), or
    /// `None` when the model cannot be served that way.
    ///
    /// A backend suffix must name a backend of the model that is not in
    /// error; anything else (`fastest`, `cheapest`, `preferred`, no suffix)
    /// goes to the first live backend.
    pub fn serve(&self, suffix: Option<&str>) -> Option<&'static str> {
        match suffix {
            Some(name) if !is_policy(name) => self
                .backends
                .iter()
                .find(|(backend, status)| *backend == name && *status != "error")
                .map(|(backend, _)| *backend),
            _ => self
                .backends
                .iter()
                .find(|(_, status)| *status == "live")
                .map(|(backend, _)| *backend),
        }
    }
}

fn is_policy(suffix: &str) -> bool {
    matches!(suffix, "fastest" | "cheapest" | "preferred")
}

/// The models list: its JSON, ready to send, and a routing table.
#[derive(Debug)]
pub(crate) struct Models {
    pub json: Bytes,
    pub routing: HashMap<String, Routing>,
}

impl Models {
    pub fn build(model_count: usize, seed: u64) -> Self {
        let mut rows = known_models();
        rows.extend(mock_models());
        rows.extend(generate(model_count.saturating_sub(rows.len()), seed));
        Self::from_rows(&rows)
    }

    fn from_rows(rows: &[Model]) -> Self {
        let routing = rows
            .iter()
            .map(|model| {
                let backends = model
                    .providers
                    .iter()
                    .map(|b| (b.provider, b.status))
                    .collect();
                (model.id.clone(), Routing { backends })
            })
            .collect();
        Self {
            json: list_json(rows),
            routing,
        }
    }
}

/// `{"object":"list","data":[...]}`.
pub(crate) fn list_json(rows: &[Model]) -> Bytes {
    let list = serde_json::json!({ "object": "list", "data": rows });
    Bytes::from(list.to_string())
}

/// A JSON list bigger than `min_bytes`, for the `Huge` failure mode: valid
/// JSON, so a client must reject it by size, not by a parse error.
pub(crate) fn huge_list_json(min_bytes: usize, seed: u64) -> Bytes {
    let sample = generate(500, seed);
    let sample_len = list_json(&sample).len().max(1);
    let copies = min_bytes / sample_len + 1;
    let mut rows = Vec::with_capacity(sample.len() * copies);
    for copy in 0..copies {
        rows.extend(sample.iter().cloned().map(|mut model| {
            model.id = format!("{}-copy{copy}", model.id);
            model
        }));
    }
    list_json(&rows)
}

/// SplitMix64: tiny, and stable across crate versions, so a seed names the
/// same list forever (rand's StdRng makes no such promise).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Callers pass non-empty constant tables; index 0 is the fallback.
        let index = self.below(items.len() as u64) as usize;
        &items[index.min(items.len().saturating_sub(1))]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A value in [lo, hi) rounded to two decimals.
    fn money(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((lo + unit * (hi - lo)) * 100.0).round() / 100.0
    }
}

const ORGS: [(&str, &[&str]); 10] = [
    (
        "meta-llama",
        &["Llama-3.2", "Llama-3.1", "Llama-4-Scout", "Meta-Llama-3"],
    ),
    ("Qwen", &["Qwen2.5", "Qwen3", "Qwen2.5-Coder", "QwQ"]),
    (
        "mistralai",
        &["Mistral", "Mixtral", "Mistral-Small", "Ministral"],
    ),
    ("google", &["gemma-2", "gemma-3", "codegemma"]),
    (
        "deepseek-ai",
        &["DeepSeek-R1-Distill-Qwen", "DeepSeek-Coder", "deepseek-llm"],
    ),
    ("microsoft", &["Phi-3", "Phi-3.5", "phi-4"]),
    ("NousResearch", &["Hermes-3-Llama-3.1", "Nous-Hermes-2"]),
    ("allenai", &["OLMo-2", "Tulu-3"]),
    ("HuggingFaceTB", &["SmolLM2", "SmolLM3"]),
    ("CohereLabs", &["c4ai-command-r", "aya-expanse"]),
];
const SIZES: [&str; 10] = [
    "1B", "3B", "7B", "8B", "9B", "14B", "24B", "27B", "32B", "70B",
];
const VARIANTS: [&str; 6] = ["-Instruct", "-it", "-Chat", "", "-Instruct-2507", "-FP8"];
const CONTEXTS: [u64; 6] = [8_192, 16_384, 32_768, 65_536, 131_072, 262_144];

/// `count` generated rows, unique ids, deterministic in `seed`.
fn generate(count: usize, seed: u64) -> Vec<Model> {
    let mut rng = Rng(seed);
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(count);
    while rows.len() < count {
        let (org, families) = rng.pick(&ORGS);
        let base = format!(
            "{org}/{}-{}{}",
            rng.pick(families),
            rng.pick(&SIZES),
            rng.pick(&VARIANTS)
        );
        // Past the combinatorial space, number the duplicates (fine-tunes
        // with numbered revisions exist on the Hub too).
        let id = if seen.contains(&base) {
            format!("{base}-v{}", rows.len())
        } else {
            base
        };
        seen.insert(id.clone());
        let created = 1_690_000_000 + rng.below(80_000_000);
        let mut model = Model::new(&id, created, backends(&mut rng));
        match rng.below(6) {
            0 | 1 => model.name = Some(display(&id)),
            2 => model.title = Some(display(&id)),
            3 => model.display_name = Some(display(&id)),
            4 => model.name = Some(String::new()),
            _ => {}
        }
        if rng.chance(15) {
            model = model.with_images();
        }
        rows.push(model);
    }
    rows
}

fn display(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).replace('-', " ")
}

fn backends(rng: &mut Rng) -> Vec<Backend> {
    let wanted = 1 + rng.below(4) as usize;
    let mut names: Vec<&'static str> = Vec::new();
    while names.len() < wanted {
        let name = *rng.pick(&BACKENDS);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let status = match rng.below(100) {
                0..=74 => "live",
                75..=89 => "staging",
                _ => "error",
            };
            let mut backend = Backend::bare(name, status);
            if status == "error" || rng.chance(20) {
                return backend;
            }
            if rng.chance(80) {
                backend = backend.ctx(*rng.pick(&CONTEXTS));
            }
            if rng.chance(70) {
                let input = rng.money(0.02, 2.0);
                backend = backend.price(input, input + rng.money(0.0, 3.0));
            } else if rng.chance(30) {
                backend.is_free = Some(true);
            }
            if rng.chance(75) {
                backend = backend.tools(rng.chance(70), rng.chance(60));
            }
            if rng.chance(50) {
                let latency = 100.0 + rng.money(0.0, 1500.0);
                backend = backend.perf(latency, 10.0 + rng.money(0.0, 400.0));
            }
            if name == "zai-org" && rng.chance(50) {
                backend = backend.author();
            }
            backend
        })
        .collect()
}
