//! `pinbench bisect` over kernels built from source, end to end with real builds and boots.
//!
//! The fixture (tests/fixtures/bisect-series/) is a four-patch series on Debian's
//! linux-source-6.12 (6.12.117): three comment-only patches and one culprit, 0003, that
//! spins 512 times on cpu_relax() after every lockless page-table walk in gup_fast(), so
//! every pin_user_pages_fast() call costs about a thousand instructions more. The metric
//! is the single-page pin_user_pages_fast() cost, measured under `--clock icount` (one
//! guest ns per instruction: deterministic, so one boot per candidate decides).
//!
//! 1. Patch series: `--series SPEC` bisects the prefixes 0..4 of the spec's patches; it
//!    must name 0003, measure at most ceil(log2 4) + 1 candidates besides the endpoints,
//!    build every prefix incrementally, and write result.txt / result.json / result.html
//!    (the page is loaded in headless Chromium).
//! 2. Git range: the test makes a git repository of the same source with the four patches
//!    as commits (fixed dates: the same commit ids every run) and `--git REPO` must name
//!    the culprit commit; commits after the first are built from the nearest built commit.
//!
//! They need networked apt (linux-source-6.12), the kernel build dependencies and
//! qemu-system-x86 (scripts/setup-host.sh installs them); the first build of 6.12 takes a
//! few minutes, later ones hit ~/.cache/pinbench.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

#[path = "support/pinbench.rs"]
mod support;
use support::{build_info, cache_root, pinbench};
#[path = "support/chromium.rs"]
mod chromium;

static LOCK: Mutex<()> = Mutex::new(());

const METRIC: &str = "pin-latency/anon-rw/read/pin-fast/1p/ns_per_call";
const CULPRIT: &str = "0003-mm-gup-spin-after-every-lockless-page-table-walk.patch";
const SOURCE_VERSION: &str = "6.12.117-1~deb12u1";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture_patches() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bisect-series");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 4, "{v:?}");
    v
}

/// A spec with the fixture series, written with absolute paths into `dir`.
fn series_spec(dir: &Path) -> PathBuf {
    let config = root().join("kernels/configs/pinbench.config");
    let patches: Vec<String> = fixture_patches()
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect();
    let path = dir.join("bisect-fixture.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"bisect-fixture\"\nconfig = {:?}\npatches = [{}]\n[source]\ndebian = \"linux-source-6.12\"\nversion = \"{SOURCE_VERSION}\"\n",
            config.display().to_string(),
            patches.join(", ")
        ),
    )
    .unwrap();
    path
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// build.json of the build a run used.
fn build_of(run_dir: &Path) -> Value {
    build_info(&json(&run_dir.join("run.json"))["kernels"][0])
}

/// `pinbench bisect` of METRIC under icount, one boot a step, into `dir`.
fn bisect(dir: &Path, range: &[&str]) -> std::process::Output {
    let head = [
        "bisect", "--metric", METRIC, "--clock", "icount", "--repeat", "1",
    ];
    let tail = ["--dir", dir.to_str().unwrap()];
    pinbench(&[&head[..], range, &tail[..]].concat())
}

/// What every source bisect must show: the culprit named, few steps, a real effect, the
/// result files, and the page rendering in Chromium.
fn check_result(dir: &Path, n: usize, culprit_label: &str) -> Value {
    let result = json(&dir.join("result.json"));
    eprintln!(
        "{}",
        std::fs::read_to_string(dir.join("result.txt")).unwrap()
    );
    assert_eq!(result["candidates"].as_array().unwrap().len(), n);
    assert_eq!(result["result"]["outcome"]["outcome"], "found", "{result}");
    assert_eq!(result["culprit"]["label"], culprit_label, "{result}");
    let steps = result["result"]["steps"].as_array().unwrap();
    let inner = steps
        .iter()
        .filter(|s| s["candidate"] != 0 && s["candidate"] != (n - 1) as u64)
        .count();
    let bound = ((n - 1) as f64).log2().ceil() as usize + 1;
    assert!(
        inner <= bound,
        "{inner} measurements of inner candidates > {bound}"
    );
    let ratio = result["effect"]["ratio"].as_f64().unwrap();
    let low = result["effect"]["ci_low"].as_f64().unwrap();
    assert!(
        ratio > 1.10 && low > 1.05,
        "the culprit's spin is a clear slowdown: {}",
        result["effect"]
    );
    let text = std::fs::read_to_string(dir.join("result.txt")).unwrap();
    assert!(
        text.contains(&format!("first bad: {culprit_label}")),
        "{text}"
    );
    // The log has a line per measurement, and the bisect directory keeps each run.
    let log = std::fs::read_to_string(dir.join("log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), steps.len());
    // The page: culprit and every candidate named, an SVG figure, renders with no console
    // message and is not blank.
    let html = dir.join("result.html");
    let page = std::fs::read_to_string(&html).unwrap();
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    assert!(
        page.contains(&esc(culprit_label)),
        "the page names the culprit"
    );
    assert!(page.contains("<svg"), "the page has its figure");
    let loaded = chromium::load(&html);
    assert!(loaded.console.is_empty(), "{:?}", loaded.console);
    assert!(loaded.dom.contains("<svg"), "the SVG is in the DOM");
    let png = dir.join("result.png");
    chromium::screenshot(&html, &png, 1200, 1600);
    let (colours, ink) = chromium::colours(&png);
    assert!(
        colours > 4 && ink > 0.01,
        "screenshot looks blank: {colours} colours, {ink} ink"
    );
    result
}

#[test]
fn patch_series_bisect_names_the_patch_that_slows_the_fast_path() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let t = tempfile::tempdir().unwrap();
    let spec = series_spec(t.path());
    let dir = t.path().join("b");
    let out = bisect(&dir, &["--series", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "culprit found: exit 0");
    let result = check_result(&dir, 5, &format!("+ {CULPRIT}"));
    assert!(result["culprit"]["spec"]
        .as_str()
        .unwrap()
        .ends_with("specs/bisect-fixture-p3.toml"));
    // Every candidate with patches was built incrementally from the unpatched build.
    for s in result["result"]["steps"].as_array().unwrap() {
        let i = s["candidate"].as_u64().unwrap();
        let run = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("c{i}-m"))
            })
            .unwrap();
        let b = build_of(&run);
        assert_eq!(
            b["patches"].as_array().unwrap().len() as u64,
            i,
            "candidate {i} is the prefix of {i} patches"
        );
        if i > 0 {
            assert!(
                b["mode"].as_str().unwrap().starts_with("incremental from"),
                "candidate {i}: {}",
                b["mode"]
            );
        }
    }
}

