//! `tcp_port`: whether `host:port` accepts a TCP connection within the timeout.

use super::{Executor, check};
use crate::runner::{Finished, JobControl, Policy};
use greenroom_proto::TcpPort;
use std::time::{Duration, Instant};

impl Executor for TcpPort {
    async fn execute(&self, _policy: &Policy, _ctl: JobControl) -> Finished {
        let timeout = Duration::from_secs(self.timeout.unwrap_or(5));
        let target = format!("{}:{}", self.host, self.port);
        let clock = Instant::now();
        let c = match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&target)).await {
            Ok(Ok(_)) => check(
                "connect",
                true,
                format!("open ({} ms)", clock.elapsed().as_millis()),
                format!("{target} accepts connections"),
            ),
            Ok(Err(e)) => check(
                "connect",
                false,
                e.to_string(),
                format!("{target} accepts connections"),
            ),
            Err(_) => check(
                "connect",
                false,
                format!("no answer within {} s", timeout.as_secs()),
                format!("{target} accepts connections"),
            ),
        };
        Finished::from_checks(vec![c], Vec::new())
    }
}
