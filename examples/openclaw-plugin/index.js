// OpenClaw provider plugin `huggingface`: the Hugging Face provider plugin (a
// Rust library with a stable ABI) inside the gateway's own process, through
// the host-node addon. It takes the place of the gateway's bundled Hugging
// Face provider: same provider id, refs (`huggingface/<org>/<model>[:suffix]`),
// `models.providers.huggingface` config and onboarding flags.
//
// Nothing here runs at import time but definitions: the gateway imports the
// package in catalog worker threads too, and the native code loads on first
// use (lib/native.js).
import fs from "node:fs";
import { isMainThread } from "node:worker_threads";

import { createProviderApiKeyAuthMethod } from "openclaw/plugin-sdk/provider-auth";

import { backendPrice, modelDefinition, modelDefinitions } from "./lib/catalog.js";
import { reasonForCode } from "./lib/errors.js";
import { loadedHost, privateHost, sharedHost } from "./lib/native.js";
import { chatRequest } from "./lib/request.js";
import { serveCatalog, serveCompletion } from "./lib/serve.js";
import { DEFAULT_BASE_URL, PROVIDER_ID, baseUrl, ownConfig, pluginSettings, transport } from "./lib/settings.js";
import { pipe } from "./lib/stream.js";

const manifest = JSON.parse(fs.readFileSync(new URL("./openclaw.plugin.json", import.meta.url), "utf8"));
const DEFAULT_MODEL = "huggingface/deepseek-ai/DeepSeek-R1";
const TOKEN_VARS = ["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"];
const FIX_TOKEN =
  "replace it with `openclaw models auth paste-api-key --provider huggingface` (or `openclaw onboard --auth-choice huggingface-api-key`), or set HF_TOKEN for the gateway";
const BUILTIN = new Map(manifest.modelCatalog.providers[PROVIDER_ID].models.map((m) => [m.id, m]));

/** Gateway-specific advice for the errors whose fix is the gateway's own commands. */
function gatewayHint(error) {
  if (error.localKey) return undefined; // serve's key: its own hint says which
  if (error.kind === "auth") return `the Hugging Face token was refused: ${FIX_TOKEN}`;
  if (error.kind === "permission") {
    return `the token lacks "Make calls to Inference Providers": create a fine-grained token with it at https://huggingface.co/settings/tokens, then ${FIX_TOKEN}`;
  }
  return undefined;
}

/** What onboarding writes: the provider entry (the user's own entries kept) and the default model's alias. */
function applyOnboardingConfig(cfg) {
  const models = { ...(cfg.agents?.defaults?.models ?? {}) };
  models[DEFAULT_MODEL] = { ...(models[DEFAULT_MODEL] ?? {}), alias: models[DEFAULT_MODEL]?.alias ?? "Hugging Face" };
  const existing = cfg.models?.providers?.[PROVIDER_ID] ?? {};
  return {
    ...cfg,
    agents: { ...cfg.agents, defaults: { ...cfg.agents?.defaults, models } },
    models: {
      ...cfg.models,
      mode: cfg.models?.mode ?? "merge",
      providers: {
        ...cfg.models?.providers,
        [PROVIDER_ID]: { baseUrl: DEFAULT_BASE_URL, api: "openai-completions", models: [], ...existing },
      },
    },
  };
}

