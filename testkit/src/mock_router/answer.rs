//! A successful answer and its two wire forms: SSE chunks and one JSON body.

use serde_json::{Value, json};

use super::scenario::{
    REASONING_TEXT, SCENARIO_USAGE, SPLIT_UTF8_TEXT, Scenario, TOOL_CALLS, answer_for,
    huge_content, word_pieces,
};

/// Identity fields repeated in every chunk.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub id: String,
    pub created: u64,
    pub model: String,
}

/// What the request said that shapes the answer.
#[derive(Debug, Clone)]
pub(crate) struct Prompt {
    pub user_text: String,
    pub prompt_words: u64,
    pub reasoning_model: bool,
}

#[derive(Debug, Clone)]
enum Reasoning {
    /// Reasoning pieces under this delta / message field.
    Field(&'static str, Vec<String>),
    /// Reasoning inline in `content` between `<think>` tags.
    Think,
}

/// A scripted successful answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    reasoning: Option<Reasoning>,
    /// Content pieces as streamed (including think tags, if any).
    content: Vec<String>,
    tool_calls: bool,
    finish_reason: &'static str,
    usage: (u64, u64, u64),
    /// Send usage even without `include_usage`.
    force_usage: bool,
}

const HUGE_PIECE: usize = 64 * 1024;
const TOOL_ARG_PIECE: usize = 10;

impl Answer {
    pub fn for_scenario(scenario: &Scenario, prompt: &Prompt) -> Self {
        let answer = answer_for(&prompt.user_text);
        let mut reasoning = scenario
            .reasoning_field()
            .map(|field| Reasoning::Field(field, word_pieces(REASONING_TEXT)));
        if reasoning.is_none() && *scenario == Scenario::Echo && prompt.reasoning_model {
            reasoning = Some(Reasoning::Field(
                "reasoning_content",
                word_pieces(REASONING_TEXT),
            ));
        }
        let mut content = word_pieces(&answer);
        let mut tool_calls = false;
        match scenario {
            Scenario::ReasoningThink => {
                reasoning = Some(Reasoning::Think);
                let mut pieces = vec!["<thi".to_owned(), "nk>".to_owned()];
                pieces.extend(word_pieces(REASONING_TEXT));
                pieces.push("</th".to_owned());
                pieces.push("ink>\n\n".to_owned());
                pieces.extend(content);
                content = pieces;
            }
            Scenario::ToolCalls => {
                content = Vec::new();
                tool_calls = true;
            }
            Scenario::SplitUtf8 => content = word_pieces(SPLIT_UTF8_TEXT),
            Scenario::HugeBody => {
                content = huge_content()
                    .as_bytes()
                    .chunks(HUGE_PIECE)
                    .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
                    .collect();
            }
            _ => {}
        }
        let reasoning_pieces = match &reasoning {
            Some(Reasoning::Field(_, pieces)) => pieces.len(),
            _ => 0,
        };
        let completion = (reasoning_pieces + content.len() + 2 * usize::from(tool_calls)) as u64;
        let (usage, force_usage) = if *scenario == Scenario::Usage {
            (SCENARIO_USAGE, true)
        } else {
            let prompt_tokens = prompt.prompt_words;
            (
                (prompt_tokens, completion, prompt_tokens + completion),
                false,
            )
        };
        Self {
            reasoning,
            content,
            tool_calls,
            finish_reason: if tool_calls { "tool_calls" } else { "stop" },
            usage,
            force_usage,
        }
    }

