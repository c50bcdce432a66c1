//! Failover across a chain of models: the requested one, then the configured
//! fallbacks.
//!
//! The chain advances only on errors another model may not have
//! ([`ErrorKind::advances_failover`]: auth, billing, rate limits and overload
//! after the plugin's own retries, timeouts, network failures, an unknown or
//! unsupported model), and only before any output reached the caller: once
//! text has streamed, an error ends the turn. Cancellation and invalid
//! requests never advance.

use std::pin::Pin;
use std::task::{Context, Poll};

#[cfg(doc)]
use provider_abi::ErrorKind;
use provider_abi::{ChatEvent, ChatRequest, ProviderError};

use crate::provider::Provider;
use crate::response::ChatResponse;
use crate::stream::ChatStream;

/// One failed attempt: a retry inside the plugin, or a model that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The model ref that was tried.
    pub model: String,
    /// Why it failed.
    pub error: ProviderError,
}

/// The requested model followed by the fallbacks, duplicates removed (refs are
/// compared after trimming, case-sensitively, as the router compares ids).
pub fn failover_chain(primary: &str, fallbacks: &[String]) -> Vec<String> {
    let mut chain: Vec<String> = Vec::new();
    for model in std::iter::once(primary).chain(fallbacks.iter().map(String::as_str)) {
        let model = model.trim();
        if !model.is_empty() && !chain.iter().any(|m| m == model) {
            chain.push(model.to_string());
        }
    }
    chain
}

/// An empty or blank ref anywhere in the chain, as the `InvalidRequest`
/// error the turn ends with before anything is sent. A blank fallback is
/// refused up front too, not skipped: a config mistake then shows on the
/// first turn rather than on the day the primary model fails.
pub(crate) fn blank_ref(primary: &str, fallbacks: &[String]) -> Option<(String, ProviderError)> {
    let blank = |reason: String| {
        ProviderError::new(
            provider_abi::ErrorKind::InvalidRequest,
            format!("{reason}: expected huggingface/<org>/<model>[:suffix]"),
        )
    };
    if primary.trim().is_empty() {
        return Some((primary.to_string(), blank("empty model ref".into())));
    }
    fallbacks.iter().position(|f| f.trim().is_empty()).map(|i| {
        (
            fallbacks[i].clone(),
            blank(format!("fallback {} is an empty model ref", i + 1)),
        )
    })
}

/// A completion that fails over along a chain of models. Yields the events of
/// whichever model answers; [`FailoverStream::attempts`] records every failure
/// (including the plugin's retries) and [`FailoverStream::answered_by`] the
/// model that answered.
pub struct FailoverStream {
    provider: Provider,
    request: ChatRequest,
    chain: Vec<String>,
    index: usize,
    current: Option<ChatStream>,
    current_ref: Option<String>,
    output_started: bool,
    finished: bool,
    attempts: Vec<Attempt>,
    /// A chain refused before any attempt (see `blank_ref`).
    refused: Option<(String, ProviderError)>,
}

