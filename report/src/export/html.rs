//! HTML: one self-contained file (inline CSS and SVG, no script, nothing fetched) for reading
//! a comparison in a browser. Sections, in order:
//!
//! 1. summary: verdict counts per candidate, the largest regressions, behaviour changes and
//!    warnings;
//! 2. environment of every kernel (release, accel, clock, QEMU, CPU, boots) from `run.json`;
//! 3. per workload: grouped bars of medians with interval whiskers per buffer kind and pin
//!    mode ([`crate::plot::bars`]), latency distributions ([`crate::plot::boxes`]), metrics
//!    against the pinned fraction when records carry one ([`crate::plot::fraction`]), and the
//!    behaviour matrix ([`crate::plot::matrix`]);
//! 4. every speed metric as a table (the shared [`crate::table::Table`] model).
//!
//! Figures are chosen from the records alone (metric family, unit, `params`), so a new
//! workload gets plots without code here: speed cells (time units) become bars and boxes,
//! split by every parameter other than `kind` and `mode`; cells with a pinned-fraction
//! parameter become lines; behaviour cells (outcomes, verdicts, counts) become the matrix.
//!
//! Every string that comes from a user, a run directory or a guest is passed through
//! [`escape`]; plot text is escaped by plotters' SVG backend.

use crate::compare::{speed_direction, CellData, Comparison, KernelData, Verdict};
use crate::plot::{bars, boxes, fraction, matrix};
use crate::table::{behaviour_text, pct, Mark, Table, COUNT_LINES};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

/// Escape text for HTML element content and double- or single-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An HTML id from any text: letters, digits and '-' only (so it needs no escaping).
fn anchor(s: &str) -> String {
    let a: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("w-{a}")
}

/// Confidence level of the bar whiskers.
const WHISKER_CONFIDENCE: f64 = 0.95;
/// Largest regressions listed in the summary.
const TOP_REGRESSIONS: usize = 10;
/// Behaviour changes listed in the summary before "and N more".
const MAX_BEHAVIOUR_ROWS: usize = 100;
/// Fewest values per kernel for a box plot to say anything.
const MIN_BOX_VALUES: usize = 5;

/// The start of a pinbench HTML page, up to and including its `<h1>` (the escaped title):
/// the shared look ([`BASE_CSS`]) and the page's own `css`.
pub fn page_head(title: &str, css: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"generator\" content=\"pinbench\">\n<title>{t}</title>\n<style>{BASE_CSS}{css}</style>\n\
         </head>\n<body>\n<h1>{t}</h1>\n",
        t = escape(title)
    )
}

/// The look every pinbench HTML page shares (this report, the bisect result page): body,
/// headings and tables.
pub const BASE_CSS: &str = r#"
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 2500px; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-family: monospace; }
td.id { font-family: monospace; }
"#;

