//! JSON for machines (CI dashboards, bisect scripts). The shape is documented in
//! docs/report-json.md; bump [`REPORT_SCHEMA_VERSION`] on any incompatible change.
//! Non-finite numbers are written as `null`.

use crate::compare::{BehaviourChange, Comparison, Counts, KernelData, Verdict};
use serde::Serialize;

/// Version of the report JSON shape.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub schema_version: u32,
    pub baseline: Kernel,
    pub candidates: Vec<Kernel>,
    pub clock: &'a str,
    pub noise_band: f64,
    pub alpha: f64,
    pub confidence: f64,
    pub summary: Vec<CandidateSummary>,
    pub metrics: Vec<Metric<'a>>,
    pub behaviour_changes: &'a [BehaviourChange],
    pub warnings: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct Kernel {
    pub label: String,
    pub name: String,
    pub spec: String,
    pub release: String,
    pub run_dir: String,
    pub boots: usize,
}

#[derive(Debug, Serialize)]
pub struct CandidateSummary {
    pub candidate: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Serialize)]
pub struct Metric<'a> {
    pub id: &'a str,
    pub metric: &'a str,
    pub unit: &'a str,
    pub candidate: &'a str,
    pub verdict: Verdict,
    pub baseline_median: f64,
    pub candidate_median: f64,
    pub ratio: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
    pub p_adjusted: Option<f64>,
    pub n_baseline: usize,
    pub n_candidate: usize,
    pub note: Option<&'a str>,
}

fn kernel(k: &KernelData) -> Kernel {
    Kernel {
        label: k.label.clone(),
        name: k.kernel.name.clone(),
        spec: k.kernel.spec.clone(),
        release: k.kernel.release.clone(),
        run_dir: k.run_dir.display().to_string(),
        boots: k.boots_loaded,
    }
}

pub fn report(c: &Comparison) -> Report<'_> {
    let mut metrics = Vec::new();
    for r in &c.rows {
        for (cand, res) in c.candidates.iter().zip(&r.results) {
            let Some(m) = res else { continue };
            metrics.push(Metric {
                id: &r.id,
                metric: &r.metric,
                unit: &r.unit,
                candidate: &cand.label,
                verdict: m.verdict,
                baseline_median: m.baseline.median,
                candidate_median: m.candidate.median,
                ratio: m.ratio,
                ci_low: m.ci_low,
                ci_high: m.ci_high,
                p_value: m.p_value,
                p_adjusted: m.p_adjusted,
                n_baseline: m.baseline.n,
                n_candidate: m.candidate.n,
                note: m.note.as_deref(),
            });
        }
    }
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        baseline: kernel(&c.baseline),
        candidates: c.candidates.iter().map(kernel).collect(),
        clock: &c.clock,
        noise_band: c.noise_band,
        alpha: c.alpha,
        confidence: c.confidence,
        summary: c
            .candidates
            .iter()
            .enumerate()
            .map(|(i, k)| CandidateSummary {
                candidate: k.label.clone(),
                counts: c.counts(i),
            })
            .collect(),
        metrics,
        behaviour_changes: &c.behaviour,
        warnings: &c.warnings,
    }
}

/// Pretty JSON with a trailing newline.
pub fn render(c: &Comparison) -> String {
    let mut s = serde_json::to_string_pretty(&report(c)).expect("report serializes");
    s.push('\n');
    s
}

/// The field paths documented in docs/report-json.md: the first backticked name of every
/// table row (`metrics[].id`, `baseline.label`, ...). Used by the tests that keep that page
/// and the code in step.
pub fn documented_fields(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(name, _)| name.to_string()))
        .collect()
}

/// Which documented `paths` a report lacks. A path through an array (`metrics[].id`) must
/// hold in every element; one whose array is empty cannot be checked and is returned in the
/// second list instead.
pub fn check_fields(report: &serde_json::Value, paths: &[String]) -> (Vec<String>, Vec<String>) {
    fn walk(v: &serde_json::Value, parts: &[&str]) -> Result<(), bool> {
        // Err(true): missing; Err(false): an empty array on the way.
        let Some((first, rest)) = parts.split_first() else {
            return Ok(());
        };
        let (name, array) = match first.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (*first, false),
        };
        let child = v.get(name).ok_or(true)?;
        if !array {
            return walk(child, rest);
        }
        let items = child.as_array().ok_or(true)?;
        if items.is_empty() {
            return if rest.is_empty() { Ok(()) } else { Err(false) };
        }
        items.iter().try_for_each(|i| walk(i, rest))
    }
    let (mut missing, mut unchecked) = (Vec::new(), Vec::new());
    for p in paths {
        let parts: Vec<&str> = p.split('.').collect();
        match walk(report, &parts) {
            Ok(()) => {}
            Err(true) => missing.push(p.clone()),
            Err(false) => unchecked.push(p.clone()),
        }
    }
    (missing, unchecked)
}
