//! Change points in a metric's nightly series: the night where a shift began, and its size.
//!
//! Method: E-Divisive with means, found by binary segmentation and confirmed by a
//! permutation test, as in Matteson & James, "A Nonparametric Approach for Multiple Change
//! Point Analysis of Multivariate Data" (JASA 2014) and as used for performance series by
//! MongoDB's signal processing (Daly et al., "The Use of Change Point Detection to Identify
//! Software Performance Regressions in a Continuous Integration System", ICPE 2020) and
//! Hunter / Apache Otava (Fleming et al., ICPE 2023).
//!
//! With the energy-distance exponent alpha = 2 the divisive statistic of a split at `t`
//! of a series of length `n` reduces to the weighted squared difference of the segment means,
//!
//! ```text
//! Q(t) = t (n - t) / n * (mean(x[..t]) - mean(x[t..]))^2,
//! ```
//!
//! and, as Matteson & James do, the right segment may end before the series does: the
//! statistic of a split `t` with end `k` compares `x[..t]` with `x[t..k]`, so an excursion
//! that was later undone is found too. Prefix sums give every `(t, k)` in O(1), a whole
//! search in O(n^2). The best split `t*` is the argmax over splits that leave at least
//! [`Config::min_segment`] points on each side. Its
//! significance is the share of [`Config::permutations`] random reorderings of the segment
//! whose best `Q` is at least as large (each permutation from its own seeded RNG, so the
//! answer is the same on every run). A split with p below [`Config::alpha`] whose relative
//! shift of the mean is at least [`Config::min_effect`] is a change point; the search then
//! recurses into both halves.
//!
//! Cost: O(n^2) per permutation, so up to O(R n^2) per tested split (R = permutations):
//! about 0.2 ms for a 30-night series with a change, 140 ms for a 365-night one (release
//! build, one core). A split that cannot be significant stops at its first few
//! permutations, so a flat 365-night series costs a few milliseconds.
//!
//! Nights with a shift smaller than `min_effect` are never reported however significant:
//! a 0.3 % step on an icount metric is real but nobody should be woken for it.

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Tuning of the detector. Defaults suit nightly series of tens to hundreds of nights.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Fewest points on each side of a split.
    pub min_segment: usize,
    /// Significance level of the permutation test.
    pub alpha: f64,
    /// Permutations per tested split (the smallest reachable p is 1 / (permutations + 1)).
    pub permutations: usize,
    /// Smallest relative shift of the mean reported, e.g. 0.02 for 2 %.
    pub min_effect: f64,
    /// Seed of the permutation RNGs.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_segment: 4,
            alpha: 0.01,
            permutations: 199,
            min_effect: 0.02,
            seed: 0x5eed_c4a9,
        }
    }
}

/// A change point: the series shifted starting at index `at` (the first point of the new
/// level).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangePoint {
    pub at: usize,
    pub mean_before: f64,
    pub mean_after: f64,
    /// mean_after / mean_before - 1.
    pub relative_change: f64,
    /// Permutation-test p-value of the split.
    pub p: f64,
}

