//! `greenroom_graphql_operation_duration_seconds{operation, status}`: how long each GraphQL
//! query or mutation took, by its operation name. Names come from clients, so only plain
//! names are kept, and only the first `MAX_NAMES` distinct ones; the rest count as `other`.

use crate::metrics::Metrics;
use async_graphql::Response;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

const MAX_NAMES: usize = 200;

pub struct OperationTiming {
    metrics: Arc<Metrics>,
    names: Arc<Mutex<HashSet<String>>>,
}

impl OperationTiming {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            names: Arc::default(),
        }
    }
}

impl ExtensionFactory for OperationTiming {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Timer {
            metrics: self.metrics.clone(),
            names: self.names.clone(),
        })
    }
}

struct Timer {
    metrics: Arc<Metrics>,
    names: Arc<Mutex<HashSet<String>>>,
}

impl Timer {
    fn label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".into();
        };
        let plain = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return "other".into();
        }
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if names.contains(name) || names.len() < MAX_NAMES {
            names.insert(name.to_string());
            name.to_string()
        } else {
            "other".into()
        }
    }
}

#[async_trait::async_trait]
impl Extension for Timer {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let started = std::time::Instant::now();
        let resp = next.run(ctx, operation_name).await;
        let status = if resp.errors.is_empty() {
            "ok"
        } else {
            "error"
        };
        self.metrics
            .graphql_duration
            .with_label_values(&[&self.label(operation_name), status])
            .observe(started.elapsed().as_secs_f64());
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_chosen_names_cannot_grow_the_label_set_without_bound() {
        let t = OperationTiming::new(Arc::new(Metrics::new()));
        let timer = Timer {
            metrics: t.metrics.clone(),
            names: t.names.clone(),
        };
        assert_eq!(timer.label(None), "anonymous");
        assert_eq!(timer.label(Some("Servers")), "Servers");
        assert_eq!(timer.label(Some("bad name{}")), "other");
        for i in 0..MAX_NAMES * 2 {
            timer.label(Some(&format!("Op{i}")));
        }
        assert_eq!(timer.label(Some("OneMore")), "other");
        assert_eq!(
            timer.label(Some("Servers")),
            "Servers",
            "known names still count"
        );
    }
}
