//! Calibration of `pinbench compare`'s verdicts on real VMs, written into
//! docs/calibration.md.
//!
//! - **A/A**: one kernel booted `2 × pairs × boots-per-side` times (`pinbench run
//!   --repeat`); each pair takes the next `2 × boots-per-side` boots and compares the
//!   even-numbered with the odd-numbered ones, as `pinbench run` interleaves the boots of
//!   two kernels (A1 B1 A2 B2 ...; `--sides blocks` compares consecutive blocks instead, as
//!   two separate runs would be). By default as many boots a side as `pinbench compare`
//!   needs for a verdict on that clock: 3 for wall, 1 for icount. Every regressed or
//!   improved verdict is a false positive; the target is none, for the wall clock and for
//!   icount.
//! - **Sensitivity**: the module's `inject_ns` busy delay, inside the timed region of every
//!   pin call, sized from the A/A boots to `target` (5% for wall, 1% for icount) of the
//!   median per-call time of the *largest* pin in the matrix. The delay is added once per
//!   call, so smaller pins slow down by more; it also carries the spin's own fixed cost (two
//!   clock reads: measured ~90 instructions under icount, which is 12% of a single-page pin,
//!   so 1% is only reachable on a large pin). `--sens-repeat` boots without and with the
//!   delay, interleaved (one boot each, in turn: the module parameter is per run), pooled
//!   per side and compared. A metric is *affected* when the delay is
//!   expected to move it by more than the noise band (pin time per call or per page, first
//!   and cold pins: at least `inject / median per call`), *unaffected* when expected below
//!   half the band (unpin time, which the delay is outside of); in between is not scored,
//!   and neither are the first and cold pins (one value per boot, faults included: five
//!   boots cannot resolve a few-percent shift of them).
//!   Target: every affected metric regressed, no unaffected one regressed or improved.
//!
//! The workload is narrowed to keep VM time small: `pin-latency --kinds anon-rw --apis
//! pin-fast --sizes 1,512` (5 pin modes × 2 sizes), plus 8192-page pins under icount (the
//! pin on which the 1% delay is sized).
//!
//! `cargo bench -p harness --bench calibrate -- [--pairs 10] [--boots-per-side N] [--sens-repeat 5]
//! [--sides alternate|blocks] [--clocks wall,icount] [--kernel debian:6.12] [--doc docs/calibration.md]`
//! (not run by a plain `cargo bench`: it boots about 50 VMs). Exit code 1 when a target is
//! missed; the document is written either way.

use anyhow::{bail, Context};
use report::compare::{compare, CompareOptions, KernelData, Verdict};
use results::protocol::GuestEvent;
use results::store;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The narrowed workload of each clock (see the module docs for the 8192-page pins).
fn workload_args(clock: &str) -> &'static str {
    if clock == "icount" {
        "pin-latency=--kinds anon-rw --apis pin-fast --sizes 1,512,8192"
    } else {
        "pin-latency=--kinds anon-rw --apis pin-fast --sizes 1,512"
    }
}
/// Metric families whose timed region holds the injected delay.
const PIN_FAMILIES: [&str; 4] = ["ns_per_call", "ns_per_page", "first_pin_ns", "cold_ns"];
/// Of those, the ones with one value per boot (the first and the cold pin, faults
/// included): with a handful of boots they cannot resolve a few-percent shift, so they are
/// reported but not scored.
const ONE_PER_BOOT: [&str; 2] = ["first_pin_ns", "cold_ns"];

