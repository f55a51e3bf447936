//! The OpenAPI 3.1 document, built from the route table: each API route is registered
//! with its operation ([`Op`]: summary, query, body and reply types), and every schema is
//! derived (`schemars`) from the Rust types the handlers actually read and write, so the
//! document cannot drift from the code. A snapshot test (`docs/api/openapi.json`) makes
//! every API change visible in review; another test checks real responses against it.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::ApiError;

/// Produces the schema of one type, registering the types it refers to.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

const COMPONENTS: &str = "/components/schemas";

#[derive(Clone, Copy)]
enum Body {
    None,
    Json(SchemaFn),
    Multipart(SchemaFn),
}

#[derive(Clone, Copy)]
enum Reply {
    Json(u16, SchemaFn),
    /// A stored file, streamed as a download.
    File,
}

/// How one API operation is documented.
#[derive(Clone)]
pub struct Op {
    summary: &'static str,
    query: Vec<SchemaFn>,
    path: Vec<(&'static str, SchemaFn)>,
    body: Body,
    reply: Reply,
    /// Another success answer (a repeat that changes nothing new: `200` beside `201`).
    also: Option<(u16, &'static str, SchemaFn)>,
}

impl Op {
    /// An operation answering `200` with a `T`.
    pub fn new<T: JsonSchema>(summary: &'static str) -> Op {
        Op {
            summary,
            query: Vec::new(),
            path: Vec::new(),
            body: Body::None,
            reply: Reply::Json(200, schema::<T>),
            also: None,
        }
    }

    /// An operation answering `201` with the `T` it made.
    pub fn creates<T: JsonSchema>(summary: &'static str) -> Op {
        Op {
            reply: Reply::Json(201, schema::<T>),
            ..Op::new::<T>(summary)
        }
    }

    /// A file download.
    pub fn file(summary: &'static str) -> Op {
        Op {
            reply: Reply::File,
            ..Op::new::<()>(summary)
        }
    }

    /// Documents a second success answer, `status` with a `T`, described as `why`.
    pub fn also<T: JsonSchema>(mut self, status: u16, why: &'static str) -> Op {
        self.also = Some((status, why, schema::<T>));
        self
    }

    /// The fields of `Q` are query parameters (several types may share one query).
    pub fn query<Q: JsonSchema>(mut self) -> Op {
        self.query.push(schema::<Q>);
        self
    }

    /// A JSON request body.
    pub fn json<B: JsonSchema>(mut self) -> Op {
        self.body = Body::Json(schema::<B>);
        self
    }

    /// A `multipart/form-data` body whose fields are those of `B`.
    pub fn multipart<B: JsonSchema>(mut self) -> Op {
        self.body = Body::Multipart(schema::<B>);
        self
    }

    /// A path parameter with a closed set of values (others are `string`).
    pub fn path_param<P: JsonSchema>(mut self, name: &'static str) -> Op {
        self.path.push((name, schema::<P>));
        self
    }
}

pub(super) fn self_doc() -> Op {
    Op::new::<Map<String, Value>>("This document")
}

fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = COMPONENTS.into();
        s.meta_schema = None;
    })
}

/// Rewrites `$ref`s to the components in `renamed` (request-side twins of a response type).
fn rename_refs(v: &mut Value, renamed: &BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
                && let Some(new) = renamed.get(name)
            {
                *r = format!("#/components/schemas/{new}");
            }
            m.values_mut().for_each(|x| rename_refs(x, renamed));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename_refs(x, renamed)),
        _ => {}
    }
}

fn refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(name) = m
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.insert(name.to_string());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Request bodies are described as they are read (fields with defaults are optional),
/// responses as they are written (every field present). A type used both ways whose two
/// descriptions differ, or that refers to such a type, gets a `…Request` twin.
fn merge_components(
    responses: Map<String, Value>,
    mut requests: Map<String, Value>,
    request_schemas: &mut [&mut Value],
) -> Map<String, Value> {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let before = renamed.len();
        for (name, s) in &requests {
            if renamed.contains_key(name) {
                continue;
            }
            let mut used = BTreeSet::new();
            refs(s, &mut used);
            let differs = responses.get(name).is_some_and(|r| r != s);
            if differs
                || (responses.contains_key(name) && used.iter().any(|u| renamed.contains_key(u)))
            {
                renamed.insert(name.clone(), format!("{name}Request"));
            }
        }
        if renamed.len() == before {
            break;
        }
    }
    for s in requests.values_mut() {
        rename_refs(s, &renamed);
    }
    for s in request_schemas.iter_mut() {
        rename_refs(s, &renamed);
    }
    let mut all = responses;
    for (name, s) in requests {
        let name = renamed.get(&name).cloned().unwrap_or(name);
        all.entry(name).or_insert(s);
    }
    all
}

