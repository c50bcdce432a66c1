//! Model refs: `huggingface/<id>[:suffix]`, as written in gateway configs.
//! The router's id grammar and its suffixes belong to this provider, so the
//! parser lives here, not in the contract: a host only passes refs through.
//!
//! The provider prefix is split off at the FIRST `/` (trimmed, case-insensitive);
//! what remains is the router's model id, sent as is. A ref without the prefix is
//! a bare id. An id is usually `<org>/<model>`, but the router may list one
//! without an org (`custom-model-a`) or with more slashes (`a/b/c-d`): any
//! non-empty id is accepted whose `/`-separated parts are non-empty and which
//! has no whitespace. Suffixes `:fastest`, `:cheapest` and `:preferred` are
//! routing policies; any other suffix names one backend.

use std::borrow::Cow;
use std::fmt;

use crate::PROVIDER_ID;

/// The longest ref, in bytes, worth looking up. The router's ids are short
/// (a Hub repo id is at most ~140 characters); anything longer is refused
/// before it is parsed, looked up or compared with the catalog, whose "did
/// you mean" work grows with the length of what is compared.
pub(crate) const MAX_REF_LEN: usize = 256;

/// How much of a refused ref an error message quotes.
const QUOTED_CHARS: usize = 48;

/// `text` as an error message may quote it: whole when short, else its
/// first characters and `…`, so a huge ref never reaches a log line.
pub(crate) fn quoted(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTED_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// The error for a ref longer than [`MAX_REF_LEN`].
pub(crate) fn too_long(text: &str) -> String {
    format!(
        "model ref longer than {MAX_REF_LEN} bytes ({} bytes): '{}'",
        text.len(),
        quoted(text)
    )
}

/// The part after `:` in a model ref.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RouteSuffix {
    /// `:fastest`: the router picks the highest-throughput backend.
    Fastest,
    /// `:cheapest`: the router picks the lowest price per output token.
    Cheapest,
    /// `:preferred`: the order set in the user's Hugging Face settings.
    Preferred,
    /// `:<provider>`: force one backend.
    Backend(String),
}

impl RouteSuffix {
    /// The suffix text without the colon.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            RouteSuffix::Fastest => "fastest",
            RouteSuffix::Cheapest => "cheapest",
            RouteSuffix::Preferred => "preferred",
            RouteSuffix::Backend(name) => name,
        }
    }

    /// Whether the router alone chooses the backend ("provider locked").
    pub(crate) fn is_locked(&self) -> bool {
        matches!(self, RouteSuffix::Fastest | RouteSuffix::Cheapest)
    }

    fn parse(text: &str) -> RouteSuffix {
        // Compared in place: resolving a ref is a hot path, and the policies
        // need no allocation.
        if text.eq_ignore_ascii_case("fastest") {
            RouteSuffix::Fastest
        } else if text.eq_ignore_ascii_case("cheapest") {
            RouteSuffix::Cheapest
        } else if text.eq_ignore_ascii_case("preferred") {
            RouteSuffix::Preferred
        } else {
            RouteSuffix::Backend(text.to_ascii_lowercase())
        }
    }
}

/// A parsed model ref.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ModelRef {
    /// The router's id (usually `org/name`), case kept.
    pub(crate) id: String,
    /// The routing suffix, if any.
    pub(crate) suffix: Option<RouteSuffix>,
}

/// Why a string is not a model ref.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid model ref '{input}': {reason}")]
pub(crate) struct ModelRefError {
    /// The text that was parsed.
    pub(crate) input: String,
    /// What is wrong with it.
    pub(crate) reason: &'static str,
}

/// A parsed model ref that borrows its id from the text it was parsed from:
/// [`ModelRef`] without allocating, for code that resolves a ref on every
/// request. Only a backend suffix (`:together`) is owned, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ModelRefStr<'a> {
    /// The router's id (usually `org/name`), case kept.
    pub(crate) id: &'a str,
    /// The routing suffix, if any.
    pub(crate) suffix: Option<RouteSuffix>,
}

