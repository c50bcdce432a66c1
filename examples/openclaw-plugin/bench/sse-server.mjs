// A fast local OpenAI-compatible SSE server for the transport bench: every
// answer is pre-rendered, written `perWrite` chunks at a time, with Nagle off,
// so the clients compared are what limits the rate. The last user message
// says what to send: "tokens=N perWrite=K".
//
//   node bench/sse-server.mjs      prints "listening on http://127.0.0.1:PORT/v1"
import http from "node:http";

const MODEL = "bench/model";
const models = JSON.stringify({
  object: "list",
  data: [
    {
      id: MODEL,
      object: "model",
      owned_by: "bench",
      providers: [{ provider: "bench", status: "live", context_length: 131072, pricing: { input: 1, output: 2 } }],
    },
  ],
});

const rendered = new Map();

/** The whole answer as writes of `perWrite` events each. */
function answer(tokens, perWrite) {
  const key = `${tokens}/${perWrite}`;
  if (rendered.has(key)) return rendered.get(key);
  const head = `{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"${MODEL}","choices":`;
  const events = [`data: ${head}[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`];
  for (let i = 0; i < tokens; i++) {
    events.push(`data: ${head}[{"index":0,"delta":{"content":"tok${i % 10} "},"finish_reason":null}]}\n\n`);
  }
  events.push(`data: ${head}[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`);
  events.push(`data: ${head}[],"usage":{"prompt_tokens":5,"completion_tokens":${tokens},"total_tokens":${tokens + 5}}}\n\n`);
  events.push("data: [DONE]\n\n");
  const writes = [];
  for (let i = 0; i < events.length; i += perWrite) writes.push(Buffer.from(events.slice(i, i + perWrite).join("")));
  rendered.set(key, writes);
  return writes;
}

function lastUserText(body) {
  const user = [...(body.messages ?? [])].reverse().find((m) => m.role === "user");
  return typeof user?.content === "string" ? user.content : "";
}

const server = http.createServer((req, res) => {
  req.socket.setNoDelay(true);
  if (req.method === "GET" && req.url.endsWith("/models")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(models);
    return;
  }
  let raw = "";
  req.on("data", (d) => (raw += d));
  req.on("end", async () => {
    const text = lastUserText(JSON.parse(raw || "{}"));
    const tokens = Number(/tokens=(\d+)/.exec(text)?.[1] ?? 16);
    const perWrite = Number(/perWrite=(\d+)/.exec(text)?.[1] ?? 1);
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "x-request-id": "bench-1",
      "x-inference-provider": "bench",
    });
    for (const chunk of answer(tokens, perWrite)) {
      if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
      if (res.destroyed) return;
    }
    res.end();
  });
});

server.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/v1`);
});
