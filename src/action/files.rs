//! Reading local artwork, confined to the configured `artwork_roots`.
//!
//! An upload rule names a file from a template (`{{ item.folder }}/poster.jpg`),
//! and item folders come from Plex: without a fence, a crafted folder name or
//! a symlink could make us send any readable file to the server. [`DiskFiles`]
//! canonicalizes the path (resolving `..` and symlinks) and refuses anything
//! that does not end up under a canonicalized root. [`FakeFiles`] stands in
//! for the disk in `metarr-plex test` and plans.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::plex::pathmap::normalize;
use crate::plex::request::MAX_UPLOAD_BYTES;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    /// Outside every artwork root (after resolving `..` and symlinks).
    #[error("{} is outside the artwork roots ({})", path.display(), roots_text(roots))]
    OutsideRoots { path: PathBuf, roots: Vec<PathBuf> },
    /// Over the size Plex accepts.
    #[error("{} is {size} bytes; images must be at most {MAX_UPLOAD_BYTES} bytes", path.display())]
    TooBig { path: PathBuf, size: u64 },
    /// A directory, a device…
    #[error("{} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    /// Permissions and the like.
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
}

fn roots_text(roots: &[PathBuf]) -> String {
    if roots.is_empty() {
        return "none configured".to_owned();
    }
    roots
        .iter()
        .map(|r| r.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where upload bytes come from.
pub trait ArtworkFiles: Send + Sync {
    /// The bytes of `path` when it is a regular file under one of `roots`;
    /// `Ok(None)` when it does not exist. May block (call off the runtime).
    fn load(&self, path: &Path, roots: &[PathBuf]) -> Result<Option<Vec<u8>>, FileRefusal>;
}

/// The real disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiskFiles;

impl ArtworkFiles for DiskFiles {
    fn load(&self, path: &Path, roots: &[PathBuf]) -> Result<Option<Vec<u8>>, FileRefusal> {
        let unreadable = |e: std::io::Error| FileRefusal::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let real = match std::fs::canonicalize(path) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(e)),
        };
        let fenced: Vec<PathBuf> = roots
            .iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .collect();
        if !fenced.iter().any(|r| real.starts_with(r)) {
            return Err(FileRefusal::OutsideRoots {
                path: path.to_owned(),
                roots: roots.to_vec(),
            });
        }
        let meta = std::fs::metadata(&real).map_err(unreadable)?;
        if !meta.is_file() {
            return Err(FileRefusal::NotAFile {
                path: path.to_owned(),
            });
        }
        if meta.len() > MAX_UPLOAD_BYTES {
            return Err(FileRefusal::TooBig {
                path: path.to_owned(),
                size: meta.len(),
            });
        }
        // Read at most one byte past the limit: the file may grow meanwhile.
        let mut bytes = Vec::new();
        std::fs::File::open(&real)
            .map_err(unreadable)?
            .take(MAX_UPLOAD_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        Ok(Some(bytes))
    }
}

/// Files that "exist" for a plan or a rule test: path → bytes. The roots
/// check is lexical here (there are no symlinks to resolve).
#[derive(Debug, Clone, Default)]
pub struct FakeFiles {
    files: HashMap<PathBuf, Vec<u8>>,
}

impl FakeFiles {
    /// No files.
    pub fn new() -> FakeFiles {
        FakeFiles::default()
    }

    /// Adds a file with `bytes`.
    pub fn with(mut self, path: impl AsRef<Path>, bytes: impl Into<Vec<u8>>) -> FakeFiles {
        self.files.insert(normalize(path.as_ref()), bytes.into());
        self
    }

    /// Adds a file whose content is a small valid JPEG header followed by
    /// its path (distinct files, distinct hashes).
    pub fn with_jpeg(self, path: impl AsRef<Path>) -> FakeFiles {
        let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0];
        bytes.extend_from_slice(path.as_ref().to_string_lossy().as_bytes());
        self.with(path, bytes)
    }
}

impl ArtworkFiles for FakeFiles {
    fn load(&self, path: &Path, roots: &[PathBuf]) -> Result<Option<Vec<u8>>, FileRefusal> {
        let p = normalize(path);
        if !roots.iter().any(|r| p.starts_with(normalize(r))) {
            return Err(FileRefusal::OutsideRoots {
                path: path.to_owned(),
                roots: roots.to_vec(),
            });
        }
        Ok(self.files.get(&p).cloned())
    }
}
