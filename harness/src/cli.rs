//! The command line (clap derive). Every option's help names its default.

use crate::vm::accel::AccelChoice;
use crate::vm::qemu::Clock;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "pinbench", version, about = "Benchmark and regression harness for the kernel's pin_user_pages/get_user_pages paths", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Boot kernels in QEMU, load the pinbench module, run workloads, store results.
    Run(RunArgs),
    /// List, or fetch and prepare, kernels.
    #[command(subcommand)]
    Kernels(KernelsCommand),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Kernel spec: debian:<line> (debian:6.12), debian:<release>, or local:<built-tree>. Repeatable.
    #[arg(long = "kernel", required = true, value_name = "SPEC")]
    pub kernels: Vec<String>,
    /// Workload to run (repeatable; default: every default workload). `selftest` tests the module.
    #[arg(long = "workload", value_name = "NAME")]
    pub workloads: Vec<String>,
    /// The quick subset of each workload's matrix.
    #[arg(long)]
    pub quick: bool,
    /// VM boots per kernel; samples of all boots are pooled in comparisons.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
    /// Accelerator: auto probes KVM with a real boot and falls back to TCG.
    #[arg(long, value_enum, default_value_t = AccelChoice::Auto)]
    pub accel: AccelChoice,
    /// Guest clock: wall (real time) or icount (1 ns per instruction, deterministic, TCG only).
    #[arg(long, value_enum, default_value_t = Clock::Wall)]
    pub clock: Clock,
    /// Guest memory in MiB.
    #[arg(long = "memory", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(256..=65536))]
    pub memory_mib: u32,
    /// vCPUs per guest [default: 2 for wall, 1 for icount].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub cpus: Option<u32>,
    /// VMs at once [default: host cores / vCPUs per guest].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run directory to create [default: a new timestamped directory under $PINBENCH_RESULTS or ./pinbench-results].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Host-side timeout per VM in seconds [default: from the workloads' budgets].
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Load this pinbench.ko instead of building one against each kernel.
    #[arg(long, value_name = "FILE")]
    pub module: Option<PathBuf>,
    /// Module parameters, e.g. "inject_ns=1000 max_pages=131072".
    #[arg(long, default_value = "")]
    pub module_params: String,
    /// Extra kernel command line.
    #[arg(long, default_value = "")]
    pub cmdline: String,
    /// Extra arguments for one workload: NAME=ARGS (space separated), e.g. "selftest=--fuzz 20000 --seed 7".
    #[arg(long = "workload-args", value_name = "NAME=ARGS")]
    pub workload_args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum KernelsCommand {
    /// Kernels in the cache; with --available, the Debian releases apt offers.
    List {
        #[arg(long)]
        available: bool,
    },
    /// Fetch and prepare kernels (and build the module) without booting them.
    Prepare {
        #[arg(required = true, value_name = "SPEC")]
        specs: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