impl<'a> ModelRefStr<'a> {
    /// Parses like [`ModelRef::parse`], borrowing the id from `input`.
    ///
    /// # Errors
    /// As [`ModelRef::parse`].
    pub(crate) fn parse(input: &'a str) -> Result<ModelRefStr<'a>, ModelRefError> {
        let err = |reason| ModelRefError {
            input: quoted(input).into_owned(),
            reason,
        };
        let trimmed = input.trim();
        let rest = match trimmed.bytes().position(|b| b == b'/') {
            Some(slash) if trimmed[..slash].trim().eq_ignore_ascii_case(PROVIDER_ID) => {
                trimmed[slash + 1..].trim()
            }
            _ => trimmed,
        };
        // One pass over the id (up to the first ':'): whether a part between
        // slashes is empty, and whether any byte may be whitespace or a
        // control character (only then are chars decoded). This runs on
        // every resolve; separate scans cost several times as much.
        let mut end = rest.len();
        let mut empty_part = false;
        let mut after_slash = true;
        let mut suspicious = false;
        for (i, &b) in rest.as_bytes().iter().enumerate() {
            match b {
                b':' => {
                    end = i;
                    break;
                }
                b'/' => {
                    empty_part |= after_slash;
                    after_slash = true;
                }
                _ => {
                    suspicious |= b <= b' ' || b >= 0x7f;
                    after_slash = false;
                }
            }
        }
        let id = &rest[..end];
        let suffix = (end < rest.len()).then(|| &rest[end + 1..]);
        if id.is_empty() {
            return Err(err("empty model id"));
        }
        if empty_part || after_slash {
            return Err(err(
                "a '/' at the start or end of the model id, or two in a row",
            ));
        }
        if suspicious && has_space_or_control(id) {
            return Err(err("the model id contains whitespace"));
        }
        let suffix = match suffix {
            None => None,
            Some("") => return Err(err("empty suffix after ':'")),
            // A byte test suffices: a non-ASCII character fails it either way.
            Some(s)
                if !s
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) =>
            {
                return Err(err(
                    "the suffix may only contain letters, digits, '-', '_' and '.'",
                ));
            }
            Some(s) => Some(RouteSuffix::parse(s)),
        };
        Ok(ModelRefStr { id, suffix })
    }

    /// Whether the router alone chooses the backend.
    pub(crate) fn is_locked(&self) -> bool {
        self.suffix.as_ref().is_some_and(RouteSuffix::is_locked)
    }

    /// The owned [`ModelRef`].
    pub(crate) fn into_owned(self) -> ModelRef {
        ModelRef {
            id: self.id.to_string(),
            suffix: self.suffix,
        }
    }
}

/// Whether `id` is a router id that a ref can address as `huggingface/<id>`:
/// non-empty, no empty part between slashes, no whitespace, no `:` (that
/// would read as a suffix), and short enough for that ref to be resolved
/// ([`MAX_REF_LEN`]). The id part [`ModelRefStr::parse`] accepts.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() < MAX_REF_LEN - PROVIDER_ID.len()
        && !id.contains(':')
        && !id.split('/').any(str::is_empty)
        && !has_space_or_control(id)
}

/// Whether `text` has a whitespace or control character. Ids are ASCII in
/// practice, and scanning bytes is several times cheaper than decoding chars;
/// for ASCII, "whitespace or control" is exactly `<= ' '` or DEL.
fn has_space_or_control(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b <= b' ' || b == 0x7f)
    } else {
        text.chars().any(|c| c.is_whitespace() || c.is_control())
    }
}

impl ModelRef {
    /// Parses `huggingface/<id>[:suffix]` or a bare `<id>[:suffix]`.
    ///
    /// # Errors
    /// When the id is empty, has an empty part between slashes, contains
    /// whitespace, or the suffix is empty or malformed. Text without a `/` is
    /// a valid bare id here: callers that accept aliases try them first.
    pub(crate) fn parse(input: &str) -> Result<ModelRef, ModelRefError> {
        ModelRefStr::parse(input).map(ModelRefStr::into_owned)
    }

    /// What the router receives as `model`: `<id>[:suffix]`.
    pub(crate) fn router_model(&self) -> String {
        match &self.suffix {
            Some(s) => format!("{}:{}", self.id, s.as_str()),
            None => self.id.clone(),
        }
    }
}

impl fmt::Display for ModelRef {
    /// The canonical form, `huggingface/<id>[:suffix]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PROVIDER_ID}/{}", self.router_model())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_bare_and_suffixed_refs() {
        let r = ModelRef::parse("huggingface/deepseek-ai/DeepSeek-R1:cheapest").unwrap();
        assert_eq!(r.id, "deepseek-ai/DeepSeek-R1");
        assert_eq!(r.suffix, Some(RouteSuffix::Cheapest));
        assert!(r.suffix.as_ref().is_some_and(RouteSuffix::is_locked));
        assert_eq!(r.router_model(), "deepseek-ai/DeepSeek-R1:cheapest");
        assert_eq!(
            r.to_string(),
            "huggingface/deepseek-ai/DeepSeek-R1:cheapest"
        );

