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

/// Options that give single-boot fixtures verdicts (the wall clock needs five boots a side
/// by default; these tests are about rendering, not about that rule).
pub(crate) fn one_boot() -> CompareOptions {
    CompareOptions {
        min_boots: Some(1),
        ..CompareOptions::default()
    }
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
    compare(base, vec![cand], &one_boot()).unwrap()
}

const EXPECTED_TEXT: &str = r#"pinbench compare: clock wall, noise band ±2%, alpha 0.01
  baseline   debian:6.1   6.1.0-56-amd64        /runs/r1
  candidate  debian:6.12  6.12.117+deb12-amd64  /runs/r1

Median (ns, lower is better) of all boots pooled; (%) = change of the median vs baseline.
* = significant: 95% bootstrap CI of the ratio outside the ±2% noise band and BH-adjusted p < 0.01;
? = inconclusive (CI straddles the band, p not significant, or too few values or boots); - = missing.

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

Without a verdict
  1 x too few values for a verdict (1 vs 1, need 5 each); run more boots with `pinbench run --repeat`

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
? = inconclusive (CI straddles the band, p not significant, or too few values or boots); - = missing.  

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

### Without a verdict

- 1 × too few values for a verdict (1 vs 1, need 5 each); run more boots with \`pinbench run --repeat\`

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

/// A record of `workload` with coordinates.
fn prec(
    workload: &str,
    id: &str,
    unit: &str,
    params: &[(&str, &str)],
    value: Value,
) -> results::Record {
    results::Record {
        id: format!("{workload}/{id}"),
        metric: format!("{workload}.{}", id.rsplit('/').next().unwrap()),
        workload: workload.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        unit: unit.into(),
        value,
    }
}

/// Three workloads shaped like pinbench's: pin-latency cells with kind/mode coordinates,
/// a fork-cost family against a pinned fraction, and a coherence verdict that changed.
fn html_fixture(base_name: &str) -> Comparison {
    let kernel_records = |slow: f64, coherence: &str| {
        let pl = [
            ("kind", "anon-rw"),
            ("mode", "read"),
            ("api", "pin-fast"),
            ("pages", "1"),
        ];
        let pl2 = [
            ("kind", "thp"),
            ("mode", "longterm-write"),
            ("api", "pin-fast"),
            ("pages", "1"),
        ];
        let mut v = vec![
            prec(
                "pin-latency",
                "anon-rw/read/pin-fast/1p/ns_per_page",
                "ns",
                &pl,
                samples(100.0 * slow, 30),
            ),
            prec(
                "pin-latency",
                "thp/longterm-write/pin-fast/1p/ns_per_page",
                "ns",
                &pl2,
                samples(50.0, 30),
            ),
            prec(
                "pin-latency",
                "anon-rw/read/pin-fast/1p/outcome",
                "pages",
                &pl,
                outcome(16, None),
            ),
        ];
        // Shaped like the fork-cost workload's records.
        for variant in ["plain", "dontfork"] {
            for pct in ["0", "1", "100"] {
                let p = [
                    ("mib", "16"),
                    ("percent", pct),
                    ("variant", variant),
                    ("api", "pin-fast"),
                ];
                let ns: f64 = pct.parse::<f64>().unwrap() * 10.0 + 1000.0;
                let id = format!("16mib/{pct}pct/{variant}");
                v.push(prec(
                    "fork-cost",
                    &format!("{id}/fork_ns"),
                    "ns",
                    &p,
                    samples(ns * slow, 10),
                ));
                v.push(prec(
                    "fork-cost",
                    &format!("{id}/copied_at_fork"),
                    "pages",
                    &p,
                    Value::Scalar {
                        value: pct.parse::<f64>().unwrap() * 40.0,
                    },
                ));
            }
        }
        v.push(prec(
            "cow",
            "b-fork-then-read-pin/pin-fast/coherence",
            "verdict",
            &[("scenario", "b")],
            Value::Verdict {
                verdict: coherence.into(),
            },
        ));
        v
    };
    let base = kernel(base_name, "6.1.0-56-amd64", kernel_records(1.0, "coherent"));
    let cand = kernel(
        "debian:6.12",
        "6.12.117+deb12-amd64",
        kernel_records(1.3, "leak"),
    );
    compare(base, vec![cand], &one_boot()).unwrap()
}

#[test]
fn html_is_self_contained_and_has_every_section_and_figure() {
    let h = render(&html_fixture("debian:6.1"), Format::Html);
    assert!(h.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(h.ends_with("</html>\n"));
    // Nothing fetched, nothing run.
    for banned in ["<script", "<link", "src=", "@import", "url(", "href=\"http"] {
        assert!(!h.contains(banned), "HTML contains {banned}");
    }
    for id in [
        "summary",
        "environment",
        "w-pin-latency",
        "w-fork-cost",
        "w-cow",
        "metrics",
    ] {
        assert!(h.contains(&format!("id=\"{id}\"")), "no section {id}");
    }
    // pin-latency: one bar chart (kind · mode categories) and its box plot; fork-cost: one
    // fraction figure per family (fork_ns, pages_copied); cow has no numbers: no figure.
    assert_eq!(h.matches("<svg").count(), 4, "figures");
    assert!(h.contains("anon-rw · read") && h.contains("thp · longterm-write"));
    assert!(h.contains("fork-cost.fork_ns vs memory held pinned"));
    assert!(h.contains("fork-cost.copied_at_fork vs memory held pinned"));
    assert!(h.contains("distribution of pin-latency.ns_per_page — api=pin-fast, pages=1"));
    // Lines per kernel and varying coordinate (constant ones, api and mib, stay out).
    for line in ["debian:6.1 variant=plain", "debian:6.12 variant=dontfork"] {
        assert!(h.contains(&format!("\n{line}\n</text>")), "no line {line}");
    }
    assert!(!h.contains("api=pin-fast, mib=16"));
    // The coherence change is highlighted in the matrix and listed in the summary.
    assert!(h.contains("<td class=\"good\">coherent</td><td class=\"bad changed\">leak <span class=\"badge\">changed</span></td>"), "{h}");
    assert!(h.contains("<td class=\"id\">cow/b-fork-then-read-pin/pin-fast/coherence</td><td>debian:6.12</td><td>changed</td><td>coherent -&gt; leak</td>"));
    // Environment from run.json.
    assert!(h.contains("<th>accel</th><td>tcg</td><td>tcg</td>"));
    assert!(h.contains("6.12.117+deb12-amd64"));
}

/// The summary section of the fixture, exactly.
const EXPECTED_HTML_SUMMARY: &str = r#"<h2 id="summary">Summary</h2>
<table class="counts"><thead><tr><th>candidate vs baseline</th><th>regressed</th><th>improved</th><th>unchanged</th><th>inconclusive</th><th>behaviour changes</th></tr></thead><tbody>
<tr><td>debian:6.12</td><td class="num regressed">7</td><td class="num ">0</td><td class="num ">1</td><td class="num ">0</td><td class="num regressed">1</td></tr>
</tbody></table>
<h3>Largest regressions</h3>
<p>7 regressed metric(s).</p>
<table class="regressions"><thead><tr><th>metric</th><th>candidate</th><th>baseline median</th><th>candidate median</th><th>change</th><th>interval of the ratio</th><th>adjusted p</th></tr></thead><tbody>
"#;

#[test]
fn html_summary_snapshot() {
    let h = render(&html_fixture("debian:6.1"), Format::Html);
    let start = h.find("<h2 id=\"summary\">").unwrap();
    let got = &h[start..start + EXPECTED_HTML_SUMMARY.len().min(h.len() - start)];
    assert_eq!(
        got,
        EXPECTED_HTML_SUMMARY,
        "\n--- got ---\n{}",
        &h[start..start + 2000]
    );
    // Every regression is +30%, largest first, with its interval.
    let regs = &h[start..h.find("<h3>Behaviour changes</h3>").unwrap()];
    assert_eq!(regs.matches("<tr class=\"regressed\">").count(), 7);
    assert_eq!(regs.matches("+30.00%").count(), 7);
}

#[test]
fn html_escapes_every_user_string() {
    let evil = "<script>alert(1)</script>";
    let h = render(&html_fixture(evil), Format::Html);
    assert!(!h.contains("<script"), "unescaped kernel name");
    assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // In the title, the legend, the environment and the figures alike.
    assert!(h.matches("&lt;script&gt;").count() >= 5);
    assert_eq!(html::escape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&#39;");
}

#[test]
fn html_of_one_kernel_has_figures_and_no_verdicts() {
    let c = compare(
        kernel(
            "debian:6.12",
            "6.12.117+deb12-amd64",
            vec![prec(
                "pin-latency",
                "anon-rw/read/pin-fast/1p/ns_per_call",
                "ns",
                &[("kind", "anon-rw"), ("mode", "read")],
                samples(100.0, 30),
            )],
        ),
        vec![],
        &CompareOptions::default(),
    )
    .unwrap();
    let h = render(&c, Format::Html);
    assert!(h.contains("One kernel: nothing to compare against."));
    assert_eq!(h.matches("<svg").count(), 2);
    assert!(!h.contains("Largest regressions"));
}

#[test]
fn every_field_documented_in_report_json_md_is_in_the_output() {
    let doc = include_str!("../../../docs/report-json.md");
    let fields = json::documented_fields(doc);
    assert!(fields.len() > 30, "only {} documented fields", fields.len());
    for f in [
        "metrics[].verdict",
        "metrics[].ci_low",
        "behaviour_changes[].kind",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} not documented");
    }
    let v: serde_json::Value = serde_json::from_str(&render(&fixture(), Format::Json)).unwrap();
    let (missing, unchecked) = json::check_fields(&v, &fields);
    assert!(
        missing.is_empty(),
        "documented but not in the output: {missing:?}"
    );
    assert!(
        unchecked.is_empty(),
        "the fixture left {unchecked:?} unchecked"
    );
    // And the checker does fail on a field the output lacks.
    let (missing, _) = json::check_fields(&v, &["metrics[].no_such_field".to_string()]);
    assert_eq!(missing, ["metrics[].no_such_field"]);
}

#[test]
fn html_says_why_metrics_have_no_verdict() {
    let h = render(&fixture(), Format::Html);
    assert!(h.contains("<p>Metrics without a verdict, and why:</p>"));
    assert!(
        h.contains("<li>1 × too few values for a verdict (1 vs 1, need 5 each)"),
        "{h}"
    );
}