/// The best split of `x` and its statistic, or None when `x` is too short. The split `t`
/// is judged against the points after it up to an end `k` (Matteson & James's `kappa`),
/// so a short excursion in the middle of a segment (a regression that was later fixed)
/// stands out as clearly as a step that lasts to the end.
fn best_split(x: &[f64], min_segment: usize) -> Option<(usize, usize, f64)> {
    let m = min_segment.max(1);
    let n = x.len();
    if n < 2 * m {
        return None;
    }
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for v in x {
        prefix.push(prefix.last().unwrap() + v);
    }
    let mut best: Option<(usize, usize, f64)> = None;
    for t in m..=n - m {
        let (tl, left_mean) = (t as f64, prefix[t] / t as f64);
        for k in t + m..=n {
            let tr = (k - t) as f64;
            let d = left_mean - (prefix[k] - prefix[t]) / tr;
            let q = tl * tr / k as f64 * d * d;
            if best.is_none_or(|(_, _, b)| q > b) {
                best = Some((t, k, q));
            }
        }
    }
    best
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Permutation p-value of the best split of `x` (statistic `q`).
///
/// Stops early once the split can no longer be significant: as soon as `p` is certain to
/// reach alpha whatever the remaining permutations give, the p-value returned is that
/// lower bound (>= alpha), which decides the same. A flat series, the common case, is
/// rejected after a handful of permutations; only significant splits pay for all of them.
fn permutation_p(x: &[f64], q: f64, cfg: &Config, salt: u64) -> f64 {
    let mut y = x.to_vec();
    let mut at_least = 0usize;
    let total = (cfg.permutations + 1) as f64;
    for i in 0..cfg.permutations {
        if (at_least + 1) as f64 / total >= cfg.alpha {
            break;
        }
        let mut rng = SmallRng::seed_from_u64(
            cfg.seed ^ salt.rotate_left(17) ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        );
        y.copy_from_slice(x);
        y.shuffle(&mut rng);
        if best_split(&y, cfg.min_segment).is_some_and(|(_, _, qp)| qp >= q) {
            at_least += 1;
        }
    }
    (at_least + 1) as f64 / (cfg.permutations + 1) as f64
}

/// Every change point of `series`, in order of position. Non-finite values are refused.
pub fn detect(series: &[f64], cfg: &Config) -> Result<Vec<ChangePoint>, crate::stats::SampleError> {
    if let Some((index, &value)) = series.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(crate::stats::SampleError::NotFinite { index, value });
    }
    let mut found = Vec::new();
    let mut todo = vec![(0usize, series.len())];
    while let Some((lo, hi)) = todo.pop() {
        let seg = &series[lo..hi];
        let Some((t, k, q)) = best_split(seg, cfg.min_segment) else {
            continue;
        };
        if q <= 0.0 {
            continue;
        }
        let p = permutation_p(seg, q, cfg, lo as u64 * 1_000_003 + hi as u64);
        if p >= cfg.alpha {
            continue;
        }
        // The levels either side: the new level as far as it lasted (up to `k`).
        let (before, after) = (mean(&seg[..t]), mean(&seg[t..k]));
        let rel = if before != 0.0 {
            after / before - 1.0
        } else {
            f64::INFINITY
        };
        if rel.abs() >= cfg.min_effect {
            found.push(ChangePoint {
                at: lo + t,
                mean_before: before,
                mean_after: after,
                relative_change: rel,
                p,
            });
        }
        // A significant split too small to report may still hide a larger one beside it.
        todo.push((lo, lo + t));
        todo.push((lo + t, hi));
    }
    found.sort_by_key(|c| c.at);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Gaussian noise by Box-Muller, seeded.
    fn noisy(levels: &[(usize, f64)], noise: f64, seed: u64) -> Vec<f64> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut v = Vec::new();
        for &(n, level) in levels {
            for _ in 0..n {
                let (u1, u2): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                v.push(level * (1.0 + noise * z));
            }
        }
        v
    }

    #[test]
    fn a_three_percent_step_after_night_20_of_40_is_found_at_night_20() {
        let mut exact = 0;
        for seed in 0..20 {
            let s = noisy(&[(20, 1000.0), (20, 1030.0)], 0.01, seed);
            let cps = detect(&s, &Config::default()).unwrap();
            assert_eq!(cps.len(), 1, "seed {seed}: {cps:?}");
            let c = &cps[0];
            assert!((18..=22).contains(&c.at), "seed {seed}: {c:?}");
            assert!(
                (c.relative_change - 0.03).abs() < 0.01,
                "seed {seed}: {c:?}"
            );
            assert!(c.p < 0.01);
            exact += (c.at == 20) as usize;
        }
        // A 3-sigma step is placed exactly in most series, never far off.
        assert!(
            exact >= 15,
            "the step is placed exactly at night 20 in {exact}/20 series"
        );
        let s = noisy(&[(20, 1000.0), (20, 1030.0)], 0.01, 0);
        assert_eq!(detect(&s, &Config::default()).unwrap()[0].at, 20);
    }

    #[test]
    fn a_flat_series_of_the_same_noise_has_no_change_point() {
        let mut false_alarms = 0;
        for seed in 100..150 {
            let s = noisy(&[(40, 1000.0)], 0.01, seed);
            false_alarms += detect(&s, &Config::default()).unwrap().len();
        }
        // min_effect 2% against 1% noise over >= 4-night segments: essentially never.
        assert_eq!(false_alarms, 0);
    }

    #[test]
    fn two_steps_are_both_found_and_improvements_are_negative() {
        let s = noisy(&[(15, 1000.0), (15, 1100.0), (15, 1000.0)], 0.01, 7);
        let cps = detect(&s, &Config::default()).unwrap();
        let at: Vec<usize> = cps.iter().map(|c| c.at).collect();
        assert_eq!(at, vec![15, 30], "{cps:?}");
        assert!(cps[0].relative_change > 0.05 && cps[1].relative_change < -0.05);
    }

    #[test]
    fn short_series_and_bad_values() {
        assert!(detect(&[1.0, 2.0, 3.0], &Config::default())
            .unwrap()
            .is_empty());
        assert!(detect(&[], &Config::default()).unwrap().is_empty());
        assert!(detect(&[1.0, f64::NAN, 2.0], &Config::default()).is_err());
        let flat = vec![5.0; 30];
        assert!(detect(&flat, &Config::default()).unwrap().is_empty());
    }

    #[test]
    fn detection_is_reproducible() {
        let s = noisy(&[(20, 1000.0), (20, 1025.0)], 0.01, 3);
        assert_eq!(
            detect(&s, &Config::default()).unwrap(),
            detect(&s, &Config::default()).unwrap()
        );
    }
}
