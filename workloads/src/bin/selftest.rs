//! `selftest`: the pinbench module's own test, run inside a guest.
//!
//! - every ioctl on writable anonymous memory, values checked: PFNS equal
//!   /proc/self/pagemap, READ sees what the process wrote, the process sees what WRITE wrote;
//! - every misuse gets its documented errno (kernels/module/pinbench_abi.h);
//! - `inject_ns` makes timed pins measurably slower;
//! - a seeded fuzz of random ioctls (numbers, sizes, addresses, flags, slots);
//! - closing a file with pins held releases them.
//!
//! Each check is a record `selftest/<check>` with verdict `pass` or `fail: ...`; the exit
//! status is 1 if any check failed. Usage: `selftest [--quick] [--fuzz N] [--seed S]`.

use nix::errno::Errno;
use nix::sys::mman::ProtFlags;
use rand::{rngs::SmallRng, Rng, SeedableRng};
use results::Value;
use workloads::abi::*;
use workloads::dev::{fnv1a64, Device};
use workloads::emit::Emitter;
use workloads::mem::{page_size, Mapping};
use workloads::procfs;

struct Checks {
    em: Emitter,
    failed: u32,
    passed: u32,
}

impl Checks {
    fn check(&mut self, name: &str, r: Result<(), String>) {
        let verdict = match &r {
            Ok(()) => {
                self.passed += 1;
                "pass".to_string()
            }
            Err(e) => {
                self.failed += 1;
                eprintln!("FAIL {name}: {e}");
                format!("fail: {e}")
            }
        };
        self.em.record(
            &[name],
            "selftest.check",
            &[],
            "verdict",
            Value::Verdict { verdict },
        );
    }

