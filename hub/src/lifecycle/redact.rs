//! What of a job may be stored and shown: its output and messages with its secret values
//! (secret parameters, database connection strings) and any connection-string password
//! masked, and, once it is final, its command without the secrets it no longer needs.

use crate::model::Job;
use crate::template;
use greenroom_proto::Action;

/// `text` as it may be stored: the job's secret values and connection-string passwords
/// replaced by `***`.
pub fn text(job: &Job, text: &str) -> String {
    masked(&job.secrets, text)
}

/// `text` with these secret values and any connection-string password replaced by `***`.
pub fn masked(secrets: &[String], text: &str) -> String {
    let t = if secrets.is_empty() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(template::redact(text, secrets))
    };
    greenroom_proto::secrets::mask_secrets_in_text(&t)
}

/// The action with these secret values masked in its command, environment and connection
/// string: what may be shown or kept in clear.
pub fn masked_action(action: &Action, secrets: &[String]) -> Action {
    let mut a = action.clone();
    match &mut a {
        Action::ShellCommand(c) => {
            c.command = masked(secrets, &c.command);
            for v in c.environment_vars.values_mut() {
                *v = masked(secrets, v);
            }
        }
        Action::DatabaseQuery(q) => {
            q.connection_string =
                greenroom_proto::secrets::mask_connection_string(&q.connection_string)
        }
        _ => {}
    }
    a
}

/// A final job no longer needs its secrets: they leave the stored command, its environment
/// and the job.
pub fn scrub(job: &mut Job) {
    if job.secrets.is_empty() || !job.state.is_final() {
        return;
    }
    job.action = masked_action(&job.action, &job.secrets);
    job.secrets.clear();
}
