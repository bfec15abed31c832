//! End-to-end tests: real Debian kernels fetched through the harness's own code paths,
//! booted in QEMU (TCG), the real module loaded, real workloads run.
//!
//! They need root-free but networked apt (`apt-get download`), qemu-system-x86, gcc-12 and
//! make; `.ci/run` installs them. VM tests run one at a time (a 2-core machine).
//! The kernel cache is the user's (`~/.cache/pinbench` or $PINBENCH_CACHE), so the
//! downloads happen once.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

static VM_LOCK: Mutex<()> = Mutex::new(());

fn pinbench(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_pinbench"))
        .args(args)
        .env_remove("PINBENCH_GUEST_DIR")
        .output()
        .expect("run pinbench");
    eprintln!(
        "$ pinbench {}\n--- stdout\n{}--- stderr\n{}--- exit {:?}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code()
    );
    out
}

fn out_dir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(name);
    (d, p)
}

fn run_json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("run.json")).expect("run.json exists"))
        .expect("run.json parses")
}

fn events(dir: &Path, kernel: &Value, boot: usize) -> Vec<Value> {
    let rel = kernel["boots"][boot]["results"].as_str().unwrap();
    std::fs::read_to_string(dir.join(rel))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad results line {l}: {e}")))
        .collect()
}

fn records<'a>(ev: &'a [Value], workload: &str) -> Vec<&'a Value> {
    ev.iter()
        .filter(|e| e["type"] == "record" && e["workload"] == workload)
        .collect()
}

fn console(dir: &Path, kernel: &Value) -> String {
    let rel = kernel["boots"][0]["console"].as_str().unwrap();
    String::from_utf8_lossy(&std::fs::read(dir.join(rel)).unwrap()).into_owned()
}

/// Both Debian lines: module loads, selftest (every ioctl, every misuse, 10,000-call fuzz)
/// passes, pin-latency yields records, metadata is complete, pin counters balance, and the
/// console shows no WARNING/BUG/Oops.
#[test]
fn both_debian_lines_boot_and_pass_the_module_selftest() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (_t, dir) = out_dir("run");
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:6.1",
        "--kernel",
        "debian:6.12",
        "--workload",
        "selftest",
        "--workload",
        "pin-latency",
        "--quick",
        "--workload-args",
        "selftest=--fuzz 10000 --seed 20201",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let run = run_json(&dir);
    assert_eq!(run["schema_version"], 1);
    assert_eq!(run["complete"], true);
    assert_eq!(run["clock"], "wall");
    assert!(
        run["accel"] == "tcg" || run["accel"] == "kvm",
        "{}",
        run["accel"]
    );
    assert!(run["host"]["qemu_version"]
        .as_str()
        .unwrap()
        .contains("QEMU"));
    let kernels = run["kernels"].as_array().unwrap();
    assert_eq!(kernels.len(), 2);
    for (k, line) in kernels.iter().zip(["6.1.", "6.12."]) {
        let name = k["name"].as_str().unwrap();
        assert!(
            k["release"].as_str().unwrap().starts_with(line),
            "{name}: {}",
            k["release"]
        );
        assert!(k["spec"].as_str().unwrap().starts_with("debian:"), "{name}");
        assert!(
            k["proc_version"]
                .as_str()
                .unwrap()
                .contains("Linux version"),
            "{name}"
        );
        assert_eq!(k["page_size"], 4096);
        assert_eq!(k["config_digest"].as_str().unwrap().len(), 64);
        assert_eq!(k["config_options"]["CONFIG_TRANSPARENT_HUGEPAGE"], "y");
        assert!(k["boots"][0]["boot_seconds"].as_f64().unwrap() > 0.0);
        let ev = events(&dir, k, 0);
        let module = ev
            .iter()
            .find(|e| e["type"] == "module")
            .expect("module event");
        assert_eq!(module["ok"], true, "{name}: {module}");
        assert_eq!(module["abi_version"], 1);
        let checks = records(&ev, "selftest");
        let failed: Vec<_> = checks
            .iter()
            .filter(|r| r["metric"] == "selftest.check" && r["value"]["verdict"] != "pass")
            .map(|r| format!("{}: {}", r["id"], r["value"]["verdict"]))
            .collect();
        assert!(failed.is_empty(), "{name}: failed checks: {failed:#?}");
        assert!(
            checks.len() > 30,
            "{name}: only {} selftest records",
            checks.len()
        );
        let calls = checks
            .iter()
            .find(|r| r["id"] == "selftest/fuzz-calls")
            .expect("fuzz ran");
        assert_eq!(calls["value"]["value"], 10000.0);
        for end in ev.iter().filter(|e| e["type"] == "workload_end") {
            assert_eq!(end["exit_code"], 0, "{name}: {end}");
            assert_eq!(
                end["pin_imbalance"], 0,
                "{name}: pin counters unbalanced after {}",
                end["workload"]
            );
        }
        // A write pin of populated private anonymous memory succeeds on any kernel.
        let lat = records(&ev, "pin-latency");
        let cell = lat
            .iter()
            .find(|r| r["id"] == "pin-latency/anon-rw/write/pin-fast/512p/outcome")
            .expect("anon-rw write outcome recorded");
        assert_eq!(cell["value"]["pinned"], 512, "{name}: {cell}");
        assert!(lat
            .iter()
            .any(|r| r["metric"] == "pin-latency.ns_per_call" && r["value"]["kind"] == "samples"));
        let con = console(&dir, k);
        for bad in ["WARNING:", "BUG:", "Oops", "Kernel panic"] {
            assert!(!con.contains(bad), "{name}: console has {bad}:\n{con}");
        }
        assert_eq!(k["status"]["state"], "ok", "{name}: {}", k["status"]);
    }
    assert_eq!(out.status.code(), Some(0));
}

