//! Compiles a C program against `kernels/module/pinbench_abi.h` and checks that every struct
//! size, field offset, ioctl number and constant of the Rust mirror (`workloads::abi`)
//! matches it. Needs a C compiler and the Linux UAPI headers (Debian: gcc, linux-libc-dev).

use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};
use std::process::Command;
use workloads::abi::*;

macro_rules! fields {
    ($out:ident, $cty:literal, $ty:ty, [$($f:ident),* $(,)?]) => {
        $out.insert(format!("sizeof {}", $cty), size_of::<$ty>() as u64);
        $( $out.insert(format!("{}.{}", $cty, stringify!($f)), offset_of!($ty, $f) as u64); )*
    };
}

fn rust_side() -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    fields!(
        m,
        "pinbench_info",
        PinbenchInfo,
        [
            abi_version,
            page_size,
            max_pages,
            max_slots,
            max_bench_iters,
            api_mask,
            flag_mask,
            kernel_version,
            inject_ns,
            release
        ]
    );
    fields!(
        m,
        "pinbench_pin",
        PinbenchPin,
        [addr, nr_pages, api, flags, reserved, slot, pinned, error, pad, ns]
    );
    fields!(
        m,
        "pinbench_unpin",
        PinbenchUnpin,
        [slot, flags, released, pad, ns]
    );
    fields!(
        m,
        "pinbench_bench",
        PinbenchBench,
        [
            addr,
            nr_pages,
            api,
            flags,
            iterations,
            pin_ns_ptr,
            unpin_ns_ptr,
            cold_pin_ns,
            cold_unpin_ns,
            cold_pinned,
            min_pinned,
            completed,
            error
        ]
    );
    fields!(
        m,
        "pinbench_slot_query",
        PinbenchSlotQuery,
        [slot, nr, out_ptr, sum_ptr]
    );
    fields!(
        m,
        "pinbench_write",
        PinbenchWrite,
        [slot, reserved, pattern, ns]
    );
    let consts: &[(&str, u64)] = &[
        ("PINBENCH_ABI_VERSION", PINBENCH_ABI_VERSION as u64),
        ("PINBENCH_IOC_MAGIC", PINBENCH_IOC_MAGIC as u64),
        ("PINBENCH_RELEASE_LEN", PINBENCH_RELEASE_LEN as u64),
        ("PINBENCH_NO_SLOT", PINBENCH_NO_SLOT as u64),
        ("PINBENCH_API_PIN_FAST", API_PIN_FAST as u64),
        ("PINBENCH_API_PIN", API_PIN as u64),
        ("PINBENCH_API_PIN_UNLOCKED", API_PIN_UNLOCKED as u64),
        ("PINBENCH_API_GET_FAST", API_GET_FAST as u64),
        ("PINBENCH_API_GET_FAST_ONLY", API_GET_FAST_ONLY as u64),
        ("PINBENCH_API_COUNT", API_COUNT as u64),
        ("PINBENCH_F_WRITE", F_WRITE as u64),
        ("PINBENCH_F_LONGTERM", F_LONGTERM as u64),
        ("PINBENCH_F_FORCE", F_FORCE as u64),
        ("PINBENCH_F_ALL", F_ALL as u64),
        ("PINBENCH_UNPIN_DIRTY", UNPIN_DIRTY as u64),
        ("PINBENCH_UNPIN_ALL", UNPIN_ALL as u64),
        ("PINBENCH_IOC_INFO", request::INFO),
        ("PINBENCH_IOC_PIN", request::PIN),
        ("PINBENCH_IOC_UNPIN", request::UNPIN),
        ("PINBENCH_IOC_BENCH", request::BENCH),
        ("PINBENCH_IOC_PFNS", request::PFNS),
        ("PINBENCH_IOC_READ", request::READ),
        ("PINBENCH_IOC_WRITE", request::WRITE),
    ];
    for (k, v) in consts {
        m.insert(k.to_string(), *v);
    }
    m
}

/// Every `name` above becomes a printf line in the C program, so the C side is generated
/// from the same list and cannot silently skip a field.
fn c_program(keys: &[String]) -> String {
    let mut s = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include \"pinbench_abi.h\"\nint main(void) {\n",
    );
    for k in keys {
        let expr = if let Some(ty) = k.strip_prefix("sizeof ") {
            format!("sizeof(struct {ty})")
        } else if let Some((ty, f)) = k.split_once('.') {
            format!("offsetof(struct {ty}, {f})")
        } else {
            k.clone()
        };
        s.push_str(&format!(
            "  printf(\"%s=%llu\\n\", \"{k}\", (unsigned long long)({expr}));\n"
        ));
    }
    s.push_str("  return 0;\n}\n");
    s
}

#[test]
fn rust_mirror_matches_c_header() {
    let header_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../kernels/module");
    let rust = rust_side();
    let keys: Vec<String> = rust.keys().cloned().collect();
    let dir = std::env::temp_dir().join(format!("pinbench-abi-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, c_program(&keys)).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-Wall", "-Werror", "-std=c11", "-I", header_dir, "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("cannot run C compiler `{cc}` ({e}): install gcc"));
    assert!(
        out.status.success(),
        "C layout program failed to compile:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success());
    let c: BTreeMap<String, u64> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    let mismatches: Vec<String> = rust
        .iter()
        .filter(|(k, v)| c.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: rust {v}, C {:?}", c.get(k)))
        .collect();
    assert!(
        mismatches.is_empty(),
        "ABI mismatch between abi.rs and pinbench_abi.h:\n{}",
        mismatches.join("\n")
    );
    assert_eq!(c.len(), rust.len());
}

/// Every field the C header declares must be mirrored: count `__u64`/`__u32` members per
/// struct in the header text and compare with the Rust field lists above.
#[test]
fn every_header_field_is_mirrored() {
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kernels/module/pinbench_abi.h"
    ))
    .unwrap();
    let rust = rust_side();
    let mut current: Option<String> = None;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for line in header.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("struct ") {
            if let Some(name) = rest.strip_suffix(" {") {
                current = Some(name.to_string());
                continue;
            }
        }
        if t.starts_with("};") {
            current = None;
        }
        if let Some(cur) = &current {
            if t.starts_with("__u64") || t.starts_with("__u32") {
                *counts.entry(cur.clone()).or_default() += 1;
            }
        }
    }
    assert_eq!(counts.len(), 6, "structs in header: {counts:?}");
    for (s, n) in counts {
        let mirrored = rust
            .keys()
            .filter(|k| k.starts_with(&format!("{s}.")))
            .count();
        assert_eq!(
            mirrored, n,
            "struct {s}: header has {n} fields, Rust mirror checks {mirrored}"
        );
    }
}
