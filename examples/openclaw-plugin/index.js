// OpenClaw provider plugin "hf-plugin": the Hugging Face provider plugin (a
// Rust cdylib) as the gateway's model provider, through `test-host serve`,
// which serves it as a local OpenAI-compatible endpoint.
//
// Plain ESM with no imports from openclaw, so the gateway loads it as it is:
// no build step. The gateway talks `openai-completions` to the endpoint; this
// file only tells it where the endpoint is, which key to send, and which
// models exist (the endpoint's live catalog, with context windows, prices and
// capabilities from the router's backends).
//
//   OPENCLAW_HF_SERVE_URL  the endpoint (default http://127.0.0.1:8788/v1)
//   OPENCLAW_HF_SERVE_KEY  its local access key. The gateway sends it with
//                          every request; put it in the environment or in
//                          `<state dir>/.env`, which the gateway reads. The
//                          catalog and the start-up check fall back to the
//                          serve-key file `test-host serve` keeps there.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const PLUGIN_ID = "hf-plugin";
const PROVIDER_ID = "hf-plugin";
const DEFAULT_URL = "http://127.0.0.1:8788/v1";
const KEY_ENV = "OPENCLAW_HF_SERVE_KEY";
const URL_ENV = "OPENCLAW_HF_SERVE_URL";
const CATALOG_TIMEOUT_MS = 10_000;

function endpoint() {
  const raw = (process.env[URL_ENV] || DEFAULT_URL).trim();
  return raw.replace(/\/+$/, "");
}

function stateDir() {
  const dir = process.env.OPENCLAW_STATE_DIR;
  return dir && dir.trim() ? dir : path.join(os.homedir(), ".openclaw");
}

/** The local key: $OPENCLAW_HF_SERVE_KEY, else `<state dir>/serve-key`. */
function serveKey() {
  const fromEnv = process.env[KEY_ENV];
  if (fromEnv && fromEnv.trim()) return fromEnv.trim();
  try {
    const key = fs.readFileSync(path.join(stateDir(), "serve-key"), "utf8").trim();
    return key || null;
  } catch {
    return null;
  }
}

/** What to do when nothing answers, said the same way everywhere. */
function notRunning(url, why) {
  return (
    `[${PLUGIN_ID}] nothing usable answers at ${url} (${why}). ` +
    `Start the endpoint with \`test-host serve\` (see examples/openclaw-plugin/README.md), ` +
    `or point ${URL_ENV} at it.`
  );
}

/** The metadata `test-host serve` lists, as the gateway's model definition. */
function toModel(row) {
  const id = typeof row?.id === "string" ? row.id.trim() : "";
  if (!id) return null;
  const input = Array.isArray(row.input_modalities)
    ? row.input_modalities.filter((m) => m === "text" || m === "image")
    : [];
  const price = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  const model = {
    id,
    name: typeof row.name === "string" && row.name.trim() ? row.name.trim() : id,
    reasoning: row.reasoning === true,
    input: input.length ? input : ["text"],
    cost: {
      input: price(row.pricing?.input),
      output: price(row.pricing?.output),
      cacheRead: 0,
      cacheWrite: 0,
    },
  };
  if (Number.isInteger(row.context_window) && row.context_window > 0) {
    model.contextWindow = row.context_window;
  }
  if (Number.isInteger(row.max_tokens) && row.max_tokens > 0) {
    model.maxTokens = row.max_tokens;
  }
  if (row.supports_tools === false) {
    model.compat = { supportsTools: false };
  }
  return model;
}

// The last catalog this process fetched: dynamic refs (`agent --local`
// resolves models without the live catalog) get its metadata when it has it.
const known = new Map();

