//! Running the `pinbench` binary from integration tests, with its output in the test log.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Run `pinbench ARGS`, print what it said (shown when a test fails), return its output.
pub fn pinbench(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_pinbench"))
        .args(args)
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

/// The newest `n` releases of the Debian 6.12 line that the apt sources offer, oldest
/// first, as `debian:<release>` specs listed by the harness itself.
#[allow(dead_code)]
pub fn newest_612(n: usize) -> Vec<String> {
    let out = pinbench(&["kernels", "list", "--available"]);
    assert_eq!(out.status.code(), Some(0));
    let all: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|s| s.starts_with("debian:6.12."))
        .map(str::to_string)
        .collect();
    assert!(
        all.len() >= n,
        "need {n} 6.12 point releases in the apt sources: {all:?}"
    );
    all[all.len() - n..].to_vec()
}

/// The harness cache (`$PINBENCH_CACHE`, else `~/.cache/pinbench`), as the binary uses it.
#[allow(dead_code)]
pub fn cache_root() -> PathBuf {
    std::env::var_os("PINBENCH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".cache/pinbench")
        })
}

/// build.json of the source build a run.json kernel entry used (its spec ends in
/// `build <key>]`).
#[allow(dead_code)]
pub fn build_info(kernel: &serde_json::Value) -> serde_json::Value {
    let spec = kernel["spec"].as_str().unwrap();
    let key = spec
        .rsplit_once("build ")
        .map(|(_, k)| k.trim_end_matches(']'))
        .unwrap_or_else(|| panic!("no build key in spec {spec}"));
    let path = cache_root().join("builds").join(key).join("build.json");
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}
