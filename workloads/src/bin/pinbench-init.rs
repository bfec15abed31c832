//! `init`: PID 1 of every pinbench guest. No shell, no busybox.
//!
//! 1. mounts proc, sysfs, devtmpfs, debugfs and a tmpfs on /tmp;
//! 2. opens the results channel `/dev/ttyS1` (the second serial port, raw mode) — the kernel
//!    console stays on ttyS0 and never carries results;
//! 3. loads the pinbench module with finit_module(2) and reads `/plan.json`;
//! 4. runs each workload as its own child with a timeout, forwarding the JSON lines it
//!    prints on stdout, and reports its exit status, stderr tail and pin-counter balance;
//! 5. powers off. Any failure is reported on the channel and the console, then power off:
//!    init never returns (that would panic the kernel).

use nix::mount::{mount, MsFlags};
use nix::sys::signal::{kill, Signal};
use nix::sys::termios;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use results::{GuestEvent, Plan, SCHEMA_VERSION};
use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use workloads::{dev::Device, procfs};

const CHANNEL: &str = "/dev/ttyS1";

/// The results channel, shared by the forwarding threads.
#[derive(Clone)]
struct Channel(Arc<Mutex<File>>);

impl Channel {
    fn open() -> Result<Channel, String> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(CHANNEL)
            .map_err(|e| {
                format!("cannot open results channel {CHANNEL}: {e} (QEMU needs a second -serial)")
            })?;
        if let Ok(mut t) = termios::tcgetattr(&f) {
            termios::cfmakeraw(&mut t);
            let _ = termios::tcsetattr(&f, termios::SetArg::TCSANOW, &t);
        }
        Ok(Channel(Arc::new(Mutex::new(f))))
    }

    fn send_line(&self, line: &str) {
        let mut f = self.0.lock().unwrap();
        let _ = f.write_all(line.as_bytes());
        let _ = f.write_all(b"\n");
        let _ = f.flush();
    }

    fn send(&self, ev: &GuestEvent) {
        self.send_line(&serde_json::to_string(ev).expect("events serialize"));
    }
}

fn log(msg: &str) {
    eprintln!("pinbench-init: {msg}");
}

fn mount_all() {
    let mounts: &[(&str, &str, &str)] = &[
        ("proc", "/proc", "proc"),
        ("sysfs", "/sys", "sysfs"),
        ("devtmpfs", "/dev", "devtmpfs"),
        ("debugfs", "/sys/kernel/debug", "debugfs"),
        ("tmpfs", "/tmp", "tmpfs"),
    ];
    for (src, target, fstype) in mounts {
        let _ = fs::create_dir_all(target);
        if let Err(e) = mount(
            Some(*src),
            *target,
            Some(*fstype),
            MsFlags::empty(),
            None::<&str>,
        ) {
            // devtmpfs may already be mounted by the kernel (DEVTMPFS_MOUNT); debugfs may be off.
            if e != nix::errno::Errno::EBUSY {
                log(&format!("mount {fstype} on {target}: {e}"));
            }
        }
    }
}