        let r = ModelRef::parse("  HuggingFace / Qwen/Qwen3-8B:together ").unwrap();
        assert_eq!(r.id, "Qwen/Qwen3-8B");
        assert_eq!(r.suffix, Some(RouteSuffix::Backend("together".into())));
        assert!(!r.suffix.as_ref().is_some_and(RouteSuffix::is_locked));

        let r = ModelRef::parse("meta-llama/Llama-3.3-70B-Instruct").unwrap();
        assert_eq!(r.suffix, None);
        assert_eq!(
            r.to_string(),
            "huggingface/meta-llama/Llama-3.3-70B-Instruct"
        );
    }

    #[test]
    fn ids_without_an_org_or_with_several_slashes_are_refs_too() {
        let r = ModelRef::parse("huggingface/custom-model-a:fastest").unwrap();
        assert_eq!(
            (r.id.as_str(), r.suffix.clone()),
            ("custom-model-a", Some(RouteSuffix::Fastest))
        );
        assert_eq!(r.to_string(), "huggingface/custom-model-a:fastest");
        let r = ModelRef::parse("huggingface/a/b/c-d").unwrap();
        assert_eq!(r.id, "a/b/c-d");
        assert_eq!(r.router_model(), "a/b/c-d");
        assert_eq!(ModelRef::parse("a/b/c-d").unwrap().id, "a/b/c-d");
        // An org called huggingface needs the prefix, as the first '/' splits it.
        assert_eq!(
            ModelRef::parse("huggingface/huggingface/x").unwrap().id,
            "huggingface/x"
        );
    }

    #[test]
    fn rejects_malformed_refs() {
        for bad in [
            "DeepSeek R1",
            "huggingface/",
            "huggingface/org/model:",
            "org/mo del",
            "org/model:to gether",
            "/model",
            "org/",
            "a//b",
            "huggingface/:fastest",
            "",
        ] {
            assert!(ModelRef::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    /// The rules as first written (separate scans, chars not bytes): the
    /// single-pass parse must agree with them on every input, reason included.
    fn reference_parse(input: &str) -> Result<(String, Option<String>), &'static str> {
        let trimmed = input.trim();
        let rest = match trimmed.split_once('/') {
            Some((p, rest)) if p.trim().eq_ignore_ascii_case(PROVIDER_ID) => rest.trim(),
            _ => trimmed,
        };
        let (id, suffix) = match rest.split_once(':') {
            Some((id, s)) => (id, Some(s)),
            None => (rest, None),
        };
        if id.is_empty() {
            return Err("empty model id");
        }
        if id.split('/').any(str::is_empty) {
            return Err("a '/' at the start or end of the model id, or two in a row");
        }
        if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the model id contains whitespace");
        }
        match suffix {
            Some("") => Err("empty suffix after ':'"),
            Some(s)
                if !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) =>
            {
                Err("the suffix may only contain letters, digits, '-', '_' and '.'")
            }
            _ => Ok((id.to_string(), suffix.map(str::to_ascii_lowercase))),
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_char_level_rules(
            input in "(huggingface|HuggingFace| hf)?[ /]?[a-zA-Z0-9\\-_ \t\u{b}\u{7f}\u{85}\u{a0}é]{0,6}/?/?[a-zA-Z0-9._\\- \u{2003}\u{1}]{0,8}/?[a-z]{0,2}(:[a-zA-Z0-9_\\-. é]{0,6})?"
        ) {
            let expected = reference_parse(&input);
            let got = ModelRefStr::parse(&input)
                .map(|r| (r.id.to_string(), r.suffix.map(|s| s.as_str().to_string())))
                .map_err(|e| e.reason);
            // Every id a ref yields is a valid id, and addresses itself.
            if let Ok((id, _)) = &got {
                proptest::prop_assert!(is_valid_id(id));
                let canonical = format!("{PROVIDER_ID}/{id}");
                proptest::prop_assert_eq!(ModelRefStr::parse(&canonical).map(|r| r.id), Ok(id.as_str()));
            }
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
