// The other transport: the plugin served by `test-host serve` (another
// process, possibly another machine) over its OpenAI-compatible HTTP API,
// read into the same events host-node yields -- so errors, costs and the
// retry policy are the same whichever transport runs.
//
// serve's answers carry what the plugin knew: `x-request-id` and
// `x-inference-provider` headers, `usage.cost` (USD at the serving backend's
// price), and errors in OpenAI's shape whose `code` is the plugin's error
// kind, with the router's `request_id` and `upstream_status`.

const KINDS = new Set([
  "auth",
  "permission",
  "billing",
  "model_not_found",
  "model_unsupported",
  "rate_limited",
  "unavailable",
  "timeout",
  "network",
  "invalid_request",
  "cancelled",
  "plugin_panicked",
  "internal",
]);
const TRANSIENT = new Set(["rate_limited", "unavailable", "timeout", "network"]);

/** A host-node-shaped error from serve's OpenAI error object. */
export function serveError(body, { status, requestId, retryAfter, url } = {}) {
  const e = body?.error ?? {};
  let kind = KINDS.has(e.code) ? e.code : e.code === "upstream_auth" ? "auth" : "internal";
  let message = typeof e.message === "string" ? e.message : `HTTP ${status}`;
  let hint;
  let localKey = false;
  if (e.code === "invalid_api_key") {
    // serve's own key, not the Hugging Face token (no advice about tokens).
    kind = "auth";
    localKey = true;
    message = `${url} refused the local key`;
    hint = "set OPENCLAW_HF_SERVE_KEY (or the key named by transport.keyEnv) to what `test-host serve --print-key` prints";
  }
  const upstream = Number.isInteger(e.upstream_status) ? e.upstream_status : undefined;
  return {
    kind,
    message,
    status: upstream ?? (kind === "invalid_request" || kind === "internal" ? status : undefined),
    requestId: e.request_id ?? requestId,
    retryAfterMs: retryAfter ? Number(retryAfter) * 1000 : undefined,
    hint,
    localKey,
    transient: TRANSIENT.has(kind),
    display: `${kind}: ${message}`,
  };
}

function notRunning(url, why) {
  return {
    kind: "network",
    message: `nothing usable answers at ${url} (${why})`,
    hint: "start the endpoint with `test-host serve` (or set plugins.entries.huggingface.config.transport.mode to in-process)",
    transient: true,
    display: `network: nothing usable answers at ${url} (${why})`,
  };
}

/** The OpenAI body for a host-node request. */
function openAiBody(request) {
  const body = { model: request.model.replace(/^huggingface\//, ""), messages: request.messages, stream: true, stream_options: { include_usage: true } };
  if (request.maxTokens) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.stop) body.stop = request.stop;
  if (request.tools) body.tools = request.tools;
  if (request.reasoningEffort) body.reasoning_effort = request.reasoningEffort;
  if (request.responseFormat) body.response_format = request.responseFormat;
  return body;
}

/** Splits an SSE byte stream into `data:` payloads. */
async function* sseData(body) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (data) yield data;
    }
  }
}

/** One completion through serve: host-node events. */
export async function* serveCompletion(transport, request, { signal, key } = {}) {
  const url = transport.url.replace(/\/+$/, "");
  let response;
  try {
    response = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key ?? ""}`, "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(openAiBody(request)),
      signal,
    });
  } catch (err) {
    if (signal?.aborted) {
      yield { type: "error", error: { kind: "cancelled", message: "cancelled", transient: false } };
      return;
    }
    yield { type: "error", error: notRunning(url, err?.cause?.code ?? err?.message ?? String(err)) };
    return;
  }
  const requestId = response.headers.get("x-request-id") ?? undefined;
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    yield {
      type: "error",
      error: serveError(body, { status: response.status, requestId, retryAfter: response.headers.get("retry-after"), url }),
    };
    return;
  }
  let served = false;
  // serve sends the usage chunk after the one with finish_reason (as OpenAI
  // does): the end is known at [DONE], or when the body ends.
  let finish;
  try {
    for await (const data of sseData(response.body)) {
      if (data === "[DONE]") break;
      const chunk = JSON.parse(data);
      if (chunk.error) {
        yield { type: "error", error: serveError(chunk, { requestId, url }) };
        return;
      }
      if (!served) {
        served = true;
        yield { type: "servedBy", model: chunk.model, backend: response.headers.get("x-inference-provider") ?? undefined, requestId };
      }
      const choice = chunk.choices?.[0];
      const delta = choice?.delta ?? {};
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) yield { type: "reasoning", text: reasoning };
      if (delta.content) yield { type: "content", text: delta.content };
      for (const call of delta.tool_calls ?? []) {
        yield { type: "toolCall", index: call.index ?? 0, id: call.id, name: call.function?.name, arguments: call.function?.arguments ?? "" };
      }
      if (chunk.usage) {
        yield {
          type: "usage",
          usage: {
            promptTokens: chunk.usage.prompt_tokens ?? 0,
            completionTokens: chunk.usage.completion_tokens ?? 0,
            totalTokens: chunk.usage.total_tokens ?? 0,
            costUsd: typeof chunk.usage.cost === "number" ? chunk.usage.cost : undefined,
          },
        };
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
  } catch (err) {
    if (signal?.aborted) {
      yield { type: "error", error: { kind: "cancelled", message: "cancelled", transient: false } };
      return;
    }
    yield { type: "error", error: { kind: "network", message: `the answer from ${url} broke off: ${err?.message ?? err}`, transient: true } };
    return;
  }
  yield finish
    ? { type: "done", finishReason: finish }
    : { type: "error", error: { kind: "network", message: `the answer from ${url} ended before it was complete`, transient: true } };
}

/** serve's catalog, as host-node catalog entries (for the gateway's live catalog). */
export async function serveCatalog(transport, key) {
  const url = transport.url.replace(/\/+$/, "");
  const response = await fetch(`${url}/models`, {
    headers: { Authorization: `Bearer ${key ?? ""}`, Accept: "application/json" },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`[huggingface] GET ${url}/models answered HTTP ${response.status}`);
  const body = await response.json();
  return (body.data ?? []).map((row) => ({
    id: row.id,
    name: row.name,
    contextWindow: row.context_window,
    maxTokens: row.max_tokens,
    cost: row.pricing ? { input: row.pricing.input, output: row.pricing.output } : undefined,
    reasoning: row.reasoning === true,
    input: row.input_modalities ?? ["text"],
    supportsTools: row.supports_tools ?? undefined,
    backends: (row.backends ?? []).map((b) => ({ provider: b.provider, status: b.status, pricing: b.pricing ?? undefined })),
  }));
}
