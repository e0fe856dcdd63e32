//! What a request cost: the schema's complexity of the operation (list fields count their
//! page size times their selection), reported in the answer's `extensions.cost` as
//! `{requested, limit}` so an integrator can see how close a query is to the limit.

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
            requested: Mutex::new(None),
        })
    }
}

/// One request's cost, from its validation to its answer.
struct Cost {
    limit: usize,
    requested: Mutex<Option<usize>>,
}

#[async_trait::async_trait]
impl Extension for Cost {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let r = next.run(ctx).await?;
        *self.requested.lock().unwrap_or_else(|p| p.into_inner()) = Some(r.complexity);
        Ok(r)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut resp = next.run(ctx).await;
        let requested = *self.requested.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(requested) = requested {
            resp.extensions.insert(
                "cost".into(),
                Value::from_json(serde_json::json!({"requested": requested, "limit": self.limit}))
                    .unwrap_or(Value::Null),
            );
        }
        resp
    }
}
