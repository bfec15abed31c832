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
    /// Compare a baseline run against candidates: speed verdicts and behaviour changes.
    Compare(CompareArgs),
    /// Find the first kernel between a good and a bad one at which a metric changed.
    Bisect(BisectArgs),
    /// For `git bisect run`: is this kernel good (0) or bad (1) on a metric, or skip (125)? 128: a setup error, the bisect stops.
    Check(CheckArgs),
    /// Nightly run: the configured matrix into the history, compared, with change points.
    Nightly(NightlyArgs),
    /// Print metrics' series over the nightly history.
    History(HistoryArgs),
    /// Check this host (QEMU, KVM, apt, build tools, cache space) and print the fix for each problem.
    Doctor {
        /// Print the checks as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script, e.g. `pinbench completions bash > /etc/bash_completion.d/pinbench`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (pinbench.1 and one per subcommand) into a directory.
    Man {
        /// Directory to write into (created if missing).
        #[arg(long, default_value = "man")]
        out_dir: PathBuf,
    },
    /// Render runs as one self-contained HTML file (figures, environment, comparison).
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Kernel spec: debian:<line> (debian:6.12), debian:<release>, local:<built-tree>, a spec name from kernels/ (baseline-6.12) or a spec FILE.toml (docs/kernels.md). Repeatable.
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

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Baseline: a run directory, or RUN:KERNEL for one kernel of it (e.g. runs/x:debian:6.1).
    /// Alone, a run with several kernels compares its first kernel against the others.
    #[arg(value_name = "BASE")]
    pub base: String,
    /// Candidates: run directories (every kernel in them) or RUN:KERNEL.
    #[arg(value_name = "NEW")]
    pub new: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Noise band in percent: changes inside it never count [default: 2 for wall, 0.5 for icount].
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub noise_band: Option<f64>,
    /// Significance level for the Benjamini-Hochberg adjusted p-value.
    #[arg(long, default_value_t = 0.01, value_parser = parse_alpha)]
    pub alpha: f64,
}

#[derive(Debug, Args)]
pub struct BisectArgs {
    /// Metric (cell) id, as `pinbench compare` lists it, e.g. pin-latency/anon-rw/read/pin-fast/512p/ns_per_page.
    #[arg(long)]
    pub metric: String,
    /// The good (older) end: debian:<release>, or with --git a revision (tag, branch, commit).
    #[arg(long, value_name = "SPEC|REV", required_unless_present = "series")]
    pub good: Option<String>,
    /// The bad (newer) end: debian:<release> of the same line, or with --git a revision.
    #[arg(long, value_name = "SPEC|REV", required_unless_present = "series")]
    pub bad: Option<String>,
    /// Bisect the patch series of a kernel spec (NAME or FILE.toml): candidates are its first 0, 1, .., n patches; good is none, bad all.
    #[arg(long, value_name = "SPEC", conflicts_with_all = ["good", "bad", "git"])]
    pub series: Option<String>,
    /// Bisect the commits from --good to --bad of the git repository DIR (first-parent history), each built with --spec's config.
    #[arg(long, value_name = "DIR")]
    pub git: Option<PathBuf>,
    /// With --git: the kernel spec (NAME or FILE.toml) whose config fragment, base_config and cmdline every commit is built with.
    #[arg(
        long,
        value_name = "SPEC",
        default_value = "baseline-6.12",
        requires = "git"
    )]
    pub spec: String,
    /// Bisect directory (log, runs, result); an existing one resumes [default: a new one under the results store].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Boots per first measurement of a candidate.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub repeat: u32,
    /// Most boots per candidate when unsure.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_repeat: u32,
    /// Guest clock of every measurement. Icount by default: one boot decides a speed step
    /// there, while wall-clock boots on shared hosts differ by more than most changes
    /// (docs/calibration.md). A resumed bisect must keep its clock.
    #[arg(long, value_enum, default_value_t = Clock::Icount)]
    pub clock: Clock,
    #[arg(long, value_enum, default_value_t = AccelChoice::Auto)]
    pub accel: AccelChoice,
    /// Noise band in percent [default: 2 for wall, 0.5 for icount].
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub noise_band: Option<f64>,
    /// Module parameters for every boot, e.g. "inject_ns=1000".
    #[arg(long, default_value = "")]
    pub module_params: String,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Metric (cell) id.
    #[arg(long)]
    pub metric: String,
    /// A run of the good kernel: RUN or RUN:KERNEL.
    #[arg(long, value_name = "RUN")]
    pub good_run: String,
    /// The kernel to check (e.g. local:/path/to/linux inside `git bisect run`).
    #[arg(long, value_name = "SPEC")]
    pub kernel: String,
    /// Where the check's run goes [default: a new directory under the results store].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub repeat: u32,
    /// Guest clock; it must be the good run's [default: the good run's clock].
    #[arg(long, value_enum)]
    pub clock: Option<Clock>,
    /// Noise band in percent [default: 2 for wall, 0.5 for icount].
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub noise_band: Option<f64>,
}

#[derive(Debug, Args)]
pub struct NightlyArgs {
    /// Nightly config (TOML, docs/config.md) [default: the embedded default].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// History directory [default: the config's `history`, else history/ in the results store].
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// The night's date, YYYY-MM-DD [default: today, UTC].
    #[arg(long)]
    pub date: Option<String>,
    /// VMs at once [default: host cores / vCPUs per guest].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Print the embedded default config and exit.
    #[arg(long)]
    pub print_default_config: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only metrics whose id matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub metric: Option<String>,
    /// Only this kernel (its name in the nightly config).
    #[arg(long, value_name = "NAME")]
    pub kernel: Option<String>,
    /// History directory [default: as for `pinbench nightly`].
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// Nightly config whose `history` to read [default: the embedded default].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run directories or RUN:KERNEL; the first kernel is the baseline, every other a candidate.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    /// Write the HTML report to FILE.
    #[arg(long, required = true, value_name = "FILE")]
    pub html: PathBuf,
    /// Noise band in percent [default: 2 for wall, 0.5 for icount].
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub noise_band: Option<f64>,
    /// Significance level for the Benjamini-Hochberg adjusted p-value.
    #[arg(long, default_value_t = 0.01, value_parser = parse_alpha)]
    pub alpha: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Text,
    Markdown,
    Json,
    Html,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|e| format!("{e}"))?;
    if (0.0..100.0).contains(&v) {
        Ok(v)
    } else {
        Err("the noise band is a percentage in [0, 100)".into())
    }
}

fn parse_alpha(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err("alpha is a probability in (0, 1), e.g. 0.01".into())
    }
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
