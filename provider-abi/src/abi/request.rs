//! The chat request as it crosses the boundary.

use abi_stable::{
    StableAbi,
    std_types::{ROption, RString, RVec},
};

/// Message role (fixed by the OpenAI chat format).
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // mirrors crate::Role
pub enum AbiRole {
    System,
    User,
    Assistant,
    Tool,
}

/// One content part.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub enum AbiContentPart {
    /// Plain text.
    Text(RString),
    /// An image URL (`https:` or `data:`).
    ImageUrl(RString),
}

/// A complete tool call in an assistant message.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs)] // mirrors crate::ToolCall
pub struct AbiToolCall {
    pub id: RString,
    pub name: RString,
    pub arguments: RString,
}

/// One message.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs)] // mirrors crate::Message
pub struct AbiMessage {
    pub role: AbiRole,
    pub content: RVec<AbiContentPart>,
    pub tool_calls: RVec<AbiToolCall>,
    pub tool_call_id: ROption<RString>,
    pub name: ROption<RString>,
}

/// A chat request (see [`crate::ChatRequest`]).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs)] // mirrors crate::ChatRequest
pub struct AbiChatRequest {
    pub model: RString,
    pub messages: RVec<AbiMessage>,
    pub stream: bool,
    pub max_tokens: ROption<u32>,
    pub temperature: ROption<f64>,
    pub top_p: ROption<f64>,
    pub stop: RVec<RString>,
    pub seed: ROption<i64>,
    pub frequency_penalty: ROption<f64>,
    pub presence_penalty: ROption<f64>,
    pub reasoning_effort: ROption<RString>,
    pub tools: ROption<RString>,
    pub tool_choice: ROption<RString>,
    pub response_format: ROption<RString>,
    /// Request fields added in later minor versions, as a JSON object (empty
    /// when none), so the struct's layout never has to change within a major.
    pub extensions: RString,
}
