//! `pinbench compare BASE NEW...`: speed verdicts and behaviour changes between runs.
//!
//! Exit code 1 when any metric regressed or any behaviour changed, 0 otherwise, 2 for a
//! usage error (bad RUN:KERNEL, mixed clocks or page sizes).

use crate::cli::{CompareArgs, CompareFormat};
use crate::{exit, UsageError};
use anyhow::Context;
use report::compare::{compare_specs, CompareOptions};
use report::export::{self, Format};

/// A comparison error as the CLI reports it: usage (exit 2) or infrastructure (exit 3).
pub fn usage_or_infra(e: report::compare::CompareError) -> anyhow::Error {
    if e.is_usage() {
        anyhow::Error::new(UsageError(e.to_string()))
    } else {
        anyhow::Error::new(e)
    }
}

pub fn main(args: CompareArgs) -> anyhow::Result<i32> {
    let opts = CompareOptions {
        noise_band: args.noise_band.map(|pct| pct / 100.0),
        alpha: args.alpha,
        ..CompareOptions::default()
    };
    let format = match args.format {
        CompareFormat::Text => Format::Text,
        CompareFormat::Markdown => Format::Markdown,
        CompareFormat::Json => Format::Json,
        CompareFormat::Html => Format::Html,
    };
    let cmp = compare_specs(&args.base, &args.new, &opts).map_err(usage_or_infra)?;
    let out = export::render(&cmp, format);
    match &args.output {
        Some(path) => {
            // The report holds the warnings too; repeat them where the user is looking.
            for w in &cmp.warnings {
                eprintln!("warning: {w}");
            }
            std::fs::write(path, out)
                .with_context(|| format!("writing the report to {}", path.display()))?;
        }
        None => {
            // A reader that stops early (`| head`) is not an error.
            use std::io::Write;
            match std::io::stdout().write_all(out.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                r => r.context("writing the report to stdout")?,
            }
        }
    }
    Ok(if cmp.has_regression() {
        exit::REGRESSION
    } else {
        exit::OK
    })
}