fn error_reply(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// The query parameters of an operation: the properties of its query types.
fn query_params(q: &mut SchemaGenerator, fns: &[SchemaFn]) -> Vec<Value> {
    let mut out = Vec::new();
    for f in fns {
        let s = f(q).to_value();
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = s["properties"].as_object() {
            for (name, p) in props {
                let mut p = p.clone();
                let description = p
                    .as_object_mut()
                    .and_then(|m| m.remove("description"))
                    .unwrap_or(Value::Null);
                let mut param = json!({ "name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": p });
                if let (Some(m), Value::String(d)) = (param.as_object_mut(), description) {
                    m.insert("description".into(), Value::String(d));
                }
                out.push(param);
            }
        }
    }
    out
}

fn path_params(
    path: &str,
    typed: &[(&'static str, SchemaFn)],
    g: &mut SchemaGenerator,
) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = typed
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, f)| f(g).to_value())
                .unwrap_or_else(|| json!({ "type": "string" }));
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect()
}

/// One operation while the document is assembled: its request side (parameters and
/// body) is kept apart until the request components are named.
struct Assembled {
    method: &'static str,
    path: &'static str,
    op: Map<String, Value>,
    params: Vec<Value>,
    body: Option<Value>,
}

pub fn openapi_document() -> Value {
    let docs = super::docs();
    let mut req = settings().for_deserialize().into_generator();
    let mut resp = settings().for_serialize().into_generator();
    // Query types are flattened into parameters, so they are inlined, not components.
    let mut query = settings()
        .for_deserialize()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    schema::<ApiError>(&mut resp);
    let mut ops: Vec<Assembled> = Vec::new();
    for r in crate::route_table()
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
    {
        let mut op = Map::new();
        let Some((_, _, doc)) = docs.iter().find(|(m, p, _)| *m == r.method && *p == r.path) else {
            // Only `Api` registers API routes, so this cannot happen; the test says so.
            op.insert("x-undocumented".into(), json!(true));
            ops.push(Assembled {
                method: r.method,
                path: r.path,
                op,
                params: Vec::new(),
                body: None,
            });
            continue;
        };
        let mut responses = Map::new();
        match doc.reply {
            Reply::Json(status, f) => {
                responses.insert(
                    status.to_string(),
                    json!({ "description": "OK", "content": { "application/json": { "schema": f(&mut resp).to_value() } } }),
                );
            }
            Reply::File => {
                responses.insert(
                    "200".into(),
                    json!({ "description": "The file, as a download", "content": { "application/octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } } }),
                );
            }
        }
        if let Some((status, why, f)) = doc.also {
            responses.insert(
                status.to_string(),
                json!({ "description": why, "content": { "application/json": { "schema": f(&mut resp).to_value() } } }),
            );
        }
        responses.insert("400".into(), error_reply("Bad request (the key says why)"));
        if !r.roles.is_empty() {
            responses.insert("401".into(), error_reply("Not authenticated"));
            responses.insert(
                "403".into(),
                error_reply("Role not allowed, or not this actor's step"),
            );
        }
        if r.path.contains('{') {
            responses.insert(
                "404".into(),
                error_reply("Not found, or outside the caller's scope"),
            );
        }
        if r.method != "GET" {
            responses.insert(
                "409".into(),
                error_reply("Changed by someone else first; nothing was written"),
            );
            responses.insert("413".into(), error_reply("Body too large"));
            responses.insert("415".into(), error_reply("Wrong content type"));
            responses.insert(
                "422".into(),
                error_reply("Invalid input: every refused field is listed"),
            );
        }
        op.insert("summary".into(), json!(doc.summary));
        if r.roles.is_empty() {
            op.insert("security".into(), json!([]));
        } else {
            op.insert("x-roles".into(), json!(r.roles));
        }
        op.insert("responses".into(), Value::Object(responses));
        let mut params = path_params(r.path, &doc.path, &mut req);
        params.extend(query_params(&mut query, &doc.query));
        let body = match doc.body {
            Body::None => None,
            Body::Json(f) => Some(
                json!({ "required": true, "content": { "application/json": { "schema": f(&mut req).to_value() } } }),
            ),
            Body::Multipart(f) => Some(
                json!({ "required": true, "content": { "multipart/form-data": { "schema": f(&mut req).to_value() } } }),
            ),
        };
        ops.push(Assembled {
            method: r.method,
            path: r.path,
            op,
            params,
            body,
        });
    }
    let mut request_side: Vec<&mut Value> = Vec::new();
    for a in &mut ops {
        request_side.extend(a.params.iter_mut());
        request_side.extend(a.body.iter_mut());
    }
    let components = merge_components(
        resp.take_definitions(true),
        req.take_definitions(true),
        &mut request_side,
    );
    let mut paths = Map::new();
    for a in ops {
        let mut op = a.op;
        if !a.params.is_empty() {
            op.insert("parameters".into(), Value::Array(a.params));
        }
        if let Some(b) = a.body {
            op.insert("requestBody".into(), b);
        }
        let entry = paths.entry(a.path.to_string()).or_insert_with(|| json!({}));
        if let Some(m) = entry.as_object_mut() {
            m.insert(a.method.to_lowercase(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Khiên API",
            "version": "1",
            "description": "Units, information systems, level determinations and dossiers, security plans, threat hunts, users and the audit trail of a province's information-security platform. Every refusal answers with an `Error` body whose `key` is stable per reason."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "An API token created on the account page or with `khien token create`." } },
            "schemas": components
        }
    })
}

pub async fn serve() -> Json<Value> {
    Json(openapi_document())
}
