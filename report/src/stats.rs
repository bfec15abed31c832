//! Statistics for comparing two kernels' measurements of one cell.
//!
//! Everything here is distribution-free: pinning latencies are skewed and have long tails
//! (page faults, preemption, TLB shootdowns), so means and t-tests would be dominated by the
//! tail. The methods and where they come from:
//!
//! - [`Sample`]: a set of finite measurements with at least [`Sample::MIN_LEN`] points; NaN
//!   and infinities are refused at construction, so nothing downstream has to check
//!   (criterion.rs `stats/univariate/sample.rs` does the same).
//! - [`Sample::quantile`]: linear interpolation between order statistics, Hyndman & Fan
//!   (1996) definition 7, the default of R and NumPy. [`Sample::iqr`] is Q3 - Q1;
//!   [`Sample::cv`] is the coefficient of variation, sample standard deviation / mean.
//! - [`ratio_ci`]: the ratio of medians (candidate / baseline) with a percentile bootstrap
//!   confidence interval, each sample resampled independently with replacement (Efron &
//!   Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 13). Resample `i` draws from
//!   its own RNG seeded with `(seed, i)`, so the interval is the same on every run and any
//!   number of threads.
//! - [`ratio_ci_boots`]: the same ratio with a two-level bootstrap (boots, then values
//!   within boots; Davison & Hinkley 1997 §3.8), for kernels booted more than once: the
//!   interval then holds boot-to-boot variation, which A/A calibration on a shared host
//!   showed to dominate wall-clock noise (docs/calibration.md).
//! - [`mann_whitney`]: the Mann-Whitney U test (Mann & Whitney 1947), two-sided, normal
//!   approximation with midranks, tie-corrected variance and a continuity correction (as in
//!   SciPy's `mannwhitneyu(method="asymptotic")`).
//! - [`kolmogorov_smirnov`]: the two-sample Kolmogorov-Smirnov test, asymptotic p-value
//!   from the Kolmogorov distribution with Stephens' (1970) small-sample correction
//!   `lambda = (sqrt(Ne) + 0.12 + 0.11 / sqrt(Ne)) * D`, `Ne = n m / (n + m)` (Numerical
//!   Recipes, 3rd ed., §14.3.3).
//! - [`two_test_p`]: the smaller of the two p-values, as Chromium's Pinpoint does
//!   (catapult `dashboard/pinpoint/models/compare/compare.py`): Mann-Whitney sees shifts of
//!   location, KS sees changes of shape (a new bimodal tail). Taking the minimum makes each
//!   test's false-positive rate up to twice alpha; the noise band and the multiple-comparison
//!   correction below are what keep verdicts conservative.
//! - [`benjamini_hochberg`]: false discovery rate control across the metrics of one
//!   comparison (Benjamini & Hochberg 1995), step-up adjusted p-values as R's
//!   `p.adjust(method = "BH")`.
//! - [`median_ci`]: the distribution-free order-statistic interval of a median (Conover
//!   1999, §3.2), used for the whiskers of the HTML report's bars.
//! - [`normal_cdf`] uses the complementary error function of Numerical Recipes (`erfcc`,
//!   Chebyshev fit, fractional error below 1.2e-7 everywhere).

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use rayon::prelude::*;
use std::cmp::Ordering;

/// Why a set of numbers is not a [`Sample`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error("sample contains a non-finite value ({value}) at index {index}; fix the workload that recorded it")]
    NotFinite { index: usize, value: f64 },
    #[error("sample has {len} points, at least {min} are needed; run more iterations or boots (`pinbench run --repeat`)")]
    TooFew { len: usize, min: usize },
}

/// Finite measurements, at least [`Sample::MIN_LEN`] of them, kept sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    sorted: Vec<f64>,
}

impl Sample {
    /// Fewest points a sample may have: a spread needs two.
    pub const MIN_LEN: usize = 2;

