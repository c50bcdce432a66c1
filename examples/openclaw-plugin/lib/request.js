// The gateway's conversation (`Context`: systemPrompt, messages of roles
// user / assistant / toolResult, tools) as a chat request for the plugin, in
// OpenAI's message shapes -- what the gateway's own `openai-completions`
// transport sends for the same context.
import { PROVIDER_ID } from "./settings.js";

function imageUrl(part) {
  return { type: "image_url", image_url: { url: `data:${part.mimeType};base64,${part.data}` } };
}

function userContent(content, images) {
  if (typeof content === "string") return content;
  const parts = [];
  for (const part of content ?? []) {
    if (part.type === "text") parts.push({ type: "text", text: part.text });
    else if (part.type === "image" && images) parts.push(imageUrl(part));
  }
  return parts;
}

function assistantMessage(message) {
  const texts = [];
  const calls = [];
  for (const block of message.content ?? []) {
    if (block.type === "text" && block.text) texts.push(block.text);
    // Earlier reasoning is not sent back: the router's backends do not take
    // it as input, and it would only cost prompt tokens.
    else if (block.type === "toolCall") {
      calls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.arguments ?? {}) },
      });
    }
  }
  if (!texts.length && !calls.length) return null;
  const out = { role: "assistant", content: texts.length ? texts.join("\n") : null };
  if (calls.length) out.tool_calls = calls;
  return out;
}

/** One tool result as a `tool` message, and its images as a user message after it. */
function toolResult(message, images) {
  const text = (message.content ?? [])
    .filter((p) => p.type === "text")
    .map((p) => p.text)
    .join("\n");
  const pictures = images ? (message.content ?? []).filter((p) => p.type === "image") : [];
  const out = [{ role: "tool", tool_call_id: message.toolCallId, content: text || (pictures.length ? "(image)" : "(no output)") }];
  if (pictures.length) {
    out.push({
      role: "user",
      content: [{ type: "text", text: `Image(s) from tool result (${message.toolName}):` }, ...pictures.map(imageUrl)],
    });
  }
  return out;
}

/** The reasoning effort to ask for, when the model takes one. */
function reasoningEffort(model, level) {
  if (!model.reasoning || !model.compat?.supportsReasoningEffort || !level || level === "off") return undefined;
  return { minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "high", max: "high" }[level];
}

/** The request for `model` (whose id may carry a `:suffix`), `context` and the call's options. */
export function chatRequest(model, context, options = {}) {
  const images = (model.input ?? []).includes("image");
  const messages = [];
  if (context.systemPrompt) messages.push({ role: "system", content: context.systemPrompt });
  for (const message of context.messages ?? []) {
    if (message.role === "user") messages.push({ role: "user", content: userContent(message.content, images) });
    else if (message.role === "assistant") {
      const out = assistantMessage(message);
      if (out) messages.push(out);
    } else if (message.role === "toolResult") messages.push(...toolResult(message, images));
  }
  const request = { model: `${PROVIDER_ID}/${model.id}`, messages };
  const maxTokens = options.maxTokens ?? model.maxTokens;
  if (Number.isInteger(maxTokens) && maxTokens > 0) request.maxTokens = maxTokens;
  if (typeof options.temperature === "number") request.temperature = options.temperature;
  if (Array.isArray(options.stop) && options.stop.length) request.stop = options.stop.slice(0, 4);
  if (options.responseFormat) request.responseFormat = options.responseFormat;
  const effort = reasoningEffort(model, options.reasoning);
  if (effort) request.reasoningEffort = effort;
  if (context.tools?.length) {
    request.tools = context.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description ?? "", parameters: t.parameters ?? { type: "object" } },
    }));
  }
  return request;
}
