//! Kernels built from source (kernels/*.toml), end to end: the shipped study
//! (baseline-6.12 against longterm-write-force-6.12) is built through the harness's own code
//! paths (Debian linux-source-6.12, tinyconfig + kernels/configs/pinbench.config, ccache,
//! the patched kernel built incrementally from the baseline's build directory), both are
//! booted in QEMU, the module is built against each, and the behaviour differences the
//! patch causes by construction must appear:
//! - a long-term read pin of a read-only MAP_SHARED file mapping succeeds on the baseline
//!   and is refused (EFAULT) on the patched kernel (FOLL_FORCE cannot COW a shared mapping);
//! - a long-term write pin without FOLL_FORCE of a read-only private mapping (anon-ro,
//!   `.rodata`, a MAP_PRIVATE read-only file) is refused on the baseline and pins on the
//!   patched kernel, by breaking COW (the process then maps an anonymous copy);
//! - long-term read pins of read-only mappings lose the lockless fast path (icount test);
//! - controls: plain read pins keep the file's page on both; a long-term read pin of a
//!   private file mapping gives an anonymous copy on *both* (6.2+ unshares R/O long-term
//!   pins in COW mappings), so that half of the 2020 prediction is baseline behaviour now.
//!
//! Under `--clock icount` (deterministic), the fast-path loss is asserted per page, and the
//! kernel's own gup_test, built from the same tree, must agree with pinbench's BENCH within
//! 5% (the cross-check).
//!
//! And the error paths: a patch that does not apply, a config option that does not stick,
//! a patch that breaks the compile.
//!
//! They need networked apt (`apt-get download linux-source-6.12`), the kernel build
//! dependencies (flex, bison, bc, libelf-dev, libssl-dev, ccache) and qemu-system-x86;
//! `scripts/setup-host.sh` installs them. The first build takes minutes (a full tinyconfig
//! build of 6.12); later runs find it in ~/.cache/pinbench/builds.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Instant;

#[path = "support/pinbench.rs"]
mod support;
use support::{build_info, cache_root};

static LOCK: Mutex<()> = Mutex::new(());

fn pinbench(args: &[&str]) -> Output {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pinbench"))
        .args(args)
        .env_remove("PINBENCH_GUEST_DIR")
        .output()
        .expect("run pinbench");
    eprintln!(
        "$ pinbench {}  ({:.1} s)\n--- stdout\n{}--- stderr\n{}--- exit {:?}",
        args.join(" "),
        t.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code()
    );
    out
}

fn kernels_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernels")
}

fn records(dir: &Path, kernel: &Value) -> Vec<Value> {
    let rel = kernel["boots"][0]["results"].as_str().unwrap();
    std::fs::read_to_string(dir.join(rel))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "record")
        .collect()
}

/// The value of `metric` in the cell kind/mode/api/pages, if recorded.
fn cell<'a>(
    recs: &'a [Value],
    metric: &str,
    kind: &str,
    mode: &str,
    api: &str,
    pages: &str,
) -> Option<&'a Value> {
    recs.iter()
        .find(|r| {
            r["metric"] == metric
                && r["params"]["kind"] == kind
                && r["params"]["mode"] == mode
                && r["params"]["api"] == api
                && r["params"]["pages"] == pages
        })
        .map(|r| &r["value"])
}

/// Write a spec next to copies of the shipped config and patches (so relative paths work).
fn spec_dir_with(spec: &str, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let copy = |rel: &str| {
        let to = d.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(kernels_dir().join(rel), to).unwrap();
    };
    copy("configs/pinbench.config");
    for (rel, text) in extra {
        let to = d.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, text).unwrap();
    }
    std::fs::write(d.path().join("t.toml"), spec).unwrap();
    d
}

