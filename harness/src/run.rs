//! `pinbench run`: prepare kernels, build the module and guest binaries, boot every kernel
//! (× `--repeat`) in QEMU, and store what comes back.
//!
//! Every result is written as it arrives (QEMU writes the channel straight to the kernel's
//! `results-N.jsonl.partial`, renamed when the VM ends), `run.json` is rewritten atomically
//! after every VM, a failed kernel never stops the others, and Ctrl-C keeps what finished
//! and marks the run incomplete.

use crate::kernel::{self, cache, PreparedKernel};
use crate::plan::{self, WorkloadDef, WorkloadOptions};
use crate::ui::{Event, Ui};
use crate::vm::accel::{self, AccelChoice, ProbeVerdict};
use crate::vm::initramfs::{self, Entry, Source};
use crate::vm::qemu::{Accel, Clock, VmConfig};
use crate::vm::runner::{self, VmExit};
use anyhow::{Context, Result};
use rayon::prelude::*;
use results::{
    store, BootRun, GuestEvent, HostInfo, KernelRun, KernelStatus, Plan, RunMeta, SCHEMA_VERSION,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

/// Options of one run (the CLI fills them).
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub kernels: Vec<String>,
    pub workloads: Vec<String>,
    pub quick: bool,
    pub repeat: u32,
    pub accel: AccelChoice,
    pub clock: Clock,
    pub memory_mib: u32,
    pub cpus: Option<u32>,
    pub jobs: Option<usize>,
    pub out: Option<PathBuf>,
    /// Host-side timeout per VM, seconds; default from the plan's budget.
    pub timeout_s: Option<u64>,
    /// Use this pinbench.ko instead of building one (testing, or a module built elsewhere).
    pub module_override: Option<PathBuf>,
    pub module_params: String,
    pub extra_cmdline: String,
    pub workload_args: Vec<(String, Vec<String>)>,
    pub command_line: Vec<String>,
}

/// What a run left behind.
#[derive(Debug)]
pub struct RunSummary {
    pub dir: PathBuf,
    pub meta: RunMeta,
}

impl RunSummary {
    pub fn all_ok(&self) -> bool {
        self.meta.complete && self.meta.kernels.iter().all(|k| k.status.is_ok())
    }
}