    fn expect_errno<T: std::fmt::Debug>(&mut self, name: &str, got: Result<T, Errno>, want: Errno) {
        let r = match got {
            Err(e) if e == want => Ok(()),
            other => Err(format!("expected {want:?}, got {other:?}")),
        };
        self.check(name, r);
    }
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

fn set_inject_ns(ns: u64) -> Result<(), String> {
    std::fs::write("/sys/module/pinbench/parameters/inject_ns", ns.to_string())
        .map_err(|e| format!("writing /sys/module/pinbench/parameters/inject_ns: {e}"))
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Every ioctl, on writable anonymous memory, with values checked.
fn functional(c: &mut Checks, dev: &Device, info: &PinbenchInfo) {
    let ps = page_size();
    let n = 16usize;
    c.check(
        "info",
        (|| {
            ensure(info.abi_version == PINBENCH_ABI_VERSION, || {
                format!("abi_version {}", info.abi_version)
            })?;
            ensure(info.page_size as usize == ps, || {
                format!("page_size {} vs sysconf {ps}", info.page_size)
            })?;
            let uname = nix::sys::utsname::uname().map_err(|e| e.to_string())?;
            let rel = uname.release().to_string_lossy().into_owned();
            ensure(info.release_str() == rel, || {
                format!("release {:?} vs uname {rel:?}", info.release_str())
            })?;
            ensure(info.flag_mask == F_ALL, || {
                format!("flag_mask {:#x}", info.flag_mask)
            })?;
            ensure(info.api_mask & (1 << API_PIN_FAST) != 0, || {
                format!("api_mask {:#x} lacks pin-fast", info.api_mask)
            })?;
            ensure(info.max_pages >= 512 && info.max_slots >= 2, || {
                format!("limits {info:?}")
            })
        })(),
    );
    for api in 0..API_COUNT {
        let name = api_name(api);
        if info.api_mask & (1 << api) == 0 {
            c.expect_errno(
                &format!("api-{name}-unsupported"),
                dev.pin(0, 1, api, F_WRITE),
                Errno::EOPNOTSUPP,
            );
            continue;
        }
        let r = (|| -> Result<(), String> {
            let mut m = Mapping::anon_rw(n * ps).map_err(|e| e.to_string())?;
            let seed = 0x5eed_0000_0000_0000u64 | (api as u64) << 32;
            m.fill_pattern(seed, ps);
            let p = dev
                .pin(m.addr(), n as u32, api, F_WRITE)
                .map_err(|e| format!("PIN: {e}"))?;
            ensure(p.error.is_none() && p.pinned == n as u32, || {
                format!("PIN answered {p:?}")
            })?;
            let slot = p.slot.ok_or("no slot")?;
            // PFNS against /proc/self/pagemap (we are root in the guest, so PFNs are visible).
            let pfns = dev.pfns(slot, n as u32).map_err(|e| format!("PFNS: {e}"))?;
            ensure(pfns.len() == n, || {
                format!("PFNS returned {} entries", pfns.len())
            })?;
            for (i, pfn) in pfns.iter().enumerate() {
                let pm = procfs::pagemap_pfn("self", m.addr() + (i * ps) as u64, ps as u64)
                    .map_err(|e| e.to_string())?;
                ensure(pm == Some(*pfn), || {
                    format!("page {i}: module PFN {pfn:#x}, pagemap {pm:?}")
                })?;
            }
            // READ sees what the process wrote.
            let (head, sums) = dev.read(slot, n as u32).map_err(|e| format!("READ: {e}"))?;
            for i in 0..n {
                ensure(head[i] == m.page_head(i, ps), || {
                    format!(
                        "READ page {i}: {:#x} vs process {:#x}",
                        head[i],
                        m.page_head(i, ps)
                    )
                })?;
                let want = fnv1a64(&m.bytes()[i * ps..(i + 1) * ps]);
                ensure(sums[i] == want, || {
                    format!("READ checksum page {i}: {:#x} vs {want:#x}", sums[i])
                })?;
            }
            // The process sees what WRITE wrote.
            let pattern = 0xdead_beef_0000_0000u64 | api as u64;
            dev.write(slot, pattern)
                .map_err(|e| format!("WRITE: {e}"))?;
            for i in 0..n {
                let want = pattern ^ i as u64;
                let page = &m.bytes()[i * ps..(i + 1) * ps];
                ensure(
                    page.chunks_exact(8)
                        .all(|c| u64::from_ne_bytes(c.try_into().unwrap()) == want),
                    || {
                        format!(
                            "page {i} after WRITE: head {:#x}, want {want:#x} over the whole page",
                            m.page_head(i, ps)
                        )
                    },
                )?;
            }
            let (released, _ns) = dev.unpin(slot, true).map_err(|e| format!("UNPIN: {e}"))?;
            ensure(released == n as u32, || {
                format!("UNPIN released {released}")
            })?;
            match dev.unpin(slot, false) {
                Err(Errno::ENOENT) => {}
                other => return Err(format!("double UNPIN: expected ENOENT, got {other:?}")),
            }
            // BENCH: a cold iteration then timed ones.
            let b = dev
                .bench(m.addr(), n as u32, api, F_WRITE, 20)
                .map_err(|e| format!("BENCH: {e}"))?;
            ensure(
                b.error.is_none() && b.pin_ns.len() == 20 && b.unpin_ns.len() == 20,
                || format!("BENCH {b:?}"),
            )?;
            ensure(
                b.cold_pinned == n as u32 && b.min_pinned == n as u32,
                || format!("BENCH pinned {b:?}"),
            )?;
            ensure(b.pin_ns.iter().all(|&t| t > 0) && b.cold_pin_ns > 0, || {
                format!("BENCH zero times {b:?}")
            })?;
            Ok(())
        })();
        c.check(&format!("api-{name}"), r);
    }
    // A read pin of never-touched memory: succeeds (zero page or fresh pages), and WRITE
    // through a read pin is refused rather than scribbling on a shared page.
    c.check(
        "read-pin-unpopulated",
        (|| {
            let m = Mapping::anon_rw(4 * ps).map_err(|e| e.to_string())?;
            let p = dev
                .pin(m.addr(), 4, API_PIN_FAST, 0)
                .map_err(|e| format!("PIN: {e}"))?;
            ensure(p.pinned == 4, || format!("{p:?}"))?;
            let slot = p.slot.unwrap();
            let (head, _) = dev.read(slot, 4).map_err(|e| e.to_string())?;
            ensure(head.iter().all(|&h| h == 0), || {
                format!("unpopulated pages read {head:x?}")
            })?;
            match dev.write(slot, 1) {
                Err(Errno::EPERM) => {}
                other => return Err(format!("WRITE via read pin: expected EPERM, got {other:?}")),
            }
            dev.unpin(slot, false).map_err(|e| e.to_string())?;
            Ok(())
        })(),
    );
    // A pin of an unmapped range is a result (error field), not an ioctl failure.
    c.check(
        "pin-unmapped-is-a-result",
        (|| {
            let m = Mapping::anon(
                4 * ps,
                ProtFlags::PROT_NONE,
                nix::sys::mman::MapFlags::MAP_PRIVATE,
            )
            .map_err(|e| e.to_string())?;
            let p = dev
                .pin(m.addr(), 4, API_PIN_FAST, 0)
                .map_err(|e| format!("ioctl failed: {e}"))?;
            ensure(
                p.pinned == 0 && p.slot.is_none() && p.error.is_some(),
                || format!("{p:?}"),
            )
        })(),
    );
    // Partial pins: a range whose second half is PROT_NONE pins the first half.
    c.check(
        "partial-pin",
        (|| {
            let m = Mapping::anon_rw(8 * ps).map_err(|e| e.to_string())?;
            unsafe { std::ptr::write_bytes(m.ptr.as_ptr() as *mut u8, 1, 4 * ps) };
            let upper = unsafe {
                std::ptr::NonNull::new_unchecked(
                    (m.ptr.as_ptr() as *mut u8).add(4 * ps) as *mut libc::c_void
                )
            };
            unsafe { nix::sys::mman::mprotect(upper, 4 * ps, ProtFlags::PROT_NONE) }
                .map_err(|e| e.to_string())?;
            let p = dev
                .pin(m.addr(), 8, API_PIN_FAST, F_WRITE)
                .map_err(|e| format!("ioctl: {e}"))?;
            ensure(p.pinned == 4 && p.slot.is_some(), || format!("{p:?}"))?;
            let (r, _) = dev
                .unpin(p.slot.unwrap(), false)
                .map_err(|e| e.to_string())?;
            ensure(r == 4, || format!("released {r}"))
        })(),
    );
}

/// Every misuse with its documented errno.
fn misuse(c: &mut Checks, dev: &Device, info: &PinbenchInfo) {
    let ps = page_size();
    let mut m = Mapping::anon_rw(16 * ps).unwrap();
    m.fill_pattern(7, ps);
    let a = m.addr();
    c.expect_errno("nr-zero", dev.pin(a, 0, API_PIN_FAST, 0), Errno::ERANGE);
    c.expect_errno(
        "nr-over-max",
        dev.pin(a, info.max_pages + 1, API_PIN_FAST, 0),
        Errno::E2BIG,
    );
    c.expect_errno("unaligned", dev.pin(a + 1, 1, API_PIN_FAST, 0), Errno::EDOM);
    let top = !(ps as u64 - 1);
    c.expect_errno(
        "overflow",
        dev.pin(top, 16, API_PIN_FAST, 0),
        Errno::EOVERFLOW,
    );
    c.expect_errno(
        "kernel-address",
        dev.pin(0xffff_8880_0000_0000, 1, API_PIN_FAST, 0),
        Errno::EADDRNOTAVAIL,
    );
    c.expect_errno("unknown-api", dev.pin(a, 1, 99, 0), Errno::EINVAL);
    c.expect_errno(
        "unknown-flag",
        dev.pin(a, 1, API_PIN_FAST, 1 << 7),
        Errno::EINVAL,
    );
    let mut p = PinbenchPin {
        addr: a,
        nr_pages: 1,
        api: API_PIN_FAST,
        reserved: 1,
        ..Default::default()
    };
    c.expect_errno("reserved-nonzero", dev.pin_raw(&mut p), Errno::EINVAL);
    c.expect_errno(
        "longterm-with-get",
        dev.pin(a, 1, API_GET_FAST, F_LONGTERM),
        Errno::EINVAL,
    );
    c.expect_errno(
        "unknown-slot",
        dev.unpin(info.max_slots + 5, false),
        Errno::EBADSLT,
    );
    c.expect_errno("empty-slot", dev.unpin(0, false), Errno::ENOENT);
    c.expect_errno("pfns-empty-slot", dev.pfns(1, 4), Errno::ENOENT);
    c.expect_errno(
        "unpin-unknown-flag",
        {
            let mut u = PinbenchUnpin {
                slot: 0,
                flags: 1 << 5,
                ..Default::default()
            };
            unsafe { ioc_unpin(dev.fd(), &mut u) }
        },
        Errno::EINVAL,
    );
    // Bad user pointers: the argument itself, and output arrays.
    c.expect_errno(
        "bad-arg-pointer",
        dev.raw_ioctl(request::PIN, 8),
        Errno::EFAULT,
    );
    c.expect_errno(
        "bad-info-pointer",
        dev.raw_ioctl(request::INFO, 0xffff_8880_0000_0000),
        Errno::EFAULT,
    );
    let mut b = PinbenchBench {
        addr: a,
        nr_pages: 4,
        api: API_PIN_FAST,
        iterations: 4,
        pin_ns_ptr: 16,
        unpin_ns_ptr: 16,
        ..Default::default()
    };
    c.expect_errno("bench-bad-output", dev.bench_raw(&mut b), Errno::EFAULT);
    let mut b = PinbenchBench {
        addr: a,
        nr_pages: 4,
        api: API_PIN_FAST,
        iterations: 0,
        ..Default::default()
    };
    c.expect_errno(
        "bench-zero-iterations",
        dev.bench_raw(&mut b),
        Errno::ERANGE,
    );
    c.expect_errno(
        "bench-too-many-iterations",
        dev.bench(a, 1, API_PIN_FAST, 0, info.max_bench_iters + 1),
        Errno::ERANGE,
    );
    c.expect_errno(
        "unknown-ioctl",
        dev.raw_ioctl(nix::request_code_none!(PINBENCH_IOC_MAGIC, 0x3f), 0),
        Errno::ENOTTY,
    );
    // Slot queries.
    let p = dev.pin(a, 8, API_PIN_FAST, 0).unwrap();
    let slot = p.slot.unwrap();
    c.expect_errno("pfns-small-array", dev.pfns(slot, 4), Errno::ERANGE);
    let mut q = PinbenchSlotQuery {
        slot,
        nr: 8,
        out_ptr: 24,
        sum_ptr: 0,
    };
    c.expect_errno(
        "pfns-bad-array",
        dev.query_raw(false, &mut q),
        Errno::EFAULT,
    );
    let mut out = [0u64; 8];
    let mut q = PinbenchSlotQuery {
        slot,
        nr: 8,
        out_ptr: out.as_mut_ptr() as u64,
        sum_ptr: 24,
    };
    c.expect_errno(
        "read-bad-sum-array",
        dev.query_raw(true, &mut q),
        Errno::EFAULT,
    );
    c.expect_errno("write-through-read-pin", dev.write(slot, 1), Errno::EPERM);
    let mut w = PinbenchWrite {
        slot,
        reserved: 3,
        ..Default::default()
    };
    c.expect_errno(
        "write-reserved-nonzero",
        dev.write_raw(&mut w),
        Errno::EINVAL,
    );
    c.expect_errno(
        "dirty-unpin-of-read-pin",
        dev.unpin(slot, true),
        Errno::EPERM,
    );
    let mut q = PinbenchSlotQuery {
        slot,
        nr: 8,
        out_ptr: out.as_mut_ptr() as u64,
        sum_ptr: out.as_mut_ptr() as u64,
    };
    c.expect_errno(
        "pfns-with-sum-array",
        dev.query_raw(false, &mut q),
        Errno::EINVAL,
    );
    dev.unpin(slot, false).unwrap();
    // Too many slots.
    c.check(
        "slots-exhausted",
        (|| {
            let d2 = Device::open()?;
            for i in 0..info.max_slots {
                let p = d2
                    .pin(a, 1, API_PIN_FAST, 0)
                    .map_err(|e| format!("pin {i}: {e}"))?;
                ensure(p.slot.is_some(), || format!("pin {i}: {p:?}"))?;
            }
            match d2.pin(a, 1, API_PIN_FAST, 0) {
                Err(Errno::ENOSPC) => Ok(()),
                other => Err(format!("expected ENOSPC, got {other:?}")),
            }
            // d2 closes with max_slots pins held: release() must unpin them all.
        })(),
    );
}

/// inject_ns makes every timed pin slower by at least that much.
fn inject(c: &mut Checks, dev: &Device) {
    let ps = page_size();
    c.check(
        "inject-ns",
        (|| {
            let mut m = Mapping::anon_rw(4 * ps).map_err(|e| e.to_string())?;
            m.fill_pattern(1, ps);
            let base = median(
                &mut dev
                    .bench(m.addr(), 4, API_PIN_FAST, 0, 50)
                    .map_err(|e| e.to_string())?
                    .pin_ns,
            );
            set_inject_ns(100_000)?;
            let slow = dev.bench(m.addr(), 4, API_PIN_FAST, 0, 50);
            let info = dev.info();
            set_inject_ns(0)?;
            let mut slow = slow.map_err(|e| e.to_string())?.pin_ns;
            ensure(info.map(|i| i.inject_ns) == Ok(100_000), || {
                "INFO does not report inject_ns".into()
            })?;
            // The busy wait runs until 100 us have passed inside the timed region, so every
            // slowed pin takes at least that long, whatever the host does. (Comparing with
            // the unslowed median instead failed under host load: the two batches see
            // different noise.)
            let fastest = slow.iter().copied().min().unwrap_or(0);
            ensure(fastest >= 100_000, || {
                format!("a pin took {fastest} ns with inject_ns=100000 (the delay must be inside every timed pin)")
            })?;
            let slow = median(&mut slow);
            ensure(slow > base, || {
                format!("median pin {base} ns -> {slow} ns with inject_ns=100000")
            })
        })(),
    );
}

/// Random ioctls. Output pointers only ever point into a scratch area or at invalid
/// addresses, and pin addresses only into a scratch buffer or invalid ranges, so the fuzzer
/// cannot corrupt its own memory through WRITE or output arrays.
fn fuzz(c: &mut Checks, n: u64, seed: u64) {
    let ps = page_size() as u64;
    let scratch_pages = 64u64;
    let mut buf = Mapping::anon_rw((scratch_pages * ps) as usize).unwrap();
    buf.fill_pattern(seed, ps as usize);
    let hole = Mapping::anon(
        (16 * ps) as usize,
        ProtFlags::PROT_NONE,
        nix::sys::mman::MapFlags::MAP_PRIVATE,
    )
    .unwrap();
    let mut out = Mapping::anon_rw(1 << 20).unwrap();
    let out_base = out.addr();
    let out_len = out.len as u64;
    let _ = out.bytes_mut();
    let mut rng = SmallRng::seed_from_u64(seed);
    let dev = match Device::open() {
        Ok(d) => d,
        Err(e) => return c.check("fuzz", Err(e)),
    };
    let mut answers = std::collections::BTreeMap::<String, u64>::new();
    let mut arg = vec![0u64; 16];
    for _ in 0..n {
        let addr = |rng: &mut SmallRng| -> u64 {
            match rng.gen_range(0..10) {
                0..=4 => buf.addr() + rng.gen_range(0..scratch_pages) * ps,
                5 => hole.addr() + rng.gen_range(0..16) * ps,
                6 => buf.addr() + rng.gen_range(0..scratch_pages * ps),
                7 => 0xffff_8000_0000_0000 | (rng.gen::<u64>() & !0xfff),
                8 => u64::MAX - rng.gen_range(0..4) * ps,
                _ => rng.gen::<u64>() & 0xfff,
            }
        };
        let outp = |rng: &mut SmallRng| -> u64 {
            match rng.gen_range(0..6) {
                0..=3 => out_base + (rng.gen_range(0..out_len / 2) & !7),
                4 => 0,
                _ => 0xffff_8000_0000_0000 | rng.gen::<u64>(),
            }
        };
        let small = |rng: &mut SmallRng| -> u64 {
            match rng.gen_range(0..5) {
                0 => 0,
                1..=3 => rng.gen_range(1..80),
                _ => rng.gen::<u32>() as u64,
            }
        };
        let nr = rng.gen_range(0..9u64);
        let req = match nr {
            0 => request::INFO,
            1 => request::PIN,
            2 => request::UNPIN,
            3 => request::BENCH,
            4 => request::PFNS,
            5 => request::READ,
            6 => request::WRITE,
            7 => nix::request_code_readwrite!(
                PINBENCH_IOC_MAGIC,
                rng.gen_range(0..32u8),
                rng.gen_range(0..128usize)
            ),
            _ => {
                [request::PIN, request::BENCH, request::READ][rng.gen_range(0..3)]
                    ^ (1 << rng.gen_range(16..30))
            }
        };
        // Fill the argument struct with plausible or random words.
        for w in arg.iter_mut() {
            *w = rng.gen();
        }
        match nr {
            1 => {
                arg[0] = addr(&mut rng);
                arg[1] = small(&mut rng) | (rng.gen_range(0..6u64) << 32);
                arg[2] = (rng.gen_range(0..9u64)) | if rng.gen_bool(0.8) { 0 } else { 1 << 32 };
            }
            2 => arg[0] = rng.gen_range(0..70u64) | (rng.gen_range(0..3u64) << 32),
            3 => {
                arg[0] = addr(&mut rng);
                arg[1] = rng.gen_range(0..80u64) | (rng.gen_range(0..6u64) << 32);
                arg[2] = rng.gen_range(0..9u64) | (rng.gen_range(0..40u64) << 32);
                arg[3] = outp(&mut rng);
                arg[4] = outp(&mut rng);
            }
            4 | 5 => {
                arg[0] = rng.gen_range(0..70u64) | (rng.gen_range(0..100u64) << 32);
                arg[1] = outp(&mut rng);
                arg[2] = if rng.gen_bool(0.5) { 0 } else { outp(&mut rng) };
            }
            6 => {
                arg[0] = rng.gen_range(0..70u64) | if rng.gen_bool(0.9) { 0 } else { 1 << 32 };
                arg[1] = rng.gen();
            }
            _ => {}
        }
        let argp = match rng.gen_range(0..20) {
            0 => 0,
            1 => 0xffff_8000_0000_0000 | rng.gen::<u64>(),
            _ => arg.as_mut_ptr() as u64,
        };
        let r = dev.raw_ioctl(req, argp);
        let key = match r {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("{e:?}"),
        };
        *answers.entry(key).or_default() += 1;
    }
    eprintln!("fuzz: {n} ioctls, seed {seed}, answers {answers:?}");
    drop(dev);
    let after = Device::open().and_then(|d| d.info().map_err(|e| e.to_string()));
    c.check(
        "fuzz",
        match after {
            Ok(i) if i.abi_version == PINBENCH_ABI_VERSION => Ok(()),
            Ok(i) => Err(format!("INFO after fuzz: {i:?}")),
            Err(e) => Err(format!("module no longer answers INFO after fuzz: {e}")),
        },
    );
    let em = Emitter::new("selftest");
    em.record(
        &["fuzz-calls"],
        "selftest.fuzz_calls",
        &[("seed", seed.to_string())],
        "count",
        Value::Scalar { value: n as f64 },
    );
    for (k, v) in answers {
        em.record(
            &["fuzz-answers", &k],
            "selftest.fuzz_answers",
            &[("answer", k.clone())],
            "count",
            Value::Scalar { value: v as f64 },
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let quick = args.iter().any(|a| a == "--quick");
    let fuzz_n = arg("--fuzz").unwrap_or(if quick { 2_000 } else { 10_000 });
    let seed = arg("--seed").unwrap_or(0x9b1d);
    let (dev, info) = match Device::open_checked() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("selftest: {e}");
            std::process::exit(2);
        }
    };
    let mut c = Checks {
        em: Emitter::new("selftest"),
        failed: 0,
        passed: 0,
    };
    functional(&mut c, &dev, &info);
    misuse(&mut c, &dev, &info);
    inject(&mut c, &dev);
    drop(dev);
    fuzz(&mut c, fuzz_n, seed);
    c.check(
        "pin-counters-balance",
        match procfs::pin_counters() {
            Ok((a, r)) if a == r => Ok(()),
            Ok((a, r)) => Err(format!(
                "nr_foll_pin_acquired {a} != nr_foll_pin_released {r}"
            )),
            Err(e) => Err(e.to_string()),
        },
    );
    eprintln!("selftest: {} passed, {} failed", c.passed, c.failed);
    std::process::exit(if c.failed == 0 { 0 } else { 1 });
}
