// The native half of the package: the host-node addon and the provider
// plugin library, found next to each other, loaded on first use, and shared
// by every copy of this module in one JS realm.
//
// Why shared: the gateway imports a plugin several times per process (a
// registration per reload, each from a fresh temporary copy of the package),
// and each copy of the addon would load its own copy of the provider plugin,
// with its own runtime, threads and catalog. So the first copy to need the
// plugin loads it and parks the Host on `globalThis`; later copies reuse it
// (a Host is a plain JS object of the realm, usable from any module), and a
// copy that carries a different plugin build hot-swaps it in: calls in
// flight finish on the old version. Catalog worker threads are other realms:
// they load their own and shut it down when done (see catalog.js).
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Host, openAddon, platformSuffix } from "./host-node.js";

export const PACKAGE_NAME = "openclaw-huggingface-provider";
const PLUGIN_FILE = { linux: "libhuggingface_provider.so", darwin: "libhuggingface_provider.dylib", win32: "huggingface_provider.dll" };
const REALM_KEY = Symbol.for("openclaw-huggingface-provider.host");
const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, "..");

/**
 * Where this platform's binaries are: `npm/<platform>/` inside this package
 * (a package built here, or a tarball carrying them), else the per-platform
 * package `openclaw-huggingface-provider-<platform>` (the published layout,
 * an optional dependency). `OPENCLAW_HF_NATIVE_DIR` points elsewhere (a
 * development build). The plugin library is always the one beside the
 * addon: the package may run from a temporary copy.
 */
export function nativeFiles() {
  const suffix = platformSuffix();
  const names = { addon: `host-node.${suffix}.node`, plugin: PLUGIN_FILE[process.platform] ?? PLUGIN_FILE.linux };
  const candidates = [];
  if (process.env.OPENCLAW_HF_NATIVE_DIR) candidates.push(process.env.OPENCLAW_HF_NATIVE_DIR);
  candidates.push(path.join(packageRoot, "npm", suffix));
  try {
    const require = createRequire(import.meta.url);
    candidates.push(path.dirname(require.resolve(`${PACKAGE_NAME}-${suffix}/package.json`)));
  } catch {
    // Not installed: the bundled folder is the only place.
  }
  for (const dir of candidates) {
    const addon = path.join(dir, names.addon);
    if (fs.existsSync(addon)) return { addon, plugin: path.join(dir, names.plugin), dir };
  }
  throw new Error(
    `[huggingface] no native build for ${suffix} (node ${process.version}): looked for ${names.addon} in ${candidates.join(", ")}. ` +
      `Build the package (npm run build in its folder) or install the one for this platform.`,
  );
}

function sha256(file) {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** The realm's shared state: the Host (once loaded) and how it came to be. */
function realm() {
  globalThis[REALM_KEY] ??= { host: null, loading: null, pluginHash: null, addon: null, seen: new Map() };
  return globalThis[REALM_KEY];
}

/** The addon of this realm (loaded once), with its logger set to `log`. */
export function addonFor(files, log) {
  const state = realm();
  if (!state.addon) {
    state.addon = openAddon(files.addon);
    // Before the plugin loads: it asks once how verbose to be.
    if (log) state.addon.setLogger((r) => log(r), "info");
  }
  return state.addon;
}

/**
 * The realm's Host with `settings` in force, loading the plugin on first use.
 * Concurrent first calls share one load. A package copy whose plugin file
 * differs from the running one swaps it in.
 */
export async function sharedHost(settings, { log } = {}) {
  const state = realm();
  const files = nativeFiles();
  if (!state.host) {
    state.loading ??= (async () => {
      try {
        const addon = addonFor(files, log);
        const host = await Host.load(addon, files.plugin, settings, { name: "openclaw", version: process.env.OPENCLAW_VERSION });
        state.pluginHash = sha256(files.plugin);
        state.host = host;
        return host;
      } finally {
        state.loading = null;
      }
    })();
    await state.loading;
  }
  const host = state.host;
  // Each package copy is looked at once (hashing the library is not free).
  if (files.plugin !== host.path() && !state.seen.has(files.plugin) && fs.existsSync(files.plugin)) {
    const hash = sha256(files.plugin);
    state.seen.set(files.plugin, hash);
    if (hash !== state.pluginHash) {
      state.pluginHash = hash;
      const report = await host.swap(files.plugin);
      log?.({ level: "info", target: "huggingface", message: `plugin ${report.from.pluginVersion} swapped for ${report.to.pluginVersion} (${files.plugin})` });
    }
  }
  await host.configure(settings);
  return host;
}

/** The realm's Host if it is loaded, else null (never waits). */
export function loadedHost() {
  return realm().host;
}

/**
 * A Host of its own, for a short job in another realm (a catalog worker):
 * the caller shuts it down when done.
 */
export async function privateHost(settings, { log } = {}) {
  const files = nativeFiles();
  return Host.load(addonFor(files, log), files.plugin, settings, { name: "openclaw", version: process.env.OPENCLAW_VERSION });
}
