//! The pieces an OpenAPI 3.0 document is made of, generated from the Rust types the
//! handlers read and write: [`Schemas`] (schemars in the OpenAPI 3.0 dialect) and [`Op`],
//! one operation built from its handler's query type ([`crate::params::Query`]), request
//! body type and answer types. `openapi.rs` assembles the service's document with them and
//! the portal's modules describe their routes with them; this module knows no route.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::transform::{transform_subschemas, Transform};
use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::params::QuerySpec;

/// The schemas of one document, generated as the operations name their body types.
pub struct Schemas {
    /// Response bodies, as serialised.
    out: SchemaGenerator,
    /// Request bodies, as deserialised (optional members are not required).
    input: SchemaGenerator,
}

impl Default for Schemas {
    fn default() -> Self {
        Self::new()
    }
}

impl Schemas {
    /// Generators in the OpenAPI 3.0 dialect, for answers and for requests.
    pub fn new() -> Self {
        let settings = SchemaSettings::openapi3().with_transform(TupleItems);
        Schemas {
            out: settings.clone().for_serialize().into_generator(),
            input: settings.for_deserialize().into_generator(),
        }
    }

    /// The schema of a response body of type `T`: a `$ref` to its component.
    pub(crate) fn out<T: JsonSchema>(&mut self) -> Value {
        self.out.subschema_for::<T>().to_value()
    }

    /// The schema of a request body of type `T`: a `$ref` to its component.
    pub(crate) fn input<T: JsonSchema>(&mut self) -> Value {
        self.input.subschema_for::<T>().to_value()
    }

    /// `components/schemas`, and the names given two different schemas (a type read and
    /// written with different members), which must be none.
    pub(crate) fn components(mut self) -> (Map<String, Value>, Vec<String>) {
        let mut all = self.out.take_definitions(true);
        let mut clashes = Vec::new();
        for (name, schema) in self.input.take_definitions(true) {
            match all.get(&name) {
                Some(other) if *other != schema => clashes.push(name),
                Some(_) => {}
                None => {
                    all.insert(name, schema);
                }
            }
        }
        (all, clashes)
    }
}

/// OpenAPI 3.0 has no tuple arrays (`items` is one schema): a tuple's item schemas become
/// one `anyOf` (its length stays fixed by `minItems` and `maxItems`).
#[derive(Clone)]
struct TupleItems;

impl Transform for TupleItems {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(Value::Array(items)) = schema.get("items") else {
            return;
        };
        let mut distinct: Vec<Value> = Vec::new();
        for item in items {
            if !distinct.contains(item) {
                distinct.push(item.clone());
            }
        }
        let one = if distinct.len() == 1 {
            distinct.remove(0)
        } else {
            json!({ "anyOf": distinct })
        };
        schema.insert("items".into(), one);
        schema.remove("additionalItems");
    }
}

/// The query parameters of an operation whose handler reads them into `T`: one per field.
pub(crate) fn query<T: DeserializeOwned + JsonSchema + 'static>() -> Vec<Value> {
    QuerySpec::of::<T>()
        .params
        .iter()
        .map(|p| {
            json!({"name": p.name, "in": "query", "description": p.description,
                "required": p.required, "schema": p.schema, "style": "form", "explode": false})
        })
        .collect()
}

/// One operation of the document, built from the types its handler reads and writes: the
/// query parameters from its [`Query`] type, the request body from the type it
/// deserialises, each answer's body from the type it serialises (schemas named in
/// [`Schemas`]). What types cannot say (summary, tag, path parameters, headers, media types,
/// status codes) is given here. The portal's modules describe their routes with it.
#[must_use]
pub(crate) struct Op(Map<String, Value>);

impl Op {
    /// An operation with its summary and tag, no parameter and no answer yet.
    pub(crate) fn new(summary: &str, tag: &str) -> Op {
        let mut m = Map::new();
        m.insert("summary".into(), summary.into());
        m.insert("tags".into(), json!([tag]));
        m.insert("parameters".into(), json!([]));
        m.insert("responses".into(), json!({}));
        Op(m)
    }