struct Args {
    pairs: usize,
    /// Boots on each side of an A/A pair; `None`: what `pinbench compare` needs for a
    /// verdict on that clock (3 for wall, 1 for icount).
    boots_per_side: Option<usize>,
    sens_repeat: usize,
    /// A/A sides: alternate boots (true, as interleaved runs) or consecutive blocks.
    alternate: bool,
    clocks: Vec<String>,
    kernel: String,
    doc: PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        pairs: 10,
        boots_per_side: None,
        sens_repeat: 5,
        alternate: true,
        clocks: vec!["wall".into(), "icount".into()],
        kernel: "debian:6.12".into(),
        doc: harness::workspace_root().join("docs/calibration.md"),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = || v.get(i + 1).cloned().context("option needs a value");
        match v[i].as_str() {
            "--pairs" => a.pairs = val()?.parse()?,
            "--boots-per-side" => a.boots_per_side = Some(val()?.parse()?),
            "--sides" => {
                a.alternate = match val()?.as_str() {
                    "alternate" => true,
                    "blocks" => false,
                    other => bail!("--sides {other}: give alternate or blocks"),
                }
            }
            "--sens-repeat" => a.sens_repeat = val()?.parse()?,
            "--clocks" => a.clocks = val()?.split(',').map(str::to_string).collect(),
            "--kernel" => a.kernel = val()?,
            "--doc" => a.doc = val()?.into(),
            "--bench" => {
                i += 1;
                continue;
            }
            other => {
                bail!("unknown option {other}; see the header of harness/benches/calibrate.rs")
            }
        }
        i += 2;
    }
    if a.boots_per_side == Some(0) {
        bail!("--boots-per-side must be at least 1");
    }
    if a.sens_repeat > 2 * a.pairs {
        bail!("--sens-repeat must not exceed 2 × --pairs (the A/A boots are its baseline)");
    }
    Ok(a)
}