    pub fn new(values: &[f64]) -> Result<Sample, SampleError> {
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(SampleError::NotFinite { index, value });
        }
        if values.len() < Self::MIN_LEN {
            return Err(SampleError::TooFew {
                len: values.len(),
                min: Self::MIN_LEN,
            });
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Ok(Sample { sorted })
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Never true (a sample has at least two points); here for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The values in ascending order.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    pub fn min(&self) -> f64 {
        self.sorted[0]
    }

    pub fn max(&self) -> f64 {
        self.sorted[self.sorted.len() - 1]
    }

    /// Quantile `q` in [0, 1] (Hyndman & Fan definition 7).
    pub fn quantile(&self, q: f64) -> f64 {
        quantile_sorted(&self.sorted, q)
    }

    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// Interquartile range, Q3 - Q1.
    pub fn iqr(&self) -> f64 {
        self.quantile(0.75) - self.quantile(0.25)
    }

    pub fn mean(&self) -> f64 {
        self.sorted.iter().sum::<f64>() / self.sorted.len() as f64
    }

    /// Sample standard deviation (n - 1 denominator).
    pub fn std_dev(&self) -> f64 {
        let m = self.mean();
        let ss: f64 = self.sorted.iter().map(|x| (x - m) * (x - m)).sum();
        (ss / (self.sorted.len() - 1) as f64).sqrt()
    }

    /// Coefficient of variation (standard deviation / mean); `None` when the mean is 0.
    pub fn cv(&self) -> Option<f64> {
        let m = self.mean();
        (m != 0.0).then(|| self.std_dev() / m.abs())
    }
}

fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let q = q.clamp(0.0, 1.0);
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
fn median_unsorted(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    quantile_sorted(v, 0.5)
}

/// Ratio of medians with its bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioCi {
    /// median(candidate) / median(baseline).
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
    /// Confidence level, e.g. 0.95.
    pub confidence: f64,
}

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapConfig {
    pub resamples: usize,
    pub confidence: f64,
    pub seed: u64,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        BootstrapConfig {
            resamples: 2000,
            confidence: 0.95,
            seed: 0x7069_6e62_656e_6368, // "pinbench"
        }
    }
}

/// splitmix64: turns (seed, index) into well-spread independent RNG seeds.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Ratio of medians candidate / baseline with a percentile bootstrap CI.
///
/// `None` when the baseline median is not positive (a ratio means nothing then).
pub fn ratio_ci(baseline: &Sample, candidate: &Sample, cfg: &BootstrapConfig) -> Option<RatioCi> {
    let base_median = baseline.median();
    if base_median <= 0.0 {
        return None;
    }
    let ratio = candidate.median() / base_median;
    Some(bootstrap_ratio(ratio, cfg, |rng, bb, cb| {
        (
            resampled_median(rng, baseline.sorted(), bb),
            resampled_median(rng, candidate.sorted(), cb),
        )
    }))
}

/// The percentile bootstrap shared by [`ratio_ci`] and [`ratio_ci_boots`]: resample `i`
/// draws (baseline median, candidate median) with `draw`, from its own RNG seeded with
/// `(seed, i)`; the interval is the `confidence` quantile range of candidate / baseline.
fn bootstrap_ratio<S, F>(ratio: f64, cfg: &BootstrapConfig, draw: F) -> RatioCi
where
    S: Default + Send,
    F: Fn(&mut SmallRng, &mut S, &mut S) -> (f64, f64) + Sync + Send,
{
    let resamples = cfg.resamples.max(1);
    let mut ratios: Vec<f64> = (0..resamples)
        .into_par_iter()
        .map_init(
            || (S::default(), S::default()),
            |(bb, cb), i| {
                let mut rng = SmallRng::seed_from_u64(mix(cfg.seed, i as u64));
                let (b, c) = draw(&mut rng, bb, cb);
                if b > 0.0 {
                    c / b
                } else {
                    f64::INFINITY
                }
            },
        )
        .collect();
    ratios.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - cfg.confidence.clamp(0.0, 1.0)) / 2.0;
    RatioCi {
        ratio,
        low: quantile_sorted(&ratios, tail),
        high: quantile_sorted(&ratios, 1.0 - tail),
        confidence: cfg.confidence,
    }
}

