//! Security, second round — secrets and template rendering, against the real hub and a
//! real agent: secret values are write-only in every answer (a template's secret default, a
//! schedule's secret values), never in the database file in clear, never in the hub's log;
//! a placeholder's value is data wherever it stands in the command; the sample library
//! refuses path traversal.

mod common;

use common::*;
use serde_json::{Value, json};

const SECRET: &str = "Zk9-the-real-secret-Qw";

/// Every file of the data dir's database (the file, its WAL and shared memory).
fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_values_are_write_only_and_never_stored_in_clear() {
    let hub = Hub::start().await;
    let _agent = hub.agent("sec-01", "dev");
    let admin = hub.login().await;
    hub.add_user("viewer@example.com", "viewer", "default");
    let viewer = hub.login_as("viewer@example.com").await;
    wait_idle(&hub, &admin, &["sec-01"]).await;

    // A template whose secret parameter has a default.
    let (status, t) = hub
        .post(
            "/api/v1/actions",
            Some(&admin),
            json!({"name": "Check secret", "category": "security", "action_type": "validation",
                   "parameters": {"pw": {"type": "secret", "default": SECRET}, "want": {"type": "secret", "required": true}},
                   "command_template": "test {pw} = {want} && echo MATCHED"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["parameters"]["pw"]["default"], "***", "{t}");
    let tid = t["id"].as_str().unwrap().to_string();
    // Every answer shows that a default is set, never what it is.
    for token in [&admin, &viewer] {
        let list = hub.get("/api/v1/actions", Some(token)).await.1;
        let one = hub
            .get(&format!("/api/v1/actions/{tid}"), Some(token))
            .await
            .1;
        let gql = hub
            .post(
                "/graphql",
                Some(token),
                json!({"query": "{ actionTemplates { id parameters } }"}),
            )
            .await
            .1;
        for answer in [&list, &one, &gql] {
            assert!(
                !answer.to_string().contains(SECRET),
                "a secret default was answered: {answer}"
            );
        }
        assert_eq!(one["parameters"]["pw"]["default"], "***");
    }
    // Saving what was shown keeps the secret (`***` is not a new value).
    let mut edited = t.clone();
    for k in ["id", "metadata", "version"] {
        edited.as_object_mut().unwrap().remove(k);
    }
    edited["description"] = "edited".into();
    let (status, body) = hub
        .request(
            "PUT",
            &format!("/api/v1/actions/{tid}"),
            Some(&admin),
            edited,
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The agent gets the real value (the command compares it), nobody else sees it.
    let req = json!({"action_template_id": tid, "parameters": {"want": SECRET}, "target_servers": ["sec-01"]});
    let id = start_execution(&hub, &admin, req).await;
    let done = wait_final(&hub, &admin, &id, 30).await;
    assert_eq!(done["status"]["overall"], "completed", "{done}");
    assert!(
        done["results"]["details"][0]["output"]
            .as_str()
            .unwrap()
            .contains("MATCHED"),
        "{done}"
    );

    // A schedule's secret values are write-only too.
    let (status, s) = hub
        .post(
            "/api/v1/schedules",
            Some(&admin),
            json!({"name": "nightly", "trigger": {"type": "cron", "expression": "0 0 3 * * *"},
                   "execution": {"action_template_id": tid, "parameters": {"pw": SECRET, "want": "x"}, "target_servers": ["sec-01"]}}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["execution"]["parameters"]["pw"], "***", "{s}");
    let sid = s["id"].as_str().unwrap();
    for token in [&admin, &viewer] {
        let one = hub
            .get(&format!("/api/v1/schedules/{sid}"), Some(token))
            .await
            .1;
        let list = hub.get("/api/v1/schedules", Some(token)).await.1;
        let gql = hub
            .post(
                "/graphql",
                Some(token),
                json!({"query": "{ schedules { id execution } }"}),
            )
            .await
            .1;
        for answer in [&one, &list, &gql] {
            assert!(
                !answer.to_string().contains(SECRET),
                "a schedule's secret was answered: {answer}"
            );
        }
    }

    // Nothing of it is in the database files in clear (nor in the hub's log).
    let bytes = hub.store_bytes().await;
    assert!(bytes.len() > 4096, "the database was read");
    assert!(
        !contains(&bytes, SECRET),
        "the secret is in the database file in clear"
    );
    assert!(!hub.log().contains(SECRET), "the secret is in the hub log");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_placeholders_value_never_runs_wherever_it_stands() {
    let hub = Hub::start().await;
    let _agent = hub.agent("inj-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["inj-01"]).await;
    let marker = hub.dir.path().join("pwned");
    let hostile = format!(
        "$(touch {m}) `touch {m}` ${{IFS}}'\"; touch {m}",
        m = marker.display()
    );
    // The first release's sample pattern (inside double quotes), and the others.
    let cases = [
        ("double", "echo \"[{v}]\""),
        ("bare", "echo [{v}]"),
        ("single", "echo '[{v}]'"),
        ("substitution", "x=$(echo {v}); echo \"[$x]\""),
    ];
    for (what, cmd) in cases {
        let (status, t) = hub
            .post(
                "/api/v1/actions",
                Some(&token),
                json!({"name": format!("Echo {what}"), "parameters": {"v": {"type": "string", "required": true}}, "command_template": cmd}),
            )
            .await;
        assert_eq!(status, 201, "{t}");
        let req = json!({"action_template_id": t["id"], "parameters": {"v": hostile}, "target_servers": ["inj-01"]});
        let id = start_execution(&hub, &token, req).await;
        let done = wait_final(&hub, &token, &id, 30).await;
        assert_eq!(done["status"]["overall"], "completed", "{what}: {done}");
        let out = done["results"]["details"][0]["output"].as_str().unwrap();
        assert_eq!(
            out.trim_end(),
            format!("[{hostile}]"),
            "{what}: the value was not printed as it is"
        );
    }
    assert!(!marker.exists(), "a value ran as a command");
    // Where no reference can be safe, the template is refused when saved.
    let (status, body) = hub
        .post(
            "/api/v1/actions",
            Some(&token),
            json!({"name": "Backticks", "parameters": {"v": {"type": "string"}}, "command_template": "echo `echo {v}`"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("backticks"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sample_library_refuses_path_traversal() {
    let hub = Hub::start().await;
    run_ok(
        std::process::Command::new(hub_bin())
            .args(["load-templates", "--config"])
            .arg(&hub.config),
    );
    let _agent = hub.agent("tmp-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["tmp-01"]).await;
    let list = hub
        .get("/api/v1/actions?q=temp&page_size=50", Some(&token))
        .await
        .1;
    let clear = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Clear a temp directory")
        .expect("the sample is loaded");
    for dir in ["/tmp/../etc", "/tmp/x/../../etc", "/etc"] {
        let (status, body) = hub
            .post(
                "/api/v1/executions/preview",
                Some(&token),
                json!({"action_template_id": clear["id"], "parameters": {"dir": dir}, "target_servers": ["tmp-01"]}),
            )
            .await;
        assert_eq!(status, 422, "{dir}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("parameters.dir"),
            "{body}"
        );
    }
    let (status, body): (u16, Value) = hub
        .post(
            "/api/v1/executions/preview",
            Some(&token),
            json!({"action_template_id": clear["id"], "parameters": {"dir": "/tmp/greenroom-cache"}, "target_servers": ["tmp-01"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}
