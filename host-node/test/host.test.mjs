// host-node from Node: the real addon loads the real plugin in this process
// and talks HTTP to the mock router on 127.0.0.1 (started here); the
// scriptable compat plugin stands in where a test needs a plugin that panics.
//
//   node --test host-node/test/
//
// Finds the debug builds in target/ (`cargo build --workspace`, or `cargo
// test --workspace`); HOST_NODE_ADDON, PLUGIN, COMPAT_PLUGIN and TEST_HOST
// override the paths.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { Host, ProviderError, openAddon } from "../index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The newest of the candidates that exist. */
function newest(...candidates) {
  const found = candidates
    .map((c) => path.join(root, c))
    .filter((c) => fs.existsSync(c))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  assert.ok(found.length, `none of ${candidates.join(", ")}: build the workspace first (cargo build --workspace)`);
  return found[0];
}

const ADDON = process.env.HOST_NODE_ADDON ?? newest("target/debug/libhost_node.so");
const PLUGIN =
  process.env.PLUGIN ?? newest("target/debug/libhuggingface_provider.so", "target/debug/deps/libhuggingface_provider.so");
const COMPAT = process.env.COMPAT_PLUGIN ?? newest("target/debug/libcompat_plugin.so", "target/debug/deps/libcompat_plugin.so");
const TEST_HOST = process.env.TEST_HOST ?? newest("target/debug/test-host");

const REASONING_TEXT = "The user sent a message. I will echo it back politely.";
const addon = openAddon(ADDON);
const logs = [];
addon.setLogger((record) => logs.push(record), "info");

let mock; // { url, process }
const hosts = [];

before(async () => {
  const child = spawn(TEST_HOST, ["mock-router", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (d) => {
      seen += d;
      if (seen.includes("\n")) resolve(seen.split("\n")[0]);
    });
    child.on("exit", (code) => reject(new Error(`mock router exited with ${code}`)));
  });
  mock = { url: line.match(/listening on (\S+?);/)[1], process: child };
});

after(async () => {
  for (const host of hosts) await host.shutdown(2000);
  mock?.process.kill();
});

async function load(settings = {}, plugin = PLUGIN) {
  const host = await Host.load(addon, plugin, {
    baseUrl: mock.url,
    apiKey: "hf_test_token_for_the_mock",
    stateDir: fs.mkdtempSync(path.join(os.tmpdir(), "host-node-")),
    retry: { maxAttempts: 1 },
    ...settings,
  });
  hosts.push(host);
  return host;
}

async function stats() {
  const response = await fetch(mock.url.replace(/\/v1$/, "/mock/stats"));
  return response.json();
}

/** Reads a completion to its end: every event, and the batches they came in. */
async function collect(completion) {
  const events = [];
  let batches = 0;
  for await (const batch of completion.batches()) {
    batches += 1;
    events.push(...batch);
  }
  const text = (type) => events.filter((e) => e.type === type).map((e) => e.text).join("");
  return { events, batches, content: text("content"), reasoning: text("reasoning") };
}

const user = (text) => ({ role: "user", content: text });