/// Ratio of pooled medians with a two-level (hierarchical) bootstrap interval: each
/// resample draws boots with replacement, then values with replacement within each drawn
/// boot (Davison & Hinkley, *Bootstrap Methods and their Application*, 1997, §3.8;
/// Saravanan et al., "Application of the hierarchical bootstrap to multi-level data in
/// neuroscience", 2020). Boots are the unit the experiment repeats: values within one boot
/// share its host load, memory layout and THP luck, so resampling values alone (as
/// [`ratio_ci`] does) misses boot-to-boot variation. Needs at least two boots a side to
/// say anything about it. Same seeding scheme as [`ratio_ci`]. `None` when either side has
/// no finite value or the baseline's pooled median is not positive.
pub fn ratio_ci_boots(
    baseline: &[Vec<f64>],
    candidate: &[Vec<f64>],
    cfg: &BootstrapConfig,
) -> Option<RatioCi> {
    let b = Grouped::new(baseline)?;
    let c = Grouped::new(candidate)?;
    let base_median = quantile_sorted(&b.sorted, 0.5);
    if base_median <= 0.0 {
        return None;
    }
    let ratio = quantile_sorted(&c.sorted, 0.5) / base_median;
    Some(bootstrap_ratio(ratio, cfg, |rng, bb, cb| {
        (b.resampled_median(rng, bb), c.resampled_median(rng, cb))
    }))
}

/// Values of several boots: all of them sorted, and for each boot the positions of its
/// values in that order, so that a two-level resample is counted like [`resampled_median`].
struct Grouped {
    sorted: Vec<f64>,
    positions: Vec<Vec<u32>>,
}

impl Grouped {
    fn new(groups: &[Vec<f64>]) -> Option<Grouped> {
        let mut tagged: Vec<(f64, usize)> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, v)| v.iter().filter(|x| x.is_finite()).map(move |x| (*x, g)))
            .collect();
        if tagged.is_empty() {
            return None;
        }
        tagged.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut positions = vec![Vec::new(); groups.len()];
        for (pos, (_, g)) in tagged.iter().enumerate() {
            positions[*g].push(pos as u32);
        }
        positions.retain(|p| !p.is_empty());
        Some(Grouped {
            sorted: tagged.into_iter().map(|t| t.0).collect(),
            positions,
        })
    }

    fn resampled_median(&self, rng: &mut SmallRng, counts: &mut Vec<u32>) -> f64 {
        let n = self.sorted.len();
        counts.clear();
        counts.resize(n, 0);
        let index = |r32: u64, len: usize| ((r32 * len as u64) >> 32) as usize;
        let groups = self.positions.len();
        let mut total = 0usize;
        for _ in 0..groups {
            let g = &self.positions[index(rng.next_u64() >> 32, groups)];
            for _ in 0..g.len() {
                counts[g[index(rng.next_u64() >> 32, g.len())] as usize] += 1;
            }
            total += g.len();
        }
        median_of_counts(&self.sorted, counts, total)
    }
}

/// The median of `total` draws from `sorted`, given how often each position was drawn
/// (quantile definition 7, as [`quantile_sorted`]).
fn median_of_counts(sorted: &[f64], counts: &[u32], total: usize) -> f64 {
    let h = (total - 1) as f64 * 0.5;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    let (mut seen, mut v_lo, mut v_hi) = (0usize, None, sorted[sorted.len() - 1]);
    for (i, &c) in counts.iter().enumerate() {
        seen += c as usize;
        if v_lo.is_none() && seen > lo {
            v_lo = Some(sorted[i]);
        }
        if seen > hi {
            v_hi = sorted[i];
            break;
        }
    }
    let a = v_lo.unwrap_or(v_hi);
    a + (h - lo as f64) * (v_hi - a)
}

/// The median of one bootstrap resample of `sorted` (ascending), without building or
/// sorting the resample: draw `n` indices, count how often each was drawn, and walk the
/// counts to the middle order statistics (a resample of a sorted sample, sorted, is each
/// value repeated by its count). O(n) instead of O(n log n); `counts` is reused scratch.
///
/// Indices come from Lemire's multiply-shift on 32-bit halves of one 64-bit draw (two
/// indices per draw); its bias is below n / 2^32 per index (2e-8 for 100 samples).
fn resampled_median(rng: &mut SmallRng, sorted: &[f64], counts: &mut Vec<u32>) -> f64 {
    let n = sorted.len();
    debug_assert!(n > 0 && n < u32::MAX as usize);
    counts.clear();
    counts.resize(n, 0);
    let index = |r32: u64| ((r32 * n as u64) >> 32) as usize;
    for _ in 0..n / 2 {
        let r = rng.next_u64();
        counts[index(r >> 32)] += 1;
        counts[index(r & 0xffff_ffff)] += 1;
    }
    if n % 2 == 1 {
        counts[index(rng.next_u64() >> 32)] += 1;
    }
    median_of_counts(sorted, counts, n)
}

/// Result of a two-sided Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample.
    pub u: f64,
    pub z: f64,
    pub p: f64,
}

