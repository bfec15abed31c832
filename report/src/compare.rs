//! Compare a baseline kernel against candidates: load run directories, pool every boot's
//! values of one cell id, decide a speed verdict per metric and list behaviour changes apart.
//!
//! A speed change counts only when both hold (criterion's `compare_to_threshold`, Pinpoint's
//! DIFFERENT):
//! 1. the bootstrap CI of the ratio of medians (candidate / baseline) lies entirely outside
//!    the noise band `[1 - band, 1 + band]` (with two or more boots a side, a two-level
//!    bootstrap over boots and values, [`stats::ratio_ci_boots`]; wall-clock comparisons
//!    need five boots a side at all, [`default_min_boots`]), and
//! 2. the Benjamini-Hochberg adjusted p-value (smaller of Mann-Whitney and KS, see
//!    [`crate::stats`]) is below alpha.
//!
//! A CI inside the band is [`Verdict::Unchanged`]; one that straddles a band edge, or lies
//! outside it without a significant p, is [`Verdict::Inconclusive`] (more boots decide it).
//! Every speed metric of this project is lower-is-better ([`Direction::LowerIsBetter`]).
//!
//! Behaviour (what a pinning call answered, a verdict, a page or event count, a skip, a cell
//! that appeared or disappeared) is never averaged into speed: each difference is a
//! [`BehaviourChange`].

use crate::stats::{self, BootstrapConfig, Sample};
use results::protocol::{GuestEvent, Value};
use results::store::{self, StoreError};
use results::{KernelRun, KernelStatus, RunMeta};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Why a comparison cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("`{spec}` is neither a run directory nor RUN:KERNEL with an existing RUN directory; give the directory `pinbench run --out` created, optionally followed by `:` and a kernel name from its run.json")]
    BadSpec { spec: String },
    #[error("run {run} has no kernel `{kernel}`; it has: {available}")]
    NoSuchKernel {
        run: PathBuf,
        kernel: String,
        available: String,
    },
    #[error("run {run} holds {count} kernels ({available}); name the one to use as RUN:KERNEL, e.g. {run}:{first}", count = .available.split(", ").count())]
    AmbiguousRun {
        run: PathBuf,
        available: String,
        first: String,
    },
    #[error("nothing to compare: {spec} holds one kernel and no candidate was given; name a candidate run (pinbench compare BASE NEW)")]
    NoCandidates { spec: String },
    #[error("cannot compare {a} (clock `{a_clock}`) with {b} (clock `{b_clock}`): the clocks measure different things; re-run one of them with `pinbench run --clock {a_clock}`")]
    MixedClock {
        a: String,
        a_clock: String,
        b: String,
        b_clock: String,
    },
    #[error("cannot compare {a} (page size {a_size}) with {b} (page size {b_size}): per-page costs are not comparable; compare kernels built with the same page size")]
    MixedPageSize {
        a: String,
        a_size: u64,
        b: String,
        b_size: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CompareError {
    /// True for errors in what the user asked for (the CLI's exit code 2).
    pub fn is_usage(&self) -> bool {
        !matches!(self, CompareError::Store(StoreError::Io { .. }))
    }
}

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

/// Metric families that are context for reading the others, not a behaviour of their own:
/// global counters (`/proc/vmstat` deltas) that other guest activity moves by a few between
/// boots of the same kernel. Never listed as behaviour changes (docs/metrics.md, direction
/// "context").
pub const CONTEXT_METRICS: &[&str] = &["cow.vmstat_delta"];

/// Is this metric family context (see [`CONTEXT_METRICS`])?
pub fn is_context(metric: &str) -> bool {
    CONTEXT_METRICS.contains(&metric)
}

/// Units that measure speed; every other unit (pages, count, verdict) is behaviour.
pub fn speed_direction(unit: &str) -> Option<Direction> {
    match unit {
        "ns" | "us" | "ms" | "s" | "cycles" | "instructions" => Some(Direction::LowerIsBetter),
        _ => None,
    }
}

/// The verdict on one speed metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
    Inconclusive,
}

/// Decide a verdict from the ratio CI and the adjusted p-value (see the module docs).
pub fn decide(
    low: f64,
    high: f64,
    p_adjusted: f64,
    band: f64,
    alpha: f64,
    direction: Direction,
) -> Verdict {
    let (lo_edge, hi_edge) = (1.0 - band, 1.0 + band);
    let significant = p_adjusted < alpha;
    let (up, down) = match direction {
        Direction::LowerIsBetter => (Verdict::Regressed, Verdict::Improved),
        Direction::HigherIsBetter => (Verdict::Improved, Verdict::Regressed),
    };
    if low > hi_edge {
        if significant {
            up
        } else {
            Verdict::Inconclusive
        }
    } else if high < lo_edge {
        if significant {
            down
        } else {
            Verdict::Inconclusive
        }
    } else if low >= lo_edge && high <= hi_edge {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    }
}

/// Options of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Noise band as a fraction (0.02 = 2%); `None`: by clock, see [`default_noise_band`].
    pub noise_band: Option<f64>,
    pub alpha: f64,
    /// Fewest pooled values per side for a verdict; fewer is inconclusive.
    pub min_samples: usize,
    /// Fewest boots per side for a verdict; `None`: by clock, see [`default_min_boots`].
    pub min_boots: Option<usize>,
    pub bootstrap: BootstrapConfig,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            noise_band: None,
            alpha: 0.01,
            min_samples: 5,
            min_boots: None,
            bootstrap: BootstrapConfig::default(),
        }
    }
}

/// Boots a side needed for a verdict: 5 for the wall clock, 1 for icount.
///
/// A/A calibration on a shared TCG host (docs/calibration.md) found wall-clock boots of the
/// same kernel differing by far more than the values within a boot: a boot runs at one of
/// two or three host speeds up to 1.6x apart, which the host's load average does not show
/// (other tenants of the physical machine). Comparing one boot with one boot gave
/// regressed/improved verdicts on a quarter of the metrics (129 of 500); the two-level
/// bootstrap ([`stats::ratio_ci_boots`]) over 3 boots a side still on 71 of 500 (a
/// bootstrap over 3 boots cannot see that all three landed on the same host speed by
/// chance). Icount boots are identical, so one is enough.
pub fn default_min_boots(clock: &str) -> usize {
    match clock {
        "icount" => 1,
        _ => 5,
    }
}

