//! `pinbench nightly`: run the configured matrix, add the night to the history, compare,
//! re-measure what regressed, look for change points, and summarise for mail and CI.
//!
//! Stages, each its own function: [`run_matrix`] (one `pinbench run` into the history),
//! [`record_night`] (the index line), [`compare_night`] (against the reference kernel of
//! the same night and against each kernel's previous night), [`remeasure`] (only the cells
//! that regressed, once), [`trends`] (change points over the last nights) and
//! [`Summary::render_text`]. What is "new" — and so what makes the exit code 1 — is a
//! regression confirmed by the re-measure, or a behaviour change, against a kernel's own
//! previous night, or one against the reference that the previous night did not have.

pub mod config;

use crate::run::{run, RunOptions, RunSummary};
use crate::ui::Ui;
use anyhow::{Context, Result};
use config::{Config, KernelEntry};
use report::changepoint;
use report::compare::{compare_specs, CellData, CompareOptions, Comparison, Verdict};
use results::history::{History, KernelIdentity, Night, HISTORY_SCHEMA_VERSION};
use results::{KernelStatus, RunMeta};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Options beyond the config file.
#[derive(Debug, Clone)]
pub struct NightlyOptions {
    pub config: Config,
    pub history: PathBuf,
    /// `YYYY-MM-DD` of this night (tests simulate dates).
    pub date: String,
    pub jobs: Option<usize>,
    pub command_line: Vec<String>,
}

/// The history directory: `--history`, else the config's, else `history/` in the results store.
pub fn history_dir(cli: Option<&Path>, cfg: &Config) -> PathBuf {
    match cli {
        Some(p) => p.to_path_buf(),
        None if !cfg.history.is_empty() => PathBuf::from(&cfg.history),
        None => crate::run::results_store().join("history"),
    }
}

/// One regression (or behaviour change) found tonight.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// The kernel that changed (config name).
    pub kernel: String,
    /// What it was compared against: `reference <name>` or `previous night <date>`.
    pub against: String,
    pub metric: String,
    /// Ratio of medians (candidate / baseline) for speed; None for behaviour.
    pub ratio: Option<f64>,
    /// For behaviour: `baseline -> candidate`.
    pub detail: Option<String>,
    /// Confirmed by the re-measure (always true for behaviour, which is exact).
    pub confirmed: bool,
    /// Not present the night before.
    pub new: bool,
}

impl Finding {
    /// Its rank in the mail and the tag after it: new and confirmed (0, " NEW") first, then
    /// confirmed before (1, ""), then not confirmed by the re-measure (2).
    fn standing(&self) -> (u8, &'static str) {
        match (self.new, self.confirmed) {
            (true, true) => (0, " NEW"),
            (false, true) => (1, ""),
            (_, false) => (2, " (not confirmed by the re-measure)"),
        }
    }
}

/// A change point in a kernel's metric series.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Shift {
    pub kernel: String,
    pub metric: String,
    /// The first night at the new level.
    pub date: String,
    pub relative_change: f64,
    pub p: f64,
}

/// Everything a night produced, as written to `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub date: String,
    pub run: String,
    pub reference: String,
    /// Kernels that failed to fetch, build or boot: infrastructure, not regressions.
    pub failed_kernels: Vec<(String, String)>,
    pub regressions: Vec<Finding>,
    pub behaviour_changes: Vec<Finding>,
    pub improvements: usize,
    pub shifts: Vec<Shift>,
    pub warnings: Vec<String>,
    pub complete: bool,
}

impl Summary {
    pub fn new_findings(&self) -> usize {
        self.regressions
            .iter()
            .chain(&self.behaviour_changes)
            .filter(|f| f.new && f.confirmed)
            .count()
    }

    /// Exit code: 3 infrastructure failure, 1 something new, 0 nothing new.
    pub fn exit_code(&self) -> i32 {
        if !self.failed_kernels.is_empty() || !self.complete {
            crate::exit::INFRA
        } else if self.new_findings() > 0 {
            crate::exit::REGRESSION
        } else {
            crate::exit::OK
        }
    }

