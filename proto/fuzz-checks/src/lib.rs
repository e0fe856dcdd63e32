//! The properties Greenroom is fuzzed for, one function per cargo-fuzz target (`proto/fuzz`):
//! each takes any bytes and panics when the property does not hold. `make fuzz` calls them
//! with libFuzzer's inputs under a sanitizer; this crate's test (`tests/replay.rs`, in
//! `make test`) calls them with the seeds, what fuzz runs found, and mutations of the seeds,
//! so a property broken by a change fails CI without a sanitizer build.
//!
//! - [`wire`]: the agent protocol as the hub and the agent read it.
//! - [`config`]: both config loaders; no message shows a connection string's password.
//! - [`template`]: a template renders the same command whatever a parameter's value.
//! - [`shellwords`]: the agent's reader of `/bin/sh` lines agrees with itself after quoting.
//! - [`masker`]: the connection-string maskers hide every password they find.
//! - [`certificates`]: CSRs and certificates are signed, read or refused, never a panic.

use base64::Engine;
use greenroom_proto as p;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;

/// A property: panics on an input it does not hold for.
pub type Property = fn(&[u8]);

/// Every target by its cargo-fuzz name (the name of its seed directory too).
pub const TARGETS: &[(&str, Property)] = &[
    ("wire", wire),
    ("config", config),
    ("template", template),
    ("shellwords", shellwords),
    ("masker", masker),
    ("certificates", certificates),
];

fn round_trip<T: Serialize + DeserializeOwned>(data: &[u8]) -> Option<T> {
    let v: T = serde_json::from_slice(data).ok()?;
    let first = serde_json::to_value(&v).expect("a parsed message writes back");
    let again: T = serde_json::from_value(first.clone()).expect("what was written reads again");
    assert_eq!(
        first,
        serde_json::to_value(&again).unwrap(),
        "changed in a round trip"
    );
    Some(v)
}

/// The agent protocol: any bytes given as each message body either fail to parse or parse
/// to a value that writes back and reads again to the same value; an action that parses is
/// judged by `Action::validate` without panicking.
pub fn wire(data: &[u8]) {
    if let Some(a) = round_trip::<p::Action>(data) {
        let _ = a.validate();
        let _ = a.kind();
        let _ = a.timeout();
    }
    round_trip::<p::EnrollRequest>(data);
    round_trip::<p::EnrollResponse>(data);
    round_trip::<p::RenewRequest>(data);
    round_trip::<p::HeartbeatRequest>(data);
    round_trip::<p::HeartbeatResponse>(data);
    if let Some(l) = round_trip::<p::LeaseResponse>(data)
        && let Some(job) = &l.job
    {
        let _ = job.action.validate();
    }
    round_trip::<p::OutputBatch>(data);
    round_trip::<p::JobResult>(data);
    round_trip::<p::TrustBundle>(data);
    round_trip::<p::ErrorBody>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = p::action::check_spec(text);
        let _ = p::action::parse_duration_secs(text);
        let _ = p::logfile::parse_size(text);
    }
}

/// The password every `${VAR}` of a fuzzed config expands to (inside [`CONFIG_URL`]).
pub const CONFIG_SECRET: &str = "Fz9-s3cret-Pw";
const CONFIG_URL: &str = "postgresql://app:Fz9-s3cret-Pw@db:5432/app";

/// The config loaders: any text as the hub's `backend_config.yaml` or the agent's
/// `agent_config.yaml` is accepted or refused with a message — never a panic — and no
/// message shows the password of a connection string, wherever the text puts it: every
/// `${VAR}` expands to a database URL with a marker password, as `${MONGO_URL}` would.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The password must come from the environment, as a well-formed URL: text that spells
    // it out itself (the fuzzer learns the constant) may mangle it past any masker's reach.
    if text.contains(CONFIG_SECRET) {
        return;
    }
    let lookup = |_: &str| Some(CONFIG_URL.to_string());
    let _ = p::config::expand_vars(text, lookup);
    match p::config::load_yaml_with::<greenroom_hub::config::Config>(text, "hub.yaml", lookup) {
        Ok(cfg) => {
            if let Err(problems) = cfg.validate() {
                for p in problems {
                    assert!(
                        !p.contains(CONFIG_SECRET),
                        "a hub config problem shows a secret: {p}"
                    );
                }
            }
        }
        Err(e) => assert!(
            !e.to_string().contains(CONFIG_SECRET),
            "hub config error shows a secret: {e}"
        ),
    }
    if let Err(e) = greenroom_agent::config::AgentConfig::from_yaml_with(text, "agent.yaml", lookup)
    {
        assert!(
            !e.to_string().contains(CONFIG_SECRET),
            "agent config error shows a secret: {e}"
        );
    }
}