/// 2% for the wall clock (host noise), 0.5% for icount (deterministic instruction count).
pub fn default_noise_band(clock: &str) -> f64 {
    match clock {
        "icount" => 0.005,
        _ => 0.02,
    }
}

/// What one kernel recorded for one cell id, pooled over its boots.
#[derive(Debug, Clone, PartialEq)]
pub enum CellData {
    /// A speed metric's values (samples and scalars of every boot).
    Numbers(Vec<f64>),
    /// Behaviour: the distinct observations over the boots (one, unless boots disagree).
    Observed(BTreeSet<String>),
    /// Skipped on every boot, with the reasons.
    Skipped(BTreeSet<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub metric: String,
    pub unit: String,
    /// Workload that recorded it (the id's first part).
    pub workload: String,
    /// The cell's coordinates (kind, mode, api, pages, ...) from its first record.
    pub params: BTreeMap<String, String>,
    pub data: CellData,
    /// Every number recorded for this cell (samples and scalars of every boot), whatever its
    /// unit: what plots of behaviour counts (pages copied, COW copies) draw.
    pub values: Vec<f64>,
    /// The speed numbers of [`CellData::Numbers`] grouped by boot (one group per boot that
    /// recorded the cell), for the boot-level bootstrap.
    pub per_boot: Vec<Vec<f64>>,
}

/// One kernel of one run, loaded.
#[derive(Debug, Clone)]
pub struct KernelData {
    /// Unique name in this comparison (the kernel name, prefixed by the run if needed).
    pub label: String,
    pub run_dir: PathBuf,
    pub meta: RunMeta,
    pub kernel: KernelRun,
    pub page_size: Option<u64>,
    /// Cell ids in the order first recorded.
    pub order: Vec<String>,
    pub cells: HashMap<String, Cell>,
    /// Boots whose results were read.
    pub boots_loaded: usize,
}

/// Split `RUN` or `RUN:KERNEL`. Kernel names contain ':' (`debian:6.12`), so the split is at
/// the first ':' whose left part is an existing directory.
pub fn parse_spec(spec: &str) -> Result<(PathBuf, Option<String>), CompareError> {
    if Path::new(spec).is_dir() {
        return Ok((PathBuf::from(spec), None));
    }
    for (i, _) in spec.match_indices(':') {
        let (left, right) = (&spec[..i], &spec[i + 1..]);
        if !left.is_empty() && Path::new(left).is_dir() {
            if right.is_empty() {
                return Ok((PathBuf::from(left), None));
            }
            return Ok((PathBuf::from(left), Some(right.to_string())));
        }
    }
    Err(CompareError::BadSpec {
        spec: spec.to_string(),
    })
}

fn find_kernel<'a>(meta: &'a RunMeta, wanted: &str) -> Option<&'a KernelRun> {
    let by = |f: fn(&KernelRun) -> &str| meta.kernels.iter().find(|k| f(k) == wanted);
    by(|k| &k.name)
        .or_else(|| by(|k| &k.dir))
        .or_else(|| by(|k| &k.spec))
        .or_else(|| by(|k| &k.release))
}

