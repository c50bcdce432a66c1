/**
 * A completion in progress. `next()` resolves to the next batch of events
 * (everything the plugin has produced since the last call, at least one
 * event), then to `null` once the stream has ended; an `error` event is
 * always the last. `cancel()` stops it at once: the upstream connection is
 * closed and the stream ends with a `cancelled` error.
 */
export declare class Completion {
  /** The next batch of events, or `null` when the stream has ended. */
  next(): Promise<Event[] | null>
  /** Stops the completion now. Idempotent; harmless after the end. */
  cancel(): void
}

/**
 * One provider plugin loaded into this process, serving through a hot-swap
 * slot: new calls go to the active version; `swap` and `configure` bring a
 * new one while calls in flight finish on theirs.
 */
export declare class Host {
  /**
   * Loads the plugin file at `path` (copied privately and checked first)
   * and creates its provider with `settings` (a JSON object; see the
   * plugin's documentation).
   *
   * Rejects with one line naming the file (missing, not a plugin, an
   * interface version this host cannot use, a layout mismatch) or the bad
   * setting.
   */
  static load(path: string, settings: any, options?: HostOptions | undefined | null): Promise<Host>
  /** Who the active version is. */
  info(): JsPluginInfo
  /** The file the active version was loaded from. */
  path(): string
  /** The settings the active version runs with. */
  settings(): any
  /**
   * Applies `settings` to the calls started from now on, when they differ
   * from the current ones: a new provider is created with them and calls in
   * flight finish with the old (drained for at most `drainMs`, default
   * 60 s). Resolves to the id of the version serving; rejects when the
   * plugin refuses the settings (the old ones stay in force).
   */
  configure(settings: any, drainMs?: number | undefined | null): Promise<number>
  /** The catalog as it is in memory now (never waits on the network). */
  discover(): Promise<Array<JsModel>>
  /**
   * Resolves a model ref against the catalog in memory: the model, or a
   * typed error (an unknown id lists the closest refs; a backend suffix
   * the model does not have lists the live ones).
   */
  resolve(modelRef: string): ResolveOutcome
  /**
   * Starts a completion on the active version (it stays there through a
   * swap). Never throws: a request of the wrong shape is a completion
   * whose only event is an `invalid_request` error.
   */
  complete(request: any): Completion
  /**
   * Fetches the router's model list now (at most `timeoutMs`, default
   * 30 s). On failure the catalog in memory is unchanged.
   */
  refresh(timeoutMs?: number | undefined | null): Promise<RefreshOutcome>
  /**
   * Loads the plugin file at `path` and makes it the active version, then
   * drains the old one (at most `drainMs`, default 60 s) and shuts it
   * down. Rejects, keeping the current version, when the file does not
   * load, is another provider's, or refuses the settings.
   */
  swap(path: string, drainMs?: number | undefined | null): Promise<JsSwapReport>
  /** Every version loaded so far, oldest first. */
  versions(): Array<JsVersion>
  /**
   * Drains the active version (at most `drainMs`, default 60 s) and stops
   * its threads. Later calls fail until a `swap`.
   */
  shutdown(drainMs?: number | undefined | null): Promise<JsShutdown | null>
}

/**
 * One event of a completion. `type` says which; the fields that go with it
 * are set, the others absent.
 */
export interface Event {
  /**
   * `servedBy`, `content`, `reasoning`, `toolCall`, `usage`, `retrying`,
   * `done`, `error` or `unknown`.
   */
  type: string
  /**
   * `content`, `reasoning`: the text to append. `unknown`: what the newer
   * plugin's event was.
   */
  text?: string
  /** `toolCall`: which call of the answer (0-based). */
  index?: number
  /** `toolCall`: the call id, on its first piece. */
  id?: string
  /** `toolCall`: the function name, on its first piece. */
  name?: string
  /** `toolCall`: text to append to the call's JSON arguments. */
  arguments?: string
  /** `servedBy`: the model id sent upstream. */
  model?: string
  /** `servedBy`: the backend that serves the call, when the router said. */
  backend?: string
  /** `servedBy`: the router's request id. */
  requestId?: string
  /** `usage`: token counts and cost. */
  usage?: JsUsage
  /** `retrying`: the attempt that failed (1-based). */
  attempt?: number
  /** `retrying`: the wait before the next attempt. */
  delayMs?: number
  /**
   * `done`: `stop`, `length`, `tool_calls`, `content_filter` or the
   * server's own word.
   */
  finishReason?: string
  /** `error` (the stream's last event), `retrying` (why). */
  error?: Error
}

/** Who this host is, told to the plugin. */
export interface HostOptions {
  /** The host program's name (default `host-node`). */
  name?: string
  /** Its version (default this addon's). */
  version?: string
}

/** A backend (inference provider) that serves a model. */
export interface JsBackend {
  /** Its name, usable as a `:<backend>` suffix. */
  provider: string
  /** `live`, `staging` or `error`. */
  status: string
  /** Context window on this backend. */
  contextLength?: number
  /** Its price. */
  pricing?: JsCost
  /** Whether it supports tool calls, when stated. */
  supportsTools?: boolean
  /** Whether it supports structured output, when stated. */
  supportsStructuredOutput?: boolean
  /** Typical time to first token, in milliseconds. */
  firstTokenLatencyMs?: number
  /** Typical throughput, tokens per second. */
  throughput?: number
  /** Whether the backend is the model's author. */
  isModelAuthor?: boolean
}

/** A price per million tokens, in US dollars. */
export interface JsCost {
  /** Input (prompt) tokens. */
  input: number
  /** Output (generated) tokens. */
  output: number
}

