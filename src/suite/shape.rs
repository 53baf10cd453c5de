//! Stage-1 types for nodes that the format allows in several shapes (one or
//! a list, a keyword or a map, a number or a string). Each deserializes with
//! a visitor over the real YAML node, so that errors keep their position
//! (serde's untagged enums would buffer the node and lose it), and writes its
//! JSON Schema by hand as an `anyOf`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// `x` or `[x, y]`.
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    /// The items, a single one as a one-item list.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(x) => vec![x.clone()],
            OneOrMany::Many(xs) => xs.clone(),
        }
    }
}

/// A bare keyword (`login`) or a map (`{send: ...}`).
#[derive(Debug, Clone, PartialEq)]
pub enum StrOr<S, M> {
    Word(S),
    Map(M),
}

/// `5s`, `500ms`, `2m` or a number of seconds; parsed in stage 2.
#[derive(Debug, Clone, PartialEq)]
pub enum RawDuration {
    Text(String),
    Secs(f64),
}

/// `226` or `"2xx"` / `"25x"`; checked in stage 2.
#[derive(Debug, Clone, PartialEq)]
pub enum RawCode {
    Num(i64),
    Text(String),
}

/// A reply expectation: codes (`226`, `"2xx"`, `[125, 150]`) or the map
/// form `M` (`raw::RawExpect` names it).
#[derive(Debug, Clone, PartialEq)]
pub enum CodesOr<M> {
    Codes(OneOrMany<RawCode>),
    Full(Box<M>),
}

// ------------------------------------------------------------------ visitors

/// Forwards each scalar kind to `$target` through its `into_deserializer`.
macro_rules! forward_scalars {
    ($wrap:expr, $target:ty) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            <$target>::deserialize(v.into_deserializer()).map($wrap)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            <$target>::deserialize(v.into_deserializer()).map($wrap)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            <$target>::deserialize(v.into_deserializer()).map($wrap)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            <$target>::deserialize(v.into_deserializer()).map($wrap)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            <$target>::deserialize(v.into_deserializer()).map($wrap)
        }
    };
}

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("one value or a list of values")
    }

    forward_scalars!(OneOrMany::One, T);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(OneOrMany::One)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}

struct StrOrVisitor<S, M>(PhantomData<(S, M)>);

impl<'de, S: Deserialize<'de>, M: Deserialize<'de>> Visitor<'de> for StrOrVisitor<S, M> {
    type Value = StrOr<S, M>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a keyword or a map")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        S::deserialize(v.into_deserializer()).map(StrOr::Word)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        M::deserialize(MapAccessDeserializer::new(map)).map(StrOr::Map)
    }
}

impl<'de, S: Deserialize<'de>, M: Deserialize<'de>> Deserialize<'de> for StrOr<S, M> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrOrVisitor(PhantomData))
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = RawDuration;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration such as 5s, 500ms, 2m or a number of seconds")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawDuration, E> {
        Ok(RawDuration::Secs(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawDuration, E> {
        Ok(RawDuration::Secs(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawDuration, E> {
        Ok(RawDuration::Secs(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDuration, E> {
        Ok(RawDuration::Text(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurationVisitor)
    }
}

struct CodeVisitor;

impl Visitor<'_> for CodeVisitor {
    type Value = RawCode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a reply code (226) or class (\"2xx\", \"25x\")")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawCode, E> {
        Ok(RawCode::Num(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawCode, E> {
        Ok(RawCode::Num(i64::try_from(v).unwrap_or(i64::MAX)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawCode, E> {
        Ok(RawCode::Text(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for RawCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CodeVisitor)
    }
}

struct ExpectVisitor<M>(PhantomData<M>);

impl<'de, M: Deserialize<'de>> Visitor<'de> for ExpectVisitor<M> {
    type Value = CodesOr<M>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a reply code, a class like \"2xx\", a list of them, or a map with `code:`")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<CodesOr<M>, E> {
        Ok(CodesOr::Codes(OneOrMany::One(RawCode::Num(v))))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<CodesOr<M>, E> {
        CodeVisitor
            .visit_u64(v)
            .map(|c| CodesOr::Codes(OneOrMany::One(c)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<CodesOr<M>, E> {
        Ok(CodesOr::Codes(OneOrMany::One(RawCode::Text(v.to_string()))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<CodesOr<M>, A::Error> {
        let codes = Vec::<RawCode>::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(CodesOr::Codes(OneOrMany::Many(codes)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CodesOr<M>, A::Error> {
        let full = M::deserialize(MapAccessDeserializer::new(map))?;
        Ok(CodesOr::Full(Box::new(full)))
    }
}

impl<'de, M: Deserialize<'de>> Deserialize<'de> for CodesOr<M> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExpectVisitor(PhantomData))
    }
}

// ------------------------------------------------------------------- schemas

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("{}::OneOrMany<{}>", module_path!(), T::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let one = generator.subschema_for::<T>();
        json_schema!({ "anyOf": [one, { "type": "array", "items": one }] })
    }
}

impl<S: JsonSchema, M: JsonSchema> JsonSchema for StrOr<S, M> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}_or_{}", S::schema_name(), M::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        let (s, m) = (S::schema_id(), M::schema_id());
        format!("{}::StrOr<{s},{m}>", module_path!()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let word = generator.subschema_for::<S>();
        let map = generator.subschema_for::<M>();
        json_schema!({ "anyOf": [word, map] })
    }
}

impl JsonSchema for RawDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "5s, 500ms, 2m, or a number of seconds",
            "anyOf": [
                { "type": "string", "pattern": r"^\s*([0-9]+\.?[0-9]*|\.[0-9]+)\s*(ms|s|m)?\s*$" },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

impl JsonSchema for RawCode {
    fn schema_name() -> Cow<'static, str> {
        "Code".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "a reply code (226), a class (\"2xx\") or a group (\"25x\")",
            "anyOf": [
                { "type": "integer", "minimum": 100, "maximum": 599 },
                { "type": "string", "pattern": "^[1-5]([0-9][0-9]|[0-9][xX]|[xX][xX])$" }
            ]
        })
    }
}

impl<M: JsonSchema> JsonSchema for CodesOr<M> {
    fn schema_name() -> Cow<'static, str> {
        "Expect".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let codes = generator.subschema_for::<OneOrMany<RawCode>>();
        let full = generator.subschema_for::<M>();
        json_schema!({ "anyOf": [codes, full] })
    }
}
