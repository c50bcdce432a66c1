//! Conversions between the ABI mirror types and the idiomatic types, in both
//! directions: hosts convert ABI values they receive, plugins convert the
//! idiomatic values their logic produces. Kept in one place so the two sides
//! cannot drift.

use std::time::Duration;

use abi_stable::std_types::{ROption, RString, RVec};

use super::{
    AbiBackend, AbiChatEvent, AbiChatEvent_NE, AbiChatRequest, AbiContentPart, AbiCost, AbiError,
    AbiErrorKind, AbiErrorKind_NE, AbiMessage, AbiModelInfo, AbiPluginInfo, AbiRefreshReport,
    AbiResolvedModel, AbiRole, AbiShutdownReport, AbiToolCall, AbiToolCallDelta, AbiUsage,
};
use crate::{
    Backend, ChatEvent, ChatRequest, ContentPart, Cost, ErrorKind, Message, ModelInfo, ModelSource,
    PluginInfo, ProviderError, RefreshReport, ResolvedModel, Role, ShutdownReport, ToolCall,
    ToolCallDelta, Usage,
};

fn ropt_string(value: Option<String>) -> ROption<RString> {
    value.map(RString::from).into()
}

/// An owned copy of an ABI string. A string from a loaded plugin was
/// allocated by another binary, so abi_stable's `into_string` copies it
/// anyway, after two indirect type-id calls to find that out; copying
/// directly skips them (about 5 % of a loaded `resolve` in perf). Only a
/// plugin linked into the host itself pays an allocation it could have saved.
fn string(value: RString) -> String {
    value.as_str().to_owned()
}

fn opt_string(value: ROption<RString>) -> Option<String> {
    value.map(string).into_option()
}

fn strings(values: Vec<String>) -> RVec<RString> {
    values.into_iter().map(RString::from).collect()
}

fn rstrings(values: RVec<RString>) -> Vec<String> {
    values.iter().map(|s| s.as_str().to_owned()).collect()
}

// ---- the plugin itself ----

impl From<PluginInfo> for AbiPluginInfo {
    fn from(info: PluginInfo) -> Self {
        AbiPluginInfo {
            provider_id: info.provider_id.into(),
            plugin_version: info.plugin_version.into(),
            interface_version: info.interface_version.into(),
            build: info.build.into(),
        }
    }
}

impl From<AbiPluginInfo> for PluginInfo {
    fn from(info: AbiPluginInfo) -> Self {
        PluginInfo {
            provider_id: string(info.provider_id),
            plugin_version: string(info.plugin_version),
            interface_version: string(info.interface_version),
            build: string(info.build),
        }
    }
}

impl From<ShutdownReport> for AbiShutdownReport {
    fn from(report: ShutdownReport) -> Self {
        AbiShutdownReport {
            clean: report.clean,
            message: report.message.into(),
        }
    }
}

impl From<AbiShutdownReport> for ShutdownReport {
    fn from(report: AbiShutdownReport) -> Self {
        ShutdownReport {
            clean: report.clean,
            message: string(report.message),
        }
    }
}

// ---- errors ----

impl From<ErrorKind> for AbiErrorKind_NE {
    fn from(kind: ErrorKind) -> Self {
        let abi = match kind {
            ErrorKind::Auth => AbiErrorKind::Auth,
            ErrorKind::Permission => AbiErrorKind::Permission,
            ErrorKind::Billing => AbiErrorKind::Billing,
            ErrorKind::ModelNotFound => AbiErrorKind::ModelNotFound,
            ErrorKind::ModelUnsupported => AbiErrorKind::ModelUnsupported,
            ErrorKind::RateLimited => AbiErrorKind::RateLimited,
            ErrorKind::Unavailable => AbiErrorKind::Unavailable,
            ErrorKind::Timeout => AbiErrorKind::Timeout,
            ErrorKind::Network => AbiErrorKind::Network,
            ErrorKind::InvalidRequest => AbiErrorKind::InvalidRequest,
            ErrorKind::Cancelled => AbiErrorKind::Cancelled,
            ErrorKind::PluginPanicked => AbiErrorKind::PluginPanicked,
            // A plugin never invents kinds it cannot name; an unknown kind it
            // received from elsewhere is reported as internal.
            ErrorKind::Internal | ErrorKind::Unknown => AbiErrorKind::Internal,
        };
        AbiErrorKind_NE::new(abi)
    }
}

