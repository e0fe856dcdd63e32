//! The OpenAPI document of `/api/v1` against the real hub: the routes it serves and the
//! operations the document lists are the same (each documented operation is answered, not
//! with "no such endpoint" or 405, and each undocumented method of a documented path is
//! 405); Swagger UI is served and reads the document; and documented answer schemas match
//! real answers.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

async fn document(hub: &Hub) -> Value {
    let resp = hub
        .client
        .get(format!("{}/api/v1/openapi.json", hub.http))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "{ct}");
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `(method, path, operation)` of every documented operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                ops.push((m.to_string(), path.clone(), op.clone()));
            }
        }
    }
    ops
}

fn is_public(op: &Value) -> bool {
    op["security"].as_array().is_some_and(|s| {
        s.iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
    })
}

/// A concrete URL for a templated path: each `{param}` becomes `probe-param`.
fn concrete(path: &str) -> String {
    let re = regex::Regex::new(r"\{([a-z_]+)\}").unwrap();
    re.replace_all(path, "probe-$1").into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_served_route_is_documented_and_every_documented_one_is_served() {
    let hub = Hub::start().await;
    let doc = document(&hub).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "bearer", "{scheme}");
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    let ops = operations(&doc);
    assert!(ops.len() >= 50, "only {} operations documented", ops.len());

    let mut ids = BTreeSet::new();
    let mut public = BTreeSet::new();
    let param = regex::Regex::new(r"\{([a-z_]+)\}").unwrap();
    for (method, path, op) in &ops {
        let what = format!("{} {path}", method.to_uppercase());
        assert!(path.starts_with("/api/v1/"), "{what}");
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no operationId"));
        assert!(ids.insert(id.to_string()), "{what}: operationId {id} twice");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{what}: no success answer documented"
        );
        assert!(responses.contains_key("429"), "{what}: no 429");
        // Every path parameter of the template is declared, and only those.
        let declared: BTreeSet<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        let in_path: BTreeSet<String> = param
            .captures_iter(path)
            .map(|c| c[1].to_string())
            .collect();
        assert_eq!(declared, in_path, "{what}: path parameters");
        if is_public(op) {
            public.insert(what.clone());
        } else {
            assert!(responses.contains_key("401"), "{what}: protected, no 401");
        }

        // The real hub answers it, unsigned: not "no such endpoint", not 405, and with a
        // status the document lists (401 for every protected operation).
        let resp = hub
            .client
            .request(
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                format!("{}{}", hub.http, concrete(path)),
            )
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_ne!(
            status, 405,
            "{what}: documented but the router has no such method"
        );
        assert!(
            !(status == 404 && body["error"]["message"] == "no such API endpoint"),
            "{what}: documented but the router has no such route"
        );
        assert!(
            responses.contains_key(&status.to_string()),
            "{what}: answered {status} {body}, which the document does not list"
        );
        if !is_public(op) {
            assert_eq!(status, 401, "{what}: {body}");
            assert_eq!(body["error"]["code"], "unauthenticated", "{what}: {body}");
        }
    }
    // Exactly these are public; any other operation needs the bearer token.
    assert_eq!(
        public,
        BTreeSet::from([
            "GET /api/v1/openapi.json".to_string(),
            "POST /api/v1/auth/login".to_string(),
            "POST /api/v1/auth/refresh".to_string(),
        ])
    );

    // The other way: a method the document does not list for a path is not served.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS.iter().filter(|m| item.get(**m).is_none()) {
            let resp = hub
                .client
                .request(
                    reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap(),
                    format!("{}{}", hub.http, concrete(path)),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(
                resp.status().as_u16(),
                405,
                "{} {path} is served but not documented",
                m.to_uppercase()
            );
        }
    }
    // A path that is no endpoint still gets the API's own 404.
    let (status, body) = hub.get("/api/v1/no-such-endpoint", None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
}

