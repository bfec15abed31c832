//! `fork-cost`: what pinned memory costs `fork()`.
//!
//! A process holds S MiB of populated private anonymous memory of which P% (the first pages,
//! rounded up to whole pages) is pinned with `pin-fast` and `longterm-write`, the way an
//! RDMA or io_uring buffer is. Variants: `base` (4 KiB pages: MADV_NOHUGEPAGE, so THP
//! `always` does not make it huge), `dontfork` (base pages with MADV_DONTFORK
//! on the pinned range, the classic RDMA workaround) and `thp` (the buffer is 2 MiB-aligned
//! MADV_HUGEPAGE memory verified huge via smaps).
//!
//! Per cell: the time `fork()` takes in the parent until it returns, the time from the
//! fork until the child (which `_exit`s at once) has been reaped, both as samples over
//! `--repeat` forks; and, from one more fork whose child waits, the pages the child got as
//! copies (its /proc/PID/pagemap PFN differs from the parent's), the pages absent from the
//! child, and a cross-check through the module's PFNS: pinned pages whose PFN the child
//! does not share, and pinned pages whose PFNS differs from the parent's pagemap.
//!
//! Usage: `fork-cost [--quick] [--sizes MiB,..] [--percents P,..] [--variants V,..]
//! [--repeat N]`. Defaults: sizes 16,256, percents 0,1,100, repeat 10; quick: size 16,
//! repeat 3. A size that does not fit the guest's memory is recorded as a skip.

use results::{Value, Value::Skip};
use std::time::Instant;
use workloads::abi::*;
use workloads::buffers::Buffer;
use workloads::dev::Device;
use workloads::emit::{errno_name, outcome, Emitter};
use workloads::forked::Forked;
use workloads::mem::{advise, page_size};
use workloads::modes::list_arg;

const VARIANTS: &[&str] = &["base", "dontfork", "thp"];
const MODE: u32 = F_LONGTERM | F_WRITE;

/// MemAvailable from /proc/meminfo, in MiB.
fn mem_available_mib() -> Option<u64> {
    let t = std::fs::read_to_string("/proc/meminfo").ok()?;
    let l = t.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = l.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb >> 10)
}

struct Cell<'a> {
    em: &'a Emitter,
    id: Vec<String>,
    params: Vec<(&'static str, String)>,
}

impl Cell<'_> {
    fn rec(&self, metric: &str, unit: &str, value: Value) {
        let mut id: Vec<&str> = self.id.iter().map(String::as_str).collect();
        id.push(metric);
        self.em.record(
            &id,
            &format!("fork-cost.{metric}"),
            &self.params,
            unit,
            value,
        );
    }

    fn count(&self, metric: &str, n: usize) {
        self.rec(metric, "pages", Value::Scalar { value: n as f64 });
    }
}