/// The kind, or `Unknown` plus the plugin's name for it when it is newer than this host.
fn kind_from_abi(kind: &AbiErrorKind_NE) -> (ErrorKind, Option<String>) {
    let Ok(known) = kind.as_enum() else {
        return (ErrorKind::Unknown, Some(kind.to_string()));
    };
    let kind = match known {
        AbiErrorKind::Auth => ErrorKind::Auth,
        AbiErrorKind::Permission => ErrorKind::Permission,
        AbiErrorKind::Billing => ErrorKind::Billing,
        AbiErrorKind::ModelNotFound => ErrorKind::ModelNotFound,
        AbiErrorKind::ModelUnsupported => ErrorKind::ModelUnsupported,
        AbiErrorKind::RateLimited => ErrorKind::RateLimited,
        AbiErrorKind::Unavailable => ErrorKind::Unavailable,
        AbiErrorKind::Timeout => ErrorKind::Timeout,
        AbiErrorKind::Network => ErrorKind::Network,
        AbiErrorKind::InvalidRequest => ErrorKind::InvalidRequest,
        AbiErrorKind::Cancelled => ErrorKind::Cancelled,
        AbiErrorKind::PluginPanicked => ErrorKind::PluginPanicked,
        AbiErrorKind::Internal => ErrorKind::Internal,
        // A host built as the future interface knows the name but has no
        // idiomatic kind for it: it is reported as an older host would.
        #[cfg(feature = "interface-next")]
        AbiErrorKind::NextQuotaExhausted => return (ErrorKind::Unknown, Some(kind.to_string())),
    };
    (kind, None)
}

impl From<ProviderError> for AbiError {
    fn from(e: ProviderError) -> Self {
        AbiError {
            kind: e.kind.into(),
            message: e.message.into(),
            status: e.status.into(),
            request_id: ropt_string(e.request_id),
            retry_after_ms: e
                .retry_after
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .into(),
        }
    }
}

impl From<AbiError> for ProviderError {
    fn from(e: AbiError) -> Self {
        let (kind, unknown_name) = kind_from_abi(&e.kind);
        let message = match unknown_name {
            Some(name) => format!("[{name}] {}", e.message),
            None => e.message.into_string(),
        };
        ProviderError {
            kind,
            message,
            status: e.status.into_option(),
            request_id: opt_string(e.request_id),
            retry_after: e.retry_after_ms.into_option().map(Duration::from_millis),
        }
    }
}

// ---- requests ----

impl From<Role> for AbiRole {
    fn from(role: Role) -> Self {
        match role {
            Role::System => AbiRole::System,
            Role::User => AbiRole::User,
            Role::Assistant => AbiRole::Assistant,
            Role::Tool => AbiRole::Tool,
        }
    }
}

impl From<AbiRole> for Role {
    fn from(role: AbiRole) -> Self {
        match role {
            AbiRole::System => Role::System,
            AbiRole::User => Role::User,
            AbiRole::Assistant => Role::Assistant,
            AbiRole::Tool => Role::Tool,
        }
    }
}

impl From<ContentPart> for AbiContentPart {
    fn from(part: ContentPart) -> Self {
        match part {
            ContentPart::Text(t) => AbiContentPart::Text(t.into()),
            ContentPart::ImageUrl(u) => AbiContentPart::ImageUrl(u.into()),
        }
    }
}

impl From<AbiContentPart> for ContentPart {
    fn from(part: AbiContentPart) -> Self {
        match part {
            AbiContentPart::Text(t) => ContentPart::Text(t.into()),
            AbiContentPart::ImageUrl(u) => ContentPart::ImageUrl(u.into()),
        }
    }
}

