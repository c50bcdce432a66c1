// The package's event mapping, without a gateway or a plugin: host-node's
// events in, the gateway's assistant-message events out.
//
//   node --test examples/openclaw-plugin/test/
import assert from "node:assert/strict";
import http from "node:http";
import { describe, test } from "node:test";

import { errorCode, errorText, reasonForCode } from "../lib/errors.js";
import { chatRequest } from "../lib/request.js";
import { serveCompletion, serveError } from "../lib/serve.js";
import { pluginSettings } from "../lib/settings.js";
import { pipe } from "../lib/stream.js";

const model = { id: "deepseek-ai/DeepSeek-R1:cheapest", api: "openai-completions", provider: "huggingface", maxTokens: 8192, input: ["text"], reasoning: true };

async function* from(events) {
  for (const e of events) yield e;
}

/** Every event the stream emits, and its result. */
async function run(events, options) {
  const stream = pipe(model, from(events), options);
  const out = [];
  for await (const e of stream) out.push(e);
  return { events: out, types: out.map((e) => e.type), result: await stream.result() };
}

const served = { type: "servedBy", model: "deepseek-ai/DeepSeek-R1:cheapest", backend: "novita", requestId: "req-42" };

describe("a completion's events", () => {
  test("reasoning, then text: thinking and text blocks, each opened and closed, then done", async () => {
    const { types, result } = await run([
      served,
      { type: "reasoning", text: "Let me " },
      { type: "reasoning", text: "think." },
      { type: "content", text: "Hello" },
      { type: "content", text: ", world" },
      { type: "done", finishReason: "stop" },
    ]);
    assert.deepEqual(types, [
      "start",
      "thinking_start",
      "thinking_delta",
      "thinking_delta",
      "thinking_end",
      "text_start",
      "text_delta",
      "text_delta",
      "text_end",
      "done",
    ]);
    assert.deepEqual(result.content, [
      { type: "thinking", thinking: "Let me think.", thinkingSignature: "reasoning_content" },
      { type: "text", text: "Hello, world" },
    ]);
    assert.equal(result.stopReason, "stop");
    assert.equal(result.responseId, "req-42");
    assert.equal(result.responseModel, "deepseek-ai/DeepSeek-R1:cheapest:novita");
  });

  test("tool call pieces assemble into calls with parsed arguments, and the turn stops for tool use", async () => {
    const { events, result } = await run([
      served,
      { type: "toolCall", index: 0, id: "call1", name: "get_weather", arguments: '{"city":' },
      { type: "toolCall", index: 0, arguments: '"Paris"}' },
      { type: "toolCall", index: 1, id: "call2", name: "ls", arguments: "" },
      { type: "done", finishReason: "tool_calls" },
    ]);
    assert.deepEqual(
      result.content.map((b) => [b.type, b.id, b.name, b.arguments]),
      [
        ["toolCall", "call1", "get_weather", { city: "Paris" }],
        ["toolCall", "call2", "ls", {}],
      ],
    );
    assert.equal(events.filter((e) => e.type === "toolcall_end").length, 2);
    assert.equal(result.stopReason, "toolUse");
    assert.equal(events.at(-1).reason, "toolUse");
  });

  test("usage carries the serving backend's cost, split by its prices, as an authoritative total", async () => {
    const { result } = await run(
      [
        served,
        { type: "content", text: "x" },
        { type: "usage", usage: { promptTokens: 1000, completionTokens: 200, totalTokens: 1200, costUsd: 0.0024 } },
        { type: "done", finishReason: "length" },
      ],
      { prices: (backend) => (backend === "novita" ? { input: 0.7, output: 8.5 } : undefined) },
    );
    assert.equal(result.usage.input, 1000);
    assert.equal(result.usage.output, 200);
    assert.equal(result.usage.totalTokens, 1200);
    assert.equal(result.usage.cost.total, 0.0024);
    assert.equal(result.usage.cost.totalOrigin, "provider-billed");
    assert.ok(Math.abs(result.usage.cost.input - 0.0007) < 1e-12);
    assert.ok(Math.abs(result.usage.cost.output - 0.0017) < 1e-12);
    assert.equal(result.stopReason, "length");
  });

  test("an unknown price leaves the cost unrecorded rather than free", async () => {
    const { result } = await run([
      { type: "usage", usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } },
      { type: "done", finishReason: "stop" },
    ]);
    assert.equal(result.usage.cost.total, 0);
    assert.equal(result.usage.cost.totalOrigin, undefined);
  });

  test("a rate limit: status first, our text and request id, retries marked done, our code", async () => {
    const { events, result } = await run([
      {
        type: "error",
        error: {
          kind: "rate_limited",
          message: "slow down",
          status: 429,
          requestId: "req-7",
          transient: true,
          hint: "wait 2 s",
          display: "rate_limited: slow down (HTTP 429, request id req-7)",
        },
      },
    ]);
    assert.deepEqual(events.map((e) => e.type), ["start", "error"]);
    assert.equal(events[1].reason, "error");
    assert.equal(result.stopReason, "error");
    assert.match(result.errorMessage, /^429 Too Many Requests: \[huggingface\] rate_limited: slow down \(HTTP 429, request id req-7\)\. Hint: wait 2 s/);
    assert.match(result.errorMessage, /retry-after: Infinity\)$/);
    assert.equal(result.errorCode, "HUGGINGFACE_RATE_LIMITED");
    assert.equal(reasonForCode(result.errorCode), "rate_limit");
  });

  test("an error after output is terminal for the gateway: a retry would repeat what was shown", async () => {
    const { result } = await run([
      { type: "content", text: "Hel" },
      { type: "error", error: { kind: "network", message: "connection reset", transient: true } },
    ]);
    assert.equal(result.errorCode, "PROVIDER_FAILURE_WITH_OUTPUT");
    assert.deepEqual(result.content, [{ type: "text", text: "Hel" }]);
  });

  test("a cancelled completion is an aborted turn", async () => {
    const { events, result } = await run([{ type: "error", error: { kind: "cancelled", message: "cancelled" } }]);
    assert.equal(events.at(-1).reason, "aborted");
    assert.equal(result.stopReason, "aborted");
    assert.equal(result.errorMessage, "Request was aborted");
  });

  test("a plugin panic ends the turn without retries or fallback", async () => {
    const { result } = await run([{ type: "error", error: { kind: "plugin_panicked", message: "index out of bounds" } }]);
    assert.equal(result.errorCode, "PROVIDER_POST_DISPATCH_AMBIGUITY");
    assert.match(result.errorMessage, /plugin_panicked: index out of bounds/);
  });

  test("a prompt too long is a context overflow, whatever the status", async () => {
    const { result } = await run([
      { type: "error", error: { kind: "invalid_request", message: "This model's maximum context length is 32768 tokens", status: 400 } },
    ]);
    assert.equal(result.errorCode, "HUGGINGFACE_CONTEXT_OVERFLOW");
    assert.equal(reasonForCode(result.errorCode), "context_overflow");
  });

  test("a stream that throws ends with an internal error, never a rejection", async () => {
    async function* broken() {
      yield { type: "content", text: "a" };
      throw new Error("boom");
    }
    const stream = pipe(model, broken(), {});
    const types = [];
    for await (const e of stream) types.push(e.type);
    assert.equal(types.at(-1), "error");
    assert.match((await stream.result()).errorMessage, /internal: boom/);
  });
});

