//! Plain text: what a kernel developer pastes into a cover letter. Modelled on mmtests'
//! compare-kernels output: fixed-width columns, baseline first, each candidate's median with
//! its percent change and a significance marker, then the behaviour changes.

use crate::table::{behaviour_text, Mark, Table, COUNT_LINES};
use std::fmt::Write;

/// One kernel column, formatted: the median part and the percent part padded separately so
/// that parentheses and markers line up.
struct ColumnFormat {
    median: Vec<Option<String>>,
    pct: Vec<String>,
    marks: Vec<&'static str>,
    median_w: usize,
    pct_w: usize,
    width: usize,
}

fn format_column(t: &Table, col: usize) -> ColumnFormat {
    let median: Vec<Option<String>> = t
        .rows
        .iter()
        .map(|r| r.cells[col].median.map(|m| format!("{m:.2}")))
        .collect();
    let pct: Vec<String> = t
        .rows
        .iter()
        .map(|r| match (r.cells[col].mark, r.cells[col].change_pct) {
            (Mark::Baseline, _) => "0.00".to_string(),
            (_, Some(p)) => format!("{p:+.2}"),
            (_, None) => "n/a".to_string(),
        })
        .collect();
    let marks = t.rows.iter().map(|r| r.cells[col].mark.symbol()).collect();
    let median_w = median.iter().flatten().map(|s| s.len()).max().unwrap_or(1);
    let pct_w = pct.iter().map(|s| s.len()).max().unwrap_or(4).max(6);
    // "MEDIAN (PCT%)M"
    let width = (median_w + pct_w + 5).max(t.columns[col].label.len());
    ColumnFormat {
        median,
        pct,
        marks,
        median_w,
        pct_w,
        width,
    }
}

impl ColumnFormat {
    fn cell(&self, row: usize) -> String {
        let s = match &self.median[row] {
            Some(m) => format!(
                "{m:>mw$} ({p:>pw$}%){mark:<1}",
                mw = self.median_w,
                p = self.pct[row],
                pw = self.pct_w,
                mark = self.marks[row]
            ),
            None => "- ".to_string(),
        };
        format!("{s:>w$}", w = self.width)
    }
}

pub fn render(t: &Table) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "pinbench compare: clock {}, noise band ±{}, alpha {}",
        t.clock,
        crate::table::pct(t.noise_band),
        t.alpha
    );
    let label_w = t.columns.iter().map(|c| c.label.len()).max().unwrap_or(0);
    let rel_w = t.columns.iter().map(|c| c.release.len()).max().unwrap_or(0);
    for (i, c) in t.columns.iter().enumerate() {
        let role = if i == 0 { "baseline" } else { "candidate" };
        let _ = writeln!(
            out,
            "  {role:<9}  {:<label_w$}  {:<rel_w$}  {}",
            c.label, c.release, c.run_dir
        );
    }
    out.push('\n');
    for l in t.legend() {
        let _ = writeln!(out, "{l}");
    }
    out.push('\n');

    let id_w = t
        .rows
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(0)
        .max("metric".len());
    let cols: Vec<ColumnFormat> = (0..t.columns.len()).map(|c| format_column(t, c)).collect();
    let mut header = format!("{:<id_w$}", "metric");
    for (c, f) in t.columns.iter().zip(&cols) {
        let _ = write!(header, "  {:>w$}", c.label, w = f.width);
    }
    let _ = writeln!(out, "{}", header.trim_end());
    for (i, r) in t.rows.iter().enumerate() {
        let mut line = format!("{:<id_w$}", r.id);
        for f in &cols {
            let _ = write!(line, "  {}", f.cell(i));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if t.rows.is_empty() {
        let _ = writeln!(out, "(no speed metrics)");
    }

    // Summary per candidate.
    out.push('\n');
    let name_w = COUNT_LINES.iter().map(|l| l.0.len()).max().unwrap_or(0) + 2;
    let mut line = format!("{:<name_w$}", "Summary");
    for c in &t.columns[1..] {
        let _ = write!(line, "  {:>w$}", c.label, w = c.label.len().max(5));
    }
    let _ = writeln!(out, "{}", line.trim_end());
    for (name, get) in COUNT_LINES {
        let mut line = format!("  {name:<w$}", w = name_w - 2);
        for (c, counts) in t.columns[1..].iter().zip(&t.counts) {
            let _ = write!(line, "  {:>w$}", get(counts), w = c.label.len().max(5));
        }
        let _ = writeln!(out, "{line}");
    }

    if !t.no_verdict.is_empty() {
        let _ = writeln!(out, "\nWithout a verdict");
        for (note, n) in &t.no_verdict {
            let _ = writeln!(out, "  {n} x {note}");
        }
    }

    out.push('\n');
    if t.behaviour.is_empty() {
        let _ = writeln!(out, "Behaviour changes: none");
    } else {
        let _ = writeln!(
            out,
            "Behaviour changes (vs baseline {})",
            t.columns[0].label
        );
        let id_w = t.behaviour.iter().map(|b| b.id.len()).max().unwrap_or(0);
        for c in &t.columns[1..] {
            let changes: Vec<_> = t
                .behaviour
                .iter()
                .filter(|b| b.candidate == c.label)
                .collect();
            if changes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {} ({}):", c.label, changes.len());
            for b in changes {
                let kind = match b.kind {
                    crate::compare::BehaviourKind::Changed => String::new(),
                    k => format!("  [{}]", k.describe()),
                };
                let _ = writeln!(out, "    {:<id_w$}  {}{kind}", b.id, behaviour_text(b));
            }
        }
    }
    if !t.warnings.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "Warnings");
        for w in &t.warnings {
            let _ = writeln!(out, "  - {w}");
        }
    }
    out
}
