//! Typed, lenient deserialization of the model list.
//!
//! Building a `serde_json::Value` tree of a multi-MB list (a map allocation
//! per object, every unknown field kept) dominated the refresh cost. These
//! wire types are read straight from the bytes instead, and stay exactly as
//! tolerant: every field is a [`Loose`] value that is `Some` only when the JSON
//! has the expected type and quietly `None` otherwise (the value is skipped,
//! not the row); unknown fields are skipped without allocating.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Visitor methods that turn every scalar (and null) into `$none`.
macro_rules! ignore_scalars {
    ($none:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
    };
}

/// Visitor methods that skip arrays and objects, giving `$none`.
macro_rules! ignore_compounds {
    ($none:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($none)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($none)
        }
    };
}

/// A field of the expected JSON type, or `None` for anything else (or absent).
#[derive(Debug)]
pub(super) struct Loose<T>(pub(super) Option<T>);

// Not derived: a derive would require `T: Default`.
impl<T> Default for Loose<T> {
    fn default() -> Self {
        Loose(None)
    }
}

/// A JSON number as sent, so integer and float rules can be applied later
/// exactly as `serde_json::Value::{as_u64, as_f64}` would.
#[derive(Debug, Clone, Copy)]
pub(super) enum Num {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

impl Num {
    pub(super) fn as_u64(self) -> Option<u64> {
        match self {
            Num::PosInt(n) => Some(n),
            _ => None,
        }
    }

    pub(super) fn as_f64(self) -> f64 {
        match self {
            Num::PosInt(n) => n as f64,
            Num::NegInt(n) => n as f64,
            Num::Float(n) => n,
        }
    }
}

/// Marker for the object types below, read through [`Loose`] when the JSON
/// value is an object and skipped otherwise.
pub(super) trait LooseObject: for<'de> Deserialize<'de> {}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireList {
    #[serde(default)]
    pub(super) data: Option<Vec<Loose<WireRow>>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireRow {
    #[serde(default)]
    pub(super) id: Loose<String>,
    #[serde(default)]
    pub(super) created: Loose<Num>,
    #[serde(default)]
    pub(super) owned_by: Loose<String>,
    #[serde(default)]
    pub(super) name: Loose<String>,
    #[serde(default)]
    pub(super) title: Loose<String>,
    #[serde(default)]
    pub(super) display_name: Loose<String>,
    #[serde(default)]
    pub(super) architecture: Loose<WireArchitecture>,
    #[serde(default)]
    pub(super) providers: Loose<Vec<Loose<WireBackend>>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireArchitecture {
    #[serde(default)]
    pub(super) input_modalities: Loose<Vec<Loose<String>>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireBackend {
    #[serde(default)]
    pub(super) provider: Loose<String>,
    #[serde(default)]
    pub(super) status: Loose<String>,
    #[serde(default)]
    pub(super) context_length: Loose<Num>,
    #[serde(default)]
    pub(super) pricing: Loose<WirePricing>,
    #[serde(default)]
    pub(super) is_free: Loose<bool>,
    #[serde(default)]
    pub(super) supports_tools: Loose<bool>,
    #[serde(default)]
    pub(super) supports_structured_output: Loose<bool>,
    #[serde(default)]
    pub(super) first_token_latency_ms: Loose<Num>,
    #[serde(default)]
    pub(super) throughput: Loose<Num>,
    #[serde(default)]
    pub(super) is_model_author: Loose<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WirePricing {
    #[serde(default)]
    pub(super) input: Loose<Num>,
    #[serde(default)]
    pub(super) output: Loose<Num>,
}

impl LooseObject for WireRow {}
impl LooseObject for WireArchitecture {}
impl LooseObject for WireBackend {}
impl LooseObject for WirePricing {}

/// The top level: `{"data": [...]}` or a bare array of rows. `None` for any
/// other JSON (the caller reports it).
pub(super) enum WireTop {
    Rows(Vec<Loose<WireRow>>),
    NoData,
}

impl<'de> Deserialize<'de> for WireTop {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TopVisitor;
        impl<'de> Visitor<'de> for TopVisitor {
            type Value = WireTop;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a model list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<WireTop, A::Error> {
                let rows =
                    Vec::<Loose<WireRow>>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(WireTop::Rows(rows))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<WireTop, A::Error> {
                let list = WireList::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(list.data.map_or(WireTop::NoData, WireTop::Rows))
            }
            ignore_scalars!(WireTop::NoData);
        }
        d.deserialize_any(TopVisitor)
    }
}

/// Any JSON value, reduced to the scalar kinds the wire types ask for; arrays
/// and objects are skipped. One visitor serves every scalar field type.
enum Scalar {
    Str(String),
    Bool(bool),
    Num(Num),
    Other,
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(Num::PosInt(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        // serde_json reports non-negative integers through visit_u64.
        Ok(Scalar::Num(Num::NegInt(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Num(Num::Float(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    ignore_compounds!(Scalar::Other);
}

/// `Loose<$ty>` keeps the value when it is a `Scalar::$kind`.
macro_rules! loose_scalar {
    ($ty:ty, $kind:ident) => {
        impl<'de> Deserialize<'de> for Loose<$ty> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Loose(match d.deserialize_any(ScalarVisitor)? {
                    Scalar::$kind(v) => Some(v),
                    _ => None,
                }))
            }
        }
    };
}

loose_scalar!(String, Str);
loose_scalar!(bool, Bool);
loose_scalar!(Num, Num);

struct SeqVisitor<T>(PhantomData<T>);

impl<'de, T> Visitor<'de> for SeqVisitor<T>
where
    Loose<T>: Deserialize<'de>,
{
    type Value = Loose<Vec<Loose<T>>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element::<Loose<T>>()? {
            items.push(item);
        }
        Ok(Loose(Some(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
    ignore_scalars!(Loose(None));
}

impl<'de, T> Deserialize<'de> for Loose<Vec<Loose<T>>>
where
    Loose<T>: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SeqVisitor::<T>(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: LooseObject> Visitor<'de> for ObjectVisitor<T> {
    type Value = Loose<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Loose(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
    ignore_scalars!(Loose(None));
}

impl<'de, T: LooseObject> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectVisitor::<T>(PhantomData))
    }
}