impl From<ToolCall> for AbiToolCall {
    fn from(c: ToolCall) -> Self {
        AbiToolCall {
            id: c.id.into(),
            name: c.name.into(),
            arguments: c.arguments.into(),
        }
    }
}

impl From<AbiToolCall> for ToolCall {
    fn from(c: AbiToolCall) -> Self {
        ToolCall {
            id: c.id.into(),
            name: c.name.into(),
            arguments: c.arguments.into(),
        }
    }
}

impl From<Message> for AbiMessage {
    fn from(m: Message) -> Self {
        AbiMessage {
            role: m.role.into(),
            content: m.content.into_iter().map(Into::into).collect(),
            tool_calls: m.tool_calls.into_iter().map(Into::into).collect(),
            tool_call_id: ropt_string(m.tool_call_id),
            name: ropt_string(m.name),
        }
    }
}

impl From<AbiMessage> for Message {
    fn from(m: AbiMessage) -> Self {
        Message {
            role: m.role.into(),
            content: m.content.into_iter().map(Into::into).collect(),
            tool_calls: m.tool_calls.into_iter().map(Into::into).collect(),
            tool_call_id: opt_string(m.tool_call_id),
            name: opt_string(m.name),
        }
    }
}

impl From<ChatRequest> for AbiChatRequest {
    fn from(r: ChatRequest) -> Self {
        AbiChatRequest {
            model: r.model.into(),
            messages: r.messages.into_iter().map(Into::into).collect(),
            stream: r.stream,
            max_tokens: r.max_tokens.into(),
            temperature: r.temperature.into(),
            top_p: r.top_p.into(),
            stop: strings(r.stop),
            seed: r.seed.into(),
            frequency_penalty: r.frequency_penalty.into(),
            presence_penalty: r.presence_penalty.into(),
            reasoning_effort: ropt_string(r.reasoning_effort),
            tools: ropt_string(r.tools),
            tool_choice: ropt_string(r.tool_choice),
            response_format: ropt_string(r.response_format),
            extensions: RString::new(),
        }
    }
}

impl From<AbiChatRequest> for ChatRequest {
    fn from(r: AbiChatRequest) -> Self {
        ChatRequest {
            model: r.model.into(),
            messages: r.messages.into_iter().map(Into::into).collect(),
            stream: r.stream,
            max_tokens: r.max_tokens.into_option(),
            temperature: r.temperature.into_option(),
            top_p: r.top_p.into_option(),
            stop: rstrings(r.stop),
            seed: r.seed.into_option(),
            frequency_penalty: r.frequency_penalty.into_option(),
            presence_penalty: r.presence_penalty.into_option(),
            reasoning_effort: opt_string(r.reasoning_effort),
            tools: opt_string(r.tools),
            tool_choice: opt_string(r.tool_choice),
            response_format: opt_string(r.response_format),
        }
    }
}

// ---- events ----

impl From<Usage> for AbiUsage {
    fn from(u: Usage) -> Self {
        AbiUsage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
            cost_usd: u.cost_usd.into(),
        }
    }
}

impl From<AbiUsage> for Usage {
    fn from(u: AbiUsage) -> Self {
        Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
            cost_usd: u.cost_usd.into_option(),
        }
    }
}

/// A plugin converts its events with this. [`ChatEvent::Unknown`] only exists
/// on the host side (an event from a newer plugin) and has no ABI form: it is
/// handed back as the error.
impl TryFrom<ChatEvent> for AbiChatEvent_NE {
    type Error = ChatEvent;

