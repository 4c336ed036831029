//! Query-string parameters, parsed strictly: unknown names, repeated names, non-numbers,
//! NaN and infinities are all answered with a 400 that says what is accepted.
//!
//! An endpoint's parameters are one Rust type (see [`Query`]): a struct deriving
//! `serde::Deserialize` and `schemars::JsonSchema`, its fields the accepted names, its doc
//! comments and `#[schemars(range(…))]` caps the OpenAPI document's parameters
//! ([`QuerySpec`], read by `openapi.rs`) and the limits the parser applies: the names a
//! handler takes and the names the document lists are the same by construction.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, RwLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::Deserializer;
use serde_json::Value;

use crate::error::{AppError, Result};

/// Longest accepted value of any single parameter, in bytes: nothing we take (numbers,
/// codes, a search text) is longer, and it bounds the work spent on a hostile query.
pub const MAX_PARAM_BYTES: usize = 1_000;

/// The query string of a request as (name, value) pairs, in order.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let axum::extract::Query(pairs) =
            axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|e| AppError::bad(format!("malformed query string: {e}")))?;
        if let Some((k, _)) = pairs.iter().find(|(_, v)| v.len() > MAX_PARAM_BYTES) {
            return Err(AppError::bad(format!(
                "parameter '{k}' is longer than {MAX_PARAM_BYTES} bytes"
            )));
        }
        Ok(Params(pairs))
    }
}

impl Params {
    /// Builds from pairs (tests).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Params(pairs)
    }

    /// Rejects any parameter not in `accepted`, naming the accepted ones.
    pub fn allow(&self, accepted: &[&str]) -> Result<()> {
        for (k, _) in &self.0 {
            if !accepted.contains(&k.as_str()) {
                return Err(AppError::bad(if accepted.is_empty() {
                    format!("unknown parameter '{k}': this endpoint takes no parameters")
                } else {
                    format!("unknown parameter '{k}'; accepted: {}", accepted.join(", "))
                }));
            }
        }
        Ok(())
    }

    /// The parameters read into `T`, strictly: names not among `T`'s fields, names given
    /// twice and required ones missing are refused before any value is read; numbers must be
    /// finite, whole numbers within the field's `#[schemars(range(…))]`.
    pub fn parse<T: DeserializeOwned + JsonSchema + 'static>(&self) -> Result<T> {
        let spec = QuerySpec::of::<T>();
        self.allow(&spec.names())?;
        for (i, (k, _)) in self.0.iter().enumerate() {
            if self.0[..i].iter().any(|(seen, _)| seen == k) {
                return Err(AppError::bad(format!(
                    "parameter '{k}' is given more than once; give it once"
                )));
            }
        }
        for p in spec.params.iter().filter(|p| p.required) {
            if !self
                .0
                .iter()
                .any(|(k, v)| k == p.name && !v.trim().is_empty())
            {
                return Err(AppError::bad(format!(
                    "parameter '{}' is required: {}",
                    p.name,
                    lower_first(&p.description)
                )));
            }
        }
        T::deserialize(PairsDe {
            pairs: &self.0,
            spec: &spec,
        })
        .map_err(|e| AppError::bad(e.0))
    }

    /// Whether the parameter is present (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The value of a parameter given at most once.
    pub fn str(&self, name: &str) -> Result<Option<&str>> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(AppError::bad(format!(
                "parameter '{name}' is given more than once; give it once"
            )));
        }
        Ok(first.map(|(_, v)| v.as_str()))
    }

    /// A required text parameter.
    pub fn required_str(&self, name: &str, what: &str) -> Result<&str> {
        required(name, self.str(name)?, what)
    }

    /// A finite number.
    pub fn f64(&self, name: &str) -> Result<Option<f64>> {
        self.str(name)?.map(|v| parse_f64(name, v)).transpose()
    }

    /// A whole number within `min..=max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>> {
        self.str(name)?
            .map(|v| parse_int(name, v, min, max))
            .transpose()
    }
}