/// The routes are made in one place, from one list: no `/api/v1` route is added with plain
/// axum routing, which would bypass the document. (Paths outside the document cannot be
/// probed for, so this holds the construction to it.)
#[test]
fn rest_routes_are_only_added_through_the_openapi_router() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rest = dir.join("api").join("rest");
    let plain = regex::Regex::new(r"(^|[^A-Za-z_])Router::new\(").unwrap();
    for entry in std::fs::read_dir(&rest).unwrap() {
        let path = entry.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        for banned in [".route(", ".nest(\"/", "axum::routing"] {
            assert!(
                !src.contains(banned),
                "{} uses `{banned}`: add REST routes with utoipa_axum::routes! so they are documented",
                path.display()
            );
        }
        // A plain axum router (an `OpenApiRouter` is fine).
        assert!(
            !plain.is_match(&src),
            "{} makes a plain axum Router: add REST routes with utoipa_axum::routes! so they are documented",
            path.display()
        );
    }
    let server = std::fs::read_to_string(dir.join("server.rs")).unwrap();
    for banned in [".route(\"/api", ".nest(\"/api", ".route_service(\"/api"] {
        assert!(
            !server.contains(banned),
            "server.rs adds an /api route (`{banned}`) outside rest::api"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn swagger_ui_is_served_and_reads_the_document() {
    let hub = Hub::start().await;
    // `/api/docs` redirects to `/api/docs/` (reqwest follows it).
    let resp = hub
        .client
        .get(format!("{}/api/docs", hub.http))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.url().path().ends_with("/api/docs/"), "{}", resp.url());
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "{ct}");
    // The hub's CSP applies, and the page needs nothing it refuses: no inline script.
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "{html}");
    for s in &scripts {
        assert!(s.trim_start().starts_with("src="), "inline script: {s}");
    }
    assert!(html.contains("swagger-initializer.js"), "{html}");
    // The initializer points at the document; the bundle is served from the hub itself.
    let init = hub.text("/api/docs/swagger-initializer.js", None).await;
    assert!(init.contains("\"/api/v1/openapi.json\""), "{init}");
    assert!(!init.contains("petstore"), "{init}");
    let bundle = hub
        .client
        .get(format!("{}/api/docs/swagger-ui-bundle.js", hub.http))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    let ct = bundle.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(ct.contains("javascript"), "{ct}");
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
}