fn power_off() -> ! {
    nix::unistd::sync();
    let _ = nix::sys::reboot::reboot(nix::sys::reboot::RebootMode::RB_POWER_OFF);
    // reboot() only returns on failure; PID 1 must not exit.
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn load_module(path: &str, params: &str) -> Result<(), String> {
    let f = File::open(path).map_err(|e| format!("open {path}: {e}"))?;
    let p = CString::new(params).map_err(|_| "module params contain NUL".to_string())?;
    nix::kmod::finit_module(&f, &p, nix::kmod::ModuleInitFlags::empty()).map_err(|e| {
        format!("finit_module({path}): {e} — was the module built for this kernel release?")
    })
}

fn boot_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// Run one workload: forward its records, enforce its timeout, report how it ended.
fn run_workload(ch: &Channel, item: &results::PlanItem) {
    let start = Instant::now();
    let before = procfs::pin_counters().ok();
    let child = Command::new(&item.binary)
        .args(&item.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            ch.send(&GuestEvent::WorkloadEnd {
                workload: item.name.clone(),
                exit_code: None,
                signal: None,
                timed_out: false,
                duration_ns: 0,
                stderr_tail: format!("cannot start {}: {e}", item.binary),
                pin_imbalance: None,
            });
            return;
        }
    };
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let ch2 = ch.clone();
    let name = item.name.clone();
    let out_thread = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if GuestEvent::parse(&line).is_some() {
                ch2.send_line(line.trim());
            } else if !line.trim().is_empty() {
                eprintln!("[{name}] stdout (not a record): {line}");
            }
        }
    });
    let name = item.name.clone();
    let err_thread = std::thread::spawn(move || {
        let mut tail: Vec<String> = Vec::new();
        let mut buf = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut buf);
        for line in buf.lines() {
            eprintln!("[{name}] {line}");
            tail.push(line.to_string());
            if tail.len() > 20 {
                tail.remove(0);
            }
        }
        tail.join("\n")
    });
    let pid = Pid::from_raw(child.id() as i32);
    let deadline = Duration::from_secs(item.timeout_s);
    let mut timed_out = false;
    let status = loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {
                if start.elapsed() > deadline && !timed_out {
                    timed_out = true;
                    log(&format!(
                        "{} exceeded its {} s timeout; killing it",
                        item.name, item.timeout_s
                    ));
                    let _ = kill(pid, Signal::SIGKILL);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(s) => break Some(s),
            Err(e) => {
                log(&format!("waitpid {}: {e}", item.name));
                break None;
            }
        }
    };
    let _ = out_thread.join();
    let stderr_tail = err_thread.join().unwrap_or_default();
    let (exit_code, signal) = match status {
        Some(WaitStatus::Exited(_, c)) => (Some(c), None),
        Some(WaitStatus::Signaled(_, s, _)) => (None, Some(s as i32)),
        _ => (None, None),
    };
    let after = procfs::pin_counters().ok();
    let pin_imbalance = match (before, after) {
        (Some(_), Some((acq, rel))) => Some(acq as i64 - rel as i64),
        _ => None,
    };
    ch.send(&GuestEvent::WorkloadEnd {
        workload: item.name.clone(),
        exit_code,
        signal,
        timed_out,
        duration_ns: start.elapsed().as_nanos() as u64,
        stderr_tail,
        pin_imbalance,
    });
}

fn main() {
    mount_all();
    let ch = match Channel::open() {
        Ok(c) => c,
        Err(e) => {
            log(&e);
            power_off();
        }
    };
    let release = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    ch.send(&GuestEvent::Hello {
        schema_version: SCHEMA_VERSION,
        release,
        proc_version: fs::read_to_string("/proc/version")
            .unwrap_or_default()
            .trim()
            .to_string(),
        page_size: nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .unwrap_or(0) as u64,
        boot_ns: boot_ns(),
        thp: procfs::thp_mode(),
    });
    // The KVM probe boots with `pinbench.probe`: say hello and stop.
    if fs::read_to_string("/proc/cmdline")
        .unwrap_or_default()
        .split_whitespace()
        .any(|w| w == "pinbench.probe")
    {
        ch.send(&GuestEvent::Done);
        power_off();
    }
    let plan: Plan = match fs::read_to_string("/plan.json")
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            log(&format!("cannot read /plan.json: {e}"));
            ch.send(&GuestEvent::Module {
                ok: false,
                abi_version: None,
                api_mask: None,
                message: format!("bad plan: {e}"),
            });
            ch.send(&GuestEvent::Done);
            power_off();
        }
    };
    let module_event = match load_module(&plan.module, &plan.module_params) {
        Ok(()) => match Device::open().and_then(|d| d.info().map_err(|e| format!("INFO: {e}"))) {
            Ok(info) => GuestEvent::Module {
                ok: true,
                abi_version: Some(info.abi_version),
                api_mask: Some(info.api_mask),
                message: format!("loaded; release {}", info.release_str()),
            },
            Err(e) => GuestEvent::Module {
                ok: false,
                abi_version: None,
                api_mask: None,
                message: e,
            },
        },
        Err(e) => {
            log(&e);
            GuestEvent::Module {
                ok: false,
                abi_version: None,
                api_mask: None,
                message: e,
            }
        }
    };
    ch.send(&module_event);
    // Workloads run even when the module failed to load: each one then reports why it cannot
    // measure (and workloads that need no module still run).
    let total = plan.workloads.len() as u32;
    for (i, item) in plan.workloads.iter().enumerate() {
        ch.send(&GuestEvent::WorkloadStart {
            workload: item.name.clone(),
            index: i as u32 + 1,
            total,
        });
        run_workload(&ch, item);
    }
    ch.send(&GuestEvent::Done);
    power_off();
}
