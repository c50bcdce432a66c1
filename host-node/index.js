// host-node: host-sdk for Node.js. The Node-API addon (this crate, built as
// `host-node.<platform>.node`) loads a provider plugin into this process; this
// module makes its raw answers idiomatic: typed `ProviderError`s, completions
// as async iterators that an AbortSignal cancels, and a lazy, explicit
// loading of the addon itself.
//
//   import { openAddon, Host } from "./host-node.js";
//   const addon = openAddon("/path/to/host-node.linux-x64-gnu.node");
//   const host = await Host.load(addon, "/path/to/libhuggingface_provider.so",
//                                { baseUrl: "https://router.huggingface.co/v1" });
//   for await (const event of host.complete(request, { signal })) { ... }
//
// Plain ESM, no dependencies: it is copied next to the addon into packages
// that embed it (see examples/openclaw-plugin).
import path from "node:path";

const opened = new Map();

/** The platform suffix napi-rs gives a build: `linux-x64-gnu`, `darwin-arm64`, ... */
export function platformSuffix() {
  const { platform, arch } = process;
  if (platform === "linux") {
    const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? "gnu" : "musl"}`;
  }
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/**
 * Loads the addon file (any name: a `.node` file, or the `.so`/`.dylib` cargo
 * built), once per path; the error for a missing or foreign file names the
 * file and the platform.
 */
export function openAddon(file) {
  const key = path.resolve(file);
  let addon = opened.get(key);
  if (!addon) {
    const module = { exports: {} };
    try {
      process.dlopen(module, key);
    } catch (err) {
      const why = String(err?.message ?? err).split("\n")[0];
      throw new Error(`the host-node addon ${key} could not be loaded on ${platformSuffix()} (node ${process.version}): ${why}`);
    }
    addon = module.exports;
    opened.set(key, addon);
  }
  return addon;
}

/** An error reported by a provider: kind, the server's message, and what identifies the call. */
export class ProviderError extends Error {
  constructor(raw) {
    super(raw.display ?? `${raw.kind}: ${raw.message}`);
    this.name = "ProviderError";
    /** `auth`, `permission`, `billing`, `model_not_found`, `model_unsupported`, `rate_limited`,
     * `unavailable`, `timeout`, `network`, `invalid_request`, `cancelled`, `plugin_panicked`,
     * `internal`, `unknown`. */
    this.kind = raw.kind;
    this.detail = raw.message;
    this.status = raw.status;
    this.requestId = raw.requestId;
    this.retryAfterMs = raw.retryAfterMs;
    this.hint = raw.hint;
    this.transient = raw.transient;
    this.advancesFailover = raw.advancesFailover;
  }
}

/** A completion's events, batch by batch or one by one; `cancel()` or the signal stops it. */
export class Completion {
  #raw;
  #signal;
  #onAbort;

  constructor(raw, signal) {
    this.#raw = raw;
    this.#signal = signal;
    if (signal) {
      this.#onAbort = () => raw.cancel();
      if (signal.aborted) raw.cancel();
      else signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** Stops the completion now: the upstream connection closes, the stream ends with `cancelled`. */
  cancel() {
    this.#raw.cancel();
  }

  #release() {
    if (this.#onAbort) this.#signal.removeEventListener("abort", this.#onAbort);
    this.#onAbort = undefined;
  }

  /** Each batch: every event the plugin produced since the last one (text merged). */
  async *batches() {
    let finished = false;
    try {
      for (;;) {
        const batch = await this.#raw.next();
        if (batch === null) {
          finished = true;
          return;
        }
        yield batch;
      }
    } finally {
      this.#release();
      // A consumer that stops early (break, throw) cancels the rest.
      if (!finished) this.#raw.cancel();
    }
  }

  async *[Symbol.asyncIterator]() {
    for await (const batch of this.batches()) yield* batch;
  }
}

/** One provider plugin loaded into this process, in a hot-swap slot. */
export class Host {
  #raw;

  constructor(raw) {
    this.#raw = raw;
  }

  /**
   * Loads `pluginPath` with `settings` through `addon` (see `openAddon`).
   * Rejects with one line naming the file or the setting.
   */
  static async load(addon, pluginPath, settings = {}, options = {}) {
    return new Host(await addon.Host.load(pluginPath, settings, options));
  }

  /** Who the active version is: providerId, pluginVersion, interfaceVersion, build. */
  info() {
    return this.#raw.info();
  }

  /** The file the active version came from. */
  path() {
    return this.#raw.path();
  }

  /** The settings in force. */
  settings() {
    return this.#raw.settings();
  }

  /** New settings for calls started from now on (no-op when unchanged); the version id. */
  configure(settings, drainMs) {
    return this.#raw.configure(settings, drainMs);
  }

  /** The catalog in memory (never waits on the network). */
  discover() {
    return this.#raw.discover();
  }

  /** A model ref resolved against the catalog; throws a ProviderError. */
  resolve(modelRef) {
    const { model, error } = this.#raw.resolve(String(modelRef));
    if (error) throw new ProviderError(error);
    return model;
  }

  /** Starts a completion: an async iterable of events (the last may be `error`). */
  complete(request, { signal } = {}) {
    return new Completion(this.#raw.complete(request), signal);
  }

  /** Fetches the router's model list now; throws a ProviderError (the old list stays). */
  async refresh(timeoutMs) {
    const { error, ...report } = await this.#raw.refresh(timeoutMs);
    if (error) throw new ProviderError(error);
    return report;
  }

  /** Hot swap to the plugin file at `path`; calls in flight finish on the old version. */
  swap(path, drainMs) {
    return this.#raw.swap(path, drainMs);
  }

  /** Every version loaded, oldest first. */
  versions() {
    return this.#raw.versions();
  }

  /** Drains and stops the active version. */
  shutdown(drainMs) {
    return this.#raw.shutdown(drainMs);
  }
}