/// Two-sided Mann-Whitney U test, normal approximation with tie correction.
pub fn mann_whitney(a: &Sample, b: &Sample) -> MannWhitney {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let n = n1 + n2;
    // Merge the two sorted samples, remembering the origin, and assign midranks.
    let mut all: Vec<(f64, bool)> = a
        .sorted()
        .iter()
        .map(|&x| (x, true))
        .chain(b.sorted().iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let midrank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_a += midrank * all[i..=j].iter().filter(|e| e.1).count() as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if var <= 0.0 {
        // Every value is the same: no evidence of any difference.
        return MannWhitney { u, z: 0.0, p: 1.0 };
    }
    let d = u - mean;
    let corrected = (d.abs() - 0.5).max(0.0);
    let z = corrected / var.sqrt() * d.signum();
    let p = (2.0 * normal_cdf(-z.abs())).min(1.0);
    MannWhitney { u, z, p }
}

/// Result of a two-sample Kolmogorov-Smirnov test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KolmogorovSmirnov {
    /// Largest distance between the two empirical CDFs.
    pub d: f64,
    pub p: f64,
}

/// Two-sample Kolmogorov-Smirnov test, asymptotic p-value with Stephens' correction.
pub fn kolmogorov_smirnov(a: &Sample, b: &Sample) -> KolmogorovSmirnov {
    let (x, y) = (a.sorted(), b.sorted());
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut d: f64 = 0.0;
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] <= v {
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n1 - j as f64 / n2).abs());
    }
    let ne = n1 * n2 / (n1 + n2);
    let sq = ne.sqrt();
    let lambda = (sq + 0.12 + 0.11 / sq) * d;
    KolmogorovSmirnov {
        d,
        p: kolmogorov_q(lambda),
    }
}

/// Complementary Kolmogorov distribution Q_KS(lambda) = P(K > lambda), NR 3rd ed. §6.14.
pub fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    if lambda < 1.18 {
        // P_KS via the Jacobi-theta form, fast for small lambda.
        let y = (-std::f64::consts::PI.powi(2) / (8.0 * lambda * lambda)).exp();
        let p = (2.0 * std::f64::consts::PI).sqrt() / lambda
            * (y + y.powi(9) + y.powi(25) + y.powi(49));
        (1.0 - p).clamp(0.0, 1.0)
    } else {
        let x = (-2.0 * lambda * lambda).exp();
        (2.0 * (x - x.powi(4) + x.powi(9) - x.powi(16))).clamp(0.0, 1.0)
    }
}

/// Both tests and the smaller p-value (Pinpoint's rule).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoTest {
    pub mann_whitney: MannWhitney,
    pub ks: KolmogorovSmirnov,
    /// min(Mann-Whitney p, KS p).
    pub p: f64,
}

pub fn two_test_p(a: &Sample, b: &Sample) -> TwoTest {
    let mann_whitney = mann_whitney(a, b);
    let ks = kolmogorov_smirnov(a, b);
    TwoTest {
        mann_whitney,
        ks,
        p: mann_whitney.p.min(ks.p),
    }
}

/// Benjamini-Hochberg adjusted p-values, in the order given. NaN inputs are treated as 1.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let clean = |x: f64| if x.is_nan() { 1.0 } else { x.clamp(0.0, 1.0) };
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| {
        clean(p[i])
            .partial_cmp(&clean(p[j]))
            .unwrap_or(Ordering::Equal)
    });
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 1.0;
    for (rank0, &idx) in order.iter().enumerate().rev() {
        let v = clean(p[idx]) * m as f64 / (rank0 + 1) as f64;
        running = running.min(v);
        adjusted[idx] = running.min(1.0);
    }
    adjusted
}

/// Distribution-free confidence interval of the median of a sorted sample: the order
/// statistics `x(r)` and `x(s)` with `r = floor((n - z sqrt(n)) / 2)` and
/// `s = ceil(1 + (n + z sqrt(n)) / 2)` (1-based, clamped to the sample), from the normal
/// approximation to the binomial (Conover, *Practical Nonparametric Statistics*, 3rd ed.,
/// 1999, §3.2). No resampling, so the plots can draw one per cell cheaply.
/// `confidence` is e.g. 0.95. Returns `None` for an empty slice.
pub fn median_ci(sorted: &[f64], confidence: f64) -> Option<(f64, f64)> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let z = normal_quantile(0.5 + confidence.clamp(0.0, 0.999_999) / 2.0);
    let nf = n as f64;
    let r = ((nf - z * nf.sqrt()) / 2.0).floor().max(1.0) as usize;
    let s = (1.0 + (nf + z * nf.sqrt()) / 2.0).ceil().min(nf) as usize;
    Some((sorted[r.min(n) - 1], sorted[s.max(1) - 1]))
}

