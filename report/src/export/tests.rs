//! Snapshot tests of the exporters on fixed synthetic data (no clocks, no paths from the
//! machine), and the JSON shape documented in docs/report-json.md.

use super::*;
use crate::compare::tests::{outcome, rec, samples};
use crate::compare::{compare, CompareOptions, KernelData};
use results::protocol::{GuestEvent, Value};
use results::{HostInfo, KernelRun, KernelStatus, RunMeta};
use std::collections::BTreeMap;
use std::path::Path;

fn meta() -> RunMeta {
    RunMeta {
        schema_version: results::SCHEMA_VERSION,
        command_line: vec![],
        started: "2026-01-01T00:00:00Z".into(),
        finished: None,
        complete: true,
        harness_revision: "test".into(),
        host: HostInfo::default(),
        accel: "tcg".into(),
        clock: "wall".into(),
        memory_mib: 1024,
        cpus: 1,
        quick: true,
        repeat: 1,
        workloads: vec![],
        kernels: vec![],
    }
}

fn kernel(name: &str, release: &str, records: Vec<results::Record>) -> KernelData {
    let k = KernelRun {
        name: name.into(),
        spec: name.into(),
        dir: name.replace(':', "_"),
        release: release.into(),
        proc_version: None,
        config_digest: None,
        config_options: BTreeMap::new(),
        page_size: Some(4096),
        module_digest: None,
        boots: vec![],
        status: KernelStatus::Ok,
    };
    let events: Vec<GuestEvent> = records.into_iter().map(GuestEvent::Record).collect();
    KernelData::from_events(Path::new("/runs/r1"), &meta(), k, &[events])
}

/// Two kernels with one of everything: improved, unchanged, regressed, too few values,
/// and behaviour changes of each kind.
pub(crate) fn fixture() -> Comparison {
    let base = kernel(
        "debian:6.1",
        "6.1.0-56-amd64",
        vec![
            rec("pin/anon/1p/ns_per_call", "ns", samples(1000.0, 30)),
            rec("pin/anon/16p/ns_per_call", "ns", samples(4000.0, 30)),
            rec("pin/anon/512p/ns_per_call", "ns", samples(90000.0, 30)),
            rec(
                "pin/anon/1p/cold_ns",
                "ns",
                Value::Scalar { value: 13460.0 },
            ),
            rec("pin/anon/1p/outcome", "pages", outcome(16, None)),
            rec(
                "selftest/a|b",
                "verdict",
                Value::Verdict {
                    verdict: "pass".into(),
                },
            ),
            rec("pin/thp/1p/outcome", "pages", outcome(16, None)),
        ],
    );
    let cand = kernel(
        "debian:6.12",
        "6.12.117+deb12-amd64",
        vec![
            rec("pin/anon/1p/ns_per_call", "ns", samples(800.0, 30)),
            rec("pin/anon/16p/ns_per_call", "ns", samples(4000.0, 30)),
            rec("pin/anon/512p/ns_per_call", "ns", samples(99000.0, 30)),
            rec(
                "pin/anon/1p/cold_ns",
                "ns",
                Value::Scalar { value: 12000.0 },
            ),
            rec("pin/anon/1p/outcome", "pages", outcome(0, Some("EFAULT"))),
            rec(
                "selftest/a|b",
                "verdict",
                Value::Verdict {
                    verdict: "fail".into(),
                },
            ),
            rec(
                "pin/thp/1p/outcome",
                "pages",
                Value::Skip {
                    reason: "no THP".into(),
                },
            ),
        ],
    );
    compare(base, vec![cand], &CompareOptions::default()).unwrap()
}

const EXPECTED_TEXT: &str = r#"pinbench compare: clock wall, noise band ±2%, alpha 0.01
  baseline   debian:6.1   6.1.0-56-amd64        /runs/r1
  candidate  debian:6.12  6.12.117+deb12-amd64  /runs/r1

Median (ns, lower is better) of all boots pooled; (%) = change of the median vs baseline.
* = significant: 95% bootstrap CI of the ratio outside the ±2% noise band and BH-adjusted p < 0.01;
? = inconclusive (CI straddles the band, p not significant, or too few values); - = missing.

metric                              debian:6.1          debian:6.12
pin/anon/1p/ns_per_call     1002.00 (  0.00%)     801.60 (-20.00%)*
pin/anon/16p/ns_per_call    4008.00 (  0.00%)    4008.00 ( +0.00%)
pin/anon/512p/ns_per_call  90180.00 (  0.00%)   99198.00 (+10.00%)*
pin/anon/1p/cold_ns        13460.00 (  0.00%)   12000.00 (-10.85%)?

