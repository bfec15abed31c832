//! `pinbench report RUN... --html FILE`: one self-contained HTML file of one or more runs.
//! With several kernels the first is the baseline and the others candidates (as
//! `pinbench compare`); with one kernel the report shows its measurements alone.
//! Exit code 0 when the file is written (a report is not a gate: use `pinbench compare`),
//! 2 for a usage error, 3 when a file cannot be read or written.

use crate::cli::ReportArgs;
use crate::exit;
use anyhow::Context;
use report::compare::{report_specs, CompareOptions};

pub fn main(args: ReportArgs) -> anyhow::Result<i32> {
    let opts = CompareOptions {
        noise_band: args.noise_band.map(|pct| pct / 100.0),
        alpha: args.alpha,
        ..CompareOptions::default()
    };
    let cmp = report_specs(&args.runs, &opts).map_err(super::compare::usage_or_infra)?;
    for w in &cmp.warnings {
        eprintln!("warning: {w}");
    }
    let html = report::export::html::render(&cmp);
    std::fs::write(&args.html, html)
        .with_context(|| format!("writing the HTML report to {}", args.html.display()))?;
    eprintln!("report: {}", args.html.display());
    Ok(exit::OK)
}
