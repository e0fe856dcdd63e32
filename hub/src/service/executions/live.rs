//! One execution, live: what `executionUpdates` and `/ws/executions/{id}` stream.
//!
//! A snapshot first (the execution and the tail of its output so far), then, in the order
//! they happened, output lines as they arrive and the execution whenever its status or
//! progress changes; the stream ends with the final state. Status changes close together are
//! coalesced into one re-read, which runs beside the stream: output lines keep flowing while
//! it reads (a 200-job start burst held them back ~0.2 s otherwise), and lines already
//! published when the final state is read go out before it. Output lines are never
//! coalesced or reordered. A watcher too
//! slow to keep up is told how many events it missed and gets a fresh snapshot; its buffer is
//! the bus's bounded ring, so it never slows the hub or other watchers.
//!
//! The watcher subscribes before it reads, so the first live lines may be lines the
//! snapshot already carries; those are dropped here (by `cursor`, which identifies a line),
//! so a client never sees a line twice and never has to de-duplicate. Older output is paged
//! with `executionLogs(after:)`.

use super::{ExecutionView, view};
use crate::app::App;
use crate::auth::Caller;
use crate::bus::Event;
use crate::error::Result;
use crate::store::{LogLine, OutputWindow};
use futures::Stream;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{
    self,
    error::{RecvError, TryRecvError},
};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long status changes are gathered before one re-read.
const COALESCE: Duration = Duration::from_millis(100);
/// How many of the latest output lines a snapshot carries.
pub const SNAPSHOT_TAIL: u32 = 500;

/// One item of an execution's live stream.
#[derive(Debug, Clone)]
pub enum Live {
    /// The execution now and its latest output lines (first, and again after `Missed`).
    Snapshot(ExecutionView, Vec<LogLine>),
    /// The execution after a change of status or progress.
    Update(ExecutionView),
    /// New output lines of one job, in order.
    Output(Arc<Vec<LogLine>>),
    /// The watcher fell behind and this many events were dropped; a snapshot follows.
    Missed(u64),
}

/// What woke a watcher.
enum Step {
    /// The re-read finished (None: the execution cannot be read any more).
    Read(Option<Box<ExecutionView>>),
    /// A re-read is due.
    Due,
    Event(std::result::Result<Event, RecvError>),
}

struct Watch {
    app: App,
    caller: Caller,
    id: String,
    rx: broadcast::Receiver<Event>,
    /// A re-read is due at this instant (a status change was seen).
    due: Option<Instant>,
    /// The re-read under way.
    reading: Option<JoinHandle<Option<ExecutionView>>>,
    /// The final state, read; sent once the lines published before it are out.
    last: Option<ExecutionView>,
    /// Send a snapshot next (at the start, and after missed events).
    resync: bool,
    done: bool,
    /// The cursors of the last snapshot's lines, until live output has moved past them.
    in_snapshot: std::collections::HashSet<u64>,
}

/// The live stream of one execution the caller may read; `Err` when it may not (or it does
/// not exist), before anything is streamed.
pub async fn watch(
    app: &App,
    caller: &Caller,
    id: &str,
) -> Result<impl Stream<Item = Live> + use<>> {
    // Subscribe before the first read, so nothing falls between the snapshot and the stream.
    let rx = app.bus.subscribe();
    view(app, caller, id).await?;
    let w = Watch {
        app: app.clone(),
        caller: caller.clone(),
        id: id.to_string(),
        rx,
        due: None,
        reading: None,
        last: None,
        resync: true,
        done: false,
        in_snapshot: Default::default(),
    };
    Ok(futures::stream::unfold(w, |mut w| async move {
        let item = w.next().await?;
        Some((item, w))
    }))
}

impl Watch {
    async fn next(&mut self) -> Option<Live> {
        if self.done {
            return None;
        }
        if self.last.is_some() {
            return self.finish();
        }
        if self.resync {
            self.resync = false;
            self.due = None;
            if let Some(r) = self.reading.take() {
                r.abort();
            }
            let v = read(&self.app, &self.caller, &self.id).await?;
            let tail = self.tail().await;
            self.in_snapshot = tail.iter().map(|l| l.cursor).collect();
            self.done = v.execution.state.is_final();
            return Some(Live::Snapshot(v, tail));
        }
        loop {
            let step = {
                let (reading, rx, due) = (&mut self.reading, &mut self.rx, self.due);
                let busy = reading.is_some();
                tokio::select! {
                    biased;
                    r = async { reading.as_mut().expect("guarded").await }, if busy => Step::Read(r.ok().flatten().map(Box::new)),
                    _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() && !busy => Step::Due,
                    e = rx.recv() => Step::Event(e),
                }
            };
            match step {
                Step::Read(v) => {
                    self.reading = None;
                    let v = *v?;
                    if v.execution.state.is_final() {
                        self.last = Some(v);
                        return self.finish();
                    }
                    return Some(Live::Update(v));
                }
                Step::Due => {
                    self.due = None;
                    let (app, caller, id) =
                        (self.app.clone(), self.caller.clone(), self.id.clone());
                    self.reading =
                        Some(tokio::spawn(async move { read(&app, &caller, &id).await }));
                }
                Step::Event(e) => {
                    if let Some(item) = self.take(e) {
                        return Some(item);
                    }
                    if self.done {
                        return None;
                    }
                }
            }
        }
    }

