//! Notification rules on behalf of users (admins manage them; they hold credentials), their
//! delivery history, and "send a test". Rules are validated whole at the boundary; targets
//! are shown masked (`describe_target`), webhook secrets never.

use crate::app::App;
use crate::audit::{self, Origin, Resource};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::model::{Channel, Delivery, EventKind, NotificationRule, Page, PageRequest, Role};
use crate::notify::describe_target;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

/// The body of `POST /api/v1/notifications/rules` (and of an update, which replaces a rule).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    pub channel: Channel,
    pub events: Vec<EventKind>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Most recipients one email rule may name.
const MAX_RECIPIENTS: usize = 20;

fn validate(app: &App, input: &RuleInput) -> Result<()> {
    let mut p = Vec::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        p.push("name: 1 to 100 characters".to_string());
    }
    if input.events.is_empty() {
        p.push("events: name at least one event".into());
    }
    if input.events.contains(&EventKind::Test) {
        p.push("events: `test` is not an event to subscribe to (use the test action)".into());
    }
    match &input.channel {
        Channel::Webhook { url, secret } => {
            check_url(url, &mut p);
            if secret
                .as_deref()
                .is_some_and(|s| !s.is_empty() && s.len() < 16)
            {
                p.push("channel.secret: at least 16 characters".into());
            }
        }
        Channel::Slack { url } => check_url(url, &mut p),
        Channel::Email { to } => {
            if to.is_empty() || to.len() > MAX_RECIPIENTS {
                p.push(format!("channel.to: 1 to {MAX_RECIPIENTS} addresses"));
            }
            for a in to.iter().filter(|a| !crate::notify::valid_address(a)) {
                p.push(format!("channel.to: {a:?} is not a mail address"));
            }
            if app.config.notifications.smtp.is_none() {
                p.push("channel: email needs a mail relay, and `notifications.smtp` is not set in the hub's config".into());
            }
        }
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(p))
    }
}

fn check_url(url: &str, p: &mut Vec<String>) {
    match reqwest::Url::parse(url) {
        Ok(u)
            if u.host_str()
                .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
                .and_then(|h| h.parse::<std::net::IpAddr>().ok())
                .is_some_and(crate::notify::forbidden_target) =>
        {
            p.push("channel.url: link-local addresses (such as the cloud metadata service) are refused".into())
        }
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
        Ok(_) => p.push("channel.url: must be an http or https URL with a host".into()),
        Err(e) => p.push(format!("channel.url: not a URL ({e})")),
    }
}

/// Where a rule sends, without credentials (`https://hooks.example.com/***`, or the
/// recipients), and whether it signs with a secret: all REST and GraphQL show of a channel.
pub fn masked(channel: &Channel) -> (String, bool) {
    match channel {
        Channel::Webhook { url, secret } => (
            describe_target(url),
            secret.as_deref().is_some_and(|s| !s.is_empty()),
        ),
        Channel::Slack { url } => (describe_target(url), false),
        Channel::Email { to } => (to.join(", "), false),
    }
}

/// A rule as the API shows it: the target masked, the secret reduced to whether one is set.
pub fn public(r: &NotificationRule) -> Value {
    let (target, has_secret) = masked(&r.channel);
    json!({
        "id": r.id, "name": r.name, "channel": r.channel.kind(), "target": target,
        "has_secret": has_secret, "events": r.events, "enabled": r.enabled,
        "created_by": r.created_by, "created_at": r.created_at, "updated_at": r.updated_at,
    })
}

fn resource(r: &NotificationRule) -> Resource<'_> {
    Resource {
        kind: "notification_rule",
        id: &r.id,
        name: Some(&r.name),
    }
}