    /// The text for mail: short, fixed width, news first; each kernel's findings against one
    /// baseline capped at [`MAIL_LINES`] (new and confirmed first, then the largest), the
    /// rest counted and left to summary.json.
    pub fn render_text(&self) -> String {
        let mut s = format!(
            "pinbench nightly {}  (reference {}; run {})\n",
            self.date, self.reference, self.run
        );
        let new = self.new_findings();
        s.push_str(&format!(
            "{} new finding(s), {} regression(s), {} behaviour change(s), {} improvement(s), {} failed kernel(s)\n",
            new,
            self.regressions.iter().filter(|f| f.confirmed).count(),
            self.behaviour_changes.len(),
            self.improvements,
            self.failed_kernels.len()
        ));
        if !self.failed_kernels.is_empty() {
            s.push_str("\nFailed kernels (infrastructure, not regressions):\n");
            for (k, why) in &self.failed_kernels {
                s.push_str(&format!("  {k}: {why}\n"));
            }
        }
        let mut section = |title: &str, list: &[Finding]| {
            if list.is_empty() {
                return;
            }
            s.push_str(&format!("\n{title}:\n"));
            // One group per kernel and comparison, in first-seen order; within it, new and
            // confirmed first, then the largest change; at most MAIL_LINES lines a group.
            let mut groups: Vec<(&str, &str, Vec<&Finding>)> = Vec::new();
            for f in list {
                match groups
                    .iter_mut()
                    .find(|g| g.0 == f.kernel && g.1 == f.against)
                {
                    Some(g) => g.2.push(f),
                    None => groups.push((&f.kernel, &f.against, vec![f])),
                }
            }
            for (kernel, against, mut fs) in groups {
                let size = |f: &Finding| f.ratio.map_or(0.0, |r| (r - 1.0).abs());
                fs.sort_by(|a, b| {
                    a.standing()
                        .0
                        .cmp(&b.standing().0)
                        .then(size(b).total_cmp(&size(a)))
                });
                for f in fs.iter().take(MAIL_LINES) {
                    let what = match (f.ratio, &f.detail) {
                        (Some(r), _) => format!("{:+.2}%", (r - 1.0) * 100.0),
                        (None, Some(d)) => d.clone(),
                        _ => String::new(),
                    };
                    let tag = f.standing().1;
                    s.push_str(&format!(
                        "  {:<28} {:<60} {:>10}  vs {}{tag}\n",
                        f.kernel, f.metric, what, f.against
                    ));
                }
                if fs.len() > MAIL_LINES {
                    let rest = &fs[MAIL_LINES..];
                    let new = rest.iter().filter(|f| f.new && f.confirmed).count();
                    s.push_str(&format!(
                        "  {kernel:<28} ... and {} more vs {against} ({new} of them new): summary.json\n",
                        rest.len()
                    ));
                }
            }
        };
        section("Regressions", &self.regressions);
        section("Behaviour changes", &self.behaviour_changes);
        if !self.shifts.is_empty() {
            s.push_str("\nChange points (first night at the new level):\n");
            for c in self.shifts.iter().take(MAIL_LINES) {
                s.push_str(&format!(
                    "  {:<28} {:<60} {:>+9.2}%  from {}  (p {:.3})\n",
                    c.kernel,
                    c.metric,
                    c.relative_change * 100.0,
                    c.date,
                    c.p
                ));
            }
        }
        if self.shifts.len() > MAIL_LINES {
            s.push_str(&format!(
                "  ... and {} more change points: summary.json, history/index.html\n",
                self.shifts.len() - MAIL_LINES
            ));
        }
        for w in &self.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        s
    }
}

/// Lines of summary.txt per kernel and comparison (and change points in all): the text is
/// mailed, and a first night or a config change can find thousands; summary.json has all.
pub const MAIL_LINES: usize = 15;

/// What every VM run of a night shares.
pub struct Ctx<'a> {
    pub jobs: Option<usize>,
    pub command_line: &'a [String],
    pub ui: &'a Ui,
    pub cancel: &'a AtomicBool,
}

