//! The command line as a newcomer meets it, without booting anything: `doctor` names the fix
//! for each missing piece, `run` refuses early on a host that cannot run it, completions and
//! man pages are generated, and docs/cli.md is the CLI's real help text.
//!
//! `PINBENCH_BLESS=1 cargo test -p harness --test cli` rewrites docs/cli.md after a CLI change.

use std::path::Path;
use std::process::{Command, Output};

fn pinbench(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pinbench"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run pinbench");
    eprintln!(
        "$ pinbench {}\n--- stdout\n{}--- stderr\n{}--- exit {:?}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code()
    );
    out
}

#[test]
fn doctor_names_the_fix_when_tools_are_missing() {
    // An empty PATH: nothing pinbench needs can be found.
    let empty = tempfile::tempdir().unwrap();
    let out = pinbench(&["doctor"], &[("PATH", empty.path().to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(3));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("FAIL  tools"), "{s}");
    assert!(
        s.contains("apt-get install qemu-system-x86 apt dpkg gcc-12 make flex bison bc"),
        "{s}"
    );
    assert!(s.contains("rustup"), "{s}");
    assert!(
        s.contains("FAIL  apt lists") && s.contains("apt-get update"),
        "{s}"
    );
}

#[test]
fn doctor_flags_an_unwritable_cache() {
    let out = pinbench(
        &["doctor", "--json"],
        &[("PINBENCH_CACHE", "/proc/pinbench-cache")],
    );
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cache = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "cache")
        .unwrap();
    assert_eq!(cache["status"], "fail");
    assert!(cache["fix"].as_str().unwrap().contains("PINBENCH_CACHE"));
}

#[test]
fn run_refuses_early_on_a_host_without_qemu() {
    let empty = tempfile::tempdir().unwrap();
    let out_dir = empty.path().join("run");
    let out = pinbench(
        &[
            "run",
            "--kernel",
            "debian:6.12",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        &[("PATH", empty.path().to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("apt-get install qemu-system-x86"), "{err}");
    assert!(err.contains("pinbench doctor"), "{err}");
    assert!(
        !out_dir.exists(),
        "nothing is created before the checks pass"
    );
}

#[test]
fn completions_and_man_pages_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let out = pinbench(&["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0));
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            s.contains("pinbench") && s.contains("kernel"),
            "{shell}: {s}"
        );
    }
    let d = tempfile::tempdir().unwrap();
    let out = pinbench(&["man", "--out-dir", d.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0));
    let main = std::fs::read_to_string(d.path().join("pinbench.1")).unwrap();
    assert!(main.contains(".TH pinbench"), "{main}");
    let run = std::fs::read_to_string(d.path().join("pinbench-run.1")).unwrap();
    assert!(run.contains("icount"), "{run}");
}

/// docs/cli.md holds `--help` of every subcommand; a CLI change without regenerating it fails.
#[test]
fn docs_cli_md_matches_the_cli() {
    let top = pinbench(&["--help"], &[]);
    let top = String::from_utf8_lossy(&top.stdout).into_owned();
    let mut doc = String::from(
        "# pinbench command-line reference\n\nGenerated from the CLI definition \
         (`PINBENCH_BLESS=1 cargo test -p harness --test cli` regenerates it; a test fails when \
         it is stale).\n\n```text\n",
    );
    doc.push_str(&top);
    doc.push_str("```\n");
    let subs: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|s| s != "help")
        .collect();
    assert!(subs.iter().any(|s| s == "run"), "{subs:?}");
    for s in &subs {
        let h = pinbench(&[s, "--help"], &[]);
        doc.push_str(&format!(
            "\n## pinbench {s}\n\n```text\n{}```\n",
            String::from_utf8_lossy(&h.stdout)
        ));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md");
    if std::env::var_os("PINBENCH_BLESS").is_some() {
        std::fs::write(&path, &doc).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == doc,
        "docs/cli.md is stale: run `PINBENCH_BLESS=1 cargo test -p harness --test cli` and commit it"
    );
}
