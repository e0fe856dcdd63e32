//! Notification rules and their delivery history over GraphQL (admins), through the same
//! service as REST: `notificationRules`, `notificationDeliveries`, and create / update /
//! delete / test mutations.

use super::connections::{self, Read, Window, connection};
use super::payloads::{DeletePayload, UserError, payload, split};
use super::{Coded, app, caller, origin};
use crate::error::Error;
use crate::model::{Channel, Delivery, EventKind, NotificationRule};
use crate::service::notifications::{self as notes, RuleInput};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};

/// Where a notification rule sends.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ChannelType {
    /// A JSON POST to a URL, signed (`X-Greenroom-Signature: sha256=<hmac>`) when the rule
    /// has a secret.
    Webhook,
    /// A Slack-compatible incoming webhook.
    Slack,
    /// E-mail through the hub's mail relay (`notifications.smtp`).
    Email,
}

impl ChannelType {
    fn kind(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Slack => "slack",
            Self::Email => "email",
        }
    }
}

/// A notification rule: which events go to which channel.
#[derive(InputObject)]
pub struct NotificationRuleInput {
    /// A name for people.
    name: String,
    /// Where it sends.
    channel: ChannelType,
    /// For WEBHOOK and SLACK. On update, leave it out to keep the current URL (answers never
    /// show it whole).
    url: Option<String>,
    /// For WEBHOOK: signs each request (`X-Greenroom-Signature`). On update, leave it out to
    /// keep the current one, or give "" to remove it.
    secret: Option<String>,
    /// For EMAIL: the recipients (on update, leave it out to keep them).
    to: Option<Vec<String>>,
    /// The events it sends (`TEST` is sent by `testNotificationRule` whatever this says).
    events: Vec<EventKind>,
    /// Whether it sends (true when not set).
    #[graphql(default = true)]
    enabled: bool,
}

impl NotificationRuleInput {
    /// The service's input; on update (`current` given), a URL or recipient list left out is
    /// the current rule's, when the channel type stays the same.
    fn into_rule(self, current: Option<&Channel>) -> crate::error::Result<RuleInput> {
        let same_type = current.is_some_and(|c| c.kind() == self.channel.kind());
        let kept_url = match current {
            Some(Channel::Webhook { url, .. } | Channel::Slack { url }) if same_type => {
                Some(url.clone())
            }
            _ => None,
        };
        let url = self.url.or(kept_url);
        let need_url = || {
            url.clone()
                .ok_or_else(|| Error::invalid("url: required for this channel"))
        };
        let channel = match self.channel {
            ChannelType::Webhook => Channel::Webhook {
                url: need_url()?,
                secret: self.secret,
            },
            ChannelType::Slack => Channel::Slack { url: need_url()? },
            ChannelType::Email => Channel::Email {
                to: match (self.to, current) {
                    (Some(to), _) => to,
                    (None, Some(Channel::Email { to })) => to.clone(),
                    (None, _) => {
                        return Err(Error::invalid("to: required for EMAIL"));
                    }
                },
            },
        };
        Ok(RuleInput {
            name: self.name,
            channel,
            events: self.events,
            enabled: self.enabled,
        })
    }
}

/// A rule as GraphQL shows it: the target masked, the secret never.
pub struct RuleView(pub NotificationRule);

/// Which events a tenant is told about, and where: a webhook, Slack or e-mail.
#[Object(name = "NotificationRule")]
impl RuleView {
    /// The rule's global id.
    pub(super) async fn id(&self) -> async_graphql::ID {
        super::nodes::global_id("NotificationRule", &self.0.id)
    }
    /// The rule's own id (REST's `id`).
    async fn rule_id(&self) -> &str {
        &self.0.id
    }
    /// Its name, for people.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Where it sends.
    async fn channel(&self) -> ChannelType {
        match self.0.channel {
            Channel::Webhook { .. } => ChannelType::Webhook,
            Channel::Slack { .. } => ChannelType::Slack,
            Channel::Email { .. } => ChannelType::Email,
        }
    }
    /// Where it sends, without credentials: `https://hooks.example.com/***`, or the recipients.
    async fn target(&self) -> String {
        notes::masked(&self.0.channel).0
    }
    /// Whether a webhook rule signs its requests with a secret (never shown).
    async fn has_secret(&self) -> bool {
        notes::masked(&self.0.channel).1
    }
    /// The events it sends.
    async fn events(&self) -> &[EventKind] {
        &self.0.events
    }
    /// Whether it sends; a disabled rule still receives `testNotificationRule`'s event.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// The admin who created it (e-mail address).
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    /// When it was created.
    async fn created_at(&self) -> crate::model::Timestamp {
        self.0.created_at
    }
    /// When it was last changed.
    async fn updated_at(&self) -> crate::model::Timestamp {
        self.0.updated_at
    }
}

