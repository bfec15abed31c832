//! `pinbench nightly` and `pinbench history` on a real history: three successive Debian
//! 6.12 point releases run as three consecutive nights with simulated dates, under one
//! kernel name, so the history sees one kernel change release night by night. The third
//! night also lists a kernel that cannot be fetched: it must be reported as a failed kernel
//! (exit 3), not as a regression, and the good kernel must still be measured and compared.

use serde_json::Value;
use std::path::Path;

#[path = "support/pinbench.rs"]
mod support;
use support::{newest_612, pinbench};

/// The three newest 6.12 point releases, oldest first, as bare releases.
fn releases() -> Vec<String> {
    newest_612(3)
        .into_iter()
        .map(|s| s.trim_start_matches("debian:").to_string())
        .collect()
}

fn config(dir: &Path, releases: &[String], night: usize, extra_kernel: bool) -> std::path::PathBuf {
    let mut kernels = format!(
        "{{ name = \"debian-6.12\", spec = \"debian:{}\" }}",
        releases[night]
    );
    if extra_kernel {
        kernels.push_str(", { name = \"missing\", spec = \"debian:6.12.999+deb12-amd64\" }");
    }
    let p = dir.join(format!("night{night}.toml"));
    std::fs::write(
        &p,
        format!(
            "kernels = [{kernels}]\nreference = \"debian-6.12\"\nworkloads = [\"pin-latency\"]\nquick = true\n"
        ),
    )
    .unwrap();
    p
}

#[test]
fn point_releases_as_nights_build_a_history() {
    let t = tempfile::tempdir().unwrap();
    let hist = t.path().join("history");
    let h = hist.to_str().unwrap();
    let dates = ["2026-11-01", "2026-11-02", "2026-11-03"];
    let releases = releases();
    for (i, date) in dates.iter().enumerate() {
        let cfg = config(t.path(), &releases, i, i == 2);
        let out = pinbench(&[
            "nightly",
            "--config",
            cfg.to_str().unwrap(),
            "--history",
            h,
            "--date",
            date,
        ]);
        let code = out.status.code();
        if i == 2 {
            assert_eq!(
                code,
                Some(3),
                "a failed kernel is an infrastructure failure"
            );
        } else {
            assert!(matches!(code, Some(0) | Some(1)), "night {date}: {code:?}");
        }
        let summary: Value = serde_json::from_slice(
            &std::fs::read(hist.join(format!("nights/{date}/summary.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(summary["date"], *date);
        let text =
            std::fs::read_to_string(hist.join(format!("nights/{date}/summary.txt"))).unwrap();
        assert!(
            text.starts_with(&format!("pinbench nightly {date}")),
            "{text}"
        );
        if i > 0 {
            // Tonight was compared with the previous night; every finding says against what.
            for f in summary["regressions"].as_array().unwrap() {
                assert!(
                    f["against"].as_str().unwrap().starts_with("previous night"),
                    "{f}"
                );
            }
        }
        if i == 2 {
            let failed = summary["failed_kernels"].as_array().unwrap();
            assert_eq!(failed.len(), 1, "{summary}");
            assert_eq!(failed[0][0], "missing");
            assert!(failed[0][1]
                .as_str()
                .unwrap()
                .contains("kernels list --available"));
            assert!(text.contains("infrastructure, not regressions"), "{text}");
        }
    }
    // The index: one line per night, in order, each with the release it ran.
    let index = std::fs::read_to_string(hist.join("index.jsonl")).unwrap();
    let nights: Vec<Value> = index
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(nights.len(), 3);
    for (i, n) in nights.iter().enumerate() {
        assert_eq!(n["date"], dates[i]);
        let k = &n["kernels"][0];
        assert_eq!(k["name"], "debian-6.12");
        assert_eq!(k["release"], releases[i].as_str());
        assert_eq!(k["status"], "ok");
    }
    assert!(nights[2]["kernels"][1]["status"]
        .as_str()
        .unwrap()
        .starts_with("failed"));

    // The trend page: a chart per key metric, each night a link to that night's report.
    let page = std::fs::read_to_string(hist.join("index.html")).unwrap();
    assert!(
        page.contains("pin-latency/anon-rw/read/pin-fast/512p/ns_per_page"),
        "key metric charted"
    );
    for date in dates {
        let link = format!("nights/{date}/report.html");
        assert!(
            page.contains(&format!("href=\"{link}\"")),
            "{date} links to its report"
        );
        let report = std::fs::read_to_string(hist.join(&link)).unwrap();
        assert!(
            report.contains("<svg") && report.contains("6.12."),
            "{link}"
        );
    }
    assert!(page.matches("<circle").count() >= 3, "one point per night");

    // history prints the series of one metric, one line per night, with each release.
    let out = pinbench(&[
        "history",
        "--history",
        h,
        "--kernel",
        "debian-6.12",
        "--metric",
        "^pin-latency/anon-rw/write/pin-fast/512p/ns_per_page$",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = s.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{s}");
    for (i, r) in rows.iter().enumerate() {
        assert!(r.starts_with(dates[i]) && r.contains(&releases[i]), "{r}");
        let median: f64 = r.split_whitespace().last().unwrap().parse().unwrap();
        assert!(median > 0.0, "{r}");
    }
    // A bad regex is a usage error that says so.
    let out = pinbench(&["history", "--history", h, "--metric", "("]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular expression"));
}

#[test]
fn bad_nightly_configs_are_usage_errors_naming_the_key() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("bad.toml");
    std::fs::write(
        &p,
        "kernels = [\"debian:6.12\"]\nreference = \"debian:6.1\"\n",
    )
    .unwrap();
    let out = pinbench(&[
        "nightly",
        "--config",
        p.to_str().unwrap(),
        "--history",
        t.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`reference` is `debian:6.1`, which is not in `kernels`"),
        "{err}"
    );
    assert!(
        !t.path().join("index.jsonl").exists(),
        "nothing is written for a bad config"
    );
    let out = pinbench(&["nightly", "--print-default-config"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("reference = \"baseline-6.12\""));
}