    fn try_from(event: ChatEvent) -> Result<Self, ChatEvent> {
        let abi = match event {
            ChatEvent::ServedBy {
                model,
                backend,
                request_id,
            } => AbiChatEvent::ServedBy {
                model: model.into(),
                backend: ropt_string(backend),
                request_id: ropt_string(request_id),
            },
            ChatEvent::Content(t) => AbiChatEvent::Content(t.into()),
            ChatEvent::Reasoning(t) => AbiChatEvent::Reasoning(t.into()),
            ChatEvent::ToolCall(d) => AbiChatEvent::ToolCall(AbiToolCallDelta {
                index: d.index,
                id: ropt_string(d.id),
                name: ropt_string(d.name),
                arguments: d.arguments.into(),
            }),
            ChatEvent::Usage(u) => AbiChatEvent::Usage(u.into()),
            ChatEvent::Retrying {
                attempt,
                delay_ms,
                error,
            } => AbiChatEvent::Retrying {
                attempt,
                delay_ms,
                error: error.into(),
            },
            ChatEvent::Done { finish_reason } => AbiChatEvent::Done {
                finish_reason: finish_reason.into(),
            },
            unknown @ ChatEvent::Unknown(_) => return Err(unknown),
        };
        Ok(AbiChatEvent_NE::new(abi))
    }
}

impl From<AbiChatEvent_NE> for ChatEvent {
    fn from(event: AbiChatEvent_NE) -> Self {
        // Described (through the plugin's vtable) only when this side does not know
        // the variant: formatting every event would cost more than converting it.
        let event = match event.into_enum() {
            Ok(event) => event,
            Err(unknown) => return ChatEvent::Unknown(unknown.non_exhaustive.to_string()),
        };
        match event {
            AbiChatEvent::ServedBy {
                model,
                backend,
                request_id,
            } => ChatEvent::ServedBy {
                model: model.into(),
                backend: opt_string(backend),
                request_id: opt_string(request_id),
            },
            AbiChatEvent::Content(t) => ChatEvent::Content(t.into()),
            AbiChatEvent::Reasoning(t) => ChatEvent::Reasoning(t.into()),
            AbiChatEvent::ToolCall(d) => ChatEvent::ToolCall(ToolCallDelta {
                index: d.index,
                id: opt_string(d.id),
                name: opt_string(d.name),
                arguments: d.arguments.into(),
            }),
            AbiChatEvent::Usage(u) => ChatEvent::Usage(u.into()),
            AbiChatEvent::Retrying {
                attempt,
                delay_ms,
                error,
            } => ChatEvent::Retrying {
                attempt,
                delay_ms,
                error: error.into(),
            },
            AbiChatEvent::Done { finish_reason } => ChatEvent::Done {
                finish_reason: finish_reason.into(),
            },
            #[cfg(feature = "interface-next")]
            event @ AbiChatEvent::NextNotice(_) => ChatEvent::Unknown(event.to_string()),
        }
    }
}

// ---- models ----

impl From<Cost> for AbiCost {
    fn from(c: Cost) -> Self {
        AbiCost {
            input: c.input,
            output: c.output,
        }
    }
}

impl From<AbiCost> for Cost {
    fn from(c: AbiCost) -> Self {
        Cost {
            input: c.input,
            output: c.output,
        }
    }
}

impl From<Backend> for AbiBackend {
    fn from(b: Backend) -> Self {
        AbiBackend {
            provider: b.provider.into(),
            status: b.status.into(),
            context_length: b.context_length.into(),
            pricing: b.pricing.map(AbiCost::from).into(),
            supports_tools: b.supports_tools.into(),
            supports_structured_output: b.supports_structured_output.into(),
            first_token_latency_ms: b.first_token_latency_ms.into(),
            throughput: b.throughput.into(),
            is_model_author: b.is_model_author.into(),
        }
    }
}

impl From<AbiBackend> for Backend {
    fn from(b: AbiBackend) -> Self {
        Backend {
            provider: string(b.provider),
            status: string(b.status),
            context_length: b.context_length.into_option(),
            pricing: b.pricing.into_option().map(Cost::from),
            supports_tools: b.supports_tools.into_option(),
            supports_structured_output: b.supports_structured_output.into_option(),
            first_token_latency_ms: b.first_token_latency_ms.into_option(),
            throughput: b.throughput.into_option(),
            is_model_author: b.is_model_author.into_option(),
        }
    }
}