/// icount: the same pins measured in two separate runs give identical numbers.
#[test]
fn icount_runs_are_identical() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut samples = Vec::new();
    for i in 0..2 {
        let (_t, dir) = out_dir(&format!("icount-{i}"));
        let out = pinbench(&[
            "run", "--kernel", "debian:6.12", "--clock", "icount", "--workload", "pin-latency",
            "--workload-args", "pin-latency=--kinds anon-rw,rodata --sizes 16 --apis pin-fast,pin --modes read,longterm-read --iterations 20",
            "--out", dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0));
        let run = run_json(&dir);
        assert_eq!(run["clock"], "icount");
        assert_eq!(run["accel"], "tcg");
        let ev = events(&dir, &run["kernels"][0], 0);
        let mut s: Vec<(String, Value)> = records(&ev, "pin-latency")
            .into_iter()
            .filter(|r| r["metric"] == "pin-latency.ns_per_call")
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["value"]["values"].clone(),
                )
            })
            .collect();
        s.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(s.len() >= 4, "too few timed cells: {s:?}");
        samples.push(s);
    }
    // Guest time is instruction-exact, but an interrupt can still land inside a timed window
    // in one run and not the other (device I/O completes asynchronously on the host), so a
    // rare sample differs. Medians must be identical and nearly all samples equal.
    assert_eq!(samples[0].len(), samples[1].len());
    let median = |v: &Value| {
        let mut x: Vec<f64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_f64().unwrap())
            .collect();
        x.sort_by(|a, b| a.partial_cmp(b).unwrap());
        x[x.len() / 2]
    };
    let (mut same, mut total) = (0, 0);
    for ((id_a, a), (id_b, b)) in samples[0].iter().zip(&samples[1]) {
        assert_eq!(id_a, id_b);
        assert_eq!(
            median(a),
            median(b),
            "{id_a}: icount medians differ between runs"
        );
        for (x, y) in a.as_array().unwrap().iter().zip(b.as_array().unwrap()) {
            total += 1;
            same += (x == y) as u32;
        }
    }
    assert!(
        same as f64 >= 0.95 * total as f64,
        "only {same}/{total} icount samples identical between runs"
    );
}

/// A kernel that panics at boot is named as such; an unknown spec fails alone; the other
/// kernel of the run still finishes.
#[test]
fn failures_are_named_and_do_not_stop_other_kernels() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (_t, dir) = out_dir("faults");
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:9.99",
        "--kernel",
        "debian:6.12",
        "--workload",
        "selftest",
        "--quick",
        "--workload-args",
        "selftest=--fuzz 100",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a failed kernel makes the run exit 3"
    );
    let run = run_json(&dir);
    let k = &run["kernels"];
    assert_eq!(k[0]["status"]["state"], "failed");
    let err = k[0]["status"]["error"].as_str().unwrap();
    assert!(err.contains("kernels list --available"), "{err}");
    assert_eq!(k[1]["status"]["state"], "ok", "{}", k[1]["status"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("debian:9.99"));

    // Panic at boot: rdinit points nowhere, so the kernel finds no init and panics.
    let (_t2, dir2) = out_dir("panic");
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:6.12",
        "--workload",
        "selftest",
        "--cmdline",
        "rdinit=/nonexistent",
        "--out",
        dir2.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let run = run_json(&dir2);
    let err = run["kernels"][0]["status"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("panicked"), "{err}");
    // A panic before pinbench's init ran is tried once more; the first console is kept.
    let early = run["kernels"][0]["boots"][0]["early_panics"]
        .as_array()
        .unwrap_or_else(|| panic!("no early_panics: {}", run["kernels"][0]["boots"][0]));
    assert_eq!(early.len(), 1, "{early:?}");
    let kept = early[0].as_str().unwrap();
    assert!(kept.contains("Kernel panic"), "{kept}");
    let file = kept
        .rsplit_once("console: ")
        .unwrap()
        .1
        .trim_end_matches(')');
    assert!(dir2.join(file).is_file(), "{file} kept");
    assert!(
        run["kernels"][0]["boots"][0]["vm_seconds"]
            .as_f64()
            .unwrap()
            < 120.0
    );
}

