//! criterion benchmark of `compare`: 2 runs × 1,000 metrics × 100 samples, the size of a
//! full pin-latency matrix (target: under 1 s on 2 cores). The run directories are written
//! through the results crate's store, so loading and parsing are measured too.
//!
//! `cargo bench -p report --bench compare` prints one cold timing first, then criterion's.

use criterion::{criterion_group, criterion_main, Criterion};
use report::compare::{compare_specs, CompareOptions};
use results::protocol::{GuestEvent, Record, Value};
use results::{store, BootRun, HostInfo, KernelRun, KernelStatus, RunMeta};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

const METRICS: usize = 1000;
const SAMPLES: usize = 100;

/// A deterministic pseudo-random stream (splitmix64) so that runs differ by noise only.
fn noise(seed: u64, i: u64) -> f64 {
    let mut z = seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// One run of one kernel, its samples split over `boots` boots; every tenth metric is
/// `slow` times slower.
fn write_run(dir: &Path, seed: u64, slow: f64, boots: usize) {
    store::create_run_dir(dir).unwrap();
    std::fs::create_dir(dir.join("k")).unwrap();
    let mut boot_runs = Vec::new();
    for boot in 0..boots {
        let mut text = serde_json::to_string(&GuestEvent::Hello {
            schema_version: results::SCHEMA_VERSION,
            release: "6.12".into(),
            proc_version: "Linux".into(),
            page_size: 4096,
            boot_ns: 1,
            thp: None,
        })
        .unwrap();
        text.push('\n');
        for m in 0..METRICS {
            let f = if m % 10 == 0 { slow } else { 1.0 };
            let per = SAMPLES / boots;
            let values = (boot * per..(boot + 1) * per)
                .map(|s| (1000.0 + 50.0 * noise(seed, (m * SAMPLES + s) as u64)) * f)
                .collect();
            let r = Record {
                id: format!("bench/cell{m}/ns_per_call"),
                metric: "bench.ns_per_call".into(),
                workload: "bench".into(),
                params: BTreeMap::new(),
                unit: "ns".into(),
                value: Value::Samples { values },
            };
            text.push_str(&r.to_line());
            text.push('\n');
        }
        let results = format!("k/results-{}.jsonl", boot + 1);
        store::write_atomic(&dir.join(&results), text.as_bytes()).unwrap();
        boot_runs.push(BootRun {
            index: boot as u32 + 1,
            results,
            console: format!("k/console-{}.log", boot + 1),
            boot_seconds: None,
            vm_seconds: None,
            records: METRICS as u64,
            kernel_problems: vec![],
            status: KernelStatus::Ok,
            early_panics: vec![],
        });
    }
    let meta = RunMeta {
        schema_version: results::SCHEMA_VERSION,
        command_line: vec![],
        started: "2026-01-01T00:00:00Z".into(),
        finished: None,
        complete: true,
        harness_revision: "bench".into(),
        host: HostInfo::default(),
        accel: "tcg".into(),
        clock: "wall".into(),
        memory_mib: 1024,
        cpus: 2,
        quick: false,
        repeat: 1,
        workloads: vec!["bench".into()],
        kernels: vec![KernelRun {
            name: "k".into(),
            spec: "k".into(),
            dir: "k".into(),
            release: "6.12".into(),
            proc_version: None,
            config_digest: None,
            config_options: BTreeMap::new(),
            page_size: Some(4096),
            module_digest: None,
            boots: boot_runs,
            status: KernelStatus::Ok,
        }],
    };
    store::write_json_atomic(&dir.join("run.json"), &meta).unwrap();
}

fn bench(c: &mut Criterion) {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    write_run(&a, 1, 1.0, 1);
    write_run(&b, 2, 1.10, 1);
    let (a, b) = (a.display().to_string(), vec![b.display().to_string()]);
    // One boot a side, as a quick run gives: verdicts need `min_boots` 1 on the wall clock.
    let opts = CompareOptions {
        min_boots: Some(1),
        ..CompareOptions::default()
    };

    let t = Instant::now();
    let cmp = compare_specs(&a, &b, &opts).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let counts = cmp.counts(0);
    println!(
        "compare, 2 runs x {METRICS} metrics x {SAMPLES} samples, {} threads: {secs:.3} s \
         (target < 1 s) — {} regressed, {} unchanged, {} inconclusive",
        rayon::current_num_threads(),
        counts.regressed,
        counts.unchanged,
        counts.inconclusive
    );
    assert_eq!(counts.regressed, METRICS / 10, "the slowed metrics regress");

    // The same samples over as many boots a side as the wall clock needs for a verdict: the
    // two-level bootstrap's path (wall-clock defaults), timed once.
    let boots = report::compare::default_min_boots("wall");
    let (ak, bk) = (d.path().join("ak"), d.path().join("bk"));
    write_run(&ak, 1, 1.0, boots);
    write_run(&bk, 2, 1.10, boots);
    let t = Instant::now();
    let cmpk = compare_specs(
        &ak.display().to_string(),
        &[bk.display().to_string()],
        &CompareOptions::default(),
    )
    .unwrap();
    println!(
        "compare, same data as {boots} boots a side (two-level bootstrap): {:.3} s — {} regressed",
        t.elapsed().as_secs_f64(),
        cmpk.counts(0).regressed
    );
    assert_eq!(
        cmpk.counts(0).regressed,
        METRICS / 10,
        "the slowed metrics regress with boots too"
    );

    c.bench_function("compare 2 runs x 1000 metrics x 100 samples", |bench| {
        bench.iter(|| compare_specs(&a, &b, &opts).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
