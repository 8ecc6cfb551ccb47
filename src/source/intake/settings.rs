//! The key that guards the intake: where it is read from, how it is
//! compared, and that it never prints.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use crate::config::IntakeSettings;

/// The credential file systemd's `LoadCredential=` provides.
pub const CREDENTIAL_NAME: &str = "intake-key";

/// The intake key. Never printed: `Debug` shows its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct IntakeKey(String);

impl std::fmt::Debug for IntakeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IntakeKey(<{} bytes>)", self.0.len())
    }
}

impl IntakeKey {
    /// A key from text (surrounding whitespace, such as a file's trailing
    /// newline, is dropped); `None` when nothing is left.
    pub fn new(text: &str) -> Option<IntakeKey> {
        let t = text.trim();
        (!t.is_empty()).then(|| IntakeKey(t.to_owned()))
    }

    /// True when `offered` is the key; compares in time independent of where
    /// the first difference is, so the key cannot be guessed byte by byte.
    pub fn matches(&self, offered: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), offered.as_bytes());
        let mut diff = a.len() ^ b.len();
        for (i, x) in a.iter().enumerate() {
            diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
        }
        diff == 0
    }

    /// The key itself, for the one place that must compare or send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why the intake could not start.
#[derive(Debug, thiserror::Error)]
pub enum IntakeStartError {
    /// A non-loopback address with no key: anyone on the network could
    /// make the daemon scan and edit.
    #[error(
        "the intake listens on {addr}, beyond loopback, without a key; set [intake] key_file or provide the `{CREDENTIAL_NAME}` credential"
    )]
    KeyRequired { addr: SocketAddr },
    /// The key file could not be read or was empty.
    #[error("cannot read the intake key from {}: {why}", path.display())]
    KeyFile { path: PathBuf, why: String },
    /// The address is taken or not ours.
    #[error("cannot listen for intake requests on {addr}: {source}; change [intake] listen")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Finds the key: `$CREDENTIALS_DIRECTORY/intake-key`, then `key_file`.
/// `Ok(None)` when neither is set up, which only loopback allows.
pub fn load_key(
    settings: &IntakeSettings,
    credentials_dir: Option<&Path>,
) -> Result<Option<IntakeKey>, IntakeStartError> {
    let from_credentials = credentials_dir
        .map(|d| d.join(CREDENTIAL_NAME))
        .filter(|p| p.exists());
    let Some(path) = from_credentials.or_else(|| settings.key_file.clone()) else {
        return match settings.listen {
            Some(addr) if !addr.ip().is_loopback() => Err(IntakeStartError::KeyRequired { addr }),
            _ => Ok(None),
        };
    };
    let text = std::fs::read_to_string(&path).map_err(|e| IntakeStartError::KeyFile {
        path: path.clone(),
        why: e.to_string(),
    })?;
    IntakeKey::new(&text)
        .map(Some)
        .ok_or_else(|| IntakeStartError::KeyFile {
            path,
            why: "the file is empty".to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_and_compares_whole() {
        let k = IntakeKey::new(" s3cret\n").unwrap();
        assert!(!format!("{k:?}").contains("s3cret"));
        assert!(k.matches("s3cret"));
        assert!(!k.matches("s3cre"));
        assert!(!k.matches("s3cret2"));
        assert!(!k.matches(""));
        assert!(IntakeKey::new(" \n").is_none());
    }

    #[test]
    fn a_credential_wins_over_key_file_and_beyond_loopback_needs_a_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CREDENTIAL_NAME), "from-cred\n").unwrap();
        std::fs::write(dir.path().join("file"), "from-file").unwrap();
        let mut s = IntakeSettings {
            listen: Some("0.0.0.0:9848".parse().unwrap()),
            key_file: Some(dir.path().join("file")),
            ..IntakeSettings::default()
        };
        let k = load_key(&s, Some(dir.path())).unwrap().unwrap();
        assert!(k.matches("from-cred"));
        let k = load_key(&s, None).unwrap().unwrap();
        assert!(k.matches("from-file"));
        s.key_file = None;
        assert!(matches!(
            load_key(&s, None),
            Err(IntakeStartError::KeyRequired { .. })
        ));
        s.listen = Some("127.0.0.1:9848".parse().unwrap());
        assert!(load_key(&s, None).unwrap().is_none());
    }
}
