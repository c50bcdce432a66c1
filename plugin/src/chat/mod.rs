//! Chat completions: request building, SSE decoding, chunk translation, errors, retries.
