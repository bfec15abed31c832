//! `cow`: copy-on-write and pin coherence across `fork()`, on base pages and THP.
//!
//! Scenarios (the a–e; the kernel's tools/testing/selftests/mm/cow.c and
//! gup_longterm.c are the reference list of cases):
//!
//! - `pin-fork` (a): pin anon memory, fork, the parent writes, then the child writes
//!   (cow.c's "R/O pin + fork" and io_uring-with-fork cases, with every pin mode);
//! - `child-pin` (b): fork first, the child pins the shared pages, the parent writes: does
//!   the child's pin see the parent's new data ("leak", the CVE-2020-29374 class)?
//!   `child-pin-unmap` is the same with the child unmapping its range after the pin, as
//!   cow.c's vmsplice-in-child case does;
//! - `shared-pin` and `previously-shared-pin` (cow.c's R/O pin tests): fork, (the child
//!   exits,) then the parent pins its still (or formerly) COW-shared pages and writes them;
//! - `zero-page` (c): read pin of never-touched memory (the shared zero page, or the huge
//!   zero page for THP), then the process writes;
//! - `force-write` (d): pin `.rodata` or a private read-only tmpfs file mapping, then write
//!   the pages through /proc/self/mem (FOLL_FORCE, as a debugger's breakpoint);
//! - `device-write` (e): write pin, fork, then WRITE through the pin: who sees it?
//!
//! Observed per cell (mode × API × kind): the pin's outcome; PFN changes taken from
//! /proc/PID/pagemap (root in the guest) at the pin, at fork (child vs parent), at each
//! process's write; the module's PFNS cross-checked against pagemap; the coherence verdict
//! (READ through the pin vs what the pinning process reads now); /proc/vmstat deltas. Every
//! number is what this kernel did: nothing here encodes what a kernel should do.
//!
//! Each cell runs in a forked cell process of its own with its own /dev/pinbench file, so a
//! cell's COW state (a /proc/self/mem write into .rodata) never reaches the next cell and its
//! pins end with it. Usage: `cow [--quick] [--scenarios S,..] [--modes M,..] [--apis A,..]
//! [--pages N]`. Defaults: every scenario, mode and API, 16 base pages or one 2 MiB THP;
//! quick: modes read, longterm-read, longterm-write, APIs pin-fast, get-fast, and no
//! `thp-pte-mapped` rows.

use results::{Value, Value::Skip};
use workloads::abi::*;
use workloads::buffers::{Buffer, HPAGE_SIZE};
use workloads::dev::{fnv1a64, Device};
use workloads::emit::{errno_name, outcome, Emitter};
use workloads::forked::Forked;
use workloads::mem::page_size;
use workloads::modes::{list_arg, unavailable, MODES};
use workloads::procfs::{self, VmstatSnapshot};

/// /proc/vmstat counters whose change over a cell is recorded.
const VMSTAT: &[&str] = &[
    "pgfault",
    "thp_fault_alloc",
    "thp_fault_fallback",
    "thp_split_pmd",
    "thp_split_page",
    "thp_zero_page_alloc",
    "thp_deferred_split_page",
    "nr_foll_pin_acquired",
    "nr_foll_pin_released",
];

/// Data each party writes: page i of a write by X holds `X ^ i` repeated.
const PARENT_DATA: u64 = 0x5041_5245_4e54_0000;
const CHILD_DATA: u64 = 0x4348_494c_4400_0000;
const SELF_DATA: u64 = 0x5345_4c46_0000_0000;
const DEVICE_DATA: u64 = 0x4445_5649_4345_0000;

/// Why `force-write` has no THP row.
const NO_FILE_THP: &str = "no huge private read-only file mapping here: .rodata comes from the initramfs file in base pages and the guest's /tmp tmpfs is mounted without huge=";

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    PinFork,
    ChildPin { unmap: bool },
    SharedPin { child_gone: bool },
    ZeroPage,
    ForceWrite,
    DeviceWrite,
}

