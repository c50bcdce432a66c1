// Our error kinds, told to the gateway so that it does the right thing:
// the right user-facing phrase (the gateway picks one per failure class and
// never shows a provider's text), our own text with the request id in its
// logs and `--json` output, fallbacks that advance on the kinds another model
// may not have, and no same-model retries on top of the plugin's own.
//
// The gateway reads an error as: the HTTP status from a leading "NNN Reason:"
// in `errorMessage`, the class from `classifyFailoverReason` (asked whenever
// `errorCode` is set; our codes are prefixed so that none of the gateway's own
// code tables claims them first), and a retry floor from a "retry-after:"
// in the text. It retries rate limits, overloads and timeouts on the same
// model unless that floor is unreachable, so transient kinds -- which the
// plugin has already retried as its `retry` settings allow -- carry
// "retry-after: Infinity": the class (and its phrase, and the fallback to the
// next model) stays, the stacked retries go.

export const CODE_PREFIX = "HUGGINGFACE_";

/** The gateway's terminal code: no retry and no fallback. */
const TERMINAL = "PROVIDER_POST_DISPATCH_AMBIGUITY";
/** Terminal too, for a failure after output was streamed (a retry would repeat it). */
const TERMINAL_WITH_OUTPUT = "PROVIDER_FAILURE_WITH_OUTPUT";

const REASON_BY_KIND = {
  auth: "auth",
  permission: "auth",
  billing: "billing",
  model_not_found: "model_not_found",
  model_unsupported: "model_not_found",
  rate_limited: "rate_limit",
  unavailable: "overloaded",
  timeout: "timeout",
  network: "timeout",
  context_overflow: "context_overflow",
};

const STATUS_TEXT = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  413: "Payload Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** What a router's or backend's "prompt too long" says. */
const CONTEXT_OVERFLOW_RE =
  /context length|context window|maximum context|too many (?:input )?tokens|prompt is too long|input is too long|exceeds? the (?:model'?s? )?(?:maximum|max)/i;

/** The kind, refined: an invalid request that is really a prompt too long. */
export function effectiveKind(error) {
  if (error.kind === "invalid_request" && CONTEXT_OVERFLOW_RE.test(error.message ?? "")) return "context_overflow";
  return error.kind;
}

/** Our `errorCode` for a kind (see `classifyFailoverReason`). */
export function errorCode(kind, { afterOutput = false } = {}) {
  if (afterOutput) return TERMINAL_WITH_OUTPUT;
  return REASON_BY_KIND[kind] ? `${CODE_PREFIX}${kind.toUpperCase()}` : TERMINAL;
}

/**
 * The one line the gateway logs and keeps: status first (the gateway reads
 * it there), then our whole error (kind, message, request id), what to do,
 * and, for a transient kind, that the plugin already retried.
 */
export function errorText(error, { hint } = {}) {
  const status = error.status && STATUS_TEXT[error.status] ? `${error.status} ${STATUS_TEXT[error.status]}: ` : error.status ? `${error.status}: ` : "";
  let text = `${status}[huggingface] ${error.display ?? `${error.kind}: ${error.message}`}`;
  if (error.requestId && !text.includes(error.requestId)) text += ` (request id ${error.requestId})`;
  const advice = hint ?? error.hint;
  if (advice) text += `. Hint: ${advice}`;
  if (error.transient) text += "; the provider plugin already retried it as its retry settings allow (retry-after: Infinity)";
  return text;
}

/** The reason for one of our codes, or undefined for anyone else's. */
export function reasonForCode(code) {
  if (typeof code !== "string" || !code.startsWith(CODE_PREFIX)) return undefined;
  return REASON_BY_KIND[code.slice(CODE_PREFIX.length).toLowerCase()];
}
