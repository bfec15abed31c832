//! The result of a `pinbench bisect` as one self-contained HTML page (`result.html`, beside
//! `result.txt` and `result.json`): inline CSS and hand-written inline SVG, no script, nothing
//! fetched. Sections, in order:
//!
//! 1. the outcome in one sentence, in a box coloured by what it means (red: a culprit was
//!    found; amber: inconclusive, or the culprit hides among broken candidates; blue: nothing
//!    to bisect; grey: an endpoint could not be measured), with the culprit's effect against
//!    the good endpoint (ratio of medians and its 95% bootstrap interval) when there is one;
//! 2. a figure over the candidates in order, good end on the left: for a speed metric every
//!    sample of every measured candidate as a jittered strip over a box (min, quartiles,
//!    median, max); for a behaviour metric one cell per candidate, its observation in the
//!    cell's tooltip. Marks are coloured by the candidate's class; candidates never measured
//!    keep an empty grey slot and their tick, broken ones a dark ×, and a dashed red line
//!    separates the last good candidate from the culprit;
//! 3. the candidates: index, label, spec, class, boots, samples and median (speed) or the
//!    behaviour seen; the culprit's row outlined;
//! 4. every step of the search: candidate, boots, class, or why it was broken;
//! 5. the text result (`result.txt`) verbatim.
//!
//! A candidate's class is the last class a step gave it; a candidate no step classed is
//! "broken" if a step failed on it, the endpoints are "good endpoint" and "bad endpoint"
//! (unless they never measured), and a found culprit and last good are "bad" and "good".
//! A later failed re-measurement (the search re-measures the range's ends when samples are
//! thin) does not turn a classed candidate into a broken one: the search kept its class.
//! Colour is never the only signal: every class is also written out in the tables and
//! tooltips.
//!
//! Every string from the user or the run (metric id, labels, specs, reasons, behaviours, the
//! text result) goes through [`escape`]. Non-finite samples are skipped (and counted in the
//! table), indices beyond the candidate list are ignored, and a flat set of samples gets a
//! padded y range, so no input makes the page panic or draw `NaN`.

use super::{Class, Outcome, ResultView};
use report::export::html::{escape, page_head};
use report::plot::{colour, css};
use std::fmt::Write;