const SCENARIOS: &[Scenario] = &[
    Scenario::PinFork,
    Scenario::ChildPin { unmap: false },
    Scenario::ChildPin { unmap: true },
    Scenario::SharedPin { child_gone: false },
    Scenario::SharedPin { child_gone: true },
    Scenario::ZeroPage,
    Scenario::ForceWrite,
    Scenario::DeviceWrite,
];

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::PinFork => "pin-fork",
            Scenario::ChildPin { unmap: false } => "child-pin",
            Scenario::ChildPin { unmap: true } => "child-pin-unmap",
            Scenario::SharedPin { child_gone: false } => "shared-pin",
            Scenario::SharedPin { child_gone: true } => "previously-shared-pin",
            Scenario::ZeroPage => "zero-page",
            Scenario::ForceWrite => "force-write",
            Scenario::DeviceWrite => "device-write",
        }
    }

    fn letter(self) -> &'static str {
        match self {
            Scenario::PinFork => "a",
            Scenario::ChildPin { .. } => "b",
            // cow.c's RO_PIN_TEST_SHARED / RO_PIN_TEST_PREVIOUSLY_SHARED.
            Scenario::SharedPin { .. } => "cow.c",
            Scenario::ZeroPage => "c",
            Scenario::ForceWrite => "d",
            Scenario::DeviceWrite => "e",
        }
    }

    /// Buffer kinds: base-page kind and its THP counterpart (`None`: no THP row of its own;
    /// `Err`: a THP row recorded as a skip with the reason). A base kind that is itself a
    /// THP kind (`thp-pte-mapped`: cow.c's PTE-mapped THP) gets THP sizes.
    #[allow(clippy::type_complexity)]
    fn kinds(self) -> &'static [(&'static str, Option<Result<&'static str, &'static str>>)] {
        match self {
            Scenario::PinFork | Scenario::ChildPin { .. } | Scenario::DeviceWrite => {
                &[("anon-rw", Some(Ok("thp"))), ("thp-pte-mapped", None)]
            }
            Scenario::SharedPin { .. } => &[("anon-rw", Some(Ok("thp")))],
            Scenario::ZeroPage => &[("anon-unpopulated", Some(Ok("thp-unpopulated")))],
            Scenario::ForceWrite => &[
                ("rodata", Some(Err(NO_FILE_THP))),
                ("file-ro-private", None),
            ],
        }
    }

    /// Whether a pin mode makes sense here; Err(reason) when not.
    fn mode_applies(self, flags: u32) -> Result<(), &'static str> {
        match self {
            Scenario::ZeroPage if flags & F_WRITE != 0 => {
                Err("a write pin faults in a private page itself, so it never meets the zero page")
            }
            Scenario::DeviceWrite if flags & F_WRITE == 0 => {
                Err("WRITE through a pin needs a write pin")
            }
            _ => Ok(()),
        }
    }
}

struct Ctx {
    info: PinbenchInfo,
    ps: usize,
    /// PFN of the shared zero page, and the range of the huge zero page, if seen.
    zero_pfn: Option<u64>,
    huge_zero: Option<(u64, u64)>,
}

/// What one cell emits, with its coordinates.
struct CellOut<'a> {
    em: &'a Emitter,
    id: Vec<String>,
    params: Vec<(&'static str, String)>,
}

impl CellOut<'_> {
    fn rec(&self, metric: &str, unit: &str, value: Value) {
        self.rec_with(metric, unit, value, &[]);
    }

    fn rec_with(&self, metric: &str, unit: &str, value: Value, extra: &[(&str, String)]) {
        self.rec_as(metric, &format!("cow.{metric}"), unit, value, extra);
    }

    /// A record whose id ends in `suffix` and whose metric family is `family`.
    fn rec_as(
        &self,
        suffix: &str,
        family: &str,
        unit: &str,
        value: Value,
        extra: &[(&str, String)],
    ) {
        let mut id: Vec<&str> = self.id.iter().map(String::as_str).collect();
        id.push(suffix);
        let mut params: Vec<(&str, String)> = self.params.clone();
        params.extend(extra.iter().cloned());
        self.em.record(&id, family, &params, unit, value);
    }

    fn count(&self, metric: &str, n: usize) {
        self.rec(metric, "pages", Value::Scalar { value: n as f64 });
    }
}