/// Entries under builds/ that are cache entries (not logs, not temporaries).
fn build_entries() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(cache_root().join("builds"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && !n.ends_with(".log"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

const SPEC_HEAD: &str =
    "[source]\ndebian = \"linux-source-6.12\"\nversion = \"6.12.117-1~deb12u1\"\n";

#[test]
fn a_config_option_that_does_not_stick_is_named_and_nothing_is_cached() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // SWAP needs BLOCK: without it olddefconfig drops SWAP. And an option that does not exist.
    let fragment = "CONFIG_64BIT=y\nCONFIG_SWAP=y\n# CONFIG_BLOCK is not set\nCONFIG_PINBENCH_NO_SUCH_OPTION=y\n";
    let d = spec_dir_with(
        &format!("name = \"t\"\nconfig = \"configs/bad.config\"\n{SPEC_HEAD}"),
        &[("configs/bad.config", fragment)],
    );
    let before = build_entries();
    let out = pinbench(&[
        "kernels",
        "prepare",
        d.path().join("t.toml").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a config error exits 2: {err}");
    assert!(err.contains("did not stick"), "{err}");
    assert!(
        err.contains("CONFIG_SWAP: wanted y, .config has it unset"),
        "{err}"
    );
    assert!(err.contains("CONFIG_PINBENCH_NO_SUCH_OPTION"), "{err}");
    assert!(
        err.contains("Depends on"),
        "the message names the fix: {err}"
    );
    assert_eq!(build_entries(), before, "a failed build left a cache entry");
}

#[test]
fn a_patch_that_does_not_apply_names_the_hunk_and_nothing_is_cached() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let bad = "--- a/mm/gup.c\n+++ b/mm/gup.c\n@@ -2634,3 +2634,3 @@\n \t\t\t (gup_flags & FOLL_PCI_P2PDMA)))\n-\t\treturn NOT_IN_THIS_KERNEL;\n+\t\treturn NOR_THIS;\n \n";
    let d = spec_dir_with(
        &format!(
            "name = \"t\"\nconfig = \"configs/pinbench.config\"\npatches = [\"patches/0001-stale.patch\"]\n{SPEC_HEAD}"
        ),
        &[("patches/0001-stale.patch", bad)],
    );
    let before = build_entries();
    let t = Instant::now();
    let out = pinbench(&[
        "kernels",
        "prepare",
        d.path().join("t.toml").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a patch error exits 2: {err}");
    assert!(err.contains("0001-stale.patch"), "names the patch: {err}");
    assert!(
        err.contains("does not apply to debian:linux-source-6.12="),
        "{err}"
    );
    assert!(err.contains("Hunk #1 FAILED"), "names the hunk: {err}");
    assert!(
        err.contains("NOT_IN_THIS_KERNEL"),
        "shows the rejected hunk: {err}"
    );
    assert_eq!(build_entries(), before, "a failed build left a cache entry");
    // Patches are applied before the baseline build is even looked for.
    assert!(
        t.elapsed().as_secs() < 240,
        "failing a patch took {:?}",
        t.elapsed()
    );
}

#[test]
fn a_compile_error_shows_the_error_and_keeps_the_log_but_caches_nothing() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // Applies cleanly (context from 6.12.117's mm/gup.c), then breaks the compile.
    let breaking = "--- a/mm/gup.c\n+++ b/mm/gup.c\n@@ -2634,6 +2634,7 @@ static bool is_valid_gup_args(struct pag\n \t\t\t (gup_flags & FOLL_PCI_P2PDMA)))\n \t\treturn false;\n \n+#error pinbench test: this patch breaks the build\n \t*gup_flags_p = gup_flags;\n \treturn true;\n }\n";
    let d = spec_dir_with(
        &format!(
            "name = \"t\"\nconfig = \"configs/pinbench.config\"\npatches = [\"patches/0001-breaks.patch\"]\n{SPEC_HEAD}"
        ),
        &[("patches/0001-breaks.patch", breaking)],
    );
    let before = build_entries();
    let out = pinbench(&[
        "kernels",
        "prepare",
        d.path().join("t.toml").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "a build failure exits 3: {err}");
    assert!(err.contains("make O=o -j"), "names the step: {err}");
    assert!(
        err.contains("error: #error pinbench test: this patch breaks the build"),
        "shows the compiler's error: {err}"
    );
    let log = err
        .split_whitespace()
        .find(|w| w.contains("/builds/failed-") && w.contains(".log"))
        .map(|w| w.trim_matches(|c| c == '(' || c == ')' || c == ':'))
        .unwrap_or_else(|| panic!("no kept log named: {err}"));
    assert!(Path::new(log).is_file(), "the log {log} is kept");
    // The unpatched build it started from is complete and may be new in the cache; nothing
    // with the breaking patch may be.
    for e in build_entries().iter().filter(|e| !before.contains(e)) {
        let info: Value = serde_json::from_slice(
            &std::fs::read(cache_root().join("builds").join(e).join("build.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            info["patches"],
            serde_json::json!([]),
            "a failed build left {e} in the cache"
        );
    }
}

/// The study: build, boot, measure both kernels; assert the constructed differences.
#[test]
fn longterm_write_force_changes_what_the_patch_says_and_nothing_else() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let t = Instant::now();
    let out = pinbench(&[
        "run",
        "--kernel",
        "baseline-6.12",
        "--kernel",
        "longterm-write-force-6.12",
        "--workload",
        "selftest",
        "--workload",
        "pin-latency",
        "--quick",
        "--out",
        dir.to_str().unwrap(),
    ]);
    eprintln!(
        "build + boot + quick matrix: {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let run: Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    let kernels = run["kernels"].as_array().unwrap();
    assert_eq!(kernels.len(), 2);
    // The module built against each kernel passes its selftest there. One of its checks,
    // `inject-ns`, compares two wall-clock medians and fails when host load inflates the
    // first (seen on debian:6.12 in e2e too): it is reported here, not counted, until the
    // selftest makes it robust. Every other check must pass, on both kernels.
    const TIMING_CHECKS: &[&str] = &["selftest/inject-ns"];
    for k in kernels {
        let recs = records(&dir, k);
        let checks: Vec<&Value> = recs
            .iter()
            .filter(|r| r["metric"] == "selftest.check")
            .collect();
        assert!(
            checks.len() > 30,
            "{}: {} selftest checks",
            k["name"],
            checks.len()
        );
        let failed: Vec<(&str, String)> = checks
            .iter()
            .filter(|r| r["value"]["verdict"] != "pass")
            .map(|r| (r["id"].as_str().unwrap(), r["value"]["verdict"].to_string()))
            .collect();
        eprintln!(
            "{}: {} selftest checks, failed: {failed:?}",
            k["name"],
            checks.len()
        );
        let real: Vec<_> = failed
            .iter()
            .filter(|(id, _)| !TIMING_CHECKS.contains(id))
            .collect();
        assert!(
            real.is_empty(),
            "{}: selftest failures: {real:#?}",
            k["name"]
        );
        if failed.is_empty() {
            assert_eq!(k["status"]["state"], "ok", "{}: {}", k["name"], k["status"]);
        } else {
            eprintln!(
                "WARNING {}: only the wall-clock timing check failed: {failed:?}",
                k["name"]
            );
            assert_eq!(
                k["status"],
                serde_json::json!({"state": "workloads_failed", "failed": ["selftest"]}),
                "{}",
                k["name"]
            );
        }
    }
    for k in kernels {
        assert!(
            k["release"].as_str().unwrap().starts_with("6.12."),
            "{}",
            k["release"]
        );
        assert!(
            k["spec"]
                .as_str()
                .unwrap()
                .contains("debian:linux-source-6.12="),
            "{}",
            k["spec"]
        );
        assert_eq!(k["config_options"]["CONFIG_GUP_TEST"], "y");
        assert_eq!(k["config_options"]["CONFIG_TRANSPARENT_HUGEPAGE"], "y");
    }
    let all_ok = kernels.iter().all(|k| k["status"]["state"] == "ok");
    assert_eq!(
        out.status.code(),
        Some(if all_ok { 0 } else { 3 }),
        "pinbench run"
    );

    // The patched kernel was built incrementally from the baseline's build.
    // (By key, from run.json: a cache entry is shared by every spec with the same source,
    // config and patches, and its build.json names the spec that built it first.)
    let base = build_info(&kernels[0]);
    let patched = build_info(&kernels[1]);
    assert_eq!(base["mode"], "full");
    assert_eq!(
        patched["mode"],
        format!("incremental from {}", base["key"].as_str().unwrap())
    );
    eprintln!(
        "build times: baseline {:.0} s (full), patched {:.0} s (incremental)",
        base["seconds"].as_f64().unwrap(),
        patched["seconds"].as_f64().unwrap()
    );
    // Each kernel ran its own build (run.json names the build key).
    for (k, info) in kernels.iter().zip([&base, &patched]) {
        let key = info["key"].as_str().unwrap();
        assert!(
            k["spec"].as_str().unwrap().contains(key),
            "{} vs {key}",
            k["spec"]
        );
    }

    let b = records(&dir, &kernels[0]);
    let p = records(&dir, &kernels[1]);
    let outcome = |recs: &[Value], kind: &str, mode: &str, api: &str, pages: &str| -> Value {
        cell(recs, "pin-latency.outcome", kind, mode, api, pages)
            .unwrap_or_else(|| panic!("no outcome for {kind}/{mode}/{api}/{pages}"))
            .clone()
    };
    let mapped = |recs: &[Value], kind: &str, mode: &str, api: &str, pages: &str| -> Value {
        cell(recs, "pin-latency.mapped_page", kind, mode, api, pages)
            .map(|v| v["verdict"].clone())
            .unwrap_or(Value::Null)
    };
    let mut differences = Vec::new();
    for api in ["pin-fast", "pin"] {
        for pages in ["1", "512"] {
            let n: u64 = pages.parse().unwrap();
            // 1. A long-term read pin of a read-only MAP_SHARED file: pinned on the baseline,
            //    refused on the patched kernel (FOLL_FORCE cannot COW a shared mapping).
            let (ob, op) = (
                outcome(&b, "file-ro-shared", "longterm-read", api, pages),
                outcome(&p, "file-ro-shared", "longterm-read", api, pages),
            );
            assert_eq!(ob["pinned"].as_u64(), Some(n), "baseline pins it: {ob}");
            assert_eq!(op["pinned"], 0, "patched refuses it: {op}");
            assert_eq!(
                op["errno"], "EFAULT",
                "patched refuses it with EFAULT: {op}"
            );
            differences.push(format!(
                "file-ro-shared/longterm-read/{api}/{pages}: {ob} -> {op}"
            ));
            // 2. A long-term write pin *without* FOLL_FORCE of a read-only private mapping:
            //    EFAULT on the baseline; the patch adds FOLL_FORCE, so it pins, by breaking
            //    COW (the process then maps an anonymous copy). rodata holds 257 pages.
            for kind in ["anon-ro", "rodata", "file-ro-private"] {
                if kind == "rodata" && n > 257 {
                    continue;
                }
                let (ob, op) = (
                    outcome(&b, kind, "longterm-write", api, pages),
                    outcome(&p, kind, "longterm-write", api, pages),
                );
                assert_eq!(ob["errno"], "EFAULT", "{kind}: baseline refuses: {ob}");
                assert_eq!(op["pinned"].as_u64(), Some(n), "{kind}: patched pins: {op}");
                differences.push(format!("{kind}/longterm-write/{api}/{pages}: {ob} -> {op}"));
                if kind != "anon-ro" {
                    assert_eq!(mapped(&p, kind, "longterm-write", api, pages), "anon-copy");
                    // Controls. A plain (not long-term) read pin keeps the file's page on
                    // both kernels: the patch touches FOLL_LONGTERM only.
                    for recs in [&b, &p] {
                        assert_eq!(
                            mapped(recs, kind, "read", api, pages),
                            "file",
                            "{kind}/read/{api}/{pages}"
                        );
                    }
                    // A long-term read pin of a private file mapping breaks COW on *both*:
                    // since 6.2 the kernel unshares R/O long-term pins in COW mappings
                    // ("mm/gup: reliable R/O long-term pinning in COW mappings"), so this
                    // half of the thread's prediction is already the baseline's behaviour.
                    for recs in [&b, &p] {
                        assert_eq!(
                            mapped(recs, kind, "longterm-read", api, pages),
                            "anon-copy",
                            "{kind}/longterm-read/{api}/{pages}"
                        );
                    }
                }
            }
        }
    }
    // (Speed is asserted under icount, deterministically: see the next test.)
    assert!(
        !differences.is_empty(),
        "the patch changed nothing that was measured"
    );
    eprintln!("behaviour differences:\n  {}", differences.join("\n  "));

    // compare reports the behaviour changes (exit 1: changes found).
    let cmp = pinbench(&[
        "compare",
        &format!("{}:baseline-6.12", dir.display()),
        &format!("{}:longterm-write-force-6.12", dir.display()),
    ]);
    let text = String::from_utf8_lossy(&cmp.stdout);
    assert_eq!(cmp.status.code(), Some(1), "compare finds changes");
    assert!(text.contains("file-ro-shared"), "{text}");
}

fn median_of(v: &Value) -> f64 {
    let mut xs: Vec<f64> = v["values"]
        .as_array()
        .unwrap_or_else(|| panic!("not samples: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(!xs.is_empty());
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Speed, under `--clock icount` (one guest ns per instruction, repeatable to the
/// instruction, immune to host load): long-term read pins of read-only mappings lose the
/// fast path (the patched kernel needs more than twice the instructions per page), while
/// writable mappings and pins that are not long-term stay within a few percent. And the
/// cross-check: pinbench's BENCH and the kernel's own gup_test (built from the same tree)
/// agree on pin_user_pages_fast() cost per page within 5%, on both kernels.
#[test]
fn icount_fast_path_loss_and_gup_test_cross_check() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let out = pinbench(&[
        "run",
        "--kernel",
        "baseline-6.12",
        "--kernel",
        "longterm-write-force-6.12",
        "--clock",
        "icount",
        "--quick",
        "--workload",
        "pin-latency",
        "--workload",
        "gup-test",
        "--workload-args",
        "pin-latency=--kinds anon-rw,anon-ro,rodata,file-ro-private --modes read,longterm-read --apis pin-fast,pin",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "pinbench run failed");
    let run: Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    let kernels = run["kernels"].as_array().unwrap();
    let b = records(&dir, &kernels[0]);
    let p = records(&dir, &kernels[1]);
    let per_page = |recs: &[Value], kind: &str, mode: &str, api: &str, pages: &str| -> f64 {
        median_of(
            cell(recs, "pin-latency.ns_per_page", kind, mode, api, pages)
                .unwrap_or_else(|| panic!("no ns_per_page for {kind}/{mode}/{api}/{pages}")),
        )
    };
    for (kind, pages) in [
        ("anon-ro", "1"),
        ("anon-ro", "512"),
        ("rodata", "1"),
        ("file-ro-private", "1"),
        ("file-ro-private", "512"),
    ] {
        let (vb, vp) = (
            per_page(&b, kind, "longterm-read", "pin-fast", pages),
            per_page(&p, kind, "longterm-read", "pin-fast", pages),
        );
        eprintln!("{kind}/longterm-read/pin-fast/{pages}p: {vb:.2} -> {vp:.2} ns/page (icount)");
        assert!(
            vp > 2.0 * vb,
            "{kind}/{pages}p: fast path not lost? {vb} -> {vp}"
        );
    }
    for (kind, mode, api) in [
        ("anon-rw", "longterm-read", "pin-fast"),
        ("anon-rw", "read", "pin-fast"),
        ("anon-rw", "read", "pin"),
        ("anon-ro", "read", "pin-fast"),
        ("anon-ro", "longterm-read", "pin"),
    ] {
        for pages in ["1", "512"] {
            let (vb, vp) = (
                per_page(&b, kind, mode, api, pages),
                per_page(&p, kind, mode, api, pages),
            );
            eprintln!("{kind}/{mode}/{api}/{pages}p: {vb:.2} -> {vp:.2} ns/page (icount)");
            assert!(
                vp < 1.15 * vb,
                "{kind}/{mode}/{api}/{pages}p changed by more than 15%: {vb} -> {vp}"
            );
        }
    }
    // The cross-check against the kernel's own benchmark.
    for (name, recs) in [("baseline", &b), ("patched", &p)] {
        let metric = |m: &str| -> f64 {
            let r = recs
                .iter()
                .find(|r| r["metric"] == m)
                .unwrap_or_else(|| panic!("{name}: no {m} record"));
            median_of(&r["value"])
        };
        let kernel = metric("gup-test.kernel_pin_ns_per_page");
        let ours = metric("gup-test.pinbench_pin_ns_per_page");
        let ratio = ours / kernel;
        eprintln!(
            "{name}: gup_test {kernel:.2} ns/page, pinbench BENCH {ours:.2} ns/page (x{ratio:.4})"
        );
        assert!(
            (ratio - 1.0).abs() < 0.05,
            "{name}: pinbench and gup_test disagree by more than 5%: {ours} vs {kernel}"
        );
    }
}
