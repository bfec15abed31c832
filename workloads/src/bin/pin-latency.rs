//! `pin-latency`: for each buffer kind × pin mode × API × size, the behaviour (pages
//! pinned or errno) and, where it succeeds, in-kernel BENCH samples: ns per call and per
//! page, with the cold first pin (which includes faults) kept apart.
//!
//! Usage: `pin-latency [--quick] [--iterations N] [--kinds K,..] [--modes M,..] [--apis A,..]
//! [--sizes N,..]` (the filters narrow the matrix, e.g. for a focused comparison).

use results::Value;
use workloads::abi::*;
use workloads::buffers::{Buffer, KINDS};
use workloads::dev::Device;
use workloads::emit::{errno_name, outcome, Emitter};

/// Pin modes: name and PINBENCH_F_* flags.
pub const MODES: &[(&str, u32)] = &[
    ("read", 0),
    ("write", F_WRITE),
    ("longterm-read", F_LONGTERM),
    ("longterm-write", F_LONGTERM | F_WRITE),
    ("longterm-write-force", F_LONGTERM | F_WRITE | F_FORCE),
];

/// Kinds backed by a file whose mapping a pin could replace by an anonymous copy.
const FILE_BACKED: &[&str] = &["rodata", "file-ro-private", "file-ro-shared"];