fn run_cell(
    dev: &Device,
    info: &PinbenchInfo,
    cell: &Cell,
    mib: usize,
    percent: usize,
    variant: &str,
    repeat: usize,
) -> Result<(), String> {
    let ps = page_size();
    let pages = (mib << 20) / ps;
    let npin = (pages * percent).div_ceil(100);
    // The inspection fork's child may copy every pinned page: the parent's S MiB plus up to
    // S MiB of copies, plus room for page tables.
    let need = mib + mib * percent / 100 + 32;
    if let Some(avail) = mem_available_mib() {
        if need as u64 > avail {
            cell.rec(
                "outcome",
                "pages",
                Skip {
                    reason: format!(
                        "needs about {need} MiB but the guest has {avail} MiB available: run with a larger --memory"
                    ),
                },
            );
            return Ok(());
        }
    }
    let kind = if variant == "thp" {
        "thp"
    } else {
        "anon-rw-4k"
    };
    let buf = match Buffer::new(kind, pages) {
        Ok(b) => b,
        Err(reason) => {
            cell.rec("outcome", "pages", Skip { reason });
            return Ok(());
        }
    };
    // Pin in chunks the module accepts; keep every slot until the end.
    let mut slots: Vec<(u32, u32, usize)> = Vec::new();
    let mut pinned = 0usize;
    let mut error = None;
    let chunk = info.max_pages.max(1) as usize;
    let mut first = 0;
    while first < npin {
        let n = chunk.min(npin - first);
        match dev.pin(buf.addr + (first * ps) as u64, n as u32, API_PIN_FAST, MODE) {
            Ok(r) => {
                if let Some(s) = r.slot {
                    slots.push((s, r.pinned, first));
                }
                pinned += r.pinned as usize;
                if r.error.is_some() || (r.pinned as usize) < n {
                    error = r.error;
                    break;
                }
            }
            Err(e) => {
                for (s, _, _) in &slots {
                    let _ = dev.unpin(*s, false);
                }
                cell.rec(
                    "outcome",
                    "pages",
                    Skip {
                        reason: format!("module refused the request: {}", errno_name(e)),
                    },
                );
                return Ok(());
            }
        }
        first += n;
    }
    cell.rec(
        "outcome",
        "pages",
        outcome(npin as u64, pinned as u64, error),
    );
    if variant == "dontfork" && pinned > 0 {
        advise(
            buf.addr,
            pinned * ps,
            nix::sys::mman::MmapAdvise::MADV_DONTFORK,
        )
        .map_err(|e| format!("madvise(MADV_DONTFORK): {e}"))?;
    }

    // Timed forks: the child exits at once.
    let mut fork_ns = Vec::with_capacity(repeat);
    let mut reap_ns = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        let t0 = Instant::now();
        match unsafe { libc::fork() } {
            0 => unsafe { libc::_exit(0) },
            -1 => return Err(format!("fork: {}", std::io::Error::last_os_error())),
            pid => {
                let t1 = t0.elapsed();
                let mut st = 0;
                unsafe { libc::waitpid(pid, &mut st, 0) };
                let t2 = t0.elapsed();
                fork_ns.push(t1.as_nanos() as f64);
                reap_ns.push(t2.as_nanos() as f64);
            }
        }
    }
    cell.rec("fork_ns", "ns", Value::Samples { values: fork_ns });
    cell.rec("fork_to_reap_ns", "ns", Value::Samples { values: reap_ns });

    // The inspection fork: compare the child's PFNs with the parent's.
    let parent = buf.pfns("self").map_err(|e| format!("pagemap: {e}"))?;
    let child = Forked::spawn(|l| {
        let _ = l.hear();
        0
    })?;
    let cpfn = buf
        .pfns(&child.proc_pid())
        .map_err(|e| format!("child pagemap: {e}"))?;
    drop(child);
    let copied = parent
        .iter()
        .zip(&cpfn)
        .filter(|(p, c)| matches!((p, c), (Some(p), Some(c)) if p != c))
        .count();
    let absent = cpfn.iter().filter(|c| c.is_none()).count();
    cell.count("copied_at_fork", copied);
    cell.count("absent_in_child", absent);
    if pinned > 0 {
        let (mut pinned_copied, mut mismatch) = (0, 0);
        for &(slot, n, first) in &slots {
            let pf = dev
                .pfns(slot, n)
                .map_err(|e| format!("PFNS: {}", errno_name(e)))?;
            for (j, p) in pf.iter().enumerate() {
                if parent[first + j] != Some(*p) {
                    mismatch += 1;
                }
                if cpfn[first + j] != Some(*p) {
                    pinned_copied += 1;
                }
            }
        }
        cell.count("pinned_not_shared", pinned_copied);
        cell.count("pfns_mismatch", mismatch);
    }
    for (s, _, _) in slots {
        dev.unpin(s, false)
            .map_err(|e| format!("UNPIN: {}", errno_name(e)))?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let (dev, info) = match Device::open_checked() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("fork-cost: {e}");
            std::process::exit(2);
        }
    };
    let nums = |name: &str, default: &[usize]| -> Vec<usize> {
        list_arg(&args, name)
            .map(|v| v.iter().filter_map(|s| s.parse().ok()).collect())
            .unwrap_or_else(|| default.to_vec())
    };
    let sizes = nums("--sizes", if quick { &[16] } else { &[16, 256] });
    let percents = nums("--percents", &[0, 1, 100]);
    let repeat = nums("--repeat", if quick { &[3] } else { &[10] })[0].max(1);
    let variants: Vec<&str> = match list_arg(&args, "--variants") {
        Some(v) => VARIANTS
            .iter()
            .copied()
            .filter(|x| v.iter().any(|y| y == x))
            .collect(),
        None => VARIANTS.to_vec(),
    };
    let em = Emitter::new("fork-cost");
    let mut cells = 0;
    for &mib in &sizes {
        for &percent in &percents {
            for &variant in &variants {
                cells += 1;
                let cell = Cell {
                    em: &em,
                    id: vec![
                        format!("{mib}mib"),
                        format!("{percent}pct"),
                        variant.to_string(),
                    ],
                    params: vec![
                        ("mib", mib.to_string()),
                        ("percent", percent.to_string()),
                        ("variant", variant.to_string()),
                        ("api", api_name(API_PIN_FAST).to_string()),
                        ("mode", "longterm-write".to_string()),
                        ("repeat", repeat.to_string()),
                    ],
                };
                if variant == "dontfork" && percent == 0 {
                    cell.rec(
                        "outcome",
                        "pages",
                        Skip {
                            reason: "no pinned range to MADV_DONTFORK at 0%".into(),
                        },
                    );
                    continue;
                }
                if let Err(e) = run_cell(&dev, &info, &cell, mib, percent, variant, repeat) {
                    eprintln!("fork-cost: {}: {e}", cell.id.join("/"));
                    cell.rec("error", "verdict", Skip { reason: e });
                }
            }
        }
    }
    eprintln!("fork-cost: {cells} cells");
}