fn fuzz_template(cmd: &str) -> greenroom_hub::model::ActionTemplate {
    use greenroom_hub::model::{
        ActionTemplate, ExecutionConfig, SuccessCriteria, TemplateMetadata,
    };
    ActionTemplate {
        tenant_id: "t".into(),
        id: "x".into(),
        name: "fuzz".into(),
        description: String::new(),
        category: "fuzz".into(),
        action_type: "validation".into(),
        version: "1.0.0".into(),
        parameters: serde_json::from_value(serde_json::json!({
            "p": {"type": "string"},
            "n": {"type": "integer"},
            "s": {"type": "secret"}
        }))
        .expect("parameter specs"),
        execution_config: ExecutionConfig::default(),
        command_template: cmd.into(),
        success_criteria: SuccessCriteria::default(),
        applicable_server_tags: vec![],
        metadata: TemplateMetadata {
            created_at: chrono::DateTime::UNIX_EPOCH,
            created_by: "fuzz".into(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
            usage_count: 0,
        },
    }
}

/// The template renderer: any command template is accepted or refused when saved, and a
/// template that is accepted renders the same command text whatever the parameter's value
/// (the value travels in the environment), in whatever quoting context the placeholders
/// stand; a secret's value never shows in the environment as displayed. Input: the
/// template text, a 0 byte, the value.
pub fn template(data: &[u8]) {
    use greenroom_hub::template::{check_template, render};
    use serde_json::json;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (cmd, value) = text.split_once('\0').unwrap_or((text, "x"));
    let t = fuzz_template(cmd);
    if check_template(&t).is_err() {
        return;
    }
    let params = json!({"p": value, "n": 7, "s": value});
    let neutral = render(&t, &json!({"p": "v", "n": 7, "s": "v"}));
    if let Ok(r) = render(&t, &params) {
        let neutral = neutral.expect("the same template renders with a plain value");
        assert_eq!(r.command, neutral.command, "{cmd:?} with {value:?}");
        assert_eq!(
            r.environment.get("GREENROOM_PARAM_p").map(String::as_str),
            Some(value)
        );
        if !value.is_empty() && value != "***" {
            let shown = r.masked_environment.get("GREENROOM_PARAM_s");
            assert_ne!(shown.map(String::as_str), Some(value), "the secret shows");
        }
    }
}

fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The agent's reader of `/bin/sh` command lines (what `allowed_commands` and
/// `forbidden_paths` judge) takes any text without panicking, and a line it calls safe
/// reads the same again once its words are re-quoted one by one: nothing it saw as one word
/// is split or joined by quoting. (Its agreement with a real `/bin/sh` is a proptest in the
/// agent's suite.)
pub fn shellwords(data: &[u8]) {
    use greenroom_agent::runner::shellwords::parse;
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(line);
    if parsed.unsafe_reason.is_some() {
        return;
    }
    for seg in &parsed.segments {
        if seg.words.is_empty() || !seg.redirect_targets.is_empty() {
            continue;
        }
        // Words beginning NAME= are assignments only unquoted; quoting keeps them words.
        let requoted: Vec<String> = seg.words.iter().map(|w| sh_quote(w)).collect();
        let again = parse(&requoted.join(" "));
        assert!(
            again.unsafe_reason.is_none(),
            "{line:?} -> {requoted:?}: {again:?}"
        );
        let words: Vec<&String> = again.segments.iter().flat_map(|s| &s.words).collect();
        assert_eq!(
            words.len(),
            seg.words.len(),
            "{line:?} -> {requoted:?}: {again:?}"
        );
        for (a, b) in words.iter().zip(&seg.words) {
            assert_eq!(*a, b, "{line:?}");
        }
    }
}

/// Whether the URL the secret stands in has whitespace between its `://` and the secret
/// (a user name with a blank): free text reads such a URL a word at a time.
fn blank_in_authority(conn: &str, secret: &str) -> bool {
    let Some(at) = conn.find(secret) else {
        return false;
    };
    conn[..at]
        .rfind("://")
        .is_some_and(|u| conn[u..at].contains(char::is_whitespace))
}

/// The connection-string masker: for any text, each password value it finds, as written, is
/// gone from the masked string when it stood there once (a value that also appears as
/// another part of the string, a host named like the password, cannot be told apart and is
/// skipped). The free-text masker hides it too, where free text reads it whole (no
/// whitespace in it or in its URL's authority).
pub fn masker(data: &[u8]) {
    use greenroom_proto::secrets::{
        connection_string_written_secrets, mask_connection_string, mask_secrets_in_text,
    };
    let Ok(conn) = std::str::from_utf8(data) else {
        return;
    };
    let masked = mask_connection_string(conn);
    let in_text = mask_secrets_in_text(conn);
    // The values as written: what the maskers replace. (The decoded values — what the agent
    // redacts from a job's output — may equal other text, a key's tail: `pass\word=` decodes
    // to `password=`; they are checked by the proptests against every dialect.)
    for s in connection_string_written_secrets(conn) {
        // A value with a `*` may be rebuilt by the mask itself (`Password=` + `***` holds
        // `rd=*`).
        if s.chars().count() < 4 || s.contains('*') || conn.matches(s.as_str()).count() != 1 {
            continue;
        }
        assert!(
            !masked.contains(&s),
            "{conn:?} -> {masked:?} still holds {s:?}"
        );
        // Free text is read a word at a time: a value with whitespace in it is found there
        // only in the shapes `secrets_in_free_text_are_masked_where_they_stand` lists (a
        // quoted URL's `user:pass word@`); any other is the one-string masker's alone.
        assert!(
            s.contains(char::is_whitespace)
                || blank_in_authority(conn, &s)
                || !in_text.contains(&s),
            "{conn:?} -> {in_text:?} (as text) still holds {s:?}"
        );
    }
}

fn fuzz_ca() -> &'static greenroom_pki::CertificateAuthority {
    static CA: OnceLock<(tempfile::TempDir, greenroom_pki::CertificateAuthority)> = OnceLock::new();
    &CA.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ca = greenroom_pki::CertificateAuthority::load_or_create(dir.path())
            .expect("a CA in a new directory");
        (dir, ca)
    })
    .1
}