/// A guest that hangs (panic=0 waits forever after the panic) is killed at the timeout.
#[test]
fn a_hung_guest_is_killed_at_the_timeout() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (_t, dir) = out_dir("hang");
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:6.12",
        "--workload",
        "selftest",
        "--cmdline",
        "rdinit=/nonexistent panic=0",
        "--timeout",
        "25",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let run = run_json(&dir);
    let err = run["kernels"][0]["status"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("did not finish within 25 s"), "{err}");
    // No QEMU left behind.
    let ps = Command::new("pgrep")
        .args(["-f", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        ps.stdout.is_empty(),
        "QEMU still running: {}",
        String::from_utf8_lossy(&ps.stdout)
    );
}

/// A module built for another kernel does not load; the error says so and the workload
/// reports that the module is missing.
#[test]
fn a_module_for_another_kernel_is_refused_with_a_clear_error() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let prep = pinbench(&["kernels", "prepare", "debian:6.1"]);
    assert_eq!(prep.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&prep.stdout);
    let ko = stdout
        .split_whitespace()
        .skip_while(|w| *w != "module")
        .nth(1)
        .expect("module path printed")
        .to_string();
    let (_t, dir) = out_dir("wrong-module");
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:6.12",
        "--workload",
        "selftest",
        "--module",
        &ko,
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let run = run_json(&dir);
    let err = run["kernels"][0]["status"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains("module did not load") && err.contains("built for this kernel"),
        "{err}"
    );
    let ev = events(&dir, &run["kernels"][0], 0);
    let end = ev
        .iter()
        .find(|e| e["type"] == "workload_end")
        .expect("workload still reported");
    assert!(
        end["stderr_tail"]
            .as_str()
            .unwrap()
            .contains("module is not loaded"),
        "{end}"
    );
}

