//! Schedules: CRUD on behalf of users, and the loop that fires due occurrences. Each
//! occurrence is claimed in the store before it fires, so it fires once even with several
//! hub replicas; occurrences the hub was not running for are recorded as missed.

use crate::app::App;
use crate::audit::{self, Actor, Origin, Resource};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::model::{Role, Schedule, ScheduleRun, Timestamp, Trigger};
use crate::service::executions::{self, StartExecution};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use std::str::FromStr;

/// An occurrence later than this after its time is recorded as missed, not fired.
pub const MISFIRE_GRACE_SECS: i64 = 60;
/// At most this many missed occurrences are recorded per catch-up.
const MAX_MISSED_RECORDED: usize = 100;

/// `POST /api/v1/schedules`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSchedule {
    pub name: String,
    pub trigger: Trigger,
    /// The execution to start each time: the body of `POST /api/v1/executions`.
    pub execution: serde_json::Value,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Most occurrences a preview lists.
pub const MAX_PREVIEW: usize = 50;

/// A cron expression as the `cron` crate reads it. Standard 5-field cron (`min hour day
/// month weekday`, weekdays 0–7 with 0 and 7 Sunday) gets a `0` seconds field, and its
/// numeric weekdays become names (the crate counts 1 = Sunday); 6- and 7-field expressions
/// (with seconds first, and a year last) are the crate's own and are left as they are.
pub fn normalise_cron(expr: &str) -> std::result::Result<String, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    match fields.len() {
        1 if fields[0].starts_with('@') => Ok(fields[0].to_string()),
        5 => {
            let weekday = standard_weekdays(fields[4])?;
            Ok(format!(
                "0 {} {} {} {} {weekday}",
                fields[0], fields[1], fields[2], fields[3]
            ))
        }
        6 | 7 => Ok(fields.join(" ")),
        0 => Err("is empty".into()),
        n => Err(format!(
            "has {n} fields; expected 5 (minute hour day month weekday) or 6–7 (with seconds first)"
        )),
    }
}

/// A standard cron weekday field (0–7, 0 and 7 Sunday; lists, ranges, steps) as day names.
fn standard_weekdays(field: &str) -> std::result::Result<String, String> {
    const NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    if field == "*" || field == "?" || field.chars().any(|c| c.is_ascii_alphabetic()) {
        return Ok(field.to_string());
    }
    let bad = || {
        format!("weekday field {field:?}: use 0–7 (0 and 7 are Sunday), lists, ranges and steps")
    };
    let num = |t: &str| -> std::result::Result<u32, String> {
        t.parse::<u32>().ok().filter(|n| *n <= 7).ok_or_else(bad)
    };
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (
                r,
                st.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(bad)?,
            ),
            None => (part, 1),
        };
        let (from, to) = match range.split_once('-') {
            _ if range == "*" => (0, 6),
            Some((a, b)) => (num(a)?, num(b)?),
            None if step > 1 => (num(range)?, 7),
            None => (num(range)?, num(range)?),
        };
        if from > to {
            return Err(bad());
        }
        for d in (from..=to).step_by(step as usize) {
            days[(d % 7) as usize] = true;
        }
    }
    Ok(NAMES
        .iter()
        .zip(days)
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(","))
}

fn cron(expr: &str) -> std::result::Result<cron::Schedule, String> {
    let what =
        "is not a valid cron expression (minute hour day month weekday, or with seconds first)";
    let normal = normalise_cron(expr).map_err(|e| format!("trigger.expression: {expr:?} {e}"))?;
    cron::Schedule::from_str(&normal)
        .map_err(|e| format!("trigger.expression: {expr:?} {what}: {e}"))
}

/// The next `count` occurrences of a cron expression after `after` (UTC), or the one
/// problem with it.
pub fn preview(
    expr: &str,
    count: usize,
    after: Timestamp,
) -> std::result::Result<Vec<Timestamp>, String> {
    let schedule = cron(expr.trim())?;
    Ok(schedule
        .after(&after)
        .take(count.min(MAX_PREVIEW))
        .collect())
}

/// The first occurrence strictly after `after`.
pub fn next_after(trigger: &Trigger, after: Timestamp) -> Option<Timestamp> {
    match trigger {
        Trigger::Cron { expression } => cron(expression).ok()?.after(&after).next(),
        Trigger::Once { at } => (*at > after).then_some(*at),
    }
}

