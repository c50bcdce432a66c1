// The provider plugin's settings, read from the gateway's config on every
// call (the gateway hands hooks its current config, so `openclaw config set`
// applies on the next turn):
//
//   plugins.entries.huggingface.config   billTo, discovery, timeouts, retry
//                                        (the plugin's own keys), transport
//   models.providers.huggingface.baseUrl the router (default: the public one)
//   models.providers.huggingface.models  user entries ({id, alias})
//   agents.defaults.models[ref].alias    aliases of huggingface/ refs
import os from "node:os";
import path from "node:path";

export const PROVIDER_ID = "huggingface";
export const DEFAULT_BASE_URL = "https://router.huggingface.co/v1";

/** The gateway's state directory, where the plugin keeps its last good model list. */
export function stateDir(env = process.env) {
  const dir = env.OPENCLAW_STATE_DIR?.trim();
  return dir ? dir : path.join(os.homedir(), ".openclaw");
}

/** This package's own section of the config. */
export function ownConfig(config) {
  const entry = config?.plugins?.entries?.[PROVIDER_ID];
  return entry && typeof entry.config === "object" && entry.config !== null ? entry.config : {};
}

/** `in-process` (the default) or `serve`, with serve's address. */
export function transport(config) {
  const t = ownConfig(config).transport ?? {};
  return { mode: t.mode ?? "in-process", url: t.url ?? "http://127.0.0.1:8788/v1", keyEnv: t.keyEnv ?? "OPENCLAW_HF_SERVE_KEY" };
}

export function baseUrl(config, modelBaseUrl) {
  const configured = config?.models?.providers?.[PROVIDER_ID]?.baseUrl;
  const url = (typeof configured === "string" && configured.trim()) || modelBaseUrl || DEFAULT_BASE_URL;
  return url.replace(/\/+$/, "");
}

function aliases(config) {
  const out = {};
  for (const [ref, entry] of Object.entries(config?.agents?.defaults?.models ?? {})) {
    if (ref.startsWith(`${PROVIDER_ID}/`) && typeof entry?.alias === "string" && entry.alias.trim()) {
      out[ref] = entry.alias.trim();
    }
  }
  return out;
}

function userModels(config) {
  const models = config?.models?.providers?.[PROVIDER_ID]?.models;
  return Array.isArray(models)
    ? models.filter((m) => typeof m?.id === "string" && m.id.trim()).map((m) => (typeof m.alias === "string" ? { id: m.id, alias: m.alias } : { id: m.id }))
    : [];
}

/**
 * The settings the plugin is created with. `apiKey` is the token the gateway
 * resolved for this call (auth profile, HUGGINGFACE_HUB_TOKEN/HF_TOKEN, or
 * models.providers.huggingface.apiKey); absent, the plugin runs with its
 * built-in catalog and a call fails with an `auth` error naming what to do.
 */
export function pluginSettings({ config, apiKey, modelBaseUrl, env = process.env }) {
  const { transport: _transport, ...own } = ownConfig(config);
  // The manifest declares serve's local key as a credential too (the gateway
  // lists a provider's models only when it has one); it is never a token.
  if (apiKey && apiKey === env[transport(config).keyEnv]) apiKey = undefined;
  const settings = { ...own, baseUrl: baseUrl(config, modelBaseUrl), stateDir: stateDir(env), aliases: aliases(config) };
  const models = userModels(config);
  if (models.length) settings.models = models;
  if (typeof apiKey === "string" && apiKey.trim()) settings.apiKey = apiKey.trim();
  return settings;
}