    fn usage_json(&self) -> Value {
        let (prompt, completion, total) = self.usage;
        json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total})
    }

    /// The non-streaming `chat.completion` body.
    pub fn completion_json(&self, meta: &Meta) -> Value {
        let mut message = json!({"role": "assistant"});
        message["content"] = if self.tool_calls {
            Value::Null
        } else {
            Value::String(self.content.concat())
        };
        if let Some(Reasoning::Field(field, pieces)) = &self.reasoning {
            message[*field] = Value::String(pieces.concat());
        }
        if self.tool_calls {
            message["tool_calls"] = TOOL_CALLS
                .iter()
                .map(|(id, name, args)| {
                    json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}})
                })
                .collect();
        }
        json!({
            "id": meta.id,
            "object": "chat.completion",
            "created": meta.created,
            "model": meta.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
            "usage": self.usage_json(),
        })
    }

    /// The stream's chunks, in order (without `[DONE]`), and the index of the
    /// first content chunk (scenarios cut or interleave there).
    pub fn chunks(&self, meta: &Meta, include_usage: bool) -> (Vec<Value>, usize) {
        let chunk = |delta: Value, finish: Value| {
            json!({
                "id": meta.id,
                "object": "chat.completion.chunk",
                "created": meta.created,
                "model": meta.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            })
        };
        let role_content = if self.tool_calls {
            Value::Null
        } else {
            Value::String(String::new())
        };
        let mut chunks = vec![chunk(
            json!({"role": "assistant", "content": role_content}),
            Value::Null,
        )];
        if let Some(Reasoning::Field(field, pieces)) = &self.reasoning {
            for piece in pieces {
                chunks.push(chunk(json!({ *field: piece }), Value::Null));
            }
        }
        let content_start = chunks.len();
        for piece in &self.content {
            chunks.push(chunk(json!({ "content": piece }), Value::Null));
        }
        if self.tool_calls {
            for delta in tool_call_deltas() {
                chunks.push(chunk(delta, Value::Null));
            }
        }
        chunks.push(chunk(json!({}), Value::String(self.finish_reason.into())));
        if include_usage || self.force_usage {
            chunks.push(json!({
                "id": meta.id,
                "object": "chat.completion.chunk",
                "created": meta.created,
                "model": meta.model,
                "choices": [],
                "usage": self.usage_json(),
            }));
        }
        (chunks, content_start)
    }
}

/// Tool-call deltas: per call, a head with id/type/name, then argument
/// pieces with `id: ""` and `name: null` as some backends send them.
fn tool_call_deltas() -> Vec<Value> {
    let mut deltas = Vec::new();
    for (index, (id, name, args)) in TOOL_CALLS.iter().enumerate() {
        deltas.push(json!({"tool_calls": [{
            "index": index, "id": id, "type": "function",
            "function": {"name": name, "arguments": ""},
        }]}));
        let chars: Vec<char> = args.chars().collect();
        for piece in chars.chunks(TOOL_ARG_PIECE) {
            deltas.push(json!({"tool_calls": [{
                "index": index, "id": "", "type": "function",
                "function": {"name": null, "arguments": piece.iter().collect::<String>()},
            }]}));
        }
    }
    deltas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            id: "chatcmpl-test".into(),
            created: 1,
            model: "m".into(),
        }
    }

    fn prompt() -> Prompt {
        Prompt {
            user_text: "hi there".into(),
            prompt_words: 2,
            reasoning_model: false,
        }
    }

    #[test]
    fn think_tags_are_split_and_content_matches_expectation() {
        let answer = Answer::for_scenario(&Scenario::ReasoningThink, &prompt());
        let (chunks, start) = answer.chunks(&meta(), false);
        let raw: String = chunks[start..]
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        let expected = super::super::scenario::expected("reasoning-think", "hi there");
        assert_eq!(Some(raw), expected.map(|e| e.raw_content));
        assert_eq!(chunks[start]["choices"][0]["delta"]["content"], "<thi");
    }

    #[test]
    fn tool_call_arguments_reassemble() {
        let answer = Answer::for_scenario(&Scenario::ToolCalls, &prompt());
        let (chunks, _) = answer.chunks(&meta(), false);
        let mut args = [String::new(), String::new()];
        for chunk in &chunks {
            if let Some(calls) = chunk["choices"][0]["delta"]["tool_calls"].as_array() {
                for call in calls {
                    let index = call["index"].as_u64().unwrap_or(9) as usize;
                    args[index].push_str(call["function"]["arguments"].as_str().unwrap_or(""));
                }
            }
        }
        assert_eq!(args[0], TOOL_CALLS[0].2);
        assert_eq!(args[1], TOOL_CALLS[1].2);
        let last = chunks
            .last()
            .map(|c| c["choices"][0]["finish_reason"].clone());
        assert_eq!(last, Some(json!("tool_calls")));
    }
}
