//! Makes log capture in tests reliable.
//!
//! Tests capture logs with a scoped (thread-local) subscriber while other
//! tests run on other threads. tracing caches, per call site, whether any
//! subscriber is interested; a call site first reached on a thread with no
//! subscriber, racing another thread's registration, can be cached as "never"
//! and then stays silent for everyone — the captured line goes missing. A
//! global subscriber that is interested in everything (a bare registry: it
//! records nothing) means no call site is ever cached as "never".

use std::sync::Once;

/// Installs the global, do-nothing, interested-in-everything subscriber.
/// Call before installing a scoped capture subscriber.
pub fn interest_in_everything() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if a global subscriber is already set, which serves too.
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    });
}