/// What `AbiModelInfo`'s fixed fields cannot say, carried in its
/// `extensions` JSON object (how interface 2.x grows the struct without a
/// layout change): a key whose value is `null` marks that field unknown.
/// `{"cost": null}`: no price is known (the ABI field then holds zeros);
/// `{"supports_tools": null}`: nobody says (the ABI field then holds `true`,
/// what every interface 2.0 host has always been shown in that case). A host
/// that does not read `extensions` sees exactly what it saw before.
mod model_extensions {
    use abi_stable::std_types::RString;
    use serde_json::{Map, Value};

    use crate::{Cost, ModelInfo};

    const COST: &str = "cost";
    const SUPPORTS_TOOLS: &str = "supports_tools";

    /// The `extensions` string for `m`: empty when every field is known.
    pub(super) fn write(m: &ModelInfo) -> RString {
        if m.cost.is_some() && m.supports_tools.is_some() {
            return RString::new();
        }
        let mut unknown = Map::new();
        if m.cost.is_none() {
            unknown.insert(COST.into(), Value::Null);
        }
        if m.supports_tools.is_none() {
            unknown.insert(SUPPORTS_TOOLS.into(), Value::Null);
        }
        Value::Object(unknown).to_string().into()
    }

    /// The ABI's cost and tools fields, as the ABI struct holds them.
    pub(super) fn abi_fields(m: &ModelInfo) -> (Cost, bool) {
        (m.cost.unwrap_or_default(), m.supports_tools.unwrap_or(true))
    }

    /// The idiomatic fields from the ABI's, with what `extensions` marks unknown.
    pub(super) fn read(extensions: &str, cost: Cost, tools: bool) -> (Option<Cost>, Option<bool>) {
        if extensions.trim().is_empty() {
            return (Some(cost), Some(tools));
        }
        let fields = serde_json::from_str::<Map<String, Value>>(extensions).unwrap_or_default();
        let unknown = |key| fields.get(key).is_some_and(Value::is_null);
        (
            (!unknown(COST)).then_some(cost),
            (!unknown(SUPPORTS_TOOLS)).then_some(tools),
        )
    }
}

impl From<ModelInfo> for AbiModelInfo {
    fn from(m: ModelInfo) -> Self {
        let extensions = model_extensions::write(&m);
        let (cost, supports_tools) = model_extensions::abi_fields(&m);
        AbiModelInfo {
            id: m.id.into(),
            name: m.name.into(),
            context_window: m.context_window,
            max_tokens: m.max_tokens,
            cost: cost.into(),
            reasoning: m.reasoning,
            input: strings(m.input),
            supports_tools,
            live: m.live,
            source: m.source.as_str().into(),
            backends: m.backends.into_iter().map(Into::into).collect(),
            extensions,
        }
    }
}

impl From<&Backend> for AbiBackend {
    fn from(b: &Backend) -> Self {
        AbiBackend {
            provider: b.provider.as_str().into(),
            status: b.status.as_str().into(),
            context_length: b.context_length.into(),
            pricing: b.pricing.map(AbiCost::from).into(),
            supports_tools: b.supports_tools.into(),
            supports_structured_output: b.supports_structured_output.into(),
            first_token_latency_ms: b.first_token_latency_ms.into(),
            throughput: b.throughput.into(),
            is_model_author: b.is_model_author.into(),
        }
    }
}

/// Converts without consuming, for a plugin that keeps its catalog: one copy
/// into the ABI strings instead of a clone followed by a move.
impl From<&ModelInfo> for AbiModelInfo {
    fn from(m: &ModelInfo) -> Self {
        let (cost, supports_tools) = model_extensions::abi_fields(m);
        AbiModelInfo {
            id: m.id.as_str().into(),
            name: m.name.as_str().into(),
            context_window: m.context_window,
            max_tokens: m.max_tokens,
            cost: cost.into(),
            reasoning: m.reasoning,
            input: m.input.iter().map(|s| RString::from(s.as_str())).collect(),
            supports_tools,
            live: m.live,
            source: m.source.as_str().into(),
            backends: m.backends.iter().map(AbiBackend::from).collect(),
            extensions: model_extensions::write(m),
        }
    }
}

