//! `GET /agent/v1/ca` on the real hub's agent listener: answered without a client
//! certificate, with the CA that the hub's own files hold.

mod common;

use common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn the_ca_is_served_without_a_client_certificate() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = Hub::start().await;
    let ca = std::fs::read_to_string(hub.ca_path()).unwrap();
    let anon = agent_client(greenroom_pki::agent_client_config(&ca, None).unwrap());
    let resp = anon
        .get(format!("https://127.0.0.1:{}/agent/v1/ca", hub.agent_port))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    let served = body["ca_pem"].as_str().expect("ca_pem");
    assert_eq!(
        greenroom_pki::fingerprint_pem(served).unwrap(),
        greenroom_pki::fingerprint_pem(&ca).unwrap()
    );
    let bundle = body["ca_bundle_pem"].as_array().expect("bundle");
    assert_eq!(bundle.len(), 1, "{body}");
    assert_eq!(bundle[0].as_str(), Some(served));
}