/// A handler's query parameters, read from the query string into `T` by
/// [`Params::parse`]: `T`'s fields are the accepted names, in the order the 400 for an
/// unknown name lists them and the OpenAPI document gives them.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + JsonSchema + 'static> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        Params::from_request_parts(parts, state)
            .await?
            .parse()
            .map(Query)
    }
}

/// No query parameter: an endpoint that takes none answers any with a 400.
#[derive(Debug, serde::Deserialize, JsonSchema)]
pub struct NoParams {}

/// One query parameter of a [`QuerySpec`].
#[derive(Debug, Clone)]
pub struct QueryParam {
    /// Its name (the field's, as serde reads it).
    pub name: &'static str,
    /// Its description: the field's doc comment.
    pub description: String,
    /// Whether it must be given (a field that is not an `Option`).
    pub required: bool,
    /// Its schema (OpenAPI 3.0), without the description.
    pub schema: Value,
    /// The smallest and largest whole number accepted, from the schema.
    min: Option<i64>,
    max: Option<i64>,
}

/// The query parameters of a type, in the order of its fields: what [`Params::parse`]
/// accepts and what the OpenAPI document lists.
#[derive(Debug)]
pub struct QuerySpec {
    /// One per field.
    pub params: Vec<QueryParam>,
}

/// Every type's spec, made once.
static SPECS: LazyLock<RwLock<HashMap<TypeId, Arc<QuerySpec>>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

impl QuerySpec {
    /// The spec of `T`, a struct with named fields (anything else is a bug, and panics).
    pub fn of<T: DeserializeOwned + JsonSchema + 'static>() -> Arc<QuerySpec> {
        let id = TypeId::of::<T>();
        if let Some(spec) = SPECS.read().ok().and_then(|m| m.get(&id).cloned()) {
            return spec;
        }
        let spec = Arc::new(Self::make::<T>());
        if let Ok(mut m) = SPECS.write() {
            m.insert(id, spec.clone());
        }
        spec
    }

    fn make<T: DeserializeOwned + JsonSchema>() -> QuerySpec {
        let ty = std::any::type_name::<T>();
        let fields = match T::deserialize(FieldProbe) {
            Err(ProbeEnd(Some(fields))) => fields,
            _ => panic!("query parameters {ty} are not a struct with named fields"),
        };
        let root = SchemaSettings::openapi3()
            .for_deserialize()
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value();
        let required: Vec<&str> = root["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let params = fields
            .iter()
            .map(|&name| {
                let Some(Value::Object(schema)) = root["properties"].get(name) else {
                    panic!("query parameters {ty}: field {name} has no schema property");
                };
                let mut schema = schema.clone();
                let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
                let description = [
                    text(schema.remove("title")),
                    text(schema.remove("description")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(". ")
                // A doc comment's line breaks are not the description's.
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
                // An absent parameter is the `None`; a given one has a value: an `Option`'s
                // null is no value a query can give.
                schema.remove("nullable");
                if let Some(inner) = not_null(&schema) {
                    schema = inner;
                }
                if let Some(Value::Array(values)) = schema.get_mut("enum") {
                    values.retain(|v| !v.is_null());
                }
                let bound = |k: &str| {
                    schema
                        .get(k)
                        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
                };
                QueryParam {
                    name,
                    required: required.contains(&name),
                    min: bound("minimum"),
                    max: bound("maximum"),
                    description,
                    schema: Value::Object(schema),
                }
            })
            .collect();
        QuerySpec { params }
    }

    /// The accepted names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.params.iter().map(|p| p.name).collect()
    }

    fn param(&self, name: &str) -> Option<&QueryParam> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// The schema of an `Option<T>` written as `anyOf: [T, null]`: `T`'s (its own description,
/// the type's rather than the field's, left out).
fn not_null(schema: &serde_json::Map<String, Value>) -> Option<serde_json::Map<String, Value>> {
    let any_of = schema.get("anyOf")?.as_array()?;
    let is_null =
        |s: &Value| s.get("nullable") == Some(&Value::Bool(true)) && s.get("type").is_none();
    let [one] = any_of.iter().filter(|s| !is_null(s)).collect::<Vec<_>>()[..] else {
        return None;
    };
    let mut one = one.as_object()?.clone();
    one.remove("description");
    one.remove("title");
    Some(one)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Reads the field names of a struct: its `Deserialize` names them to `deserialize_struct`.
struct FieldProbe;

/// The end of a [`FieldProbe`]: the field names, or none (not a struct).
#[derive(Debug)]
struct ProbeEnd(Option<&'static [&'static str]>);

impl fmt::Display for ProbeEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field probe")
    }
}