/// `pinbench run`, timed.
fn run(args: &[&str]) -> anyhow::Result<f64> {
    let t = Instant::now();
    eprintln!("calibrate: pinbench {}", args.join(" "));
    let st = Command::new(env!("CARGO_BIN_EXE_pinbench"))
        .args(args)
        .status()
        .context("starting pinbench")?;
    if !st.success() {
        bail!("pinbench {} failed: {st}", args.join(" "));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// `pinbench run` of the calibration kernel and workload: `repeat` boots, module
/// parameters `params`, into `out`.
fn run_kernel(
    a: &Args,
    clock: &str,
    repeat: &str,
    params: &str,
    out: &Path,
) -> anyhow::Result<f64> {
    run(&[
        "run",
        "--kernel",
        &a.kernel,
        "--workload",
        "pin-latency",
        "--workload-args",
        workload_args(clock),
        "--clock",
        clock,
        "--repeat",
        repeat,
        "--module-params",
        params,
        "--out",
        out.to_str().context("a UTF-8 path")?,
    ])
}

/// A run's kernel and the events of each of its boots.
fn boots(dir: &Path) -> anyhow::Result<(results::RunMeta, Vec<Vec<GuestEvent>>)> {
    let meta = store::load_run(dir)?;
    let k = meta.kernels.first().context("run has no kernel")?;
    let mut out = Vec::new();
    for b in &k.boots {
        out.push(store::load_results(&dir.join(&b.results))?.events);
    }
    Ok((meta, out))
}

fn kernel(dir: &Path, meta: &results::RunMeta, boots: &[Vec<GuestEvent>]) -> KernelData {
    KernelData::from_events(dir, meta, meta.kernels[0].clone(), boots)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct ClockResult {
    ok: bool,
    text: String,
}

fn calibrate(a: &Args, clock: &str, out: &Path) -> anyhow::Result<ClockResult> {
    let opts = CompareOptions::default();
    let band = report::compare::default_noise_band(clock);
    let target = if clock == "icount" { 0.01 } else { 0.05 };
    let mut t = String::new();
    let mut ok = true;

    // A/A.
    let aa = out.join(format!("{clock}-aa"));
    let bps = a
        .boots_per_side
        .unwrap_or_else(|| report::compare::default_min_boots(clock));
    let n_boots = (2 * a.pairs * bps).to_string();
    let aa_secs = run_kernel(a, clock, &n_boots, "", &aa)?;
    let (meta, events) = boots(&aa)?;
    if events.len() < 2 * a.pairs * bps {
        bail!(
            "{}: {} boots, expected {}",
            aa.display(),
            events.len(),
            2 * a.pairs * bps
        );
    }
    let _ = writeln!(
        t,
        "### Clock `{clock}` (noise band ±{}, alpha {})\n\nKernel {} ({}), accel {}, QEMU {}, \
         host CPU {} ({} cores, shared with other work).\n",
        report::table::pct(band),
        opts.alpha,
        meta.kernels[0].name,
        meta.kernels[0].release,
        meta.accel,
        meta.host.qemu_version,
        meta.host.cpu_model,
        meta.host.cpus
    );
    let _ = writeln!(
        t,
        "**A/A**: {} boots in {aa_secs:.0} s; each pair compares {bps} boot(s) with {bps} ({}).\n\n\
         | pair | regressed | improved | unchanged | inconclusive | largest \\|ratio − 1\\| |\n\
         |---:|---:|---:|---:|---:|---:|",
        events.len(),
        if a.alternate {
            "alternate boots of the pair's block, as interleaved kernels"
        } else {
            "consecutive blocks"
        }
    );
    let (mut false_pos, mut tested) = (0, 0);
    for p in 0..a.pairs {
        let block = &events[2 * p * bps..(2 * p + 2) * bps];
        let (xs, ys): (Vec<_>, Vec<_>) = if a.alternate {
            let (x, y): (Vec<_>, Vec<_>) = block.iter().enumerate().partition(|(i, _)| i % 2 == 0);
            (
                x.into_iter().map(|(_, e)| e.clone()).collect(),
                y.into_iter().map(|(_, e)| e.clone()).collect(),
            )
        } else {
            (block[..bps].to_vec(), block[bps..].to_vec())
        };
        let x = kernel(&aa, &meta, &xs);
        let y = kernel(&aa, &meta, &ys);
        let c = compare(x, vec![y], &opts)?;
        let n = c.counts(0);
        let worst = c
            .rows
            .iter()
            .filter_map(|r| r.results[0].as_ref()?.ratio)
            .map(|r| (r - 1.0).abs())
            .fold(0.0, f64::max);
        false_pos += n.regressed + n.improved;
        tested += n.regressed + n.improved + n.unchanged + n.inconclusive;
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {:.2}% |",
            p + 1,
            n.regressed,
            n.improved,
            n.unchanged,
            n.inconclusive,
            worst * 100.0
        );
    }
    let aa_ok = false_pos == 0;
    ok &= aa_ok;
    let _ = writeln!(
        t,
        "\nA/A result: **{false_pos} regressed/improved verdicts out of {tested}** metric \
         comparisons (target 0): {}.\n",
        if aa_ok { "met" } else { "MISSED" }
    );

    // Sensitivity: the delay sized from the A/A boots' largest pins.
    let sized_from = kernel(&aa, &meta, &events[..a.sens_repeat]);
    let pages_of = |c: &report::compare::Cell| -> u64 {
        c.params
            .get("pages")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    };
    let per_call_cells = || {
        sized_from
            .cells
            .values()
            .filter(|c| c.metric == "pin-latency.ns_per_call" && !c.values.is_empty())
    };
    let largest = per_call_cells()
        .map(pages_of)
        .max()
        .context("no ns_per_call cells")?;
    let reference: Vec<f64> = per_call_cells()
        .filter(|c| pages_of(c) == largest)
        .map(|c| median(&c.values))
        .collect();
    let per_call = median(&reference);
    let inject = (per_call * target).round().max(1.0) as u64;
    let sens = out.join(format!("{clock}-sensitivity"));
    let params = format!("inject_ns={inject}");
    // One boot without and one with the delay, in turn.
    let mut sides: [Vec<Vec<GuestEvent>>; 2] = [Vec::new(), Vec::new()];
    let mut metas = Vec::new();
    let t0 = Instant::now();
    for i in 0..a.sens_repeat {
        for (side, p) in [("base", ""), ("inject", params.as_str())]
            .into_iter()
            .enumerate()
        {
            let dir = sens.join(format!("{}-{i}", p.0));
            run_kernel(a, clock, "1", p.1, &dir)?;
            let (m, ev) = boots(&dir)?;
            sides[side].extend(ev);
            metas.push((dir, m));
        }
    }
    let sens_secs = t0.elapsed().as_secs_f64();
    let (d0, m0) = &metas[0];
    let base = kernel(d0, m0, &sides[0]);
    let injected = kernel(d0, m0, &sides[1]);
    let c = compare(base, vec![injected], &opts)?;
    let _ = writeln!(
        t,
        "**Sensitivity**: median {largest}-page pin {per_call:.0} ns per call → \
         `inject_ns={inject}` ({:.1}% of it); {} boots without and {} with the delay, \
         interleaved, in {sens_s:.0} s.\n\n\
         | metric | expected change | measured ratio [95% CI] | verdict | class | as targeted |\n\
         |---|---:|---:|---|---|---|",
        inject as f64 / per_call * 100.0,
        sides[0].len(),
        sides[1].len(),
        sens_s = sens_secs
    );
    let (mut hit, mut affected, mut wrong, mut unaffected) = (0, 0, 0, 0);
    for r in &c.rows {
        let Some(m) = r.results[0].as_ref() else {
            continue;
        };
        let family = r.metric.rsplit('.').next().unwrap_or("");
        // The delay is added once per call: relative to the per-call time (ns_per_page is
        // per-call time / pages, so the relative change is the same).
        let expected = if PIN_FAMILIES.contains(&family) {
            let pages: f64 = c.baseline.cells[&r.id]
                .params
                .get("pages")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1.0);
            let per_call_median = if family == "ns_per_page" {
                m.baseline.median * pages
            } else {
                m.baseline.median
            };
            inject as f64 / per_call_median
        } else {
            0.0
        };
        let class = if ONE_PER_BOOT.contains(&family) && expected > 0.0 {
            ("one value per boot (not scored)", true)
        } else if expected > band {
            affected += 1;
            if m.verdict == Verdict::Regressed {
                hit += 1;
                ("affected", true)
            } else {
                ("affected", false)
            }
        } else if expected < band / 2.0 {
            unaffected += 1;
            let fine = !matches!(m.verdict, Verdict::Regressed | Verdict::Improved);
            if !fine {
                wrong += 1;
            }
            ("unaffected", fine)
        } else {
            ("marginal (not scored)", true)
        };
        let ci = match (m.ci_low, m.ci_high) {
            (Some(l), Some(h)) => format!("[{l:.4}, {h:.4}]"),
            _ => "n/a".into(),
        };
        let _ = writeln!(
            t,
            "| `{}` | +{:.2}% | {} {ci} | {:?} | {} | {} |",
            r.id.trim_start_matches("pin-latency/"),
            expected * 100.0,
            m.ratio
                .map(|x| format!("{x:.4}"))
                .unwrap_or_else(|| "n/a".into()),
            m.verdict,
            class.0,
            if class.1 { "yes" } else { "**no**" }
        );
    }
    let sens_ok = hit == affected && wrong == 0;
    ok &= sens_ok;
    let _ = writeln!(
        t,
        "\nSensitivity result: **{hit} of {affected} affected metrics regressed; {wrong} of \
         {unaffected} unaffected metrics got a regressed/improved verdict** (target: all, and \
         0): {}.\n\nRun directories: `{}`, `{}`.\n",
        if sens_ok { "met" } else { "MISSED" },
        aa.display(),
        sens.display()
    );
    Ok(ClockResult { ok, text: t })
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let a = args()?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let out = harness::workspace_root()
        .join("target/calibration")
        .join(&stamp);
    std::fs::create_dir_all(&out)?;
    let started = Instant::now();
    let mut doc = String::new();
    let _ = writeln!(
        doc,
        "# Calibration of `pinbench compare`\n\n\
         Written by `cargo bench -p harness --bench calibrate -- --pairs {} --sens-repeat {} \
         --clocks {} --kernel {}` on {} (UTC). Method: see the header of \
         [harness/benches/calibrate.rs](../harness/benches/calibrate.rs). Workload \
         `{}` (icount: sizes `1,512,8192`); verdicts with the defaults of `pinbench compare` (95% bootstrap \
         interval of the ratio of medians outside the noise band and Benjamini-Hochberg \
         adjusted p < 0.01).\n",
        a.pairs,
        a.sens_repeat,
        a.clocks.join(","),
        a.kernel,
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        workload_args("wall"),
    );
    let mut all_ok = true;
    for clock in &a.clocks {
        let r = calibrate(&a, clock, &out)?;
        all_ok &= r.ok;
        doc.push_str(&r.text);
        // Keep what is done even if a later clock fails.
        store::write_atomic(&a.doc, doc.as_bytes())?;
    }
    let _ = writeln!(
        doc,
        "Total time {:.0} s. Overall: {}.",
        started.elapsed().as_secs_f64(),
        if all_ok {
            "every target met"
        } else {
            "a target was MISSED (see above)"
        }
    );
    store::write_atomic(&a.doc, doc.as_bytes())?;
    println!("{doc}");
    println!("written to {}", a.doc.display());
    std::process::exit(if all_ok { 0 } else { 1 });
}