/// Run every configured kernel into `dir`.
pub fn run_matrix(
    cfg: &Config,
    kernels: &[&KernelEntry],
    dir: &Path,
    workload_args: Vec<(String, Vec<String>)>,
    ctx: &Ctx,
) -> Result<RunSummary> {
    run(
        &RunOptions {
            kernels: kernels.iter().map(|k| k.spec().to_string()).collect(),
            workloads: cfg.workloads.clone(),
            quick: cfg.quick,
            repeat: cfg.repeat,
            accel: cfg.accel,
            clock: cfg.clock,
            memory_mib: 1024,
            cpus: None,
            jobs: ctx.jobs,
            out: Some(dir.to_path_buf()),
            timeout_s: None,
            module_override: None,
            module_params: String::new(),
            extra_cmdline: String::new(),
            workload_args,
            command_line: ctx.command_line.to_vec(),
        },
        ctx.ui,
        ctx.cancel,
    )
}

fn status_text(s: &KernelStatus) -> String {
    match s {
        KernelStatus::Ok => "ok".into(),
        KernelStatus::WorkloadsFailed { failed } => {
            format!("workloads failed: {}", failed.join(", "))
        }
        KernelStatus::Failed { error } => format!("failed: {error}"),
        KernelStatus::Interrupted => "interrupted".into(),
        KernelStatus::Pending => "not run".into(),
    }
}

/// The index line of a night: each config kernel with what it resolved to.
pub fn record_night(cfg: &Config, date: &str, run_name: &str, meta: &RunMeta) -> Night {
    Night {
        schema_version: HISTORY_SCHEMA_VERSION,
        date: date.into(),
        run: run_name.into(),
        kernels: cfg
            .kernels
            .iter()
            .map(|e| {
                let k = meta.kernels.iter().find(|k| k.name == e.spec());
                KernelIdentity {
                    name: e.name().into(),
                    run_kernel: e.spec().into(),
                    spec: k.map(|k| k.spec.clone()).unwrap_or_else(|| e.spec().into()),
                    release: k.map(|k| k.release.clone()).unwrap_or_default(),
                    config_digest: k.and_then(|k| k.config_digest.clone()),
                    status: k
                        .map(|k| status_text(&k.status))
                        .unwrap_or_else(|| "not run".into()),
                }
            })
            .collect(),
        complete: meta.complete,
    }
}

pub fn kernel_ok(n: &Night, name: &str) -> Option<KernelIdentity> {
    n.kernels
        .iter()
        .find(|k| k.name == name && k.status == "ok")
        .cloned()
}

fn spec_of(h: &History, n: &Night, k: &KernelIdentity) -> String {
    format!("{}:{}", h.run_dir(n).display(), k.run_kernel)
}

fn compare_opts(cfg: &Config) -> CompareOptions {
    CompareOptions {
        noise_band: cfg.noise_band_pct.map(|p| p / 100.0),
        alpha: cfg.alpha,
        ..CompareOptions::default()
    }
}

/// Speed regressions and behaviour changes of each candidate of a comparison.
fn findings(
    cmp: &Comparison,
    names: &[String],
    against: &str,
) -> (Vec<Finding>, Vec<Finding>, usize) {
    let mut reg = Vec::new();
    let mut improved = 0;
    for row in &cmp.rows {
        for (i, r) in row.results.iter().enumerate() {
            match r.as_ref().map(|r| (r.verdict, r.ratio)) {
                Some((Verdict::Regressed, ratio)) => reg.push(Finding {
                    kernel: names[i].clone(),
                    against: against.into(),
                    metric: row.id.clone(),
                    ratio,
                    detail: None,
                    confirmed: true,
                    new: true,
                }),
                Some((Verdict::Improved, _)) => improved += 1,
                _ => {}
            }
        }
    }
    let label_to_name: BTreeMap<&str, &str> = cmp
        .candidates
        .iter()
        .zip(names)
        .map(|(c, n)| (c.label.as_str(), n.as_str()))
        .collect();
    let beh = cmp
        .behaviour
        .iter()
        .map(|b| Finding {
            kernel: label_to_name
                .get(b.candidate.as_str())
                .map(|s| s.to_string())
                .unwrap_or_else(|| b.candidate.clone()),
            against: against.into(),
            metric: b.id.clone(),
            ratio: None,
            detail: Some(format!(
                "{} -> {}",
                b.baseline.as_deref().unwrap_or("-"),
                b.candidate_value.as_deref().unwrap_or("-")
            )),
            confirmed: true,
            new: true,
        })
        .collect();
    (reg, beh, improved)
}

