//! `servers`: the fleet, filtered, as a table or the API's `Server` objects.

use super::run::server_state;
use crate::api::Client;
use crate::api::types::ServerFilter;
use crate::cli::ServersArgs;
use crate::error::{Exit, Result};
use crate::output::{Ui, ago};

pub async fn list(client: &Client, ui: &Ui, a: &ServersArgs) -> Result<Exit> {
    let filter = ServerFilter {
        environment: a.environment.clone(),
        status: a.status.map(server_state),
        server_group: a.group.clone(),
        tags: (!a.tags.is_empty()).then(|| a.tags.clone()),
        q: a.search.clone(),
        tag: None,
    };
    let listed = client.servers(Some(filter), a.limit).await?;
    let (servers, total) = (listed.items, listed.total);
    if !ui.is_table() {
        ui.print_data(&servers)?;
        return Ok(Exit::Ok);
    }
    let mut table = ui.table(&[
        "SERVER", "ENV", "GROUP", "STATUS", "SEEN", "LOAD", "CPU", "MEM", "DISK", "TAGS",
    ]);
    for s in &servers {
        let st = &s.status;
        table.add_row(vec![
            s.server_id.clone(),
            s.environment.clone(),
            s.server_group.clone(),
            st.current.as_str().to_string(),
            st.last_heartbeat
                .as_ref()
                .map(ago)
                .unwrap_or_else(|| "never".into()),
            st.load_average
                .first()
                .map(|l| format!("{l:.2}"))
                .unwrap_or_default(),
            format!("{:.0}%", st.cpu_percent),
            format!("{:.0}%", st.memory_usage_percent),
            format!("{:.0}%", st.disk_usage_percent),
            s.tags.join(","),
        ]);
    }
    ui.print_table(&table);
    if servers.len() < total {
        eprintln!("{} of {total} shown", servers.len());
    }
    Ok(Exit::Ok)
}
