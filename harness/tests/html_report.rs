//! The HTML report in a real browser: `pinbench report` and `pinbench compare --format html`
//! on synthetic run directories, opened in headless Chromium (no VM; a few seconds). It
//! must load with no console message, hold its SVG figures, and its screenshot must not be
//! blank. The checks themselves are tested first on pages that must fail them.

#[path = "support/chromium.rs"]
mod chromium;

use results::protocol::{GuestEvent, Record, Value};
use results::{BootRun, HostInfo, KernelRun, KernelStatus, RunMeta};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const EVIL: &str = "<script>alert(1)</script>";

fn record(id: &str, unit: &str, params: &[(&str, &str)], value: Value) -> Record {
    Record {
        id: format!("pin-latency/{id}"),
        metric: format!("pin-latency.{}", id.rsplit('/').next().unwrap()),
        workload: "pin-latency".into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        unit: unit.into(),
        value,
    }
}

/// Boots per kernel: the wall clock needs five a side for a verdict (`default_min_boots`).
const BOOTS: u32 = 5;

/// A run with two kernels of five (identical) boots; the second is 25% slower on rodata
/// and fails one pin.
fn write_run(dir: &Path) {
    results::store::create_run_dir(dir).unwrap();
    let mut kernels = Vec::new();
    for (ki, name) in ["debian:6.1", EVIL].iter().enumerate() {
        let kdir = format!("k{ki}");
        std::fs::create_dir(dir.join(&kdir)).unwrap();
        let slow = if ki == 0 { 1.0 } else { 1.25 };
        let mut lines = vec![serde_json::to_string(&GuestEvent::Hello {
            schema_version: results::SCHEMA_VERSION,
            release: "6.x".into(),
            proc_version: "Linux version 6.x".into(),
            page_size: 4096,
            boot_ns: 1,
            thp: None,
        })
        .unwrap()];
        for kind in ["anon-rw", "rodata"] {
            for mode in ["read", "longterm-read"] {
                let p = [
                    ("kind", kind),
                    ("mode", mode),
                    ("api", "pin-fast"),
                    ("pages", "16"),
                ];
                let f = if kind == "rodata" { slow } else { 1.0 };
                let values = (0..40)
                    .map(|i| (700.0 + (i % 7) as f64 * 3.0) * f)
                    .collect();
                let id = format!("{kind}/{mode}/pin-fast/16p");
                lines.push(
                    record(
                        &format!("{id}/ns_per_call"),
                        "ns",
                        &p,
                        Value::Samples { values },
                    )
                    .to_line(),
                );
                let pinned = if ki == 1 && mode == "longterm-read" && kind == "rodata" {
                    0
                } else {
                    16
                };
                lines.push(
                    record(
                        &format!("{id}/outcome"),
                        "pages",
                        &p,
                        Value::Outcome(results::Outcome {
                            requested: 16,
                            pinned,
                            errno: (pinned == 0).then(|| "EFAULT".to_string()),
                        }),
                    )
                    .to_line(),
                );
            }
        }
        let mut boots = Vec::new();
        for boot in 1..=BOOTS {
            let results = format!("{kdir}/results-{boot}.jsonl");
            let text = lines.join("\n") + "\n";
            results::store::write_atomic(&dir.join(&results), text.as_bytes()).unwrap();
            boots.push(BootRun {
                index: boot,
                results,
                console: format!("{kdir}/console-{boot}.log"),
                boot_seconds: Some(2.0),
                vm_seconds: Some(9.0),
                records: lines.len() as u64 - 1,
                kernel_problems: vec![],
                status: KernelStatus::Ok,
                early_panics: vec![],
            });
        }
        kernels.push(KernelRun {
            name: name.to_string(),
            spec: name.to_string(),
            dir: kdir.clone(),
            release: format!("6.{ki}.0-test"),
            proc_version: Some(format!("Linux version 6.{ki} {EVIL}")),
            config_digest: None,
            config_options: BTreeMap::new(),
            page_size: Some(4096),
            module_digest: None,
            boots,
            status: KernelStatus::Ok,
        });
    }
    let meta = RunMeta {
        schema_version: results::SCHEMA_VERSION,
        command_line: vec!["pinbench".into(), "run".into(), EVIL.into()],
        started: "2026-11-25T00:00:00Z".into(),
        finished: Some("2026-11-25T00:01:00Z".into()),
        complete: true,
        harness_revision: "test".into(),
        host: HostInfo {
            hostname: "h".into(),
            cpu_model: "Test CPU".into(),
            cpus: 2,
            qemu_version: "QEMU emulator version 7.2.22".into(),
            host_kernel: "6.1".into(),
        },
        accel: "tcg".into(),
        clock: "wall".into(),
        memory_mib: 1024,
        cpus: 2,
        quick: true,
        repeat: 1,
        workloads: vec!["pin-latency".into()],
        kernels,
    };
    results::store::write_json_atomic(&dir.join("run.json"), &meta).unwrap();
}

fn pinbench(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_pinbench"))
        .args(args)
        .output()
        .expect("run pinbench");
    eprintln!(
        "$ pinbench {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Load `html` in Chromium and check what a reader would see.
pub fn check_in_browser(html: &Path, min_svgs: usize) {
    let loaded = chromium::load(html);
    assert!(
        loaded.console.is_empty(),
        "the report produced console messages: {:#?}",
        loaded.console
    );
    let svgs = loaded.dom.matches("<svg").count();
    assert!(
        svgs >= min_svgs,
        "only {svgs} SVG figures in the DOM (want {min_svgs})"
    );
    assert!(
        !loaded.dom.contains("<script"),
        "a script element in the DOM"
    );
    let png = html.with_extension("png");
    chromium::screenshot(html, &png, 1400, 2400);
    let (colours, ink) = chromium::colours(&png);
    assert!(
        colours >= 20 && ink > 0.02,
        "screenshot looks blank: {colours} colours, {:.1}% non-white",
        ink * 100.0
    );
}

#[test]
fn browser_checks_catch_console_messages_and_blank_pages() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let loaded = chromium::load(&bad);
    assert!(
        loaded.console.iter().any(|l| l.contains("boom")),
        "console.error not seen: {:?}",
        loaded.console
    );
    let blank = d.path().join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let png = d.path().join("blank.png");
    chromium::screenshot(&blank, &png, 400, 300);
    let (colours, ink) = chromium::colours(&png);
    assert_eq!((colours, ink), (1, 0.0), "a blank page must read as blank");
}

#[test]
fn html_reports_of_synthetic_runs_render_in_chromium() {
    let d = tempfile::tempdir().unwrap();
    let run = d.path().join("run");
    write_run(&run);
    let run_s = run.to_str().unwrap();

    let report = d.path().join("report.html");
    let out = pinbench(&["report", run_s, "--html", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(!html.contains("<script"), "kernel name not escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("EFAULT (0/16 pinned) <span class=\"badge\">changed</span>"));
    // One bar chart and one box plot for ns_per_call.
    assert_eq!(html.matches("<svg").count(), 2);
    check_in_browser(&report, 2);

    // The same through compare: a regression and a behaviour change give exit code 1.
    let cmp = d.path().join("compare.html");
    let out = pinbench(&[
        "compare",
        run_s,
        "--format",
        "html",
        "-o",
        cmp.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let chtml = std::fs::read_to_string(&cmp).unwrap();
    assert!(
        chtml.contains("<td class=\"num regressed\">2</td>"),
        "two rodata cells regressed"
    );

    // A missing run is a usage error, not a crash.
    let out = pinbench(&[
        "report",
        "/nonexistent-run",
        "--html",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}