/// Tonight against the reference, and each kernel against its own previous good night.
/// Returns (regressions, behaviour changes, improvements, warnings).
pub fn compare_night(
    cfg: &Config,
    h: &History,
    tonight: &Night,
    past: &[Night],
) -> (Vec<Finding>, Vec<Finding>, usize, Vec<String>) {
    let opts = compare_opts(cfg);
    let (mut reg, mut beh, mut improved, mut warn) = (Vec::new(), Vec::new(), 0, Vec::new());
    // (a) the reference of the same night.
    if let Some(r) = kernel_ok(tonight, &cfg.reference) {
        let others: Vec<KernelIdentity> = tonight
            .kernels
            .iter()
            .filter(|k| k.name != cfg.reference && k.status == "ok")
            .cloned()
            .collect();
        if !others.is_empty() {
            let specs: Vec<String> = others.iter().map(|k| spec_of(h, tonight, k)).collect();
            let names: Vec<String> = others.iter().map(|k| k.name.clone()).collect();
            match compare_specs(&spec_of(h, tonight, &r), &specs, &opts) {
                Ok(cmp) => {
                    let (a, b, i) = findings(&cmp, &names, &format!("reference {}", cfg.reference));
                    reg.extend(a);
                    beh.extend(b);
                    improved += i;
                    warn.extend(cmp.warnings);
                }
                Err(e) => warn.push(format!("comparing against the reference: {e}")),
            }
        }
    } else {
        warn.push(format!(
            "the reference kernel {} did not run tonight; no same-night comparison",
            cfg.reference
        ));
    }
    // (b) each kernel's previous good night.
    for k in tonight.kernels.iter().filter(|k| k.status == "ok") {
        let Some((prev_night, prev)) = past
            .iter()
            .rev()
            .find_map(|n| kernel_ok(n, &k.name).map(|p| (n, p)))
        else {
            continue;
        };
        let against = format!("previous night {}", prev_night.date);
        match compare_specs(
            &spec_of(h, prev_night, &prev),
            &[spec_of(h, tonight, k)],
            &opts,
        ) {
            Ok(cmp) => {
                let (a, b, i) = findings(&cmp, std::slice::from_ref(&k.name), &against);
                reg.extend(a);
                beh.extend(b);
                improved += i;
                warn.extend(cmp.warnings);
            }
            Err(e) => warn.push(format!("{}: comparing with {against}: {e}", k.name)),
        }
    }
    (reg, beh, improved, warn)
}

/// The `pin-latency` filter arguments that re-measure exactly these cell ids
/// (`pin-latency/<kind>/<mode>/<api>/<N>p/<field>`); other workloads re-run whole.
pub fn remeasure_args(ids: &[&str]) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let mut workloads = BTreeSet::new();
    let (mut kinds, mut modes, mut apis, mut sizes) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    for id in ids {
        let parts: Vec<&str> = id.split('/').collect();
        workloads.insert(parts[0].to_string());
        if parts[0] == "pin-latency" && parts.len() >= 6 {
            kinds.insert(parts[1]);
            modes.insert(parts[2]);
            apis.insert(parts[3]);
            sizes.insert(parts[4].trim_end_matches('p'));
        }
    }
    let mut args = Vec::new();
    if !kinds.is_empty() {
        let j = |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join(",");
        args.push((
            "pin-latency".to_string(),
            vec![
                "--kinds".into(),
                j(&kinds),
                "--modes".into(),
                j(&modes),
                "--apis".into(),
                j(&apis),
                "--sizes".into(),
                j(&sizes),
            ],
        ));
    }
    (workloads.into_iter().collect(), args)
}