/** A provider error: what went wrong, in a shape code can act on. */
export interface JsError {
  /**
   * The kind: `auth`, `permission`, `billing`, `model_not_found`,
   * `model_unsupported`, `rate_limited`, `unavailable`, `timeout`,
   * `network`, `invalid_request`, `cancelled`, `plugin_panicked`,
   * `internal`, or `unknown` (a kind newer than this host).
   */
  kind: string
  /** One line for people: the server's own words when there were some. */
  message: string
  /** The HTTP status, when the error came from a response. */
  status?: number
  /** The router's request id, for support requests. */
  requestId?: string
  /** How long the server asked to wait, in milliseconds. */
  retryAfterMs?: number
  /** What to do about it, when there is something general to say. */
  hint?: string
  /**
   * A transient condition (rate limit, overload, time limit, broken
   * connection): the plugin already retried it as its settings allow.
   */
  transient: boolean
  /**
   * Whether another model may succeed where this one failed, so a
   * failover chain should move on.
   */
  advancesFailover: boolean
  /** The whole error as one line: `kind: message (HTTP status, request id …)`. */
  display: string
}

/** A model in the provider's catalog. */
export interface JsModel {
  /** The router's model id, `org/name`. */
  id: string
  /** Display name. */
  name: string
  /** Context window in tokens (the smallest among live backends). */
  contextWindow: number
  /** Maximum output tokens. */
  maxTokens: number
  /**
   * Price of the cheapest live backend; absent when no one states one
   * (unknown, which is not free).
   */
  cost?: JsCost
  /** Whether the model reasons before it answers. */
  reasoning: boolean
  /** Input modalities: `text`, `image`. */
  input: Array<string>
  /**
   * Whether every live backend that says supports tool calls; absent when
   * none says.
   */
  supportsTools?: boolean
  /** Whether the router lists the model right now. */
  live: boolean
  /** `builtin`, `discovered` or `both`. */
  source: string
  /** Every backend the router lists for it. */
  backends: Array<JsBackend>
}

/** Who a plugin is. */
export interface JsPluginInfo {
  /** The provider id it implements (`huggingface`). */
  providerId: string
  /** The plugin's own version. */
  pluginVersion: string
  /** The interface version it was built against. */
  interfaceVersion: string
  /** Its build description. */
  build: string
}

/** A model ref resolved against the catalog. */
export interface JsResolvedModel {
  /** The canonical ref, `<provider>/<id>[:suffix]`. */
  modelRef: string
  /** What is sent upstream as `model`: `<id>[:suffix]`. */
  routerModel: string
  /** The routing suffix (`fastest`, `cheapest`, `preferred`, a backend). */
  suffix?: string
  /** Whether the router alone chooses the backend (`:fastest`, `:cheapest`). */
  locked: boolean
  /**
   * Whether the catalog knew the id (`false`: passed through unchecked,
   * because discovery never succeeded).
   */
  verified: boolean
  /** Display name, with any alias and variant label. */
  displayName: string
  /** The model's catalog entry. */
  info: JsModel
}

/** What a plugin's shutdown did. */
export interface JsShutdown {
  /** Whether every thread stopped in time. */
  clean: boolean
  /** What happened, for a log line. */
  message: string
}

/** What a swap did. */
export interface JsSwapReport {
  /** The version replaced. */
  fromId: number
  /** Who it was. */
  from: JsPluginInfo
  /** The version now serving. */
  toId: number
  /** Who it is. */
  to: JsPluginInfo
  /** Whether the old version's calls all finished within the drain time. */
  drained: boolean
  /** Calls still open on the old version when it was retired. */
  abandoned: number
  /** The old version's shutdown (absent when its library is still in use). */
  shutdown?: JsShutdown
}

/** Token usage of a completion. */
export interface JsUsage {
  /** Prompt tokens. */
  promptTokens: number
  /** Generated tokens. */
  completionTokens: number
  /** Their sum as the server reported it. */
  totalTokens: number
  /** US dollars at the price of the backend that served the call, when known. */
  costUsd?: number
}

/** One loaded version of the host's plugin. */
export interface JsVersion {
  /** 1 for the first version, then 2, 3, ... */
  id: number
  /** The file it was loaded from. */
  path: string
  /** Who it is. */
  info: JsPluginInfo
  /** `active`, `draining`, `retired (clean)` or `retired (NOT clean)`. */
  state: string
  /** Completions still running on it. */
  inFlight: number
}

/** One log record. */
export interface LogRecord {
  /** `error`, `warn`, `info`, `debug` or `trace`. */
  level: string
  /** Where it comes from (the plugin's module path, or `host_sdk::…`). */
  target: string
  /** The message, with any structured fields after it as `key=value`. */
  message: string
}

/** `refresh`'s answer: what the router listed, or why it could not. */
export interface RefreshOutcome {
  /** Models in the catalog now (router rows plus built-in ones). */
  models?: number
  /** Rows the router listed. */
  discovered?: number
  /** When the list in use was fetched, milliseconds since the epoch. */
  fetchedAtMs?: number
  /** Why the refresh failed; the catalog in memory is unchanged. */
  error?: JsError
}

/** `resolve`'s answer: the model, or why not. */
export interface ResolveOutcome {
  /** The resolved model. */
  model?: JsResolvedModel
  /** Why the ref did not resolve. */
  error?: JsError
}

/**
 * Sends the plugin's log records at or above `level` (default `info`) to
 * `callback`, or stops sending them when `callback` is null. Call it before
 * `Host.load`: a plugin asks once, when its provider starts, how verbose to be.
 */
export declare function setLogger(callback: ((record: LogRecord) => void) | null, level?: string): void