fn kernel_names(meta: &RunMeta) -> String {
    meta.kernels
        .iter()
        .map(|k| k.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolve a spec into the kernels it names: one for `RUN:KERNEL` or a one-kernel run,
/// all of them for a bare multi-kernel run (`allow_many`), else an error.
pub fn load_spec(
    spec: &str,
    allow_many: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<KernelData>, CompareError> {
    let (dir, kernel) = parse_spec(spec)?;
    let meta = store::load_run(&dir)?;
    let chosen: Vec<KernelRun> = match &kernel {
        Some(k) => vec![find_kernel(&meta, k)
            .ok_or_else(|| CompareError::NoSuchKernel {
                run: dir.clone(),
                kernel: k.clone(),
                available: kernel_names(&meta),
            })?
            .clone()],
        None if meta.kernels.len() == 1 || (allow_many && !meta.kernels.is_empty()) => {
            meta.kernels.clone()
        }
        None if meta.kernels.is_empty() => {
            return Err(CompareError::Store(StoreError::Corrupt {
                path: dir.join("run.json"),
                detail: "it lists no kernels".into(),
            }))
        }
        None => {
            return Err(CompareError::AmbiguousRun {
                run: dir.clone(),
                available: kernel_names(&meta),
                first: meta.kernels[0].name.clone(),
            })
        }
    };
    Ok(chosen
        .into_iter()
        .map(|k| load_kernel(&dir, &meta, k, warnings))
        .collect())
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// How a behaviour value reads in a report.
fn describe(value: &Value, unit: &str) -> Option<String> {
    Some(match value {
        Value::Outcome(o) => match &o.errno {
            Some(e) => format!("{e} ({}/{} pinned)", o.pinned, o.requested),
            None => format!("pinned {}/{}", o.pinned, o.requested),
        },
        Value::Verdict { verdict } => verdict.clone(),
        Value::Scalar { value } => format!("{} {unit}", fmt_num(*value)),
        Value::Samples { values } => {
            let v: Vec<String> = values.iter().map(|x| fmt_num(*x)).collect();
            format!("[{}] {unit}", v.join(", "))
        }
        Value::Skip { .. } => return None,
    })
}

/// Values of one kernel pooled per cell id over its boots.
#[derive(Debug, Default)]
struct Pool {
    order: Vec<String>,
    info: HashMap<String, CellInfo>,
    values: HashMap<String, Vec<f64>>,
    numbers: HashMap<String, Vec<f64>>,
    /// Speed numbers per boot, and the boot their last group came from.
    per_boot: HashMap<String, (usize, Vec<Vec<f64>>)>,
    boot: usize,
    observed: HashMap<String, BTreeSet<String>>,
    skipped: HashMap<String, BTreeSet<String>>,
    page_size: Option<u64>,
}

/// What a cell is, from its first record.
#[derive(Debug, Clone)]
struct CellInfo {
    metric: String,
    unit: String,
    workload: String,
    params: BTreeMap<String, String>,
}

impl Pool {
    fn note(
        &mut self,
        id: &str,
        metric: &str,
        unit: &str,
        workload: &str,
        params: &BTreeMap<String, String>,
    ) {
        if !self.info.contains_key(id) {
            self.order.push(id.to_string());
            self.info.insert(
                id.to_string(),
                CellInfo {
                    metric: metric.to_string(),
                    unit: unit.to_string(),
                    workload: workload.to_string(),
                    params: params.clone(),
                },
            );
        }
    }

    /// The group of speed numbers of `id` in the current boot.
    fn boot_group(&mut self, id: &str) -> &mut Vec<f64> {
        let boot = self.boot;
        let (last, groups) = self
            .per_boot
            .entry(id.to_string())
            .or_insert_with(|| (0, Vec::new()));
        if *last != boot || groups.is_empty() {
            groups.push(Vec::new());
            *last = boot;
        }
        groups.last_mut().expect("just pushed")
    }

    /// Add the events of one boot.
    fn add_boot(&mut self, events: &[GuestEvent]) {
        self.boot += 1;
        for ev in events {
            match ev {
                GuestEvent::Hello { page_size, .. } => {
                    self.page_size.get_or_insert(*page_size);
                }
                GuestEvent::Record(r) => {
                    self.note(&r.id, &r.metric, &r.unit, &r.workload, &r.params);
                    let speed = speed_direction(&r.unit).is_some();
                    let id = r.id.clone();
                    match &r.value {
                        Value::Samples { values } => self
                            .values
                            .entry(id.clone())
                            .or_default()
                            .extend(values.iter().copied()),
                        Value::Scalar { value } => {
                            self.values.entry(id.clone()).or_default().push(*value)
                        }
                        _ => {}
                    }
                    match &r.value {
                        Value::Skip { reason } => {
                            self.skipped.entry(id).or_default().insert(reason.clone());
                        }
                        Value::Samples { values } if speed => {
                            self.boot_group(&id).extend(values.iter().copied());
                            self.numbers
                                .entry(id)
                                .or_default()
                                .extend(values.iter().copied())
                        }
                        Value::Scalar { value } if speed => {
                            self.boot_group(&id).push(*value);
                            self.numbers.entry(id).or_default().push(*value)
                        }
                        v => {
                            if let Some(d) = describe(v, &r.unit) {
                                self.observed.entry(id).or_default().insert(d);
                            }
                        }
                    }
                }
                GuestEvent::WorkloadEnd {
                    workload,
                    exit_code,
                    signal,
                    timed_out,
                    pin_imbalance,
                    ..
                } => {
                    let status = if *timed_out {
                        "timed out".to_string()
                    } else if let Some(s) = signal {
                        format!("killed by signal {s}")
                    } else {
                        format!("exit {}", exit_code.unwrap_or(-1))
                    };
                    let id = format!("{workload}/exit");
                    let none = BTreeMap::new();
                    self.note(&id, "workload.exit", "status", workload, &none);
                    self.observed.entry(id).or_default().insert(status);
                    if let Some(p) = pin_imbalance {
                        let id = format!("{workload}/pin_imbalance");
                        self.note(&id, "workload.pin_imbalance", "pages", workload, &none);
                        self.observed
                            .entry(id)
                            .or_default()
                            .insert(format!("{p} pages"));
                    }
                }
                _ => {}
            }
        }
    }

    fn finish(mut self) -> (Vec<String>, HashMap<String, Cell>) {
        let mut cells = HashMap::new();
        for id in &self.order {
            let info = self.info[id].clone();
            let data = if let Some(n) = self.numbers.remove(id) {
                CellData::Numbers(n)
            } else if let Some(o) = self.observed.remove(id) {
                CellData::Observed(o)
            } else {
                CellData::Skipped(self.skipped.remove(id).unwrap_or_default())
            };
            cells.insert(
                id.clone(),
                Cell {
                    metric: info.metric,
                    unit: info.unit,
                    workload: info.workload,
                    params: info.params,
                    data,
                    values: self.values.remove(id).unwrap_or_default(),
                    per_boot: self.per_boot.remove(id).map(|p| p.1).unwrap_or_default(),
                },
            );
        }
        (self.order, cells)
    }
}

impl KernelData {
    /// A kernel from events already in memory, one slice per boot (no files read).
    pub fn from_events(
        run_dir: &Path,
        meta: &RunMeta,
        kernel: KernelRun,
        boots: &[Vec<GuestEvent>],
    ) -> KernelData {
        let mut pool = Pool::default();
        for b in boots {
            pool.add_boot(b);
        }
        KernelData::from_pool(run_dir, meta, kernel, pool, boots.len())
    }

    fn from_pool(
        run_dir: &Path,
        meta: &RunMeta,
        kernel: KernelRun,
        pool: Pool,
        boots_loaded: usize,
    ) -> KernelData {
        let page_size = kernel.page_size.or(pool.page_size);
        let (order, cells) = pool.finish();
        KernelData {
            label: kernel.name.clone(),
            run_dir: run_dir.to_path_buf(),
            meta: meta.clone(),
            page_size,
            order,
            cells,
            boots_loaded,
            kernel,
        }
    }
}

/// Load one kernel's boots. Unreadable, corrupt or unknown-schema files become warnings.
pub fn load_kernel(
    run_dir: &Path,
    meta: &RunMeta,
    kernel: KernelRun,
    warnings: &mut Vec<String>,
) -> KernelData {
    if let KernelStatus::Failed { error } = &kernel.status {
        warnings.push(format!(
            "{}: kernel {} failed in that run ({error}); its data may be partial",
            run_dir.display(),
            kernel.name
        ));
    }
    let mut pool = Pool::default();
    let mut boots_loaded = 0;
    for boot in &kernel.boots {
        let path = run_dir.join(&boot.results);
        let loaded = match store::load_results(&path) {
            Ok(l) => l,
            Err(e) => {
                warnings.push(format!("{e}; boot {} skipped", boot.index));
                continue;
            }
        };
        let schema = loaded.events.iter().find_map(|e| match e {
            GuestEvent::Hello { schema_version, .. } => Some(*schema_version),
            _ => None,
        });
        if let Some(found) = schema.filter(|v| *v != results::SCHEMA_VERSION) {
            let e = StoreError::UnknownSchema {
                path: path.clone(),
                found,
            };
            warnings.push(format!("{e}; boot {} skipped", boot.index));
            continue;
        }
        if !loaded.bad_lines.is_empty() {
            let lines: Vec<String> = loaded
                .bad_lines
                .iter()
                .take(5)
                .map(|l| l.to_string())
                .collect();
            let more = if loaded.bad_lines.len() > 5 {
                ", ..."
            } else {
                ""
            };
            warnings.push(format!(
                "{}: {} corrupt line(s) skipped (line {}{more})",
                path.display(),
                loaded.bad_lines.len(),
                lines.join(", "),
            ));
        }
        boots_loaded += 1;
        pool.add_boot(&loaded.events);
    }
    if boots_loaded == 0 {
        warnings.push(format!(
            "{}: kernel {} has no readable results; every cell of it is reported missing",
            run_dir.display(),
            kernel.name
        ));
    }
    KernelData::from_pool(run_dir, meta, kernel, pool, boots_loaded)
}

/// Location and spread of one side of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub iqr: f64,
    /// Coefficient of variation; None for fewer than two values or a zero mean.
    pub cv: Option<f64>,
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Summary> {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        match finite.len() {
            0 => None,
            1 => Some(Summary {
                n: 1,
                median: finite[0],
                iqr: 0.0,
                cv: None,
            }),
            _ => {
                let s = Sample::new(&finite).ok()?;
                Some(Summary {
                    n: s.len(),
                    median: s.median(),
                    iqr: s.iqr(),
                    cv: s.cv(),
                })
            }
        }
    }
}

/// The verdict on one speed metric of one candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    pub verdict: Verdict,
    pub baseline: Summary,
    pub candidate: Summary,
    pub ratio: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
    pub p_adjusted: Option<f64>,
    /// Why there is no verdict, when inconclusive for lack of data.
    pub note: Option<String>,
}

/// One speed metric across the kernels.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub metric: String,
    pub unit: String,
    pub direction: Direction,
    pub baseline: Option<Summary>,
    /// Per candidate, in order.
    pub candidates: Vec<Option<Summary>>,
    /// Per candidate: present when both sides have values.
    pub results: Vec<Option<MetricResult>>,
}

/// What kind of behaviour change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BehaviourKind {
    /// The observed value differs.
    Changed,
    /// Measured in the baseline, skipped in the candidate.
    BecameSkipped,
    /// Skipped in the baseline, measured in the candidate.
    NoLongerSkipped,
    /// The cell is in the baseline only.
    MissingInCandidate,
    /// The cell is in the candidate only.
    NewInCandidate,
}

