//! Property tests of the config loader: the specification's `backend_config.yaml`, broken in
//! generated ways (a value replaced with junk, a line dropped or doubled, junk inserted), is
//! either accepted or refused with one line per problem that names the file or the field —
//! never a panic, and never the secret it holds.

use super::*;
use greenroom_proto::config::load_yaml_with;
use proptest::prelude::*;

const SECRET: &str = "s3cret-jwt-value-that-must-never-be-echoed!";

fn example() -> String {
    format!(
        "database:\n  database_name: \"automation_system\"\n  connection_pool_size: 50\nredis:\n  job_queue: \"automation_jobs\"\n  pubsub_channel: \"automation_events\"\nsecurity:\n  jwt_secret: \"{SECRET}\"\n  token_expiry_hours: 8\n  refresh_token_days: 30\nexecution:\n  max_concurrent_executions: 100\n  default_timeout: 300\n  lock_ttl_minutes: 30\nlogging:\n  level: \"INFO\"\n  format: \"json\"\n  max_file_size: \"100MB\"\n  retention_days: 90\n"
    )
}

/// The example with line `at` (modulo its length) changed in way `how`.
fn broken(at: usize, how: u8, junk: &str) -> String {
    let text = example();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let i = at % lines.len();
    match how % 4 {
        0 => {
            let key = lines[i].split(':').next().unwrap_or_default().to_string();
            lines[i] = format!("{key}: {junk}");
        }
        1 => {
            lines.remove(i);
        }
        2 => {
            let copy = lines[i].clone();
            lines.insert(i, copy);
        }
        _ => lines.insert(i, junk.to_string()),
    }
    lines.join("\n")
}

fn junk() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex("[-a-z0-9 :{}\\[\\],'\"#&*!|>%@`$.~]{0,16}").unwrap(),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("${UNSET_VARIABLE}".to_string()),
        Just("[1, 2".to_string()),
        Just("\"unterminated".to_string()),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_broken_config_gets_clear_errors_and_never_shows_its_secret(
        at in 0usize..64, how in any::<u8>(), junk in junk()
    ) {
        let text = broken(at, how, &junk);
        let problems = match load_yaml_with::<Config>(&text, "backend_config.yaml", |_| None) {
            Err(e) => vec![e.0],
            Ok(cfg) => cfg.validate().err().unwrap_or_default(),
        };
        for p in &problems {
            prop_assert!(!p.trim().is_empty(), "an empty problem for:\n{}", text);
            prop_assert!(!p.contains('\n'), "a problem of several lines: {}", p);
            prop_assert!(!p.contains(SECRET), "the secret in: {}", p);
            prop_assert!(
                p.contains("backend_config.yaml") || p.contains("field") || p.contains('`'),
                "names neither the file nor a field: {}", p
            );
        }
    }
}