fn sums_of(bytes: &[u8], ps: usize) -> Vec<u64> {
    bytes.chunks(ps).map(fnv1a64).collect()
}

/// Checksum of a page filled with `v` repeated (what `Buffer::fill_page` and WRITE leave).
fn filled_sum(v: u64, ps: usize) -> u64 {
    let page: Vec<u8> = std::iter::repeat_n(v.to_ne_bytes(), ps / 8)
        .flatten()
        .collect();
    fnv1a64(&page)
}

/// Pages present in both PFN lists whose PFNs differ.
fn moved(a: &[Option<u64>], b: &[Option<u64>]) -> usize {
    a.iter()
        .zip(b)
        .filter(|(x, y)| matches!((x, y), (Some(x), Some(y)) if x != y))
        .count()
}

/// Per-page coherence of a pin: `leak` (the pin shows the other process's new data),
/// `coherent` (it shows what the pinning process reads now), `stale` (it still shows the
/// original data the process no longer reads), `other`.
fn classify(
    pin: &[u64],
    own: &[u64],
    other: Option<&[u64]>,
    original: &[u64],
) -> Vec<&'static str> {
    (0..pin.len())
        .map(|i| {
            if other.is_some_and(|o| o[i] == pin[i] && o[i] != original[i]) {
                "leak"
            } else if pin[i] == own[i] {
                "coherent"
            } else if pin[i] == original[i] {
                "stale"
            } else {
                "other"
            }
        })
        .collect()
}

