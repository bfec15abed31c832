//! Bisecting real kernels: candidates are kernel specs; measuring one is a `pinbench run`
//! of only the metric's workload (narrowed to its cell for `pin-latency`) into the bisect
//! directory, then reading that cell back.
//!
//! The bisect directory is the log: `candidates.json` (the ordered specs), one run
//! directory per measurement (`c<index>-m<attempt>`), `log.jsonl` (a line per step, written
//! as it happens) and `result.json` / `result.txt` at the end. Running the same bisect again
//! with the same directory reuses every finished measurement, so an interrupted bisect
//! resumes where it stopped (the decisions are deterministic: seeded bootstraps).

use super::{Broken, Measure, Observation};
use crate::nightly::remeasure_args;
use crate::run::{run, RunOptions};
use crate::ui::Ui;
use crate::vm::accel::AccelChoice;
use crate::vm::qemu::Clock;
use anyhow::{bail, Context, Result};
use report::compare::{load_spec, CellData};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// The ordered Debian releases from `good` to `bad` (both `debian:<release>`, same line).
pub fn debian_candidates(good: &str, bad: &str, available: &[String]) -> Result<Vec<String>> {
    let rel = |s: &str| -> Result<String> {
        let body = s.strip_prefix("debian:").with_context(|| {
            format!(
                "`{s}`: give Debian releases as debian:<release>, e.g. debian:6.12.100+deb12-amd64"
            )
        })?;
        crate::kernel::debian::resolve(body, available).map_err(Into::into)
    };
    let (g, b) = (rel(good)?, rel(bad)?);
    let key = crate::kernel::debian::version_key;
    let line = |r: &str| -> String {
        let k = key(r);
        format!(
            "{}.{}",
            k.first().copied().unwrap_or(0),
            k.get(1).copied().unwrap_or(0)
        )
    };
    if line(&g) != line(&b) {
        bail!("{good} and {bad} are on different lines ({} and {}); bisect point releases of one line", line(&g), line(&b));
    }
    if key(&g) >= key(&b) {
        bail!("--good {good} is not older than --bad {bad}; give the older release as --good");
    }
    let mut v: Vec<&String> = available
        .iter()
        .filter(|r| crate::kernel::debian::in_line(r, &line(&g)))
        .filter(|r| key(r) >= key(&g) && key(r) <= key(&b))
        .collect();
    v.sort_by_key(|r| key(r));
    Ok(v.into_iter().map(|r| format!("debian:{r}")).collect())
}

/// How a bisect measures.
#[derive(Debug, Clone)]
pub struct RealOptions {
    pub metric: String,
    pub clock: Clock,
    pub accel: AccelChoice,
    pub dir: PathBuf,
    pub module_params: String,
}

/// Measures candidates by running them.
pub struct RealMeasure<'a> {
    pub specs: Vec<String>,
    pub opts: RealOptions,
    pub ui: &'a Ui,
    pub cancel: &'a AtomicBool,
    attempts: HashMap<usize, u32>,
    /// Every sample measured per candidate (for the effect size).
    pub samples: HashMap<usize, Vec<f64>>,
}

impl<'a> RealMeasure<'a> {
    pub fn new(specs: Vec<String>, opts: RealOptions, ui: &'a Ui, cancel: &'a AtomicBool) -> Self {
        RealMeasure {
            specs,
            opts,
            ui,
            cancel,
            attempts: HashMap::new(),
            samples: HashMap::new(),
        }
    }
}