impl BehaviourKind {
    pub fn describe(self) -> &'static str {
        match self {
            BehaviourKind::Changed => "changed",
            BehaviourKind::BecameSkipped => "became skipped",
            BehaviourKind::NoLongerSkipped => "no longer skipped",
            BehaviourKind::MissingInCandidate => "missing in candidate",
            BehaviourKind::NewInCandidate => "new in candidate",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BehaviourChange {
    pub id: String,
    pub metric: String,
    pub candidate: String,
    pub kind: BehaviourKind,
    /// What the baseline recorded (None when absent).
    pub baseline: Option<String>,
    /// What the candidate recorded (None when absent).
    #[serde(rename = "candidate_value")]
    pub candidate_value: Option<String>,
}

/// Per-candidate counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub regressed: usize,
    pub improved: usize,
    pub unchanged: usize,
    pub inconclusive: usize,
    pub behaviour_changes: usize,
}

/// A finished comparison: what every exporter renders.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub baseline: KernelData,
    pub candidates: Vec<KernelData>,
    pub clock: String,
    pub noise_band: f64,
    pub alpha: f64,
    pub confidence: f64,
    pub rows: Vec<Row>,
    pub behaviour: Vec<BehaviourChange>,
    pub warnings: Vec<String>,
}

impl Comparison {
    pub fn counts(&self, candidate: usize) -> Counts {
        let mut c = Counts::default();
        for r in self
            .rows
            .iter()
            .filter_map(|r| r.results[candidate].as_ref())
        {
            match r.verdict {
                Verdict::Regressed => c.regressed += 1,
                Verdict::Improved => c.improved += 1,
                Verdict::Unchanged => c.unchanged += 1,
                Verdict::Inconclusive => c.inconclusive += 1,
            }
        }
        let label = &self.candidates[candidate].label;
        c.behaviour_changes = self
            .behaviour
            .iter()
            .filter(|b| &b.candidate == label)
            .count();
        c
    }

    /// True when any metric regressed or any behaviour changed (the CLI's exit code 1).
    pub fn has_regression(&self) -> bool {
        !self.behaviour.is_empty()
            || self.rows.iter().any(|r| {
                r.results
                    .iter()
                    .flatten()
                    .any(|m| m.verdict == Verdict::Regressed)
            })
    }
}

/// Give every kernel a unique label: its name, or `run-dir-name/name` where names repeat.
fn label_kernels(kernels: &mut [&mut KernelData]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for k in kernels.iter() {
        *count.entry(k.kernel.name.clone()).or_default() += 1;
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for k in kernels.iter_mut() {
        let mut label = k.kernel.name.clone();
        if count[&label] > 1 {
            let run = k
                .run_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| k.run_dir.display().to_string());
            label = format!("{run}/{label}");
        }
        let n = seen.entry(label.clone()).or_default();
        *n += 1;
        if *n > 1 {
            label = format!("{label}#{n}");
        }
        k.label = label;
    }
}

/// Refuse kernels measured with different clocks or page sizes.
fn check_comparable(all: &[&KernelData]) -> Result<(), CompareError> {
    let base = all[0];
    for k in &all[1..] {
        if k.meta.clock != base.meta.clock {
            return Err(CompareError::MixedClock {
                a: base.label.clone(),
                a_clock: base.meta.clock.clone(),
                b: k.label.clone(),
                b_clock: k.meta.clock.clone(),
            });
        }
        if let (Some(a), Some(b)) = (base.page_size, k.page_size) {
            if a != b {
                return Err(CompareError::MixedPageSize {
                    a: base.label.clone(),
                    a_size: a,
                    b: k.label.clone(),
                    b_size: b,
                });
            }
        }
    }
    Ok(())
}

/// Load `base` and `new` specs and compare. With no `new`, `base` may be a multi-kernel run:
/// its first kernel is the baseline and the others the candidates.
pub fn compare_specs(
    base: &str,
    new: &[String],
    opts: &CompareOptions,
) -> Result<Comparison, CompareError> {
    let mut warnings = Vec::new();
    let mut baseline = load_spec(base, new.is_empty(), &mut warnings)?;
    let mut candidates = if new.is_empty() {
        if baseline.len() < 2 {
            return Err(CompareError::NoCandidates {
                spec: base.to_string(),
            });
        }
        baseline.split_off(1)
    } else {
        let mut c = Vec::new();
        for spec in new {
            c.extend(load_spec(spec, true, &mut warnings)?);
        }
        c
    };
    let baseline = baseline.remove(0);
    let mut cmp = compare(baseline, std::mem::take(&mut candidates), opts)?;
    warnings.append(&mut cmp.warnings);
    cmp.warnings = warnings;
    Ok(cmp)
}

