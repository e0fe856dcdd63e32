//! Security, second round — sessions and identities, against the real hub: every token of a
//! sign-in ends with it; sign-in is throttled per account and address and says nothing
//! about which accounts exist; token errors say nothing of the library; another tenant's
//! ids are never revealed.

mod common;

use common::*;
use serde_json::{Value, json};

async fn sign_in(hub: &Hub, email: &str, password: &str) -> (u16, Value) {
    hub.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

async fn refresh(hub: &Hub, token: &Value) -> u16 {
    hub.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": token}),
    )
    .await
    .0
}

fn access(pair: &Value) -> &str {
    pair["access_token"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_token_of_a_sign_in_ends_with_it() {
    let hub = Hub::start().await;
    let admin = hub.login().await;
    hub.add_user("u@example.com", "operator", "default");

    // Logout: the refresh token of that sign-in no longer gives a working access token.
    let (_, pair) = sign_in(&hub, "u@example.com", PASSWORD).await;
    let (status, pair2) = hub
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 200, "{pair2}");
    let (status, _) = hub
        .post("/api/v1/auth/logout", Some(access(&pair2)), Value::Null)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        refresh(&hub, &pair2["refresh_token"]).await,
        401,
        "refresh after logout"
    );
    for token in [access(&pair), access(&pair2)] {
        assert_eq!(
            hub.get("/api/v1/servers", Some(token)).await.0,
            401,
            "access after logout"
        );
    }

    // An admin sets a new password: every sign-in of the user ends, refresh tokens included.
    let (_, a) = sign_in(&hub, "u@example.com", PASSWORD).await;
    let (_, b) = sign_in(&hub, "u@example.com", PASSWORD).await;
    let (status, body) = hub
        .request(
            "PUT",
            "/api/v1/users/u@example.com",
            Some(&admin),
            json!({"password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for pair in [&a, &b] {
        assert_eq!(
            refresh(&hub, &pair["refresh_token"]).await,
            401,
            "refresh after a new password"
        );
        assert_eq!(hub.get("/api/v1/servers", Some(access(pair))).await.0, 401);
    }
    let (status, c) = sign_in(&hub, "u@example.com", "a-brand-new-password").await;
    assert_eq!(status, 200, "{c}");

    // Disabling the user does the same.
    let (status, _) = hub
        .request(
            "PUT",
            "/api/v1/users/u@example.com",
            Some(&admin),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        refresh(&hub, &c["refresh_token"]).await,
        401,
        "refresh of a disabled user"
    );
    assert_eq!(hub.get("/api/v1/servers", Some(access(&c))).await.0, 401);

    // A replayed refresh token ends the whole sign-in: its access tokens too.
    let (_, d) = sign_in(&hub, ADMIN, PASSWORD).await;
    let (status, d2) = hub
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": d["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        refresh(&hub, &d["refresh_token"]).await,
        401,
        "replay accepted"
    );
    for token in [access(&d), access(&d2)] {
        assert_eq!(
            hub.get("/api/v1/servers", Some(token)).await.0,
            401,
            "access after a replay"
        );
    }
    assert_eq!(refresh(&hub, &d2["refresh_token"]).await, 401);
    // The admin's other sign-in is untouched.
    assert_eq!(hub.get("/api/v1/servers", Some(&admin)).await.0, 200);
    let audit = hub.get("/api/v1/audit?page_size=500", Some(&admin)).await.1;
    let events: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    for e in ["refresh_token_reused", "user_logout", "user_updated"] {
        assert!(events.contains(&e), "{e} not audited: {events:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_is_throttled_per_account_and_address_and_tells_nothing() {
    // Behind a trusted proxy (127.0.0.1 here), X-Forwarded-For names the client.
    let hub = Hub::start_secured("  trusted_proxies: [\"127.0.0.1\"]\n").await;
    hub.add_user("guess@example.com", "viewer", "default");
    let attempt = |from: &'static str, email: &'static str, password: &'static str| {
        let hub = &hub;
        async move {
            let resp = hub
                .client
                .post(format!("{}/api/v1/auth/login", hub.http))
                .header("x-forwarded-for", from)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let retry = resp.headers().contains_key("retry-after");
            let body: Value = resp.json().await.unwrap_or_default();
            (
                status,
                retry,
                body["error"]["message"].as_str().unwrap_or("").to_string(),
            )
        }
    };
    // A known and an unknown account get the same answers, in the same order.
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..6 {
        known.push(attempt("203.0.113.1", "guess@example.com", "wrong-password").await);
        unknown.push(attempt("203.0.113.1", "nobody@example.com", "wrong-password").await);
    }
    assert_eq!(
        known.iter().map(|a| a.0).collect::<Vec<_>>(),
        [401, 401, 401, 401, 401, 429]
    );
    assert_eq!(
        known.iter().map(|a| (a.0, &a.2)).collect::<Vec<_>>()[..5],
        unknown.iter().map(|a| (a.0, &a.2)).collect::<Vec<_>>()[..5],
        "known and unknown accounts are told apart"
    );
    assert_eq!(unknown[5].0, 429, "unknown accounts are throttled too");
    assert!(known[5].1, "429 says when to retry");
    // From that address even the right password waits...
    assert_eq!(
        attempt("203.0.113.1", "guess@example.com", PASSWORD)
            .await
            .0,
        429
    );
    // ...but nobody elsewhere can lock the user out.
    assert_eq!(
        attempt("198.51.100.7", "guess@example.com", PASSWORD)
            .await
            .0,
        200
    );
    // Failures for unknown accounts are counted, not written into a tenant's audit log.
    let admin = hub.login().await;
    let audit = hub.get("/api/v1/audit?page_size=500", Some(&admin)).await.1;
    let mentions_unknown = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.to_string().contains("nobody@example.com"));
    assert!(
        !mentions_unknown,
        "an unknown account's failures reached the audit log"
    );
    let failed_known = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["event_type"] == "user_login"
                && e["actor"]["id"] == "guess@example.com"
                && e["result"]["success"] == false
        })
        .expect("the known account's failures are audited");
    assert_eq!(
        failed_known["actor"]["ip_address"], "203.0.113.1",
        "the client's address, not the proxy's"
    );
    let metrics = hub.text("/metrics", None).await;
    assert!(
        metrics.contains("greenroom_login_failures_total{reason=\"unknown_account\"} 5"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("login_failures"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Only failures in a row add up: a user who signs in often is never throttled, and a
    // success clears the failures before it.
    for _ in 0..8 {
        assert_eq!(
            attempt("198.51.100.7", "guess@example.com", PASSWORD)
                .await
                .0,
            200,
            "successful sign-ins were throttled"
        );
    }
    for round in 0..2 {
        for _ in 0..4 {
            let a = attempt("198.51.100.8", "guess@example.com", "wrong-password").await;
            assert_eq!(a.0, 401, "round {round}");
        }
        let ok = attempt("198.51.100.8", "guess@example.com", PASSWORD).await;
        assert_eq!(ok.0, 200, "round {round}: the fifth attempt is allowed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_peer_cannot_choose_its_address() {
    // No trusted proxies: X-Forwarded-For is ignored, so rotating it does not escape the limit.
    let hub = Hub::start().await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let resp = hub
            .client
            .post(format!("{}/api/v1/auth/login", hub.http))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .json(&json!({"email": ADMIN, "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn token_errors_say_only_invalid_token() {
    let hub = Hub::start().await;
    use base64::Engine as _;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let claims = json!({"sub": ADMIN, "tid": "default", "role": "admin", "iat": 1, "exp": 4102444800u64, "sid": "x"});
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims)
    );
    let wrong_key = format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(&json!({"alg": "HS256", "typ": "JWT"})),
        b64(&claims)
    );
    let expired = {
        let mut c = claims.clone();
        c["exp"] = 1.into();
        format!("{}.{}.c2ln", b64(&json!({"alg": "HS256"})), b64(&c))
    };
    for token in [
        none.as_str(),
        wrong_key.as_str(),
        expired.as_str(),
        "garbage",
        "a.b.c",
    ] {
        let (status, body) = hub.get("/api/v1/servers", Some(token)).await;
        assert_eq!(status, 401, "{token}");
        assert_eq!(body["error"]["message"], "invalid token", "{token}: {body}");
        let (status, body) = hub
            .post(
                "/graphql",
                Some(token),
                json!({"query": "{ me { email } }"}),
            )
            .await;
        assert_eq!(status, 401, "{token}");
        assert_eq!(
            body["errors"][0]["message"], "invalid token",
            "{token}: {body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_tenants_ids_are_never_revealed() {
    let hub = Hub::start().await;
    let admin = hub.login().await;
    hub.add_user("admin@other.example", "admin", "other");
    let other = hub.login_as("admin@other.example").await;
    let _agent = hub.agent("shared-01", "dev");
    wait_idle(&hub, &admin, &["shared-01"]).await;

    // A server id and a user email of tenant `default`, created in `other`: no conflict.
    let (status, body) = hub
        .post(
            "/api/v1/servers",
            Some(&other),
            json!({"server_id": "shared-01", "environment": "uat"}),
        )
        .await;
    assert_eq!(
        status, 201,
        "the other tenant's server id was revealed: {body}"
    );
    let (status, body) = hub
        .post(
            "/api/v1/users",
            Some(&other),
            json!({"email": "admin@example.com", "password": "another-password-here", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201, "the other tenant's user was revealed: {body}");
    // Each signs in with their own password, in their own tenant.
    let (status, pair) = sign_in(&hub, ADMIN, "another-password-here").await;
    assert_eq!(status, 200, "{pair}");
    let me = hub
        .post(
            "/graphql",
            Some(access(&pair)),
            json!({"query": "{ me { email tenantId role } }"}),
        )
        .await
        .1;
    assert_eq!(me["data"]["me"]["tenantId"], "other", "{me}");
    assert_eq!(me["data"]["me"]["role"], "VIEWER", "{me}");
    assert_eq!(sign_in(&hub, ADMIN, PASSWORD).await.0, 200);

    // Enrolling with the other tenant's token under the same id makes that tenant's server;
    // the first tenant's is untouched and nothing says it exists.
    let (status, tok) = hub
        .post("/api/v1/enrollment-tokens", Some(&other), json!({}))
        .await;
    assert_eq!(status, 201, "{tok}");
    let mut agent2 = hub.agent_with_token(
        "shared-01",
        "uat",
        tok["token"].as_str().unwrap(),
        "other-shared",
    );
    let their = hub
        .wait_for("/api/v1/servers/shared-01", &other, 30, |v| {
            v["status"]["current"] == "idle"
        })
        .await;
    assert!(
        their["credentials"]["certificate_fingerprint"].is_string(),
        "{their}"
    );
    let ours = hub.get("/api/v1/servers/shared-01", Some(&admin)).await.1;
    assert_eq!(ours["environment"], "dev");
    assert_ne!(
        ours["credentials"]["certificate_fingerprint"],
        their["credentials"]["certificate_fingerprint"],
        "one tenant's enrollment replaced the other's certificate"
    );
    assert!(!agent2.log().contains("another tenant"), "{}", agent2.log());
    agent2.kill();
    // Each tenant runs only on its own server.
    let id = start_execution(&hub, &admin, json!({"action": {"type": "shell_command", "command": "echo ours"}, "target_servers": ["shared-01"]})).await;
    let done = wait_final(&hub, &admin, &id, 30).await;
    assert_eq!(done["results"]["details"][0]["output"], "ours\n", "{done}");
}