    /// What an event means for this watcher: lines to send now, or a note that a re-read is
    /// due (None), or a resync.
    fn take(&mut self, event: std::result::Result<Event, RecvError>) -> Option<Live> {
        match event {
            Ok(Event::Output {
                execution_id,
                lines,
                ..
            }) if execution_id == self.id => self.unseen(lines).map(Live::Output),
            Ok(Event::Execution { execution_id, .. }) if execution_id == self.id => {
                self.due.get_or_insert_with(|| Instant::now() + COALESCE);
                None
            }
            // Events may have been lost between replicas: re-read, as after falling behind
            // (how many is not known).
            Ok(Event::Resync) => {
                self.resync = true;
                Some(Live::Missed(0))
            }
            Ok(_) => None,
            Err(RecvError::Lagged(n)) => {
                self.resync = true;
                self.app.metrics.dropped_events.inc_by(n);
                Some(Live::Missed(n))
            }
            Err(RecvError::Closed) => {
                self.done = true;
                None
            }
        }
    }

    /// The final state is read: the lines already published go first, then the state, and
    /// the stream ends.
    fn finish(&mut self) -> Option<Live> {
        loop {
            match self.rx.try_recv() {
                Ok(Event::Output {
                    execution_id,
                    lines,
                    ..
                }) if execution_id == self.id => {
                    if let Some(fresh) = self.unseen(lines) {
                        return Some(Live::Output(fresh));
                    }
                }
                Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        self.done = true;
        self.last.take().map(Live::Update)
    }

    /// The lines of a live batch that the snapshot did not carry (None when it carried
    /// them all). Once a batch holds none of them, the snapshot is behind and is forgotten.
    fn unseen(&mut self, lines: Arc<Vec<LogLine>>) -> Option<Arc<Vec<LogLine>>> {
        if self.in_snapshot.is_empty() {
            return Some(lines);
        }
        if !lines.iter().any(|l| self.in_snapshot.contains(&l.cursor)) {
            self.in_snapshot.clear();
            return Some(lines);
        }
        let fresh: Vec<LogLine> = lines
            .iter()
            .filter(|l| !self.in_snapshot.contains(&l.cursor))
            .cloned()
            .collect();
        (!fresh.is_empty()).then(|| Arc::new(fresh))
    }

    /// The latest output lines, oldest first.
    async fn tail(&self) -> Vec<LogLine> {
        let store = &self.app.store;
        match store
            .execution_output(
                &self.id,
                OutputWindow::Tail,
                SNAPSHOT_TAIL,
                chrono::Utc::now(),
            )
            .await
        {
            Ok(lines) => lines,
            Err(e) => {
                tracing::warn!(execution_id = %self.id, error = %e, "could not read the output tail");
                Vec::new()
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(r) = self.reading.take() {
            r.abort();
        }
    }
}

/// The execution now, or None (logged) when it cannot be read any more.
async fn read(app: &App, caller: &Caller, id: &str) -> Option<ExecutionView> {
    match view(app, caller, id).await {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(execution_id = %id, error = %e, "execution watch ended");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;
    use futures::StreamExt;

    fn line(cursor: u64) -> LogLine {
        LogLine {
            cursor,
            server_id: "a".into(),
            job_id: "e1-a".into(),
            seq: cursor,
            stream: "stdout".into(),
            data: format!("line {cursor}\n"),
            timestamp: chrono::Utc::now(),
            attempt: 1,
        }
    }

    fn output(n: u64) -> Event {
        Event::Output {
            tenant_id: "t".into(),
            execution_id: "e1".into(),
            lines: Arc::new(vec![line(n)]),
        }
    }

    #[tokio::test]
    async fn a_stuck_watcher_is_told_what_it_missed_and_slows_no_one() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::for_tests(dir.path());
        let (e, jobs) = crate::store::contract::execution("t", "e1", &["a"]);
        app.store.insert_execution(&e, &jobs).await.unwrap();
        let caller = Caller::internal("v@example.com", "t", Role::Viewer);

        let mut stuck = Box::pin(watch(&app, &caller, "e1").await.unwrap());
        let mut live = Box::pin(watch(&app, &caller, "e1").await.unwrap());
        assert!(matches!(stuck.next().await, Some(Live::Snapshot(..))));
        assert!(matches!(live.next().await, Some(Live::Snapshot(..))));

        // Far more events than the bus holds; the live watcher keeps up, the stuck one
        // reads nothing. Publishing never waits for either.
        let total = 10_000u64;
        let mut seen = Vec::new();
        for n in 0..total {
            app.bus.publish(output(n));
            if n % 500 == 499 {
                while seen.len() as u64 <= n {
                    match live.next().await {
                        Some(Live::Output(lines)) => seen.extend(lines.iter().map(|l| l.cursor)),
                        other => panic!("the live watcher got {other:?}"),
                    }
                }
            }
        }
        assert_eq!(seen, (0..total).collect::<Vec<_>>(), "every line, in order");

        // The bus keeps the newest CAPACITY events; the stuck watcher lost the rest.
        let lost = total - crate::bus::CAPACITY as u64;
        match stuck.next().await {
            Some(Live::Missed(n)) => assert_eq!(n, lost),
            other => panic!("expected Missed, got {other:?}"),
        }
        assert!(
            matches!(stuck.next().await, Some(Live::Snapshot(..))),
            "a fresh snapshot follows"
        );
        assert_eq!(app.metrics.dropped_events.get(), lost);
    }

    #[tokio::test]
    async fn lines_the_snapshot_carried_are_not_streamed_again() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::for_tests(dir.path());
        let (e, jobs) = crate::store::contract::execution("t", "e1", &["a"]);
        app.store.insert_execution(&e, &jobs).await.unwrap();
        let caller = Caller::internal("v@example.com", "t", Role::Viewer);
        let mut w = Watch {
            app: app.clone(),
            caller,
            id: "e1".into(),
            rx: app.bus.subscribe(),
            due: None,
            reading: None,
            last: None,
            resync: false,
            done: false,
            in_snapshot: [1, 2, 3].into_iter().collect(),
        };
        // A batch the snapshot already had in part: only the new lines.
        let batch = Arc::new(vec![line(2), line(3), line(4)]);
        let fresh = w.unseen(batch).unwrap();
        assert_eq!(fresh.iter().map(|l| l.cursor).collect::<Vec<_>>(), [4]);
        // One it had whole: nothing.
        assert!(w.unseen(Arc::new(vec![line(1)])).is_none());
        // Past the snapshot: everything, and the snapshot is forgotten.
        let later = w.unseen(Arc::new(vec![line(5)])).unwrap();
        assert_eq!(later.len(), 1);
        assert!(w.in_snapshot.is_empty());
    }

    /// A watcher of e1 (one job, pending) whose re-read is `reading`.
    async fn watcher(
        reading: impl std::future::Future<Output = Option<ExecutionView>> + Send + 'static,
    ) -> (App, Watch, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let app = App::for_tests(dir.path());
        let (e, jobs) = crate::store::contract::execution("t", "e1", &["a"]);
        app.store.insert_execution(&e, &jobs).await.unwrap();
        let w = Watch {
            app: app.clone(),
            caller: Caller::internal("v@example.com", "t", Role::Viewer),
            id: "e1".into(),
            rx: app.bus.subscribe(),
            due: None,
            reading: Some(tokio::spawn(reading)),
            last: None,
            resync: false,
            done: false,
            in_snapshot: Default::default(),
        };
        (app, w, dir)
    }

    #[tokio::test]
    async fn lines_flow_while_the_execution_is_read_again() {
        // A re-read that does not finish (a store slow under a start burst).
        let (app, mut w, _dir) = watcher(std::future::pending()).await;
        for n in 1..=3 {
            app.bus.publish(output(n));
        }
        for n in 1..=3 {
            let got = tokio::time::timeout(Duration::from_secs(5), w.next()).await;
            match got {
                Ok(Some(Live::Output(lines))) => assert_eq!(lines[0].cursor, n),
                Ok(other) => panic!("expected line {n}, got {other:?}"),
                Err(_) => panic!("line {n} was held back behind the re-read"),
            }
        }
    }

    #[tokio::test]
    async fn lines_published_before_the_final_state_go_out_before_it() {
        let (app, mut w, _dir) = watcher(async { None }).await;
        let caller = Caller::internal("v@example.com", "t", Role::Viewer);
        let mut last = view(&app, &caller, "e1").await.unwrap();
        last.execution.state = crate::model::ExecutionState::Completed;
        // The re-read finds the execution completed; three batches were published
        // meanwhile and wait in the watcher's queue.
        w.reading = Some(tokio::spawn(async move { Some(last) }));
        for n in 1..=3 {
            app.bus.publish(output(n));
        }
        let mut got = Vec::new();
        while let Some(item) = w.next().await {
            got.push(match item {
                Live::Output(lines) => format!("line {}", lines[0].cursor),
                Live::Update(v) => format!("update {:?}", v.execution.state),
                other => format!("{other:?}"),
            });
        }
        assert_eq!(got, ["line 1", "line 2", "line 3", "update Completed"]);
    }

    #[tokio::test]
    async fn another_tenant_cannot_watch() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::for_tests(dir.path());
        let (e, jobs) = crate::store::contract::execution("t", "e1", &["a"]);
        app.store.insert_execution(&e, &jobs).await.unwrap();
        let other = Caller::internal("x@example.com", "other", Role::Admin);
        assert!(matches!(
            watch(&app, &other, "e1").await.err(),
            Some(crate::error::Error::NotFound(_))
        ));
    }
}