pub async fn create(
    app: &App,
    caller: &Caller,
    new: NewSchedule,
    origin: &Origin,
) -> Result<Schedule> {
    caller.require(Role::Admin)?;
    let mut p = Vec::new();
    if new.name.trim().is_empty() {
        p.push("name: must not be empty".to_string());
    }
    let now = Utc::now();
    match &new.trigger {
        Trigger::Cron { expression } => {
            if let Err(e) = cron(expression) {
                p.push(e);
            }
        }
        Trigger::Once { at } if *at <= now => p.push("trigger.at: must be in the future".into()),
        Trigger::Once { .. } => {}
    }
    // The execution is checked now (as a dry run), so a broken schedule is refused at once.
    let mut secret_parameters = Vec::new();
    match serde_json::from_value::<StartExecution>(new.execution.clone()) {
        Ok(req) => {
            if let Err(e) = executions::plan(app, caller, &req).await {
                p.push(format!("execution: {}", e.public_message()));
            }
            if let Some(tid) = &req.action_template_id
                && let Some(t) = app.store.get_template(&caller.tenant_id, tid).await?
            {
                secret_parameters = t.secret_parameters();
            }
        }
        Err(e) => p.push(format!("execution: {e}")),
    }
    if !p.is_empty() {
        return Err(Error::Invalid(p));
    }
    let mut s = Schedule {
        tenant_id: caller.tenant_id.clone(),
        id: format!("sched_{}", uuid::Uuid::new_v4().simple()),
        name: new.name,
        next_run_at: next_after(&new.trigger, now),
        trigger: new.trigger,
        execution: new.execution,
        enabled: new.enabled,
        created_by: caller.email.clone(),
        created_by_role: caller.role,
        created_at: now,
        last_run_at: None,
        secrets: Default::default(),
    };
    // Secret values are write-only: kept sealed apart, shown as `***`.
    s.take_secrets(&secret_parameters);
    app.store.insert_schedule(&s).await?;
    let r = Resource {
        kind: "schedule",
        id: &s.id,
        name: Some(&s.name),
    };
    audit::by_caller(
        app,
        caller,
        origin,
        "schedule_created",
        r,
        json!({"trigger": s.trigger}),
    )
    .await;
    Ok(s)
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Schedule> {
    app.store
        .get_schedule(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("schedule {id} not found")))
}

pub async fn delete(app: &App, caller: &Caller, id: &str, origin: &Origin) -> Result<()> {
    caller.require(Role::Admin)?;
    if !app.store.delete_schedule(&caller.tenant_id, id).await? {
        return Err(Error::NotFound(format!("schedule {id} not found")));
    }
    let r = Resource {
        kind: "schedule",
        id,
        name: None,
    };
    audit::by_caller(app, caller, origin, "schedule_deleted", r, json!({})).await;
    Ok(())
}

/// Fires what is due; called every second by the hub's scheduler task.
pub async fn tick(app: &App) -> Result<()> {
    let now = Utc::now();
    'schedules: for s in app.store.due_schedules(now).await? {
        let Some(mut at) = s.next_run_at else {
            continue;
        };
        // Catch up: occurrences too far in the past are recorded as missed, not fired.
        let mut recorded = 0;
        while now - at > Duration::seconds(MISFIRE_GRACE_SECS) {
            if recorded < MAX_MISSED_RECORDED {
                recorded += 1;
                let run = ScheduleRun {
                    schedule_id: s.id.clone(),
                    occurrence_at: at,
                    status: "missed".into(),
                    execution_id: None,
                    detail: Some("the hub was not running at that time".into()),
                    recorded_at: now,
                };
                if app.store.claim_schedule_run(&run).await? {
                    tracing::warn!(schedule_id = %s.id, occurrence = %at, "schedule occurrence missed");
                }
            }
            match next_after(&s.trigger, at) {
                Some(n) => at = n,
                None => {
                    app.store.advance_schedule(&s.id, None, None).await?;
                    continue 'schedules;
                }
            }
        }
        if at > now {
            app.store.advance_schedule(&s.id, Some(at), None).await?;
            continue;
        }
        // Every occurrence due by now fires in this tick (a late tick does not fall behind
        // one occurrence at a time); each is claimed once, whichever replica ticks.
        let mut last = None;
        while at <= now {
            let run = ScheduleRun {
                schedule_id: s.id.clone(),
                occurrence_at: at,
                status: "fired".into(),
                execution_id: None,
                detail: None,
                recorded_at: now,
            };
            if app.store.claim_schedule_run(&run).await? {
                fire(app, &s, at).await?;
            }
            last = Some(at);
            match next_after(&s.trigger, at) {
                Some(n) => at = n,
                None => {
                    app.store.advance_schedule(&s.id, None, last).await?;
                    continue 'schedules;
                }
            }
        }
        app.store.advance_schedule(&s.id, Some(at), last).await?;
    }
    Ok(())
}

