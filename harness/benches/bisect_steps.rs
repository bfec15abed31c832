//! Bench: how many steps a bisect takes, and what one patch-series step costs.
//!
//! 1. Steps (decision core, mock kernels with a clear +10% regression and 1% noise): for
//!    every number of candidates n from 2 to 129 and every culprit position, the bisect
//!    must find the culprit measuring at most ceil(log2 n) + 1 candidates between the
//!    endpoints (the target). Prints the worst case per n against the bound.
//! 2. One patch-series step with an incremental build, for real: a spec of
//!    linux-source-6.12 with the bisect fixture's first three patches plus a patch that
//!    is new every run (a comment with a nonce in mm/gup.c, so nothing is cached) is built
//!    from the cached unpatched build, booted, and its metric cell measured, exactly as a
//!    bisect measures a candidate (`pinbench run` narrowed to one pin-latency cell, icount).
//!    Target: at most 90 s on 2 cores. Run twice with two nonces; the unpatched build and
//!    its module are made first, untimed.
//!
//! `cargo bench -p harness --bench bisect_steps` (builds and boots kernels: only when named).

use harness::bisect::{bisect, Broken, Measure, Observation, Options, Outcome};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Mock {
    culprit: usize,
    state: u64,
}

impl Mock {
    fn noise(&mut self) -> f64 {
        // xorshift: deterministic, no dependency.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state % 10_000) as f64 / 10_000.0 - 0.5
    }
}

impl Measure for Mock {
    fn measure(&mut self, i: usize, repeats: u32) -> Result<Observation, Broken> {
        let level = if i >= self.culprit { 1100.0 } else { 1000.0 };
        let v = (0..repeats * 10)
            .map(|_| level * (1.0 + 0.02 * self.noise()))
            .collect();
        Ok(Observation::Samples(v))
    }
}

fn steps() -> bool {
    println!("## Steps (mock candidates: +10% at the culprit, 1% noise)\n");
    println!("| candidates n | worst inner steps | ceil(log2 n) + 1 | worst measurements incl. endpoints | all found |");
    println!("|---:|---:|---:|---:|---|");
    let mut ok = true;
    for n in [2usize, 3, 4, 5, 6, 8, 9, 12, 17, 24, 33, 48, 65, 100, 129] {
        let bound = (n as f64).log2().ceil() as usize + 1;
        let (mut worst, mut worst_all, mut found) = (0, 0, true);
        for culprit in 1..n {
            let mut m = Mock {
                culprit,
                state: 0x9e3779b97f4a7c15 ^ (n * 1000 + culprit) as u64,
            };
            let r = bisect(n, &mut m, &Options::default());
            found &= matches!(r.outcome, Outcome::Found { culprit: c, .. } if c == culprit);
            let inner = r
                .steps
                .iter()
                .filter(|s| s.candidate != 0 && s.candidate != n - 1)
                .count();
            worst = worst.max(inner);
            worst_all = worst_all.max(r.steps.len());
        }
        ok &= found && worst <= bound;
        println!(
            "| {n} | {worst} | {bound} | {worst_all} | {} |",
            if found { "yes" } else { "NO" }
        );
    }
    println!(
        "\nsteps target (at most ceil(log2 n) + 1 between the endpoints): {}\n",
        if ok { "met" } else { "MISSED" }
    );
    ok
}

fn pinbench(args: &[&str]) -> f64 {
    let t = Instant::now();
    let st = Command::new(env!("CARGO_BIN_EXE_pinbench"))
        .args(args)
        .status()
        .expect("run pinbench");
    assert!(st.success(), "pinbench {args:?}: {st}");
    t.elapsed().as_secs_f64()
}

fn spec(dir: &Path, name: &str, patches: &[PathBuf]) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let config = root.join("kernels/configs/pinbench.config");
    let list: Vec<String> = patches
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "name = \"{name}\"\nconfig = {:?}\npatches = [{}]\n[source]\ndebian = \"linux-source-6.12\"\nversion = \"6.12.117-1~deb12u1\"\n",
            config.display().to_string(),
            list.join(", ")
        ),
    )
    .unwrap();
    path
}

/// A patch adding a comment with `nonce` above gup_fast() (context of 6.12.117 after the
/// fixture's 0001).
fn nonce_patch(dir: &Path, nonce: &str) -> PathBuf {
    let p = dir.join(format!("0099-nonce-{nonce}.patch"));
    std::fs::write(
        &p,
        format!(
            "--- a/mm/gup.c\n+++ b/mm/gup.c\n@@ -3390,3 +3390,4 @@\n /*\n+ * bench nonce {nonce}\n  * gup_fast() returns the number of pages it pinned, from the first page on; the\n  * caller takes the rest through the slow path.\n"
        ),
    )
    .unwrap();
    p
}

fn series_step() -> bool {
    println!("## One patch-series step (incremental build + boot + measure, icount)\n");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bisect-series");
    let mut patches: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    patches.sort();
    patches.truncate(3);
    let d = tempfile::tempdir().unwrap();
    let narrowed = [
        "--workload",
        "pin-latency",
        "--workload-args",
        "pin-latency=--kinds anon-rw --modes read --apis pin-fast --sizes 1",
        "--clock",
        "icount",
        "--jobs",
        "1",
    ];
    let base = spec(d.path(), "bench-base", &[]);
    let warm = pinbench(
        &[
            &["run", "--kernel", base.to_str().unwrap(), "--out"][..],
            &[d.path().join("warm").to_str().unwrap()],
            &narrowed[..],
        ]
        .concat(),
    );
    println!("untimed warm-up (unpatched build, module, first boot): {warm:.1} s\n");
    println!("| step | seconds | build seconds (build.json) | build mode | target 90 s |");
    println!("|---|---:|---:|---|---|");
    let mut ok = true;
    for i in 0..2 {
        let nonce = format!("{}-{i}", std::process::id());
        let mut p = patches.clone();
        p.push(nonce_patch(d.path(), &nonce));
        let s = spec(d.path(), &format!("bench-step-{i}"), &p);
        let out = d.path().join(format!("step-{i}"));
        let secs = pinbench(
            &[
                &["run", "--kernel", s.to_str().unwrap(), "--out"][..],
                &[out.to_str().unwrap()],
                &narrowed[..],
            ]
            .concat(),
        );
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
        let spec_str = run["kernels"][0]["spec"].as_str().unwrap().to_string();
        let key = spec_str
            .rsplit_once("build ")
            .map(|(_, k)| k.trim_end_matches(']').to_string())
            .unwrap();
        let cache = std::env::var_os("PINBENCH_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/pinbench")
            });
        let info: serde_json::Value = serde_json::from_slice(
            &std::fs::read(cache.join("builds").join(&key).join("build.json")).unwrap(),
        )
        .unwrap();
        let met = secs <= 90.0;
        ok &= met;
        println!(
            "| {} | {secs:.1} | {:.1} | {} | {} |",
            i + 1,
            info["seconds"].as_f64().unwrap(),
            info["mode"].as_str().unwrap(),
            if met { "met" } else { "MISSED" }
        );
    }
    println!();
    ok
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let a = steps();
    let b = series_step();
    println!(
        "bisect bench: steps {}, series step {}",
        if a { "met" } else { "MISSED" },
        if b { "met" } else { "MISSED" }
    );
}