/// The module builds against both Debian lines' headers, for the right release.
#[test]
fn module_builds_for_both_debian_lines() {
    let out = pinbench(&["kernels", "prepare", "debian:6.1", "debian:6.12"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let release = words[1];
        let ko = words[words.iter().position(|w| *w == "module").unwrap() + 1];
        let data = std::fs::read(ko).unwrap();
        let vermagic = format!("vermagic={release} ");
        assert!(
            data.windows(vermagic.len())
                .any(|w| w == vermagic.as_bytes()),
            "{ko} not built for {release}"
        );
    }
    assert_eq!(stdout.lines().count(), 2);
}

/// Bad input before anything boots: a malformed spec (exit 2) and an unwritable results
/// directory, each with a message that names the fix.
#[test]
fn bad_specs_and_unwritable_results_fail_early_and_clearly() {
    let out = pinbench(&[
        "run",
        "--kernel",
        "ubuntu:22.04",
        "--out",
        "/tmp/never-created-pinbench",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("debian:<line>"));
    assert!(!Path::new("/tmp/never-created-pinbench").exists());
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:6.12",
        "--out",
        "/proc/pinbench-cannot-write",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/proc/pinbench-cannot-write") && err.contains("writable"),
        "{err}"
    );
    // An existing run is never overwritten.
    let d = tempfile::tempdir().unwrap();
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:6.12",
        "--out",
        d.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never overwrites"));
}

/// Ctrl-C (SIGINT) keeps what finished, marks the run incomplete, and leaves no QEMU behind.
#[test]
fn interrupt_keeps_finished_kernels_and_marks_the_run_incomplete() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (_t, dir) = out_dir("interrupted");
    // Warm the cache first so the timing below is about VMs, not downloads.
    assert_eq!(
        pinbench(&["kernels", "prepare", "debian:6.1", "debian:6.12"])
            .status
            .code(),
        Some(0)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_pinbench"))
        .args([
            "run",
            "--kernel",
            "debian:6.12",
            "--kernel",
            "debian:6.1",
            "--jobs",
            "1",
            "--workload",
            "selftest",
        ])
        .args(["--workload-args", "selftest=--fuzz 400000", "--out"])
        .arg(&dir)
        .spawn()
        .unwrap();
    // Wait until the first kernel finished, then interrupt during the second.
    let start = std::time::Instant::now();
    loop {
        assert!(
            start.elapsed().as_secs() < 600,
            "first kernel never finished"
        );
        if let Ok(b) = std::fs::read(dir.join("run.json")) {
            let v: Value = serde_json::from_slice(&b).unwrap();
            if v["kernels"][0]["status"]["state"] == "ok"
                && v["kernels"][1]["boots"]
                    .as_array()
                    .is_none_or(|a| a.is_empty())
            {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    std::thread::sleep(std::time::Duration::from_secs(8));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3));
    let run = run_json(&dir);
    assert_eq!(run["complete"], false);
    assert_eq!(
        run["kernels"][0]["status"]["state"], "ok",
        "{}",
        run["kernels"][0]["status"]
    );
    assert_eq!(
        run["kernels"][1]["status"]["state"], "interrupted",
        "{}",
        run["kernels"][1]["status"]
    );
    // The finished kernel's results are intact and complete.
    let ev = events(&dir, &run["kernels"][0], 0);
    assert!(ev.iter().any(|e| e["type"] == "done"));
    let ps = Command::new("pgrep")
        .args(["-f", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(ps.stdout.is_empty(), "QEMU still running after interrupt");
}

/// The value of record `id` (panics with the id when it is missing).
fn value_of<'a>(recs: &'a [&Value], id: &str) -> &'a Value {
    &recs
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no record {id}"))["value"]
}

/// `cow` and `fork-cost` (quick) on both Debian lines: every planned cell yields a record
/// (a value, an errno or a skip with its reason), and what holds on any kernel holds: a write
/// pin of anon-rw succeeds, a fork with nothing pinned copies no page, PFNS agrees with
/// pagemap, THP buffers are huge (verified through smaps, else the cell would be a skip),
/// and the pin counters balance after each workload.
#[test]
fn cow_and_fork_cost_yield_every_cell_on_both_debian_lines() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (_t, dir) = out_dir("cow");
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:6.1",
        "--kernel",
        "debian:6.12",
        "--workload",
        "cow",
        "--workload",
        "fork-cost",
        "--quick",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let run = run_json(&dir);
    // The quick plan of each workload (see their `//!` docs).
    let modes = ["read", "longterm-read", "longterm-write"];
    let apis = ["pin-fast", "get-fast"];
    let cow_cells: &[(&str, &[&str])] = &[
        ("pin-fork", &["anon-rw", "thp"]),
        ("child-pin", &["anon-rw", "thp"]),
        ("child-pin-unmap", &["anon-rw", "thp"]),
        ("shared-pin", &["anon-rw", "thp"]),
        ("previously-shared-pin", &["anon-rw", "thp"]),
        ("zero-page", &["anon-unpopulated", "thp-unpopulated"]),
        ("force-write", &["rodata", "thp", "file-ro-private"]),
        ("device-write", &["anon-rw", "thp"]),
    ];
    for k in run["kernels"].as_array().unwrap() {
        let name = k["name"].as_str().unwrap();
        assert_eq!(k["status"]["state"], "ok", "{name}: {}", k["status"]);
        let ev = events(&dir, k, 0);
        for end in ev.iter().filter(|e| e["type"] == "workload_end") {
            assert_eq!(end["exit_code"], 0, "{name}: {end}");
            assert_eq!(end["pin_imbalance"], 0, "{name}: {end}");
        }
        let cow = records(&ev, "cow");
        for (sc, kinds) in cow_cells {
            for kind in *kinds {
                for mode in modes {
                    for api in apis {
                        let id = format!("cow/{sc}/{kind}/{mode}/{api}/outcome");
                        let v = value_of(&cow, &id);
                        match v["kind"].as_str().unwrap() {
                            "outcome" => {}
                            "skip" => assert!(
                                !v["reason"].as_str().unwrap().is_empty(),
                                "{name}: {id} skipped without a reason"
                            ),
                            other => panic!("{name}: {id} is a {other}"),
                        }
                        // THP buffers are huge: only force-write (no file THP) may skip them.
                        if kind.starts_with("thp") && *sc != "force-write" && v["kind"] == "skip" {
                            let r = v["reason"].as_str().unwrap();
                            assert!(
                                r.contains("FOLL_LONGTERM") || r.contains("write pin"),
                                "{name}: {id}: {r}"
                            );
                        }
                    }
                }
            }
        }
        let errors: Vec<_> = cow
            .iter()
            .filter(|r| r["id"].as_str().unwrap().ends_with("/error"))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        for base in ["anon-rw", "thp"] {
            let v = value_of(
                &cow,
                &format!("cow/pin-fork/{base}/longterm-write/pin-fast/outcome"),
            );
            assert_eq!(v["kind"], "outcome", "{name}: {v}");
            assert!(v["errno"].is_null(), "{name}: {v}");
            assert_eq!(v["pinned"], v["requested"], "{name}: {v}");
        }
        for r in cow.iter().filter(|r| r["metric"] == "cow.pfns_mismatch") {
            assert_eq!(r["value"]["value"], 0.0, "{name}: {}", r["id"]);
        }
        let verdicts: Vec<String> = cow
            .iter()
            .filter(|r| r["metric"] == "cow.coherence" || r["metric"] == "cow.seen_by")
            .map(|r| format!("{} = {}", r["id"], r["value"]["verdict"]))
            .collect();
        eprintln!("{name} verdicts:\n{}", verdicts.join("\n"));

        let fc = records(&ev, "fork-cost");
        for pct in [0, 1, 100] {
            for variant in ["base", "dontfork", "thp"] {
                let id = format!("fork-cost/16mib/{pct}pct/{variant}/outcome");
                let v = value_of(&fc, &id);
                if variant == "dontfork" && pct == 0 {
                    assert_eq!(v["kind"], "skip", "{name}: {id}");
                    continue;
                }
                assert_eq!(v["kind"], "outcome", "{name}: {id}: {v}");
                assert_eq!(v["pinned"], v["requested"], "{name}: {id}: {v}");
                let t = value_of(&fc, &format!("fork-cost/16mib/{pct}pct/{variant}/fork_ns"));
                assert_eq!(t["values"].as_array().unwrap().len(), 3, "{name}: {id}");
            }
        }
        for variant in ["base", "thp"] {
            let v = value_of(
                &fc,
                &format!("fork-cost/16mib/0pct/{variant}/copied_at_fork"),
            );
            assert_eq!(
                v["value"], 0.0,
                "{name}: a fork with nothing pinned copied pages"
            );
        }
        for r in fc
            .iter()
            .filter(|r| r["metric"] == "fork-cost.pfns_mismatch")
        {
            assert_eq!(r["value"]["value"], 0.0, "{name}: {}", r["id"]);
        }
        let con = console(&dir, k);
        for bad in ["WARNING:", "BUG:", "Oops", "Kernel panic"] {
            assert!(!con.contains(bad), "{name}: console has {bad}");
        }
    }
    assert_eq!(out.status.code(), Some(0));
}

/// `cow` and `fork-cost` without /dev/pinbench (a module for another kernel does not load)
/// and with a module speaking another ABI version: each fails with a message that says so,
/// and init reports it.
#[test]
fn cow_and_fork_cost_refuse_a_missing_or_foreign_module() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let prep = pinbench(&["kernels", "prepare", "debian:6.1", "debian:6.12"]);
    assert_eq!(prep.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&prep.stdout).into_owned();
    let line_of = |spec: &str| -> Vec<String> {
        stdout
            .lines()
            .find(|l| l.starts_with(spec))
            .unwrap_or_else(|| panic!("{spec} prepared"))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let ko_61 = {
        let w = line_of("debian:6.1:");
        w[w.iter().position(|x| x == "module").unwrap() + 1].clone()
    };
    let release = line_of("debian:6.12:")[1].clone();
    // A module for 6.12 that answers INFO with ABI version 99.
    let src = tempfile::tempdir().unwrap();
    let module_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernels/module");
    for f in [
        "pinbench.c",
        "pinbench_compat.h",
        "pinbench_abi.h",
        "Kbuild",
    ] {
        let text = std::fs::read_to_string(module_dir.join(f)).unwrap();
        let text = text.replace(
            "#define PINBENCH_ABI_VERSION 1",
            "#define PINBENCH_ABI_VERSION 99",
        );
        std::fs::write(src.path().join(f), text).unwrap();
    }
    let build_dir = harness::kernel::debian::cache_dir(&release)
        .join("root/usr/src")
        .join(format!("linux-headers-{release}"));
    let make = Command::new("make")
        .arg("-C")
        .arg(&build_dir)
        .arg(format!("M={}", src.path().display()))
        .args(["CONFIG_DEBUG_INFO_BTF_MODULES=", "modules"])
        .output()
        .unwrap();
    assert!(
        make.status.success(),
        "{}",
        String::from_utf8_lossy(&make.stderr)
    );
    let abi99 = src.path().join("pinbench.ko");
    for (module, says) in [
        (ko_61.as_str(), "module is not loaded"),
        (abi99.to_str().unwrap(), "ABI version 99"),
    ] {
        let (_t, dir) = out_dir("foreign");
        let out = pinbench(&[
            "run",
            "--kernel",
            "debian:6.12",
            "--workload",
            "cow",
            "--workload",
            "fork-cost",
            "--quick",
            "--module",
            module,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(3), "{module}");
        let run = run_json(&dir);
        let ev = events(&dir, &run["kernels"][0], 0);
        let ends: Vec<&Value> = ev.iter().filter(|e| e["type"] == "workload_end").collect();
        assert_eq!(ends.len(), 2, "{module}: {ends:?}");
        for end in ends {
            assert_ne!(end["exit_code"], 0, "{end}");
            assert!(
                end["stderr_tail"].as_str().unwrap().contains(says),
                "{module}: {end}"
            );
        }
    }
}

#[path = "support/chromium.rs"]
mod chromium;

/// A real quick pin-latency run on debian:6.12 rendered by `pinbench report`: the HTML has
/// the run's environment and figures, and loads in headless Chromium with no console
/// message, its SVGs present and a screenshot that is not blank.
#[test]
fn report_of_a_real_run_renders_in_chromium() {
    let _g = VM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (t, dir) = out_dir("report-run");
    let out = pinbench(&[
        "run",
        "--kernel",
        "debian:6.12",
        "--quick",
        "--workload",
        "pin-latency",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let html = t.path().join("report.html");
    let out = pinbench(&[
        "report",
        dir.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&html).unwrap();
    let run = run_json(&dir);
    let release = run["kernels"][0]["release"].as_str().unwrap();
    assert!(text.contains(release), "environment lacks the release");
    assert!(
        text.contains("QEMU emulator version"),
        "environment lacks QEMU"
    );
    assert!(text.contains("One kernel: nothing to compare against."));
    // Per sample family (ns_per_call, ns_per_page, unpin_ns) and split (api, pages): a bar
    // chart and a box plot; plus scalar families' bars.
    let svgs = text.matches("<svg").count();
    assert!(svgs >= 20, "only {svgs} figures");
    assert!(text.contains("anon-rw · longterm-write"));
    assert!(text.contains("Behaviour: pin-latency.outcome"));
    let rows = text.matches("<td class=\"good\">pinned ").count();
    assert!(rows > 50, "only {rows} successful pins in the matrix");
    // docs/report-json.md against real output: the run compared with itself.
    let out = pinbench(&[
        "compare",
        dir.to_str().unwrap(),
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "identical data must not differ");
    let json: Value = serde_json::from_slice(&out.stdout).expect("compare JSON parses");
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/report-json.md"),
    )
    .unwrap();
    let fields = report::export::json::documented_fields(&doc);
    let (missing, unchecked) = report::export::json::check_fields(&json, &fields);
    assert!(
        missing.is_empty(),
        "documented, not in real output: {missing:?}"
    );
    assert!(
        unchecked
            .iter()
            .all(|f| f.starts_with("behaviour_changes[].")),
        "unchecked: {unchecked:?}"
    );
    assert!(json["metrics"].as_array().unwrap().len() > 50);
    assert_eq!(json["summary"][0]["regressed"], 0);
    assert_eq!(json["summary"][0]["improved"], 0);

    // The real report in a real browser.
    let loaded = chromium::load(&html);
    assert!(
        loaded.console.is_empty(),
        "console messages: {:#?}",
        loaded.console
    );
    assert_eq!(loaded.dom.matches("<svg").count(), svgs);
    let png = t.path().join("report.png");
    chromium::screenshot(&html, &png, 1400, 2400);
    let (colours, ink) = chromium::colours(&png);
    assert!(
        colours >= 20 && ink > 0.02,
        "blank screenshot: {colours} colours, {:.1}% non-white",
        ink * 100.0
    );
}