impl std::fmt::Debug for FailoverStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailoverStream")
            .field("chain", &self.chain)
            .field("index", &self.index)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl FailoverStream {
    pub(crate) fn new(
        provider: Provider,
        request: ChatRequest,
        chain: Vec<String>,
        refused: Option<(String, ProviderError)>,
    ) -> Self {
        FailoverStream {
            refused,
            chain,
            provider,
            request,
            index: 0,
            current: None,
            current_ref: None,
            output_started: false,
            finished: false,
            attempts: Vec::new(),
        }
    }

    /// Every failed attempt so far, in order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The canonical ref of the model currently answering (or last tried).
    pub fn answered_by(&self) -> Option<&str> {
        self.current_ref.as_deref()
    }

    /// Whether a model other than the requested one is answering.
    pub fn fell_back(&self) -> bool {
        self.index > 0
    }

    /// Cancels the current attempt; the stream ends with a `Cancelled` error.
    pub fn cancel(&self) {
        if let Some(stream) = &self.current {
            stream.cancel();
        }
    }

    /// The next event, the error that ended the turn, or `None` at its end.
    pub async fn next(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// Reads the stream to its end and folds it into one answer.
    ///
    /// # Errors
    /// The error that ended the turn; the attempts stay readable on `self`.
    pub async fn collect(&mut self) -> Result<ChatResponse, ProviderError> {
        let mut response = ChatResponse::default();
        while let Some(item) = self.next().await {
            response.apply(&item?);
        }
        Ok(response)
    }

    /// Records a failure; returns the error if the turn ends with it.
    fn fail(&mut self, model: String, error: ProviderError) -> Option<ProviderError> {
        self.attempts.push(Attempt {
            model,
            error: error.clone(),
        });
        self.current = None;
        let can_advance = !self.output_started
            && error.kind.advances_failover()
            && self.index + 1 < self.chain.len();
        if can_advance {
            self.index += 1;
            tracing::warn!(
                next = self.chain[self.index].as_str(),
                "model failed ({error}); falling back"
            );
            None
        } else {
            self.finished = true;
            Some(error)
        }
    }

    fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ChatEvent, ProviderError>>> {
        if let Some((model, error)) = self.refused.take() {
            self.current_ref = Some(model.clone());
            self.attempts.push(Attempt {
                model,
                error: error.clone(),
            });
            self.finished = true;
            return Poll::Ready(Some(Err(error)));
        }
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if self.current.is_none() {
                let Some(model) = self.chain.get(self.index).cloned() else {
                    self.finished = true;
                    return Poll::Ready(None);
                };
                match self.provider.resolve(&model) {
                    Ok(resolved) => {
                        let request = ChatRequest {
                            model: resolved.model_ref.clone(),
                            ..self.request.clone()
                        };
                        self.current_ref = Some(resolved.model_ref);
                        self.current = Some(self.provider.complete(request));
                    }
                    Err(error) => {
                        self.current_ref = Some(model.clone());
                        if let Some(e) = self.fail(model, error) {
                            return Poll::Ready(Some(Err(e)));
                        }
                        continue;
                    }
                }
            }
            let Some(stream) = self.current.as_mut() else {
                continue;
            };
            match stream.poll_item(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(event))) => {
                    if event.is_output() {
                        self.output_started = true;
                    }
                    if let ChatEvent::Retrying { error, .. } = &event {
                        self.attempts.push(Attempt {
                            model: self.current_ref.clone().unwrap_or_default(),
                            error: error.clone(),
                        });
                    }
                    return Poll::Ready(Some(Ok(event)));
                }
                Poll::Ready(Some(Err(error))) => {
                    let model = self.current_ref.clone().unwrap_or_default();
                    if let Some(e) = self.fail(model, error) {
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Poll::Ready(None) => {
                    self.finished = true;
                    self.current = None;
                    return Poll::Ready(None);
                }
            }
        }
    }
}

impl futures_core::Stream for FailoverStream {
    type Item = Result<ChatEvent, ProviderError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_dedups_and_keeps_order() {
        let chain = failover_chain(
            "huggingface/a/b",
            &[
                "huggingface/c/d".into(),
                " huggingface/a/b ".into(),
                "huggingface/c/d".into(),
                "".into(),
            ],
        );
        assert_eq!(chain, vec!["huggingface/a/b", "huggingface/c/d"]);
    }

    #[test]
    fn a_blank_ref_anywhere_is_an_invalid_request() {
        assert!(blank_ref("huggingface/a/b", &["huggingface/c/d".into()]).is_none());
        let (model, e) = blank_ref("  ", &[]).unwrap();
        assert_eq!(model, "  ");
        assert_eq!(e.kind, provider_abi::ErrorKind::InvalidRequest);
        assert!(e.message.starts_with("empty model ref"), "{e}");
        let (_, e) = blank_ref("huggingface/a/b", &["x/y".into(), "".into()]).unwrap();
        assert!(
            e.message.starts_with("fallback 2 is an empty model ref"),
            "{e}"
        );
    }
}