/// Run `spec` once into `dir` (`repeats` boots), only what `metric` needs, and read the
/// metric's cell back. A run directory that already finished is read, not run again.
pub fn measure_spec(
    spec: &str,
    dir: &Path,
    repeats: u32,
    o: &RealOptions,
    ui: &Ui,
    cancel: &AtomicBool,
) -> Result<Observation, Broken> {
    let finished = results::store::load_run(dir)
        .map(|m| m.complete)
        .unwrap_or(false);
    if !finished {
        if dir.exists() {
            // An interrupted measurement: move it aside, never overwrite it.
            let aside = dir.with_extension(format!("interrupted-{}", std::process::id()));
            std::fs::rename(dir, &aside).map_err(|e| Broken(format!("{}: {e}", dir.display())))?;
        }
        let (workloads, args) = remeasure_args(&[o.metric.as_str()]);
        let summary = run(
            &RunOptions {
                kernels: vec![spec.to_string()],
                workloads,
                quick: false,
                repeat: repeats,
                accel: o.accel,
                clock: o.clock,
                memory_mib: 1024,
                cpus: None,
                jobs: Some(1),
                out: Some(dir.to_path_buf()),
                timeout_s: None,
                module_override: None,
                module_params: o.module_params.clone(),
                extra_cmdline: String::new(),
                workload_args: args,
                command_line: std::env::args().collect(),
            },
            ui,
            cancel,
        )
        .map_err(|e| Broken(format!("{e:#}")))?;
        if let Some(k) = summary.meta.kernels.first() {
            if !k.status.is_ok() {
                return Err(Broken(format!("{spec}: {:?}", k.status)));
            }
        }
    }
    let mut warnings = Vec::new();
    let mut data = load_spec(&dir.display().to_string(), false, &mut warnings)
        .map_err(|e| Broken(format!("reading {}: {e}", dir.display())))?;
    let k = data.pop().ok_or_else(|| Broken("empty run".into()))?;
    match k.cells.get(&o.metric).map(|c| &c.data) {
        Some(CellData::Numbers(v)) => Ok(Observation::Samples(v.clone())),
        Some(CellData::Observed(s)) => Ok(Observation::Behaviour(
            s.iter().cloned().collect::<Vec<_>>().join(" | "),
        )),
        Some(CellData::Skipped(why)) => Err(Broken(format!(
            "{spec} skips {}: {}",
            o.metric,
            why.iter().cloned().collect::<Vec<_>>().join("; ")
        ))),
        None => Err(Broken(format!(
            "{spec} recorded no {} (is the metric id right? `pinbench compare` lists ids)",
            o.metric
        ))),
    }
}

impl Measure for RealMeasure<'_> {
    fn measure(&mut self, i: usize, repeats: u32) -> Result<Observation, Broken> {
        let a = self.attempts.entry(i).or_insert(0);
        *a += 1;
        let dir = self.opts.dir.join(format!("c{i}-m{a}"));
        let r = measure_spec(
            &self.specs[i],
            &dir,
            repeats,
            &self.opts,
            self.ui,
            self.cancel,
        );
        if let Ok(Observation::Samples(v)) = &r {
            self.samples.entry(i).or_default().extend(v);
        }
        let line = serde_json::json!({
            "candidate": i,
            "spec": self.specs[i],
            "attempt": *a,
            "repeats": repeats,
            "run": dir.file_name().map(|n| n.to_string_lossy().into_owned()),
            "samples": match &r { Ok(Observation::Samples(v)) => v.len(), _ => 0 },
            "behaviour": match &r { Ok(Observation::Behaviour(b)) => Some(b.clone()), _ => None },
            "broken": r.as_ref().err().map(|b| b.0.clone()),
            "time": chrono::Utc::now().to_rfc3339(),
        });
        let log = self.opts.dir.join("log.jsonl");
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| {
                use std::io::Write;
                writeln!(f, "{line}")
            });
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_candidates_are_the_releases_between_in_order() {
        let avail: Vec<String> = [
            "6.1.0-47-amd64",
            "6.12.100+deb12-amd64",
            "6.12.117+deb12-amd64",
            "6.12.101+deb12-amd64",
            "6.12.113+deb12-amd64",
        ]
        .map(String::from)
        .to_vec();
        let c = debian_candidates(
            "debian:6.12.100+deb12-amd64",
            "debian:6.12.113+deb12",
            &avail,
        )
        .unwrap();
        assert_eq!(
            c,
            [
                "debian:6.12.100+deb12-amd64",
                "debian:6.12.101+deb12-amd64",
                "debian:6.12.113+deb12-amd64"
            ]
        );
        let e = debian_candidates(
            "debian:6.12.117+deb12-amd64",
            "debian:6.12.100+deb12-amd64",
            &avail,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not older"), "{e}");
        let e = debian_candidates(
            "debian:6.1.0-47-amd64",
            "debian:6.12.100+deb12-amd64",
            &avail,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("different lines"), "{e}");
        assert!(debian_candidates("local:/x", "debian:6.12.100+deb12-amd64", &avail).is_err());
    }
}
