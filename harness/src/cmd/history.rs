//! `pinbench history`: a metric's series over the nightly history, one line per night.

use crate::cli::HistoryArgs;
use crate::nightly::config::Config;
use crate::nightly::{history_dir, kernel_ok, medians};
use crate::UsageError;
use results::history::History;

pub fn main(a: HistoryArgs) -> anyhow::Result<i32> {
    let cfg = Config::load(a.config.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    let re =
        match &a.metric {
            Some(r) => Some(regex::Regex::new(r).map_err(|e| {
                UsageError(format!("--metric `{r}` is not a regular expression: {e}"))
            })?),
            None => None,
        };
    let h = History::new(history_dir(a.history.as_deref(), &cfg));
    let idx = h.read()?;
    for w in &idx.warnings {
        eprintln!("warning: {w}");
    }
    if idx.nights.is_empty() {
        return Err(UsageError(format!(
            "no nights in {}; run `pinbench nightly` first or pass --history DIR",
            h.dir.display()
        ))
        .into());
    }
    println!(
        "{:<12} {:<28} {:<28} {:<64} {:>14}",
        "night", "kernel", "release", "metric", "median"
    );
    let mut lines = 0;
    for n in &idx.nights {
        for k in &n.kernels {
            if a.kernel.as_ref().is_some_and(|want| want != &k.name) {
                continue;
            }
            if kernel_ok(n, &k.name).is_none() {
                println!(
                    "{:<12} {:<28} {:<28} {}",
                    n.date, k.name, k.release, k.status
                );
                continue;
            }
            for (id, v) in medians(&h, n, k) {
                if re.as_ref().is_some_and(|r| !r.is_match(&id)) {
                    continue;
                }
                println!(
                    "{:<12} {:<28} {:<28} {:<64} {:>14.2}",
                    n.date, k.name, k.release, id, v
                );
                lines += 1;
            }
        }
    }
    if lines == 0 {
        eprintln!("no metric matched; drop --metric/--kernel to see everything");
    }
    Ok(crate::exit::OK)
}
