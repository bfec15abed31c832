//! Build `kernels/module` (pinbench.ko) against a kernel's build directory.
//!
//! Cached by content: the key is a digest of every module source file, the kernel release,
//! the build directory's Module.symvers and .config, and for kernels built from source their
//! build key (a patched kernel has the same release and config as its baseline), so a changed module source (or a
//! rebuilt kernel) rebuilds and an unchanged one is reused. Builds happen in a copy of the
//! sources in a temporary directory, so the repository never collects build artefacts.

use super::{cache, PreparedKernel};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The module sources shipped with this harness.
pub fn source_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PINBENCH_MODULE_SRC") {
        return PathBuf::from(p);
    }
    crate::workspace_root().join("kernels/module")
}

fn source_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading module sources in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".c") || n.ends_with(".h") || n == "Kbuild" || n == "Makefile"
        })
        .collect();
    files.sort();
    if !files.iter().any(|f| f.ends_with("pinbench.c")) {
        bail!(
            "{} has no pinbench.c; is this a pinbench checkout? (set PINBENCH_MODULE_SRC)",
            dir.display()
        );
    }
    Ok(files)
}

/// Build (or reuse) the module for `k`; returns the path of pinbench.ko in the cache.
pub fn build(k: &PreparedKernel) -> Result<PathBuf> {
    let src = source_dir();
    let files = source_files(&src)?;
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for f in &files {
        parts.push(f.file_name().unwrap().to_string_lossy().as_bytes().to_vec());
        parts.push(std::fs::read(f)?);
    }
    parts.push(k.release.as_bytes().to_vec());
    if let Some(id) = &k.build_id {
        parts.push(id.as_bytes().to_vec());
    }
    for extra in ["Module.symvers", ".config"] {
        parts.push(std::fs::read(k.build_dir.join(extra)).unwrap_or_default());
    }
    let key = cache::digest(parts.iter().map(|p| p.as_slice()));
    let dest = cache::root().join("modules").join(&key[..32]);
    let ko = dest.join("pinbench.ko");
    if ko.is_file() {
        return Ok(ko);
    }
    let tmp = cache::temp_dir_in(dest.parent().unwrap())?;
    for f in &files {
        std::fs::copy(f, tmp.path().join(f.file_name().unwrap()))?;
    }
    let out = Command::new("make")
        .arg("-C")
        .arg(&k.build_dir)
        .arg(format!("M={}", tmp.path().display()))
        // Debian's 6.12 headers would run pahole for module BTF; we need no BTF.
        .arg("CONFIG_DEBUG_INFO_BTF_MODULES=")
        .arg("modules")
        .env_remove("ARCH")
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!("`make` not found: install the kernel build tools with `apt-get install build-essential`")
            } else {
                e.into()
            }
        })?;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(tmp.path().join("build.log"), &log)?;
    if !out.status.success() || !tmp.path().join("pinbench.ko").is_file() {
        let tail: Vec<&str> = log.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "building pinbench.ko against {} ({}) failed:\n{}\nfix: the compiler the kernel was built with must be installed (Debian kernels: gcc-12), plus make, bc, flex, bison, libelf-dev",
            k.build_dir.display(),
            k.release,
            tail.join("\n")
        );
    }
    // Keep only what we need.
    for e in std::fs::read_dir(tmp.path())? {
        let p = e?.path();
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        if n != "pinbench.ko" && n != "build.log" {
            if p.is_dir() {
                std::fs::remove_dir_all(&p)?;
            } else {
                std::fs::remove_file(&p)?;
            }
        }
    }
    cache::commit_dir(tmp, &dest)?;
    Ok(ko)
}