const CSS: &str = r#"
.outcome { border-left: 6px solid #999; padding: 0.5em 1em; margin: 1em 0; }
.outcome p { margin: 0.3em 0; }
.outcome .headline { font-size: 1.15em; font-weight: bold; }
.outcome-found { background: #f8d0d0; border-color: #c00; }
.outcome-broken-range, .outcome-inconclusive { background: #fff3c4; border-color: #d89a00; }
.outcome-no-difference { background: #e4ecf7; border-color: #4e79a7; }
.outcome-endpoint-broken { background: #eee; border-color: #555; }
.k-good, .k-good-endpoint { background: #d3efd3; } .k-bad, .k-bad-endpoint { background: #f8d0d0; }
.k-unsure { background: #fff3c4; } .k-other { background: #ecdcea; } .k-measured { background: #e4ecf7; }
.k-broken { background: #ddd; } .k-unmeasured { color: #999; }
tr.culprit { outline: 3px solid #c00; outline-offset: -3px; } tr.culprit td { font-weight: bold; }
.badge { background: #c00; color: #fff; border-radius: 3px; padding: 0 4px; font-size: 0.8em; }
.figure { overflow-x: auto; margin: 0.5em 0 1.5em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto; }
"#;

/// What the page says a candidate is.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// No step measured it.
    Unmeasured,
    /// Measured, never classed (a non-endpoint re-measured as the range's end).
    Measured,
    GoodEndpoint,
    BadEndpoint,
    Class(Class),
    /// Never measured: every try failed; the last reason.
    Broken(String),
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Unmeasured => "not measured",
            Kind::Measured => "measured",
            Kind::GoodEndpoint => "good endpoint",
            Kind::BadEndpoint => "bad endpoint",
            Kind::Class(Class::Good) => "good",
            Kind::Class(Class::Bad) => "bad",
            Kind::Class(Class::Unsure) => "unsure",
            Kind::Class(Class::Other) => "other behaviour",
            Kind::Broken(_) => "broken",
        }
    }

    /// CSS class (table rows and SVG groups).
    fn css(&self) -> &'static str {
        match self {
            Kind::Unmeasured => "k-unmeasured",
            Kind::Measured => "k-measured",
            Kind::GoodEndpoint => "k-good-endpoint",
            Kind::BadEndpoint => "k-bad-endpoint",
            Kind::Class(Class::Good) => "k-good",
            Kind::Class(Class::Bad) => "k-bad",
            Kind::Class(Class::Unsure) => "k-unsure",
            Kind::Class(Class::Other) => "k-other",
            Kind::Broken(_) => "k-broken",
        }
    }

    /// Mark colour in the figure (the report's palette, endpoints darker).
    fn colour(&self) -> String {
        match self {
            Kind::Unmeasured => "#bbbbbb".into(),
            Kind::Measured => css(colour(0)),
            Kind::GoodEndpoint => "#2e7d32".into(),
            Kind::BadEndpoint => "#a11d1f".into(),
            Kind::Class(Class::Good) => css(colour(2)),
            Kind::Class(Class::Bad) => css(colour(3)),
            Kind::Class(Class::Unsure) => css(colour(1)),
            Kind::Class(Class::Other) => css(colour(4)),
            Kind::Broken(_) => "#444444".into(),
        }
    }

    /// Legend order.
    fn rank(&self) -> u8 {
        match self {
            Kind::GoodEndpoint => 0,
            Kind::Class(Class::Good) => 1,
            Kind::Class(Class::Bad) => 2,
            Kind::BadEndpoint => 3,
            Kind::Class(Class::Unsure) => 4,
            Kind::Class(Class::Other) => 5,
            Kind::Measured => 6,
            Kind::Broken(_) => 7,
            Kind::Unmeasured => 8,
        }
    }
}

/// What the page knows of each candidate, index-aligned with `v.candidates`.
struct Facts {
    kinds: Vec<Kind>,
    /// Boots of steps that measured it, and of steps that failed.
    boots: Vec<(u32, u32)>,
    /// Finite samples, sorted.
    samples: Vec<Vec<f64>>,
    /// Samples skipped for being NaN or infinite.
    non_finite: Vec<usize>,
    /// The culprit when one was found (and is in the list).
    culprit: Option<usize>,
    /// (last good, culprit) when found and both are in the list.
    change: Option<(usize, usize)>,
}

impl Facts {
    fn of(v: &ResultView) -> Facts {
        let n = v.candidates.len();
        let mut kinds = vec![Kind::Unmeasured; n];
        let mut boots = vec![(0u32, 0u32); n];
        let mut classed = vec![false; n];
        for st in &v.result.steps {
            let i = st.candidate;
            if i >= n {
                continue;
            }
            match (&st.broken, st.class) {
                (Some(why), _) => {
                    boots[i].1 = boots[i].1.saturating_add(st.repeats);
                    if !classed[i] {
                        kinds[i] = Kind::Broken(why.clone());
                    }
                }
                (None, Some(c)) => {
                    boots[i].0 = boots[i].0.saturating_add(st.repeats);
                    kinds[i] = Kind::Class(c);
                    classed[i] = true;
                }
                (None, None) => {
                    boots[i].0 = boots[i].0.saturating_add(st.repeats);
                    if !classed[i] {
                        kinds[i] = Kind::Measured;
                    }
                }
            }
        }
        for (i, k) in kinds.iter_mut().enumerate() {
            let endpoint = if i == 0 {
                Kind::GoodEndpoint
            } else if i + 1 == n {
                Kind::BadEndpoint
            } else {
                continue;
            };
            if boots[i].0 > 0 || classed[i] {
                *k = endpoint;
            }
        }
        let (mut culprit, mut change) = (None, None);
        if let Outcome::Found {
            last_good,
            culprit: c,
        } = v.result.outcome
        {
            if c < n {
                culprit = Some(c);
                if c != 0 && c + 1 != n {
                    kinds[c] = Kind::Class(Class::Bad);
                }
            }
            if last_good < n && last_good != 0 && last_good + 1 != n {
                kinds[last_good] = Kind::Class(Class::Good);
            }
            if c < n && last_good < n {
                change = Some((last_good, c));
            }
        }
        let mut samples = vec![Vec::new(); n];
        let mut non_finite = vec![0; n];
        for (&i, xs) in v.samples.iter().filter(|(&i, _)| i < n) {
            let mut f: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
            f.sort_by(f64::total_cmp);
            non_finite[i] = xs.len() - f.len();
            samples[i] = f;
        }
        Facts {
            kinds,
            boots,
            samples,
            non_finite,
            culprit,
            change,
        }
    }

    fn any_samples(&self) -> bool {
        self.samples.iter().any(|s| !s.is_empty())
    }
}

/// A candidate's label as a reader calls it (raw, escape before use).
fn label(v: &ResultView, i: usize) -> String {
    match v.candidates.get(i) {
        Some(c) => c.label.clone(),
        None => format!("candidate #{i} (not in the candidate list)"),
    }
}

/// At most `max` characters of `s`, with an ellipsis when cut (raw, escape after).
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Render the result page.
pub fn render(v: &ResultView) -> String {
    let f = Facts::of(v);
    let mut h = String::new();
    let title = format!("pinbench bisect: {}", v.metric);
    h.push_str(&page_head(&title, CSS));
    let total_boots: u64 = v.result.steps.iter().map(|s| u64::from(s.repeats)).sum();
    let _ = writeln!(
        h,
        "<p>Bisected {} on metric <code>{}</code>: {} candidate(s), {} step(s), {} boot(s).</p>",
        escape(v.what),
        escape(v.metric),
        v.candidates.len(),
        v.result.steps.len(),
        total_boots
    );
    headline(&mut h, v, &f);
    h.push_str("<h2 id=\"figure\">Candidates in order</h2>\n");
    figure(&mut h, v, &f);
    candidates_table(&mut h, v, &f);
    steps_table(&mut h, v);
    let _ = writeln!(
        h,
        "<h2 id=\"text\">Text result</h2>\n<pre>{}</pre>",
        escape(v.text)
    );
    h.push_str("</body>\n</html>\n");
    h
}

/// The effect of the culprit, as the headline says it.
fn effect_text(effect: Option<(f64, f64, f64)>) -> String {
    match effect {
        Some((r, lo, hi)) if r.is_finite() && lo.is_finite() && hi.is_finite() => format!(
            "median ×{r:.4} ({:+.2}%), 95% CI [{lo:.4}, {hi:.4}] (culprit against the good endpoint)",
            (r - 1.0) * 100.0
        ),
        Some(_) => "effect size not available (the ratio or its interval is not a number)".into(),
        None => "effect size not computed (too few samples of the culprit or the good endpoint, \
                 or a behaviour metric)"
            .into(),
    }
}

fn headline(h: &mut String, v: &ResultView, f: &Facts) {
    let b = |i: usize| format!("<b>{}</b>", escape(&label(v, i)));
    let (class, sentence, more): (&str, String, Option<String>) = match &v.result.outcome {
        Outcome::Found { last_good, culprit } => (
            "outcome-found",
            format!(
                "first bad: {} &nbsp;·&nbsp; last good: {}",
                b(*culprit),
                b(*last_good)
            ),
            Some(escape(&effect_text(v.effect))),
        ),
        Outcome::BrokenRange {
            last_good,
            first_bad,
            broken,
        } => {
            let list: Vec<String> = broken
                .iter()
                .map(|&i| match f.kinds.get(i) {
                    Some(Kind::Broken(why)) => {
                        format!("{} ({})", b(i), escape(why))
                    }
                    _ => b(i),
                })
                .collect();
            (
                "outcome-broken-range",
                format!(
                    "no single culprit: the change is after {} and at or before {}, but {} \
                     could not be measured (broken)",
                    b(*last_good),
                    b(*first_bad),
                    if broken.len() == 1 {
                        "the candidate between them".to_string()
                    } else {
                        format!("the {} candidates between them", broken.len())
                    }
                ),
                Some(format!(
                    "Any of these, or {}, may be the culprit: {}.",
                    b(*first_bad),
                    list.join(", ")
                )),
            )
        }
        Outcome::Inconclusive {
            last_good,
            first_bad,
            at,
            why,
        } => (
            "outcome-inconclusive",
            format!(
                "inconclusive: the change is after {} and at or before {}",
                b(*last_good),
                b(*first_bad)
            ),
            Some(format!(
                "Stopped at {}: {}. Re-run with more <code>--max-repeat</code>, or with \
                 <code>--clock icount</code>.",
                b(*at),
                escape(why)
            )),
        ),
        Outcome::NoDifference { why } => (
            "outcome-no-difference",
            format!("nothing to bisect: {}", escape(why)),
            None,
        ),
        Outcome::EndpointBroken { endpoint, why } => (
            "outcome-endpoint-broken",
            format!(
                "the {} endpoint {} could not be measured",
                if *endpoint == 0 { "good" } else { "bad" },
                b(*endpoint)
            ),
            Some(format!("Why: {}", escape(why))),
        ),
    };
    let _ = writeln!(
        h,
        "<section class=\"outcome {class}\" id=\"outcome\">\n<p class=\"headline\">{sentence}</p>"
    );
    if let Some(m) = more {
        let _ = writeln!(h, "<p>{m}</p>");
    }
    h.push_str("</section>\n");
}

/// Layout of the figure's x axis: one slot per candidate.
struct Slots {
    left: f64,
    width: f64,
    n: usize,
}

impl Slots {
    fn new(n: usize) -> Slots {
        Slots {
            left: 78.0,
            width: (640.0 / n.max(1) as f64).clamp(26.0, 64.0),
            n,
        }
    }
    fn x0(&self, i: usize) -> f64 {
        self.left + self.width * i as f64
    }
    fn cx(&self, i: usize) -> f64 {
        self.x0(i) + self.width / 2.0
    }
    fn right(&self) -> f64 {
        self.x0(self.n)
    }
}

/// Longest label drawn under the axis, in characters.
const AXIS_LABEL_CHARS: usize = 28;

/// Candidate indices and rotated labels under the x axis at `y`; returns the height used.
fn x_axis(h: &mut String, v: &ResultView, s: &Slots, y: f64) -> f64 {
    let longest = v
        .candidates
        .iter()
        .map(|c| c.label.chars().count().min(AXIS_LABEL_CHARS))
        .max()
        .unwrap_or(0);
    h.push_str("<g class=\"x-axis\" font-size=\"11\" fill=\"#333\">\n");
    let _ = writeln!(
        h,
        "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#333\"/>",
        s.left,
        s.right()
    );
    for (i, c) in v.candidates.iter().enumerate() {
        let x = s.cx(i);
        let _ = writeln!(
            h,
            "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{i}</text>\
             <text transform=\"translate({x:.1},{:.1}) rotate(90)\" font-size=\"10\">{}</text>",
            y + 4.0,
            y + 16.0,
            y + 22.0,
            escape(&shorten(&c.label, AXIS_LABEL_CHARS))
        );
    }
    h.push_str("</g>\n");
    22.0 + longest as f64 * 6.0 + 8.0
}

/// A dashed line between the last good candidate and the culprit, from `y0` to `y1`.
fn change_marker(h: &mut String, f: &Facts, s: &Slots, y0: f64, y1: f64) {
    if let Some((g, c)) = f.change {
        let x = (s.cx(g) + s.cx(c)) / 2.0;
        // The caption to the right of the line, or to its left near the figure's right edge.
        let (tx, anchor) = if x + 70.0 > s.right() {
            (x - 3.0, "end")
        } else {
            (x + 3.0, "start")
        };
        let _ = writeln!(
            h,
            "<g class=\"change-marker\"><title>the change: after the last good candidate, at \
             the first bad one</title><line x1=\"{x:.1}\" y1=\"{y0:.1}\" x2=\"{x:.1}\" \
             y2=\"{y1:.1}\" stroke=\"#c00\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"11\" \
             fill=\"#c00\">first bad →</text></g>",
            y0 + 10.0
        );
    }
}

fn figure(h: &mut String, v: &ResultView, f: &Facts) {
    if v.candidates.is_empty() {
        h.push_str("<p>No candidates: nothing to draw.</p>\n");
        return;
    }
    h.push_str("<div class=\"figure\">\n");
    if f.any_samples() {
        strip(h, v, f);
    } else {
        cells(h, v, f);
    }
    h.push_str("</div>\n");
    legend(h, f);
}

fn legend(h: &mut String, f: &Facts) {
    let mut kinds: Vec<&Kind> = Vec::new();
    for k in &f.kinds {
        if !kinds.iter().any(|x| x.rank() == k.rank()) {
            kinds.push(k);
        }
    }
    kinds.sort_by_key(|k| k.rank());
    h.push_str("<p class=\"legend\">");
    for k in kinds {
        let _ = write!(
            h,
            "<span class=\"swatch\" style=\"background:{}\"></span>{} &nbsp; ",
            k.colour(),
            k.name()
        );
    }
    if f.change.is_some() {
        h.push_str("<span style=\"color:#c00\">- - -</span> the change");
    }
    h.push_str("</p>\n");
}

/// Quantile `q` of sorted values (Hyndman & Fan definition 7, as `report::stats`).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let (lo, frac) = (pos.floor() as usize, pos.fract());
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (sorted[hi] - sorted[lo]) * frac
        }
    }
}

/// A round tick step near `x`: 1, 2 or 5 times a power of ten.
fn nice_step(x: f64) -> Option<f64> {
    if !(x.is_finite() && x > 0.0) {
        return None;
    }
    let e = 10f64.powf(x.log10().floor());
    let m = x / e;
    let step = e * if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    (step.is_finite() && step > 0.0).then_some(step)
}

/// The y range (padded, never empty) and its ticks, from the lowest and highest value.
fn y_scale(min: f64, max: f64) -> (f64, f64, Vec<f64>, f64) {
    let (lo, hi) = if min == max {
        let pad = if min.abs() > 1e-200 {
            min.abs() * 0.05
        } else {
            1.0
        };
        (min - pad, max + pad)
    } else {
        // Halves, so that a span near f64::MAX does not overflow.
        let pad = (max / 2.0 - min / 2.0) * 0.1;
        ((min - pad).max(f64::MIN), (max + pad).min(f64::MAX))
    };
    let half = hi / 2.0 - lo / 2.0;
    let mut ticks = Vec::new();
    let step = nice_step(half / 2.5);
    if let Some(step) = step {
        let first = (lo / step).ceil() * step;
        for k in 0..50 {
            let t = first + step * k as f64;
            if !t.is_finite() || t > hi {
                break;
            }
            ticks.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        }
    }
    if ticks.is_empty() {
        ticks = vec![lo, hi];
    }
    (lo, hi, ticks, step.unwrap_or(half))
}

/// A tick value in few characters, with as many decimals as the step needs:
/// 1250000 -> "1.25M", 0.5 -> "0.5".
fn tick_label(t: f64, step: f64, magnitude: f64) -> String {
    let (scale, suffix) = if magnitude >= 1e9 {
        (1e9, "G")
    } else if magnitude >= 1e6 {
        (1e6, "M")
    } else if magnitude >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let digits = (-(step / scale).log10() - 1e-9).ceil();
    let digits = if digits.is_finite() {
        digits.clamp(0.0, 12.0) as usize
    } else {
        0
    };
    let mut s = format!("{:.*}", digits, t / scale);
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s == "-0" {
        s = "0".into();
    }
    format!("{s}{suffix}")
}

/// A value for a table or tooltip: six significant digits, no trailing zeros.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor();
    if !(-6.0..15.0).contains(&mag) {
        return format!("{x:.5e}");
    }
    let digits = (5.0 - mag).clamp(0.0, 12.0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Speed metrics: every sample as a jittered strip over a box per measured candidate.
fn strip(h: &mut String, v: &ResultView, f: &Facts) {
    const TOP: f64 = 24.0;
    const PLOT_H: f64 = 280.0;
    let s = Slots::new(v.candidates.len());
    let all = f.samples.iter().flatten();
    let min = all.clone().copied().fold(f64::INFINITY, f64::min);
    let max = all.copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi, ticks, step) = y_scale(min, max);
    let half = hi / 2.0 - lo / 2.0;
    let y = |x: f64| {
        let t = (x / 2.0 - lo / 2.0) / half;
        TOP + PLOT_H * (1.0 - if t.is_finite() { t } else { 0.5 })
    };
    let base = TOP + PLOT_H;
    let mut axis = String::new();
    let below = x_axis(&mut axis, v, &s, base);
    let width = s.right() + 16.0;
    let height = base + below + 4.0;
    let _ = writeln!(
        h,
        "<svg class=\"strip\" role=\"img\" aria-labelledby=\"fig-title\" width=\"{width:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\">\n\
         <title id=\"fig-title\">{}: every sample of every measured candidate, good end left, \
         coloured by class</title>",
        escape(v.metric)
    );
    // Y axis: grid, ticks, title.
    h.push_str("<g class=\"y-axis\" font-size=\"11\" fill=\"#333\">\n");
    let magnitude = lo.abs().max(hi.abs());
    for &t in &ticks {
        let ty = y(t);
        let _ = writeln!(
            h,
            "<line x1=\"{:.1}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\" stroke=\"#eee\"/>\
             <line x1=\"{:.1}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\" stroke=\"#333\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            s.left,
            s.right(),
            s.left - 4.0,
            s.left,
            s.left - 6.0,
            ty + 4.0,
            tick_label(t, step, magnitude)
        );
    }
    let _ = writeln!(
        h,
        "<line x1=\"{l:.1}\" y1=\"{TOP:.1}\" x2=\"{l:.1}\" y2=\"{base:.1}\" stroke=\"#333\"/>\
         <text transform=\"translate(14,{:.1}) rotate(-90)\" text-anchor=\"middle\" \
         font-size=\"12\">{}</text>\n</g>",
        TOP + PLOT_H / 2.0,
        escape(&shorten(v.metric, 48)),
        l = s.left
    );
    for (i, kind) in f.kinds.iter().enumerate() {
        let (x0, cx, w) = (s.x0(i), s.cx(i), s.width);
        let name = label(v, i);
        let xs = &f.samples[i];
        if xs.is_empty() {
            let (tip, mark) = match kind {
                Kind::Broken(why) => (
                    format!("{name}: broken: {why}"),
                    format!(
                        "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"16\" \
                         fill=\"{}\">×</text>",
                        base - 8.0,
                        kind.colour()
                    ),
                ),
                _ => (
                    format!("{name}: {} (no samples)", kind.name()),
                    String::new(),
                ),
            };
            let _ = writeln!(
                h,
                "<g class=\"slot {}\" data-candidate=\"{i}\"><title>{}</title>\
                 <rect x=\"{:.1}\" y=\"{TOP:.1}\" width=\"{:.1}\" height=\"{PLOT_H:.1}\" \
                 fill=\"#f3f3f3\"/>{mark}</g>",
                kind.css(),
                escape(&tip),
                x0 + 2.0,
                w - 4.0
            );
            continue;
        }
        let c = kind.colour();
        let (q0, q1, q2, q3, q4) = (
            xs[0],
            quantile(xs, 0.25),
            quantile(xs, 0.5),
            quantile(xs, 0.75),
            xs[xs.len() - 1],
        );
        let tip = format!(
            "{name}: {}; {} sample(s), median {}, min {}, max {}",
            kind.name(),
            xs.len(),
            num(q2),
            num(q0),
            num(q4)
        );
        let bw = w * 0.6;
        let _ = writeln!(
            h,
            "<g class=\"marks {}\" data-candidate=\"{i}\"><title>{}</title>\
             <line x1=\"{cx:.1}\" y1=\"{:.1}\" x2=\"{cx:.1}\" y2=\"{:.1}\" stroke=\"{c}\"/>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{c}\" \
             fill-opacity=\"0.2\" stroke=\"{c}\"/>\
             <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{c}\" \
             stroke-width=\"2.5\"/>",
            kind.css(),
            escape(&tip),
            y(q4),
            y(q0),
            cx - bw / 2.0,
            y(q3),
            (y(q1) - y(q3)).max(0.5),
            cx - bw / 2.0,
            y(q2),
            cx + bw / 2.0,
            y(q2)
        );
        for (k, &x) in xs.iter().enumerate() {
            // Deterministic jitter (golden-ratio sequence), so pages compare byte for byte.
            let dx = ((k as f64 * 0.618_033_988_75).fract() - 0.5) * w * 0.5;
            let _ = write!(
                h,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"{c}\" fill-opacity=\"0.6\"/>",
                cx + dx,
                y(x)
            );
        }
        h.push_str("</g>\n");
    }
    change_marker(h, f, &s, TOP, base);
    h.push_str(&axis);
    h.push_str("</svg>\n");
}

/// Behaviour metrics (or nothing measured): one cell per candidate, coloured by class.
fn cells(h: &mut String, v: &ResultView, f: &Facts) {
    const TOP: f64 = 18.0;
    const CELL_H: f64 = 40.0;
    let s = Slots::new(v.candidates.len());
    let base = TOP + CELL_H + 6.0;
    let mut axis = String::new();
    let below = x_axis(&mut axis, v, &s, base);
    let width = s.right() + 16.0;
    let height = base + below + 4.0;
    let _ = writeln!(
        h,
        "<svg class=\"cells\" role=\"img\" aria-labelledby=\"fig-title\" width=\"{width:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\">\n\
         <title id=\"fig-title\">{}: what each candidate showed, good end left, coloured by \
         class (the behaviour is in each cell's tooltip)</title>",
        escape(v.metric)
    );
    let _ = writeln!(
        h,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">behaviour</text>",
        s.left - 6.0,
        TOP + CELL_H / 2.0 + 4.0,
    );
    for (i, kind) in f.kinds.iter().enumerate() {
        let name = label(v, i);
        let (group, tip) = match (v.behaviour.get(&i), kind) {
            (Some(b), _) => ("marks", format!("{name}: {b} ({})", kind.name())),
            (None, Kind::Broken(why)) => ("slot", format!("{name}: broken: {why}")),
            (None, _) => ("slot", format!("{name}: {}", kind.name())),
        };
        let fill = if matches!(kind, Kind::Unmeasured) {
            "#f3f3f3".into()
        } else {
            kind.colour()
        };
        let cross = if matches!(kind, Kind::Broken(_)) {
            format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"16\" \
                 fill=\"#fff\">×</text>",
                s.cx(i),
                TOP + CELL_H / 2.0 + 5.0
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<g class=\"{group} {}\" data-candidate=\"{i}\"><title>{}</title>\
             <rect x=\"{:.1}\" y=\"{TOP:.1}\" width=\"{:.1}\" height=\"{CELL_H:.1}\" \
             fill=\"{fill}\" stroke=\"#fff\"/>{cross}</g>",
            kind.css(),
            escape(&tip),
            s.x0(i) + 1.0,
            s.width - 2.0
        );
    }
    change_marker(h, f, &s, TOP - 14.0, TOP + CELL_H + 4.0);
    h.push_str(&axis);
    h.push_str("</svg>\n");
}

fn candidates_table(h: &mut String, v: &ResultView, f: &Facts) {
    let speed = f.any_samples() || v.samples.keys().any(|&i| i < v.candidates.len());
    let behaviour = v.behaviour.keys().any(|&i| i < v.candidates.len());
    h.push_str(
        "<h2 id=\"candidates\">Candidates</h2>\n<table class=\"candidates\"><thead><tr>\
         <th>#</th><th>label</th><th>spec</th><th>class</th><th>boots measured</th>",
    );
    if speed {
        h.push_str("<th>samples</th><th>median</th>");
    }
    if behaviour {
        h.push_str("<th>behaviour</th>");
    }
    h.push_str("</tr></thead><tbody>\n");
    for (i, c) in v.candidates.iter().enumerate() {
        let kind = &f.kinds[i];
        let is_culprit = f.culprit == Some(i);
        let class = match kind {
            Kind::Broken(why) => format!("broken: {}", escape(why)),
            k => k.name().to_string(),
        };
        let (ok, failed) = f.boots[i];
        let boots = if failed > 0 {
            format!("{ok} (+{failed} failed)")
        } else {
            ok.to_string()
        };
        let _ = write!(
            h,
            "<tr class=\"{}{}\"><td class=\"num\">{i}</td><td>{}{}</td><td class=\"id\">{}</td>\
             <td>{class}</td><td class=\"num\">{boots}</td>",
            kind.css(),
            if is_culprit { " culprit" } else { "" },
            escape(&c.label),
            if is_culprit {
                " <span class=\"badge\">first bad</span>"
            } else {
                ""
            },
            escape(&c.spec)
        );
        if speed {
            let xs = &f.samples[i];
            let count = match f.non_finite[i] {
                0 => xs.len().to_string(),
                k => format!("{} (+{k} non-finite, skipped)", xs.len()),
            };
            let median = if xs.is_empty() {
                "–".to_string()
            } else {
                num(quantile(xs, 0.5))
            };
            let _ = write!(
                h,
                "<td class=\"num\">{count}</td><td class=\"num\">{median}</td>"
            );
        }
        if behaviour {
            let _ = write!(
                h,
                "<td class=\"id\">{}</td>",
                v.behaviour.get(&i).map(|b| escape(b)).unwrap_or_default()
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
}

fn steps_table(h: &mut String, v: &ResultView) {
    h.push_str("<h2 id=\"steps\">Steps</h2>\n");
    if v.result.steps.is_empty() {
        h.push_str("<p>No steps were taken.</p>\n");
        return;
    }
    h.push_str(
        "<table class=\"steps\"><thead><tr><th>step</th><th>candidate</th><th>boots</th>\
         <th>class</th></tr></thead><tbody>\n",
    );
    let n = v.candidates.len();
    for (k, st) in v.result.steps.iter().enumerate() {
        let (css_class, what) = match (&st.broken, st.class) {
            (Some(why), _) => ("k-broken", format!("broken: {}", escape(why))),
            (None, Some(c)) => {
                let k = Kind::Class(c);
                (k.css(), k.name().to_string())
            }
            (None, None) if st.candidate == 0 || st.candidate + 1 == n => {
                ("", "endpoint".to_string())
            }
            (None, None) => ("", "measured".to_string()),
        };
        let _ = writeln!(
            h,
            "<tr class=\"{css_class}\"><td class=\"num\">{}</td><td>{} <span class=\"id\">(#{})</span></td>\
             <td class=\"num\">{}</td><td>{what}</td></tr>",
            k + 1,
            escape(&label(v, st.candidate)),
            st.candidate,
            st.repeats
        );
    }
    h.push_str("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    use super::super::{BisectResult, Candidate, Step};
    use super::*;
    use std::collections::BTreeMap;

    /// Owned data a [`ResultView`] borrows.
    struct Fixture {
        metric: String,
        what: String,
        candidates: Vec<Candidate>,
        result: BisectResult,
        effect: Option<(f64, f64, f64)>,
        samples: BTreeMap<usize, Vec<f64>>,
        behaviour: BTreeMap<usize, String>,
        text: String,
    }

    impl Fixture {
        fn new(labels: &[&str], outcome: Outcome, steps: Vec<Step>) -> Fixture {
            Fixture {
                metric: "gup/anon/fast/4k/ns_per_page".into(),
                what: "Debian point releases".into(),
                candidates: labels
                    .iter()
                    .map(|l| Candidate {
                        spec: format!("debian:{l}"),
                        label: l.to_string(),
                    })
                    .collect(),
                result: BisectResult { outcome, steps },
                effect: None,
                samples: BTreeMap::new(),
                behaviour: BTreeMap::new(),
                text: "first bad: ...\n".into(),
            }
        }

        fn view(&self) -> ResultView<'_> {
            ResultView {
                metric: &self.metric,
                what: &self.what,
                candidates: &self.candidates,
                result: &self.result,
                effect: self.effect,
                samples: &self.samples,
                behaviour: &self.behaviour,
                text: &self.text,
            }
        }

        fn page(&self) -> String {
            render(&self.view())
        }
    }

    fn step(candidate: usize, repeats: u32, class: Option<Class>) -> Step {
        Step {
            candidate,
            repeats,
            class,
            broken: None,
        }
    }

    fn broken(candidate: usize, why: &str) -> Step {
        Step {
            candidate,
            repeats: 2,
            class: None,
            broken: Some(why.into()),
        }
    }

    /// `n` values around `level`, a little spread.
    fn around(level: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|k| level * (1.0 + 0.01 * (k % 5) as f64))
            .collect()
    }

    /// Text between the first `from` and the next `to` after it.
    fn section<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
        let a = page
            .find(from)
            .unwrap_or_else(|| panic!("{from} not in page"));
        let b = page[a..]
            .find(to)
            .unwrap_or_else(|| panic!("{to} not after {from}"))
            + a;
        &page[a..b + to.len()]
    }

    /// The table row whose label cell starts with `label`.
    fn row<'a>(page: &'a str, table: &str, label: &str) -> &'a str {
        let t = section(page, &format!("<table class=\"{table}\""), "</table>");
        t.split("<tr")
            .find(|r| r.contains(&format!("<td>{label}")))
            .unwrap_or_else(|| panic!("no row for {label} in {table}"))
    }

    /// Elements the page may contain: nothing that runs or loads.
    const TAGS: [&str; 29] = [
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "code",
        "section", "div", "span", "svg", "g", "line", "rect", "circle", "text", "table", "thead",
        "tbody", "tr", "th", "td", "pre", "br",
    ];

    /// One document, nothing executable, nothing fetched: every tag is an allowed element
    /// and no tag has a src= or an off-page href=.
    fn assert_self_contained(page: &str) {
        assert!(page.starts_with("<!DOCTYPE html>\n<html"), "{page}");
        assert!(page.ends_with("</body>\n</html>\n"));
        assert_eq!(page.matches("<!DOCTYPE").count(), 1);
        assert_eq!(page.matches("<html").count(), 1);
        assert_eq!(page.matches("<body>").count(), 1);
        assert!(!page.to_lowercase().contains("<script"));
        assert!(!page.contains("url("), "no CSS fetches");
        assert!(!page.contains("@import"));
        for (at, _) in page.match_indices('<') {
            let tag = &page[at + 1..at + 1 + page[at + 1..].find('>').expect("tag closed")];
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
                .collect();
            assert!(TAGS.contains(&name.as_str()), "element <{tag}>");
            assert!(!tag.contains("src="), "nothing is loaded: <{tag}>");
            assert!(!tag.contains(" on"), "no event handlers: <{tag}>");
            for (h, _) in tag.match_indices("href=") {
                assert!(
                    tag[h..].starts_with("href=\"#"),
                    "only in-page links: <{tag}>"
                );
            }
        }
    }

    fn marks(page: &str) -> usize {
        page.matches("<g class=\"marks ").count()
    }

    fn svg(page: &str) -> &str {
        section(page, "<svg", "</svg>")
    }

    const RELEASES: [&str; 5] = ["6.1.10", "6.1.11", "6.1.12", "6.1.13", "6.1.14"];

    /// Found on five candidates: 0 and 4 the endpoints, 2 good, 3 the culprit, 1 never
    /// measured.
    fn found() -> Fixture {
        let mut f = Fixture::new(
            &RELEASES,
            Outcome::Found {
                last_good: 2,
                culprit: 3,
            },
            vec![
                step(0, 2, None),
                step(4, 2, None),
                step(2, 2, Some(Class::Good)),
                step(3, 2, Some(Class::Unsure)),
                step(0, 4, None),
                step(4, 4, None),
                step(3, 4, Some(Class::Bad)),
            ],
        );
        f.effect = Some((1.2345, 1.2, 1.27));
        f.samples.insert(0, around(1000.0, 60));
        f.samples.insert(4, around(1234.0, 60));
        f.samples.insert(2, around(1000.0, 20));
        f.samples.insert(3, around(1234.0, 60));
        f
    }

    #[test]
    fn found_names_the_culprit_and_its_effect_first() {
        let page = found().page();
        assert_self_contained(&page);
        assert!(!page.contains("http://") && !page.contains("https://"));
        let outcome = section(&page, "<section class=\"outcome", "</section>");
        assert!(outcome.contains("outcome-found"), "{outcome}");
        assert!(
            outcome.contains("first bad: <b>6.1.13</b>"),
            "culprit named: {outcome}"
        );
        assert!(outcome.contains("last good: <b>6.1.12</b>"), "{outcome}");
        assert!(
            outcome.contains("median ×1.2345 (+23.45%), 95% CI [1.2000, 1.2700]"),
            "{outcome}"
        );
        // The order of the sections.
        let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s} missing"));
        assert!(at("<section class=\"outcome") < at("<svg"));
        assert!(at("<svg") < at("<table class=\"candidates\""));
        assert!(at("<table class=\"candidates\"") < at("<table class=\"steps\""));
        assert!(at("<table class=\"steps\"") < at("<pre>"));
        for l in RELEASES {
            assert!(page.contains(&format!("<td>{l}")), "{l} in the table");
        }
        assert!(page.contains("<pre>first bad: ...\n</pre>"));
    }

    #[test]
    fn the_figure_draws_every_measured_candidate_and_the_change() {
        let page = found().page();
        let svg = svg(&page);
        assert!(
            svg.starts_with("<svg class=\"strip\" role=\"img\""),
            "{svg}"
        );
        assert!(svg.contains("<title id=\"fig-title\">gup/anon/fast/4k/ns_per_page:"));
        // Four measured candidates, each one group; candidate 1 an empty slot.
        assert_eq!(marks(svg), 4);
        for i in [0, 2, 3, 4] {
            let mark = format!("data-candidate=\"{i}\"><title>{}: ", RELEASES[i]);
            assert!(svg.contains(&mark), "candidate {i}");
        }
        assert!(svg.contains("<g class=\"slot k-unmeasured\" data-candidate=\"1\">"));
        assert!(svg.contains("<g class=\"marks k-bad\" data-candidate=\"3\">"));
        assert!(svg.contains("<g class=\"marks k-good\" data-candidate=\"2\">"));
        assert!(svg.contains("<g class=\"marks k-good-endpoint\" data-candidate=\"0\">"));
        assert!(svg.contains("<g class=\"marks k-bad-endpoint\" data-candidate=\"4\">"));
        // Every sample is a point: 60 + 20 + 60 + 60.
        assert_eq!(svg.matches("<circle").count(), 200);
        // The change marker sits halfway between candidates 2 and 3.
        let s = Slots::new(5);
        let x = (s.cx(2) + s.cx(3)) / 2.0;
        assert!(svg.contains("<g class=\"change-marker\">"));
        assert!(svg.contains(&format!("x1=\"{x:.1}\"")));
        // The y axis: the metric id as title and compact tick labels.
        assert!(svg.contains("rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">gup/anon/fast/4k/ns_per_page</text>"));
        assert!(
            svg.contains(">1000</text>") || svg.contains(">1050</text>"),
            "{svg}"
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn the_tables_give_class_boots_and_median() {
        let page = found().page();
        let culprit = row(&page, "candidates", "6.1.13");
        assert!(culprit.starts_with(" class=\"k-bad culprit\""), "{culprit}");
        assert!(culprit.contains("<td>bad</td>"), "{culprit}");
        assert!(
            culprit.contains("<td class=\"num\">6</td>"),
            "2 + 4 boots: {culprit}"
        );
        assert_eq!(page.matches("<tr class=\"k-bad culprit\"").count(), 1);
        let good = row(&page, "candidates", "6.1.12");
        assert!(
            good.contains("<td>good</td>") && good.contains(">20</td>"),
            "{good}"
        );
        assert!(
            good.contains("<td class=\"num\">1020</td>"),
            "median: {good}"
        );
        let first = row(&page, "candidates", "6.1.10");
        assert!(first.contains("<td>good endpoint</td>"), "{first}");
        assert!(first.contains("<td class=\"num\">6</td>"), "{first}");
        let unmeasured = row(&page, "candidates", "6.1.11");
        assert!(unmeasured.contains("<td>not measured</td>"), "{unmeasured}");
        assert!(
            unmeasured.contains("<td class=\"num\">0</td>"),
            "{unmeasured}"
        );
        // Steps: seven rows, numbered, endpoints named as such.
        let steps = section(&page, "<table class=\"steps\"", "</table>");
        assert_eq!(steps.matches("<tr class=").count(), 7);
        assert!(steps.contains("<td class=\"num\">7</td><td>6.1.13 <span class=\"id\">(#3)</span></td><td class=\"num\">4</td><td>bad</td>"), "{steps}");
        assert!(steps.contains("<td>6.1.10 <span class=\"id\">(#0)</span></td><td class=\"num\">2</td><td>endpoint</td>"), "{steps}");
        assert!(steps.contains("<td>unsure</td>"));
    }

    #[test]
    fn the_outcome_decides_the_culprit_and_last_good_classes() {
        // A log whose steps last called the culprit unsure and never classed the last good
        // one (a resumed bisect): the outcome still names them bad and good.
        let mut f = Fixture::new(
            &RELEASES,
            Outcome::Found {
                last_good: 1,
                culprit: 2,
            },
            vec![
                step(0, 2, None),
                step(4, 2, None),
                step(2, 2, Some(Class::Bad)),
                step(2, 4, Some(Class::Unsure)),
                step(1, 2, None),
            ],
        );
        f.samples.insert(1, vec![1.0, 2.0]);
        f.samples.insert(2, vec![3.0, 4.0]);
        let page = f.page();
        assert!(row(&page, "candidates", "6.1.12").starts_with(" class=\"k-bad culprit\""));
        assert!(row(&page, "candidates", "6.1.11").contains("<td>good</td>"));
        assert!(page.contains("<g class=\"marks k-bad\" data-candidate=\"2\">"));
        assert!(page.contains("<g class=\"marks k-good\" data-candidate=\"1\">"));
        // The steps table keeps what each step said.
        let steps = section(&page, "<table class=\"steps\"", "</table>");
        assert!(steps.contains("<td>unsure</td>") && steps.contains("<td>measured</td>"));
    }

    #[test]
    fn a_broken_range_lists_the_broken_candidates_and_why() {
        let labels = ["a-good", "b", "c-good", "d-broken", "e-broken", "f-bad"];
        let mut f = Fixture::new(
            &labels,
            Outcome::BrokenRange {
                last_good: 2,
                first_bad: 5,
                broken: vec![3, 4],
            },
            vec![
                step(0, 2, None),
                step(5, 2, None),
                step(2, 2, Some(Class::Good)),
                broken(3, "does not boot: kernel panic"),
                broken(4, "build failed"),
            ],
        );
        f.samples.insert(0, around(10.0, 20));
        f.samples.insert(5, around(20.0, 20));
        f.samples.insert(2, around(10.0, 20));
        let page = f.page();
        assert_self_contained(&page);
        let outcome = section(&page, "<section class=\"outcome", "</section>");
        assert!(outcome.contains("outcome-broken-range"), "{outcome}");
        assert!(outcome.contains("no single culprit"), "{outcome}");
        assert!(outcome.contains("after <b>c-good</b> and at or before <b>f-bad</b>"));
        assert!(
            outcome.contains("<b>d-broken</b> (does not boot: kernel panic)"),
            "{outcome}"
        );
        assert!(
            outcome.contains("<b>e-broken</b> (build failed)"),
            "{outcome}"
        );
        let svg = svg(&page);
        assert_eq!(marks(svg), 3);
        assert_eq!(svg.matches("<g class=\"slot k-broken\"").count(), 2);
        assert!(svg.contains("<title>d-broken: broken: does not boot: kernel panic</title>"));
        assert!(!svg.contains("change-marker"), "no culprit, no marker");
        let r = row(&page, "candidates", "e-broken");
        assert!(
            r.contains("broken: build failed") && r.contains("0 (+2 failed)"),
            "{r}"
        );
        assert!(!page.contains(" culprit\""), "no row is the culprit");
    }

    #[test]
    fn inconclusive_gives_the_narrowed_range_and_why() {
        let why = "candidate 2 is neither clearly good nor clearly bad after 8 boots";
        let mut f = Fixture::new(
            &RELEASES,
            Outcome::Inconclusive {
                last_good: 1,
                first_bad: 4,
                at: 2,
                why: why.into(),
            },
            vec![
                step(0, 2, None),
                step(4, 2, None),
                step(1, 2, Some(Class::Good)),
                step(2, 2, Some(Class::Unsure)),
                step(2, 4, Some(Class::Unsure)),
                step(2, 8, Some(Class::Unsure)),
            ],
        );
        for i in 0..5 {
            f.samples.insert(i, around(100.0 + i as f64, 10));
        }
        f.samples.remove(&3);
        let page = f.page();
        assert_self_contained(&page);
        let outcome = section(&page, "<section class=\"outcome", "</section>");
        assert!(outcome.contains("outcome-inconclusive"), "{outcome}");
        assert!(
            outcome.contains("the change is after <b>6.1.11</b> and at or before <b>6.1.14</b>"),
            "{outcome}"
        );
        assert!(
            outcome.contains(&format!("Stopped at <b>6.1.12</b>: {why}")),
            "{outcome}"
        );
        let r = row(&page, "candidates", "6.1.12");
        assert!(r.starts_with(" class=\"k-unsure\""), "{r}");
        assert!(
            r.contains("<td class=\"num\">14</td>"),
            "2 + 4 + 8 boots: {r}"
        );
        assert_eq!(marks(svg(&page)), 4);
    }

    #[test]
    fn a_behaviour_bisect_draws_cells_with_the_behaviour_as_tooltip() {
        let labels = ["r0", "r1", "r2", "r3", "r4", "r5"];
        let mut f = Fixture::new(
            &labels,
            Outcome::Found {
                last_good: 3,
                culprit: 4,
            },
            vec![
                step(0, 2, None),
                step(5, 2, None),
                step(2, 2, Some(Class::Good)),
                step(3, 2, Some(Class::Good)),
                step(4, 2, Some(Class::Bad)),
            ],
        );
        f.metric = "pin/outcome/file-backed".into();
        for (i, b) in [
            (0, "pinned 1/1"),
            (2, "pinned 1/1"),
            (3, "pinned 1/1"),
            (4, "EFAULT"),
            (5, "EFAULT"),
        ] {
            f.behaviour.insert(i, b.into());
        }
        let page = f.page();
        assert_self_contained(&page);
        let outcome = section(&page, "<section class=\"outcome", "</section>");
        assert!(outcome.contains("first bad: <b>r4</b>"));
        assert!(outcome.contains("effect size not computed"), "{outcome}");
        let svg = svg(&page);
        assert!(
            svg.starts_with("<svg class=\"cells\" role=\"img\""),
            "{svg}"
        );
        assert_eq!(marks(svg), 5);
        assert!(!svg.contains("<circle"), "no samples drawn");
        assert!(svg.contains("<title>r4: EFAULT (bad)</title>"), "{svg}");
        assert!(
            svg.contains("<title>r3: pinned 1/1 (good)</title>"),
            "{svg}"
        );
        assert!(svg.contains(
            "<g class=\"slot k-unmeasured\" data-candidate=\"1\"><title>r1: not measured</title>"
        ));
        assert!(svg.contains("change-marker"));
        let r = row(&page, "candidates", "r4");
        assert!(
            r.contains("<td class=\"id\">EFAULT</td>") && r.contains("culprit"),
            "{r}"
        );
        assert!(!page.contains("<th>median</th>"), "no speed columns");
    }

    #[test]
    fn hostile_strings_appear_only_escaped() {
        let evil = "<script>alert(\"x\")</script>";
        let quote = "q' onmouseover='alert(1)";
        let img = "\"><img src=x onerror=alert(1)>";
        let mut f = Fixture::new(
            &[evil, quote, img, "plain"],
            Outcome::BrokenRange {
                last_good: 0,
                first_bad: 3,
                broken: vec![1, 2],
            },
            vec![
                step(0, 2, None),
                step(3, 2, None),
                broken(1, "<script>boom</script>"),
                broken(2, img),
            ],
        );
        f.metric = "m<b>etric\"".into();
        f.what = "git range <a>".into();
        f.candidates[3].spec = "<style>body{}</style>".into();
        f.text = "</pre><script>x</script>".into();
        f.samples.insert(0, vec![1.0, 2.0]);
        f.samples.insert(3, vec![3.0, 4.0]);
        f.behaviour.insert(3, "<i>odd</i>".into());
        let page = f.page();
        assert_self_contained(&page);
        assert!(!page.contains("<img"), "tag injected");
        assert!(!page.contains("onmouseover='"), "attribute injected");
        assert!(!page.contains("<i>odd"));
        assert!(!page.contains("<style>body"));
        assert!(!page.contains("m<b>etric"));
        assert!(!page.contains("<a>"));
        assert_eq!(page.matches("<pre>").count(), 1);
        assert_eq!(page.matches("</pre>").count(), 1);
        let esc = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;";
        assert!(
            page.contains(&format!("<td>{esc}")),
            "label escaped in the table"
        );
        assert!(
            page.contains(&format!("<title>{esc}: good endpoint;")),
            "and in the figure"
        );
        assert!(page.contains("q&#39; onmouseover=&#39;alert(1)"));
        assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        assert!(page.contains("m&lt;b&gt;etric&quot;"));
        assert!(page.contains("&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;"));
        assert!(page.contains("broken: &lt;script&gt;boom&lt;/script&gt;"));
        assert!(page.contains("&lt;i&gt;odd&lt;/i&gt;"));
    }

    #[test]
    fn odd_inputs_do_not_panic_or_draw_nan() {
        let check = |f: &Fixture| {
            let page = f.page();
            assert_self_contained(&page);
            if let Some(a) = page.find("<svg") {
                let svg = &page[a..page.find("</svg>").unwrap()];
                assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            }
            page
        };
        let found = |n: usize| Outcome::Found {
            last_good: n.saturating_sub(2),
            culprit: n.saturating_sub(1),
        };
        // No samples at all, no steps.
        let f = Fixture::new(&RELEASES, found(5), vec![]);
        let page = check(&f);
        assert!(page.contains("No steps were taken."));
        assert!(
            page.contains("<svg class=\"cells\""),
            "nothing measured: cells"
        );
        assert_eq!(marks(&page), 0);
        // Indices beyond the candidate list, in samples, behaviour, steps and the outcome.
        let mut f = Fixture::new(
            &["x", "y"],
            Outcome::Found {
                last_good: 7,
                culprit: 9,
            },
            vec![step(9, 2, Some(Class::Bad)), step(0, 2, None)],
        );
        f.samples.insert(9, vec![1.0, 2.0]);
        f.samples.insert(0, vec![1.0]);
        f.behaviour.insert(12, "odd".into());
        let page = check(&f);
        assert_eq!(marks(&page), 1, "only candidate 0 is drawn");
        assert!(page.contains("candidate #9 (not in the candidate list)"));
        assert!(!page.contains("odd"), "out-of-range behaviour ignored");
        // Two candidates, a single sample each, all equal.
        let mut f = Fixture::new(
            &["g", "b"],
            found(2),
            vec![step(0, 1, None), step(1, 1, None)],
        );
        f.samples.insert(0, vec![5.0]);
        f.samples.insert(1, vec![5.0]);
        let page = check(&f);
        assert_eq!(marks(&page), 2);
        assert!(page.contains("<g class=\"marks k-bad-endpoint\" data-candidate=\"1\">"));
        assert!(page.contains("change-marker"));
        // All zero.
        f.samples.insert(0, vec![0.0; 4]);
        f.samples.insert(1, vec![0.0; 4]);
        check(&f);
        // NaN and infinities skipped and counted; a candidate of only NaN is not drawn.
        f.samples.insert(0, vec![f64::NAN, 1.0, f64::INFINITY, 2.0]);
        f.samples.insert(1, vec![f64::NAN, f64::NEG_INFINITY]);
        let page = check(&f);
        assert_eq!(marks(&page), 1);
        assert!(page.contains("2 (+2 non-finite, skipped)"));
        assert!(page.contains("0 (+2 non-finite, skipped)"));
        // The extremes of f64.
        f.samples.insert(0, vec![f64::MAX, -f64::MAX]);
        f.samples.insert(1, vec![f64::MIN_POSITIVE, 5e-324]);
        check(&f);
        // A NaN effect.
        f.effect = Some((f64::NAN, 1.0, 2.0));
        assert!(check(&f).contains("effect size not available"));
        // No candidates at all, and every other outcome.
        let f = Fixture::new(&[], found(0), vec![step(0, 1, None)]);
        assert!(check(&f).contains("No candidates"));
        for outcome in [
            Outcome::NoDifference { why: "same".into() },
            Outcome::EndpointBroken {
                endpoint: 4,
                why: "no image".into(),
            },
        ] {
            let f = Fixture::new(&RELEASES, outcome, vec![broken(0, "x")]);
            check(&f);
        }
    }

    #[test]
    fn the_other_outcomes_say_why() {
        let f = Fixture::new(
            &RELEASES,
            Outcome::EndpointBroken {
                endpoint: 4,
                why: "linux-image not found".into(),
            },
            vec![step(0, 2, None), broken(4, "linux-image not found")],
        );
        let page = f.page();
        let outcome = section(&page, "<section class=\"outcome", "</section>");
        assert!(outcome.contains("outcome-endpoint-broken"));
        assert!(outcome.contains("the bad endpoint <b>6.1.14</b> could not be measured"));
        assert!(outcome.contains("Why: linux-image not found"));
        assert!(page.contains("<g class=\"slot k-broken\" data-candidate=\"4\">"));
        let f = Fixture::new(
            &RELEASES,
            Outcome::NoDifference {
                why: "good and bad do not differ".into(),
            },
            vec![step(0, 2, None), step(4, 2, None)],
        );
        let page = f.page();
        let outcome = section(&page, "<section class=\"outcome", "</section>");
        assert!(outcome.contains("outcome-no-difference"));
        assert!(outcome.contains("nothing to bisect: good and bad do not differ"));
    }

    #[test]
    fn ticks_are_round_and_compact() {
        let (lo, hi, ticks, step) = y_scale(1000.0, 1234.0);
        assert!(lo < 1000.0 && hi > 1234.0);
        assert_eq!(step, 50.0);
        assert_eq!(ticks.first(), Some(&1000.0));
        let labels: Vec<String> = ticks.iter().map(|&t| tick_label(t, step, hi)).collect();
        assert_eq!(labels, ["1000", "1050", "1100", "1150", "1200"]);
        let (_, hi, ticks, step) = y_scale(1.0e6, 1.5e6);
        assert_eq!(tick_label(ticks[1], step, hi), "1.1M");
        // A flat set is padded, never an empty range.
        let (lo, hi, ticks, _) = y_scale(7.0, 7.0);
        assert!(lo < 7.0 && hi > 7.0 && !ticks.is_empty());
        assert_eq!(tick_label(-1e-18, 0.1, 1.0), "0");
        assert_eq!(num(1234.5678), "1234.57");
        assert_eq!(num(0.000123), "0.000123");
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[3.0], 0.25), 3.0);
    }
}
