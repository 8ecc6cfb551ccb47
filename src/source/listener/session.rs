//! One connected WebSocket, from the upgrade to its end: read every frame,
//! ping, notice silence, reconcile first and hold live frames until the
//! synthetic events are out, close cleanly on shutdown.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, OptionFuture};
use futures::{FutureExt, SinkExt, StreamExt};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep, timeout};
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

use super::beat::Beat;
use super::connect::Socket;
use super::outlet::Outlet;
use super::reconcile::{ReconcileError, ServerView, Snapshot, WatermarkStore};
use super::state::Health;

/// Live frames held back while a reconciliation runs, by count and by
/// bytes (frames may be up to 1 MiB each); past either they are dropped and
/// another reconciliation follows.
const HOLD_LIMIT: usize = 10_000;
const HOLD_LIMIT_BYTES: usize = 4 << 20;

/// How often the pipeline's timers are driven and a pending resync checked.
const TICK: Duration = Duration::from_secs(1);

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionEnd {
    /// Shutdown was requested; a Close frame was sent.
    Shutdown,
    /// The consumer dropped its receiver.
    ConsumerGone,
    /// The server closed the connection (with the close code, if any).
    Closed(String),
    /// Nothing arrived within the idle deadline: half-open or stalled.
    Stale(Duration),
    /// A read or write failed (protocol error, oversized message, reset…).
    Failed(String),
}

impl SessionEnd {
    pub(crate) fn reason(&self) -> String {
        match self {
            SessionEnd::Shutdown => "shutdown".to_owned(),
            SessionEnd::ConsumerGone => "the event consumer stopped".to_owned(),
            SessionEnd::Closed(why) => format!("closed by the server ({why})"),
            SessionEnd::Stale(d) => format!(
                "no frame for {}, the connection is stalled or half-open",
                humantime::format_duration(*d)
            ),
            SessionEnd::Failed(why) => why.clone(),
        }
    }
}

/// The timers a session runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) ping_every: Duration,
    pub(crate) idle_timeout: Duration,
    /// Wait before retrying a reconciliation that failed.
    pub(crate) reconcile_retry: Duration,
    /// Upper bound on one reconciliation (its REST calls have their own timeouts).
    pub(crate) reconcile_timeout: Duration,
}

/// What a session needs besides the socket.
pub(crate) struct Context<'a> {
    pub(crate) outlet: &'a mut Outlet,
    pub(crate) health: &'a Health,
    pub(crate) server: &'a Arc<dyn ServerView>,
    pub(crate) watermark: &'a Arc<dyn WatermarkStore>,
    pub(crate) timing: Timing,
    pub(crate) shutdown: &'a CancellationToken,
    pub(crate) beat: &'a Beat,
}

type Reconciling = BoxFuture<'static, Result<Snapshot, ReconcileError>>;

