// A completion's events (host-node's: servedBy, content, reasoning, toolCall,
// usage, retrying, done, error) as the gateway's assistant-message stream:
// start, text_*/thinking_*/toolcall_* per content block, then done or error,
// with `result()` resolving to the final message.
import { effectiveKind, errorCode, errorText } from "./errors.js";

/** A push-driven async iterable with `result()`, the shape a StreamFn returns. */
export class EventStream {
  #queue = [];
  #waiting = [];
  #done = false;
  #final;
  #resolveResult;
  #result = new Promise((resolve) => {
    this.#resolveResult = resolve;
  });

  push(event) {
    if (this.#done) return;
    const isTerminal = event.type === "done" || event.type === "error";
    const waiter = this.#waiting.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.#queue.push(event);
    if (isTerminal) {
      this.#done = true;
      this.#final = event.type === "done" ? event.message : event.error;
      this.#resolveResult(this.#final);
      for (const w of this.#waiting.splice(0)) w({ value: undefined, done: true });
    }
  }

  result() {
    return this.#result;
  }

  [Symbol.asyncIterator]() {
    return {
      next: () => {
        if (this.#queue.length) return Promise.resolve({ value: this.#queue.shift(), done: false });
        if (this.#done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiting.push(resolve));
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}

const emptyUsage = () => ({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  totalTokens: 0,
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
});

/** Parses a tool call's complete arguments; the gateway validates them against the tool's schema. */
function parseArguments(text) {
  if (!text.trim()) return {};
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : { value };
  } catch {
    return {};
  }
}

/**
 * Builds the final message from host events and pushes the gateway's events
 * to `stream`. `prices(backend)` returns a backend's {input, output} price per
 * million tokens (to split the cost the plugin reports); `hint(error)` may
 * replace an error's hint with the gateway's own advice.
 */
export class MessageBuilder {
  constructor(model, stream, { prices = () => undefined, hint = () => undefined, log = () => {} } = {}) {
    this.model = model;
    this.stream = stream;
    this.prices = prices;
    this.hint = hint;
    this.log = log;
    this.backend = undefined;
    this.requestId = undefined;
    this.open = null; // { type, index, args? }
    this.sawToolCall = false;
    this.finished = false;
    this.message = {
      role: "assistant",
      content: [],
      api: model.api,
      provider: model.provider,
      model: model.id,
      usage: emptyUsage(),
      stopReason: "stop",
      timestamp: Date.now(),
    };
    stream.push({ type: "start", partial: this.message });
  }

  /** Whether anything the user sees has been streamed. */
  get output() {
    return this.message.content.length > 0;
  }

  #close() {
    const open = this.open;
    if (!open) return;
    this.open = null;
    const block = this.message.content[open.index];
    if (open.type === "text") {
      this.stream.push({ type: "text_end", contentIndex: open.index, content: block.text, partial: this.message });
    } else if (open.type === "thinking") {
      this.stream.push({ type: "thinking_end", contentIndex: open.index, content: block.thinking, partial: this.message });
    } else {
      block.arguments = parseArguments(open.args);
      this.stream.push({ type: "toolcall_end", contentIndex: open.index, toolCall: block, partial: this.message });
    }
  }

  #openBlock(type, block, extra = {}) {
    this.#close();
    this.message.content.push(block);
    this.open = { type, index: this.message.content.length - 1, ...extra };
    this.stream.push({ type: `${type === "toolCall" ? "toolcall" : type}_start`, contentIndex: this.open.index, partial: this.message });
  }

  #text(text) {
    if (this.open?.type !== "text") this.#openBlock("text", { type: "text", text: "" });
    this.message.content[this.open.index].text += text;
    this.stream.push({ type: "text_delta", contentIndex: this.open.index, delta: text, partial: this.message });
  }

  #thinking(text) {
    if (this.open?.type !== "thinking") {
      // The field a reasoning backend answers in; the gateway replays thinking under it.
      this.#openBlock("thinking", { type: "thinking", thinking: "", thinkingSignature: "reasoning_content" });
    }
    this.message.content[this.open.index].thinking += text;
    this.stream.push({ type: "thinking_delta", contentIndex: this.open.index, delta: text, partial: this.message });
  }

  #toolCall(e) {
    const continues = this.open?.type === "toolCall" && this.open.callIndex === e.index && !e.id && !e.name;
    if (!continues) {
      this.sawToolCall = true;
      const id = e.id || `call${e.index}${Date.now().toString(36)}`;
      this.#openBlock("toolCall", { type: "toolCall", id, name: e.name ?? "", arguments: {} }, { callIndex: e.index, args: "" });
    }
    if (e.arguments) {
      this.open.args += e.arguments;
      this.stream.push({ type: "toolcall_delta", contentIndex: this.open.index, delta: e.arguments, partial: this.message });
    }
  }

  #usage(u) {
    const usage = emptyUsage();
    usage.input = u.promptTokens;
    usage.output = u.completionTokens;
    usage.totalTokens = u.totalTokens || u.promptTokens + u.completionTokens;
    if (typeof u.costUsd === "number" && Number.isFinite(u.costUsd)) {
      // The price of the backend that served the call, as the plugin applied it.
      const price = this.prices(this.backend);
      if (price) {
        usage.cost.input = (u.promptTokens * price.input) / 1e6;
        usage.cost.output = (u.completionTokens * price.output) / 1e6;
      }
      usage.cost.total = u.costUsd;
      // Authoritative: a free backend's $0 is a cost of zero, not an unknown one.
      usage.cost.totalOrigin = "provider-billed";
    }
    this.message.usage = usage;
  }

  /** Folds one host event in. */
  apply(e) {
    if (this.finished) return;
    switch (e.type) {
      case "servedBy":
        this.backend = e.backend;
        this.requestId = e.requestId;
        if (e.requestId) this.message.responseId = e.requestId;
        this.message.responseModel = e.backend ? `${e.model}:${e.backend}` : e.model;
        break;
      case "content":
        this.#text(e.text);
        break;
      case "reasoning":
        this.#thinking(e.text);
        break;
      case "toolCall":
        this.#toolCall(e);
        break;
      case "usage":
        this.#usage(e.usage);
        break;
      case "retrying":
        // The plugin logs its retries itself (they reach the gateway's log).
        break;
      case "done":
        this.done(e.finishReason);
        break;
      case "error":
        this.fail(e.error);
        break;
      default:
        this.log("debug", `[huggingface] event from a newer plugin ignored: ${e.text ?? e.type}`);
    }
  }

  done(finishReason) {
    if (this.finished) return;
    this.#close();
    this.finished = true;
    const reason = this.sawToolCall || finishReason === "tool_calls" ? "toolUse" : finishReason === "length" ? "length" : "stop";
    this.message.stopReason = reason;
    this.stream.push({ type: "done", reason, message: this.message });
  }

  fail(error) {
    if (this.finished) return;
    this.#close();
    this.finished = true;
    if (error.kind === "cancelled") {
      this.message.stopReason = "aborted";
      this.message.errorMessage = "Request was aborted";
      this.stream.push({ type: "error", reason: "aborted", error: this.message });
      return;
    }
    const kind = effectiveKind(error);
    this.message.stopReason = "error";
    this.message.errorMessage = errorText({ requestId: this.requestId, ...error }, { hint: this.hint(error) });
    this.message.errorCode = errorCode(kind, { afterOutput: this.output });
    this.message.errorType = kind;
    this.log(kind === "plugin_panicked" || kind === "internal" ? "error" : "warn", this.message.errorMessage);
    this.stream.push({ type: "error", reason: "error", error: this.message });
  }
}

/**
 * Runs `events` (an async iterable of host events) into a new EventStream.
 * Never throws: anything unexpected ends the stream with an `internal` error.
 */
export function pipe(model, events, options) {
  const stream = new EventStream();
  const builder = new MessageBuilder(model, stream, options);
  (async () => {
    try {
      for await (const e of events) builder.apply(e);
      // host-sdk always ends with done or error; be safe with a stream that did not.
      builder.done("stop");
    } catch (err) {
      builder.fail({ kind: "internal", message: String(err?.message ?? err), transient: false });
    }
  })();
  return stream;
}
