//! What runs inside a guest: the workload registry and the plan written to `/plan.json`.

use anyhow::{bail, Result};
use results::{Plan, PlanItem, SCHEMA_VERSION};

/// A workload the harness knows.
pub struct WorkloadDef {
    pub name: &'static str,
    /// Guest binary (in `/bin`).
    pub binary: &'static str,
    pub about: &'static str,
    /// Part of the default set of `pinbench run`.
    pub default: bool,
    /// Guest-side timeout for quick and full runs, seconds of guest time.
    pub timeout_quick_s: u64,
    pub timeout_full_s: u64,
}

pub const WORKLOADS: &[WorkloadDef] = &[
    WorkloadDef {
        name: "pin-latency",
        binary: "pin-latency",
        about: "pin/unpin latency and the behaviour matrix per buffer kind, pin mode, API and size",
        default: true,
        timeout_quick_s: 120,
        timeout_full_s: 1800,
    },
    WorkloadDef {
        name: "cow",
        binary: "cow",
        about: "COW copies and pin coherence across fork (scenarios a-e) per pin mode, API, base pages and THP",
        default: true,
        timeout_quick_s: 120,
        timeout_full_s: 1200,
    },
    WorkloadDef {
        name: "fork-cost",
        binary: "fork-cost",
        about: "fork() time and pages copied at fork with 0/1/100% of S MiB pinned longterm, MADV_DONTFORK and THP variants",
        default: true,
        timeout_quick_s: 120,
        timeout_full_s: 1800,
    },
    WorkloadDef {
        name: "gup-test",
        binary: "gup-test",
        about: "cross-check: the kernel's own gup_test PIN_FAST_BENCHMARK (kernels built from source) beside pinbench's BENCH, ns per page",
        default: false,
        timeout_quick_s: 300,
        timeout_full_s: 900,
    },
    WorkloadDef {
        name: "selftest",
        binary: "selftest",
        about: "the module's own test: every ioctl, every misuse errno, and a seeded ioctl fuzz",
        default: false,
        timeout_quick_s: 300,
        timeout_full_s: 900,
    },
];

pub fn find(name: &str) -> Result<&'static WorkloadDef> {
    match WORKLOADS.iter().find(|w| w.name == name) {
        Some(w) => Ok(w),
        None => bail!(
            "unknown workload `{name}`; known: {}",
            WORKLOADS
                .iter()
                .map(|w| w.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Options passed to every workload.
#[derive(Debug, Clone)]
pub struct WorkloadOptions {
    pub quick: bool,
    /// Extra arguments for a workload, e.g. ("selftest", ["--fuzz", "20000"]).
    pub extra_args: Vec<(String, Vec<String>)>,
}

/// The guest plan for a list of workloads.
pub fn build(workloads: &[&WorkloadDef], opts: &WorkloadOptions, module_params: &str) -> Plan {
    Plan {
        schema_version: SCHEMA_VERSION,
        module: "/lib/modules/pinbench.ko".into(),
        module_params: module_params.to_string(),
        workloads: workloads
            .iter()
            .map(|w| {
                let mut args = Vec::new();
                if opts.quick {
                    args.push("--quick".to_string());
                }
                for (n, a) in &opts.extra_args {
                    if n == w.name {
                        args.extend(a.iter().cloned());
                    }
                }
                PlanItem {
                    name: w.name.to_string(),
                    binary: format!("/bin/{}", w.binary),
                    args,
                    timeout_s: if opts.quick {
                        w.timeout_quick_s
                    } else {
                        w.timeout_full_s
                    },
                }
            })
            .collect(),
    }
}

/// The guest-time budget of a plan, for the host-side VM timeout.
pub fn budget_s(plan: &Plan) -> u64 {
    plan.workloads.iter().map(|w| w.timeout_s).sum()
}
