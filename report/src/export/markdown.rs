//! GitHub-flavoured markdown: the text table as a GFM table, for issues and merge requests.
//! Every user-supplied string (ids, kernel names, observed values) is escaped.

use crate::table::{behaviour_text, pct, Mark, Table, COUNT_LINES};
use std::fmt::Write;

/// Escape what markdown would interpret (emphasis, code, links, HTML, table pipes).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn cell(c: &crate::table::TableCell) -> String {
    match (c.median, c.mark) {
        (None, _) => "-".into(),
        (Some(m), Mark::Baseline) => format!("{m:.2}"),
        (Some(m), mark) => {
            let p = c
                .change_pct
                .map(|p| format!("{p:+.2}%"))
                .unwrap_or_else(|| "n/a".into());
            let sym = match mark.symbol() {
                "" => String::new(),
                s => format!(" **{}**", escape(s)),
            };
            format!("{m:.2} ({p}){sym}")
        }
    }
}

pub fn render(t: &Table) -> String {
    let mut out = String::new();
    let base = &t.columns[0];
    let cands: Vec<String> = t.columns[1..].iter().map(|c| escape(&c.label)).collect();
    let _ = writeln!(
        out,
        "## pinbench compare: {} vs {}\n",
        cands.join(", "),
        escape(&base.label)
    );
    let _ = writeln!(
        out,
        "Clock `{}`, noise band ±{}, alpha {}.\n",
        escape(&t.clock),
        pct(t.noise_band),
        t.alpha
    );
    let _ = writeln!(out, "| role | kernel | release | run |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (i, c) in t.columns.iter().enumerate() {
        let role = if i == 0 { "baseline" } else { "candidate" };
        let _ = writeln!(
            out,
            "| {role} | {} | {} | {} |",
            escape(&c.label),
            escape(&c.release),
            escape(&c.run_dir)
        );
    }
    out.push('\n');
    for l in t.legend() {
        let _ = writeln!(out, "{}  ", escape(&l));
    }
    out.push('\n');

    let _ = write!(out, "| metric |");
    for c in &t.columns {
        let _ = write!(out, " {} |", escape(&c.label));
    }
    let _ = write!(out, "\n|---|");
    for _ in &t.columns {
        let _ = write!(out, "---:|");
    }
    out.push('\n');
    for r in &t.rows {
        let _ = write!(out, "| {} |", escape(&r.id));
        for c in &r.cells {
            let _ = write!(out, " {} |", cell(c));
        }
        out.push('\n');
    }

    let _ = write!(out, "\n### Summary\n\n| |");
    for c in &cands {
        let _ = write!(out, " {c} |");
    }
    let _ = write!(out, "\n|---|");
    for _ in &cands {
        let _ = write!(out, "---:|");
    }
    out.push('\n');
    for (name, get) in COUNT_LINES {
        let _ = write!(out, "| {name} |");
        for counts in &t.counts {
            let _ = write!(out, " {} |", get(counts));
        }
        out.push('\n');
    }

    if !t.no_verdict.is_empty() {
        let _ = writeln!(out, "\n### Without a verdict\n");
        for (note, n) in &t.no_verdict {
            let _ = writeln!(out, "- {n} × {}", escape(note));
        }
    }

    let _ = writeln!(out, "\n### Behaviour changes\n");
    if t.behaviour.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(out, "| candidate | id | change | baseline -> candidate |");
        let _ = writeln!(out, "|---|---|---|---|");
        for b in &t.behaviour {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                escape(&b.candidate),
                escape(&b.id),
                b.kind.describe(),
                escape(&behaviour_text(b))
            );
        }
    }
    if !t.warnings.is_empty() {
        let _ = writeln!(out, "\n### Warnings\n");
        for w in &t.warnings {
            let _ = writeln!(out, "- {}", escape(w));
        }
    }
    out
}