/// Runs one connection until it ends.
pub(crate) async fn run(mut socket: Socket, cx: Context<'_>) -> SessionEnd {
    let Context {
        outlet,
        health,
        server,
        watermark,
        timing,
        shutdown,
        beat,
    } = cx;
    let start = Instant::now();
    let mut ping = interval_at(start + timing.ping_every, timing.ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut tick = interval_at(start + TICK, TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The idle timer is only re-armed when it fires: resetting a timer per
    // frame costs more than reading the frame. `last_inbound` is the truth.
    let mut last_inbound = start;
    let idle = sleep(timing.idle_timeout);
    tokio::pin!(idle);
    // Made once: a fresh `cancelled()` per frame would register a waiter
    // with the token for every message read.
    let cancelled = shutdown.cancelled();
    tokio::pin!(cancelled);

    let begin = |outlet: &mut Outlet| -> Reconciling {
        outlet.resync_started();
        let view = Arc::clone(server);
        let since = watermark.load();
        let limit = timing.reconcile_timeout;
        async move {
            match timeout(limit, view.snapshot(since)).await {
                Ok(result) => result.map(|mut snapshot| {
                    snapshot.added_since = since;
                    snapshot
                }),
                Err(_) => Err(ReconcileError(format!("no answer within {limit:?}"))),
            }
        }
        .boxed()
    };

    // Catch up before any live frame of this connection is delivered.
    let mut reconciling: Option<Reconciling> = Some(begin(outlet));
    let mut retry_at: Option<Instant> = None;
    let mut held: VecDeque<Utf8Bytes> = VecDeque::new();
    let mut held_bytes = 0usize;

    loop {
        if outlet.consumer_gone {
            close(&mut socket).await;
            return SessionEnd::ConsumerGone;
        }
        tokio::select! {
            biased;
            () = &mut cancelled => {
                close(&mut socket).await;
                return SessionEnd::Shutdown;
            }
            Some(result) = OptionFuture::from(reconciling.as_mut()), if reconciling.is_some() => {
                reconciling = None;
                let now = Instant::now();
                match result {
                    Ok(snapshot) => {
                        if let Some(identity) = &snapshot.identity {
                            health.server_version(identity.version.clone());
                        }
                        if let Some(mark) = outlet.reconcile(&snapshot, now) {
                            watermark.store(mark);
                        }
                        retry_at = None;
                    }
                    Err(e) => {
                        tracing::warn!(
                            error = %e,
                            retry_in = ?timing.reconcile_retry,
                            "Could not catch up with Plex after connecting; live events continue."
                        );
                        retry_at = Some(now + timing.reconcile_retry);
                    }
                }
                while let Some(text) = held.pop_front() {
                    outlet.frame(&text, now);
                }
                held_bytes = 0;
            }
            msg = socket.next() => {
                last_inbound = Instant::now();
                // Here too, not only on the tick: a flood of frames keeps the
                // biased select from ever reaching the tick branch.
                beat.maybe(last_inbound);
                match msg {
                    None => return SessionEnd::Closed("connection ended".to_owned()),
                    Some(Err(e)) => return SessionEnd::Failed(e.to_string()),
                    Some(Ok(Message::Text(text))) => {
                        outlet.stats.frame();
                        if reconciling.is_none() {
                            if outlet.is_full() {
                                // One chance for the consumer to run (it may
                                // share this thread) before anything is dropped.
                                tokio::task::yield_now().await;
                            }
                            outlet.frame(&text, last_inbound);
                        } else if held.len() < HOLD_LIMIT
                            && held_bytes + text.len() <= HOLD_LIMIT_BYTES
                        {
                            held_bytes += text.len();
                            held.push_back(text);
                        } else {
                            outlet.overflow();
                        }
                        // Frames often come many per read from tungstenite's
                        // buffer without touching the socket; without this a
                        // burst would keep the consumer from ever running.
                        tokio::task::coop::consume_budget().await;
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let why = frame.map_or_else(|| "no close code".to_owned(), |f| f.to_string());
                        return SessionEnd::Closed(why);
                    }
                    // Pings are answered by tungstenite on the next poll;
                    // pongs and binary frames only prove liveness.
                    Some(Ok(_)) => {}
                }
            }
            _ = ping.tick() => {
                match timeout(timing.ping_every, socket.send(Message::Ping(Bytes::new()))).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return SessionEnd::Failed(e.to_string()),
                    Err(_) => return SessionEnd::Stale(timing.ping_every),
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                beat.maybe(now);
                outlet.tick(now);
                let retry_due = retry_at.is_some_and(|at| now >= at);
                if reconciling.is_none() && (outlet.resync_due() || retry_due) {
                    retry_at = None;
                    reconciling = Some(begin(outlet));
                }
            }
            () = &mut idle => {
                let deadline = last_inbound + timing.idle_timeout;
                if Instant::now() >= deadline {
                    return SessionEnd::Stale(timing.idle_timeout);
                }
                idle.as_mut().reset(deadline);
            }
        }
    }
}

/// Sends a Close frame, without letting a dead peer hold up shutdown.
async fn close(socket: &mut Socket) {
    let _ = timeout(Duration::from_secs(1), socket.close(None)).await;
}
