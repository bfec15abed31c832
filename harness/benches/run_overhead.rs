//! Bench: how much of a quick `pinbench run` is spent outside QEMU.
//!
//! Runs `pinbench run --kernel debian:6.1 --kernel debian:6.12 --quick --jobs 1` twice (the
//! first warms the cache: downloads and module builds are not what this measures), then
//! prints per kernel the boot-to-first-result seconds, and the share of the second run's
//! wall time spent outside QEMU (target: under 10%).
//!
//! `cargo bench -p harness --bench run_overhead`

use std::process::Command;
use std::time::Instant;

fn run(out: &std::path::Path) -> f64 {
    let t = Instant::now();
    let st = Command::new(env!("CARGO_BIN_EXE_pinbench"))
        .args([
            "run",
            "--kernel",
            "debian:6.1",
            "--kernel",
            "debian:6.12",
            "--quick",
            "--jobs",
            "1",
            "--out",
        ])
        .arg(out)
        .status()
        .expect("run pinbench");
    assert!(st.success(), "pinbench run failed: {st}");
    t.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let warm = run(&d.path().join("warm"));
    let wall = run(&d.path().join("measured"));
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("measured/run.json")).unwrap())
            .unwrap();
    let mut in_qemu = 0.0;
    println!("warm-up run (downloads, module builds): {warm:.1} s");
    println!(
        "{:<14} {:>22} {:>14}",
        "kernel", "boot-to-first-result s", "VM seconds"
    );
    for k in meta["kernels"].as_array().unwrap() {
        for b in k["boots"].as_array().unwrap() {
            let vm = b["vm_seconds"].as_f64().unwrap();
            in_qemu += vm;
            println!(
                "{:<14} {:>22.2} {:>14.2}",
                k["name"].as_str().unwrap(),
                b["boot_seconds"].as_f64().unwrap(),
                vm
            );
        }
    }
    let outside = (wall - in_qemu) / wall;
    println!("quick run wall {wall:.2} s, inside QEMU {in_qemu:.2} s, outside QEMU {:.1}% (target < 10%): {}", outside * 100.0, if outside < 0.10 { "OK" } else { "OVER TARGET" });
}
