//! Who we are to Plex: the `X-Plex-*` identity headers, with a client id that
//! stays the same across runs.
//!
//! Plex lists every client id it has seen under "Authorized Devices"; a new
//! id per run would flood that list, so the id is a UUID created once and
//! kept in the state directory.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The identity headers sent with every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// `X-Plex-Client-Identifier`: a UUID kept in `<state dir>/client-id`.
    pub client_id: String,
    /// `X-Plex-Product`.
    pub product: String,
    /// `X-Plex-Version`: the crate version.
    pub version: String,
    /// `X-Plex-Device`.
    pub device: String,
    /// `X-Plex-Platform`: the OS we run on.
    pub platform: String,
}

/// Why the client id could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("cannot create the state directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read or write the client id at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The file name of the client id inside the state dir.
pub const CLIENT_ID_FILE: &str = "client-id";

impl ClientIdentity {
    /// An identity with the given client id and our fixed product names.
    pub fn new(client_id: impl Into<String>) -> ClientIdentity {
        ClientIdentity {
            client_id: client_id.into(),
            product: "Metarr".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            device: "Metarr Server".to_owned(),
            platform: platform_name().to_owned(),
        }
    }

    /// Reads `<dir>/client-id`, creating the directory and a fresh UUID the
    /// first time. A file with anything but a UUID in it is replaced.
    pub fn load_or_create(dir: &Path) -> Result<ClientIdentity, IdentityError> {
        let path = dir.join(CLIENT_ID_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) if uuid::Uuid::parse_str(text.trim()).is_ok() => {
                return Ok(ClientIdentity::new(text.trim()));
            }
            Ok(_) => {
                tracing::warn!(path = %path.display(), "Client id file is not a UUID; writing a new one.");
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(source) => return Err(IdentityError::Io { path, source }),
        }
        std::fs::create_dir_all(dir).map_err(|source| IdentityError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        std::fs::write(&path, format!("{id}\n")).map_err(|source| IdentityError::Io {
            path: path.clone(),
            source,
        })?;
        tracing::info!(path = %path.display(), "Created a new Plex client id.");
        Ok(ClientIdentity::new(id))
    }
}

/// Where state lives: `--state-dir`, else `$STATE_DIRECTORY` (systemd's
/// `StateDirectory=`, first entry), else `/var/lib/metarr-plex`.
pub fn default_state_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_owned();
    }
    if let Some(dirs) = std::env::var_os("STATE_DIRECTORY") {
        // systemd joins several directories with ':'.
        if let Some(first) = dirs.to_string_lossy().split(':').find(|s| !s.is_empty()) {
            return PathBuf::from(first);
        }
    }
    PathBuf::from("/var/lib/metarr-plex")
}

/// The per-user fallback for one-shot commands run by someone who cannot
/// write the system state dir: `$XDG_STATE_HOME/metarr-plex`, else
/// `~/.local/state/metarr-plex`.
pub fn user_state_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("metarr-plex"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".local/state/metarr-plex"))
}

/// Loads the identity from the state dir. When the dir was not given
/// explicitly and cannot be used (a non-root user running a one-shot
/// command), falls back to [`user_state_dir`]; an explicit `--state-dir`
/// that fails is an error.
pub fn load_identity(explicit: Option<&Path>) -> Result<ClientIdentity, IdentityError> {
    let dir = default_state_dir(explicit);
    match ClientIdentity::load_or_create(&dir) {
        Ok(id) => Ok(id),
        Err(err) if explicit.is_none() => match user_state_dir() {
            Some(fallback) => {
                tracing::debug!(
                    state_dir = %dir.display(),
                    fallback = %fallback.display(),
                    error = %err,
                    "State dir not usable; keeping the client id in the per-user state dir."
                );
                ClientIdentity::load_or_create(&fallback)
            }
            None => Err(err),
        },
        Err(err) => Err(err),
    }
}

fn platform_name() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        "windows" => "Windows",
        "freebsd" => "FreeBSD",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("nested/state");
        let a = ClientIdentity::load_or_create(&state).unwrap();
        let b = ClientIdentity::load_or_create(&state).unwrap();
        assert_eq!(a.client_id, b.client_id);
        assert!(uuid::Uuid::parse_str(&a.client_id).is_ok());
        assert_eq!(a.product, "Metarr");
        assert_eq!(a.device, "Metarr Server");
        assert_eq!(a.version, env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn garbage_client_id_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CLIENT_ID_FILE), "hello\n").unwrap();
        let a = ClientIdentity::load_or_create(dir.path()).unwrap();
        assert!(uuid::Uuid::parse_str(&a.client_id).is_ok());
    }

    #[test]
    fn explicit_state_dir_that_cannot_be_created_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let err = load_identity(Some(&file.join("sub"))).unwrap_err();
        assert!(err.to_string().contains("a-file"), "{err}");
    }
}
