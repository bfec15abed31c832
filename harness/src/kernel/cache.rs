//! The harness cache (`~/.cache/pinbench`, or `$PINBENCH_CACHE`): extracted Debian kernels,
//! built modules, the KVM probe verdict. Every entry is made in a temporary directory next
//! to its final place and renamed into place, so an interrupted step leaves nothing
//! half-written that a later run would trust.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Root of the cache.
pub fn root() -> PathBuf {
    if let Some(p) = std::env::var_os("PINBENCH_CACHE") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache").join("pinbench")
}

/// A fresh temporary directory inside `parent` (same filesystem, so rename works).
pub fn temp_dir_in(parent: &Path) -> Result<tempfile::TempDir> {
    std::fs::create_dir_all(parent)
        .with_context(|| format!("creating cache directory {}", parent.display()))?;
    tempfile::Builder::new()
        .prefix(".partial-")
        .tempdir_in(parent)
        .with_context(|| {
            format!(
                "creating a temporary directory in {} (is the cache writable? set PINBENCH_CACHE)",
                parent.display()
            )
        })
}

/// Move a finished temporary directory to `dest` atomically. If another process got there
/// first, keep theirs.
pub fn commit_dir(tmp: tempfile::TempDir, dest: &Path) -> Result<()> {
    let src = tmp.keep();
    match std::fs::rename(&src, dest) {
        Ok(()) => Ok(()),
        Err(_) if dest.exists() => {
            let _ = std::fs::remove_dir_all(&src);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&src);
            Err(e).with_context(|| {
                format!("moving {} into place at {}", src.display(), dest.display())
            })
        }
    }
}

/// sha256 of some byte strings, hex.
pub fn digest<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    format!("{:x}", h.finalize())
}

/// sha256 of a file, hex.
pub fn file_digest(path: &Path) -> Result<String> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(digest([data.as_slice()]))
}
