//! What a request cost, and each user's budget of cost points a minute.
//!
//! The cost is the schema's complexity of the operation (list fields count their page size
//! times their selection), known once the document is validated. It is then spent from the
//! caller's budget (`security.graphql_cost_per_minute`, per tenant and user, refilled
//! continuously: governor's GCRA behind [`crate::limits::RateLimiter::take`], shared by
//! replicas over Redis). A request the budget cannot pay is refused before it runs —
//! `RATE_LIMITED` with `retryAfter` (the HTTP handler answers 429 with `Retry-After`); a
//! subscription pays once, when it starts. Every answer reports
//! `extensions.cost = {requested, limit, budget: {limit, remaining, refillPerSecond}}`.

use super::guard::refusal;
use crate::app::App;
use crate::auth::Caller;
use crate::limits::Quota;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextValidation,
};
use async_graphql::{Response, ServerError, ValidationResult, Value};
use std::sync::{Arc, Mutex};

pub struct CostReport {
    pub limit: usize,
}

impl ExtensionFactory for CostReport {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Cost {
            limit: self.limit,
            spent: Mutex::new(None),
        })
    }
}

/// The budget's quota: `graphql_cost_per_minute` points, all of which may be spent at once.
pub fn budget_quota(app: &App) -> Quota {
    Quota::per_minute("graphql_cost", app.config.security.graphql_cost_per_minute)
}

/// What the budget says after a request: its size and what is left of it.
#[derive(Clone, Copy)]
struct Budget {
    limit: u32,
    remaining: u32,
}

/// One request's cost, from its validation to its answer.
struct Cost {
    limit: usize,
    spent: Mutex<Option<(usize, Option<Budget>)>>,
}

impl Cost {
    fn record(&self, requested: usize, budget: Option<Budget>) {
        *self.spent.lock().unwrap_or_else(|p| p.into_inner()) = Some((requested, budget));
    }
}

#[async_trait::async_trait]
impl Extension for Cost {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let r = next.run(ctx).await?;
        let (Some(app), Some(caller)) = (ctx.data_opt::<App>(), ctx.data_opt::<Caller>()) else {
            self.record(r.complexity, None);
            return Ok(r);
        };
        let quota = budget_quota(app);
        let cost = u32::try_from(r.complexity).unwrap_or(u32::MAX).max(1);
        let limit = quota.burst;
        if cost > limit {
            self.record(r.complexity, None);
            return Err(vec![refusal(
                "QUERY_TOO_COSTLY",
                format!(
                    "this request costs {cost} points, more than your whole budget of {limit} a minute; ask for fewer items (`first`)"
                ),
            )]);
        }
        let key = format!("{}/{}", caller.tenant_id, caller.email);
        match app.limiter.take(&quota, &key, cost).await {
            Ok(remaining) => {
                self.record(r.complexity, Some(Budget { limit, remaining }));
                Ok(r)
            }
            Err(over) => {
                self.record(
                    r.complexity,
                    Some(Budget {
                        limit,
                        remaining: over.remaining,
                    }),
                );
                app.metrics
                    .rate_limited
                    .with_label_values(&[quota.name])
                    .inc();
                let mut e = refusal(
                    "RATE_LIMITED",
                    format!(
                        "GraphQL cost budget spent: this request costs {cost} points and {} of your {limit} a minute are left; the budget refills continuously, enough in {} s",
                        over.remaining, over.retry_after_secs
                    ),
                );
                if let Some(ext) = e.extensions.as_mut() {
                    ext.set("retryAfter", over.retry_after_secs);
                }
                Err(vec![e])
            }
        }
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut resp = next.run(ctx).await;
        let spent = *self.spent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((requested, budget)) = spent {
            let mut cost = serde_json::json!({"requested": requested, "limit": self.limit});
            if let Some(b) = budget {
                cost["budget"] = serde_json::json!({
                    "limit": b.limit,
                    "remaining": b.remaining,
                    "refillPerSecond": f64::from(b.limit) / 60.0,
                });
            }
            resp.extensions
                .insert("cost".into(), Value::from_json(cost).unwrap_or(Value::Null));
        }
        resp
    }
}
