//! Whether Plex can be asked right now.
//!
//! The daemon's authority on that is the notification stream: while it says
//! Plex is unreachable or the token is rejected, work that would send
//! requests (fetching a rule's facts, a run's next attempt) waits here
//! instead of spending its attempts against a closed port, and goes on the
//! moment the stream is back. One-shot commands have no stream, so they use
//! [`Reachability::assumed`], which never waits.

use tokio::sync::watch;

/// Why Plex cannot be asked, when it cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Down {
    /// The connection failed and is being retried.
    Unreachable,
    /// Plex refused the token.
    TokenRejected,
}

impl Down {
    /// A short word for log lines.
    pub fn label(self) -> &'static str {
        match self {
            Down::Unreachable => "unreachable",
            Down::TokenRejected => "token_rejected",
        }
    }
}

/// The publishing side, held by whoever watches the connection.
#[derive(Debug)]
pub struct ReachabilitySender {
    tx: watch::Sender<Option<Down>>,
}

impl ReachabilitySender {
    /// Plex can be asked.
    pub fn up(&self) {
        self.tx.send_if_modified(|s| s.take().is_some());
    }

    /// Plex cannot be asked, for `why`.
    pub fn down(&self, why: Down) {
        self.tx.send_if_modified(|s| s.replace(why) != Some(why));
    }
}

/// The waiting side: cheap to clone, one per task that sends requests.
#[derive(Debug, Clone)]
pub struct Reachability {
    rx: watch::Receiver<Option<Down>>,
}

impl Reachability {
    /// A pair starting "up": until the stream says otherwise, requests go.
    pub fn channel() -> (ReachabilitySender, Reachability) {
        let (tx, rx) = watch::channel(None);
        (ReachabilitySender { tx }, Reachability { rx })
    }

    /// Always up: for one-shot commands and anything without a stream.
    pub fn assumed() -> Reachability {
        let (tx, rx) = watch::channel(None);
        // Dropping the sender freezes the value at "up".
        drop(tx);
        Reachability { rx }
    }

    /// `None` when Plex can be asked, else why not.
    pub fn down(&self) -> Option<Down> {
        *self.rx.borrow()
    }

    /// Returns at once when Plex can be asked, else when it can again (or
    /// when the sender is gone: a stopping daemon does not hold work here).
    pub async fn wait_up(&self) {
        let mut rx = self.rx.clone();
        // An error means the sender is gone; nothing will ever say "up", so
        // waiting longer would only hang.
        let _ = rx.wait_for(Option::is_none).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn work_waits_while_down_and_goes_when_up() {
        let (tx, reach) = Reachability::channel();
        reach.wait_up().await;
        tx.down(Down::Unreachable);
        assert_eq!(reach.down(), Some(Down::Unreachable));
        let waiter = tokio::spawn({
            let reach = reach.clone();
            async move { reach.wait_up().await }
        });
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!waiter.is_finished(), "work went on while Plex was down");
        tx.up();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("work did not go on when Plex came back")
            .expect("waiter");
    }

    #[tokio::test]
    async fn assumed_never_waits_and_a_dropped_sender_releases_waiters() {
        Reachability::assumed().wait_up().await;
        let (tx, reach) = Reachability::channel();
        tx.down(Down::TokenRejected);
        drop(tx);
        reach.wait_up().await;
    }
}
