//! `run.json`: the metadata of one `pinbench run`, enough to tell years later what was
//! measured, on what, and how.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Top-level metadata of a run directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub schema_version: u32,
    /// The command line that produced the run.
    pub command_line: Vec<String>,
    /// RFC 3339 start and end times (host clock).
    pub started: String,
    pub finished: Option<String>,
    /// False while running, or when the run was interrupted: what finished is kept.
    pub complete: bool,
    /// `git describe` of the harness, or its crate version.
    pub harness_revision: String,
    pub host: HostInfo,
    /// "kvm" or "tcg": what was actually used.
    pub accel: String,
    /// "wall" or "icount". Comparisons across clock modes are refused.
    pub clock: String,
    pub memory_mib: u32,
    pub cpus: u32,
    pub quick: bool,
    pub repeat: u32,
    pub workloads: Vec<String>,
    pub kernels: Vec<KernelRun>,
}

/// The machine the run was made on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HostInfo {
    pub hostname: String,
    pub cpu_model: String,
    pub cpus: u32,
    pub qemu_version: String,
    pub host_kernel: String,
}

/// One kernel of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelRun {
    /// Name used in reports (the spec as given, e.g. `debian:6.12`).
    pub name: String,
    /// The spec as resolved (e.g. `debian:6.12.117+deb12-amd64`).
    pub spec: String,
    /// Directory (relative to the run directory) holding this kernel's files.
    pub dir: String,
    /// Kernel release (from the package or tree before boot; `uname -r` in the guest).
    pub release: String,
    /// `/proc/version` from the guest.
    pub proc_version: Option<String>,
    /// sha256 of the kernel's .config.
    pub config_digest: Option<String>,
    /// Options that matter to pinning (CONFIG_TRANSPARENT_HUGEPAGE*, CONFIG_PREEMPT*, ...).
    pub config_options: BTreeMap<String, String>,
    pub page_size: Option<u64>,
    /// sha256 of the pinbench.ko that was loaded.
    pub module_digest: Option<String>,
    /// One entry per VM boot (`--repeat`).
    pub boots: Vec<BootRun>,
    pub status: KernelStatus,
}

/// One VM boot of a kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootRun {
    pub index: u32,
    /// results.jsonl of this boot, relative to the run directory.
    pub results: String,
    /// Kernel console log of this boot, relative to the run directory.
    pub console: String,
    /// Seconds from QEMU start to the guest's first results line.
    pub boot_seconds: Option<f64>,
    /// Seconds the VM ran in total.
    pub vm_seconds: Option<f64>,
    /// Records received.
    pub records: u64,
    /// Console lines that signal kernel trouble (panic, Oops, BUG:, WARNING:).
    pub kernel_problems: Vec<String>,
    pub status: KernelStatus,
    /// Earlier attempts of this boot whose kernel panicked before pinbench's init ran (the
    /// boot was tried again): the panic line and the kept console file. Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub early_panics: Vec<String>,
}

/// How a kernel's part of the run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KernelStatus {
    Pending,
    /// Every planned workload ran (each workload's own exit status is in results.jsonl).
    Ok,
    /// Some workloads failed or timed out; their records are still kept.
    WorkloadsFailed {
        failed: Vec<String>,
    },
    /// The kernel could not be prepared, booted, or the VM died: nothing or partial data.
    Failed {
        error: String,
    },
    /// The run was interrupted (Ctrl-C) while this kernel was running or pending.
    Interrupted,
}

impl KernelStatus {
    pub fn is_ok(&self) -> bool {
        matches!(self, KernelStatus::Ok)
    }
}