/// Load every kernel of `specs` (run directories or `RUN:KERNEL`) for a report: the first
/// kernel is the baseline, every other a candidate; one kernel alone gives a comparison with
/// no candidates (figures without verdicts).
pub fn report_specs(specs: &[String], opts: &CompareOptions) -> Result<Comparison, CompareError> {
    let mut warnings = Vec::new();
    let mut all = Vec::new();
    for spec in specs {
        all.extend(load_spec(spec, true, &mut warnings)?);
    }
    if all.is_empty() {
        return Err(CompareError::BadSpec {
            spec: specs.join(" "),
        });
    }
    let baseline = all.remove(0);
    let mut cmp = compare(baseline, all, opts)?;
    warnings.append(&mut cmp.warnings);
    cmp.warnings = warnings;
    Ok(cmp)
}

/// Compare loaded kernels.
pub fn compare(
    mut baseline: KernelData,
    mut candidates: Vec<KernelData>,
    opts: &CompareOptions,
) -> Result<Comparison, CompareError> {
    {
        let mut all: Vec<&mut KernelData> = std::iter::once(&mut baseline)
            .chain(candidates.iter_mut())
            .collect();
        label_kernels(&mut all);
    }
    let all: Vec<&KernelData> = std::iter::once(&baseline)
        .chain(candidates.iter())
        .collect();
    check_comparable(&all)?;
    let clock = baseline.meta.clock.clone();
    let band = opts
        .noise_band
        .unwrap_or_else(|| default_noise_band(&clock));
    let min_boots = opts
        .min_boots
        .unwrap_or_else(|| default_min_boots(&clock))
        .max(1);

    // Every id, baseline order first, then what only candidates have.
    let mut ids: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for k in &all {
        for id in &k.order {
            if seen.insert(id) {
                ids.push(id);
            }
        }
    }

    let mut rows: Vec<Row> = Vec::new();
    let mut behaviour = Vec::new();
    for id in &ids {
        let base_cell = baseline.cells.get(*id);
        let some_cell = base_cell
            .or_else(|| candidates.iter().find_map(|c| c.cells.get(*id)))
            .expect("id comes from some kernel");
        let speed = speed_direction(&some_cell.unit);
        let is_numbers =
            |c: Option<&Cell>| matches!(c.map(|c| &c.data), Some(CellData::Numbers(_)));
        let mut row = speed.and_then(|direction| {
            let any_numbers =
                is_numbers(base_cell) || candidates.iter().any(|c| is_numbers(c.cells.get(*id)));
            any_numbers.then(|| Row {
                id: id.to_string(),
                metric: some_cell.metric.clone(),
                unit: some_cell.unit.clone(),
                direction,
                baseline: numbers(base_cell).and_then(Summary::of),
                candidates: Vec::new(),
                results: Vec::new(),
            })
        });
        for cand in &candidates {
            let cand_cell = cand.cells.get(*id);
            if is_context(&some_cell.metric) {
                // Context: shown with the run, never a behaviour change.
            } else if let Some(change) =
                behaviour_change(id, some_cell, base_cell, cand_cell, &cand.label)
            {
                behaviour.push(change);
            }
            if let Some(row) = row.as_mut() {
                row.candidates
                    .push(numbers(cand_cell).and_then(Summary::of));
                row.results
                    .push(match (numbers(base_cell), numbers(cand_cell)) {
                        (Some(b), Some(c)) => Some(measure(
                            (b, &base_cell.expect("has numbers").per_boot),
                            (c, &cand_cell.expect("has numbers").per_boot),
                            min_boots,
                            opts,
                        )),
                        _ => None,
                    });
            }
        }
        rows.extend(row);
    }

    // Benjamini-Hochberg per candidate, then verdicts.
    for ci in 0..candidates.len() {
        let tested: Vec<(usize, f64)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.results[ci]
                    .as_ref()
                    .and_then(|m| m.p_value)
                    .map(|p| (i, p))
            })
            .collect();
        let p: Vec<f64> = tested.iter().map(|t| t.1).collect();
        let adjusted = stats::benjamini_hochberg(&p);
        for ((i, _), adj) in tested.iter().zip(adjusted) {
            let direction = rows[*i].direction;
            let m = rows[*i].results[ci].as_mut().expect("tested");
            m.p_adjusted = Some(adj);
            if let (Some(lo), Some(hi)) = (m.ci_low, m.ci_high) {
                m.verdict = decide(lo, hi, adj, band, opts.alpha, direction);
            }
        }
    }

    Ok(Comparison {
        baseline,
        candidates,
        clock,
        noise_band: band,
        alpha: opts.alpha,
        confidence: opts.bootstrap.confidence,
        rows,
        behaviour,
        warnings: Vec::new(),
    })
}

fn numbers(c: Option<&Cell>) -> Option<&[f64]> {
    match c.map(|c| &c.data) {
        Some(CellData::Numbers(v)) => Some(v),
        _ => None,
    }
}

/// Statistics of one metric from each side's pooled values and values per boot; the
/// verdict is set after the BH adjustment.
fn measure(
    (base, base_boots): (&[f64], &[Vec<f64>]),
    (cand, cand_boots): (&[f64], &[Vec<f64>]),
    min_boots: usize,
    opts: &CompareOptions,
) -> MetricResult {
    let summary = |v: &[f64]| {
        Summary::of(v).unwrap_or(Summary {
            n: 0,
            median: f64::NAN,
            iqr: f64::NAN,
            cv: None,
        })
    };
    let mut m = MetricResult {
        verdict: Verdict::Inconclusive,
        baseline: summary(base),
        candidate: summary(cand),
        ratio: None,
        ci_low: None,
        ci_high: None,
        p_value: None,
        p_adjusted: None,
        note: None,
    };
    if m.baseline.median > 0.0 {
        m.ratio = Some(m.candidate.median / m.baseline.median);
    }
    let min = opts.min_samples.max(Sample::MIN_LEN);
    let (nb, nc) = (base.len(), cand.len());
    if nb < min || nc < min {
        m.note = Some(format!(
            "too few values for a verdict ({nb} vs {nc}, need {min} each); run more boots with `pinbench run --repeat`"
        ));
        return m;
    }
    let (kb, kc) = (base_boots.len(), cand_boots.len());
    if kb < min_boots || kc < min_boots {
        m.note = Some(format!(
            "{kb} vs {kc} boot(s): this clock needs {min_boots} boots a side for a verdict, \
             because boots of one kernel differ by more than the values within a boot \
             (docs/calibration.md); run `pinbench run --repeat {min_boots}`"
        ));
        return m;
    }
    let (b, c) = match (Sample::new(base), Sample::new(cand)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => {
            m.note = Some(e.to_string());
            return m;
        }
    };
    let ci = if kb >= 2 && kc >= 2 {
        stats::ratio_ci_boots(base_boots, cand_boots, &opts.bootstrap)
    } else {
        stats::ratio_ci(&b, &c, &opts.bootstrap)
    };
    match ci {
        Some(ci) => {
            m.ci_low = Some(ci.low);
            m.ci_high = Some(ci.high);
        }
        None => m.note = Some("baseline median is not positive; no ratio".into()),
    }
    m.p_value = Some(stats::two_test_p(&b, &c).p);
    m
}