/// Checks `value` against `schema` (resolving `$ref`s in `doc`): required properties present,
/// JSON types as declared, recursively. Returns the problems found.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(!target.is_null(), "unresolved {r}");
        return check(doc, target, value, at, problems);
    }
    for all in schema["allOf"].as_array().into_iter().flatten() {
        check(doc, all, value, at, problems);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = schema[key].as_array() {
            let fits = variants.iter().any(|v| {
                let mut p = Vec::new();
                check(doc, v, value, at, &mut p);
                p.is_empty()
            });
            if !fits {
                problems.push(format!("{at}: {value} fits none of {key}"));
            }
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() {
        let fits = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        });
        if !fits {
            problems.push(format!("{at}: {value} is not {types:?}"));
            return;
        }
    }
    if let Some(obj) = value.as_object() {
        for req in schema["required"].as_array().into_iter().flatten() {
            let req = req.as_str().unwrap();
            if !obj.contains_key(req) {
                problems.push(format!("{at}: required property {req} missing"));
            }
        }
        if let Some(props) = schema["properties"].as_object() {
            for (k, v) in obj {
                if let Some(s) = props.get(k) {
                    check(doc, s, v, &format!("{at}.{k}"), problems);
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"), problems);
        }
    }
}

/// The documented JSON schema of an operation's answer with this status.
fn answer_schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let s = &doc["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]
        ["schema"];
    assert!(
        !s.is_null(),
        "{method} {path} {status}: no JSON schema documented"
    );
    s.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn documented_schemas_match_real_answers() {
    let hub = Hub::start().await;
    let doc = document(&hub).await;
    let token = hub.login().await;
    register_server(&hub, &token, "web-01", "staging").await;
    register_server(&hub, &token, "web-02", "dev").await;

    let cases: [(&str, &str, &str, u16); 7] = [
        ("get", "/api/v1/servers", "/api/v1/servers", 200),
        ("get", "/api/v1/servers/{id}", "/api/v1/servers/web-01", 200),
        (
            "get",
            "/api/v1/servers/{id}/health",
            "/api/v1/servers/web-01/health",
            200,
        ),
        ("get", "/api/v1/users", "/api/v1/users", 200),
        ("get", "/api/v1/audit", "/api/v1/audit", 200),
        ("get", "/api/v1/locks", "/api/v1/locks", 200),
        // An error answer: the documented envelope.
        ("get", "/api/v1/servers/{id}", "/api/v1/servers/nope", 404),
    ];
    for (method, template, url, expected) in cases {
        let (status, body) = hub.get(url, Some(&token)).await;
        assert_eq!(status, expected, "GET {url}: {body}");
        let schema = answer_schema(&doc, method, template, status);
        let mut problems = Vec::new();
        check(&doc, &schema, &body, url, &mut problems);
        assert!(problems.is_empty(), "GET {url}: {problems:#?}\n{body:#}");
    }
    // The execution document, as one execution's answer and in the history's pages: the
    // real keys are the documented ones, at every level (none missing, none undocumented).
    let (status, started) = hub
        .post(
            "/api/v1/executions",
            Some(&token),
            json!({"action": {"type": "shell_command", "command": "echo hi"}, "target_servers": ["web-01", "web-02"]}),
        )
        .await;
    assert_eq!(status, 202, "{started}");
    let id = started["execution_id"].as_str().unwrap();
    let one = format!("/api/v1/executions/{id}");
    for (template, url) in [
        ("/api/v1/executions/{id}", one.as_str()),
        ("/api/v1/executions", "/api/v1/executions"),
        ("/api/v1/executions/history", "/api/v1/executions/history"),
    ] {
        let (status, body) = hub.get(url, Some(&token)).await;
        assert_eq!(status, 200, "GET {url}: {body}");
        let schema = answer_schema(&doc, "get", template, 200);
        let mut problems = Vec::new();
        check(&doc, &schema, &body, url, &mut problems);
        assert!(problems.is_empty(), "GET {url}: {problems:#?}\n{body:#}");
        let execution = if body["items"].is_array() {
            assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
            &body["items"][0]
        } else {
            &body
        };
        let documented = &doc["components"]["schemas"]["ExecutionDoc"];
        for (part, name) in [
            ("", "ExecutionDoc"),
            ("/status", "ExecutionStatusDoc"),
            ("/timing", "ExecutionTimingDoc"),
            ("/results", "ExecutionResultsDoc"),
            ("/results/details/0", "JobDetailDoc"),
        ] {
            let real: BTreeSet<&String> = execution
                .pointer(part)
                .and_then(Value::as_object)
                .unwrap_or_else(|| panic!("{url}: no {part} in {execution}"))
                .keys()
                .collect();
            let props = &doc["components"]["schemas"][name]["properties"];
            let described: BTreeSet<&String> = props.as_object().unwrap().keys().collect();
            assert_eq!(real, described, "{url}: {name} at {part:?} ({documented})");
        }
        assert_eq!(
            execution["logs"]["url"],
            format!("/api/v1/executions/{id}/logs"),
            "{url}"
        );
    }
    // One execution's answer says more about its output than a list does.
    let (_, body) = hub.get(&one, Some(&token)).await;
    assert_eq!(body["logs"]["entries_count"], 0, "{body}");

    // The server list really had items to check, and the checker can find a mismatch.
    let (_, servers) = hub.get("/api/v1/servers", Some(&token)).await;
    assert_eq!(servers["items"].as_array().unwrap().len(), 2, "{servers}");
    let schema = answer_schema(&doc, "get", "/api/v1/servers", 200);
    let mut broken = servers.clone();
    broken["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("server_id");
    broken["total"] = json!("two");
    let mut problems = Vec::new();
    check(&doc, &schema, &broken, "broken", &mut problems);
    assert_eq!(problems.len(), 2, "{problems:#?}");
}
