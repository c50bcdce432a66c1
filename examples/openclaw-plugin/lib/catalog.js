// The plugin's catalog entries as the gateway's model definitions: names,
// context windows, output limits, reasoning, input modalities and prices
// taken from the router's live backends (the plugin merges them).

/** A model definition for `info` (a catalog entry), listed under `id` (default its own). */
export function modelDefinition(info, { id = info.id, name } = {}) {
  const input = (info.input ?? []).filter((m) => m === "text" || m === "image");
  const price = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  const model = {
    id,
    // The gateway refuses its whole catalog for one empty name.
    name: (typeof name === "string" && name.trim()) || (typeof info.name === "string" && info.name.trim()) || id,
    reasoning: info.reasoning === true,
    input: input.length ? input : ["text"],
    // Unknown prices are 0 here (the gateway needs a number); the cost of a
    // call is the serving backend's, reported by the plugin with the answer.
    cost: { input: price(info.cost?.input), output: price(info.cost?.output), cacheRead: 0, cacheWrite: 0 },
    maxTokens: info.maxTokens > 0 ? info.maxTokens : 8192,
  };
  if (info.contextWindow > 0) model.contextWindow = info.contextWindow;
  if (info.supportsTools === false) model.compat = { supportsTools: false };
  return model;
}

/** Every catalog entry as a model definition, ids unique. */
export function modelDefinitions(models) {
  const seen = new Set();
  const out = [];
  for (const info of models) {
    if (typeof info?.id !== "string" || !info.id.trim() || seen.has(info.id)) continue;
    seen.add(info.id);
    out.push(modelDefinition(info));
  }
  return out;
}

/** The {input, output} price of `backend` for a resolved model, when the router lists one. */
export function backendPrice(resolved, backend) {
  const row = resolved?.info?.backends?.find((b) => b.provider === backend);
  return row?.pricing ?? resolved?.info?.cost ?? undefined;
}
