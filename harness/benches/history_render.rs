//! Bench: the nightly history at scale. Writes a synthetic history of 365 nights × 500
//! speed metrics (one kernel, 20 samples a metric a night; 40 metrics with a 5% step at night
//! 200, the rest flat with 1% noise) through the results store, then times what a night adds
//! on top of its runs: loading every night's medians, change-point search over the whole year
//! (`compare_nights = 365`) and rendering the trend page. Target: under 5 s on 2 cores.
//! It also checks the page: every stepped metric charted with its change point.
//!
//! `cargo bench -p harness --bench history_render`

use harness::nightly::config::Config;
use harness::nightly::{load_series, trend_page, trends};
use results::history::{History, KernelIdentity, Night, HISTORY_SCHEMA_VERSION};
use results::{BootRun, GuestEvent, HostInfo, KernelRun, KernelStatus, Record, RunMeta, Value};
use std::collections::BTreeMap;
use std::time::Instant;

const NIGHTS: usize = 365;
const METRICS: usize = 500;
const STEPPED: usize = 40;

fn noise(seed: u64) -> f64 {
    // splitmix64 to a uniform in [-1, 1)
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

fn write_night(h: &History, i: usize) -> Night {
    let date = chrono_date(i);
    let run = format!("nights/{date}");
    let dir = h.dir.join(&run);
    std::fs::create_dir_all(dir.join("k")).unwrap();
    let mut text = serde_json::to_string(&GuestEvent::Hello {
        schema_version: results::SCHEMA_VERSION,
        release: "6.12.0".into(),
        proc_version: "Linux".into(),
        page_size: 4096,
        boot_ns: 1,
        thp: None,
    })
    .unwrap();
    text.push('\n');
    for m in 0..METRICS {
        let level = if m < STEPPED && i >= 200 {
            1050.0
        } else {
            1000.0
        };
        let values = (0..20)
            .map(|s| level * (1.0 + 0.01 * noise((i * 1_000_003 + m * 101 + s) as u64)))
            .collect();
        let id = if m == 0 {
            "pin-latency/anon-rw/read/pin-fast/512p/ns_per_page".to_string()
        } else {
            format!("synthetic/m{m}/ns_per_page")
        };
        let r = Record {
            id,
            metric: "synthetic.ns_per_page".into(),
            workload: "synthetic".into(),
            params: BTreeMap::new(),
            unit: "ns".into(),
            value: Value::Samples { values },
        };
        text.push_str(&r.to_line());
        text.push('\n');
    }
    std::fs::write(dir.join("k/results-1.jsonl"), text).unwrap();
    let meta = RunMeta {
        schema_version: results::SCHEMA_VERSION,
        command_line: vec!["bench".into()],
        started: format!("{date}T02:00:00Z"),
        finished: None,
        complete: true,
        harness_revision: "bench".into(),
        host: HostInfo::default(),
        accel: "tcg".into(),
        clock: "icount".into(),
        memory_mib: 1024,
        cpus: 1,
        quick: true,
        repeat: 1,
        workloads: vec!["synthetic".into()],
        kernels: vec![KernelRun {
            name: "k".into(),
            spec: "k".into(),
            dir: "k".into(),
            release: "6.12.0".into(),
            proc_version: None,
            config_digest: None,
            config_options: BTreeMap::new(),
            page_size: Some(4096),
            module_digest: None,
            boots: vec![BootRun {
                index: 1,
                results: "k/results-1.jsonl".into(),
                console: "k/console-1.log".into(),
                boot_seconds: None,
                vm_seconds: None,
                records: METRICS as u64,
                kernel_problems: vec![],
                status: KernelStatus::Ok,
                early_panics: vec![],
            }],
            status: KernelStatus::Ok,
        }],
    };
    results::store::write_json_atomic(&dir.join("run.json"), &meta).unwrap();
    Night {
        schema_version: HISTORY_SCHEMA_VERSION,
        date,
        run,
        kernels: vec![KernelIdentity {
            name: "k".into(),
            run_kernel: "k".into(),
            spec: "k".into(),
            release: "6.12.0".into(),
            config_digest: None,
            status: "ok".into(),
        }],
        complete: true,
    }
}

/// Night i as a date: days after 2025-01-01 (a simple proleptic count is enough here).
fn chrono_date(i: usize) -> String {
    let days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut m, mut d) = (0, i);
    while d >= days[m] {
        d -= days[m];
        m += 1;
    }
    format!("2025-{:02}-{:02}", m + 1, d + 1)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let h = History::new(t.path());
    let w = Instant::now();
    let nights: Vec<Night> = (0..NIGHTS).map(|i| write_night(&h, i)).collect();
    println!(
        "wrote {NIGHTS} nights x {METRICS} metrics in {:.1} s (setup, not timed)",
        w.elapsed().as_secs_f64()
    );

    let cfg = Config::parse(
        "kernels = [\"k\"]\nreference = \"k\"\ncompare_nights = 365\n",
        "bench",
    )
    .unwrap();
    let start = Instant::now();
    let series = load_series(&cfg, &h, &nights);
    let loaded = start.elapsed().as_secs_f64();
    let shifts = trends(&cfg, &series);
    let searched = start.elapsed().as_secs_f64() - loaded;
    let page = trend_page(&h, &series, &shifts, &nights);
    let total = start.elapsed().as_secs_f64();
    let stepped_found = (0..STEPPED)
        .filter(|m| {
            let id = if *m == 0 {
                "pin-latency/anon-rw/read/pin-fast/512p/ns_per_page".to_string()
            } else {
                format!("synthetic/m{m}/ns_per_page")
            };
            shifts
                .iter()
                .any(|s| s.metric == id && s.date == chrono_date(200))
        })
        .count();
    let false_alarms = shifts
        .iter()
        .filter(|s| {
            s.metric
                .strip_prefix("synthetic/m")
                .and_then(|r| r.split('/').next())
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n >= STEPPED)
        })
        .count();
    println!(
        "load {loaded:.2} s, change points {searched:.2} s, page {:.2} s; total {total:.2} s (target < 5 s): {}",
        total - loaded - searched,
        if total < 5.0 { "OK" } else { "OVER TARGET" }
    );
    println!(
        "{stepped_found}/{STEPPED} stepped metrics found at night 200, {false_alarms} change points in {} flat metrics; page {} KiB, {} charts",
        METRICS - STEPPED,
        page.len() / 1024,
        page.matches("<figure>").count()
    );
}