impl From<AbiModelInfo> for ModelInfo {
    fn from(m: AbiModelInfo) -> Self {
        let source = match m.source.as_str() {
            "discovered" => ModelSource::Discovered,
            "both" => ModelSource::Both,
            _ => ModelSource::Builtin,
        };
        let (cost, supports_tools) =
            model_extensions::read(m.extensions.as_str(), m.cost.into(), m.supports_tools);
        ModelInfo {
            id: string(m.id),
            name: string(m.name),
            context_window: m.context_window,
            max_tokens: m.max_tokens,
            cost,
            reasoning: m.reasoning,
            input: rstrings(m.input),
            supports_tools,
            live: m.live,
            source,
            backends: m.backends.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<ResolvedModel> for AbiResolvedModel {
    fn from(r: ResolvedModel) -> Self {
        AbiResolvedModel {
            model_ref: r.model_ref.into(),
            router_model: r.router_model.into(),
            suffix: ropt_string(r.suffix),
            locked: r.locked,
            verified: r.verified,
            display_name: r.display_name.into(),
            info: r.info.into(),
        }
    }
}

impl From<AbiResolvedModel> for ResolvedModel {
    fn from(r: AbiResolvedModel) -> Self {
        ResolvedModel {
            model_ref: string(r.model_ref),
            router_model: string(r.router_model),
            suffix: opt_string(r.suffix),
            locked: r.locked,
            verified: r.verified,
            display_name: string(r.display_name),
            info: r.info.into(),
        }
    }
}

impl From<RefreshReport> for AbiRefreshReport {
    fn from(r: RefreshReport) -> Self {
        let unix = r
            .fetched_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        AbiRefreshReport {
            models: r.models,
            discovered: r.discovered,
            fetched_at_unix: unix,
            extensions: RString::new(),
        }
    }
}

impl From<AbiRefreshReport> for RefreshReport {
    fn from(r: AbiRefreshReport) -> Self {
        RefreshReport {
            models: r.models,
            discovered: r.discovered,
            fetched_at: std::time::UNIX_EPOCH + Duration::from_secs(r.fetched_at_unix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(cost: Option<Cost>, supports_tools: Option<bool>) -> ModelInfo {
        ModelInfo {
            id: "org/m".into(),
            cost,
            supports_tools,
            ..ModelInfo::default()
        }
    }

    #[test]
    fn unknown_price_and_tools_cross_in_the_extensions() {
        let unknown = model(None, None);
        let abi = AbiModelInfo::from(&unknown);
        // What a host that does not read `extensions` sees: as before.
        assert_eq!((abi.cost.input, abi.cost.output), (0.0, 0.0));
        assert!(abi.supports_tools);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(abi.extensions.as_str()).unwrap(),
            serde_json::json!({ "cost": null, "supports_tools": null })
        );
        assert_eq!(ModelInfo::from(abi), unknown);
        assert_eq!(
            ModelInfo::from(AbiModelInfo::from(unknown.clone())),
            unknown
        );

        let known = model(Some(Cost::default()), Some(false));
        let abi = AbiModelInfo::from(&known);
        assert!(abi.extensions.is_empty(), "nothing to add");
        assert_eq!(ModelInfo::from(abi), known, "free is a known price");
    }

    #[test]
    fn a_plugin_without_extensions_states_both_fields() {
        let mut abi = AbiModelInfo::from(&model(Some(Cost::default()), Some(true)));
        abi.extensions = RString::new();
        let m = ModelInfo::from(abi.clone());
        assert_eq!(
            (m.cost, m.supports_tools),
            (Some(Cost::default()), Some(true))
        );
        // Unreadable or unrelated extensions change nothing.
        for text in [
            "not json",
            r#"{"later_field": 1}"#,
            r#"{"cost": {"input": 1}}"#,
        ] {
            abi.extensions = text.into();
            let m = ModelInfo::from(abi.clone());
            assert_eq!(
                (m.cost, m.supports_tools),
                (Some(Cost::default()), Some(true)),
                "{text}"
            );
        }
    }
}