/// Run git with fixed identity and dates (the same commit ids every run).
fn git(git_dir: &Path, work_tree: Option<&Path>, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir").arg(git_dir);
    if let Some(w) = work_tree {
        cmd.arg("--work-tree").arg(w);
    }
    let out = cmd
        .args([
            "-c",
            "user.name=pinbench test",
            "-c",
            "user.email=test@pinbench.invalid",
            "-c",
            "core.compression=1",
            "-c",
            "core.looseCompression=1",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-12-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-12-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare git repository of linux-source-6.12 with the fixture series as commits, made
/// once per target directory (`git add` of 90k files takes about a minute). The tree is
/// read from the harness's cached source (never written: the index is built from it and
/// each patch applied to the index only).
fn fixture_repo() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bisect-git-linux-6.12.git");
    if repo.join("pinbench-complete").is_file() {
        return repo;
    }
    let _ = std::fs::remove_dir_all(&repo);
    // The source tree the harness caches for linux-source-6.12 (same source version).
    let out = pinbench(&["kernels", "prepare", "baseline-6.12"]);
    assert!(out.status.success(), "preparing baseline-6.12");
    let src = cache_root()
        .join("sources/debian")
        .join(format!("linux-source-6.12_{SOURCE_VERSION}"))
        .join("linux");
    assert!(src.join("Makefile").is_file(), "{}", src.display());
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, None, &["init", "-q", "--bare"]);
    // Debian's tree ignores everything at the top level (its packaging .gitignore): -f.
    git(&repo, Some(&src), &["add", "-f", "-A", "."]);
    let base = format!("linux-source-6.12 {SOURCE_VERSION}");
    git(&repo, Some(&src), &["commit", "-q", "-m", &base]);
    git(&repo, None, &["tag", "base"]);
    for p in fixture_patches() {
        let text = std::fs::read_to_string(&p).unwrap();
        let subject = text
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .and_then(|s| s.split_once("] ").map(|(_, s)| s))
            .unwrap_or_else(|| panic!("{}: no subject", p.display()));
        git(
            &repo,
            Some(&src),
            &["apply", "--cached", p.to_str().unwrap()],
        );
        git(&repo, Some(&src), &["commit", "-q", "-m", subject]);
    }
    std::fs::write(repo.join("pinbench-complete"), "").unwrap();
    repo
}

#[test]
fn git_range_bisect_names_the_culprit_commit() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let repo = fixture_repo();
    let log = git(
        &repo,
        None,
        &["log", "--reverse", "--format=%H %s", "base..HEAD"],
    );
    let commits: Vec<(&str, &str)> = log.lines().filter_map(|l| l.split_once(' ')).collect();
    assert_eq!(commits.len(), 4, "{log}");
    let (culprit, subject) = commits[2];
    assert_eq!(subject, "mm/gup: spin after every lockless page table walk");
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("b");
    let out = bisect(
        &dir,
        &[
            "--git",
            repo.to_str().unwrap(),
            "--good",
            "base",
            "--bad",
            "HEAD",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "culprit found: exit 0");
    let result = check_result(&dir, 5, &format!("{} {subject}", &culprit[..12]));
    let spec = std::fs::read_to_string(result["culprit"]["spec"].as_str().unwrap()).unwrap();
    assert!(spec.contains(culprit), "{spec}");
    // Commits after the first are built from the nearest commit already built.
    let incremental = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("run.json").is_file())
        .map(|p| build_of(&p)["mode"].as_str().unwrap().to_string())
        .filter(|m| m.starts_with("incremental from"))
        .count();
    assert!(
        incremental >= 2,
        "at least the inner commits are incremental builds"
    );

    // Arguments that cannot make a range are usage errors that name the fix.
    let bad = pinbench(&[
        "bisect",
        "--metric",
        METRIC,
        "--git",
        repo.to_str().unwrap(),
        "--good",
        "HEAD",
        "--bad",
        "base",
        "--dir",
        t.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an ancestor"));
    assert!(
        !t.path().join("x").exists(),
        "a refused bisect leaves no directory"
    );
}
