//! The agent protocol as the hub and the agent read it: any bytes given as each message
//! body either fail to parse or parse to a value that writes back and reads again to the
//! same value; an action that parses is judged by `Action::validate` without panicking.
#![no_main]

use greenroom_proto as p;
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

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

fuzz_target!(|data: &[u8]| {
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
    if let Some(l) = round_trip::<p::LeaseResponse>(data) {
        if let Some(job) = &l.job {
            let _ = job.action.validate();
        }
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
});
