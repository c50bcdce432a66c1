// The official Node `openai` client against `test-host serve`, with node's
// own test runner. `clients/run` starts the mock router and the server and
// sets SERVE_URL, SERVE_KEY and MOCK_URL; the answers are the mock's.
import assert from "node:assert/strict";
import { test } from "node:test";

import OpenAI from "openai";

const { SERVE_URL, SERVE_KEY, MOCK_URL } = process.env;
const ANSWER = "Hello! You said: ";
const REASONING = "The user sent a message. I will echo it back politely.";
const TOOLS = ["get_weather", "get_time"].map((name) => ({
  type: "function",
  function: { name, parameters: { type: "object" } },
}));

// Retries are the plugin's job: each error must reach the client once.
const client = (apiKey = SERVE_KEY) =>
  new OpenAI({ baseURL: SERVE_URL, apiKey, maxRetries: 0, timeout: 30_000 });
const user = (content) => [{ role: "user", content }];
const stats = async () => (await fetch(MOCK_URL.replace(/\/v1$/, "/mock/stats"))).json();

test("the catalog is an OpenAI model list", async () => {
  const ids = [];
  for await (const model of client().models.list()) ids.push(model.id);
  assert.ok(ids.includes("deepseek-ai/DeepSeek-R1"), ids.join(", "));
});

test("a whole answer", async () => {
  const completion = await client().chat.completions.create({
    model: "Qwen/Qwen3-8B",
    messages: user("node whole"),
  });
  assert.equal(completion.choices[0].message.content, ANSWER + "node whole");
  assert.equal(completion.choices[0].finish_reason, "stop");
  assert.ok(completion.usage.total_tokens > 0);
});

test("a streamed answer with reasoning and usage", async () => {
  const stream = await client().chat.completions.create({
    model: "deepseek-ai/DeepSeek-R1",
    messages: user("node stream"),
    stream: true,
    stream_options: { include_usage: true },
  });
  let content = "";
  let reasoning = "";
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? "";
      reasoning += choice.delta.reasoning_content ?? "";
    }
  }
  assert.equal(content, ANSWER + "node stream");
  assert.equal(reasoning, REASONING);
  assert.ok(usage.completion_tokens > 0);
});

test("tool calls are assembled by the library", async () => {
  const runner = client().chat.completions.stream({
    model: "mock/tool-calls",
    messages: user("weather?"),
    tools: TOOLS,
  });
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls.map((c) => [
    c.id,
    c.function.name,
    JSON.parse(c.function.arguments),
  ]);
  assert.deepEqual(calls, [
    ["call_mock_1", "get_weather", { city: "Paris", unit: "celsius" }],
    ["call_mock_2", "get_time", { timezone: "Europe/Paris" }],
  ]);
});

test("every error kind is the error class the library raises for its status", async () => {
  const cases = [
    ["mock/status:422", OpenAI.BadRequestError, 400],
    ["mock/status:401", OpenAI.AuthenticationError, 401],
    ["mock/status:402", OpenAI.APIError, 402],
    ["mock/status:403", OpenAI.PermissionDeniedError, 403],
    ["no-such-alias", OpenAI.NotFoundError, 404],
    ["mock/rate-limit", OpenAI.RateLimitError, 429],
    ["mock/status:503", OpenAI.InternalServerError, 503],
    ["mock/reset-before", OpenAI.InternalServerError, 502],
  ];
  for (const [model, kind, status] of cases) {
    for (const stream of [false, true]) {
      await assert.rejects(
        async () => {
          const answer = await client().chat.completions.create({ model, messages: user("x"), stream });
          if (stream) for await (const _ of answer);
        },
        (error) => {
          assert.ok(error instanceof kind, `${model}: ${error}`);
          assert.equal(error.status, status, model);
          return true;
        },
      );
    }
  }
});

test("a wrong local key never reaches the router", async () => {
  const before = (await stats()).chat_requests;
  await assert.rejects(
    client("wrong").chat.completions.create({ model: "Qwen/Qwen3-8B", messages: user("x") }),
    OpenAI.AuthenticationError,
  );
  assert.equal((await stats()).chat_requests, before);
});

test("a client that leaves mid-stream cancels the upstream request", async () => {
  const stream = await client().chat.completions.create({
    model: "mock/slow:200",
    messages: user("a b c d e f g h"),
    stream: true,
  });
  for await (const _ of stream) break; // leaving the loop aborts the request
  const deadline = Date.now() + 5000;
  while ((await stats()).live_responses > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal((await stats()).live_responses, 0);
});