/// Quantile of the standard normal distribution, by bisection on [`normal_cdf`] (plenty
/// for the handful of calls a report makes).
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0f64, 10.0f64);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// Standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes `erfcc`, fractional error < 1.2e-7).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let ans = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        ans
    } else {
        2.0 - ans
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: &[f64]) -> Sample {
        Sample::new(v).unwrap()
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn sample_refuses_nan_infinity_and_too_few_points() {
        assert!(matches!(
            Sample::new(&[1.0, f64::NAN, 2.0]),
            Err(SampleError::NotFinite { index: 1, .. })
        ));
        assert!(matches!(
            Sample::new(&[1.0, f64::INFINITY]),
            Err(SampleError::NotFinite { index: 1, .. })
        ));
        assert_eq!(
            Sample::new(&[1.0]),
            Err(SampleError::TooFew { len: 1, min: 2 })
        );
        assert!(Sample::new(&[]).is_err());
        let e = Sample::new(&[1.0]).unwrap_err().to_string();
        assert!(e.contains("--repeat"), "{e}");
    }

    #[test]
    fn boot_level_bootstrap_widens_the_interval_when_boots_disagree() {
        let cfg = BootstrapConfig::default();
        let boot = |c: f64| -> Vec<f64> { (0..50).map(|i| c + (i % 5) as f64).collect() };
        // Candidate boots at +1%, +3% and +5%: each boot's values are tight, so a
        // value-level bootstrap keeps the pooled median in the middle boot and is confident
        // of +3%; resampling boots shows the boots disagree.
        let base = vec![boot(1000.0), boot(1000.0), boot(1000.0)];
        let cand = vec![boot(1010.0), boot(1030.0), boot(1050.0)];
        let flat = |v: &[Vec<f64>]| Sample::new(&v.concat()).unwrap();
        let pooled = ratio_ci(&flat(&base), &flat(&cand), &cfg).unwrap();
        let boots = ratio_ci_boots(&base, &cand, &cfg).unwrap();
        assert_eq!(pooled.ratio, boots.ratio);
        assert!(
            boots.high - boots.low > 4.0 * (pooled.high - pooled.low),
            "pooled {pooled:?}, boots {boots:?}"
        );
        assert!(pooled.low > 1.02, "{pooled:?}");
        assert!(boots.low < 1.015 && boots.high > 1.045, "{boots:?}");
        // Identical boots: a point interval.
        let same = ratio_ci_boots(&base, &base, &cfg).unwrap();
        assert_eq!((same.low, same.high), (1.0, 1.0));
        assert_eq!(ratio_ci_boots(&[vec![]], &base, &cfg), None);
    }

    #[test]
    fn median_ci_uses_the_order_statistics_of_conover() {
        // n = 100, z = 1.96: r = floor((100 - 19.6) / 2) = 40, s = ceil(1 + 59.8) = 61.
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(median_ci(&v, 0.95), Some((40.0, 61.0)));
        assert!(close(normal_quantile(0.975), 1.959_964, 1e-5));
        assert_eq!(median_ci(&[3.0], 0.95), Some((3.0, 3.0)));
        assert_eq!(median_ci(&[], 0.95), None);
    }

    #[test]
    fn descriptive_statistics_match_hand_computed_values() {
        let x = s(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(x.median(), 3.0);
        assert_eq!(x.quantile(0.25), 2.0);
        assert_eq!(x.iqr(), 2.0);
        assert_eq!(x.mean(), 3.0);
        assert!(close(x.std_dev(), 2.5f64.sqrt(), 1e-12));
        assert!(close(x.cv().unwrap(), 2.5f64.sqrt() / 3.0, 1e-12));
        assert_eq!(s(&[1.0, 2.0, 3.0, 4.0]).median(), 2.5);
        assert_eq!(s(&[0.0, 0.0]).cv(), None);
    }

    #[test]
    fn normal_cdf_and_erfc_match_tables() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(1.959_963_985), 0.975, 1e-7));
        assert!(close(normal_cdf(-2.575_829_3), 0.005, 1e-8));
        assert!(close(erfc(1.0), 0.157_299_207, 1e-7));
    }

    #[test]
    fn kolmogorov_distribution_matches_tables() {
        // P(K <= 1.0) = 0.7300003, P(K <= 0.5) = 0.0360547 (Kolmogorov 1933 tables).
        assert!(close(kolmogorov_q(1.0), 0.269_999_7, 1e-6));
        assert!(close(kolmogorov_q(0.5), 0.963_945_3, 1e-6));
        assert!(close(kolmogorov_q(1.36), 0.049_4, 5e-4));
        assert_eq!(kolmogorov_q(0.0), 1.0);
        assert!(kolmogorov_q(10.0) < 1e-80);
    }

    #[test]
    fn mann_whitney_matches_scipy() {
        // scipy.stats.mannwhitneyu(x, y, method="asymptotic"): U = 2.0, p = 0.0367.
        let x = s(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let y = s(&[3.5, 6.0, 7.0, 8.0, 9.0]);
        let r = mann_whitney(&x, &y);
        assert_eq!(r.u, 2.0);
        // z = -(|2 - 12.5| - 0.5) / sqrt(25 * 11 / 12) = -10 / 4.7871
        assert!(close(r.z, -2.088_9, 1e-3), "{r:?}");
        assert!(close(r.p, 0.036_7, 1e-3), "{r:?}");
    }

    #[test]
    fn mann_whitney_ties_and_constant_samples() {
        let r = mann_whitney(&s(&[5.0; 10]), &s(&[5.0; 10]));
        assert_eq!(r.p, 1.0);
        // Two constant, different samples: completely separated, tie-corrected variance > 0.
        let r = mann_whitney(&s(&[5.0; 10]), &s(&[6.0; 10]));
        assert!(r.p < 1e-4, "{r:?}");
    }

    #[test]
    fn ks_statistic_and_p() {
        let x = s(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(kolmogorov_smirnov(&x, &x).d, 0.0);
        assert_eq!(kolmogorov_smirnov(&x, &x).p, 1.0);
        let y = s(&[10.0, 11.0, 12.0, 13.0]);
        assert_eq!(kolmogorov_smirnov(&x, &y).d, 1.0);
        let far: Vec<f64> = (0..30).map(|i| i as f64 + 1000.0).collect();
        let near: Vec<f64> = (0..30).map(|i| i as f64).collect();
        assert!(kolmogorov_smirnov(&s(&near), &s(&far)).p < 1e-10);
    }

    #[test]
    fn bh_matches_r_p_adjust() {
        // p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02
        let a = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        for (got, want) in a.iter().zip([0.02, 0.04, 0.04, 0.02]) {
            assert!(close(*got, want, 1e-12), "{a:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
        assert_eq!(benjamini_hochberg(&[f64::NAN]), vec![1.0]);
    }

    #[test]
    fn bootstrap_is_reproducible_and_brackets_a_clear_shift() {
        let base: Vec<f64> = (0..30).map(|i| 100.0 + (i % 7) as f64).collect();
        let cand: Vec<f64> = base.iter().map(|x| x * 1.10).collect();
        let cfg = BootstrapConfig::default();
        let a = ratio_ci(&s(&base), &s(&cand), &cfg).unwrap();
        let b = ratio_ci(&s(&base), &s(&cand), &cfg).unwrap();
        assert_eq!(a, b);
        assert!(close(a.ratio, 1.10, 1e-12));
        assert!(a.low > 1.05 && a.high < 1.15, "{a:?}");
        assert_eq!(ratio_ci(&s(&[0.0, 0.0]), &s(&[1.0, 2.0]), &cfg), None);
    }

    fn finite_vec() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(1.0f64..1e6, 2..40)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The counting median equals the median of the resample built and sorted the slow
        /// way from the same draws.
        #[test]
        fn counting_median_equals_the_sorted_resample_median(
            mut v in prop::collection::vec(-1e6f64..1e6, 1..60),
            seed in any::<u64>(),
        ) {
            v.sort_by(f64::total_cmp);
            let n = v.len();
            let mut rng = SmallRng::seed_from_u64(seed);
            let mut replay = rng.clone();
            let fast = resampled_median(&mut rng, &v, &mut Vec::new());
            let index = |r32: u64| ((r32 * n as u64) >> 32) as usize;
            let mut slow = Vec::new();
            for _ in 0..n / 2 {
                let r = rand::RngCore::next_u64(&mut replay);
                slow.push(v[index(r >> 32)]);
                slow.push(v[index(r & 0xffff_ffff)]);
            }
            if n % 2 == 1 {
                slow.push(v[index(rand::RngCore::next_u64(&mut replay) >> 32)]);
            }
            prop_assert_eq!(fast, median_unsorted(&mut slow));
        }

        #[test]
        fn median_ci_brackets_the_median(v in finite_vec()) {
            let x = s(&v);
            let (lo, hi) = median_ci(x.sorted(), 0.95).unwrap();
            prop_assert!(lo <= x.median() && x.median() <= hi);
        }

        #[test]
        fn median_lies_between_min_and_max_and_iqr_is_nonnegative(v in finite_vec()) {
            let x = s(&v);
            prop_assert!(x.min() <= x.median() && x.median() <= x.max());
            prop_assert!(x.iqr() >= 0.0);
            prop_assert!(x.quantile(0.25) <= x.quantile(0.75));
        }

        #[test]
        fn sample_rejects_any_nan(mut v in finite_vec(), at in 0usize..40) {
            let i = at % v.len();
            v[i] = f64::NAN;
            prop_assert!(
                matches!(Sample::new(&v), Err(SampleError::NotFinite { index, .. }) if index == i),
                "NaN at index {} was not refused", i
            );
        }

        #[test]
        fn p_values_are_probabilities_and_symmetric(a in finite_vec(), b in finite_vec()) {
            let (x, y) = (s(&a), s(&b));
            let (p1, p2) = (two_test_p(&x, &y), two_test_p(&y, &x));
            prop_assert!((0.0..=1.0).contains(&p1.p));
            prop_assert!((0.0..=1.0).contains(&p1.mann_whitney.p));
            prop_assert!((0.0..=1.0).contains(&p1.ks.p));
            prop_assert!((p1.mann_whitney.p - p2.mann_whitney.p).abs() < 1e-12);
            prop_assert!((p1.ks.p - p2.ks.p).abs() < 1e-12);
            prop_assert!(p1.p <= p1.mann_whitney.p && p1.p <= p1.ks.p);
        }

        #[test]
        fn a_sample_is_not_different_from_itself(a in finite_vec()) {
            let x = s(&a);
            let t = two_test_p(&x, &x);
            prop_assert_eq!(t.ks.d, 0.0);
            prop_assert!(t.p > 0.9, "{:?}", t);
        }

        #[test]
        fn bh_adjusted_are_probabilities_no_smaller_and_order_preserving(
            p in prop::collection::vec(0.0f64..=1.0, 0..50)
        ) {
            let adj = benjamini_hochberg(&p);
            prop_assert_eq!(adj.len(), p.len());
            for i in 0..p.len() {
                prop_assert!(adj[i] >= p[i] - 1e-15 && adj[i] <= 1.0);
                for j in 0..p.len() {
                    if p[i] < p[j] {
                        prop_assert!(adj[i] <= adj[j] + 1e-15);
                    }
                }
            }
        }

        #[test]
        fn ratio_ci_scales_with_the_candidate(a in finite_vec(), b in finite_vec(), k in 0.5f64..2.0) {
            let cfg = BootstrapConfig { resamples: 200, ..Default::default() };
            let r = ratio_ci(&s(&a), &s(&b), &cfg).unwrap();
            prop_assert!(r.low <= r.high);
            let scaled: Vec<f64> = b.iter().map(|x| x * k).collect();
            let rk = ratio_ci(&s(&a), &s(&scaled), &cfg).unwrap();
            let tol = 1e-9 * r.high.abs().max(1.0) * k;
            prop_assert!((rk.ratio - r.ratio * k).abs() <= tol);
            prop_assert!((rk.low - r.low * k).abs() <= tol);
            prop_assert!((rk.high - r.high * k).abs() <= tol);
        }

        #[test]
        fn identical_samples_give_ratio_one(a in finite_vec()) {
            let x = s(&a);
            let cfg = BootstrapConfig { resamples: 100, ..Default::default() };
            let r = ratio_ci(&x, &x, &cfg).unwrap();
            prop_assert_eq!(r.ratio, 1.0);
            prop_assert!(r.low <= 1.0 && r.high >= 1.0, "{:?}", r);
        }
    }
}
