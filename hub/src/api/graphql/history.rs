//! The execution history as a connection (`Query.executions`, `Server.executions`): read
//! by key in the orders that have a unique key (creation time, id), by offset in the
//! others (state, initiator), where a cursor carries the item's position (`@<n>`).

use super::Coded;
use super::connections::{self, Read};
use super::types::ExecutionConnection;
use crate::app::App;
use crate::auth::Caller;
use crate::error::Error;
use crate::model::{ExecutionFilter, ExecutionOrder, PageRequest};
use crate::service::executions;
use async_graphql::Result;

/// The list's name in its cursors.
const LIST: &str = "executions";

/// One page of the history as `read` asks.
pub async fn page(
    app: &App,
    caller: &Caller,
    mut filter: ExecutionFilter,
    read: Read,
) -> Result<ExecutionConnection> {
    let order = filter.order;
    let read = match read {
        Read::Window(w) if !order.keyset() => return by_offset(app, caller, filter, w).await,
        r => r,
    };
    if let Read::Window(w) = &read {
        let well_formed = |k: &String| match order.field {
            crate::model::ExecutionOrderField::ExecutionId => !k.starts_with('@'),
            _ => ExecutionOrder::parse_created_key(k).is_some(),
        };
        if !w.after.iter().chain(w.before.iter()).all(well_formed) {
            return Err(Error::invalid(
                "after, before: not a cursor of this list in this order",
            ))
            .coded();
        }
    }
    filter.seek = read.seek();
    let p = executions::list(app, caller, &filter, read.page_request())
        .await
        .coded()?;
    let (items, prev, next, asked) = read.finish(p.items, p.total);
    let items = items
        .into_iter()
        .map(|v| {
            let cursor = connections::encode(LIST, &order.key_of(&v.execution));
            (v, cursor)
        })
        .collect();
    Ok(ExecutionConnection::new(items, prev, next, p.total, asked))
}

/// A page by position, for orders without a unique key.
async fn by_offset(
    app: &App,
    caller: &Caller,
    filter: ExecutionFilter,
    w: connections::Window,
) -> Result<ExecutionConnection> {
    let position = |k: &Option<String>| -> Result<Option<u64>> {
        k.as_ref()
            .map(|k| {
                k.strip_prefix('@')
                    .and_then(|n| n.parse::<u64>().ok())
                    .ok_or_else(|| {
                        Error::invalid("after, before: not a cursor of this list in this order")
                    })
            })
            .transpose()
            .coded()
    };
    let (after, before) = (position(&w.after)?, position(&w.before)?);
    let count = w.count as u64;
    // The range [start, end) of positions the window allows.
    let start_min = after.map_or(0, |a| a + 1);
    let end_max = match before {
        Some(b) => b,
        None if w.from_end => {
            let one = PageRequest {
                page: 1,
                page_size: 1,
                skip: None,
            };
            executions::list(app, caller, &filter, one)
                .await
                .coded()?
                .total
        }
        None => u64::MAX,
    };
    let (start, end) = if w.from_end {
        (end_max.saturating_sub(count).max(start_min), end_max)
    } else {
        (start_min, start_min.saturating_add(count).min(end_max))
    };
    let req = PageRequest {
        page: 1,
        page_size: u32::try_from(end.saturating_sub(start)).unwrap_or(0).max(1),
        skip: Some(start),
    };
    let p = executions::list(app, caller, &filter, req).await.coded()?;
    let items: Vec<_> = p
        .items
        .into_iter()
        .take(usize::try_from(end - start).unwrap_or(0))
        .enumerate()
        .map(|(i, v)| {
            let cursor = connections::encode(LIST, &format!("@{}", start + i as u64));
            (v, cursor)
        })
        .collect();
    let last = start + items.len() as u64;
    Ok(ExecutionConnection::new(
        items,
        start > 0,
        last < p.total,
        p.total,
        w.count,
    ))
}
