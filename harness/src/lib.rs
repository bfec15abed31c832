//! The pinbench harness: kernels, VMs, runs. The `pinbench` binary (`main.rs`) is a thin
//! shell over this library; each pipeline stage is its own module.

pub mod bisect;
pub mod cli;
pub mod cmd;
pub mod doctor;
pub mod guest;
pub mod kernel;
pub mod nightly;
pub mod plan;
pub mod run;
#[cfg(test)]
pub(crate) mod testutil;
pub mod ui;
pub mod vm;

use std::path::PathBuf;

/// Exit codes, so a nightly job can tell "the kernel got slower" from "QEMU broke".
pub mod exit {
    pub const OK: i32 = 0;
    pub const REGRESSION: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const INFRA: i32 = 3;
}

/// An error in what the user asked for (exit code 2), as opposed to an infrastructure
/// failure (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The source tree this harness was built from (guest binaries and module sources live there).
pub fn workspace_root() -> PathBuf {
    if let Some(p) = std::env::var_os("PINBENCH_ROOT") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness/ has a parent")
        .to_path_buf()
}

/// `git describe` of the source tree, or the crate version.
pub fn revision() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty", "--tags"])
        .current_dir(workspace_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| format!("v{}", env!("CARGO_PKG_VERSION")))
}