describe("errors for the gateway", () => {
  test("every kind that should move to another model has a class; the others are terminal", () => {
    const advancing = ["auth", "permission", "billing", "model_not_found", "model_unsupported", "rate_limited", "unavailable", "timeout", "network"];
    for (const kind of advancing) assert.ok(reasonForCode(errorCode(kind)), kind);
    for (const kind of ["invalid_request", "plugin_panicked", "internal", "unknown"]) {
      assert.equal(errorCode(kind), "PROVIDER_POST_DISPATCH_AMBIGUITY", kind);
    }
    assert.equal(reasonForCode("RATE_LIMITED"), undefined, "another provider's code");
  });

  test("a status without a reason phrase still leads the text", () => {
    assert.match(errorText({ kind: "unavailable", message: "x", status: 599 }), /^599: /);
    assert.doesNotMatch(errorText({ kind: "network", message: "x" }), /^\d/);
  });

  test("serve's errors keep their kind, the router's status and request id", () => {
    const e = serveError(
      { error: { message: "slow down", code: "rate_limited", request_id: "r1", upstream_status: 429 } },
      { status: 429, retryAfter: "2" },
    );
    assert.deepEqual([e.kind, e.status, e.requestId, e.retryAfterMs, e.transient], ["rate_limited", 429, "r1", 2000, true]);
    const local = serveError({ error: { message: "missing key", code: "invalid_api_key" } }, { status: 401, url: "http://x/v1" });
    assert.equal(local.kind, "auth");
    assert.equal(local.localKey, true);
    assert.match(local.hint, /--print-key/);
  });
});

