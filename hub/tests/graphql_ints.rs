//! GraphQL's `Int` is 32 bits, in every argument and input field the schema has, now and
//! later: the test reads the real hub's schema by introspection, finds every place an `Int`
//! is taken (arguments of queries and mutations, input object fields at any depth, lists and
//! `@oneOf` inputs included) and sends 2³¹ and −2³¹−1 there, once as a literal and once
//! through a variable, with every other required value filled in. Each must be refused
//! naming an `Int`, and nothing may run. (Found by api-fuzz: `extendLock(minutes:
//! 2147483648)` was accepted, as were ~50 other inputs held in wider Rust integers.)

mod common;

use common::*;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

const TYPE_REF: &str =
    "name kind ofType { name kind ofType { name kind ofType { name kind ofType { name kind } } } }";

/// A GraphQL input value, written as a literal or as JSON (for a variable).
#[derive(Clone, Debug)]
enum Lit {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Enum(String),
    Json,
    List(Vec<Lit>),
    Obj(Vec<(String, Lit)>),
}

impl Lit {
    fn literal(&self) -> String {
        match self {
            Lit::Int(n) => n.to_string(),
            Lit::Float(f) => format!("{f:?}"),
            Lit::Bool(b) => b.to_string(),
            Lit::Str(s) => Value::from(s.as_str()).to_string(),
            Lit::Enum(e) => e.clone(),
            Lit::Json => "{}".into(),
            Lit::List(v) => format!(
                "[{}]",
                v.iter().map(Lit::literal).collect::<Vec<_>>().join(", ")
            ),
            Lit::Obj(fs) => format!(
                "{{{}}}",
                fs.iter()
                    .map(|(k, v)| format!("{k}: {}", v.literal()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn json(&self) -> Value {
        match self {
            Lit::Int(n) => json!(n),
            Lit::Float(f) => json!(f),
            Lit::Bool(b) => json!(b),
            Lit::Str(s) | Lit::Enum(s) => json!(s),
            Lit::Json => json!({}),
            Lit::List(v) => Value::Array(v.iter().map(Lit::json).collect()),
            Lit::Obj(fs) => Value::Object(
                fs.iter()
                    .map(|(k, v)| (k.clone(), v.json()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

/// The schema as introspection tells it: named types by name.
struct Schema {
    types: HashMap<String, Value>,
}

/// A type reference's innermost name, and whether each wrapper is a list.
fn unwrap(t: &Value) -> (String, Vec<bool>) {
    let mut wrappers = Vec::new();
    let mut t = t;
    loop {
        match t["kind"].as_str().unwrap() {
            "NON_NULL" => t = &t["ofType"],
            "LIST" => {
                wrappers.push(true);
                t = &t["ofType"];
            }
            _ => return (t["name"].as_str().unwrap().to_string(), wrappers),
        }
    }
}

/// The type reference as written in a variable definition (`[String!]!`).
fn written(t: &Value) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", written(&t["ofType"])),
        "LIST" => format!("[{}]", written(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_string(),
    }
}

fn required(input: &Value) -> bool {
    input["type"]["kind"] == "NON_NULL" && input["defaultValue"].is_null()
}

impl Schema {
    /// Every path of field names from a value of type `t` down to an `Int` inside it.
    fn int_paths(&self, t: &Value, seen: &mut Vec<String>) -> Vec<Vec<String>> {
        let (name, _) = unwrap(t);
        if name == "Int" {
            return vec![vec![]];
        }
        let ty = &self.types[&name];
        if ty["kind"] != "INPUT_OBJECT" || seen.contains(&name) {
            return vec![];
        }
        seen.push(name.clone());
        let mut out = Vec::new();
        for f in ty["inputFields"].as_array().unwrap() {
            for mut p in self.int_paths(&f["type"], seen) {
                p.insert(0, f["name"].as_str().unwrap().to_string());
                out.push(p);
            }
        }
        seen.pop();
        out
    }

    /// A value of type `t` that is valid except at `path`, where `bad` goes.
    fn value(&self, t: &Value, path: &[String], bad: i64) -> Lit {
        let (name, lists) = unwrap(t);
        let mut v = self.named(&name, path, bad);
        for _ in lists {
            v = Lit::List(vec![v]);
        }
        v
    }

    fn named(&self, name: &str, path: &[String], bad: i64) -> Lit {
        let ty = &self.types[name];
        match ty["kind"].as_str().unwrap() {
            "ENUM" => Lit::Enum(ty["enumValues"][0]["name"].as_str().unwrap().into()),
            "INPUT_OBJECT" => {
                let fields = ty["inputFields"].as_array().unwrap();
                let target = path.first();
                let mut out = Vec::new();
                for f in fields {
                    let fname = f["name"].as_str().unwrap();
                    let is_target = target.is_some_and(|t| t == fname);
                    let oneof = ty["isOneOf"] == true;
                    let wanted = if oneof {
                        // Exactly one field: the target's, or the first.
                        is_target || (target.is_none() && out.is_empty())
                    } else {
                        is_target || required(f)
                    };
                    if wanted {
                        let v = if is_target {
                            self.value(&f["type"], &path[1..], bad)
                        } else {
                            self.value(&f["type"], &[], 0)
                        };
                        out.push((fname.to_string(), v));
                    }
                }
                Lit::Obj(out)
            }
            _ => match name {
                "Int" => Lit::Int(if bad != 0 { bad } else { 1 }),
                "Float" => Lit::Float(1.5),
                "Boolean" => Lit::Bool(true),
                "DateTime" => Lit::Str("2026-01-01T00:00:00Z".into()),
                "JSON" => Lit::Json,
                _ => Lit::Str("x".into()),
            },
        }
    }
}

/// One place an `Int` is taken: a root field's argument and the path inside it.
struct Place {
    op: &'static str,
    field: Value,
    arg: String,
    path: Vec<String>,
}

impl Place {
    fn label(&self) -> String {
        let f = self.field["name"].as_str().unwrap();
        format!(
            "{} {f}({}{})",
            self.op,
            self.arg,
            self.path
                .iter()
                .map(|p| format!(".{p}"))
                .collect::<String>()
        )
    }

    /// The document and its variables, with `bad` at the place; `as_variable` passes the
    /// argument holding it through a variable.
    fn request(&self, schema: &Schema, bad: i64, as_variable: bool) -> Value {
        let field = &self.field;
        let mut args = Vec::new();
        let mut defs = String::new();
        let mut vars = Map::new();
        for a in field["args"].as_array().unwrap() {
            let name = a["name"].as_str().unwrap();
            let target = name == self.arg;
            if !(target || required(a)) {
                continue;
            }
            let v = if target {
                schema.value(&a["type"], &self.path, bad)
            } else {
                schema.value(&a["type"], &[], 0)
            };
            if target && as_variable {
                defs = format!("($v: {})", written(&a["type"]));
                vars.insert("v".into(), v.json());
                args.push(format!("{name}: $v"));
            } else {
                args.push(format!("{name}: {}", v.literal()));
            }
        }
        let (ret, _) = unwrap(&field["type"]);
        let kind = schema.types[&ret]["kind"].as_str().unwrap();
        let selection = if matches!(kind, "OBJECT" | "INTERFACE" | "UNION") {
            " { __typename }"
        } else {
            ""
        };
        let query = format!(
            "{} Probe{defs} {{ {}({}){selection} }}",
            self.op,
            field["name"].as_str().unwrap(),
            args.join(", ")
        );
        json!({"query": query, "variables": vars})
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_int_the_api_takes_is_held_to_32_bits() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let introspection = format!(
        "{{ __schema {{ queryType {{ name }} mutationType {{ name }} types {{ name kind isOneOf \
         enumValues {{ name }} \
         inputFields {{ name defaultValue type {{ {TYPE_REF} }} }} \
         fields {{ name type {{ {TYPE_REF} }} args {{ name defaultValue type {{ {TYPE_REF} }} }} }} }} }} }}"
    );
    let (status, body) = hub
        .post("/graphql", Some(&token), json!({"query": introspection}))
        .await;
    assert_eq!(status, 200, "{body}");
    let s = &body["data"]["__schema"];
    let schema = Schema {
        types: s["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_string(), t.clone()))
            .collect(),
    };

    let mut places = Vec::new();
    for (op, root) in [
        ("query", &s["queryType"]["name"]),
        ("mutation", &s["mutationType"]["name"]),
    ] {
        for field in schema.types[root.as_str().unwrap()]["fields"]
            .as_array()
            .unwrap()
        {
            for a in field["args"].as_array().unwrap() {
                for path in schema.int_paths(&a["type"], &mut Vec::new()) {
                    places.push(Place {
                        op,
                        field: field.clone(),
                        arg: a["name"].as_str().unwrap().to_string(),
                        path,
                    });
                }
            }
        }
    }
    // The schema's own count today; fewer would mean the walk above lost its way.
    assert!(places.len() >= 40, "only {} Int places found", places.len());

    let mut accepted = Vec::new();
    for place in &places {
        for bad in [2_147_483_648_i64, -2_147_483_649] {
            for as_variable in [false, true] {
                let req = place.request(&schema, bad, as_variable);
                let (status, body) = hub.post("/graphql", Some(&token), req.clone()).await;
                let errors = body["errors"].as_array().cloned().unwrap_or_default();
                let named = errors.iter().any(|e| {
                    let m = e["message"].as_str().unwrap_or("");
                    m.contains("\"Int\"") || m.contains("Only integers from")
                });
                let ran = body["data"]
                    .as_object()
                    .is_some_and(|d| d.values().any(|v| !v.is_null()));
                assert!(
                    status == 200 || status == 400,
                    "{}: HTTP {status} {body}",
                    place.label()
                );
                if !named || ran {
                    accepted.push(format!(
                        "{} = {bad} ({}): {req} -> {body}",
                        place.label(),
                        if as_variable { "variable" } else { "literal" }
                    ));
                }
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "{} Int inputs took a value beyond 32 bits:\n{}",
        accepted.len(),
        accepted.join("\n")
    );

    // In range they are taken: every place with 2³¹−1 gets past the type check (what it
    // then answers — not found, a user error — is the field's own business).
    for place in &places {
        let req = place.request(&schema, 2_147_483_647, false);
        let (_, body) = hub.post("/graphql", Some(&token), req.clone()).await;
        let text = body.to_string();
        let refused = text.contains("expected type \\\"Int\\\"")
            || (text.contains("Only integers from") && text.contains("2147483647"));
        assert!(!refused, "{}: {req} -> {body}", place.label());
    }
}