fn describe_cell(c: &Cell) -> String {
    match &c.data {
        CellData::Numbers(v) => match Summary::of(v) {
            Some(s) => format!("median {} {} (n={})", fmt_num(s.median), c.unit, s.n),
            None => "no values".into(),
        },
        CellData::Observed(o) => o.iter().cloned().collect::<Vec<_>>().join(" | "),
        CellData::Skipped(r) => {
            let r: Vec<&str> = r.iter().map(|s| s.as_str()).collect();
            format!("skipped: {}", r.join(" | "))
        }
    }
}

fn behaviour_change(
    id: &str,
    some: &Cell,
    base: Option<&Cell>,
    cand: Option<&Cell>,
    label: &str,
) -> Option<BehaviourChange> {
    use CellData::*;
    let kind = match (base.map(|c| &c.data), cand.map(|c| &c.data)) {
        (None, None) => return None,
        (Some(_), None) => BehaviourKind::MissingInCandidate,
        (None, Some(_)) => BehaviourKind::NewInCandidate,
        (Some(Skipped(_)), Some(Skipped(_))) => return None,
        (Some(_), Some(Skipped(_))) => BehaviourKind::BecameSkipped,
        (Some(Skipped(_)), Some(_)) => BehaviourKind::NoLongerSkipped,
        (Some(Numbers(_)), Some(Numbers(_))) => return None,
        (Some(Observed(a)), Some(Observed(b))) if a == b => return None,
        _ => BehaviourKind::Changed,
    };
    Some(BehaviourChange {
        id: id.to_string(),
        metric: some.metric.clone(),
        candidate: label.to_string(),
        kind,
        baseline: base.map(describe_cell),
        candidate_value: cand.map(describe_cell),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use results::{BootRun, HostInfo, Outcome, Record};
    use std::fs;

    #[test]
    fn decide_follows_band_and_significance() {
        let d = |lo, hi, p| decide(lo, hi, p, 0.02, 0.01, Direction::LowerIsBetter);
        assert_eq!(d(1.05, 1.10, 0.001), Verdict::Regressed);
        assert_eq!(d(0.90, 0.95, 0.001), Verdict::Improved);
        assert_eq!(d(1.05, 1.10, 0.2), Verdict::Inconclusive);
        assert_eq!(d(0.99, 1.01, 0.001), Verdict::Unchanged);
        assert_eq!(d(0.99, 1.01, 0.9), Verdict::Unchanged);
        // Straddling an edge.
        assert_eq!(d(1.01, 1.05, 0.0001), Verdict::Inconclusive);
        assert_eq!(d(0.95, 0.99, 0.0001), Verdict::Inconclusive);
        assert_eq!(
            decide(1.05, 1.10, 0.001, 0.02, 0.01, Direction::HigherIsBetter),
            Verdict::Improved
        );
    }

    #[test]
    fn spec_splits_at_the_first_colon_naming_a_directory() {
        let d = tempfile::tempdir().unwrap();
        let run = d.path().join("run");
        fs::create_dir(&run).unwrap();
        let r = run.display().to_string();
        assert_eq!(parse_spec(&r).unwrap(), (run.clone(), None));
        assert_eq!(
            parse_spec(&format!("{r}:debian:6.12")).unwrap(),
            (run.clone(), Some("debian:6.12".into()))
        );
        assert!(matches!(
            parse_spec("/nonexistent/x:debian:6.1"),
            Err(CompareError::BadSpec { .. })
        ));
    }

    /// A synthetic record.
    pub(crate) fn rec(id: &str, unit: &str, value: Value) -> Record {
        Record {
            id: id.into(),
            metric: format!("test.{}", id.rsplit('/').next().unwrap()),
            workload: "test".into(),
            params: BTreeMap::new(),
            unit: unit.into(),
            value,
        }
    }

    pub(crate) fn samples(center: f64, n: usize) -> Value {
        Value::Samples {
            values: (0..n)
                .map(|i| center + (i % 5) as f64 * center * 0.001)
                .collect(),
        }
    }

    pub(crate) fn outcome(pinned: u64, errno: Option<&str>) -> Value {
        Value::Outcome(Outcome {
            requested: 16,
            pinned,
            errno: errno.map(String::from),
        })
    }

    /// Write a run directory with one kernel per entry of `kernels` (name, boots' records).
    pub(crate) fn write_run(dir: &Path, clock: &str, kernels: &[(&str, Vec<Vec<Record>>)]) {
        fs::create_dir_all(dir).unwrap();
        let mut ks = Vec::new();
        for (name, boots) in kernels {
            let kdir = name.replace(':', "_");
            fs::create_dir_all(dir.join(&kdir)).unwrap();
            let mut boot_runs = Vec::new();
            for (i, recs) in boots.iter().enumerate() {
                let results = format!("{kdir}/results-{}.jsonl", i + 1);
                let mut text = serde_json::to_string(&GuestEvent::Hello {
                    schema_version: results::SCHEMA_VERSION,
                    release: "6.99".into(),
                    proc_version: "Linux".into(),
                    page_size: 4096,
                    boot_ns: 1,
                    thp: None,
                })
                .unwrap();
                text.push('\n');
                for r in recs {
                    text.push_str(&r.to_line());
                    text.push('\n');
                }
                fs::write(dir.join(&results), text).unwrap();
                boot_runs.push(BootRun {
                    index: i as u32 + 1,
                    results,
                    console: format!("{kdir}/console-{}.log", i + 1),
                    boot_seconds: None,
                    vm_seconds: None,
                    records: recs.len() as u64,
                    kernel_problems: vec![],
                    status: KernelStatus::Ok,
                    early_panics: vec![],
                });
            }
            ks.push(KernelRun {
                name: name.to_string(),
                spec: name.to_string(),
                dir: kdir,
                release: format!("{name}-release"),
                proc_version: None,
                config_digest: None,
                config_options: BTreeMap::new(),
                page_size: Some(4096),
                module_digest: None,
                boots: boot_runs,
                status: KernelStatus::Ok,
            });
        }
        let meta = RunMeta {
            schema_version: results::SCHEMA_VERSION,
            command_line: vec!["pinbench".into()],
            started: "2026-01-01T00:00:00Z".into(),
            finished: None,
            complete: true,
            harness_revision: "test".into(),
            host: HostInfo::default(),
            accel: "tcg".into(),
            clock: clock.into(),
            memory_mib: 1024,
            cpus: 1,
            quick: true,
            repeat: 1,
            workloads: vec!["test".into()],
            kernels: ks,
        };
        store::write_json_atomic(&dir.join("run.json"), &meta).unwrap();
    }

    fn verdict_of(c: &Comparison, id: &str) -> Verdict {
        c.rows.iter().find(|r| r.id == id).unwrap().results[0]
            .as_ref()
            .unwrap()
            .verdict
    }

    #[test]
    fn context_counters_are_never_behaviour_changes() {
        let d = tempfile::tempdir().unwrap();
        let mut ctx = rec(
            "cow/x/vmstat/pgfault",
            "count",
            Value::Scalar { value: 10.0 },
        );
        ctx.metric = "cow.vmstat_delta".into();
        let mut ctx2 = ctx.clone();
        ctx2.value = Value::Scalar { value: 12.0 };
        let beh = rec("cow/x/copies", "pages", Value::Scalar { value: 0.0 });
        let mut beh2 = beh.clone();
        beh2.value = Value::Scalar { value: 16.0 };
        write_run(
            d.path(),
            "icount",
            &[("a", vec![vec![ctx, beh]]), ("b", vec![vec![ctx2, beh2]])],
        );
        let c = compare_specs(d.path().to_str().unwrap(), &[], &CompareOptions::default()).unwrap();
        let ids: Vec<&str> = c.behaviour.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(
            ids,
            ["cow/x/copies"],
            "the vmstat delta is context, the copy count is not"
        );
    }

    #[test]
    fn verdicts_and_behaviour_from_run_directories() {
        let d = tempfile::tempdir().unwrap();
        let base = vec![
            rec("a/fast", "ns", samples(100.0, 30)),
            rec("a/same", "ns", samples(100.0, 30)),
            rec("a/slow", "ns", samples(100.0, 30)),
            rec("a/cold", "ns", Value::Scalar { value: 5.0 }),
            rec("a/outcome", "pages", outcome(16, None)),
            rec(
                "a/check",
                "verdict",
                Value::Verdict {
                    verdict: "pass".into(),
                },
            ),
            rec("a/count", "count", Value::Scalar { value: 3.0 }),
            rec("a/gone", "ns", samples(100.0, 30)),
            rec("a/skip", "pages", outcome(16, None)),
        ];
        let cand = vec![
            rec("a/fast", "ns", samples(80.0, 30)),
            rec("a/same", "ns", samples(100.0, 30)),
            rec("a/slow", "ns", samples(130.0, 30)),
            rec("a/cold", "ns", Value::Scalar { value: 9.0 }),
            rec("a/outcome", "pages", outcome(0, Some("EFAULT"))),
            rec(
                "a/check",
                "verdict",
                Value::Verdict {
                    verdict: "fail".into(),
                },
            ),
            rec("a/count", "count", Value::Scalar { value: 4.0 }),
            rec(
                "a/skip",
                "pages",
                Value::Skip {
                    reason: "no THP".into(),
                },
            ),
            rec("a/new", "ns", samples(100.0, 30)),
        ];
        let one_boot = CompareOptions {
            min_boots: Some(1),
            ..CompareOptions::default()
        };
        let run = d.path().join("run");
        write_run(&run, "wall", &[("k:1", vec![base]), ("k:2", vec![cand])]);
        let r = run.display().to_string();
        let c = compare_specs(&format!("{r}:k:1"), &[format!("{r}:k:2")], &one_boot).unwrap();
        assert_eq!(c.baseline.label, "k:1");
        assert_eq!(c.noise_band, 0.02);
        assert_eq!(verdict_of(&c, "a/fast"), Verdict::Improved);
        assert_eq!(verdict_of(&c, "a/slow"), Verdict::Regressed);
        assert_eq!(verdict_of(&c, "a/same"), Verdict::Unchanged);
        let cold = c.rows.iter().find(|r| r.id == "a/cold").unwrap().results[0]
            .clone()
            .unwrap();
        assert_eq!(cold.verdict, Verdict::Inconclusive);
        assert!(cold.note.unwrap().contains("--repeat"));
        let kinds: Vec<(&str, BehaviourKind)> = c
            .behaviour
            .iter()
            .map(|b| (b.id.as_str(), b.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("a/outcome", BehaviourKind::Changed),
                ("a/check", BehaviourKind::Changed),
                ("a/count", BehaviourKind::Changed),
                ("a/gone", BehaviourKind::MissingInCandidate),
                ("a/skip", BehaviourKind::BecameSkipped),
                ("a/new", BehaviourKind::NewInCandidate),
            ]
        );
        let o = &c.behaviour[0];
        assert_eq!(o.baseline.as_deref(), Some("pinned 16/16"));
        assert_eq!(o.candidate_value.as_deref(), Some("EFAULT (0/16 pinned)"));
        assert!(c.has_regression());
        let counts = c.counts(0);
        assert_eq!(
            (counts.regressed, counts.improved, counts.unchanged),
            (1, 1, 1)
        );
        assert_eq!(counts.behaviour_changes, 6);

        // A whole two-kernel run: first is the baseline.
        let c2 = compare_specs(&r, &[], &one_boot).unwrap();
        assert_eq!(c2.candidates.len(), 1);
        assert_eq!(c2.candidates[0].label, "k:2");
        // Naming a two-kernel run as one side of a pair is ambiguous.
        let e = compare_specs(&r, &[format!("{r}:k:2")], &one_boot).unwrap_err();
        assert!(matches!(e, CompareError::AmbiguousRun { .. }), "{e}");
        assert!(e.to_string().contains(":k:1"), "{e}");
        let e =
            compare_specs(&format!("{r}:nope"), std::slice::from_ref(&r), &one_boot).unwrap_err();
        assert!(e.to_string().contains("k:1, k:2"), "{e}");
    }

    /// Wall clock: one boot a side gives no verdict; with boots that disagree, the two-level
    /// bootstrap keeps a shift that a value-level bootstrap would call significant
    /// inconclusive; a shift every boot shows is still found.
    #[test]
    fn wall_clock_verdicts_need_boots_and_count_their_variation() {
        let d = tempfile::tempdir().unwrap();
        let boot = |id: &str, c: f64| rec(id, "ns", samples(c, 40));
        let base: Vec<Vec<Record>> = (0..5)
            .map(|_| vec![boot("x/noisy", 1000.0), boot("x/slow", 1000.0)])
            .collect();
        let cand: Vec<Vec<Record>> = [1000.0, 1040.0, 1080.0, 1000.0, 1080.0]
            .iter()
            .map(|c| vec![boot("x/noisy", *c), boot("x/slow", 1100.0)])
            .collect();
        let (a, b, a1, b1) = (
            d.path().join("a"),
            d.path().join("b"),
            d.path().join("a1"),
            d.path().join("b1"),
        );
        write_run(&a, "wall", &[("k", base.clone())]);
        write_run(&b, "wall", &[("k", cand.clone())]);
        write_run(&a1, "wall", &[("k", base[..1].to_vec())]);
        write_run(&b1, "wall", &[("k", cand[2..3].to_vec())]);
        let spec = |p: &Path| p.display().to_string();
        let c = compare_specs(&spec(&a), &[spec(&b)], &CompareOptions::default()).unwrap();
        assert_eq!(verdict_of(&c, "x/slow"), Verdict::Regressed);
        assert_eq!(verdict_of(&c, "x/noisy"), Verdict::Inconclusive);
        // The same values, pooled as one boot a side, would have called it.
        let one = CompareOptions {
            min_boots: Some(1),
            ..CompareOptions::default()
        };
        let (w, x) = (d.path().join("w"), d.path().join("x"));
        write_run(&w, "wall", &[("k", vec![base.concat()])]);
        write_run(&x, "wall", &[("k", vec![cand.concat()])]);
        let flat = compare_specs(&spec(&w), &[spec(&x)], &one).unwrap();
        assert_eq!(verdict_of(&flat, "x/noisy"), Verdict::Regressed);
        // One boot a side: no verdict, and the note says what to do.
        let c1 = compare_specs(&spec(&a1), &[spec(&b1)], &CompareOptions::default()).unwrap();
        let m = c1.rows[0].results[0].clone().unwrap();
        assert_eq!(m.verdict, Verdict::Inconclusive);
        assert!(m.note.unwrap().contains("--repeat 5"));
        assert!(m.ratio.unwrap() > 1.05);
    }

    #[test]
    fn boots_are_pooled_and_identical_runs_change_nothing() {
        let d = tempfile::tempdir().unwrap();
        let boots = || {
            vec![
                vec![
                    rec("x/ns", "ns", samples(100.0, 4)),
                    rec("x/cold", "ns", Value::Scalar { value: 7.0 }),
                ],
                vec![
                    rec("x/ns", "ns", samples(100.0, 4)),
                    rec("x/cold", "ns", Value::Scalar { value: 7.0 }),
                ],
            ]
        };
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        write_run(&a, "icount", &[("k", boots())]);
        write_run(&b, "icount", &[("k", boots())]);
        let c = compare_specs(
            &a.display().to_string(),
            &[b.display().to_string()],
            &CompareOptions::default(),
        )
        .unwrap();
        assert_eq!(c.noise_band, 0.005);
        assert_eq!(
            (c.baseline.label.as_str(), c.candidates[0].label.as_str()),
            ("a/k", "b/k")
        );
        let row = &c.rows[0];
        assert_eq!(row.baseline.unwrap().n, 8, "samples of both boots pooled");
        assert_eq!(verdict_of(&c, "x/ns"), Verdict::Unchanged);
        assert_eq!(c.rows[1].baseline.unwrap().n, 2);
        assert!(!c.has_regression());
        assert!(c.behaviour.is_empty());
    }

    #[test]
    fn mixed_clocks_are_refused_and_corrupt_files_warned_about() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        let recs = vec![vec![rec("x/ns", "ns", samples(100.0, 10))]];
        write_run(&a, "wall", &[("k", recs.clone())]);
        write_run(&b, "icount", &[("k", recs.clone())]);
        let e = compare_specs(
            &a.display().to_string(),
            &[b.display().to_string()],
            &CompareOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(e, CompareError::MixedClock { .. }));
        assert!(e.is_usage());
        assert!(e.to_string().contains("--clock wall"), "{e}");

        // Corrupt lines and an unknown schema: warnings, no crash.
        let c = d.path().join("c");
        write_run(&c, "wall", &[("k", recs.clone())]);
        let p = c.join("k/results-1.jsonl");
        let mut text = fs::read_to_string(&p).unwrap();
        text.push_str("{\"type\":\"rec\n");
        fs::write(&p, text).unwrap();
        let cmp = compare_specs(
            &a.display().to_string(),
            &[c.display().to_string()],
            &CompareOptions::default(),
        )
        .unwrap();
        assert_eq!(cmp.warnings.len(), 1, "{:?}", cmp.warnings);
        assert!(cmp.warnings[0].contains("results-1.jsonl") && cmp.warnings[0].contains("line 3"));
        let text = fs::read_to_string(&p)
            .unwrap()
            .replace("\"schema_version\":1", "\"schema_version\":77");
        fs::write(&p, text).unwrap();
        let cmp = compare_specs(
            &a.display().to_string(),
            &[c.display().to_string()],
            &CompareOptions::default(),
        )
        .unwrap();
        assert!(
            cmp.warnings.iter().any(|w| w.contains("schema version 77")),
            "{:?}",
            cmp.warnings
        );
        assert_eq!(cmp.behaviour[0].kind, BehaviourKind::MissingInCandidate);
    }
}
