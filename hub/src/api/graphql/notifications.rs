//! Notification rules and their delivery history over GraphQL (admins), through the same
//! service as REST: `notificationRules`, `notificationDeliveries`, and create / update /
//! delete / test mutations.

use super::{Coded, app, caller, origin};
use crate::error::Error;
use crate::model::{Channel, Delivery, EventKind, NotificationRule, PageRequest};
use crate::service::notifications::{self as notes, RuleInput};
use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, Result, SimpleObject};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ChannelType {
    Webhook,
    Slack,
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

#[derive(InputObject)]
pub struct NotificationRuleInput {
    name: String,
    channel: ChannelType,
    /// For WEBHOOK and SLACK. On update, leave it out to keep the current URL (answers never
    /// show it whole).
    url: Option<String>,
    /// For WEBHOOK: signs each request (`X-Greenroom-Signature`). On update, leave it out to
    /// keep the current one, or give "" to remove it.
    secret: Option<String>,
    /// For EMAIL: the recipients (on update, leave it out to keep them).
    to: Option<Vec<String>>,
    events: Vec<EventKind>,
    #[graphql(default = true)]
    enabled: bool,
}

impl NotificationRuleInput {
    /// The service's input; on update (`current` given), a URL or recipient list left out is
    /// the current rule's, when the channel type stays the same.
    fn into_rule(self, current: Option<&Channel>) -> Result<RuleInput> {
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
                .ok_or_else(|| Error::invalid("channel.url: required for this channel").extend())
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
                        return Err(Error::invalid("channel.to: required for EMAIL").extend());
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
pub struct RuleView(NotificationRule);

#[Object(name = "NotificationRule")]
impl RuleView {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
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
    async fn has_secret(&self) -> bool {
        notes::masked(&self.0.channel).1
    }
    async fn events(&self) -> &[EventKind] {
        &self.0.events
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn created_at(&self) -> crate::model::Timestamp {
        self.0.created_at
    }
    async fn updated_at(&self) -> crate::model::Timestamp {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct DeliveryPage {
    items: Vec<Delivery>,
    total: u64,
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The tenant's notification rules (admins).
    #[graphql(complexity = "1 + 50 * child_complexity")]
    async fn notification_rules(&self, ctx: &Context<'_>) -> Result<Vec<RuleView>> {
        let rules = notes::list(app(ctx)?, caller(ctx)?).await.coded()?;
        Ok(rules.into_iter().map(RuleView).collect())
    }

    /// Delivery history, newest first, optionally of one rule (admins).
    #[graphql(complexity = "1 + page_size.unwrap_or(50).clamp(1, 500) as usize * child_complexity")]
    async fn notification_deliveries(
        &self,
        ctx: &Context<'_>,
        rule_id: Option<String>,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> Result<DeliveryPage> {
        let p = PageRequest::new(page, page_size).coded()?;
        let d = notes::deliveries(app(ctx)?, caller(ctx)?, rule_id.as_deref(), p)
            .await
            .coded()?;
        Ok(DeliveryPage {
            items: d.items,
            total: d.total,
        })
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    async fn create_notification_rule(
        &self,
        ctx: &Context<'_>,
        input: NotificationRuleInput,
    ) -> Result<RuleView> {
        let r = notes::create(app(ctx)?, caller(ctx)?, input.into_rule(None)?, origin(ctx));
        Ok(RuleView(r.await.coded()?))
    }

    /// Replaces a rule. Leave `url` (or `to`) out to keep the current one, and `secret` out
    /// to keep the current secret ("" removes it).
    async fn update_notification_rule(
        &self,
        ctx: &Context<'_>,
        id: String,
        input: NotificationRuleInput,
    ) -> Result<RuleView> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let current = notes::get(app, caller, &id).await.coded()?;
        let input = input.into_rule(Some(&current.channel))?;
        let r = notes::update(app, caller, &id, input, origin(ctx));
        Ok(RuleView(r.await.coded()?))
    }

    async fn delete_notification_rule(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        notes::delete(app(ctx)?, caller(ctx)?, &id, origin(ctx))
            .await
            .coded()?;
        Ok(true)
    }

    /// Sends a test event through the rule; returns the event id (its delivery appears in
    /// `notificationDeliveries`).
    async fn test_notification_rule(&self, ctx: &Context<'_>, id: String) -> Result<u64> {
        notes::test(app(ctx)?, caller(ctx)?, &id, origin(ctx))
            .await
            .coded()
    }
}