impl std::error::Error for ProbeEnd {}

impl de::Error for ProbeEnd {
    fn custom<M: fmt::Display>(_: M) -> Self {
        ProbeEnd(None)
    }
}

impl<'de> Deserializer<'de> for FieldProbe {
    type Error = ProbeEnd;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, ProbeEnd> {
        Err(ProbeEnd(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> std::result::Result<V::Value, ProbeEnd> {
        Err(ProbeEnd(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// An error of [`Params::parse`]: the whole message of the 400.
#[derive(Debug)]
struct ParamError(String);

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParamError {}

impl de::Error for ParamError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        ParamError(msg.to_string())
    }
}

impl From<AppError> for ParamError {
    fn from(e: AppError) -> Self {
        ParamError(e.to_string())
    }
}

/// The query string as a map, for a struct's `Deserialize` (names already checked).
struct PairsDe<'a> {
    pairs: &'a [(String, String)],
    spec: &'a QuerySpec,
}

impl<'de> Deserializer<'de> for PairsDe<'_> {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, ParamError> {
        v.visit_map(PairsAccess {
            pairs: self.pairs.iter(),
            value: None,
            spec: self.spec,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct PairsAccess<'a> {
    pairs: std::slice::Iter<'a, (String, String)>,
    value: Option<&'a (String, String)>,
    spec: &'a QuerySpec,
}

impl<'de> de::MapAccess<'de> for PairsAccess<'_> {
    type Error = ParamError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, ParamError> {
        let Some(pair) = self.pairs.next() else {
            return Ok(None);
        };
        self.value = Some(pair);
        seed.deserialize(pair.0.as_str().into_deserializer())
            .map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, ParamError> {
        let (name, value) = self
            .value
            .take()
            .ok_or_else(|| ParamError("a value without its name".into()))?;
        let p = self.spec.param(name);
        seed.deserialize(ValueDe {
            name,
            value,
            min: p.and_then(|p| p.min),
            max: p.and_then(|p| p.max),
        })
        .map_err(|e| {
            if e.0.contains(&format!("parameter '{name}'")) {
                e
            } else {
                ParamError(format!("parameter '{name}': {e}"))
            }
        })
    }
}

/// The `newtype_struct` name [`clamped`] asks for.
const CLAMPED: &str = "$quyhoach::params::clamped";

/// `#[serde(default, deserialize_with = "clamped")]` on an `Option<i64>` parameter: a
/// whole number from the schema's `minimum`, where values over its `maximum` are read as the
/// maximum instead of refused (OGC API - Features' `limit`, /req/core/fc-limit-response-1).
pub fn clamped<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    struct Whole;
    impl<'de> Visitor<'de> for Whole {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<i64, E> {
            Ok(v)
        }
    }
    d.deserialize_newtype_struct(CLAMPED, Whole).map(Some)
}

/// One parameter's value, read as the field's type asks: numbers strictly, with the
/// schema's range.
struct ValueDe<'a> {
    name: &'a str,
    value: &'a str,
    min: Option<i64>,
    max: Option<i64>,
}

impl ValueDe<'_> {
    fn int(&self) -> Result<i64> {
        parse_int(
            self.name,
            self.value,
            self.min.unwrap_or(i64::MIN),
            self.max.unwrap_or(i64::MAX),
        )
    }
}

macro_rules! whole_numbers {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, ParamError> {
            v.visit_i64(self.int()?)
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueDe<'_> {
    type Error = ParamError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, ParamError> {
        v.visit_str(self.value)
    }

    fn deserialize_option<V: Visitor<'de>>(
        self,
        v: V,
    ) -> std::result::Result<V::Value, ParamError> {
        v.visit_some(self)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, ParamError> {
        v.visit_f64(parse_f64(self.name, self.value)?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> std::result::Result<V::Value, ParamError> {
        self.deserialize_f64(v)
    }

    whole_numbers! { deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
    deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> std::result::Result<V::Value, ParamError> {
        if name != CLAMPED {
            return v.visit_newtype_struct(self);
        }
        let n = parse_int(
            self.name,
            self.value,
            self.min.unwrap_or(i64::MIN),
            i64::MAX,
        )?;
        v.visit_i64(self.max.map_or(n, |max| n.min(max)))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> std::result::Result<V::Value, ParamError> {
        if !variants.contains(&self.value) {
            let (last, first) = variants.split_last().unwrap_or((&"", &[]));
            let one_of = if first.is_empty() {
                last.to_string()
            } else {
                format!("{} or {last}", first.join(", "))
            };
            return Err(ParamError(format!(
                "parameter '{}' must be {one_of}, got '{}'",
                self.name,
                clip(self.value)
            )));
        }
        v.visit_enum(self.value.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        bool i128 u128 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// A text parameter that must be given here, not blank: `what` says what it is.
pub fn required<'a>(name: &str, value: Option<&'a str>, what: &str) -> Result<&'a str> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(AppError::bad(format!(
            "parameter '{name}' is required: {what}"
        ))),
    }
}

/// Parses a finite decimal number, naming the parameter when it is not one.
pub fn parse_f64(name: &str, v: &str) -> Result<f64> {
    let x: f64 = v.trim().parse().map_err(|_| {
        AppError::bad(format!(
            "parameter '{name}' must be a decimal number (e.g. 105.12345), got '{}'",
            clip(v)
        ))
    })?;
    if !x.is_finite() {
        return Err(AppError::bad(format!(
            "parameter '{name}' must be a finite number, got '{}'",
            clip(v)
        )));
    }
    Ok(x)
}

/// Parses a whole number within `min..=max`.
pub fn parse_int(name: &str, v: &str, min: i64, max: i64) -> Result<i64> {
    let n: i64 = v.trim().parse().map_err(|_| {
        AppError::bad(format!(
            "parameter '{name}' must be a whole number from {min} to {max}, got '{}'",
            clip(v)
        ))
    })?;
    if n < min || n > max {
        return Err(AppError::bad(format!(
            "parameter '{name}' must be from {min} to {max}, got {n}"
        )));
    }
    Ok(n)
}

/// Checks a WGS 84 position.
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<()> {
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(AppError::bad(format!(
            "lon must be within -180..180 and lat within -90..90 (WGS 84 degrees), got lon={lon}, lat={lat}; \
             for VN-2000 metres use x (easting), y (northing) and srs"
        )));
    }
    Ok(())
}

/// At most 60 characters of a value, for error messages.
pub fn clip(v: &str) -> String {
    let mut s: String = v.chars().take(60).collect();
    if v.chars().count() > 60 {
        s.push('…');
    }
    s
}

/// Characters a URL part we build keeps as they are: RFC 3986's unreserved ones, and `:` (in
/// times and URIs, legal in both paths and queries).
const URL_KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// Percent-encodes a path segment or query value (UTF-8).
pub fn encode_url_part(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, URL_KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn numbers_are_strict() {
        assert_eq!(p(&[("lon", "105.5")]).f64("lon").unwrap(), Some(105.5));
        assert!(p(&[("lon", "NaN")]).f64("lon").is_err());
        assert!(p(&[("lon", "inf")]).f64("lon").is_err());
        assert!(p(&[("lon", "abc")]).f64("lon").is_err());
        assert!(p(&[("lon", "1"), ("lon", "2")]).f64("lon").is_err());
        assert_eq!(p(&[]).f64("lon").unwrap(), None);
        assert!(p(&[("limit", "0")]).int("limit", 1, 10).is_err());
        assert!(p(&[("limit", "11")]).int("limit", 1, 10).is_err());
    }

    #[derive(Debug, serde::Deserialize, JsonSchema)]
    struct Q {
        /// A number
        lon: Option<f64>,
        /// The text
        q: String,
        /// At most ten
        #[schemars(range(min = 1, max = 10))]
        limit: Option<i64>,
        /// Clamped to ten
        #[serde(default, deserialize_with = "clamped")]
        #[schemars(range(min = 1, max = 10))]
        page: Option<i64>,
        /// One of two
        f: Option<F>,
    }

    /// A format.
    #[derive(Debug, PartialEq, serde::Deserialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    #[schemars(inline)]
    enum F {
        Json,
        Csv,
    }

    fn parse(pairs: &[(&str, &str)]) -> std::result::Result<Q, String> {
        p(pairs).parse::<Q>().map_err(|e| e.to_string())
    }

    #[test]
    fn a_query_type_is_read_strictly() {
        let q = parse(&[
            ("q", "vinh"),
            ("lon", " 105.5"),
            ("limit", "10"),
            ("f", "csv"),
        ])
        .unwrap();
        assert_eq!(
            (q.q.as_str(), q.lon, q.limit, q.f),
            ("vinh", Some(105.5), Some(10), Some(F::Csv))
        );
        assert_eq!(parse(&[("q", "x"), ("page", "99")]).unwrap().page, Some(10));
        for (pairs, message) in [
            (
                vec![("q", "x"), ("lng", "1")],
                "unknown parameter 'lng'; accepted: lon, q, limit, page, f",
            ),
            (
                vec![("q", "x"), ("q", "y")],
                "parameter 'q' is given more than once; give it once",
            ),
            (vec![("lon", "1")], "parameter 'q' is required: the text"),
            (vec![("q", "  ")], "parameter 'q' is required: the text"),
            (
                vec![("q", "x"), ("lon", "NaN")],
                "parameter 'lon' must be a finite number, got 'NaN'",
            ),
            (
                vec![("q", "x"), ("lon", "inf")],
                "parameter 'lon' must be a finite number, got 'inf'",
            ),
            (
                vec![("q", "x"), ("lon", "abc")],
                "parameter 'lon' must be a decimal number (e.g. 105.12345), got 'abc'",
            ),
            (
                vec![("q", "x"), ("limit", "11")],
                "parameter 'limit' must be from 1 to 10, got 11",
            ),
            (
                vec![("q", "x"), ("limit", "ten")],
                "parameter 'limit' must be a whole number from 1 to 10, got 'ten'",
            ),
            (
                vec![("q", "x"), ("page", "0")],
                "parameter 'page' must be from 1 to 9223372036854775807, got 0",
            ),
            (
                vec![("q", "x"), ("f", "xml")],
                "parameter 'f' must be json or csv, got 'xml'",
            ),
        ] {
            assert_eq!(parse(&pairs).unwrap_err(), message, "{pairs:?}");
        }
        let none = p(&[("a", "1")])
            .parse::<NoParams>()
            .unwrap_err()
            .to_string();
        assert_eq!(
            none,
            "unknown parameter 'a': this endpoint takes no parameters"
        );
        assert!(p(&[]).parse::<NoParams>().is_ok());
    }

    #[test]
    fn a_query_type_documents_its_fields() {
        let spec = QuerySpec::of::<Q>();
        assert_eq!(spec.names(), ["lon", "q", "limit", "page", "f"]);
        let limit = &spec.params[2];
        assert_eq!(limit.description, "At most ten");
        assert!(!limit.required && spec.params[1].required);
        assert_eq!(limit.schema["minimum"], 1);
        assert_eq!(limit.schema["maximum"], 10);
        assert!(limit.schema.get("nullable").is_none());
        assert_eq!(spec.params[0].schema["type"], "number");
        let f = &spec.params[4];
        assert_eq!(f.description, "One of two");
        assert_eq!(
            f.schema,
            serde_json::json!({"type": "string", "enum": ["json", "csv"]})
        );
    }

    #[test]
    fn unknown_parameters_are_named() {
        let e = p(&[("ooga", "booga")]).allow(&["lon", "lat"]).unwrap_err();
        assert!(e.to_string().contains("ooga") && e.to_string().contains("lon, lat"));
    }
}