const CSS: &str = r#"
.regressed { background: #f8d0d0; } .improved { background: #d3efd3; }
.unchanged { } .inconclusive { background: #fff3c4; } .missing { color: #999; }
.good { background: #d3efd3; } .bad { background: #f8d0d0; } .partial { background: #ffe0b3; }
.skipped { background: #eee; color: #777; } .neutral { background: #e4ecf7; } .absent { color: #999; }
td.changed { outline: 3px solid #c00; outline-offset: -3px; font-weight: bold; }
tr.changed-row td.id { font-weight: bold; }
.badge { background: #c00; color: #fff; border-radius: 3px; padding: 0 4px; font-size: 0.8em; }
.warn { color: #8a4b00; } .figure { overflow-x: auto; margin: 0.5em 0 1.5em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
summary { cursor: pointer; font-weight: bold; margin: 0.4em 0; }
"#;

/// Render a comparison (which may have no candidates: a one-kernel report).
pub fn render(c: &Comparison) -> String {
    let kernels: Vec<&KernelData> = std::iter::once(&c.baseline)
        .chain(c.candidates.iter())
        .collect();
    let labels: Vec<String> = kernels.iter().map(|k| k.label.clone()).collect();
    let workloads = workloads(&kernels);
    let mut h = String::new();
    let title = if c.candidates.is_empty() {
        format!("pinbench report: {}", c.baseline.label)
    } else {
        format!(
            "pinbench report: {} vs {}",
            c.baseline.label,
            c.candidates
                .iter()
                .map(|k| k.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    h.push_str(&page_head(&title, CSS));
    let _ = writeln!(
        h,
        "<p>Clock <b>{}</b>; a speed change counts when the {:.0}% bootstrap interval of the \
         ratio of medians lies outside the ±{} noise band and the Benjamini-Hochberg adjusted \
         p-value is below {}. Whiskers on bars: {:.0}% interval of each median.</p>",
        escape(&c.clock),
        c.confidence * 100.0,
        pct(c.noise_band),
        c.alpha,
        WHISKER_CONFIDENCE * 100.0
    );
    h.push_str("<nav><ul>\n<li><a href=\"#summary\">Summary</a></li>\n<li><a href=\"#environment\">Environment</a></li>\n");
    for w in &workloads {
        let _ = writeln!(
            h,
            "<li><a href=\"#{}\">Workload {}</a></li>",
            anchor(w),
            escape(w)
        );
    }
    h.push_str("<li><a href=\"#metrics\">All speed metrics</a></li>\n</ul></nav>\n");
    summary(&mut h, c);
    environment(&mut h, &kernels);
    for w in &workloads {
        workload_section(&mut h, c, &kernels, &labels, w);
    }
    metrics_table(&mut h, &Table::from_comparison(c));
    h.push_str("</body>\n</html>\n");
    h
}

/// Workloads in the order their cells first appear.
fn workloads(kernels: &[&KernelData]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for k in kernels {
        for id in &k.order {
            let w = &k.cells[id].workload;
            if seen.insert(w.clone()) {
                out.push(w.clone());
            }
        }
    }
    out
}

fn legend(h: &mut String, labels: &[String]) {
    h.push_str("<p>");
    for (i, l) in labels.iter().enumerate() {
        let _ = write!(
            h,
            "<span class=\"swatch\" style=\"background:{}\"></span>{}{} &nbsp; ",
            crate::plot::css(crate::plot::colour(i)),
            escape(l),
            if i == 0 { " (baseline)" } else { "" }
        );
    }
    h.push_str("</p>\n");
}

fn summary(h: &mut String, c: &Comparison) {
    h.push_str("<h2 id=\"summary\">Summary</h2>\n");
    if c.candidates.is_empty() {
        h.push_str(
            "<p>One kernel: nothing to compare against. Figures show its measurements alone.</p>\n",
        );
    } else {
        h.push_str("<table class=\"counts\"><thead><tr><th>candidate vs baseline</th>");
        for (name, _) in COUNT_LINES {
            let _ = write!(h, "<th>{}</th>", escape(name));
        }
        h.push_str("</tr></thead><tbody>\n");
        for (i, k) in c.candidates.iter().enumerate() {
            let counts = c.counts(i);
            let _ = write!(h, "<tr><td>{}</td>", escape(&k.label));
            for (name, get) in COUNT_LINES {
                let n = get(&counts);
                let class = match name {
                    "regressed" | "behaviour changes" if n > 0 => "regressed",
                    "improved" if n > 0 => "improved",
                    "inconclusive" if n > 0 => "inconclusive",
                    _ => "",
                };
                let _ = write!(h, "<td class=\"num {class}\">{n}</td>");
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");

        // Why metrics got no verdict, most common reason first.
        let notes = crate::table::no_verdict_reasons(c);
        if !notes.is_empty() {
            h.push_str("<p>Metrics without a verdict, and why:</p>\n<ul>\n");
            for (note, n) in notes.iter().take(5) {
                let _ = writeln!(h, "<li>{n} × {}</li>", escape(note));
            }
            h.push_str("</ul>\n");
        }

        // Largest regressions, by ratio.
        let mut regs = Vec::new();
        for r in &c.rows {
            for (ci, res) in r.results.iter().enumerate() {
                if let Some(m) = res.as_ref().filter(|m| m.verdict == Verdict::Regressed) {
                    regs.push((r, ci, m));
                }
            }
        }
        regs.sort_by(|a, b| {
            b.2.ratio
                .unwrap_or(0.0)
                .total_cmp(&a.2.ratio.unwrap_or(0.0))
        });
        let _ = writeln!(
            h,
            "<h3>Largest regressions</h3>\n<p>{} regressed metric(s){}.</p>",
            regs.len(),
            if regs.len() > TOP_REGRESSIONS {
                format!("; the {TOP_REGRESSIONS} largest")
            } else {
                String::new()
            }
        );
        if !regs.is_empty() {
            h.push_str("<table class=\"regressions\"><thead><tr><th>metric</th><th>candidate</th><th>baseline median</th><th>candidate median</th><th>change</th><th>interval of the ratio</th><th>adjusted p</th></tr></thead><tbody>\n");
            for (r, ci, m) in regs.iter().take(TOP_REGRESSIONS) {
                let change = m
                    .ratio
                    .map(|x| format!("{:+.2}%", (x - 1.0) * 100.0))
                    .unwrap_or_else(|| "n/a".into());
                let interval = match (m.ci_low, m.ci_high) {
                    (Some(lo), Some(hi)) => {
                        format!("[{:+.2}%, {:+.2}%]", (lo - 1.0) * 100.0, (hi - 1.0) * 100.0)
                    }
                    _ => "n/a".into(),
                };
                let _ = writeln!(
                    h,
                    "<tr class=\"regressed\"><td class=\"id\">{}</td><td>{}</td><td class=\"num\">{:.2} {}</td><td class=\"num\">{:.2} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    escape(&r.id),
                    escape(&c.candidates[*ci].label),
                    m.baseline.median,
                    escape(&r.unit),
                    m.candidate.median,
                    escape(&r.unit),
                    change,
                    interval,
                    m.p_adjusted.map(|p| format!("{p:.2e}")).unwrap_or_else(|| "n/a".into())
                );
            }
            h.push_str("</tbody></table>\n");
        }

        let _ = writeln!(
            h,
            "<h3>Behaviour changes</h3>\n<p>{} change(s): what a pin answered, a verdict or a \
             count differs. Never averaged into speed.</p>",
            c.behaviour.len()
        );
        if !c.behaviour.is_empty() {
            h.push_str("<table class=\"behaviour\"><thead><tr><th>cell</th><th>candidate</th><th>kind</th><th>baseline → candidate</th></tr></thead><tbody>\n");
            for b in c.behaviour.iter().take(MAX_BEHAVIOUR_ROWS) {
                let _ = writeln!(
                    h,
                    "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&b.id),
                    escape(&b.candidate),
                    b.kind.describe(),
                    escape(&behaviour_text(b))
                );
            }
            h.push_str("</tbody></table>\n");
            if c.behaviour.len() > MAX_BEHAVIOUR_ROWS {
                let _ = writeln!(
                    h,
                    "<p>… and {} more; every one is in the behaviour matrices below and in \
                     `pinbench compare --format json`.</p>",
                    c.behaviour.len() - MAX_BEHAVIOUR_ROWS
                );
            }
        }
    }
    if !c.warnings.is_empty() {
        h.push_str("<h3>Warnings</h3>\n<ul class=\"warn\">\n");
        for w in &c.warnings {
            let _ = writeln!(h, "<li>{}</li>", escape(w));
        }
        h.push_str("</ul>\n");
    }
}

fn environment(h: &mut String, kernels: &[&KernelData]) {
    h.push_str(
        "<h2 id=\"environment\">Environment</h2>\n<table class=\"env\"><thead><tr><th></th>",
    );
    for (i, k) in kernels.iter().enumerate() {
        let _ = write!(
            h,
            "<th>{}{}</th>",
            escape(&k.label),
            if i == 0 { " (baseline)" } else { "" }
        );
    }
    h.push_str("</tr></thead><tbody>\n");
    type Field = fn(&KernelData) -> String;
    let fields: [(&str, Field); 16] = [
        ("spec", |k| k.kernel.spec.clone()),
        ("release", |k| k.kernel.release.clone()),
        ("/proc/version", |k| {
            k.kernel.proc_version.clone().unwrap_or_else(|| "-".into())
        }),
        ("accel", |k| k.meta.accel.clone()),
        ("clock", |k| k.meta.clock.clone()),
        ("QEMU", |k| k.meta.host.qemu_version.clone()),
        ("host CPU", |k| {
            format!("{} ({} cores)", k.meta.host.cpu_model, k.meta.host.cpus)
        }),
        ("host kernel", |k| k.meta.host.host_kernel.clone()),
        ("guest", |k| {
            format!("{} MiB, {} vCPU", k.meta.memory_mib, k.meta.cpus)
        }),
        ("page size", |k| {
            k.page_size
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into())
        }),
        ("boots read", |k| {
            format!("{} of {}", k.boots_loaded, k.kernel.boots.len())
        }),
        ("status", |k| match &k.kernel.status {
            results::KernelStatus::Ok => "ok".into(),
            s => format!("{s:?}"),
        }),
        ("config digest", |k| {
            k.kernel
                .config_digest
                .as_deref()
                .map(|d| d.chars().take(16).collect())
                .unwrap_or_else(|| "-".into())
        }),
        ("module digest", |k| {
            k.kernel
                .module_digest
                .as_deref()
                .map(|d| d.chars().take(16).collect())
                .unwrap_or_else(|| "-".into())
        }),
        ("run", |k| {
            format!(
                "{} (started {}, harness {})",
                k.run_dir.display(),
                k.meta.started,
                k.meta.harness_revision
            )
        }),
        ("command", |k| k.meta.command_line.join(" ")),
    ];
    for (name, get) in fields {
        let _ = write!(h, "<tr><th>{}</th>", escape(name));
        for k in kernels {
            let _ = write!(h, "<td>{}</td>", escape(&get(k)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
}

/// Where a cell of a workload goes.
enum Figure {
    Bars,
    Fraction(&'static str),
    Matrix,
}

/// Params other than those named, as `k=v, k=v`.
fn rest_of(params: &BTreeMap<String, String>, skip: &[&str]) -> String {
    params
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Category of a bar: buffer kind and pin mode when recorded, else the id's middle part.
fn category(workload: &str, id: &str, params: &BTreeMap<String, String>) -> String {
    let parts: Vec<&str> = ["kind", "mode"]
        .iter()
        .filter_map(|k| params.get(*k).map(|s| s.as_str()))
        .collect();
    if !parts.is_empty() {
        return parts.join(" · ");
    }
    let rest = id
        .strip_prefix(workload)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(id);
    match rest.rsplit_once('/') {
        Some((head, _)) if !head.is_empty() => head.to_string(),
        _ => rest.to_string(),
    }
}

/// One category chart being assembled: categories in order, values per kernel.
#[derive(Default)]
struct CategoryChart {
    unit: String,
    categories: Vec<String>,
    index: HashMap<String, usize>,
    /// values[category][kernel]
    values: Vec<Vec<Option<Vec<f64>>>>,
}

impl CategoryChart {
    fn add(&mut self, category: String, kernel: usize, n_kernels: usize, v: &[f64]) {
        let i = *self.index.entry(category.clone()).or_insert_with(|| {
            self.categories.push(category);
            self.values.push(vec![None; n_kernels]);
            self.values.len() - 1
        });
        self.values[i][kernel]
            .get_or_insert_with(Vec::new)
            .extend_from_slice(v);
    }
}

fn figure_or_error(h: &mut String, r: Result<String, crate::plot::PlotError>) {
    match r {
        Ok(svg) => {
            h.push_str("<div class=\"figure\">\n");
            h.push_str(&svg);
            h.push_str("\n</div>\n");
        }
        Err(e) => {
            let _ = writeln!(h, "<p class=\"warn\">{}</p>", escape(&e.to_string()));
        }
    }
}

fn workload_section(
    h: &mut String,
    c: &Comparison,
    kernels: &[&KernelData],
    labels: &[String],
    workload: &str,
) {
    let n = kernels.len();
    // Ids of this workload, in order of first appearance.
    let mut ids: Vec<&str> = Vec::new();
    let mut seen = BTreeSet::new();
    for k in kernels {
        for id in &k.order {
            if k.cells[id].workload == workload && seen.insert(id.as_str()) {
                ids.push(id);
            }
        }
    }
    let changed: BTreeSet<(&str, &str)> = c
        .behaviour
        .iter()
        .map(|b| (b.id.as_str(), b.candidate.as_str()))
        .collect();

    // Charts keyed by (metric family, split), in order of first appearance.
    let mut bar_keys: Vec<(String, String)> = Vec::new();
    let mut bar_charts: HashMap<(String, String), CategoryChart> = HashMap::new();
    // Fraction plots: family -> (unit, points).
    let mut frac_keys: Vec<String> = Vec::new();
    let mut frac: HashMap<String, (String, Vec<FractionPoint>)> = HashMap::new();
    // Matrix: family -> rows.
    let mut matrix_keys: Vec<String> = Vec::new();
    let mut matrices: HashMap<String, Vec<matrix::MatrixRow>> = HashMap::new();

    for id in &ids {
        let some = kernels
            .iter()
            .find_map(|k| k.cells.get(*id))
            .expect("id comes from a kernel");
        let has_numbers = kernels.iter().any(|k| {
            matches!(
                k.cells.get(*id).map(|c| &c.data),
                Some(CellData::Numbers(_))
            )
        });
        let has_values = kernels
            .iter()
            .any(|k| k.cells.get(*id).is_some_and(|c| !c.values.is_empty()));
        let figure = match fraction::fraction_of(&some.params) {
            Some((key, _)) if has_values => Figure::Fraction(key),
            _ if has_numbers && speed_direction(&some.unit).is_some() => Figure::Bars,
            _ => Figure::Matrix,
        };
        match figure {
            Figure::Bars => {
                let key = (
                    some.metric.clone(),
                    rest_of(&some.params, &["kind", "mode"]),
                );
                let chart = bar_charts.entry(key.clone()).or_insert_with(|| {
                    bar_keys.push(key.clone());
                    CategoryChart {
                        unit: some.unit.clone(),
                        ..Default::default()
                    }
                });
                for (ki, k) in kernels.iter().enumerate() {
                    if let Some(CellData::Numbers(v)) = k.cells.get(*id).map(|c| &c.data) {
                        chart.add(category(workload, id, &some.params), ki, n, v);
                    }
                }
            }
            Figure::Fraction(key) => {
                let x: f64 = fraction::fraction_of(&some.params)
                    .map(|f| f.1)
                    .unwrap_or(0.0);
                let entry = frac.entry(some.metric.clone()).or_insert_with(|| {
                    frac_keys.push(some.metric.clone());
                    (some.unit.clone(), Vec::new())
                });
                let mut rest = some.params.clone();
                rest.remove(key);
                for (ki, k) in kernels.iter().enumerate() {
                    if let Some(cell) = k.cells.get(*id).filter(|c| !c.values.is_empty()) {
                        entry.1.push(FractionPoint {
                            kernel: ki,
                            rest: rest.clone(),
                            x,
                            values: cell.values.clone(),
                        });
                    }
                }
            }
            Figure::Matrix => {
                let family = some.metric.clone();
                let rows = matrices.entry(family.clone()).or_insert_with(|| {
                    matrix_keys.push(family);
                    Vec::new()
                });
                let label = id
                    .strip_prefix(workload)
                    .and_then(|r| r.strip_prefix('/'))
                    .unwrap_or(id)
                    .to_string();
                let cells = kernels
                    .iter()
                    .enumerate()
                    .map(|(ki, k)| matrix::MatrixCell {
                        text: k.cells.get(*id).map(describe),
                        changed: ki > 0 && changed.contains(&(*id, k.label.as_str())),
                    })
                    .collect();
                rows.push(matrix::MatrixRow { label, cells });
            }
        }
    }

    let _ = writeln!(
        h,
        "<h2 id=\"{}\">Workload {}</h2>",
        anchor(workload),
        escape(workload)
    );
    legend(h, labels);

    // Bars and boxes, grouped by metric family; the first family open.
    let mut families: Vec<&str> = Vec::new();
    for (m, _) in &bar_keys {
        if !families.contains(&m.as_str()) {
            families.push(m);
        }
    }
    // Distributions (BENCH samples) first: the headline numbers; single values after.
    let has_samples = |family: &str| {
        bar_keys.iter().filter(|(m, _)| m == family).any(|k| {
            bar_charts[k]
                .values
                .iter()
                .flatten()
                .flatten()
                .any(|v| v.len() >= MIN_BOX_VALUES)
        })
    };
    families.sort_by_key(|f| !has_samples(f));
    for (fi, family) in families.iter().enumerate() {
        let keys: Vec<&(String, String)> = bar_keys.iter().filter(|(m, _)| m == family).collect();
        let _ = writeln!(
            h,
            "<details{}><summary>{} — medians per buffer kind and pin mode ({} figure(s)), and distributions</summary>",
            if fi == 0 { " open" } else { "" },
            escape(family),
            keys.len()
        );
        for key in keys {
            let chart = &bar_charts[key];
            let title = if key.1.is_empty() {
                family.to_string()
            } else {
                format!("{family} — {}", key.1)
            };
            let groups: Vec<bars::Group> = chart
                .categories
                .iter()
                .zip(&chart.values)
                .map(|(cat, vals)| bars::Group {
                    category: cat.clone(),
                    bars: vals
                        .iter()
                        .map(|v| {
                            v.as_deref()
                                .and_then(|v| bars::Bar::of(v, WHISKER_CONFIDENCE))
                        })
                        .collect(),
                })
                .collect();
            figure_or_error(h, bars::render(&title, &chart.unit, labels, &groups));
            let enough = chart
                .values
                .iter()
                .flatten()
                .flatten()
                .any(|v| v.len() >= MIN_BOX_VALUES);
            if enough {
                let groups: Vec<boxes::Group> = chart
                    .categories
                    .iter()
                    .zip(&chart.values)
                    .map(|(cat, vals)| boxes::Group {
                        category: cat.clone(),
                        boxes: vals
                            .iter()
                            .map(|v| {
                                v.as_deref()
                                    .filter(|v| v.len() >= MIN_BOX_VALUES)
                                    .and_then(boxes::BoxStats::of)
                            })
                            .collect(),
                    })
                    .collect();
                figure_or_error(
                    h,
                    boxes::render(
                        &format!("distribution of {title}"),
                        &chart.unit,
                        labels,
                        &groups,
                    ),
                );
            }
        }
        h.push_str("</details>\n");
    }

    for family in &frac_keys {
        let (unit, points) = &frac[family];
        let lines = fraction_lines(points, labels);
        let _ = writeln!(h, "<h3>{} against the pinned fraction</h3>", escape(family));
        figure_or_error(
            h,
            fraction::render(&format!("{family} vs memory held pinned"), unit, &lines),
        );
    }

    for family in &matrix_keys {
        let rows = &matrices[family];
        let n_changed = rows
            .iter()
            .filter(|r| r.cells.iter().any(|c| c.changed))
            .count();
        let _ = writeln!(
            h,
            "<details{}><summary>Behaviour: {} ({} cell(s), {} changed)</summary>",
            if n_changed > 0 || rows.len() <= 60 {
                " open"
            } else {
                ""
            },
            escape(family),
            rows.len(),
            n_changed
        );
        h.push_str(&matrix::render(labels, rows));
        h.push_str("</details>\n");
    }
    if ids.is_empty() {
        h.push_str("<p>No records.</p>\n");
    }
}

/// One kernel's values of one cell with a pinned-fraction coordinate.
struct FractionPoint {
    kernel: usize,
    /// The other coordinates.
    rest: BTreeMap<String, String>,
    x: f64,
    values: Vec<f64>,
}

/// Lines of a fraction plot: one per kernel and combination of the coordinates that vary in
/// this family (constant ones, like the pin API, would only lengthen the legend). Colour by
/// coordinates when they vary (the kernel then shows as solid baseline / dashed candidate),
/// else by kernel.
fn fraction_lines(points: &[FractionPoint], labels: &[String]) -> Vec<fraction::Line> {
    let mut values_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in points {
        for (k, v) in &p.rest {
            values_of.entry(k).or_default().insert(v);
        }
    }
    let varying: Vec<&str> = values_of
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, _)| *k)
        .collect();
    let mut combos: Vec<String> = Vec::new();
    let mut lines: Vec<fraction::Line> = Vec::new();
    for p in points {
        let combo = varying
            .iter()
            .filter_map(|k| p.rest.get(*k).map(|v| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join(", ");
        let ci = combos.iter().position(|c| *c == combo).unwrap_or_else(|| {
            combos.push(combo.clone());
            combos.len() - 1
        });
        let label = if combo.is_empty() {
            labels[p.kernel].clone()
        } else {
            format!("{} {combo}", labels[p.kernel])
        };
        let Some(bar) = bars::Bar::of(&p.values, WHISKER_CONFIDENCE) else {
            continue;
        };
        match lines.iter_mut().find(|l| l.label == label) {
            Some(l) => l.points.push((p.x, bar)),
            None => lines.push(fraction::Line {
                label,
                colour: if varying.is_empty() { p.kernel } else { ci },
                baseline: p.kernel == 0,
                points: vec![(p.x, bar)],
            }),
        }
    }
    lines
}

/// A behaviour cell as the matrix shows it.
fn describe(c: &crate::compare::Cell) -> String {
    match &c.data {
        CellData::Observed(o) => o.iter().cloned().collect::<Vec<_>>().join(" | "),
        CellData::Skipped(r) => {
            format!(
                "skipped: {}",
                r.iter().cloned().collect::<Vec<_>>().join(" | ")
            )
        }
        CellData::Numbers(v) => match crate::compare::Summary::of(v) {
            Some(s) => format!("median {:.2} {} (n={})", s.median, c.unit, s.n),
            None => "no values".into(),
        },
    }
}

fn metrics_table(h: &mut String, t: &Table) {
    let _ = writeln!(
        h,
        "<h2 id=\"metrics\">All speed metrics</h2>\n<details><summary>{} metric(s): median and change vs baseline</summary>",
        t.rows.len()
    );
    for line in t.legend() {
        let _ = writeln!(h, "<p>{}</p>", escape(&line));
    }
    h.push_str("<table class=\"metrics\"><thead><tr><th>metric</th><th>unit</th>");
    for col in &t.columns {
        let _ = write!(
            h,
            "<th>{}<br><small>{}</small></th>",
            escape(&col.label),
            escape(&col.release)
        );
    }
    h.push_str("</tr></thead><tbody>\n");
    for r in &t.rows {
        let _ = write!(
            h,
            "<tr><td class=\"id\">{}</td><td>{}</td>",
            escape(&r.id),
            escape(&r.unit)
        );
        for cell in &r.cells {
            let class = match cell.mark {
                Mark::Regressed => "regressed",
                Mark::Improved => "improved",
                Mark::Inconclusive => "inconclusive",
                Mark::Missing => "missing",
                Mark::Baseline | Mark::Unchanged => "",
            };
            let text = match (cell.median, cell.change_pct, cell.mark) {
                (None, _, _) => "-".to_string(),
                (Some(m), _, Mark::Baseline) => format!("{m:.2}"),
                (Some(m), Some(p), mark) => format!("{m:.2} ({p:+.2}%){}", mark.symbol()),
                (Some(m), None, mark) => format!("{m:.2}{}", mark.symbol()),
            };
            let _ = write!(h, "<td class=\"num {class}\">{}</td>", escape(&text));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n</details>\n");
}