export default {
  id: PROVIDER_ID, // = openclaw.plugin.json "id": this package replaces the bundled provider
  name: "Hugging Face (provider plugin)",
  description: manifest.description,
  register(api) {
    const log = (level, message) => (api.logger?.[level] ?? api.logger?.info)?.call(api.logger, message);
    const pluginLog = (record) => log(record.level === "trace" ? "debug" : record.level, `[huggingface] ${record.message}`);
    // Why a ref did not resolve, for the gateway's "Unknown model" line.
    const unknown = new Map();

    /** The realm's host with the settings of `config`, for hooks that have no key of their own. */
    const hostFor = (config, apiKey) => sharedHost(pluginSettings({ config, apiKey }), { log: pluginLog });

    api.registerProvider({
      id: PROVIDER_ID,
      label: "Hugging Face",
      docsPath: "/providers/huggingface",
      envVars: TOKEN_VARS,
      auth: [
        createProviderApiKeyAuthMethod({
          providerId: PROVIDER_ID,
          methodId: "api-key",
          label: "Hugging Face API key",
          hint: "Inference API (HF token)",
          optionKey: "huggingfaceApiKey",
          flagName: "--huggingface-api-key",
          envVar: TOKEN_VARS[0],
          promptMessage: "Enter Hugging Face API key",
          defaultModel: DEFAULT_MODEL,
          expectedProviders: [PROVIDER_ID],
          wizard: {
            choiceId: "huggingface-api-key",
            choiceLabel: "Hugging Face API key",
            groupId: "huggingface",
            groupLabel: "Hugging Face",
            methodId: "api-key",
          },
          applyConfig: applyOnboardingConfig,
        }),
      ],

      // The live catalog (gateway start and reloads, `models list --refresh`),
      // from the plugin: the router's list merged with the built-in one, with
      // backends, prices and context windows. It runs in a catalog worker
      // thread, which gets a plugin of its own for the job.
      catalog: {
        order: "simple",
        run: async (ctx) => {
          const config = ctx.config;
          if (ownConfig(config).discovery?.enabled === false) return null;
          const { apiKey, discoveryApiKey } = ctx.resolveProviderApiKey?.(PROVIDER_ID) ?? {};
          if (!apiKey) return null;
          const t = transport(config);
          let models;
          if (t.mode === "serve") {
            models = await serveCatalog(t, process.env[t.keyEnv]);
          } else {
            const settings = pluginSettings({ config, apiKey: discoveryApiKey ?? apiKey });
            const host = isMainThread ? await sharedHost(settings, { log: pluginLog }) : await privateHost(settings, { log: pluginLog });
            try {
              try {
                await host.refresh((ownConfig(config).discovery?.timeoutSeconds ?? 30) * 1000);
              } catch (err) {
                // The list in memory (built-in, plus the last good one) still answers.
                log("warn", `[huggingface] model list refresh failed: ${err.message}`);
              }
              models = await host.discover();
            } finally {
              if (!isMainThread) await host.shutdown(1000);
            }
          }
          return {
            provider: { baseUrl: baseUrl(config), api: "openai-completions", apiKey, models: modelDefinitions(models) },
          };
        },
      },

      // Refs the catalog does not list as such: suffixes (`:cheapest`, a
      // backend), aliases, and every ref in `agent --local`, which runs
      // without the live catalog. Synchronous: until the plugin has loaded
      // (prepareDynamicModel waits for it) a ref gets a provisional model.
      resolveDynamicModel: (ctx) => {
        const id = String(ctx.modelId ?? "").trim();
        if (!id) return null;
        const base = {
          provider: PROVIDER_ID,
          api: "openai-completions",
          baseUrl: baseUrl(ctx.config, ctx.providerConfig?.baseUrl),
        };
        const host = transport(ctx.config).mode === "serve" ? null : loadedHost();
        if (!host) {
          const known = BUILTIN.get(id.split(":")[0]);
          return { ...modelDefinition(known ?? { id, name: id }, { id }), ...base };
        }
        try {
          const resolved = host.resolve(`${PROVIDER_ID}/${id}`);
          return { ...modelDefinition(resolved.info, { id, name: resolved.displayName }), ...base };
        } catch (err) {
          if (err.kind === "model_not_found") {
            // The gateway says "Unknown model", adds our hint, and moves on
            // to a fallback model if one is configured.
            unknown.set(id, err.detail);
            return null;
          }
          // A malformed ref or a backend the model does not have: stop here
          // with what is wrong and the live backends, before anything is sent.
          throw new Error(`[huggingface] ${err.detail}`);
        }
      },

      prepareDynamicModel: async (ctx) => {
        if (transport(ctx.config).mode === "serve") return;
        await hostFor(ctx.config);
      },

      buildUnknownModelHint: (ctx) => {
        const why = unknown.get(String(ctx.modelId ?? "").trim());
        return why ? `[huggingface] ${why}` : undefined;
      },

      buildMissingAuthMessage: () =>
        `No Hugging Face token for provider huggingface: run \`openclaw onboard --auth-choice huggingface-api-key\` or \`openclaw models auth paste-api-key --provider huggingface\`, or set HF_TOKEN (a fine-grained token with "Make calls to Inference Providers").`,

      // The plugin streams reasoning apart from the answer.
      resolveReasoningOutputMode: () => "native",

      createStreamFn: (ctx) => (model, context, options = {}) => {
        const t = transport(ctx.config);
        const request = chatRequest(model, context, options);
        let resolved;
        let events;
        if (t.mode === "serve") {
          events = serveCompletion(t, request, { signal: options.signal, key: process.env[t.keyEnv] });
        } else {
          events = (async function* () {
            let host;
            try {
              host = await sharedHost(pluginSettings({ config: ctx.config, apiKey: options.apiKey, modelBaseUrl: model.baseUrl }), {
                log: pluginLog,
              });
            } catch (err) {
              yield { type: "error", error: { kind: "internal", message: err.message, transient: false } };
              return;
            }
            try {
              resolved = host.resolve(request.model);
            } catch {
              // complete() reports it, with its kind.
            }
            yield* host.complete(request, { signal: options.signal });
          })();
        }
        return pipe(model, events, {
          prices: (backend) => backendPrice(resolved, backend),
          hint: gatewayHint,
          log,
        });
      },

      classifyFailoverReason: (ctx) => reasonForCode(ctx.code),
      matchesContextOverflowError: (ctx) => (ctx.code === "HUGGINGFACE_CONTEXT_OVERFLOW" ? true : undefined),
    });
  },
};