/// Re-measure the regressed cells once and mark each regression confirmed or not.
pub fn remeasure(
    cfg: &Config,
    h: &History,
    tonight: &Night,
    past: &[Night],
    regs: &mut [Finding],
    ctx: &Ctx,
) -> Result<()> {
    if regs.is_empty() {
        return Ok(());
    }
    let names: BTreeSet<&str> = regs.iter().map(|f| f.kernel.as_str()).collect();
    let entries: Vec<&KernelEntry> = cfg
        .kernels
        .iter()
        .filter(|e| names.contains(e.name()))
        .collect();
    let ids: Vec<&str> = regs.iter().map(|f| f.metric.as_str()).collect();
    let (workloads, args) = remeasure_args(&ids);
    let mut c = cfg.clone();
    c.workloads = workloads;
    let name = format!("{}.remeasure", tonight.run);
    let dir = h.dir.join(&name);
    let again =
        run_matrix(&c, &entries, &dir, args, ctx).context("re-measuring the regressed cells")?;
    let opts = compare_opts(cfg);
    let again_night = Night {
        run: name,
        ..record_night(cfg, &tonight.date, &tonight.run, &again.meta)
    };
    // One comparison per (baseline, re-measured kernel) pair, however many cells regressed.
    let mut verdicts: BTreeMap<(String, String), BTreeMap<String, Verdict>> = BTreeMap::new();
    for f in regs.iter_mut() {
        let Some(k) = kernel_ok(&again_night, &f.kernel) else {
            f.confirmed = false;
            continue;
        };
        // The same baseline as the first measurement.
        let base = if let Some(date) = f.against.strip_prefix("previous night ") {
            past.iter()
                .rev()
                .find(|n| n.date == date)
                .and_then(|n| kernel_ok(n, &f.kernel).map(|p| spec_of(h, n, &p)))
        } else {
            kernel_ok(tonight, &cfg.reference).map(|r| spec_of(h, tonight, &r))
        };
        let Some(base) = base else {
            f.confirmed = false;
            continue;
        };
        let cand = spec_of(h, &again_night, &k);
        let v = verdicts
            .entry((base.clone(), cand.clone()))
            .or_insert_with(|| {
                compare_specs(&base, &[cand], &opts)
                    .map(|cmp| {
                        cmp.rows
                            .iter()
                            .filter_map(|r| {
                                let m = r.results.first().cloned().flatten()?;
                                Some((r.id.clone(), m.verdict))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            });
        f.confirmed = v.get(&f.metric) == Some(&Verdict::Regressed);
    }
    Ok(())
}

/// Medians of every speed cell of one kernel of one night.
pub fn medians(h: &History, n: &Night, k: &KernelIdentity) -> BTreeMap<String, f64> {
    let mut warnings = Vec::new();
    let Ok(mut data) = report::compare::load_spec(&spec_of(h, n, k), false, &mut warnings) else {
        return BTreeMap::new();
    };
    let Some(d) = data.pop() else {
        return BTreeMap::new();
    };
    d.cells
        .into_iter()
        .filter(|(_, c)| report::compare::speed_direction(&c.unit).is_some())
        .filter_map(|(id, c)| match c.data {
            CellData::Numbers(v) if !v.is_empty() => {
                let mut v = v;
                v.sort_by(f64::total_cmp);
                Some((id, v[v.len() / 2]))
            }
            _ => None,
        })
        .collect()
}

/// Metrics always charted on the trend page when a kernel records them (besides every
/// metric with a change point): the fast and slow pin paths on the buffer kinds the
/// has_pinned discussion is about, and fork cost with everything pinned.
pub const KEY_METRICS: &[&str] = &[
    "pin-latency/anon-rw/read/pin-fast/512p/ns_per_page",
    "pin-latency/anon-rw/longterm-write/pin-fast/512p/ns_per_page",
    "pin-latency/anon-ro/longterm-read/pin-fast/1p/ns_per_page",
    "pin-latency/rodata/longterm-read/pin-fast/1p/ns_per_page",
    "pin-latency/file-ro-shared/longterm-read/pin-fast/1p/ns_per_page",
    "pin-latency/anon-rw/read/pin/512p/ns_per_page",
    "fork-cost/16mib/100pct/base/fork_ns",
    "fork-cost/16mib/0pct/base/fork_ns",
];

/// Per kernel name, the nights (oldest first, within the last `compare_nights`, measured
/// with the configured clock) on which it ran and the medians of its speed metrics.
pub type KernelSeries<'a> = Vec<(String, Vec<(&'a Night, BTreeMap<String, f64>)>)>;

pub fn load_series<'a>(cfg: &Config, h: &History, nights: &'a [Night]) -> KernelSeries<'a> {
    let window = &nights[nights.len().saturating_sub(cfg.compare_nights)..];
    // A series never mixes clocks: nights measured with another clock are left out.
    let same_clock: Vec<&Night> = window
        .iter()
        .filter(|n| {
            results::store::load_run(&h.run_dir(n)).is_ok_and(|m| m.clock == cfg.clock.as_str())
        })
        .collect();
    cfg.kernels
        .iter()
        .map(|e| {
            let per_night = same_clock
                .iter()
                .filter_map(|n| kernel_ok(n, e.name()).map(|k| (*n, medians(h, n, &k))))
                .collect();
            (e.name().to_string(), per_night)
        })
        .collect()
}

