//! `gup-test`: the cross-check against the kernel's own benchmark. Runs the kernel's
//! `gup_test` (tools/testing/selftests/mm, built by the harness from the same source tree
//! and shipped as /bin/gup_test) as PIN_FAST_BENCHMARK over 128 MiB of private anonymous
//! memory with THP off, 512 pages per pin_user_pages_fast() call, write pins; and beside
//! it pinbench's own BENCH of pin_user_pages_fast() on a 512-page buffer of the same kind.
//! Both are reported as ns per page.
//!
//! Usage: `gup-test [--quick] [--size-mib N] [--pages N] [--repeats N]`.
//! Kernels without /bin/gup_test (Debian binary kernels) or without CONFIG_GUP_TEST get a
//! skip record saying so.

use nix::sys::mman::MmapAdvise;
use results::Value;
use std::process::Command;
use workloads::abi::{API_PIN_FAST, F_WRITE};
use workloads::dev::Device;
use workloads::emit::{errno_name, Emitter};
use workloads::mem::{advise, page_size, Mapping};

const GUP_TEST: &str = "/bin/gup_test";

fn arg(args: &[String], name: &str) -> Option<usize> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

/// "PIN_FAST_BENCHMARK: Time: get:262 put:530 us" -> (262, 530)
fn parse_time(line: &str) -> Option<(u64, u64)> {
    let rest = line.split("Time: get:").nth(1)?;
    let (get, rest) = rest.split_once(" put:")?;
    let put = rest.split_whitespace().next()?;
    Some((get.trim().parse().ok()?, put.trim().parse().ok()?))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let size_mib = arg(&args, "--size-mib").unwrap_or(128);
    let pages = arg(&args, "--pages").unwrap_or(512);
    let repeats = arg(&args, "--repeats").unwrap_or(if quick { 5 } else { 20 });
    let ps = page_size();
    let total_pages = (size_mib << 20) / ps;
    let em = Emitter::new("gup-test");
    let params = [
        ("size_mib", size_mib.to_string()),
        ("pages", pages.to_string()),
        ("thp", "off".to_string()),
        ("api", "pin-fast".to_string()),
        ("mode", "write".to_string()),
    ];
    let skip = |id: &str, metric: &str, reason: String| {
        em.record(&[id], metric, &params, "ns", Value::Skip { reason });
    };

    // 1. The kernel's gup_test.
    if !std::path::Path::new(GUP_TEST).is_file() {
        skip(
            "kernel_pin_ns_per_page",
            "gup-test.kernel_pin_ns_per_page",
            "no /bin/gup_test: only kernels built from source (kernels/*.toml) with CONFIG_GUP_TEST ship it".into(),
        );
    } else {
        let out = Command::new(GUP_TEST)
            .args([
                "-a",
                "-T",
                "-m",
                &size_mib.to_string(),
                "-n",
                &pages.to_string(),
            ])
            .args(["-r", &repeats.to_string()])
            .output();
        match out {
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stdout);
                let times: Vec<(u64, u64)> = text.lines().filter_map(parse_time).collect();
                if times.is_empty() {
                    let tail: Vec<&str> = text.lines().rev().take(5).collect();
                    skip(
                        "kernel_pin_ns_per_page",
                        "gup-test.kernel_pin_ns_per_page",
                        format!(
                            "gup_test gave no timing ({}): {} {}",
                            o.status,
                            tail.join(" | "),
                            String::from_utf8_lossy(&o.stderr).trim()
                        ),
                    );
                } else {
                    let per_page =
                        |us: u64| -> f64 { us as f64 * 1000.0 / total_pages.max(1) as f64 };
                    em.record(
                        &["kernel_pin_ns_per_page"],
                        "gup-test.kernel_pin_ns_per_page",
                        &params,
                        "ns",
                        Value::Samples {
                            values: times.iter().map(|t| per_page(t.0)).collect(),
                        },
                    );
                    em.record(
                        &["kernel_unpin_ns_per_page"],
                        "gup-test.kernel_unpin_ns_per_page",
                        &params,
                        "ns",
                        Value::Samples {
                            values: times.iter().map(|t| per_page(t.1)).collect(),
                        },
                    );
                }
            }
            Err(e) => skip(
                "kernel_pin_ns_per_page",
                "gup-test.kernel_pin_ns_per_page",
                format!("running {GUP_TEST}: {e}"),
            ),
        }
    }

    // 2. pinbench's BENCH on the same kind of buffer.
    let dev = match Device::open_checked() {
        Ok((d, _)) => d,
        Err(e) => {
            eprintln!("gup-test: {e}");
            std::process::exit(2);
        }
    };
    let mut m = match Mapping::anon_rw(pages * ps) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("gup-test: mmap: {e}");
            std::process::exit(1);
        }
    };
    // THP off, as gup_test -T; then fault every page in with a write, as gup_test does.
    let _ = advise(m.addr(), pages * ps, MmapAdvise::MADV_NOHUGEPAGE);
    m.fill_pattern(0x6775_7074, ps);
    let iterations = if quick { 100 } else { 1000 };
    match dev.bench(m.addr(), pages as u32, API_PIN_FAST, F_WRITE, iterations) {
        Ok(b) if !b.pin_ns.is_empty() => {
            let n = b.min_pinned.max(1) as f64;
            em.record(
                &["pinbench_pin_ns_per_page"],
                "gup-test.pinbench_pin_ns_per_page",
                &params,
                "ns",
                Value::Samples {
                    values: b.pin_ns.iter().map(|&t| t as f64 / n).collect(),
                },
            );
            em.record(
                &["pinbench_unpin_ns_per_page"],
                "gup-test.pinbench_unpin_ns_per_page",
                &params,
                "ns",
                Value::Samples {
                    values: b.unpin_ns.iter().map(|&t| t as f64 / n).collect(),
                },
            );
        }
        Ok(b) => skip(
            "pinbench_pin_ns_per_page",
            "gup-test.pinbench_pin_ns_per_page",
            format!("BENCH stopped: {:?}", b.error),
        ),
        Err(e) => skip(
            "pinbench_pin_ns_per_page",
            "gup-test.pinbench_pin_ns_per_page",
            format!("BENCH refused: {}", errno_name(e)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gup_test_timing_lines() {
        assert_eq!(
            parse_time("# PIN_FAST_BENCHMARK: Time: get:262 put:530 us"),
            Some((262, 530))
        );
        assert_eq!(
            parse_time("# PIN_FAST_BENCHMARK: Time: get:5 put:7 us, truncated (size: 4096)"),
            Some((5, 7))
        );
        assert_eq!(parse_time("# Totals: pass:1 fail:0"), None);
    }
}
