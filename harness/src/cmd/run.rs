//! `pinbench run`.

use crate::cli::RunArgs;
use crate::run::{run, RunOptions};
use crate::ui::Ui;
use crate::{exit, UsageError};
use results::KernelStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Ctrl-C sets a flag; the run stops its VMs, keeps what finished, marks itself incomplete.
pub fn install_interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    let flag = FLAG
        .get_or_init(|| Arc::new(AtomicBool::new(false)))
        .clone();
    extern "C" fn on_signal(_: libc::c_int) {
        if let Some(f) = FLAG.get() {
            f.store(true, Ordering::SeqCst);
        }
    }
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGINT,
            nix::sys::signal::SigHandler::Handler(on_signal),
        );
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGTERM,
            nix::sys::signal::SigHandler::Handler(on_signal),
        );
    }
    flag
}

pub fn parse_workload_args(v: &[String]) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    v.iter()
        .map(|s| match s.split_once('=') {
            Some((n, a)) if !n.is_empty() => Ok((
                n.to_string(),
                a.split_whitespace().map(str::to_string).collect(),
            )),
            _ => Err(UsageError(format!(
                "--workload-args `{s}`: expected NAME=ARGS, e.g. selftest=--fuzz 20000"
            ))
            .into()),
        })
        .collect()
}

pub fn main(a: RunArgs) -> anyhow::Result<i32> {
    let opts = RunOptions {
        kernels: a.kernels,
        workloads: a.workloads,
        quick: a.quick,
        repeat: a.repeat,
        accel: a.accel,
        clock: a.clock,
        memory_mib: a.memory_mib,
        cpus: a.cpus,
        jobs: a.jobs,
        out: a.out,
        timeout_s: a.timeout,
        module_override: a.module,
        module_params: a.module_params,
        extra_cmdline: a.cmdline,
        workload_args: parse_workload_args(&a.workload_args)?,
        command_line: std::env::args().collect(),
    };
    // The doctor's offline checks first: a missing QEMU or a full cache should not surface
    // minutes into a run.
    let problems = crate::doctor::preflight();
    if !problems.is_empty() {
        anyhow::bail!(
            "this host is not ready for `pinbench run` (`pinbench doctor` checks everything):\n{}",
            crate::doctor::render(&problems).trim_end()
        );
    }
    let ui = Ui::new();
    let cancel = install_interrupt_flag();
    let summary = run(&opts, &ui, &cancel)?;
    ui.finish();
    println!("results: {}", summary.dir.display());
    for k in &summary.meta.kernels {
        let status = match &k.status {
            KernelStatus::Ok => "ok".to_string(),
            KernelStatus::WorkloadsFailed { failed } => {
                format!("workloads failed: {}", failed.join(", "))
            }
            KernelStatus::Failed { error } => format!("FAILED: {error}"),
            KernelStatus::Interrupted => "interrupted".into(),
            KernelStatus::Pending => "not run".into(),
        };
        let records: u64 = k.boots.iter().map(|b| b.records).sum();
        println!(
            "  {:<32} {:<28} {:>6} records  {}",
            k.name, k.release, records, status
        );
    }
    if !summary.meta.complete {
        eprintln!(
            "run interrupted: finished kernels are kept in {}",
            summary.dir.display()
        );
    }
    Ok(if summary.all_ok() {
        exit::OK
    } else {
        exit::INFRA
    })
}