describe("the HF plugin through the addon", () => {
  let host;
  // The mock's scenarios with an argument (`mock/slow:50`) are not catalog
  // refs (`:50` reads as a backend): with discovery off, refs pass unchecked.
  let free;
  before(async () => {
    host = await load();
    free = await load({ discovery: { enabled: false } });
    const report = await host.refresh(10_000);
    assert.ok(report.discovered >= 300, JSON.stringify(report));
  });

  test("reports who it is", () => {
    const info = host.info();
    assert.equal(info.providerId, "huggingface");
    assert.match(info.interfaceVersion, /^2\.\d+\.\d+$/);
    assert.equal(host.path(), PLUGIN);
  });

  test("discovers the router's catalog with backends and prices", async () => {
    const models = await host.discover();
    const r1 = models.find((m) => m.id === "deepseek-ai/DeepSeek-R1");
    assert.ok(r1, "DeepSeek-R1 listed");
    assert.equal(r1.reasoning, true);
    assert.ok(r1.contextWindow > 0);
    assert.ok(r1.backends.some((b) => b.status === "live" && b.pricing), JSON.stringify(r1.backends));
    assert.ok(models.some((m) => m.id === "mock/echo"));
  });

  test("resolves refs, and refuses unknown ones with the closest refs and a hint", () => {
    const model = host.resolve("huggingface/deepseek-ai/DeepSeek-R1:cheapest");
    assert.equal(model.routerModel, "deepseek-ai/DeepSeek-R1:cheapest");
    assert.equal(model.locked, true);
    assert.throws(
      () => host.resolve("huggingface/deepseek-ai/DeepSeek-R2"),
      (e) =>
        e instanceof ProviderError &&
        e.kind === "model_not_found" &&
        e.message.includes("huggingface/deepseek-ai/DeepSeek-R1") &&
        e.advancesFailover === true &&
        typeof e.hint === "string",
    );
    assert.throws(
      () => host.resolve("huggingface/deepseek-ai/DeepSeek-R1:nosuchbackend"),
      (e) => e instanceof ProviderError && e.kind === "invalid_request" && /nosuchbackend/.test(e.message),
    );
  });

  test("streams an answer: served-by, text, usage with cost, done", async () => {
    const { events, content } = await collect(
      host.complete({ model: "huggingface/Qwen/Qwen3-8B", messages: [user("hello there")] }),
    );
    assert.equal(content, "Hello! You said: hello there");
    const types = events.map((e) => e.type);
    assert.equal(types[0], "servedBy");
    assert.ok(events[0].requestId, "request id");
    assert.ok(events[0].backend, "backend");
    const usage = events.find((e) => e.type === "usage").usage;
    assert.ok(usage.totalTokens > 0 && usage.costUsd > 0, JSON.stringify(usage));
    assert.deepEqual(events.at(-1), { type: "done", finishReason: "stop" });
  });

  test("a batch merges consecutive text: fewer content events than router chunks", async () => {
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(" ");
    const { events, content } = await collect(
      host.complete({ model: "huggingface/Qwen/Qwen3-8B", messages: [user(words)] }),
    );
    assert.equal(content, `Hello! You said: ${words}`);
    // 403 pieces on the wire; each content event is a whole batch's text.
    assert.ok(events.filter((e) => e.type === "content").length < 403);
  });

  test("reasoning arrives apart from the answer", async () => {
    const { reasoning, content } = await collect(
      host.complete({ model: "huggingface/deepseek-ai/DeepSeek-R1", messages: [user("hi")] }),
    );
    assert.equal(reasoning, REASONING_TEXT);
    assert.equal(content, "Hello! You said: hi");
  });

  test("tool calls arrive as pieces that assemble into the calls", async () => {
    const { events } = await collect(
      host.complete({ model: "huggingface/mock/tool-calls", messages: [user("weather?")] }),
    );
    const calls = [];
    for (const e of events.filter((e) => e.type === "toolCall")) {
      calls[e.index] ??= { id: "", name: "", arguments: "" };
      if (e.id) calls[e.index].id = e.id;
      if (e.name) calls[e.index].name = e.name;
      calls[e.index].arguments += e.arguments;
    }
    assert.deepEqual(calls, [
      { id: "call_mock_1", name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' },
      { id: "call_mock_2", name: "get_time", arguments: '{"timezone":"Europe/Paris"}' },
    ]);
    assert.equal(events.at(-1).finishReason, "tool_calls");
  });

  test("an error is the last event, with kind, status, request id and hint", async () => {
    const { events } = await collect(
      free.complete({ model: "huggingface/mock/status:429", messages: [user("hi")] }),
    );
    const last = events.at(-1);
    assert.equal(last.type, "error");
    assert.equal(last.error.kind, "rate_limited");
    assert.equal(last.error.status, 429);
    assert.ok(last.error.requestId, JSON.stringify(last.error));
    assert.match(last.error.hint, /rate limited/);
    assert.equal(last.error.transient, true);
  });

  test("a request of the wrong shape is an invalid_request event naming the field", async () => {
    const { events } = await collect(host.complete({ model: "huggingface/Qwen/Qwen3-8B", messages: [], max_tokens: 5 }));
    assert.equal(events.length, 1);
    assert.equal(events[0].error.kind, "invalid_request");
    assert.match(events[0].error.message, /max_tokens/);
  });

  test("an aborted signal cancels the upstream request at once", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const completion = free.complete(
      { model: "huggingface/mock/slow:1000", messages: [user("one two three four five six")] },
      { signal: controller.signal },
    );
    const events = [];
    for await (const event of completion) {
      events.push(event);
      if (event.type === "content") controller.abort();
    }
    assert.equal(events.at(-1).type, "error");
    assert.equal(events.at(-1).error.kind, "cancelled");
    // The answer would take 8 s more; the mock stops writing it at once.
    for (let i = 0; i < 100 && (await stats()).live_responses > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await stats()).live_responses, 0);
    assert.ok(Date.now() - started < 5000);
  });

  test("breaking out of the loop cancels too", async () => {
    for await (const event of free.complete({ model: "huggingface/mock/slow:1000", messages: [user("a b c d e f")] })) {
      if (event.type === "content") break;
    }
    for (let i = 0; i < 100 && (await stats()).live_responses > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await stats()).live_responses, 0);
  });

  test("the event loop keeps turning while completions stream", async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 10);
    const runs = Array.from({ length: 8 }, () =>
      collect(free.complete({ model: "huggingface/mock/slow:50", messages: [user("a b c d e f g h")] })),
    );
    const results = await Promise.all(runs);
    clearInterval(timer);
    for (const r of results) assert.equal(r.content, "Hello! You said: a b c d e f g h");
    // ~0.5 s of streaming: a blocked loop would have missed nearly every tick.
    assert.ok(ticks >= 10, `${ticks} ticks`);
  });

  test("settings change for new calls while a call in flight finishes with the old", async () => {
    const before = free.versions().at(-1).id;
    const slow = collect(free.complete({ model: "huggingface/mock/slow:100", messages: [user("a b c")] }));
    const id = await free.configure({ ...free.settings(), billTo: "my-org" });
    assert.equal(id, before + 1);
    assert.equal(free.settings().billTo, "my-org");
    assert.equal((await slow).content, "Hello! You said: a b c");
    // The same settings again change nothing.
    assert.equal(await free.configure(free.settings()), id);
    await assert.rejects(free.configure({ ...free.settings(), retry: { maxAttempts: 0 } }), /maxAttempts/);
    assert.equal(free.settings().billTo, "my-org");
  });

  test("a swap while 20 completions stream fails none of them", async () => {
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "host-node-swap-")), "libhuggingface_provider.so");
    fs.copyFileSync(PLUGIN, copy);
    const runs = Array.from({ length: 20 }, (_, i) =>
      collect(free.complete({ model: "huggingface/mock/slow:30", messages: [user(`n${i} a b c d`)] })),
    );
    await new Promise((r) => setTimeout(r, 50));
    const report = await free.swap(copy, 30_000);
    const results = await Promise.all(runs);
    results.forEach((r, i) => assert.equal(r.content, `Hello! You said: n${i} a b c d`));
    assert.equal(report.drained, true);
    assert.equal(free.path(), copy);
    assert.ok(logs.some((l) => l.target.startsWith("host_sdk") && /swapped/.test(l.message)), JSON.stringify(logs));
    const after = await collect(free.complete({ model: "huggingface/Qwen/Qwen3-8B", messages: [user("still here")] }));
    assert.equal(after.content, "Hello! You said: still here");
  });
});

describe("loading and panics", () => {
  test("a file that is not a plugin is refused in one line naming it", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "host-node-")), "not-a-plugin.so");
    fs.writeFileSync(file, "hello");
    await assert.rejects(
      Host.load(addon, file, {}),
      (e) => e.message.includes(file) && !e.message.includes("\n"),
    );
  });

  test("a panic in the plugin is an error event, and the process lives on", async () => {
    const host = await Host.load(addon, COMPAT, { panicIn: ["complete_task"] });
    hosts.push(host);
    const { events } = await collect(host.complete({ model: "compat/x", messages: [user("hi")] }));
    assert.equal(events.at(-1).type, "error");
    assert.equal(events.at(-1).error.kind, "plugin_panicked");
    const calm = await Host.load(addon, COMPAT, {});
    hosts.push(calm);
    const { content } = await collect(calm.complete({ model: "compat/x", messages: [user("hi")] }));
    assert.match(content, /^hello from interface/);
  });
});
