//! Writing the token file: mode 0600 from the first byte, atomically.
//!
//! The file is created under a temporary name with `O_EXCL` and mode 0600,
//! filled, synced, then renamed over the target, so a reader (systemd's
//! `LoadCredential=`, a running daemon re-reading after a 401) sees either the
//! old token or the new one, never half a file, and the secret is never
//! readable by others even for a moment.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::plex::conn::token::Token;

/// Why the token file could not be written. Carries the path, never the token.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot write the token file {path}: {source}; run as a user who may write there (sudo) or pass --token-file PATH"
)]
pub struct TokenFileError {
    /// The file we tried to write (or its parent directory).
    pub path: PathBuf,
    /// What the OS said.
    #[source]
    pub source: std::io::Error,
}

/// Writes `token` plus a newline to `path` with mode 0600, creating missing
/// parent directories with mode 0700.
pub fn write(path: &Path, token: &Token) -> Result<(), TokenFileError> {
    let fail = |path: &Path| {
        let path = path.to_owned();
        move |source| TokenFileError { path, source }
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(fail(&dir))?;

    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plex-token".to_owned());
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(token.expose().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_a_loose_file_with_a_0600_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/plex-token");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();

        write(&path, &Token::new("new-token-value").unwrap()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new-token-value\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // No temporary file left behind.
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn unwritable_place_is_a_clear_error_without_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let err = write(
            &blocker.join("plex-token"),
            &Token::new("s3cret-value").unwrap(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--token-file"), "{err}");
        assert!(!err.contains("s3cret-value"));
    }
}
