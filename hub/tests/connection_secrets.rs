//! Passwords of connection strings in every dialect stay out of what people see, against
//! the real hub and a real agent: the preview, the execution's action and its results (the
//! agent's errors included), and a shell command line holding a connection string.

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn passwords_in_every_dialect_stay_out_of_previews_actions_and_results() {
    let hub = Hub::start().await;
    let _a = hub.agent("dsn-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["dsn-01"]).await;
    let core = "Zq7SecretCore";
    let actions = [
        json!({"type": "database_query", "connection_string": format!("host = 127.0.0.1 port = 1 user = app password = '{core} a\\'b' dbname = x"), "query": "SELECT 1", "timeout": 5}),
        json!({"type": "database_query", "connection_string": format!("Server=127.0.0.1;Database=x;User Id=app;Password={core} with spaces;"), "query": "SELECT 1", "timeout": 5}),
        json!({"type": "database_query", "connection_string": format!("postgresql://app:{core}@x/y:z@127.0.0.1:1/x"), "query": "SELECT 1", "timeout": 5}),
        json!({"type": "database_query", "connection_string": format!("mysql://app:{core}%40x@127.0.0.1:1/x"), "query": "SELECT 1", "timeout": 5}),
        json!({"type": "shell_command", "command": format!("PGPASSWORD={core} true postgresql://app:{core}@db/x")}),
    ];
    for action in actions {
        let req = json!({"action": action, "target_servers": ["dsn-01"]});
        let preview = hub
            .post("/api/v1/executions/preview", Some(&token), req.clone())
            .await
            .1;
        let id = start_execution(&hub, &token, req).await;
        let done = wait_final(&hub, &token, &id, 30).await;
        let logs = hub
            .get(&format!("/api/v1/executions/{id}/logs"), Some(&token))
            .await
            .1;
        for (what, v) in [("preview", &preview), ("execution", &done), ("logs", &logs)] {
            assert!(
                !v.to_string().contains(core),
                "the password shows in the {what} of {action}: {v}"
            );
        }
        assert!(done.to_string().contains("***"), "{done}");
    }
}