connection!(
    /// A page of notification rules.
    NotificationRuleConnection,
    NotificationRuleEdge,
    RuleView
);
connection!(
    /// A page of notification deliveries.
    DeliveryConnection,
    DeliveryEdge,
    Delivery,
    paged
);

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The tenant's notification rules by name (admins).
    #[graphql(complexity = "connections::cost(first, last, None, child_complexity)")]
    async fn notification_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first `first` rules (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the rules after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` rules (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the rules before it.")] before: Option<String>,
    ) -> Result<NotificationRuleConnection> {
        let w = Window::new("notificationRules", first, after, last, before).coded()?;
        let mut rules = notes::list(app(ctx)?, caller(ctx)?).await.coded()?;
        let key = |r: &NotificationRule| format!("{}\u{0}{}", r.name, r.id);
        rules.sort_by_key(key);
        let total = rules.len() as u64;
        let (page, prev, next) = w.cut(rules, key);
        let page = page
            .into_iter()
            .map(|r| {
                let cursor = connections::encode("notificationRules", &key(&r));
                (RuleView(r), cursor)
            })
            .collect();
        Ok(NotificationRuleConnection::new(
            page, prev, next, total, w.count,
        ))
    }

    /// Delivery history, newest first, optionally of one rule (admins). Read forwards
    /// only; its cursors are positions (a delivery made meanwhile shifts them by one).
    #[graphql(complexity = "connections::cost(first, None, page_size, child_complexity)")]
    async fn notification_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this rule's deliveries.")] rule_id: Option<String>,
        #[graphql(desc = "The first `first` deliveries (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the deliveries after it.")] after: Option<String>,
        #[graphql(deprecation = "Use `first`/`after`.", desc = "A 1-based page number.")]
        page: Option<i32>,
        #[graphql(deprecation = "Use `first`/`after`.", desc = "Deliveries per page.")]
        page_size: Option<i32>,
    ) -> Result<DeliveryConnection> {
        let read = Read::new("deliveries", first, after, None, None, page, page_size).coded()?;
        let (p, start) = match &read {
            Read::Page(p) => (*p, p.offset()),
            Read::Window(w) => {
                let start = match &w.after {
                    None => 0,
                    Some(k) => k
                        .strip_prefix('@')
                        .and_then(|n| n.parse::<u64>().ok())
                        .map(|n| n + 1)
                        .ok_or_else(|| Error::invalid("after: not a cursor of this list"))
                        .coded()?,
                };
                let mut p = w.page_request();
                p.skip = Some(start);
                (p, start)
            }
        };
        let rule_id = rule_id.map(|r| super::nodes::key_of("NotificationRule", &r));
        let d = notes::deliveries(app(ctx)?, caller(ctx)?, rule_id.as_deref(), p)
            .await
            .coded()?;
        let (items, _, next, asked) = read.finish(d.items, d.total);
        let items = items
            .into_iter()
            .enumerate()
            .map(|(i, x)| {
                let cursor = connections::encode("deliveries", &format!("@{}", start + i as u64));
                (x, cursor)
            })
            .collect();
        Ok(DeliveryConnection::new(
            items,
            start > 0,
            next,
            d.total,
            asked,
        ))
    }
}

payload!(
    /// What the notification rule mutations answer.
    NotificationRulePayload { rule: RuleView }
);

/// What `testNotificationRule` answers.
#[derive(SimpleObject)]
pub struct TestNotificationPayload {
    /// The test event's id (its delivery appears in `notificationDeliveries`); null when
    /// `userErrors` is not empty.
    pub event_id: Option<u64>,
    /// What was wrong with the request; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Admin: a new notification rule.
    async fn create_notification_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new rule.")] input: NotificationRuleInput,
    ) -> Result<NotificationRulePayload> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let r = match input.into_rule(None) {
            Ok(rule) => notes::create(app, caller, rule, origin(ctx))
                .await
                .map(RuleView),
            Err(e) => Err(e),
        };
        NotificationRulePayload::of(r, &["input"])
    }

    /// Admin: replaces a rule. Leave `url` (or `to`) out to keep the current one, and
    /// `secret` out to keep the current secret ("" removes it).
    async fn update_notification_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule's id.")] id: String,
        #[graphql(desc = "The rule as it should be.")] input: NotificationRuleInput,
    ) -> Result<NotificationRulePayload> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let r = async {
            let current = notes::get(app, caller, &id).await?;
            let input = input.into_rule(Some(&current.channel))?;
            notes::update(app, caller, &id, input, origin(ctx))
                .await
                .map(RuleView)
        };
        NotificationRulePayload::of(r.await, &["input"])
    }

    /// Admin: deletes a rule (its delivery history stays).
    async fn delete_notification_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule's id.")] id: String,
    ) -> Result<DeletePayload> {
        let r = notes::delete(app(ctx)?, caller(ctx)?, &id, origin(ctx)).await;
        DeletePayload::of(r, &id, &[])
    }

    /// Admin: sends a test event through the rule.
    async fn test_notification_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule's id.")] id: String,
    ) -> Result<TestNotificationPayload> {
        let r = notes::test(app(ctx)?, caller(ctx)?, &id, origin(ctx)).await;
        let (event_id, user_errors) = split(r, &[])?;
        Ok(TestNotificationPayload {
            event_id,
            user_errors,
        })
    }
}
