//! `pinbench bisect` and `pinbench check` on real Debian point releases: the candidates come
//! from the apt sources through the harness, each measurement is a real narrowed run. On a
//! behaviour cell that every 6.12 release shares (a write pin of populated anonymous memory
//! pins it) the endpoints do not differ, and the bisect must say so and stop after measuring
//! only the endpoints; run again in the same directory it resumes from its log without
//! booting anything. `check` against a good run answers 0 for the same kernel.

use std::time::Instant;

#[path = "support/pinbench.rs"]
mod support;
use support::{newest_612, pinbench};

const CELL: &str = "pin-latency/anon-rw/write/pin-fast/1p/outcome";

#[test]
fn equal_endpoints_stop_the_bisect_and_a_rerun_resumes_from_the_log() {
    let rel = newest_612(3);
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("b");
    let d = dir.to_str().unwrap();
    let args = [
        "bisect", "--metric", CELL, "--good", &rel[0], "--bad", &rel[2], "--dir", d, "--repeat",
        "1",
    ];
    let out = pinbench(&args);
    assert_eq!(out.status.code(), Some(1), "no single culprit: exit 1");
    let text = std::fs::read_to_string(dir.join("result.txt")).unwrap();
    assert!(
        text.contains("nothing to bisect: good and bad do not differ"),
        "{text}"
    );
    let log: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("log.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(log.len(), 2, "only the endpoints were measured: {log:?}");
    for l in &log {
        assert_eq!(l["behaviour"], "pinned 1/1", "{l}");
    }
    let result: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("result.json")).unwrap()).unwrap();
    assert_eq!(result["result"]["outcome"]["outcome"], "no_difference");
    assert_eq!(result["candidates"].as_array().unwrap().len(), 3);
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("c0-m1/run.json")).unwrap()).unwrap();
    assert_eq!(
        run["clock"], "icount",
        "bisect measures on icount by default"
    );

    // The same bisect again: every measurement is read back, nothing boots.
    let t0 = Instant::now();
    let again = pinbench(&args);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        t0.elapsed().as_secs() < 30,
        "a resumed bisect re-used its runs"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("result.txt")).unwrap(),
        text
    );
    let runs = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('c')
        })
        .count();
    assert_eq!(
        runs, 3,
        "candidates.json and two run directories, no new runs"
    );

    // Another bisect in the same directory is refused.
    let out = pinbench(&[
        "bisect",
        "--metric",
        "pin-latency/x",
        "--good",
        &rel[0],
        "--bad",
        &rel[2],
        "--dir",
        d,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds another bisect"));
    // So is resuming it on another clock than it was measured with (icount by default).
    let mut wall = args.to_vec();
    wall.extend(["--clock", "wall"]);
    let out = pinbench(&wall);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("resume it with --clock icount"),
        "the error names the fix"
    );

    // check, as `git bisect run` calls it: the good endpoint's own run is good.
    let good_run = format!("{}:{}", dir.join("c0-m1").display(), rel[0]);
    let check = |metric: &str, good: &str, more: &[&str]| {
        let mut args = vec!["check", "--metric", metric, "--good-run", good];
        args.extend(["--kernel", rel[1].as_str()]);
        args.extend(more);
        pinbench(&args)
    };
    let check_dir = t.path().join("check");
    let out = check(
        CELL,
        &good_run,
        &["--repeat", "1", "--dir", check_dir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "the same behaviour is good");
    // A metric the run does not have: skip (125), not a verdict.
    assert_eq!(check("nope", &good_run, &[]).status.code(), Some(125));
    // A clock other than the good run's, or a good run that cannot be read, is a setup error
    // every commit would meet: 128 stops `git bisect run`, before anything is booted.
    let out = check(CELL, &good_run, &["--clock", "wall"]);
    assert_eq!(out.status.code(), Some(128));
    assert!(String::from_utf8_lossy(&out.stderr).contains("drop --clock"));
    let missing = t.path().join("no-such-run");
    let out = check(CELL, missing.to_str().unwrap(), &[]);
    assert_eq!(out.status.code(), Some(128));
}

#[test]
fn bad_bisect_ranges_are_usage_errors() {
    let rel = newest_612(2);
    let out = pinbench(&[
        "bisect", "--metric", CELL, "--good", &rel[1], "--bad", &rel[0],
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not older"));
    let out = pinbench(&[
        "bisect",
        "--metric",
        CELL,
        "--good",
        "debian:6.1",
        "--bad",
        &rel[0],
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different lines"));
}