describe("the request", () => {
  test("the conversation in OpenAI's shapes, with the model ref and the output limit", () => {
    const request = chatRequest(
      { ...model, input: ["text", "image"] },
      {
        systemPrompt: "Be brief.",
        messages: [
          { role: "user", content: [{ type: "text", text: "look" }, { type: "image", data: "AA==", mimeType: "image/png" }] },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "hmm" },
              { type: "text", text: "Reading." },
              { type: "toolCall", id: "c1", name: "read", arguments: { path: "/a" } },
            ],
          },
          { role: "toolResult", toolCallId: "c1", toolName: "read", content: [{ type: "text", text: "body" }] },
          { role: "user", content: "thanks" },
        ],
        tools: [{ name: "read", description: "Read a file", parameters: { type: "object" } }],
      },
      { temperature: 0.2 },
    );
    assert.equal(request.model, "huggingface/deepseek-ai/DeepSeek-R1:cheapest");
    assert.equal(request.maxTokens, 8192);
    assert.equal(request.temperature, 0.2);
    assert.deepEqual(request.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA==" } }] },
      { role: "assistant", content: "Reading.", tool_calls: [{ id: "c1", type: "function", function: { name: "read", arguments: '{"path":"/a"}' } }] },
      { role: "tool", tool_call_id: "c1", content: "body" },
      { role: "user", content: "thanks" },
    ]);
    assert.deepEqual(request.tools, [{ type: "function", function: { name: "read", description: "Read a file", parameters: { type: "object" } } }]);
  });
});

describe("the plugin's settings", () => {
  test("from the gateway's config: own keys, base URL, aliases, user models, the call's key", () => {
    const settings = pluginSettings({
      config: {
        plugins: { entries: { huggingface: { config: { retry: { maxAttempts: 2 }, transport: { mode: "in-process" } } } } },
        models: { providers: { huggingface: { baseUrl: "http://127.0.0.1:9/v1/", models: [{ id: "a/b", alias: "AB", name: "x" }] } } },
        agents: { defaults: { models: { "huggingface/deepseek-ai/DeepSeek-R1": { alias: "R1" }, "other/x": { alias: "X" } } } },
      },
      apiKey: " hf_abc ",
      env: { OPENCLAW_STATE_DIR: "/state" },
    });
    assert.deepEqual(settings, {
      retry: { maxAttempts: 2 },
      baseUrl: "http://127.0.0.1:9/v1",
      stateDir: "/state",
      aliases: { "huggingface/deepseek-ai/DeepSeek-R1": "R1" },
      models: [{ id: "a/b", alias: "AB" }],
      apiKey: "hf_abc",
    });
  });
});

describe("the serve transport", () => {
  /** A stand-in for `test-host serve`: answers every request with `answer(request)`. */
  async function withServer(answer, run) {
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => answer(JSON.parse(body || "{}"), req, res));
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    try {
      return await run(`http://127.0.0.1:${server.address().port}/v1`);
    } finally {
      server.close();
    }
  }

  async function events(url, key = "k") {
    const out = [];
    for await (const e of serveCompletion({ url }, { model: "huggingface/a/b", messages: [] }, { key })) out.push(e);
    return out;
  }

  test("an SSE answer, with the usage chunk after finish_reason, as host-node events", async () => {
    const got = await withServer(
      (body, req, res) => {
        assert.equal(body.model, "a/b");
        assert.equal(req.headers.authorization, "Bearer k");
        res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": "r9", "x-inference-provider": "groq" });
        const chunk = (o) => res.write(`data: ${JSON.stringify({ model: "a/b", ...o })}\n\n`);
        chunk({ choices: [{ delta: { role: "assistant", reasoning_content: "hm" } }] });
        chunk({ choices: [{ delta: { content: "Hi" } }] });
        chunk({ choices: [{ delta: {}, finish_reason: "stop" }] });
        chunk({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5, cost: 0.5 } });
        res.end("data: [DONE]\n\n");
      },
      (url) => events(url),
    );
    assert.deepEqual(got, [
      { type: "servedBy", model: "a/b", backend: "groq", requestId: "r9" },
      { type: "reasoning", text: "hm" },
      { type: "content", text: "Hi" },
      { type: "usage", usage: { promptTokens: 2, completionTokens: 3, totalTokens: 5, costUsd: 0.5 } },
      { type: "done", finishReason: "stop" },
    ]);
  });

  test("an error answer keeps serve's kind; a wrong local key says which key", async () => {
    const got = await withServer(
      (body, req, res) => {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "missing or wrong local access key", code: "invalid_api_key" } }));
      },
      (url) => events(url, "wrong"),
    );
    assert.equal(got.length, 1);
    assert.equal(got[0].error.kind, "auth");
    assert.match(got[0].error.hint, /OPENCLAW_HF_SERVE_KEY/);
  });

  test("nothing listening is a network error that says to start serve", async () => {
    const server = http.createServer();
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${server.address().port}/v1`;
    await new Promise((r) => server.close(r));
    const got = await events(url);
    assert.equal(got[0].error.kind, "network");
    assert.match(got[0].error.message, /nothing usable answers at/);
    assert.match(got[0].error.hint, /test-host serve/);
  });

  test("an answer cut before its end is a network error", async () => {
    const got = await withServer(
      (body, req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`data: ${JSON.stringify({ model: "a/b", choices: [{ delta: { content: "Hel" } }] })}\n\n`);
      },
      (url) => events(url),
    );
    assert.equal(got.at(-1).type, "error");
    assert.equal(got.at(-1).error.kind, "network");
  });
});