    fn push_param(mut self, p: Value) -> Op {
        if let Some(Value::Array(a)) = self.0.get_mut("parameters") {
            a.push(p);
        }
        self
    }

    fn respond(mut self, status: &str, r: Value) -> Op {
        if let Some(Value::Object(m)) = self.0.get_mut("responses") {
            m.insert(status.into(), r);
        }
        self
    }

    /// A path parameter.
    pub(crate) fn path(self, name: &str, description: &str, schema: Value) -> Op {
        self.push_param(pp(name, description, schema))
    }

    /// The query parameters: the fields of `T`, the type the handler reads them into with
    /// [`Query`] or [`crate::params::Params::parse`].
    pub(crate) fn query<T: DeserializeOwned + JsonSchema + 'static>(mut self) -> Op {
        for p in query::<T>() {
            self = self.push_param(p);
        }
        self
    }

    /// The three path parameters of a parcel's number (commune, sheet, parcel).
    pub(crate) fn parcel_path(mut self) -> Op {
        for p in parcel_path_params() {
            self = self.push_param(p);
        }
        self
    }

    /// A request header.
    pub(crate) fn header(self, name: &str, description: &str, required: bool) -> Op {
        self.push_param(
            json!({"name": name, "in": "header", "description": description,
            "required": required, "schema": {"type": "string"}}),
        )
    }

    /// A JSON request body: the type the handler deserialises. `required: false` when an
    /// empty body is accepted.
    pub(crate) fn body<T: JsonSchema>(
        mut self,
        sc: &mut Schemas,
        description: &str,
        required: bool,
    ) -> Op {
        let schema = sc.input::<T>();
        self.0.insert(
            "requestBody".into(),
            json!({"required": required, "description": description,
                "content": {"application/json": {"schema": schema}}}),
        );
        self
    }

    /// A request body of other media types (`content` as OpenAPI writes it).
    pub(crate) fn body_content(mut self, description: &str, content: Value) -> Op {
        self.0.insert(
            "requestBody".into(),
            json!({"required": true, "description": description, "content": content}),
        );
        self
    }

    /// A JSON answer: the type the handler serialises.
    pub(crate) fn json<T: JsonSchema>(
        self,
        sc: &mut Schemas,
        status: &str,
        description: &str,
    ) -> Op {
        let schema = sc.out::<T>();
        self.respond(status, ok(description, "application/json", schema))
    }

    /// An answer of another media type, its schema given.
    pub(crate) fn media(self, status: &str, description: &str, media: &str, schema: Value) -> Op {
        self.respond(status, ok(description, media, schema))
    }

    /// An answer without a body (204, 304), or one whose body is not described.
    pub(crate) fn empty(self, status: &str, description: &str) -> Op {
        self.respond(status, json!({"description": description}))
    }

    /// Problem (RFC 7807) answers.
    pub(crate) fn problems(mut self, statuses: &[&str]) -> Op {
        for s in statuses {
            self = self.respond(s, problem_ref());
        }
        self
    }

    /// The operation object.
    pub(crate) fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// A required path parameter.
pub(crate) fn pp(name: &str, desc: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "description": desc, "required": true, "schema": schema})
}

/// The schema of a string.
pub(crate) fn str_() -> Value {
    json!({"type": "string"})
}

/// An answer of one media type with its schema.
pub(crate) fn ok(desc: &str, media: &str, schema: Value) -> Value {
    json!({"description": desc, "content": {media: {"schema": schema}}})
}

/// The shared problem-document answer (`#/components/responses/Problem`).
pub(crate) fn problem_ref() -> Value {
    json!({"$ref": "#/components/responses/Problem"})
}

/// The path parameters `{commune}/{sheet}/{parcel}` of a parcel's number.
pub(crate) fn parcel_path_params() -> Vec<Value> {
    vec![
        pp("commune", "Commune (xã/phường) code, e.g. 31150, or its name with or without accents, e.g. \"Vĩnh Thanh\"", str_()),
        pp("sheet", "Map sheet number (số tờ)", json!({"type": "integer", "minimum": 0})),
        pp("parcel", "Parcel number (số thửa)", json!({"type": "integer", "minimum": 0})),
    ]
}
