//! Figures of the HTML report, one file per figure, each returning an SVG string drawn with
//! plotters' SVG backend (no fonts or network needed: text is left to the browser).
//!
//! - [`bars`]: grouped bars of medians with confidence-interval whiskers (one bar per kernel
//!   in each category); the whiskers are the distribution-free order-statistic interval of
//!   the median ([`crate::stats::median_ci`], Conover 1999).
//! - [`boxes`]: latency distributions as Tukey box plots (Tukey, *Exploratory Data
//!   Analysis*, 1977: box Q1–Q3, line at the median, whiskers to the furthest point within
//!   1.5 IQR of the box).
//! - [`fraction`]: a metric against the fraction of memory held pinned (fork cost), one line
//!   per kernel and remaining coordinates.
//! - [`matrix`]: the behaviour matrix (outcomes, COW counts, coherence verdicts) as a
//!   coloured HTML table with behaviour changes highlighted.
//!
//! Plot text (titles, kernel names) is escaped by plotters' SVG backend; the matrix escapes
//! its own text with [`crate::export::html::escape`].

pub mod bars;
pub mod boxes;
pub mod fraction;
pub mod matrix;

use plotters::style::RGBColor;

/// A figure could not be drawn (a bug: the inputs are always finite numbers).
#[derive(Debug, thiserror::Error)]
#[error("drawing the figure `{figure}` failed: {detail}; this is a pinbench bug, please report it with the run directory")]
pub struct PlotError {
    pub figure: String,
    pub detail: String,
}

impl PlotError {
    pub(crate) fn of<E: std::fmt::Display>(figure: &str) -> impl FnOnce(E) -> PlotError + '_ {
        move |e| PlotError {
            figure: figure.to_string(),
            detail: e.to_string(),
        }
    }
}

/// Kernel colours: the baseline first (grey-blue), then the candidates (Tableau 10).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0x9c, 0x75, 0x5f),
];

/// Colour of series `i` (cycles through [`PALETTE`]).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// `#rrggbb` of a colour, for the HTML legend.
pub fn css(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Width and label-area size of a category chart: wide enough for every category and for
/// its caption, with room for the longest rotated label.
pub(crate) fn category_layout(categories: &[String], series: usize, caption: &str) -> (u32, u32) {
    let n = categories.len().max(1);
    let per = 14 * series.max(1) + 16;
    let caption_width = caption.chars().count() * 9 + 40;
    let width = (140 + n * per).max(caption_width).clamp(520, 2400) as u32;
    let longest = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1);
    let label_area = (longest * 7 + 16).clamp(40, 280) as u32;
    (width, label_area)
}

/// A y-axis upper bound with some headroom, never zero.
pub(crate) fn headroom(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.12
    } else {
        1.0
    }
}

/// Category charts use an integer x axis (plotters formats key points only on those):
/// category `i` spans `[i * SCALE, (i + 1) * SCALE)`.
pub(crate) const SCALE: i32 = 1000;

/// A fractional category position on the integer axis.
pub(crate) fn sx(x: f64) -> i32 {
    (x * SCALE as f64).round() as i32
}

/// A tick value in few characters: 1250000 -> "1.25M", 0.5 -> "0.5".
pub(crate) fn compact(v: &f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (*v, "")
    };
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{suffix}")
}

/// Category names under a category chart, rotated to run downwards from just below each
/// category's centre (plotters centres rotated axis labels on the tick, which makes long
/// names overlap the plot).
pub(crate) fn category_labels<DB: plotters::prelude::DrawingBackend>(
    root: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    anchors: &[(i32, i32)],
    labels: &[String],
) -> Result<(), String> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let style = TextStyle::from(("sans-serif", 12).into_font())
        .transform(FontTransform::Rotate90)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for ((x, y), label) in anchors.iter().zip(labels) {
        root.draw(&Text::new(label.clone(), (*x, y + 8), style.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn compact_ticks() {
        let c = |v: f64| super::compact(&v);
        assert_eq!(c(5_000_000.0), "5M");
        assert_eq!(c(1_250_000.0), "1.25M");
        assert_eq!(c(25_000.0), "25k");
        assert_eq!(c(2500.0), "2500");
        assert_eq!(c(0.5), "0.5");
        assert_eq!(c(0.0), "0");
    }
}