/// Change points over the loaded series, per kernel and metric.
pub fn trends(cfg: &Config, series: &KernelSeries) -> Vec<Shift> {
    let cp = changepoint::Config {
        min_effect: cfg
            .noise_band_pct
            .map(|p| p / 100.0)
            .unwrap_or_else(|| report::compare::default_noise_band(cfg.clock.as_str())),
        ..changepoint::Config::default()
    };
    let mut out = Vec::new();
    for (kernel, per_night) in series {
        if per_night.len() < 2 * cp.min_segment {
            continue;
        }
        let ids: BTreeSet<&String> = per_night.iter().flat_map(|(_, m)| m.keys()).collect();
        for id in ids {
            // Only nights that measured this metric.
            let pts: Vec<(&Night, f64)> = per_night
                .iter()
                .filter_map(|(n, m)| m.get(id).map(|v| (*n, *v)))
                .collect();
            let values: Vec<f64> = pts.iter().map(|p| p.1).collect();
            if let Ok(cps) = changepoint::detect(&values, &cp) {
                for c in cps {
                    out.push(Shift {
                        kernel: kernel.clone(),
                        metric: id.clone(),
                        date: pts[c.at].0.date.clone(),
                        relative_change: c.relative_change,
                        p: c.p,
                    });
                }
            }
        }
    }
    out
}

