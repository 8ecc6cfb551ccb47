//! The process-wide list of secrets that must never be printed. It lives
//! with the token, which registers itself here when it is made; the log
//! writers in [`crate::service::logging`] scrub every line against it.

use std::sync::{Arc, OnceLock, RwLock};

/// Secrets that must never appear in a log line, however they got there.
///
/// Cloning shares the list. Values shorter than 8 characters are ignored:
/// scrubbing them would mangle ordinary words and no real token is that short.
#[derive(Clone, Default)]
pub struct Redactor {
    /// The registered secrets; read on every line, written rarely.
    secrets: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.secrets.read().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("Redactor").field("secrets", &count).finish()
    }
}

impl Redactor {
    /// The redactor the process-wide log writers consult.
    pub fn global() -> &'static Redactor {
        static GLOBAL: OnceLock<Redactor> = OnceLock::new();
        GLOBAL.get_or_init(Redactor::default)
    }

    /// Registers a secret. Every [`Token`](super::token::Token) registers
    /// itself with [`Redactor::global`] when it is made, so no caller can
    /// forget. Its percent-encoded form is registered too: a URL that carried
    /// it in a query would show it that way.
    pub fn add(&self, value: &str) {
        if value.len() < 8 {
            return;
        }
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        if let Ok(mut secrets) = self.secrets.write() {
            for form in [value.to_owned(), encoded] {
                if !secrets.contains(&form) {
                    secrets.push(form);
                }
            }
        }
    }

    /// True when `text` holds a registered secret.
    pub fn holds_secret(&self, text: &str) -> bool {
        self.secrets
            .read()
            .is_ok_and(|s| s.iter().any(|secret| text.contains(secret.as_str())))
    }

    /// `line` with every registered secret replaced by `<redacted>`; borrowed
    /// untouched when there is nothing to hide.
    pub fn scrub<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        let Ok(secrets) = self.secrets.read() else {
            return std::borrow::Cow::Borrowed(line);
        };
        let mut out = std::borrow::Cow::Borrowed(line);
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = std::borrow::Cow::Owned(out.replace(secret.as_str(), "<redacted>"));
            }
        }
        out
    }
}
