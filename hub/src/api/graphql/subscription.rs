//! Subscriptions: an execution as it changes, and servers as they change.

use super::{app, caller};
use crate::bus::Event;
use crate::model::Server;
use crate::service::executions::{self, ExecutionView};
use async_graphql::{Context, Result, Subscription};
use futures::Stream;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

pub struct SubscriptionRoot;

/// Waits a moment and drains queued events, so a burst of changes costs one re-read.
async fn coalesce(rx: &mut tokio::sync::broadcast::Receiver<Event>) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    while rx.try_recv().is_ok() {}
}

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The execution now, then again each time it changes; ends once it is final.
    async fn execution_updates(
        &self,
        ctx: &Context<'_>,
        execution_id: String,
    ) -> Result<impl Stream<Item = ExecutionView>> {
        let (app, caller) = (app(ctx)?.clone(), caller(ctx)?.clone());
        let rx = app.bus.subscribe();
        let first = executions::view(&app, &caller, &execution_id).await?;
        let state = (Some(first), rx, false);
        Ok(futures::stream::unfold(
            state,
            move |(first, mut rx, done)| {
                let (app, caller, id) = (app.clone(), caller.clone(), execution_id.clone());
                async move {
                    if done {
                        return None;
                    }
                    if let Some(v) = first {
                        let fin = v.execution.state.is_final();
                        return Some((v, (None, rx, fin)));
                    }
                    loop {
                        match rx.recv().await {
                            Ok(Event::Execution { execution_id, .. }) if execution_id == id => {}
                            Ok(_) => continue,
                            Err(RecvError::Lagged(_)) => {}
                            Err(RecvError::Closed) => return None,
                        }
                        coalesce(&mut rx).await;
                        match executions::view(&app, &caller, &id).await {
                            Ok(v) => {
                                let fin = v.execution.state.is_final();
                                return Some((v, (None, rx, fin)));
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "execution subscription ended");
                                return None;
                            }
                        }
                    }
                }
            },
        ))
    }

    /// Each server of the caller's tenant whenever it changes (heartbeat, status, registration).
    async fn server_updates(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Server>> {
        let (app, caller) = (app(ctx)?.clone(), caller(ctx)?.clone());
        let rx = app.bus.subscribe();
        Ok(futures::stream::unfold(rx, move |mut rx| {
            let (app, tenant) = (app.clone(), caller.tenant_id.clone());
            async move {
                loop {
                    match rx.recv().await {
                        Ok(Event::Server {
                            tenant_id,
                            server_id,
                        }) if tenant_id == tenant => {
                            if let Ok(Some(s)) =
                                app.store.get_server(Some(&tenant), &server_id).await
                            {
                                return Some((s, rx));
                            }
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        }))
    }
}