/// The trend page (`<history>/index.html`): key metrics and every metric with a change
/// point, per kernel; each night links to its report.
pub fn trend_page(
    h: &History,
    series: &KernelSeries,
    shifts: &[Shift],
    nights: &[Night],
) -> String {
    let link = |n: &Night| {
        if h.run_dir(n).join("report.html").exists() {
            format!("{}/report.html", n.run)
        } else {
            format!("{}/summary.txt", n.run)
        }
    };
    let mut charts = Vec::new();
    for (kernel, per_night) in series {
        let mut ids: Vec<&str> = KEY_METRICS.to_vec();
        for s in shifts.iter().filter(|s| &s.kernel == kernel) {
            if !ids.contains(&s.metric.as_str()) {
                ids.push(&s.metric);
            }
        }
        for id in ids {
            let points: Vec<report::trend::Point> = per_night
                .iter()
                .filter_map(|(n, m)| {
                    m.get(id).map(|v| report::trend::Point {
                        date: n.date.clone(),
                        value: *v,
                        link: link(n),
                    })
                })
                .collect();
            if points.is_empty() {
                continue;
            }
            let change_points = shifts
                .iter()
                .filter(|s| &s.kernel == kernel && s.metric == id)
                .filter_map(|s| {
                    points
                        .iter()
                        .position(|p| p.date == s.date)
                        .map(|i| (i, s.relative_change))
                })
                .collect();
            charts.push(report::trend::Series {
                kernel: kernel.clone(),
                metric: id.to_string(),
                unit: if id.ends_with("_ns") || id.ends_with("ns_per_page") {
                    "ns".into()
                } else {
                    String::new()
                },
                points,
                change_points,
            });
        }
    }
    let rows: Vec<report::trend::NightRow> = nights
        .iter()
        .map(|n| report::trend::NightRow {
            date: n.date.clone(),
            link: link(n),
            summary: std::fs::read_to_string(h.run_dir(n).join("summary.txt"))
                .ok()
                .and_then(|t| t.lines().nth(1).map(str::to_string))
                .unwrap_or_else(|| {
                    n.kernels
                        .iter()
                        .map(|k| format!("{}: {}", k.name, k.status))
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
        })
        .collect();
    report::trend::render("pinbench nightly trends", &rows, &charts)
}

/// One whole night. Partial results are kept whatever fails.
pub fn night(opts: &NightlyOptions, ui: &Ui, cancel: &AtomicBool) -> Result<(Summary, PathBuf)> {
    let cfg = &opts.config;
    let h = History::new(&opts.history);
    let index = h.read().context("reading the history index")?;
    let past = index.nights;
    let run_name = h.new_run_name(&opts.date);
    let dir = h.dir.join(&run_name);
    let entries: Vec<&KernelEntry> = cfg.kernels.iter().collect();
    let ctx = Ctx {
        jobs: opts.jobs,
        command_line: &opts.command_line,
        ui,
        cancel,
    };
    let ran = run_matrix(cfg, &entries, &dir, Vec::new(), &ctx)?;
    let tonight = record_night(cfg, &opts.date, &run_name, &ran.meta);
    h.append(&tonight)
        .context("adding tonight to the history index")?;

    let (mut regs, mut beh, improvements, mut warnings) = compare_night(cfg, &h, &tonight, &past);
    warnings.extend(index.warnings);
    let min_boots = report::compare::default_min_boots(cfg.clock.as_str()) as u32;
    if cfg.repeat < min_boots {
        warnings.push(format!(
            "clock {} with repeat = {}: speed verdicts need {min_boots} boots a side, so every speed comparison is inconclusive; set repeat = {min_boots} or clock = \"icount\"",
            cfg.clock.as_str(),
            cfg.repeat
        ));
    }
    if cfg.remeasure && !regs.is_empty() && ran.meta.complete {
        if let Err(e) = remeasure(cfg, &h, &tonight, &past, &mut regs, &ctx) {
            warnings.push(format!("{e:#}; regressions are reported unconfirmed"));
        }
    }
    // "New" against the reference: not in the previous night's summary.
    if let Some(prev) = past.last() {
        if let Ok(b) = std::fs::read(h.run_dir(prev).join("summary.json")) {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b) {
                let seen: BTreeSet<(String, String, String)> = ["regressions", "behaviour_changes"]
                    .iter()
                    .flat_map(|k| v[k].as_array().cloned().unwrap_or_default())
                    .filter(|f| {
                        f["against"]
                            .as_str()
                            .is_some_and(|a| a.starts_with("reference"))
                    })
                    .map(|f| {
                        let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
                        (s("kernel"), s("metric"), s("detail"))
                    })
                    .collect();
                for f in regs.iter_mut().chain(beh.iter_mut()) {
                    if f.against.starts_with("reference")
                        && seen.contains(&(
                            f.kernel.clone(),
                            f.metric.clone(),
                            f.detail.clone().unwrap_or_default(),
                        ))
                    {
                        f.new = false;
                    }
                }
            }
        }
    }
    // Tonight's report: the reference first, then every other kernel that ran.
    let mut specs: Vec<String> = Vec::new();
    if let Some(r) = kernel_ok(&tonight, &cfg.reference) {
        specs.push(spec_of(&h, &tonight, &r));
    }
    for k in tonight
        .kernels
        .iter()
        .filter(|k| k.name != cfg.reference && k.status == "ok")
    {
        specs.push(spec_of(&h, &tonight, k));
    }
    if !specs.is_empty() {
        match report::compare::report_specs(&specs, &compare_opts(cfg)) {
            Ok(cmp) => results::store::write_atomic(
                &dir.join("report.html"),
                report::export::html::render(&cmp).as_bytes(),
            )?,
            Err(e) => warnings.push(format!("tonight's HTML report: {e}")),
        }
    }
    let mut all = past.clone();
    all.push(tonight.clone());
    let series = load_series(cfg, &h, &all);
    let shifts = trends(cfg, &series);
    let failed_kernels = tonight
        .kernels
        .iter()
        .filter(|k| k.status != "ok")
        .map(|k| (k.name.clone(), k.status.clone()))
        .collect();
    let summary = Summary {
        schema_version: HISTORY_SCHEMA_VERSION,
        date: opts.date.clone(),
        run: run_name,
        reference: cfg.reference.clone(),
        failed_kernels,
        regressions: regs,
        behaviour_changes: beh,
        improvements,
        shifts,
        warnings,
        complete: ran.meta.complete,
    };
    results::store::write_json_atomic(&dir.join("summary.json"), &summary)?;
    results::store::write_atomic(&dir.join("summary.txt"), summary.render_text().as_bytes())?;
    // After summary.txt, so tonight's row of the nights table has its summary.
    results::store::write_atomic(
        &h.dir.join("index.html"),
        trend_page(&h, &series, &summary.shifts, &all).as_bytes(),
    )?;
    Ok((summary, dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remeasure_narrows_pin_latency_to_the_regressed_cells() {
        let (w, a) = remeasure_args(&[
            "pin-latency/anon-rw/read/pin-fast/512p/ns_per_call",
            "pin-latency/rodata/longterm-read/pin/1p/ns_per_page",
            "fork-cost/16MiB/p100/fork_ns",
        ]);
        assert_eq!(w, ["fork-cost", "pin-latency"]);
        assert_eq!(a.len(), 1);
        assert_eq!(
            a[0].1.join(" "),
            "--kinds anon-rw,rodata --modes longterm-read,read --apis pin,pin-fast --sizes 1,512"
        );
    }

    fn finding(new: bool, confirmed: bool) -> Finding {
        Finding {
            kernel: "k".into(),
            against: "previous night 2026-01-01".into(),
            metric: "m".into(),
            ratio: Some(1.1),
            detail: None,
            confirmed,
            new,
        }
    }

    #[test]
    fn exit_code_tells_infrastructure_from_news() {
        let mut s = Summary {
            schema_version: 1,
            date: "2026-01-02".into(),
            run: "nights/2026-01-02".into(),
            reference: "k".into(),
            failed_kernels: vec![],
            regressions: vec![finding(false, true), finding(true, false)],
            behaviour_changes: vec![],
            improvements: 0,
            shifts: vec![],
            warnings: vec![],
            complete: true,
        };
        assert_eq!(
            s.exit_code(),
            0,
            "old or unconfirmed regressions are not news"
        );
        s.regressions.push(finding(true, true));
        assert_eq!(s.exit_code(), 1);
        let text = s.render_text();
        assert!(
            text.contains("+10.00%") && text.contains(" NEW") && text.contains("not confirmed"),
            "{text}"
        );
        s.failed_kernels
            .push(("k2".into(), "failed: no such release".into()));
        assert_eq!(
            s.exit_code(),
            3,
            "a failed kernel is an infrastructure failure"
        );
        assert!(s.render_text().contains("infrastructure, not regressions"));
    }

    #[test]
    fn the_mail_text_caps_each_kernels_findings_news_and_largest_first() {
        // 40 old regressions of k growing with i, then one new small one; 3 of k2.
        let mut regressions: Vec<Finding> = (0..40)
            .map(|i| Finding {
                metric: format!("old-{i}"),
                ratio: Some(1.0 + i as f64 / 100.0),
                ..finding(false, true)
            })
            .collect();
        regressions.push(Finding {
            metric: "fresh".into(),
            ratio: Some(1.03),
            ..finding(true, true)
        });
        regressions.extend((0..3).map(|i| Finding {
            kernel: "k2".into(),
            metric: format!("k2-{i}"),
            ..finding(false, true)
        }));
        let s = Summary {
            schema_version: 1,
            date: "2026-01-02".into(),
            run: "nights/2026-01-02".into(),
            reference: "k".into(),
            failed_kernels: vec![],
            regressions,
            behaviour_changes: vec![],
            improvements: 0,
            shifts: vec![],
            warnings: vec![],
            complete: true,
        };
        let text = s.render_text();
        let lines: Vec<&str> = text.lines().collect();
        let at = |m: &str| lines.iter().position(|l| l.contains(&format!(" {m} ")));
        // The header still counts all 44.
        assert!(text.contains("44 regression(s)"), "{text}");
        // k: the new one first, then the 14 largest old ones, then what was left out.
        assert!(at("fresh").unwrap() < at("old-39").unwrap(), "{text}");
        assert!(at("old-26").is_some() && at("old-25").is_none(), "{text}");
        assert!(
            text.contains(
                "... and 26 more vs previous night 2026-01-01 (0 of them new): summary.json"
            ),
            "{text}"
        );
        // k2 is under the cap: all of it, nothing elided.
        assert!((0..3).all(|i| at(&format!("k2-{i}")).is_some()), "{text}");
        assert_eq!(text.matches("... and").count(), 1, "{text}");
    }
}
