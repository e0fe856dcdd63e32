//! `lock`, `unlock`, `locks`: maintenance locks on servers.

use crate::api::Client;
use crate::api::types::{AcquireLockInput, LockStatus, LockType, ServerLock};
use crate::cli::{LockArgs, LockTypeArg};
use crate::error::{CliError, Exit, Result};
use crate::output::{Ui, ago, local_time};

/// Seconds in `90s`, `30m`, `2h`, `1d` (a bare number is minutes).
pub fn duration_secs(s: &str) -> std::result::Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("expected a duration like 90s, 30m, 2h or 1d, not {s:?}"))?;
    let mult = match unit.trim() {
        "s" | "sec" | "secs" => 1,
        "" | "m" | "min" | "mins" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86400,
        u => return Err(format!("unknown unit {u:?} in {s:?}: use s, m, h or d")),
    };
    n.checked_mul(mult)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{s:?} is not a usable duration"))
}

/// `--ttl`: whole minutes, rounded up.
pub fn parse_ttl(s: &str) -> std::result::Result<u32, String> {
    let secs = duration_secs(s)?;
    u32::try_from(secs.div_ceil(60)).map_err(|_| format!("{s:?} is too long"))
}

fn lock_type(t: LockType) -> &'static str {
    match t {
        LockType::Execution => "execution",
        LockType::Maintenance => "maintenance",
        LockType::Emergency => "emergency",
    }
}

fn lock_status(s: LockStatus) -> &'static str {
    match s {
        LockStatus::Active => "active",
        LockStatus::Released => "released",
        LockStatus::Expired => "expired",
        LockStatus::ForceReleased => "force_released",
    }
}

pub async fn lock(client: &Client, ui: &Ui, a: &LockArgs) -> Result<Exit> {
    let input =
        AcquireLockInput {
            server_id: a.server.clone(),
            reason: a.reason.clone(),
            lock_type: match a.lock_type {
                LockTypeArg::Maintenance => LockType::Maintenance,
                LockTypeArg::Emergency => LockType::Emergency,
            },
            ttl_minutes: Some(i32::try_from(a.ttl).map_err(|_| {
                CliError::usage(format!("bad --ttl: {} minutes is too long", a.ttl))
            })?),
            max_extension_count: a
                .max_extensions
                .map(|n| {
                    i32::try_from(n)
                        .map_err(|_| CliError::usage(format!("bad --max-extensions {n}: too many")))
                })
                .transpose()?,
        };
    let l = client.acquire_lock(input).await?;
    if !ui.is_table() {
        ui.print_data(&l)?;
        return Ok(Exit::Ok);
    }
    println!(
        "Locked {} until {} ({}, lock {}): {}",
        l.server_id,
        local_time(&l.timing.expires_at),
        lock_type(l.lock_type),
        l.lock_id,
        l.lock_metadata.reason
    );
    Ok(Exit::Ok)
}

pub async fn unlock(client: &Client, ui: &Ui, server: &str, force: bool) -> Result<Exit> {
    let locks = client.locks(true).await?;
    let Some(l) = locks.iter().find(|l| l.server_id == server) else {
        return Err(CliError::not_found(format!(
            "{server} has no active lock (see `greenroom locks`)"
        )));
    };
    let released = client.release_lock(&l.lock_id, force).await?;
    if !ui.is_table() {
        ui.print_data(&released)?;
        return Ok(Exit::Ok);
    }
    println!(
        "Unlocked {} (lock {}, {}).",
        released.server_id,
        released.lock_id,
        lock_status(released.status)
    );
    Ok(Exit::Ok)
}

pub async fn list(client: &Client, ui: &Ui, all: bool) -> Result<Exit> {
    let locks: Vec<ServerLock> = client.locks(!all).await?;
    if !ui.is_table() {
        ui.print_data(&locks)?;
        return Ok(Exit::Ok);
    }
    let mut table = ui.table(&[
        "SERVER", "TYPE", "STATUS", "BY", "REASON", "EXPIRES", "LOCK",
    ]);
    for l in &locks {
        table.add_row(vec![
            l.server_id.clone(),
            lock_type(l.lock_type).to_string(),
            lock_status(l.status).to_string(),
            l.locked_by.user_id.clone(),
            l.lock_metadata.reason.clone(),
            ago(&l.timing.expires_at),
            l.lock_id.clone(),
        ]);
    }
    ui.print_table(&table);
    if locks.is_empty() {
        eprintln!("No {}locks.", if all { "" } else { "active " });
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_whole_minutes() {
        assert_eq!(parse_ttl("30m"), Ok(30));
        assert_eq!(parse_ttl("90s"), Ok(2));
        assert_eq!(parse_ttl("2h"), Ok(120));
        assert_eq!(parse_ttl("1d"), Ok(1440));
        assert_eq!(parse_ttl("45"), Ok(45));
        assert!(parse_ttl("0m").is_err());
        assert!(parse_ttl("soon").is_err());
        assert!(parse_ttl("3w").is_err());
    }
}