/// One verdict for a cell (the common class, or `mixed`) and the per-class page counts.
fn verdict(classes: &[&'static str]) -> (String, Vec<(&'static str, String)>) {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for c in classes {
        match counts.iter_mut().find(|(k, _)| k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    let v = if counts.len() == 1 {
        counts[0].0.to_string()
    } else {
        "mixed".to_string()
    };
    let params = counts
        .iter()
        .map(|(k, n)| {
            let key: &'static str = match *k {
                "leak" => "pages_leak",
                "coherent" => "pages_coherent",
                "stale" => "pages_stale",
                "parent" => "pages_parent",
                "child" => "pages_child",
                "both" => "pages_both",
                "neither" => "pages_neither",
                _ => "pages_other",
            };
            (key, n.to_string())
        })
        .collect();
    (v, params)
}

/// Messages to the scenario child.
const MSG_EXIT: u64 = 0;
const MSG_WRITE: u64 = 1;
const MSG_PIN: u64 = 2;

fn run_cell(
    ctx: &Ctx,
    out: &CellOut,
    sc: Scenario,
    kind: &str,
    flags: u32,
    api: u32,
    pages: usize,
) -> Result<(), String> {
    let ps = ctx.ps;
    let dev = Device::open()?;
    let buf = match Buffer::new(kind, pages) {
        Ok(b) => b,
        Err(reason) => {
            out.rec("outcome", "pages", Skip { reason });
            return Ok(());
        }
    };
    let untouched = kind == "anon-unpopulated";
    // The data as it was before anything happened (untouched memory reads as zeros; reading
    // it here would map the zero page and change the scenario).
    let original: Vec<u64> = if untouched {
        vec![fnv1a64(&vec![0u8; ps]); pages]
    } else {
        (0..pages).map(|i| buf.sum(i)).collect()
    };
    let pfns_before = buf.pfns("self").map_err(|e| format!("pagemap: {e}"))?;
    let vm0 = VmstatSnapshot::take().map_err(|e| format!("/proc/vmstat: {e}"))?;
    let fill_all = |b: &Buffer, base: u64| {
        for i in 0..b.pages {
            b.fill_page(i, base ^ i as u64);
        }
    };
    let data_sums = |base: u64| -> Vec<u64> {
        (0..pages)
            .map(|i| filled_sum(base ^ i as u64, ps))
            .collect()
    };
    let child_view = |f: &Forked| -> Result<Vec<u64>, String> {
        procfs::read_mem(&f.proc_pid(), buf.addr, pages * ps)
            .map(|b| sums_of(&b, ps))
            .map_err(|e| format!("/proc/{}/mem: {e}", f.pid))
    };
    let own_view = |b: &Buffer| -> Vec<u64> { (0..b.pages).map(|i| b.sum(i)).collect() };

    // Pin in this process (every scenario but child-pin).
    let pin_here = |out: &CellOut| -> Result<Option<(u32, u32)>, String> {
        match dev.pin(buf.addr, pages as u32, api, flags) {
            Err(e) => {
                out.rec(
                    "outcome",
                    "pages",
                    Skip {
                        reason: format!("module refused the request: {}", errno_name(e)),
                    },
                );
                Ok(None)
            }
            Ok(r) => {
                out.rec(
                    "outcome",
                    "pages",
                    outcome(pages as u64, r.pinned as u64, r.error),
                );
                Ok(r.slot.map(|s| (s, r.pinned)))
            }
        }
    };
    // PFNS of the pin vs the pinner's pagemap before the pin (pages that the pin replaced)
    // and right after it (the cross-check).
    let check_pin = |out: &CellOut, slot: u32, n: u32, pid: &str, before: &[Option<u64>]| {
        let pinned = match dev.pfns(slot, n) {
            Ok(p) => p,
            Err(e) => {
                out.rec(
                    "pin_copies",
                    "pages",
                    Skip {
                        reason: format!("PFNS: {}", errno_name(e)),
                    },
                );
                return Vec::new();
            }
        };
        if before.iter().take(n as usize).any(Option::is_some) {
            let c = pinned
                .iter()
                .zip(before)
                .filter(|(p, b)| matches!(b, Some(b) if b != *p))
                .count();
            out.count("pin_copies", c);
        } else {
            out.rec(
                "pin_copies",
                "pages",
                Skip {
                    reason: "no page was mapped before the pin (untouched memory)".into(),
                },
            );
        }
        match procfs::pagemap_pfns(pid, buf.addr, n as usize, ps as u64) {
            Ok(after) => {
                let bad = pinned
                    .iter()
                    .zip(&after)
                    .filter(|(p, a)| **a != Some(**p))
                    .count();
                out.count("pfns_mismatch", bad);
            }
            Err(e) => out.rec(
                "pfns_mismatch",
                "pages",
                Skip {
                    reason: format!("pagemap: {e}"),
                },
            ),
        }
        let zero = pinned
            .iter()
            .filter(|&&p| {
                Some(p) == ctx.zero_pfn
                    || ctx.huge_zero.is_some_and(|(s, n)| (s..s + n).contains(&p))
            })
            .count();
        out.count("zero_page_pins", zero);
        pinned
    };
    let coherence = |out: &CellOut, slot: u32, n: u32, own: &[u64], other: Option<&[u64]>| match dev
        .read(slot, n)
    {
        Ok((_, sums)) => {
            let n = sums.len();
            let cls = classify(&sums, &own[..n], other.map(|o| &o[..n]), &original[..n]);
            let (v, extra) = verdict(&cls);
            out.rec_with(
                "coherence",
                "verdict",
                Value::Verdict { verdict: v },
                &extra,
            );
        }
        Err(e) => out.rec(
            "coherence",
            "verdict",
            Skip {
                reason: format!("READ: {}", errno_name(e)),
            },
        ),
    };

    let held: u32;
    match sc {
        Scenario::PinFork | Scenario::DeviceWrite => {
            let Some((slot, n)) = pin_here(out)? else {
                return Ok(());
            };
            held = slot;
            check_pin(out, slot, n, "self", &pfns_before);
            let p_pin = buf.pfns("self").map_err(|e| e.to_string())?;
            let child_buf = &buf;
            let mut child = Forked::spawn(|l| loop {
                match l.hear() {
                    Ok(MSG_WRITE) => {
                        fill_all(child_buf, CHILD_DATA);
                        if l.tell(1).is_err() {
                            return 1;
                        }
                    }
                    _ => return 0,
                }
            })?;
            let cpid = child.proc_pid();
            let c_fork = buf.pfns(&cpid).map_err(|e| e.to_string())?;
            let p_fork = buf.pfns("self").map_err(|e| e.to_string())?;
            out.count("fork_copies", moved(&p_fork, &c_fork));
            out.count("fork_parent_moved", moved(&p_pin, &p_fork));
            if sc == Scenario::PinFork {
                fill_all(&buf, PARENT_DATA);
                let p_w = buf.pfns("self").map_err(|e| e.to_string())?;
                out.count("write_copies_parent", moved(&p_fork, &p_w));
                child.link.tell(MSG_WRITE)?;
                child.link.hear()?;
                let c_w = buf.pfns(&cpid).map_err(|e| e.to_string())?;
                out.count("write_copies_child", moved(&c_fork, &c_w));
                let cv = child_view(&child)?;
                coherence(out, slot, n, &own_view(&buf), Some(&cv));
            } else {
                match dev.write(slot, DEVICE_DATA) {
                    Err(e) => out.rec(
                        "seen_by",
                        "verdict",
                        Skip {
                            reason: format!("WRITE: {}", errno_name(e)),
                        },
                    ),
                    Ok(_) => {
                        let want = data_sums(DEVICE_DATA);
                        let pv = own_view(&buf);
                        let cv = child_view(&child)?;
                        let cls: Vec<&'static str> = (0..n as usize)
                            .map(|i| match (pv[i] == want[i], cv[i] == want[i]) {
                                (true, true) => "both",
                                (true, false) => "parent",
                                (false, true) => "child",
                                (false, false) => "neither",
                            })
                            .collect();
                        let (v, extra) = verdict(&cls);
                        out.rec_with("seen_by", "verdict", Value::Verdict { verdict: v }, &extra);
                    }
                }
            }
            child.link.tell(MSG_EXIT)?;
            child.wait()?;
        }
        Scenario::ChildPin { unmap } => {
            let (addr, len) = (buf.addr, pages * ps);
            let d = &dev;
            let mut child = Forked::spawn(|l| {
                if l.hear() != Ok(MSG_PIN) {
                    return 0;
                }
                let (slot, pinned, err) = match d.pin(addr, pages as u32, api, flags) {
                    Ok(r) => (
                        r.slot.unwrap_or(PINBENCH_NO_SLOT) as u64,
                        r.pinned as u64,
                        r.error.map_or(0, |e| e as i32 as u64),
                    ),
                    Err(e) => (PINBENCH_NO_SLOT as u64, 0, (e as i32 as u64) | 1 << 32),
                };
                if unmap {
                    unsafe { libc::munmap(addr as *mut libc::c_void, len) };
                }
                if l.tell(slot).and(l.tell(pinned)).and(l.tell(err)).is_err() {
                    return 1;
                }
                let _ = l.hear();
                0
            })?;
            let cpid = child.proc_pid();
            let c_fork = buf.pfns(&cpid).map_err(|e| e.to_string())?;
            let p_fork = buf.pfns("self").map_err(|e| e.to_string())?;
            out.count("fork_copies", moved(&p_fork, &c_fork));
            out.count("fork_parent_moved", moved(&pfns_before, &p_fork));
            child.link.tell(MSG_PIN)?;
            let slot = child.link.hear()? as u32;
            let pinned = child.link.hear()? as u32;
            let err = child.link.hear()?;
            if err >> 32 != 0 {
                out.rec(
                    "outcome",
                    "pages",
                    Skip {
                        reason: format!(
                            "module refused the request: {}",
                            errno_name(nix::errno::Errno::from_raw(err as u32 as i32))
                        ),
                    },
                );
                return Ok(());
            }
            let errno = (err != 0).then(|| nix::errno::Errno::from_raw(err as i32));
            out.rec(
                "outcome",
                "pages",
                outcome(pages as u64, pinned as u64, errno),
            );
            if slot == PINBENCH_NO_SLOT {
                return Ok(());
            }
            held = slot;
            // The child's pin, seen from its pagemap (gone after an unmap).
            if unmap {
                match dev.pfns(slot, pinned) {
                    Ok(pinned_pfns) => {
                        let c = pinned_pfns
                            .iter()
                            .zip(&c_fork)
                            .filter(|(p, b)| matches!(b, Some(b) if b != *p))
                            .count();
                        out.count("pin_copies", c);
                    }
                    Err(e) => out.rec(
                        "pin_copies",
                        "pages",
                        Skip {
                            reason: format!("PFNS: {}", errno_name(e)),
                        },
                    ),
                }
            } else {
                check_pin(out, slot, pinned, &cpid, &c_fork);
            }
            let child_before = if unmap {
                original.clone()
            } else {
                child_view(&child)?
            };
            fill_all(&buf, PARENT_DATA);
            let p_w = buf.pfns("self").map_err(|e| e.to_string())?;
            out.count("write_copies_parent", moved(&p_fork, &p_w));
            let parent_new = own_view(&buf);
            // What the child reads now (after an unmap: what it read when it pinned).
            let cv = if unmap {
                child_before
            } else {
                child_view(&child)?
            };
            coherence(out, slot, pinned, &cv, Some(&parent_new));
            child.link.tell(MSG_EXIT)?;
            child.wait()?;
        }
        Scenario::SharedPin { child_gone } => {
            let child = Forked::spawn(|l| {
                let _ = l.hear();
                0
            })?;
            let c_fork = buf.pfns(&child.proc_pid()).map_err(|e| e.to_string())?;
            let p_fork = buf.pfns("self").map_err(|e| e.to_string())?;
            out.count("fork_copies", moved(&p_fork, &c_fork));
            out.count("fork_parent_moved", moved(&pfns_before, &p_fork));
            let mut child = Some(child);
            if child_gone {
                if let Some(mut c) = child.take() {
                    c.link.tell(MSG_EXIT)?;
                    c.wait()?;
                }
            }
            let Some((slot, n)) = pin_here(out)? else {
                return Ok(());
            };
            held = slot;
            check_pin(out, slot, n, "self", &p_fork);
            let p_pin = buf.pfns("self").map_err(|e| e.to_string())?;
            fill_all(&buf, PARENT_DATA);
            let p_w = buf.pfns("self").map_err(|e| e.to_string())?;
            out.count("write_copies_parent", moved(&p_pin, &p_w));
            coherence(out, slot, n, &own_view(&buf), None);
            if let Some(mut c) = child {
                c.link.tell(MSG_EXIT)?;
                c.wait()?;
            }
        }
        Scenario::ZeroPage | Scenario::ForceWrite => {
            let Some((slot, n)) = pin_here(out)? else {
                return Ok(());
            };
            held = slot;
            check_pin(out, slot, n, "self", &pfns_before);
            let p_pin = buf.pfns("self").map_err(|e| e.to_string())?;
            if sc == Scenario::ZeroPage {
                fill_all(&buf, SELF_DATA);
            } else {
                for i in 0..pages {
                    let page: Vec<u8> =
                        std::iter::repeat_n((SELF_DATA ^ i as u64).to_ne_bytes(), ps / 8)
                            .flatten()
                            .collect();
                    if let Err(e) = procfs::write_self_mem(buf.addr + (i * ps) as u64, &page) {
                        out.rec(
                            "coherence",
                            "verdict",
                            Skip {
                                reason: format!("write through /proc/self/mem: {e}"),
                            },
                        );
                        let _ = dev.unpin(slot, false);
                        return Ok(());
                    }
                }
            }
            let p_w = buf.pfns("self").map_err(|e| e.to_string())?;
            out.count("write_copies_self", moved(&p_pin, &p_w));
            coherence(out, slot, n, &own_view(&buf), None);
        }
    }
    dev.unpin(held, false)
        .map_err(|e| format!("UNPIN: {}", errno_name(e)))?;
    drop(buf);
    let vm1 = VmstatSnapshot::take().map_err(|e| format!("/proc/vmstat: {e}"))?;
    for k in VMSTAT {
        let value = match vm0.delta(&vm1, k) {
            Some(d) => Value::Scalar { value: d as f64 },
            None => Skip {
                reason: format!("{k} is not in this kernel's /proc/vmstat"),
            },
        };
        out.rec_as(
            &format!("vmstat/{k}"),
            "cow.vmstat_delta",
            "count",
            value,
            &[("counter", k.to_string())],
        );
    }
    Ok(())
}

/// The zero page's PFN (a read-faulted untouched page) and the huge zero page's range.
fn probe_zero_pages(ps: usize) -> (Option<u64>, Option<(u64, u64)>) {
    let zero = Buffer::new("anon-unpopulated", 1).ok().and_then(|b| {
        std::hint::black_box(b.head(0));
        b.pfns("self").ok().and_then(|v| v[0])
    });
    let huge = Buffer::new("thp-unpopulated", HPAGE_SIZE / ps)
        .ok()
        .and_then(|b| {
            let v = b.pfns("self").ok()?;
            let s = v[0]?;
            let contiguous = v.iter().enumerate().all(|(i, p)| *p == Some(s + i as u64));
            (contiguous && Some(s) != zero).then_some((s, v.len() as u64))
        });
    (zero, huge)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let (_dev, info) = match Device::open_checked() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("cow: {e}");
            std::process::exit(2);
        }
    };
    let ps = page_size();
    let base_pages: usize = args
        .iter()
        .position(|a| a == "--pages")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let apis: Vec<u32> = match list_arg(&args, "--apis") {
        Some(v) => v.iter().filter_map(|s| api_from_name(s)).collect(),
        None if quick => vec![API_PIN_FAST, API_GET_FAST],
        None => (0..API_COUNT).collect(),
    };
    let modes: Vec<(&str, u32)> = match list_arg(&args, "--modes") {
        Some(v) => MODES
            .iter()
            .copied()
            .filter(|(m, _)| v.iter().any(|x| x == m))
            .collect(),
        // Quick: one short-term and two longterm modes still reach every scenario.
        None if quick => MODES
            .iter()
            .copied()
            .filter(|(m, _)| ["read", "longterm-read", "longterm-write"].contains(m))
            .collect(),
        None => MODES.to_vec(),
    };
    let scenarios: Vec<Scenario> = match list_arg(&args, "--scenarios") {
        Some(v) => SCENARIOS
            .iter()
            .copied()
            .filter(|s| v.iter().any(|x| x == s.name()))
            .collect(),
        None => SCENARIOS.to_vec(),
    };
    let (zero_pfn, huge_zero) = probe_zero_pages(ps);
    eprintln!("cow: zero page pfn {zero_pfn:?}, huge zero page {huge_zero:?}");
    let ctx = Ctx {
        info,
        ps,
        zero_pfn,
        huge_zero,
    };
    let em = Emitter::new("cow");
    let mut cells = 0u32;
    for &sc in &scenarios {
        for &(base_kind, thp_kind) in sc.kinds() {
            // Quick leaves the PTE-mapped THP rows out (they repeat the THP rows' costs).
            if quick && base_kind == "thp-pte-mapped" {
                continue;
            }
            let rows = std::iter::once((Ok(base_kind), false)).chain(thp_kind.map(|k| (k, true)));
            for (kind, huge) in rows {
                let huge = huge || base_kind.starts_with("thp");
                let pages = if huge { HPAGE_SIZE / ps } else { base_pages };
                for &(mode, flags) in &modes {
                    for &api in &apis {
                        cells += 1;
                        let kname = kind.unwrap_or("thp");
                        let out = CellOut {
                            em: &em,
                            id: [sc.name(), kname, mode, api_name(api)]
                                .iter()
                                .map(|s| s.to_string())
                                .collect(),
                            params: vec![
                                ("scenario", sc.name().to_string()),
                                ("case", sc.letter().to_string()),
                                ("kind", kname.to_string()),
                                ("mode", mode.to_string()),
                                ("api", api_name(api).to_string()),
                                ("pages", pages.to_string()),
                                ("thp", huge.to_string()),
                            ],
                        };
                        let skip = |reason: String| out.rec("outcome", "pages", Skip { reason });
                        let k = match kind {
                            Ok(k) => k,
                            Err(reason) => {
                                skip(reason.to_string());
                                continue;
                            }
                        };
                        if let Err(reason) = sc.mode_applies(flags) {
                            skip(reason.to_string());
                            continue;
                        }
                        if let Some(reason) = unavailable(flags, api, ctx.info.api_mask) {
                            skip(reason);
                            continue;
                        }
                        let ended = Forked::spawn(|_| {
                            match run_cell(&ctx, &out, sc, k, flags, api, pages) {
                                Ok(()) => 0,
                                Err(e) => {
                                    eprintln!("cow: {}: {e}", out.id.join("/"));
                                    out.rec("error", "verdict", Skip { reason: e });
                                    3
                                }
                            }
                        })
                        .and_then(|f| f.wait());
                        match ended {
                            Ok(nix::sys::wait::WaitStatus::Exited(_, 0 | 3)) => {}
                            other => {
                                let reason = format!("cell process ended abnormally: {other:?}");
                                eprintln!("cow: {}: {reason}", out.id.join("/"));
                                out.rec("error", "verdict", Skip { reason });
                            }
                        }
                    }
                }
            }
        }
    }
    eprintln!("cow: {cells} cells");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_move_only_when_present_on_both_sides() {
        let a = [Some(1), Some(2), None, Some(4)];
        let b = [Some(1), Some(9), Some(3), None];
        assert_eq!(moved(&a, &b), 1);
    }

    #[test]
    fn coherence_classes() {
        let original = [10, 20, 30, 40];
        let own = [11, 21, 30, 40];
        let other = [12, 22, 32, 40];
        // page 0 coherent, 1 leak, 2 stale (process reads 30 = original too: coherent wins),
        // 3 other.
        let pin = [11, 22, 30, 99];
        assert_eq!(
            classify(&pin, &own, Some(&other), &original),
            ["coherent", "leak", "coherent", "other"]
        );
        let own2 = [11, 21, 31, 41];
        assert_eq!(
            classify(&[10, 20, 30, 40], &own2, None, &original),
            ["stale"; 4]
        );
        // Data the other process never changed is not a leak.
        assert_eq!(classify(&[40], &[40], Some(&[40]), &[40]), ["coherent"]);
    }

    #[test]
    fn one_verdict_per_cell_with_counts() {
        assert_eq!(verdict(&["stale", "stale"]).0, "stale");
        let (v, counts) = verdict(&["leak", "coherent", "leak"]);
        assert_eq!(v, "mixed");
        assert_eq!(
            counts,
            [
                ("pages_leak", "2".to_string()),
                ("pages_coherent", "1".to_string())
            ]
        );
    }
}