pub async fn create(
    app: &App,
    caller: &Caller,
    input: RuleInput,
    origin: &Origin,
) -> Result<NotificationRule> {
    caller.require(Role::Admin)?;
    validate(app, &input)?;
    let now = Utc::now();
    let rule = NotificationRule {
        id: format!("rule_{}", uuid::Uuid::new_v4().simple()),
        tenant_id: caller.tenant_id.clone(),
        name: input.name.trim().to_string(),
        channel: input.channel,
        events: input.events,
        enabled: input.enabled,
        created_by: caller.email.clone(),
        created_at: now,
        updated_at: now,
    };
    app.store.put_notification_rule(&rule).await?;
    let details = json!({"rule": public(&rule)});
    audit::by_caller(
        app,
        caller,
        origin,
        "notification_rule_created",
        resource(&rule),
        details,
    )
    .await;
    Ok(rule)
}

/// Replaces a rule. A webhook without `secret` keeps its current secret; `""` removes it.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: &str,
    mut input: RuleInput,
    origin: &Origin,
) -> Result<NotificationRule> {
    caller.require(Role::Admin)?;
    let old = get(app, caller, id).await?;
    if let (Channel::Webhook { secret, .. }, Channel::Webhook { secret: kept, .. }) =
        (&mut input.channel, &old.channel)
    {
        match secret.as_deref() {
            None => secret.clone_from(kept),
            Some("") => *secret = None,
            Some(_) => {}
        }
    }
    validate(app, &input)?;
    let rule = NotificationRule {
        name: input.name.trim().to_string(),
        channel: input.channel,
        events: input.events,
        enabled: input.enabled,
        updated_at: Utc::now(),
        ..old.clone()
    };
    app.store.put_notification_rule(&rule).await?;
    let details = json!({"before": public(&old), "after": public(&rule)});
    audit::by_caller(
        app,
        caller,
        origin,
        "notification_rule_updated",
        resource(&rule),
        details,
    )
    .await;
    Ok(rule)
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<NotificationRule> {
    caller.require(Role::Admin)?;
    app.store
        .get_notification_rule(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("notification rule {id} not found")))
}

pub async fn list(app: &App, caller: &Caller) -> Result<Vec<NotificationRule>> {
    caller.require(Role::Admin)?;
    Ok(app.store.list_notification_rules(&caller.tenant_id).await?)
}

pub async fn delete(app: &App, caller: &Caller, id: &str, origin: &Origin) -> Result<()> {
    let rule = get(app, caller, id).await?;
    app.store
        .delete_notification_rule(&caller.tenant_id, id)
        .await?;
    audit::by_caller(
        app,
        caller,
        origin,
        "notification_rule_deleted",
        resource(&rule),
        json!({}),
    )
    .await;
    Ok(())
}

/// Queues a test event for one rule; its delivery shows in the history like any other.
/// Returns the event's sequence number.
pub async fn test(app: &App, caller: &Caller, id: &str, origin: &Origin) -> Result<u64> {
    let rule = get(app, caller, id).await?;
    let details = json!({"rule_id": rule.id, "rule_name": rule.name, "requested_by": caller.email});
    let seq = app
        .store
        .record_event(
            &caller.tenant_id,
            EventKind::Test,
            &rule.id,
            &details,
            Utc::now(),
        )
        .await?;
    audit::by_caller(
        app,
        caller,
        origin,
        "notification_rule_tested",
        resource(&rule),
        json!({"event_id": seq}),
    )
    .await;
    app.bus.publish(crate::bus::Event::Outbox);
    Ok(seq)
}

/// The delivery history of the caller's tenant (optionally of one rule), newest first.
pub async fn deliveries(
    app: &App,
    caller: &Caller,
    rule_id: Option<&str>,
    page: PageRequest,
) -> Result<Page<Delivery>> {
    caller.require(Role::Admin)?;
    if let Some(id) = rule_id {
        // Another tenant's rule is "not found", like every other object.
        let known = app
            .store
            .get_notification_rule(&caller.tenant_id, id)
            .await?;
        let deleted_history = app
            .store
            .list_deliveries(
                &caller.tenant_id,
                Some(id),
                PageRequest::new(Some(1), Some(1))?,
            )
            .await?
            .total
            > 0;
        if known.is_none() && !deleted_history {
            return Err(Error::NotFound(format!("notification rule {id} not found")));
        }
    }
    Ok(app
        .store
        .list_deliveries(&caller.tenant_id, rule_id, page)
        .await?)
}