/// Verdict on the pages mapped at `addr`: "file" (every page is a page-cache page, pagemap
/// bit 61), "anon-copy" (none is: they are private anonymous copies), "mixed", or why it
/// could not be read.
fn mapped_page(addr: u64, pages: usize) -> Value {
    use std::os::unix::fs::FileExt;
    let ps = workloads::mem::page_size() as u64;
    let mut buf = vec![0u8; pages * 8];
    let read = std::fs::File::open("/proc/self/pagemap")
        .and_then(|f| f.read_exact_at(&mut buf, (addr / ps) * 8));
    if let Err(e) = read {
        return Value::Skip {
            reason: format!("/proc/self/pagemap: {e}"),
        };
    }
    let entries: Vec<u64> = buf
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    let file = entries.iter().filter(|e| *e >> 61 & 1 == 1).count();
    let verdict = match file {
        n if n == entries.len() => "file",
        0 => "anon-copy",
        _ => "mixed",
    };
    Value::Verdict {
        verdict: verdict.into(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let iterations = args
        .iter()
        .position(|a| a == "--iterations")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 30 } else { 200 });
    let (dev, info) = match Device::open_checked() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("pin-latency: {e}");
            std::process::exit(2);
        }
    };
    let em = Emitter::new("pin-latency");
    let list = |name: &str| -> Option<Vec<String>> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.split(',').map(str::to_string).collect())
    };
    let size_arg: Option<Vec<usize>> =
        list("--sizes").map(|v| v.iter().filter_map(|s| s.parse().ok()).collect());
    // THP buffers are whole huge pages: 2 MiB and 32 MiB instead of the base-page sizes.
    let sizes_for = |kind: &str| -> Vec<usize> {
        match (&size_arg, kind) {
            (Some(v), _) => v.clone(),
            (None, "thp") => vec![512, 8192],
            (None, _) if quick => vec![1, 512],
            (None, _) => vec![1, 16, 512],
        }
    };
    let apis: Vec<u32> = match list("--apis") {
        Some(v) => v.iter().filter_map(|s| api_from_name(s)).collect(),
        None if quick => vec![API_PIN_FAST, API_PIN, API_GET_FAST_ONLY],
        None => (0..API_COUNT).collect(),
    };
    let kinds: Vec<&str> = match list("--kinds") {
        Some(v) => KINDS
            .iter()
            .copied()
            .filter(|k| v.iter().any(|x| x == k))
            .collect(),
        None => KINDS.to_vec(),
    };
    let modes: Vec<(&str, u32)> = match list("--modes") {
        Some(v) => MODES
            .iter()
            .copied()
            .filter(|(m, _)| v.iter().any(|x| x == m))
            .collect(),
        None => MODES.to_vec(),
    };
    let mut cells = 0u32;
    for &kind in &kinds {
        for &(mode, flags) in &modes {
            for &api in &apis {
                for pages in sizes_for(kind) {
                    cells += 1;
                    let size = format!("{pages}p");
                    let apin = api_name(api);
                    let params = [
                        ("kind", kind.to_string()),
                        ("mode", mode.to_string()),
                        ("api", apin.to_string()),
                        ("pages", pages.to_string()),
                    ];
                    let id = [kind, mode, apin, size.as_str()];
                    let with =
                        |m: &'static str| -> Vec<&str> { id.iter().copied().chain([m]).collect() };
                    if info.api_mask & (1 << api) == 0 {
                        em.record(
                            &with("outcome"),
                            "pin-latency.outcome",
                            &params,
                            "pages",
                            Value::Skip {
                                reason: format!("{apin} is not available on this kernel"),
                            },
                        );
                        continue;
                    }
                    if flags & F_LONGTERM != 0 && (api == API_GET_FAST || api == API_GET_FAST_ONLY)
                    {
                        em.record(
                            &with("outcome"),
                            "pin-latency.outcome",
                            &params,
                            "pages",
                            Value::Skip {
                                reason: "FOLL_LONGTERM is only meaningful with FOLL_PIN APIs"
                                    .into(),
                            },
                        );
                        continue;
                    }
                    let buf = match Buffer::new(kind, pages) {
                        Ok(b) => b,
                        Err(reason) => {
                            em.record(
                                &with("outcome"),
                                "pin-latency.outcome",
                                &params,
                                "pages",
                                Value::Skip { reason },
                            );
                            continue;
                        }
                    };
                    // The first pin: behaviour, and its cost including faults.
                    let first = match dev.pin(buf.addr, pages as u32, api, flags) {
                        Ok(r) => r,
                        Err(e) => {
                            em.record(
                                &with("outcome"),
                                "pin-latency.outcome",
                                &params,
                                "pages",
                                Value::Skip {
                                    reason: format!(
                                        "module refused the request: {}",
                                        errno_name(e)
                                    ),
                                },
                            );
                            continue;
                        }
                    };
                    em.record(
                        &with("outcome"),
                        "pin-latency.outcome",
                        &params,
                        "pages",
                        outcome(pages as u64, first.pinned as u64, first.error),
                    );
                    // What the process maps after a pin of a file-backed kind: still the
                    // file's pages, or anonymous copies (a pin that broke COW).
                    if first.pinned > 0 && FILE_BACKED.contains(&kind) {
                        em.record(
                            &with("mapped_page"),
                            "pin-latency.mapped_page",
                            &params,
                            "verdict",
                            mapped_page(buf.addr, pages),
                        );
                    }
                    if let Some(slot) = first.slot {
                        let _ = dev.unpin(slot, false);
                    }
                    if first.pinned == 0 {
                        continue;
                    }
                    em.record(
                        &with("first_pin_ns"),
                        "pin-latency.first_pin_ns",
                        &params,
                        "ns",
                        Value::Scalar {
                            value: first.ns as f64,
                        },
                    );
                    match dev.bench(buf.addr, pages as u32, api, flags, iterations) {
                        Ok(b) if !b.pin_ns.is_empty() => {
                            em.record(
                                &with("cold_ns"),
                                "pin-latency.cold_ns",
                                &params,
                                "ns",
                                Value::Scalar {
                                    value: b.cold_pin_ns as f64,
                                },
                            );
                            let per_call: Vec<f64> = b.pin_ns.iter().map(|&t| t as f64).collect();
                            let per_page: Vec<f64> = b
                                .pin_ns
                                .iter()
                                .map(|&t| t as f64 / b.min_pinned.max(1) as f64)
                                .collect();
                            let unpin: Vec<f64> = b.unpin_ns.iter().map(|&t| t as f64).collect();
                            em.record(
                                &with("ns_per_call"),
                                "pin-latency.ns_per_call",
                                &params,
                                "ns",
                                Value::Samples { values: per_call },
                            );
                            em.record(
                                &with("ns_per_page"),
                                "pin-latency.ns_per_page",
                                &params,
                                "ns",
                                Value::Samples { values: per_page },
                            );
                            em.record(
                                &with("unpin_ns"),
                                "pin-latency.unpin_ns",
                                &params,
                                "ns",
                                Value::Samples { values: unpin },
                            );
                        }
                        Ok(b) => em.record(
                            &with("ns_per_call"),
                            "pin-latency.ns_per_call",
                            &params,
                            "ns",
                            Value::Skip {
                                reason: format!("BENCH stopped: {:?}", b.error),
                            },
                        ),
                        Err(e) => em.record(
                            &with("ns_per_call"),
                            "pin-latency.ns_per_call",
                            &params,
                            "ns",
                            Value::Skip {
                                reason: format!("BENCH refused: {}", errno_name(e)),
                            },
                        ),
                    }
                }
            }
        }
    }
    eprintln!("pin-latency: {cells} cells");
}