/// CSR and certificate handling: any text as an agent's CSR is signed or refused with an
/// error (a signed certificate reads back with the fingerprint the CA gave it); any text
/// as a certificate's PEM gives a fingerprint and expiry or an error.
pub fn certificates(data: &[u8]) {
    use greenroom_pki::{fingerprint_pem, not_after_pem};
    let text = String::from_utf8_lossy(data);
    let _ = fingerprint_pem(&text);
    let _ = not_after_pem(&text);
    // The bytes as a CSR: PEM as given, anything else as DER wrapped in PEM.
    let pem = if text.contains("-----BEGIN") {
        text.to_string()
    } else {
        let b64 = base64::engine::general_purpose::STANDARD.encode(data);
        format!("-----BEGIN CERTIFICATE REQUEST-----\n{b64}\n-----END CERTIFICATE REQUEST-----\n")
    };
    let _ = fingerprint_pem(&pem.replace("CERTIFICATE REQUEST", "CERTIFICATE"));
    if let Ok(signed) = fuzz_ca().sign_agent_csr(&pem, "web-01", 30) {
        assert!(signed.certificate_pem.contains("BEGIN CERTIFICATE"));
        let fp = fingerprint_pem(&signed.certificate_pem).expect("our own certificate reads");
        assert_eq!(fp, signed.fingerprint);
    }
}
