//! `pinbench bisect` over Debian point releases, a spec's patch series (`--series`) or a git
//! range (`--git`) (exit 0 culprit found, 1 no single culprit: no difference, inconclusive
//! or hidden by broken candidates, 2 bad arguments, 3 an endpoint could not be measured),
//! writing result.txt, result.json and result.html; and `pinbench check` (for
//! `git bisect run`: 0 good, 1 bad, 125 skip, 128 stop on a setup error).

use crate::bisect::real::{
    debian_candidates, git_candidates, measure_spec, series_candidates, RealMeasure, RealOptions,
};
use crate::bisect::{bisect, differs, Candidate, Observation, Options, Outcome, ResultView};
use crate::cli::{BisectArgs, CheckArgs};
use crate::{exit, UsageError};
use anyhow::Context;
use report::compare::default_noise_band;
use report::stats::{ratio_ci, Sample};

fn band(pct: Option<f64>, clock: crate::vm::qemu::Clock) -> f64 {
    pct.map(|p| p / 100.0)
        .unwrap_or_else(|| default_noise_band(clock.as_str()))
}

/// The text of a result.
pub fn render(v: &ResultView) -> String {
    let c = v.candidates;
    let (first, last) = (&c[0], &c[c.len() - 1]);
    let mut s = format!(
        "pinbench bisect {}\n{}: {} candidates, good {} .. bad {}\n\nsteps:\n",
        v.metric,
        v.what,
        c.len(),
        first.label,
        last.label
    );
    let width = c
        .iter()
        .map(|x| x.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for (n, st) in v.result.steps.iter().enumerate() {
        let what = match (&st.broken, st.class) {
            (Some(b), _) => format!("broken: {b}"),
            (None, Some(cl)) => format!("{cl:?}").to_lowercase(),
            (None, None) if st.candidate == 0 || st.candidate == c.len() - 1 => "endpoint".into(),
            (None, None) => "measured".into(),
        };
        s.push_str(&format!(
            "  {:>3}. {:<width$} {:>2} boot(s)  {what}\n",
            n + 1,
            c[st.candidate].label,
            st.repeats
        ));
    }
    s.push('\n');
    let name = |i: usize| -> String {
        if c[i].spec == c[i].label {
            c[i].label.clone()
        } else {
            format!("{}  ({})", c[i].label, c[i].spec)
        }
    };
    match &v.result.outcome {
        Outcome::Found { last_good, culprit } => {
            s.push_str(&format!(
                "first bad: {}\nlast good: {}\n",
                name(*culprit),
                name(*last_good)
            ));
            if let Some((ratio, lo, hi)) = v.effect {
                s.push_str(&format!(
                    "effect: median x{ratio:.4} ({:+.2}%), 95% CI [{lo:.4}, {hi:.4}] (culprit vs good endpoint)\n",
                    (ratio - 1.0) * 100.0
                ));
            }
        }
        Outcome::BrokenRange { last_good, first_bad, broken } => s.push_str(&format!(
            "no single culprit: the change is after {} and at or before {}, but {} could not be measured (broken), so any of them may be the culprit\n",
            c[*last_good].label,
            c[*first_bad].label,
            broken.iter().map(|b| c[*b].label.as_str()).collect::<Vec<_>>().join(", ")
        )),
        Outcome::Inconclusive { last_good, first_bad, why, .. } => s.push_str(&format!(
            "inconclusive: {why}; the change is after {} and at or before {} (re-run with more --max-repeat, or --clock icount)\n",
            c[*last_good].label, c[*first_bad].label
        )),
        Outcome::NoDifference { why } => s.push_str(&format!("nothing to bisect: {why}\n")),
        Outcome::EndpointBroken { endpoint, why } => s.push_str(&format!(
            "endpoint {} could not be measured: {why}\n",
            c[*endpoint].label
        )),
    }
    s
}

/// The candidates the arguments name, and what they are.
fn candidates(a: &BisectArgs, dir: &std::path::Path) -> anyhow::Result<(String, Vec<Candidate>)> {
    let usage = |e: anyhow::Error| -> anyhow::Error { UsageError(format!("{e:#}")).into() };
    let load = |name: &str| -> anyhow::Result<crate::kernel::spec::Spec> {
        match crate::kernel::KernelSpec::parse(name).map_err(anyhow::Error::from)? {
            crate::kernel::KernelSpec::Named(n) => {
                Ok(crate::kernel::spec::load_named(&n, &crate::kernel::spec::specs_dir())?)
            }
            crate::kernel::KernelSpec::File(p) => Ok(crate::kernel::spec::load(&p)?),
            _ => anyhow::bail!(
                "`{name}` is not a kernel spec file: give a spec NAME from kernels/ or a FILE.toml (docs/kernels.md)"
            ),
        }
    };
    if let Some(series) = &a.series {
        let spec = load(series).map_err(usage)?;
        let c = series_candidates(&spec, dir).map_err(usage)?;
        return Ok((format!("patch series of {}", spec.path.display()), c));
    }
    let (good, bad) = (
        a.good.as_deref().unwrap_or_default(),
        a.bad.as_deref().unwrap_or_default(),
    );
    if let Some(repo) = &a.git {
        let spec = load(&a.spec).map_err(usage)?;
        let c = git_candidates(repo, good, bad, &spec, dir).map_err(usage)?;
        return Ok((
            format!(
                "git range {good}..{bad} of {} (config of {})",
                repo.display(),
                spec.name
            ),
            c,
        ));
    }
    let available = crate::kernel::debian::available_releases()?;
    let specs = debian_candidates(good, bad, &available).map_err(usage)?;
    Ok((
        "Debian point releases".to_string(),
        specs
            .into_iter()
            .map(|s| Candidate {
                label: s.clone(),
                spec: s,
            })
            .collect(),
    ))
}

pub fn main(a: BisectArgs) -> anyhow::Result<i32> {
    let dir = a.dir.clone().unwrap_or_else(|| {
        crate::run::results_store().join(format!(
            "bisect-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ))
    });
    let existed = dir.exists();
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the bisect directory {}", dir.display()))?;
    let (what, cands) = match candidates(&a, &dir) {
        Ok(x) => x,
        Err(e) => {
            if !existed {
                // Nothing was bisected: leave no empty directory behind.
                let _ = std::fs::remove_dir(dir.join("specs"));
                let _ = std::fs::remove_dir(&dir);
            }
            return Err(e);
        }
    };
    if cands.len() < 2 {
        return Err(UsageError("a bisect needs at least a good and a bad candidate".into()).into());
    }
    // The candidate list is part of the log; a resumed bisect must bisect the same list, on
    // the same clock (a log written before the clock was recorded has none: not checked).
    let cand_path = dir.join("candidates.json");
    let clock = a.clock.as_str();
    let want = serde_json::json!({ "metric": a.metric, "what": what, "candidates": cands, "clock": clock });
    match std::fs::read(&cand_path) {
        Ok(b) => {
            let mut have: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
            match have.get("clock").and_then(|c| c.as_str()) {
                Some(c) if c != clock => {
                    return Err(UsageError(format!(
                        "{} holds a bisect measured with --clock {c}, not {clock}; \
                         resume it with --clock {c}, or use a new --dir",
                        dir.display()
                    ))
                    .into())
                }
                Some(_) => {}
                None => {
                    if let Some(o) = have.as_object_mut() {
                        o.insert("clock".into(), clock.into());
                    }
                }
            }
            if have != want {
                return Err(UsageError(format!(
                    "{} holds another bisect ({}); use a new --dir",
                    dir.display(),
                    cand_path.display()
                ))
                .into());
            }
        }
        Err(_) => results::store::write_json_atomic(&cand_path, &want)?,
    }
    let ui = crate::ui::Ui::new();
    let cancel = crate::cmd::run::install_interrupt_flag();
    let opts = Options {
        noise_band: band(a.noise_band, a.clock),
        first_repeats: a.repeat,
        max_repeats: a.max_repeat.max(a.repeat),
        ..Options::default()
    };
    let mut m = RealMeasure::new(
        cands.clone(),
        RealOptions {
            metric: a.metric.clone(),
            clock: a.clock,
            accel: a.accel,
            dir: dir.clone(),
            module_params: a.module_params.clone(),
        },
        &ui,
        &cancel,
    );
    let r = bisect(cands.len(), &mut m, &opts);
    ui.finish();
    let effect = match &r.outcome {
        Outcome::Found { culprit, .. } => match (m.samples.get(&0), m.samples.get(culprit)) {
            (Some(g), Some(c)) => Sample::new(g)
                .ok()
                .zip(Sample::new(c).ok())
                .and_then(|(g, c)| ratio_ci(&g, &c, &opts.bootstrap))
                .map(|ci| (ci.ratio, ci.low, ci.high)),
            _ => None,
        },
        _ => None,
    };
    let mut view = ResultView {
        metric: &a.metric,
        what: &what,
        candidates: &cands,
        result: &r,
        effect,
        samples: &m.samples,
        behaviour: &m.behaviour,
        text: "",
    };
    let text = render(&view);
    view.text = &text;
    let culprit = match &r.outcome {
        Outcome::Found { culprit, .. } => Some(&cands[*culprit]),
        _ => None,
    };
    results::store::write_json_atomic(
        &dir.join("result.json"),
        &serde_json::json!({
            "metric": a.metric, "what": what, "candidates": cands, "result": r,
            "culprit": culprit,
            "effect": effect.map(|(ratio, low, high)| serde_json::json!({"ratio": ratio, "ci_low": low, "ci_high": high})),
        }),
    )?;
    results::store::write_atomic(&dir.join("result.txt"), text.as_bytes())?;
    results::store::write_atomic(
        &dir.join("result.html"),
        crate::bisect::html::render(&view).as_bytes(),
    )?;
    print!("{text}");
    println!(
        "bisect directory: {} (log.jsonl, result.txt, result.json, result.html)",
        dir.display()
    );
    Ok(match r.outcome {
        Outcome::Found { .. } => exit::OK,
        Outcome::EndpointBroken { .. } => exit::INFRA,
        _ => exit::REGRESSION,
    })
}

/// `git bisect run` codes.
const GOOD: i32 = 0;
const BAD: i32 = 1;
const SKIP: i32 = 125;
/// Above 127: `git bisect run` stops instead of marking the commit (a setup error that every
/// commit would meet).
const ABORT: i32 = 128;

pub fn check(a: CheckArgs) -> anyhow::Result<i32> {
    let mut warnings = Vec::new();
    let good = match report::compare::load_spec(&a.good_run, false, &mut warnings) {
        Ok(mut v) => v.remove(0),
        Err(e) => {
            eprintln!("check: --good-run: {e} (exit {ABORT}: `git bisect run` stops)");
            return Ok(ABORT);
        }
    };
    let good_clock = good.meta.clock.as_str();
    let clock = match a.clock {
        None => match <crate::vm::qemu::Clock as clap::ValueEnum>::from_str(good_clock, false) {
            Ok(c) => c,
            Err(_) => {
                eprintln!(
                    "check: the good run {} has clock {good_clock:?}, which this pinbench does not know (exit {ABORT})",
                    a.good_run
                );
                return Ok(ABORT);
            }
        },
        Some(c) if c.as_str() != good_clock => {
            eprintln!(
                "check: --clock {} but the good run {} was measured with the {good_clock} clock; \
                 numbers of different clocks are never compared: drop --clock, or measure the \
                 good run again with --clock {} (exit {ABORT}: `git bisect run` stops)",
                c.as_str(),
                a.good_run,
                c.as_str()
            );
            return Ok(ABORT);
        }
        Some(c) => c,
    };
    let good_obs = match good.cells.get(&a.metric).map(|c| &c.data) {
        Some(report::compare::CellData::Numbers(v)) => Observation::Samples(v.clone()),
        Some(report::compare::CellData::Observed(s)) => {
            Observation::Behaviour(s.iter().cloned().collect::<Vec<_>>().join(" | "))
        }
        _ => {
            eprintln!("check: the good run has no value for {}", a.metric);
            return Ok(SKIP);
        }
    };
    let dir = a.dir.clone().unwrap_or_else(|| {
        crate::run::results_store().join(format!(
            "check-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        ))
    });
    let ui = crate::ui::Ui::new();
    let cancel = crate::cmd::run::install_interrupt_flag();
    let o = RealOptions {
        metric: a.metric.clone(),
        clock,
        accel: crate::vm::accel::AccelChoice::Auto,
        dir: dir.clone(),
        module_params: String::new(),
    };
    let obs = match measure_spec(&a.kernel, &dir, a.repeat, &o, &ui, &cancel) {
        Ok(x) => x,
        Err(b) => {
            eprintln!("check: skip: {}", b.0);
            return Ok(SKIP);
        }
    };
    ui.finish();
    let opts = Options {
        noise_band: band(a.noise_band, clock),
        ..Options::default()
    };
    let code = match (&good_obs, &obs) {
        (Observation::Samples(g), Observation::Samples(c)) => match differs(g, c, &opts) {
            Some(true) => BAD,
            Some(false) => GOOD,
            None => SKIP,
        },
        (Observation::Behaviour(g), Observation::Behaviour(c)) => {
            if g == c {
                GOOD
            } else {
                BAD
            }
        }
        _ => SKIP,
    };
    println!(
        "check {}: {} ({})",
        a.metric,
        match code {
            GOOD => "good",
            BAD => "bad",
            _ => "skip (not clearly either; more --repeat may decide)",
        },
        dir.display()
    );
    Ok(code)
}
