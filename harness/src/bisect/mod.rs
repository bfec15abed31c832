//! Bisecting: find the first candidate, in an ordered list from a good kernel to a bad one,
//! at which a metric changed.
//!
//! The decision follows Chromium's Pinpoint (catapult `dashboard/pinpoint/models/compare`):
//! a candidate is measured, then compared with both endpoints' pooled samples. Different
//! from good and the same as bad: bad. The same as good and different from bad: good.
//! Anything else is unsure, and the candidate (and, if their samples are thin, the
//! endpoints) is measured again with twice the repeats, up to a cap; still unsure, the
//! bisect stops and reports the range it narrowed down to as inconclusive. "Different" is
//! the comparison's own rule ([`report::compare::decide`]): the bootstrap CI of the ratio of
//! medians outside the noise band and the two-test p below alpha; "same" is a CI inside the
//! band. A behaviour metric (an outcome or a verdict) is decided exactly: equal to good's
//! observation, or to bad's, or neither (then the bisect stops: a third behaviour).
//!
//! A candidate that fails to build or boot is skipped and its nearest untested neighbour
//! inside the range tried instead; when every candidate between the last good and the
//! first bad is broken, the result says so rather than blaming the first bad one.
//!
//! The search itself ([`bisect`]) knows nothing of kernels: it asks a [`Measure`] for
//! samples of candidate `i`, so its decisions are unit-tested with a mock.

pub mod html;
pub mod real;

use report::compare::{decide, Direction, Verdict};
use report::stats::{ratio_ci, two_test_p, BootstrapConfig, Sample};
use serde::Serialize;

/// What one measurement of one candidate gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Observation {
    /// Samples of a speed metric.
    Samples(Vec<f64>),
    /// A behaviour metric's value (outcome, verdict, count), compared exactly.
    Behaviour(String),
}

/// Why a candidate could not be measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Broken(pub String);

/// Something that measures candidates (builds and boots kernels for real; a mock in tests).
pub trait Measure {
    /// Measure candidate `i` with `repeats` boots.
    fn measure(&mut self, i: usize, repeats: u32) -> Result<Observation, Broken>;
}

/// Tuning, with the comparison's defaults.
#[derive(Debug, Clone)]
pub struct Options {
    pub noise_band: f64,
    pub alpha: f64,
    pub direction: Direction,
    pub first_repeats: u32,
    /// Most boots any one candidate gets before it is declared unsure for good.
    pub max_repeats: u32,
    pub bootstrap: BootstrapConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            noise_band: 0.02,
            alpha: 0.01,
            direction: Direction::LowerIsBetter,
            first_repeats: 2,
            max_repeats: 8,
            bootstrap: BootstrapConfig {
                resamples: 1000,
                ..BootstrapConfig::default()
            },
        }
    }
}

/// A candidate's class against the endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Good,
    Bad,
    Unsure,
    /// A behaviour neither endpoint shows.
    Other,
}

/// Is `b` different from `a` (Some(true)), the same (Some(false)), or unsure (None)?
pub fn differs(a: &[f64], b: &[f64], o: &Options) -> Option<bool> {
    let (sa, sb) = (Sample::new(a).ok()?, Sample::new(b).ok()?);
    let ci = ratio_ci(&sa, &sb, &o.bootstrap)?;
    let p = two_test_p(&sa, &sb).p;
    match decide(ci.low, ci.high, p, o.noise_band, o.alpha, o.direction) {
        Verdict::Regressed | Verdict::Improved => Some(true),
        Verdict::Unchanged => Some(false),
        Verdict::Inconclusive => None,
    }
}

/// Classify a candidate against the good and bad endpoints.
pub fn classify(good: &Observation, bad: &Observation, cand: &Observation, o: &Options) -> Class {
    match (good, bad, cand) {
        (Observation::Samples(g), Observation::Samples(b), Observation::Samples(c)) => {
            match (differs(g, c, o), differs(b, c, o)) {
                (Some(true), Some(false)) => Class::Bad,
                (Some(false), Some(true)) => Class::Good,
                _ => Class::Unsure,
            }
        }
        (Observation::Behaviour(g), Observation::Behaviour(b), Observation::Behaviour(c)) => {
            if c == g {
                Class::Good
            } else if c == b {
                Class::Bad
            } else {
                Class::Other
            }
        }
        _ => Class::Other,
    }
}

/// One step of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub candidate: usize,
    pub repeats: u32,
    pub class: Option<Class>,
    /// Set when the candidate could not be measured.
    pub broken: Option<String>,
}

