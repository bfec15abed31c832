//! The guest binaries (`init` and the workloads): static executables built from the
//! `workloads` crate by the harness itself, so a fresh clone needs no manual step.
//!
//! Built with `cargo build --release --target x86_64-unknown-linux-gnu` and
//! `-C target-feature=+crt-static` (static glibc) into `target/guest`, a target directory
//! of their own so these flags never invalidate the host build. `PINBENCH_GUEST_DIR` points
//! at prebuilt binaries instead.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Guest programs: init plus one binary per workload.
pub const BINARIES: &[&str] = &[
    "pinbench-init",
    "selftest",
    "pin-latency",
    "cow",
    "fork-cost",
    "gup-test",
];

/// Directory holding the built guest binaries.
pub fn build() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PINBENCH_GUEST_DIR") {
        let dir = PathBuf::from(dir);
        for b in BINARIES {
            if !dir.join(b).is_file() {
                bail!("PINBENCH_GUEST_DIR={} has no {b}; unset it to let pinbench build the guest binaries", dir.display());
            }
        }
        return Ok(dir);
    }
    let root = crate::workspace_root();
    if !root.join("workloads/Cargo.toml").is_file() {
        bail!("cannot find the pinbench source tree at {} to build the guest binaries; run pinbench from its checkout or set PINBENCH_GUEST_DIR", root.display());
    }
    let target_dir = root.join("target/guest");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "workloads",
            "--bins",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(&target_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .with_context(|| {
            format!(
                "running `{cargo} build` for the guest binaries (is the Rust toolchain installed?)"
            )
        })?;
    if !out.status.success() {
        bail!(
            "building the guest binaries failed:\n{}\nfix: the `{TARGET}` target with static glibc (libc6-dev) is needed",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir = target_dir.join(TARGET).join("release");
    for b in BINARIES {
        if !dir.join(b).is_file() {
            bail!(
                "guest build finished but {} is missing",
                dir.join(b).display()
            );
        }
    }
    Ok(dir)
}
