//! Log capture for the whole test binary.
//!
//! Two jobs:
//! - Reliability. Tests capture logs with a scoped (thread-local) subscriber
//!   while other tests run on other threads. tracing caches, per call site,
//!   whether any subscriber is interested; a call site first reached on a
//!   thread with no subscriber, racing another thread's registration, can be
//!   cached as "never" and then stays silent for everyone. A global
//!   subscriber interested in everything means no call site is ever "never".
//! - Token leaks. That global subscriber keeps every line logged (at DEBUG)
//!   by every in-process daemon, listener and executor run of the suite, so
//!   the daemon tests can grep all of it for the token.

use std::sync::{Mutex, Once};

/// Everything logged outside scoped subscribers, as JSON lines.
static OUTPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

#[derive(Clone, Copy)]
struct Sink;

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        OUTPUT
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the global capturing subscriber (once). Call before installing a
/// scoped capture subscriber, and before starting anything whose logs a test
/// greps.
pub fn interest_in_everything() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(|| Sink)
            .finish();
        // Fails only if a global subscriber is already set, which serves too.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Whether anything logged so far (by any test) contains `needle`.
pub fn logged_anywhere(needle: &str) -> bool {
    let out = OUTPUT.lock().unwrap_or_else(|p| p.into_inner());
    String::from_utf8_lossy(&out).contains(needle)
}

/// Whether one line logged so far (by any test) contains every one of `needles`.
pub fn logged_line_with(needles: &[&str]) -> bool {
    let out = OUTPUT.lock().unwrap_or_else(|p| p.into_inner());
    String::from_utf8_lossy(&out)
        .lines()
        .any(|l| needles.iter().all(|n| l.contains(n)))
}