/// How a bisect ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// `culprit` is the first bad candidate; `last_good` the one before it that was good.
    Found { last_good: usize, culprit: usize },
    /// The change lies after `last_good` and at or before `first_bad`, but every candidate
    /// between them is broken (listed): the culprit is one of them or `first_bad`.
    BrokenRange {
        last_good: usize,
        first_bad: usize,
        broken: Vec<usize>,
    },
    /// A candidate stayed unsure at the repeat cap (or showed a third behaviour): the change
    /// is somewhere in `(last_good, first_bad]`.
    Inconclusive {
        last_good: usize,
        first_bad: usize,
        at: usize,
        why: String,
    },
    /// Good and bad do not differ on the metric: nothing to bisect.
    NoDifference { why: String },
    /// An endpoint could not be measured.
    EndpointBroken { endpoint: usize, why: String },
}

/// The result: outcome and every step taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BisectResult {
    pub outcome: Outcome,
    pub steps: Vec<Step>,
}

/// One candidate as a result names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The kernel spec a run takes (`debian:<release>`, a generated spec FILE.toml).
    pub spec: String,
    /// What a reader calls it: the release, `+ 0003-mm-slow.patch` (the last patch of a
    /// series prefix), `1a2b3c4d5e6f mm/gup: subject` (a commit).
    pub label: String,
}

/// Everything a bisect's result page shows (text and HTML are made from it).
#[derive(Debug, Clone)]
pub struct ResultView<'a> {
    pub metric: &'a str,
    /// What was bisected: "Debian point releases", "patch series kernels/x.toml",
    /// "git range v1..v2 in /src/linux".
    pub what: &'a str,
    pub candidates: &'a [Candidate],
    pub result: &'a BisectResult,
    /// Culprit against the good endpoint: (ratio of medians, CI low, CI high).
    pub effect: Option<(f64, f64, f64)>,
    /// Every sample measured per candidate index (speed metrics).
    pub samples: &'a std::collections::BTreeMap<usize, Vec<f64>>,
    /// The observed behaviour per candidate index (behaviour metrics).
    pub behaviour: &'a std::collections::BTreeMap<usize, String>,
    /// The text result (result.txt), shown in the page too.
    pub text: &'a str,
}

