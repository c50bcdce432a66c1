//! A successful answer and its two wire forms: SSE chunks and one JSON body.

use serde_json::{Value, json};

use super::scenario::{
    REASONING_TEXT, SCENARIO_USAGE, SPLIT_UTF8_TEXT, Scenario, TOOL_CALLS, TOOL_ONCE_ARGUMENTS,
    TOOL_ONCE_CALL_ID, answer_for, huge_content, tool_once_answer, word_pieces,
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
    /// The function `tool-once` would call, if the request offers one.
    pub tool_once_target: Option<String>,
    /// The text of the last `tool` message after the last `assistant` message:
    /// set once a tool ran in this turn.
    pub tool_result: Option<String>,
}

/// A tool call: (id, function name, arguments JSON string).
type ToolCall = (String, String, String);

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
    /// The calls, in index order; an answer with calls has no content.
    tool_calls: Vec<ToolCall>,
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
        let mut tool_calls = Vec::new();
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
                tool_calls = TOOL_CALLS
                    .iter()
                    .map(|(id, name, args)| ((*id).into(), (*name).into(), (*args).into()))
                    .collect();
            }
            Scenario::ToolOnce => match (&prompt.tool_result, &prompt.tool_once_target) {
                (Some(output), _) => content = word_pieces(&tool_once_answer(output)),
                (None, Some(name)) => {
                    content = Vec::new();
                    tool_calls = vec![(
                        TOOL_ONCE_CALL_ID.into(),
                        name.clone(),
                        TOOL_ONCE_ARGUMENTS.into(),
                    )];
                }
                // Nothing it could call: answer like `echo` rather than fail.
                (None, None) => {}
            },
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
        let completion = (reasoning_pieces + content.len() + tool_calls.len()) as u64;
        let (usage, force_usage) = if *scenario == Scenario::Usage {
            (SCENARIO_USAGE, true)
        } else {
            let prompt_tokens = prompt.prompt_words;
            (
                (prompt_tokens, completion, prompt_tokens + completion),
                false,
            )
        };
        let finish_reason = if tool_calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        };
        Self {
            reasoning,
            content,
            tool_calls,
            finish_reason,
            usage,
            force_usage,
        }
    }

    fn has_tool_calls(&self) -> bool {
        !self.tool_calls.is_empty()
    }

    fn usage_json(&self) -> Value {
        let (prompt, completion, total) = self.usage;
        json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total})
    }

    /// The non-streaming `chat.completion` body.
    pub fn completion_json(&self, meta: &Meta) -> Value {
        let mut message = json!({"role": "assistant"});
        message["content"] = if self.has_tool_calls() {
            Value::Null
        } else {
            Value::String(self.content.concat())
        };
        if let Some(Reasoning::Field(field, pieces)) = &self.reasoning {
            message[*field] = Value::String(pieces.concat());
        }
        if self.has_tool_calls() {
            message["tool_calls"] = self
                .tool_calls
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
        let role_content = if self.has_tool_calls() {
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
        for delta in tool_call_deltas(&self.tool_calls) {
            chunks.push(chunk(delta, Value::Null));
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
fn tool_call_deltas(calls: &[ToolCall]) -> Vec<Value> {
    let mut deltas = Vec::new();
    for (index, (id, name, args)) in calls.iter().enumerate() {
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
            tool_once_target: None,
            tool_result: None,
        }
    }

    /// The `delta.content` pieces and the tool-call deltas of a stream.
    fn streamed(answer: &Answer) -> (String, Vec<Value>) {
        let (chunks, _) = answer.chunks(&meta(), false);
        let content = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        let calls = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array())
            .flatten()
            .cloned()
            .collect();
        (content, calls)
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

    #[test]
    fn tool_once_calls_the_target_once_with_an_alphanumeric_id() {
        let asked = Prompt {
            tool_once_target: Some("ls".into()),
            ..prompt()
        };
        let answer = Answer::for_scenario(&Scenario::ToolOnce, &asked);
        let (content, calls) = streamed(&answer);
        assert_eq!(content, "");
        assert_eq!(
            calls,
            [
                json!({"index": 0, "id": "calltoolonce1", "type": "function",
                    "function": {"name": "ls", "arguments": ""}}),
                json!({"index": 0, "id": "", "type": "function",
                    "function": {"name": null, "arguments": "{}"}}),
            ]
        );
        assert!(TOOL_ONCE_CALL_ID.chars().all(|c| c.is_ascii_alphanumeric()));
        let body = answer.completion_json(&meta());
        let choice = &body["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["content"], Value::Null);
        assert_eq!(
            choice["message"]["tool_calls"],
            json!([{"id": "calltoolonce1", "type": "function",
                "function": {"name": "ls", "arguments": "{}"}}])
        );
        assert_eq!(body["usage"]["completion_tokens"], 1);
    }

    #[test]
    fn tool_once_answers_from_the_tool_result_or_echoes() {
        let ran = Prompt {
            tool_once_target: Some("ls".into()),
            tool_result: Some("a.txt\nb.txt".into()),
            ..prompt()
        };
        let answer = Answer::for_scenario(&Scenario::ToolOnce, &ran);
        let (content, calls) = streamed(&answer);
        assert_eq!(content, "The tool said: a.txt");
        assert!(calls.is_empty());
        let body = answer.completion_json(&meta());
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        assert_eq!(body["usage"]["completion_tokens"], 4);

        let nothing_to_call = Answer::for_scenario(&Scenario::ToolOnce, &prompt());
        assert_eq!(streamed(&nothing_to_call).0, answer_for("hi there"));
    }
}