async fn fire(app: &App, s: &Schedule, at: Timestamp) -> Result<()> {
    let caller = Caller::internal(&s.created_by, &s.tenant_id, s.created_by_role);
    let started = match serde_json::from_value::<StartExecution>(s.execution_with_secrets()) {
        Ok(req) => executions::start_as(app, &caller, req, &audit::NO_ORIGIN, Some(&s.id)).await,
        Err(e) => Err(Error::invalid(format!("execution: {e}"))),
    };
    match started {
        Ok(e) => {
            tracing::info!(schedule_id = %s.id, execution_id = %e.execution_id, "schedule fired");
            Ok(app
                .store
                .set_schedule_run_execution(&s.id, at, Some(&e.execution_id), "fired", None)
                .await?)
        }
        Err(err) => {
            let why = err.public_message();
            tracing::warn!(schedule_id = %s.id, error = %why, "schedule could not start its execution");
            let r = Resource {
                kind: "schedule",
                id: &s.id,
                name: Some(&s.name),
            };
            audit::record(
                app,
                &s.tenant_id,
                Actor::System,
                "schedule_failed",
                r,
                json!({"occurrence_at": at}),
                Some(&why),
            )
            .await;
            Ok(app
                .store
                .set_schedule_run_execution(&s.id, at, None, "failed", Some(&why))
                .await?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cron_and_once_triggers_compute_their_next_occurrence() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 30).unwrap();
        let every_minute = Trigger::Cron {
            expression: "0 * * * * *".into(),
        };
        assert_eq!(
            next_after(&every_minute, t0),
            Some(Utc.with_ymd_and_hms(2026, 1, 1, 10, 1, 0).unwrap())
        );
        let once = Trigger::Once { at: t0 };
        assert_eq!(next_after(&once, t0 - Duration::seconds(1)), Some(t0));
        assert_eq!(next_after(&once, t0), None);
        assert!(cron("not cron").is_err());
    }

    #[test]
    fn standard_five_field_cron_is_accepted_with_its_own_weekdays() {
        assert_eq!(normalise_cron("*/5 * * * *").unwrap(), "0 */5 * * * *");
        assert_eq!(
            normalise_cron("0 9 * * 1-5").unwrap(),
            "0 0 9 * * MON,TUE,WED,THU,FRI"
        );
        assert_eq!(normalise_cron("0 0 * * 0").unwrap(), "0 0 0 * * SUN");
        assert_eq!(normalise_cron("0 0 * * 7").unwrap(), "0 0 0 * * SUN");
        assert_eq!(
            normalise_cron("0 0 * * 5-7").unwrap(),
            "0 0 0 * * SUN,FRI,SAT"
        );
        assert_eq!(
            normalise_cron("0 0 * * */2").unwrap(),
            "0 0 0 * * SUN,TUE,THU,SAT"
        );
        assert_eq!(
            normalise_cron("0 0 * * MON-FRI").unwrap(),
            "0 0 0 * * MON-FRI"
        );
        // Six and seven fields are the crate's own (seconds first), unchanged.
        assert_eq!(normalise_cron("0 */5 * * * *").unwrap(), "0 */5 * * * *");
        assert_eq!(normalise_cron("@daily").unwrap(), "@daily");

        // 2026-01-02 is a Friday: weekdays at 09:00 UTC come Friday, then Monday.
        let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 8, 0, 0).unwrap();
        let next = preview("0 9 * * 1-5", 3, t0).unwrap();
        assert_eq!(
            next,
            [
                Utc.with_ymd_and_hms(2026, 1, 2, 9, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 1, 6, 9, 0, 0).unwrap(),
            ]
        );
        assert_eq!(
            next_after(
                &Trigger::Cron {
                    expression: "30 * * * *".into()
                },
                t0
            ),
            Some(Utc.with_ymd_and_hms(2026, 1, 2, 8, 30, 0).unwrap())
        );
    }

    #[test]
    fn a_bad_cron_expression_is_refused_naming_what_is_wrong() {
        let e = normalise_cron("* * * *").unwrap_err();
        assert!(e.contains("has 4 fields"), "{e}");
        let e = preview("0 9 * * 8", 5, Utc::now()).unwrap_err();
        assert!(e.contains("weekday field \"8\""), "{e}");
        let e = preview("61 * * * *", 5, Utc::now()).unwrap_err();
        assert!(
            e.starts_with("trigger.expression: \"61 * * * *\" is not a valid cron"),
            "{e}"
        );
    }
}