/// Bisect candidates `0..n` (0 is known good, n-1 known bad) on one metric.
pub fn bisect(n: usize, m: &mut dyn Measure, o: &Options) -> BisectResult {
    assert!(n >= 2, "a bisect needs a good and a bad candidate");
    let mut steps = Vec::new();
    let mut measure = |i: usize, r: u32, steps: &mut Vec<Step>| -> Result<Observation, Broken> {
        let res = m.measure(i, r);
        steps.push(Step {
            candidate: i,
            repeats: r,
            class: None,
            broken: res.as_ref().err().map(|b| b.0.clone()),
        });
        res
    };
    let mut repeats = o.first_repeats.max(1);
    let (mut good, mut bad) = loop {
        let g = match measure(0, repeats, &mut steps) {
            Ok(g) => g,
            Err(b) => {
                return BisectResult {
                    outcome: Outcome::EndpointBroken {
                        endpoint: 0,
                        why: b.0,
                    },
                    steps,
                }
            }
        };
        let b = match measure(n - 1, repeats, &mut steps) {
            Ok(b) => b,
            Err(e) => {
                return BisectResult {
                    outcome: Outcome::EndpointBroken {
                        endpoint: n - 1,
                        why: e.0,
                    },
                    steps,
                }
            }
        };
        // The endpoints must differ, or there is nothing to find.
        let verdict = match (&g, &b) {
            (Observation::Samples(gs), Observation::Samples(bs)) => differs(gs, bs, o),
            (Observation::Behaviour(x), Observation::Behaviour(y)) => Some(x != y),
            _ => Some(false),
        };
        match verdict {
            Some(true) => break (g, b),
            Some(false) => {
                return BisectResult {
                    outcome: Outcome::NoDifference {
                        why: "good and bad do not differ on this metric (the change is inside the noise band, or both behave the same)".into(),
                    },
                    steps,
                }
            }
            None if repeats * 2 <= o.max_repeats => repeats *= 2,
            None => {
                return BisectResult {
                    outcome: Outcome::NoDifference {
                        why: format!("good and bad could not be told apart with {repeats} boots each; measure with more repeats or widen the range"),
                    },
                    steps,
                }
            }
        }
    };

    let (mut lo, mut hi) = (0usize, n - 1);
    let mut broken: Vec<usize> = Vec::new();
    while hi - lo > 1 {
        // The untested candidate nearest the middle of (lo, hi).
        let mid = (lo + hi) / 2;
        let Some(c) = (0..hi - lo)
            .flat_map(|d| [mid + d, mid.wrapping_sub(d)])
            .find(|&c| c > lo && c < hi && !broken.contains(&c))
        else {
            broken.sort_unstable();
            return BisectResult {
                outcome: Outcome::BrokenRange {
                    last_good: lo,
                    first_bad: hi,
                    broken,
                },
                steps,
            };
        };
        let mut r = o.first_repeats.max(1);
        let class = loop {
            let obs = match measure(c, r, &mut steps) {
                Ok(x) => x,
                Err(_) => break None,
            };
            let class = classify(&good, &bad, &obs, o);
            steps.last_mut().unwrap().class = Some(class);
            match class {
                Class::Unsure if r * 2 <= o.max_repeats => {
                    r *= 2;
                    // Thin endpoint samples make everything unsure: grow them too.
                    if let (Observation::Samples(gs), Observation::Samples(bs)) = (&good, &bad) {
                        if (gs.len() as u32) < r * 4 || (bs.len() as u32) < r * 4 {
                            if let Ok(Observation::Samples(more)) = measure(lo, r, &mut steps) {
                                good = Observation::Samples([gs.clone(), more].concat());
                            }
                            if let Ok(Observation::Samples(more)) = measure(hi, r, &mut steps) {
                                if let Observation::Samples(bs) = &bad {
                                    bad = Observation::Samples([bs.clone(), more].concat());
                                }
                            }
                        }
                    }
                }
                other => break Some(other),
            }
        };
        match class {
            None => broken.push(c),
            Some(Class::Good) => lo = c,
            Some(Class::Bad) => hi = c,
            Some(Class::Unsure) | Some(Class::Other) => {
                return BisectResult {
                    outcome: Outcome::Inconclusive {
                        last_good: lo,
                        first_bad: hi,
                        at: c,
                        why: if class == Some(Class::Other) {
                            format!("candidate {c} behaves like neither endpoint")
                        } else {
                            format!("candidate {c} is neither clearly good nor clearly bad after {r} boots")
                        },
                    },
                    steps,
                }
            }
        }
    }
    // Broken candidates between the last good and the first bad hide the culprit.
    let hidden: Vec<usize> = broken
        .iter()
        .copied()
        .filter(|&b| b > lo && b < hi)
        .collect();
    let outcome = if hidden.is_empty() {
        Outcome::Found {
            last_good: lo,
            culprit: hi,
        }
    } else {
        Outcome::BrokenRange {
            last_good: lo,
            first_bad: hi,
            broken: hidden,
        }
    };
    BisectResult { outcome, steps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    /// Candidates whose metric is `base` before `culprit` and `base * (1 + step)` from it,
    /// with relative noise; some candidates broken.
    struct Mock {
        culprit: usize,
        step: f64,
        noise: f64,
        broken: Vec<usize>,
        /// A candidate halfway between the two levels (a partial regression).
        halfway: Option<usize>,
        rng: SmallRng,
        calls: usize,
    }

    impl Mock {
        fn new(culprit: usize, step: f64, noise: f64) -> Mock {
            Mock {
                culprit,
                step,
                noise,
                broken: vec![],
                halfway: None,
                rng: SmallRng::seed_from_u64(7),
                calls: 0,
            }
        }
    }

    impl Measure for Mock {
        fn measure(&mut self, i: usize, repeats: u32) -> Result<Observation, Broken> {
            self.calls += 1;
            if self.broken.contains(&i) {
                return Err(Broken(format!("candidate {i} does not build")));
            }
            let level = if Some(i) == self.halfway {
                1000.0 * (1.0 + self.step / 2.0)
            } else if i >= self.culprit {
                1000.0 * (1.0 + self.step)
            } else {
                1000.0
            };
            let v = (0..repeats * 10)
                .map(|_| level * (1.0 + self.noise * (self.rng.gen::<f64>() - 0.5) * 2.0))
                .collect();
            Ok(Observation::Samples(v))
        }
    }

    fn found(r: &BisectResult) -> Option<usize> {
        match r.outcome {
            Outcome::Found { culprit, .. } => Some(culprit),
            _ => None,
        }
    }

    #[test]
    fn a_clear_regression_is_found_at_any_position_within_log2_steps() {
        let n = 33;
        for culprit in 1..n {
            let mut m = Mock::new(culprit, 0.10, 0.01);
            let r = bisect(n, &mut m, &Options::default());
            assert_eq!(
                found(&r),
                Some(culprit),
                "culprit {culprit}: {:?}",
                r.outcome
            );
            let candidates_measured = r
                .steps
                .iter()
                .filter(|s| s.candidate != 0 && s.candidate != n - 1)
                .count();
            let bound = ((n - 1) as f64).log2().ceil() as usize + 1;
            assert!(
                candidates_measured <= bound,
                "culprit {culprit}: {candidates_measured} > {bound}"
            );
        }
    }

    #[test]
    fn endpoints_that_do_not_differ_stop_at_once() {
        let mut m = Mock::new(100, 0.0, 0.01);
        let r = bisect(10, &mut m, &Options::default());
        assert!(
            matches!(r.outcome, Outcome::NoDifference { .. }),
            "{:?}",
            r.outcome
        );
        // A shift inside the noise band is no difference either.
        let mut m = Mock::new(5, 0.005, 0.001);
        let r = bisect(10, &mut m, &Options::default());
        assert!(
            matches!(r.outcome, Outcome::NoDifference { .. }),
            "{:?}",
            r.outcome
        );
    }

    #[test]
    fn endpoints_that_cannot_be_told_apart_get_more_boots_then_stop() {
        // A 3% step under 40% noise: with the repeat cap of 4 boots the endpoints stay
        // neither clearly different nor clearly the same.
        let mut m = Mock::new(5, 0.03, 0.40);
        let o = Options {
            max_repeats: 4,
            ..Options::default()
        };
        let r = bisect(10, &mut m, &o);
        match &r.outcome {
            Outcome::NoDifference { why } => {
                assert!(
                    why.contains("could not be told apart with 4 boots"),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
        let reps: Vec<u32> = r.steps.iter().map(|s| s.repeats).collect();
        assert_eq!(
            reps,
            [2, 2, 4, 4],
            "the endpoints were measured again with more boots"
        );
        assert!(r.steps.iter().all(|s| s.candidate == 0 || s.candidate == 9));
    }

    #[test]
    fn broken_candidates_are_skipped_and_never_silently_blamed() {
        // The culprit's neighbour is broken: the bisect goes around it.
        let mut m = Mock::new(6, 0.10, 0.01);
        m.broken = vec![4];
        let r = bisect(9, &mut m, &Options::default());
        assert_eq!(found(&r), Some(6), "{:?}", r.outcome);
        // The candidate just before the first bad one is broken: that is said, not hidden.
        let mut m = Mock::new(6, 0.10, 0.01);
        m.broken = vec![5];
        let r = bisect(9, &mut m, &Options::default());
        assert_eq!(
            r.outcome,
            Outcome::BrokenRange {
                last_good: 4,
                first_bad: 6,
                broken: vec![5]
            }
        );
        let mut m = Mock::new(3, 0.10, 0.01);
        m.broken = vec![0];
        assert!(matches!(
            bisect(9, &mut m, &Options::default()).outcome,
            Outcome::EndpointBroken { endpoint: 0, .. }
        ));
    }

    #[test]
    fn a_candidate_like_neither_end_is_inconclusive_with_the_narrowed_range() {
        // Candidate 4 sits halfway (+5%) between good and bad (+10%): never the same as
        // either, so it stays unsure up to the repeat cap and the bisect says where it stopped.
        let mut m = Mock::new(5, 0.10, 0.005);
        m.halfway = Some(4);
        let o = Options {
            max_repeats: 4,
            ..Options::default()
        };
        let r = bisect(9, &mut m, &o);
        assert_eq!(
            r.outcome,
            Outcome::Inconclusive {
                last_good: 0,
                first_bad: 8,
                at: 4,
                why: "candidate 4 is neither clearly good nor clearly bad after 4 boots".into()
            }
        );
        assert!(r.steps.iter().all(|s| s.repeats <= 4));
        assert!(
            r.steps.iter().any(|s| s.candidate == 4 && s.repeats == 4),
            "more repeats were tried"
        );
    }

    #[test]
    fn behaviour_is_decided_exactly() {
        struct B;
        impl Measure for B {
            fn measure(&mut self, i: usize, _: u32) -> Result<Observation, Broken> {
                Ok(Observation::Behaviour(
                    if i >= 13 { "EFAULT" } else { "pinned 1/1" }.into(),
                ))
            }
        }
        let r = bisect(20, &mut B, &Options::default());
        assert_eq!(found(&r), Some(13));
        assert!(r
            .steps
            .iter()
            .all(|s| s.repeats == Options::default().first_repeats));
        struct Third;
        impl Measure for Third {
            fn measure(&mut self, i: usize, _: u32) -> Result<Observation, Broken> {
                Ok(Observation::Behaviour(
                    match i {
                        0 => "a",
                        19 => "b",
                        _ => "c",
                    }
                    .into(),
                ))
            }
        }
        assert!(matches!(
            bisect(20, &mut Third, &Options::default()).outcome,
            Outcome::Inconclusive { .. }
        ));
    }
}