/// Default results store: `$PINBENCH_RESULTS`, else `./pinbench-results`.
pub fn results_store() -> PathBuf {
    std::env::var_os("PINBENCH_RESULTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("pinbench-results"))
}

/// Directory name of a kernel inside a run.
pub fn kernel_slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn host_info() -> HostInfo {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let qemu_version = std::process::Command::new("qemu-system-x86_64")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "not found".into());
    HostInfo {
        hostname: nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default(),
        cpu_model,
        cpus: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
        qemu_version,
        host_kernel: nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The initramfs for one kernel: init, workloads, module, plan.
fn make_initramfs(
    path: &Path,
    guest_dir: &Path,
    module: &Path,
    plan: &Plan,
    kernel: &PreparedKernel,
) -> Result<()> {
    let mut entries = vec![Entry {
        path: "init".into(),
        data: Source::File(guest_dir.join("pinbench-init")),
        mode: 0o755,
    }];
    for b in crate::guest::BINARIES
        .iter()
        .filter(|b| **b != "pinbench-init")
    {
        entries.push(Entry {
            path: format!("bin/{b}"),
            data: Source::File(guest_dir.join(b)),
            mode: 0o755,
        });
    }
    entries.push(Entry {
        path: "lib/modules/pinbench.ko".into(),
        data: Source::File(module.to_path_buf()),
        mode: 0o644,
    });
    // The kernel's own gup_test, from the same source tree (the `gup-test` workload).
    if let Some(g) = &kernel.gup_test {
        entries.push(Entry {
            path: "bin/gup_test".into(),
            data: Source::File(g.clone()),
            mode: 0o755,
        });
    }
    entries.push(Entry {
        path: "plan.json".into(),
        data: Source::Bytes(serde_json::to_vec_pretty(plan)?),
        mode: 0o644,
    });
    initramfs::write(path, &entries)
}

struct Prepared {
    kernel: PreparedKernel,
    initrd: PathBuf,
    module_digest: String,
}

fn probe_kvm(p: &Prepared, work: &Path, cancel: &AtomicBool) -> Result<(), String> {
    let cfg = VmConfig {
        kernel: p.kernel.image.clone(),
        initrd: p.initrd.clone(),
        console_log: work.join("kvm-probe-console.log"),
        results: work.join("kvm-probe-results.jsonl"),
        accel: Accel::Kvm,
        clock: Clock::Wall,
        memory_mib: 512,
        cpus: 1,
        extra_cmdline: "pinbench.probe".into(),
    };
    // The probe guest runs the same init, which stops right after its hello on `pinbench.probe`.
    match runner::run(&cfg, Duration::from_secs(60), cancel, &mut |_| {}) {
        Ok(o) if o.exit == VmExit::Completed => Ok(()),
        Ok(o) => Err(o
            .describe(&cfg.console_log)
            .lines()
            .chain(o.qemu_stderr.lines())
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")),
        Err(e) => Err(e.to_string()),
    }
}

fn probe_cache_path() -> PathBuf {
    cache::root().join("kvm-probe.json")
}

/// Run everything. Errors returned here are whole-run failures (bad options, unwritable
/// results directory); per-kernel failures are recorded in the run and the summary.
pub fn run(opts: &RunOptions, ui: &Ui, cancel: &AtomicBool) -> Result<RunSummary> {
    let workloads: Vec<&WorkloadDef> = if opts.workloads.is_empty() {
        plan::WORKLOADS.iter().filter(|w| w.default).collect()
    } else {
        opts.workloads
            .iter()
            .map(|w| plan::find(w))
            .collect::<Result<_>>()?
    };
    if opts.kernels.is_empty() {
        anyhow::bail!("no kernel given: pass --kernel SPEC (e.g. --kernel debian:6.12)");
    }
    for k in &opts.kernels {
        kernel::validate(k)?;
    }
    let cpus = opts.cpus.unwrap_or(match opts.clock {
        Clock::Wall => 2,
        Clock::Icount => 1,
    });
    let host = host_info();
    let jobs = opts
        .jobs
        .unwrap_or_else(|| ((host.cpus / cpus.max(1)) as usize).max(1));
    let dir = match &opts.out {
        Some(d) => d.clone(),
        None => results_store().join(chrono::Local::now().format("%Y%m%d-%H%M%S").to_string()),
    };
    store::create_run_dir(&dir).with_context(|| {
        format!(
            "creating the run directory {} (is it writable? use --out DIR)",
            dir.display()
        )
    })?;
    let meta = Mutex::new(RunMeta {
        schema_version: SCHEMA_VERSION,
        command_line: opts.command_line.clone(),
        started: now(),
        finished: None,
        complete: false,
        harness_revision: crate::revision(),
        host,
        accel: "undecided".into(),
        clock: opts.clock.as_str().into(),
        memory_mib: opts.memory_mib,
        cpus,
        quick: opts.quick,
        repeat: opts.repeat,
        workloads: workloads.iter().map(|w| w.name.to_string()).collect(),
        kernels: opts
            .kernels
            .iter()
            .map(|n| KernelRun {
                name: n.clone(),
                spec: n.clone(),
                dir: kernel_slug(n),
                release: String::new(),
                proc_version: None,
                config_digest: None,
                config_options: Default::default(),
                page_size: None,
                module_digest: None,
                boots: Vec::new(),
                status: KernelStatus::Pending,
            })
            .collect(),
    });
    let save = || -> Result<()> {
        let m = meta.lock().unwrap();
        store::write_json_atomic(&dir.join("run.json"), &*m).context("writing run.json")
    };
    save()?;

    // Guest binaries, once for all kernels.
    ui.send(Event::Info("building guest binaries (static, once)".into()));
    let guest_dir = crate::guest::build()?;
    let plan = plan::build(
        &workloads,
        &WorkloadOptions {
            quick: opts.quick,
            extra_args: opts.workload_args.clone(),
        },
        &opts.module_params,
    );

    // Kernels and modules (one at a time: downloads and builds share the disk and network).
    let available = std::sync::OnceLock::new();
    let available_fn = || -> Result<Vec<String>> {
        if let Some(v) = available.get() {
            return Ok(Clone::clone(v));
        }
        let v = kernel::debian::available_releases()?;
        let _ = available.set(v.clone());
        Ok(v)
    };
    let mut prepared: Vec<Option<Prepared>> = Vec::new();
    for (i, name) in opts.kernels.iter().enumerate() {
        if cancel.load(std::sync::atomic::Ordering::SeqCst) {
            prepared.push(None);
            continue;
        }
        let progress = |m: &str| {
            ui.send(Event::Stage {
                kernel: name.clone(),
                message: m.to_string(),
            })
        };
        let r = (|| -> Result<Prepared> {
            progress("preparing kernel");
            let k = kernel::prepare(name, &available_fn, &progress)?;
            let ko = match &opts.module_override {
                Some(p) => p.clone(),
                None => {
                    progress("building pinbench.ko");
                    kernel::module::build(&k)?
                }
            };
            let kdir = dir.join(kernel_slug(name));
            std::fs::create_dir_all(&kdir)
                .with_context(|| format!("creating {}", kdir.display()))?;
            let initrd = kdir.join("initrd.gz");
            make_initramfs(&initrd, &guest_dir, &ko, &plan, &k)?;
            Ok(Prepared {
                module_digest: cache::file_digest(&ko)?,
                kernel: k,
                initrd,
            })
        })();
        let mut m = meta.lock().unwrap();
        let kr = &mut m.kernels[i];
        match r {
            Ok(p) => {
                kr.spec = p.kernel.spec.clone();
                kr.release = p.kernel.release.clone();
                kr.config_digest = p.kernel.config_digest();
                kr.config_options = p.kernel.config_options();
                kr.module_digest = Some(p.module_digest.clone());
                prepared.push(Some(p));
            }
            Err(e) => {
                let msg = format!("{e:#}");
                ui.send(Event::VmDone {
                    kernel: name.clone(),
                    boot: 0,
                    summary: msg.clone(),
                    ok: false,
                });
                kr.status = KernelStatus::Failed { error: msg };
                prepared.push(None);
            }
        }
        drop(m);
        save()?;
    }

    // Accelerator, once per run (the probe verdict is cached per host).
    let accel = if let Some(first) = prepared.iter().flatten().next() {
        let cached: Option<ProbeVerdict> = std::fs::read(probe_cache_path())
            .ok()
            .and_then(|b| serde_json::from_slice::<ProbeVerdict>(&b).ok())
            .filter(|v| {
                let h = &meta.lock().unwrap().host;
                v.host_kernel == h.host_kernel && v.qemu_version == h.qemu_version
            });
        let had_cache = cached.is_some();
        let probe_dir = dir.join(&meta.lock().unwrap().kernels[0].dir);
        let mut probe = || {
            ui.send(Event::Info("probing KVM with a real boot".into()));
            probe_kvm(first, &probe_dir, cancel)
        };
        let (d, verdict) = accel::decide(
            opts.accel,
            opts.clock,
            Path::new("/dev/kvm"),
            cached,
            &mut probe,
        )
        .map_err(|e| anyhow::anyhow!(crate::UsageError(e)))?;
        if let (Some(mut v), false) = (verdict, had_cache) {
            let h = meta.lock().unwrap().host.clone();
            v.host_kernel = h.host_kernel;
            v.qemu_version = h.qemu_version;
            let _ = store::write_json_atomic(&probe_cache_path(), &v);
        }
        if let Some(w) = d.warning {
            ui.send(Event::Warning(w));
        }
        d.accel
    } else {
        Accel::Tcg
    };
    meta.lock().unwrap().accel = accel.as_str().into();
    save()?;

    // VMs: every (kernel, boot), `jobs` at a time, interleaved: boot 1 of every kernel,
    // then boot 2 of every kernel, ... so host drift over the run (other work on the
    // machine coming and going) falls on every kernel alike instead of on the difference.
    let tasks = interleaved(
        &prepared
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_some())
            .map(|(i, _)| i)
            .collect::<Vec<_>>(),
        opts.repeat,
    );
    let timeout = Duration::from_secs(opts.timeout_s.unwrap_or_else(|| {
        // Guest budget plus boot; TCG guests run slower than the guest clock suggests.
        let slow = match opts.clock {
            Clock::Wall => 2,
            Clock::Icount => 4,
        };
        180 + plan::budget_s(&plan) * slow
    }));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    pool.install(|| {
        tasks.par_iter().for_each(|&(ki, boot)| {
            let p = prepared[ki].as_ref().expect("filtered");
            let name = &p.kernel.name;
            let kdir_rel = kernel_slug(name);
            let kdir = dir.join(&kdir_rel);
            let results_partial = kdir.join(format!("results-{boot}.jsonl.partial"));
            let results_final = kdir.join(format!("results-{boot}.jsonl"));
            let console = kdir.join(format!("console-{boot}.log"));
            let cfg = VmConfig {
                kernel: p.kernel.image.clone(),
                initrd: p.initrd.clone(),
                console_log: console.clone(),
                results: results_partial.clone(),
                accel,
                clock: opts.clock,
                memory_mib: opts.memory_mib,
                cpus,
                extra_cmdline: [opts.extra_cmdline.as_str(), p.kernel.cmdline.as_str()]
                    .iter()
                    .filter(|s| !s.trim().is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            ui.send(Event::BootStart { kernel: name.clone(), boot });
            let vm_start = std::time::Instant::now();
            let mut on_event = |ev: &GuestEvent| match ev {
                GuestEvent::Hello { .. } => {
                    ui.send(Event::Booted { kernel: name.clone(), boot, seconds: vm_start.elapsed().as_secs_f64() })
                }
                GuestEvent::WorkloadStart { workload, index, total } => ui.send(Event::Workload {
                    kernel: name.clone(),
                    index: *index,
                    total: *total,
                    name: workload.clone(),
                }),
                GuestEvent::Module { ok: false, message, .. } => {
                    ui.send(Event::Stage { kernel: name.clone(), message: format!("module failed to load: {message}") })
                }
                _ => {}
            };
            // A kernel that panics before our init ran has measured nothing; on this kind of
            // host (multi-threaded TCG) that is sometimes the emulator, not the kernel (an
            // int3 Oops while the kernel patches its own text: seen on 6.12.118 in about 1 of
            // 20 boots, never twice in a row). Boot once more, keep the first console, and
            // say so in run.json; a kernel that panics again fails as usual.
            let mut early_panics: Vec<String> = Vec::new();
            let outcome = loop {
                let outcome = runner::run(&cfg, timeout, cancel, &mut on_event);
                let retry = match &outcome {
                    Ok(o) if early_panics.len() < EARLY_PANIC_RETRIES
                        && !cancel.load(std::sync::atomic::Ordering::SeqCst) =>
                    {
                        early_panic(o)
                    }
                    _ => None,
                };
                let Some(line) = retry else { break outcome };
                let kept = format!("console-{boot}.early-panic-{}.log", early_panics.len() + 1);
                let _ = std::fs::rename(&console, kdir.join(&kept));
                let _ = std::fs::remove_file(&results_partial);
                ui.send(Event::Stage {
                    kernel: name.clone(),
                    message: format!("boot {boot}: the kernel panicked before pinbench's init ran ({line}); booting it again once (console kept as {kept})"),
                });
                early_panics.push(format!("{line} (console: {kdir_rel}/{kept})"));
            };
            let _ = std::fs::rename(&results_partial, &results_final);
            let boot_run = match outcome {
                Ok(o) => {
                    let status = boot_status(&o, &console);
                    let records = o.events.iter().filter(|e| matches!(e, GuestEvent::Record(_))).count() as u64;
                    let mut m = meta.lock().unwrap();
                    for ev in &o.events {
                        if let GuestEvent::Hello { release, proc_version, page_size, .. } = ev {
                            let kr = &mut m.kernels[ki];
                            kr.proc_version = Some(proc_version.clone());
                            kr.page_size = Some(*page_size);
                            if kr.release.is_empty() {
                                kr.release = release.clone();
                            }
                        }
                    }
                    drop(m);
                    if !o.qemu_stderr.trim().is_empty() {
                        let _ = std::fs::write(kdir.join(format!("qemu-{boot}.stderr")), &o.qemu_stderr);
                    }
                    BootRun {
                        index: boot,
                        results: format!("{kdir_rel}/results-{boot}.jsonl"),
                        console: format!("{kdir_rel}/console-{boot}.log"),
                        boot_seconds: o.boot_seconds,
                        vm_seconds: Some(o.vm_seconds),
                        records,
                        kernel_problems: o.kernel_problems.clone(),
                        status,
                        early_panics,
                    }
                }
                Err(e) => BootRun {
                    index: boot,
                    results: format!("{kdir_rel}/results-{boot}.jsonl"),
                    console: format!("{kdir_rel}/console-{boot}.log"),
                    boot_seconds: None,
                    vm_seconds: None,
                    records: 0,
                    kernel_problems: vec![],
                    status: KernelStatus::Failed {
                        error: format!("cannot start qemu-system-x86_64: {e}; install it with `apt-get install qemu-system-x86`"),
                    },
                    early_panics,
                },
            };
            let (ok, summary) = match &boot_run.status {
                KernelStatus::Ok => (true, format!("{} records", boot_run.records)),
                KernelStatus::WorkloadsFailed { failed } => (false, format!("{} records; failed workloads: {}", boot_run.records, failed.join(", "))),
                KernelStatus::Failed { error } => (false, error.clone()),
                KernelStatus::Interrupted => (false, "interrupted".into()),
                KernelStatus::Pending => (false, "pending".into()),
            };
            ui.send(Event::VmDone { kernel: name.clone(), boot, summary, ok });
            let mut m = meta.lock().unwrap();
            let kr = &mut m.kernels[ki];
            kr.boots.push(boot_run);
            kr.boots.sort_by_key(|b| b.index);
            kr.status = aggregate(&kr.boots, opts.repeat.max(1));
            drop(m);
            let _ = save();
        });
    });

    let interrupted = cancel.load(std::sync::atomic::Ordering::SeqCst);
    {
        let mut m = meta.lock().unwrap();
        for k in m.kernels.iter_mut() {
            if interrupted && matches!(k.status, KernelStatus::Pending) {
                k.status = KernelStatus::Interrupted;
            }
        }
        m.finished = Some(now());
        m.complete = !interrupted;
    }
    save()?;
    // Initramfs images are rebuilt on demand; don't keep 10s of MB per run.
    for k in meta.lock().unwrap().kernels.iter() {
        let _ = std::fs::remove_file(dir.join(&k.dir).join("initrd.gz"));
    }
    let meta = meta.into_inner().unwrap();
    Ok(RunSummary { dir, meta })
}

/// Boots of a kernel that panicked before pinbench's init ran are tried this many more times.
const EARLY_PANIC_RETRIES: usize = 1;

/// The panic line, when the kernel panicked before pinbench's init said hello.
fn early_panic(o: &runner::VmOutcome) -> Option<String> {
    match &o.exit {
        VmExit::Panicked(line)
            if !o
                .events
                .iter()
                .any(|e| matches!(e, GuestEvent::Hello { .. })) =>
        {
            Some(line.clone())
        }
        _ => None,
    }
}

/// The (kernel, boot) order of a run's VMs: boot-major (A1 B1 A2 B2 ...).
fn interleaved(kernels: &[usize], repeat: u32) -> Vec<(usize, u32)> {
    (1..=repeat.max(1))
        .flat_map(|b| kernels.iter().map(move |&k| (k, b)))
        .collect()
}

/// How one boot went, from the VM's end and the workloads' reports.
fn boot_status(o: &runner::VmOutcome, console: &Path) -> KernelStatus {
    match &o.exit {
        VmExit::Completed => {}
        VmExit::Interrupted => return KernelStatus::Interrupted,
        _ => {
            return KernelStatus::Failed {
                error: o.describe(console),
            }
        }
    }
    let mut failed = Vec::new();
    for ev in &o.events {
        match ev {
            GuestEvent::Module {
                ok: false, message, ..
            } => {
                return KernelStatus::Failed {
                    error: format!("the pinbench module did not load: {message}"),
                }
            }
            GuestEvent::WorkloadEnd {
                workload,
                exit_code,
                timed_out,
                pin_imbalance,
                ..
            } => {
                if *exit_code != Some(0) || *timed_out {
                    failed.push(workload.clone());
                } else if pin_imbalance.is_some_and(|d| d != 0) {
                    failed.push(format!("{workload} (pin counters unbalanced)"));
                }
            }
            _ => {}
        }
    }
    if !o.kernel_problems.is_empty() {
        return KernelStatus::Failed {
            error: format!(
                "the guest kernel reported problems: {}",
                o.kernel_problems.join(" | ")
            ),
        };
    }
    if failed.is_empty() {
        KernelStatus::Ok
    } else {
        KernelStatus::WorkloadsFailed { failed }
    }
}

fn aggregate(boots: &[BootRun], expected: u32) -> KernelStatus {
    if let Some(b) = boots.iter().find(|b| !b.status.is_ok()) {
        return b.status.clone();
    }
    if (boots.len() as u32) < expected {
        return KernelStatus::Pending;
    }
    KernelStatus::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boots_of_the_kernels_are_interleaved() {
        assert_eq!(
            interleaved(&[0, 2], 3),
            [(0, 1), (2, 1), (0, 2), (2, 2), (0, 3), (2, 3)]
        );
        assert_eq!(interleaved(&[1], 0), [(1, 1)]);
    }

    #[test]
    fn slugs_are_path_safe() {
        assert_eq!(
            kernel_slug("debian:6.12.117+deb12-amd64"),
            "debian_6.12.117+deb12-amd64"
        );
        assert_eq!(kernel_slug("local:/a/b"), "local__a_b");
    }

    fn outcome(exit: VmExit, events: Vec<GuestEvent>) -> runner::VmOutcome {
        runner::VmOutcome {
            exit,
            events,
            bad_lines: 0,
            boot_seconds: None,
            vm_seconds: 1.0,
            kernel_problems: vec![],
            qemu_stderr: String::new(),
        }
    }

    #[test]
    fn only_a_panic_before_init_said_hello_is_tried_again() {
        let hello = GuestEvent::Hello {
            schema_version: results::SCHEMA_VERSION,
            release: "6.12".into(),
            proc_version: "Linux".into(),
            page_size: 4096,
            boot_ns: 1,
            thp: None,
        };
        let panic = || VmExit::Panicked("Kernel panic - not syncing: Fatal exception".into());
        assert_eq!(
            early_panic(&outcome(panic(), vec![])).as_deref(),
            Some("Kernel panic - not syncing: Fatal exception")
        );
        assert_eq!(early_panic(&outcome(panic(), vec![hello])), None);
        assert_eq!(early_panic(&outcome(VmExit::Completed, vec![])), None);
        assert_eq!(
            early_panic(&outcome(VmExit::TimedOut(Duration::from_secs(1)), vec![])),
            None
        );
    }

    #[test]
    fn status_tells_failed_workloads_from_failed_kernels() {
        let end = |name: &str, code: i32, imb: i64| GuestEvent::WorkloadEnd {
            workload: name.into(),
            exit_code: Some(code),
            signal: None,
            timed_out: false,
            duration_ns: 1,
            stderr_tail: String::new(),
            pin_imbalance: Some(imb),
        };
        let p = Path::new("/nonexistent");
        assert_eq!(
            boot_status(&outcome(VmExit::Completed, vec![end("a", 0, 0)]), p),
            KernelStatus::Ok
        );
        assert_eq!(
            boot_status(
                &outcome(VmExit::Completed, vec![end("a", 1, 0), end("b", 0, 3)]),
                p
            ),
            KernelStatus::WorkloadsFailed {
                failed: vec!["a".into(), "b (pin counters unbalanced)".into()]
            }
        );
        assert!(
            matches!(boot_status(&outcome(VmExit::TimedOut(Duration::from_secs(5)), vec![]), p), KernelStatus::Failed { error } if error.contains("did not finish within 5 s"))
        );
        assert!(
            matches!(boot_status(&outcome(VmExit::Panicked("Kernel panic - x".into()), vec![]), p), KernelStatus::Failed { error } if error.contains("panicked"))
        );
    }
}
