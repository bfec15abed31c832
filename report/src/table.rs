//! The one table model every exporter renders (hyperfine's `export/markup.rs` idea): a
//! [`Comparison`] flattened into columns (baseline first, then each candidate), rows of
//! speed metrics, per-candidate summaries and the behaviour changes, already formatted
//! where formatting is a decision (the marker of a verdict), raw where it is presentation.

use crate::compare::{BehaviourChange, Comparison, Counts, Verdict};

/// How a cell is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Baseline,
    Regressed,
    Improved,
    Unchanged,
    /// No verdict possible or the evidence was not enough.
    Inconclusive,
    /// The kernel has no values for this metric.
    Missing,
}

impl Mark {
    /// The significance marker: `*` for a significant change, `?` for inconclusive.
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Regressed | Mark::Improved => "*",
            Mark::Inconclusive => "?",
            _ => "",
        }
    }

    fn of(v: Verdict) -> Mark {
        match v {
            Verdict::Regressed => Mark::Regressed,
            Verdict::Improved => Mark::Improved,
            Verdict::Unchanged => Mark::Unchanged,
            Verdict::Inconclusive => Mark::Inconclusive,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableCell {
    pub median: Option<f64>,
    /// Change of the median vs the baseline in percent (None for the baseline itself).
    pub change_pct: Option<f64>,
    pub mark: Mark,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub id: String,
    pub unit: String,
    /// Baseline first, then one per candidate.
    pub cells: Vec<TableCell>,
}

/// Kernel column header: its label and release.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub label: String,
    pub release: String,
    pub run_dir: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
    /// One per candidate (columns[1..]).
    pub counts: Vec<Counts>,
    pub behaviour: Vec<BehaviourChange>,
    pub warnings: Vec<String>,
    /// Why metrics got no verdict, with how many: see [`no_verdict_reasons`].
    pub no_verdict: Vec<(String, usize)>,
    pub clock: String,
    pub noise_band: f64,
    pub alpha: f64,
    pub confidence: f64,
}

impl Table {
    pub fn from_comparison(c: &Comparison) -> Table {
        let column = |k: &crate::compare::KernelData| Column {
            label: k.label.clone(),
            release: k.kernel.release.clone(),
            run_dir: k.run_dir.display().to_string(),
        };
        let columns = std::iter::once(column(&c.baseline))
            .chain(c.candidates.iter().map(column))
            .collect();
        let rows = c
            .rows
            .iter()
            .map(|r| {
                let base = r.baseline.map(|s| s.median);
                let mut cells = vec![TableCell {
                    median: base,
                    change_pct: None,
                    mark: if base.is_some() {
                        Mark::Baseline
                    } else {
                        Mark::Missing
                    },
                }];
                for (summary, result) in r.candidates.iter().zip(&r.results) {
                    let median = summary.map(|s| s.median);
                    let change_pct = match (base, median) {
                        (Some(b), Some(m)) if b > 0.0 => Some((m / b - 1.0) * 100.0),
                        _ => None,
                    };
                    let mark = match (result, median) {
                        (Some(res), _) => Mark::of(res.verdict),
                        (None, Some(_)) => Mark::Inconclusive,
                        (None, None) => Mark::Missing,
                    };
                    cells.push(TableCell {
                        median,
                        change_pct,
                        mark,
                    });
                }
                TableRow {
                    id: r.id.clone(),
                    unit: r.unit.clone(),
                    cells,
                }
            })
            .collect();
        Table {
            columns,
            rows,
            counts: (0..c.candidates.len()).map(|i| c.counts(i)).collect(),
            behaviour: c.behaviour.clone(),
            warnings: c.warnings.clone(),
            no_verdict: no_verdict_reasons(c),
            clock: c.clock.clone(),
            noise_band: c.noise_band,
            alpha: c.alpha,
            confidence: c.confidence,
        }
    }

    /// Units of the rows, deduplicated, in order ("ns" in this project).
    pub fn units(&self) -> Vec<&str> {
        let mut u: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !u.contains(&r.unit.as_str()) {
                u.push(&r.unit);
            }
        }
        u
    }

    /// The legend shared by text and markdown, as lines.
    pub fn legend(&self) -> Vec<String> {
        let units = self.units();
        let units = if units.is_empty() {
            "ns".to_string()
        } else {
            units.join(", ")
        };
        vec![
            format!("Median ({units}, lower is better) of all boots pooled; (%) = change of the median vs baseline."),
            format!(
                "* = significant: {:.0}% bootstrap CI of the ratio outside the ±{} noise band and BH-adjusted p < {};",
                self.confidence * 100.0,
                pct(self.noise_band),
                self.alpha
            ),
            "? = inconclusive (CI straddles the band, p not significant, or too few values or boots); - = missing.".into(),
        ]
    }
}

/// The notes of metrics without a verdict (too few values, too few boots, ...) with how many
/// metrics carry each, most common first.
pub fn no_verdict_reasons(c: &Comparison) -> Vec<(String, usize)> {
    let mut notes: std::collections::BTreeMap<&str, usize> = Default::default();
    for m in c.rows.iter().flat_map(|r| r.results.iter().flatten()) {
        if let Some(n) = &m.note {
            *notes.entry(n.as_str()).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> = notes.into_iter().map(|(n, k)| (n.to_string(), k)).collect();
    v.sort_by_key(|n| std::cmp::Reverse(n.1));
    v
}

/// A fraction as a percent string: 0.02 -> "2%", 0.005 -> "0.5%".
pub fn pct(fraction: f64) -> String {
    let p = fraction * 100.0;
    let s = format!("{p:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// Reads one count of a [`Counts`].
pub type CountGetter = fn(&Counts) -> usize;

/// Summary lines (label, value getter) in report order.
pub const COUNT_LINES: [(&str, CountGetter); 5] = [
    ("regressed", |c| c.regressed),
    ("improved", |c| c.improved),
    ("unchanged", |c| c.unchanged),
    ("inconclusive", |c| c.inconclusive),
    ("behaviour changes", |c| c.behaviour_changes),
];

/// `a -> b` for a behaviour change, with "(absent)" for a side that has nothing.
pub fn behaviour_text(b: &BehaviourChange) -> String {
    let side = |s: &Option<String>| s.clone().unwrap_or_else(|| "(absent)".into());
    format!("{} -> {}", side(&b.baseline), side(&b.candidate_value))
}