async function fetchCatalog(url, key, logger) {
  let response;
  try {
    response = await fetch(`${url}/models`, {
      headers: { Authorization: `Bearer ${key ?? ""}`, Accept: "application/json" },
      signal: AbortSignal.timeout(CATALOG_TIMEOUT_MS),
    });
  } catch (err) {
    logger?.warn?.(notRunning(url, err?.cause?.code ?? err?.message ?? String(err)));
    return [];
  }
  if (response.status === 401) {
    logger?.warn?.(
      `[${PLUGIN_ID}] ${url} refused the local key: set ${KEY_ENV} to what \`test-host serve --print-key\` prints`,
    );
    return [];
  }
  if (!response.ok) {
    logger?.warn?.(notRunning(url, `GET /models answered HTTP ${response.status}`));
    return [];
  }
  const body = await response.json().catch(() => null);
  if (!Array.isArray(body?.data)) {
    logger?.warn?.(notRunning(url, "GET /models is not a model list"));
    return [];
  }
  const models = body.data.map(toModel).filter(Boolean);
  known.clear();
  for (const m of models) known.set(m.id, m);
  return models;
}

export default {
  id: PLUGIN_ID, // must equal openclaw.plugin.json "id"
  name: "Hugging Face (provider plugin)",
  description: "Hugging Face Inference Providers through the provider plugin served by `test-host serve`",
  register(api) {
    api.registerProvider({
      id: PROVIDER_ID,
      label: "Hugging Face (provider plugin)",
      envVars: [KEY_ENV],
      auth: [],

      // The live catalog: `models list --refresh` and the gateway at start.
      catalog: {
        order: "simple",
        run: async (ctx) => {
          const url = endpoint();
          const resolved = ctx.resolveProviderApiKey?.(PROVIDER_ID) ?? {};
          // For an env-sourced key `apiKey` is a marker (the variable's name)
          // that is safe to store in generated catalogs; the secret is
          // `discoveryApiKey`. A key from the file has no marker.
          const key = resolved.discoveryApiKey ?? serveKey();
          const models = await fetchCatalog(url, key, api.logger);
          return {
            provider: {
              baseUrl: url,
              api: "openai-completions",
              apiKey: resolved.apiKey ?? KEY_ENV,
              models,
            },
          };
        },
      },

      // Offline: no network here, by the gateway's contract.
      staticCatalog: {
        order: "simple",
        run: async () => ({
          provider: { baseUrl: endpoint(), api: "openai-completions", models: [] },
        }),
      },

      // Embedded runs (`openclaw agent --local`) resolve refs without the
      // live catalog: any `hf-plugin/<id>[:suffix]` is a model at the
      // endpoint; the endpoint's plugin checks the ref and says if it is not.
      resolveDynamicModel: (ctx) => {
        const id = String(ctx.modelId ?? "").trim();
        if (!id) return null;
        const base = id.split(":")[0];
        const meta = known.get(id) ?? known.get(base) ?? toModel({ id });
        return {
          ...meta,
          id,
          provider: PROVIDER_ID,
          api: "openai-completions",
          baseUrl: endpoint(),
        };
      },

      // Before a run: is the endpoint there? A clear line now beats the
      // gateway's generic "connection refused" after its retries.
      prepareDynamicModel: async () => {
        const url = endpoint();
        const key = serveKey();
        try {
          const response = await fetch(`${url}/models`, {
            headers: { Authorization: `Bearer ${key ?? ""}` },
            signal: AbortSignal.timeout(CATALOG_TIMEOUT_MS),
          });
          if (response.status === 401) {
            throw new Error(
              `[${PLUGIN_ID}] ${url} refused the local key: set ${KEY_ENV} to what \`test-host serve --print-key\` prints`,
            );
          }
          if (response.ok) {
            await fetchCatalog(url, key, api.logger);
          }
        } catch (err) {
          if (String(err?.message ?? "").startsWith(`[${PLUGIN_ID}]`)) throw err;
          throw new Error(notRunning(url, err?.cause?.code ?? err?.message ?? String(err)));
        }
      },
    });
  },
};