Summary              debian:6.12
  regressed                    1
  improved                     1
  unchanged                    1
  inconclusive                 1
  behaviour changes            3

Behaviour changes (vs baseline debian:6.1)
  debian:6.12 (3):
    pin/anon/1p/outcome  pinned 16/16 -> EFAULT (0/16 pinned)
    selftest/a|b         pass -> fail
    pin/thp/1p/outcome   pinned 16/16 -> skipped: no THP  [became skipped]
"#;

const EXPECTED_MARKDOWN: &str = r#"## pinbench compare: debian:6.12 vs debian:6.1

Clock `wall`, noise band ±2%, alpha 0.01.

| role | kernel | release | run |
|---|---|---|---|
| baseline | debian:6.1 | 6.1.0-56-amd64 | /runs/r1 |
| candidate | debian:6.12 | 6.12.117+deb12-amd64 | /runs/r1 |

Median (ns, lower is better) of all boots pooled; (%) = change of the median vs baseline.  
\* = significant: 95% bootstrap CI of the ratio outside the ±2% noise band and BH-adjusted p \< 0.01;  
? = inconclusive (CI straddles the band, p not significant, or too few values); - = missing.  

| metric | debian:6.1 | debian:6.12 |
|---|---:|---:|
| pin/anon/1p/ns\_per\_call | 1002.00 | 801.60 (-20.00%) **\*** |
| pin/anon/16p/ns\_per\_call | 4008.00 | 4008.00 (+0.00%) |
| pin/anon/512p/ns\_per\_call | 90180.00 | 99198.00 (+10.00%) **\*** |
| pin/anon/1p/cold\_ns | 13460.00 | 12000.00 (-10.85%) **?** |

### Summary

| | debian:6.12 |
|---|---:|
| regressed | 1 |
| improved | 1 |
| unchanged | 1 |
| inconclusive | 1 |
| behaviour changes | 3 |

### Behaviour changes

| candidate | id | change | baseline -> candidate |
|---|---|---|---|
| debian:6.12 | pin/anon/1p/outcome | changed | pinned 16/16 -\> EFAULT (0/16 pinned) |
| debian:6.12 | selftest/a\|b | changed | pass -\> fail |
| debian:6.12 | pin/thp/1p/outcome | became skipped | pinned 16/16 -\> skipped: no THP |
"#;

#[test]
fn text_snapshot() {
    let got = render(&fixture(), Format::Text);
    assert_eq!(got, EXPECTED_TEXT, "\n--- got ---\n{got}");
}

#[test]
fn markdown_snapshot() {
    let got = render(&fixture(), Format::Markdown);
    assert_eq!(got, EXPECTED_MARKDOWN, "\n--- got ---\n{got}");
}

#[test]
fn json_has_the_documented_shape() {
    let v: serde_json::Value = serde_json::from_str(&render(&fixture(), Format::Json)).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["baseline"]["label"], "debian:6.1");
    assert_eq!(v["candidates"][0]["label"], "debian:6.12");
    let metrics = v["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 4);
    for m in metrics {
        for key in [
            "id",
            "metric",
            "candidate",
            "verdict",
            "baseline_median",
            "candidate_median",
            "ratio",
            "ci_low",
            "ci_high",
            "p_value",
            "p_adjusted",
            "n_baseline",
            "n_candidate",
        ] {
            assert!(m.get(key).is_some(), "metric lacks {key}: {m}");
        }
        let verdict = m["verdict"].as_str().unwrap();
        assert!(
            ["regressed", "improved", "unchanged", "inconclusive"].contains(&verdict),
            "{verdict}"
        );
    }
    let verdicts: Vec<&str> = metrics
        .iter()
        .map(|m| m["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        ["improved", "unchanged", "regressed", "inconclusive"]
    );
    let cold = &metrics[3];
    assert!(cold["p_value"].is_null() && cold["ci_low"].is_null());
    assert_eq!(cold["n_baseline"], 1);
    let b = v["behaviour_changes"].as_array().unwrap();
    assert_eq!(b.len(), 3);
    assert_eq!(b[0]["kind"], "changed");
    assert_eq!(b[0]["baseline"], "pinned 16/16");
    assert_eq!(b[0]["candidate_value"], "EFAULT (0/16 pinned)");
    assert_eq!(b[2]["kind"], "became_skipped");
    assert_eq!(v["summary"][0]["regressed"], 1);
    assert!(v["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn markdown_escapes_user_strings() {
    assert_eq!(markdown::escape("a|b_*<x>`"), "a\\|b\\_\\*\\<x\\>\\`");
}
