//! The config loaders: any text as the hub's `backend_config.yaml` or the agent's
//! `agent_config.yaml` is accepted or refused with a message — never a panic — and no
//! message shows the password of a connection string, wherever the fuzzer put it: every
//! `${VAR}` expands to a database URL with a marker password, as `${MONGO_URL}` would.
#![no_main]

use libfuzzer_sys::fuzz_target;

const SECRET: &str = "Fz9-s3cret-Pw";
const URL: &str = "postgresql://app:Fz9-s3cret-Pw@db:5432/app";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The password must come from the environment, as a well-formed URL: text that spells
    // it out itself (the fuzzer learns the constant) may mangle it past any masker's reach.
    if text.contains(SECRET) {
        return;
    }
    let lookup = |_: &str| Some(URL.to_string());
    let _ = greenroom_proto::config::expand_vars(text, lookup);
    match greenroom_proto::config::load_yaml_with::<greenroom_hub::config::Config>(
        text, "hub.yaml", lookup,
    ) {
        Ok(cfg) => {
            if let Err(problems) = cfg.validate() {
                for p in problems {
                    assert!(
                        !p.contains(SECRET),
                        "a hub config problem shows a secret: {p}"
                    );
                }
            }
        }
        Err(e) => assert!(
            !e.to_string().contains(SECRET),
            "hub config error shows a secret: {e}"
        ),
    }
    if let Err(e) = greenroom_agent::config::AgentConfig::from_yaml_with(text, "agent.yaml", lookup)
    {
        assert!(
            !e.to_string().contains(SECRET),
            "agent config error shows a secret: {e}"
        );
    }
});
