//! Latency distributions as Tukey box plots (Tukey, *Exploratory Data Analysis*, 1977): per
//! category one box per kernel spanning Q1–Q3 (Hyndman & Fan definition 7 quantiles, as in
//! [`crate::stats::Sample::quantile`]), a line at the median, whiskers to the furthest value
//! within 1.5 IQR of the box. Outliers beyond the whiskers are counted in the title rather
//! than drawn (a TCG run has thousands of samples; the SVG stays small).

use super::{category_labels, category_layout, colour, compact, sx, PlotError};
use crate::stats::Sample;
use plotters::prelude::*;

/// The five numbers a box draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxStats {
    pub low_whisker: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub high_whisker: f64,
    /// Values outside the whiskers.
    pub outliers: usize,
}

impl BoxStats {
    /// Tukey's box of a set of values; `None` for fewer than two finite values.
    pub fn of(values: &[f64]) -> Option<BoxStats> {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let s = Sample::new(&finite).ok()?;
        let (q1, median, q3) = (s.quantile(0.25), s.median(), s.quantile(0.75));
        let (lo_fence, hi_fence) = (q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1));
        let inside = || {
            s.sorted()
                .iter()
                .copied()
                .filter(|v| *v >= lo_fence && *v <= hi_fence)
        };
        let low_whisker = inside().fold(f64::INFINITY, f64::min).min(q1);
        let high_whisker = inside().fold(f64::NEG_INFINITY, f64::max).max(q3);
        Some(BoxStats {
            low_whisker,
            q1,
            median,
            q3,
            high_whisker,
            outliers: s.len() - inside().count(),
        })
    }
}

/// One category: a box per series (kernel).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub category: String,
    pub boxes: Vec<Option<BoxStats>>,
}

/// Draw the chart as an SVG document.
pub fn render(
    title: &str,
    unit: &str,
    series: &[String],
    groups: &[Group],
) -> Result<String, PlotError> {
    let err = PlotError::of::<String>;
    let categories: Vec<String> = groups.iter().map(|g| g.category.clone()).collect();
    let n = groups.len().max(1);
    let k = series.len().max(1);
    let all = || groups.iter().flat_map(|g| g.boxes.iter().flatten());
    let lo = all().map(|b| b.low_whisker).fold(f64::INFINITY, f64::min);
    let hi = all()
        .map(|b| b.high_whisker)
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo {
        let pad = (hi - lo) * 0.06;
        ((lo - pad).max(0.0), hi + pad)
    } else if lo.is_finite() {
        ((lo * 0.9).max(0.0), lo * 1.1 + 1.0)
    } else {
        (0.0, 1.0)
    };
    let outliers: usize = all().map(|b| b.outliers).sum();
    let caption = format!("{title} ({outliers} values beyond the whiskers not drawn)");
    let (width, label_area) = category_layout(&categories, series.len(), &caption);
    let height = 340 + label_area;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(title)(e.to_string()))?;
        let keys: Vec<i32> = (0..n).map(|i| sx(i as f64 + 0.5)).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(&caption, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(label_area)
            .y_label_area_size(72)
            .build_cartesian_2d((0..sx(n as f64)).with_key_points(keys), lo..hi)
            .map_err(|e| err(title)(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&compact)
            .y_desc(unit)
            .draw()
            .map_err(|e| err(title)(e.to_string()))?;
        let anchors: Vec<(i32, i32)> = (0..groups.len())
            .map(|i| chart.backend_coord(&(sx(i as f64 + 0.5), lo)))
            .collect();
        category_labels(&root, &anchors, &categories).map_err(err(title))?;
        let slot = 0.8 / k as f64;
        for (si, name) in series.iter().enumerate() {
            let c = colour(si);
            let boxes: Vec<(f64, BoxStats)> = groups
                .iter()
                .enumerate()
                .filter_map(|(gi, g)| {
                    g.boxes
                        .get(si)
                        .copied()
                        .flatten()
                        .map(|b| (gi as f64 + 0.1 + si as f64 * slot, b))
                })
                .collect();
            let w = slot * 0.8;
            chart
                .draw_series(boxes.iter().map(|(x0, b)| {
                    Rectangle::new([(sx(*x0), b.q1), (sx(x0 + w), b.q3)], c.mix(0.35).filled())
                }))
                .map_err(|e| err(title)(e.to_string()))?
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
            chart
                .draw_series(boxes.iter().flat_map(|(x0, b)| {
                    let (xl, xr, xc) = (sx(*x0), sx(x0 + w), sx(x0 + w / 2.0));
                    [
                        Rectangle::new([(xl, b.q1), (xr, b.q3)], c.stroke_width(1)).into_dyn(),
                        PathElement::new(
                            vec![(xl, b.median), (xr, b.median)],
                            BLACK.stroke_width(2),
                        )
                        .into_dyn(),
                        PathElement::new(vec![(xc, b.q3), (xc, b.high_whisker)], c.stroke_width(1))
                            .into_dyn(),
                        PathElement::new(vec![(xc, b.q1), (xc, b.low_whisker)], c.stroke_width(1))
                            .into_dyn(),
                    ]
                }))
                .map_err(|e| err(title)(e.to_string()))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(title)(e.to_string()))?;
        root.present().map_err(|e| err(title)(e.to_string()))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tukey_whiskers_stop_at_the_last_value_inside_the_fences() {
        let mut v: Vec<f64> = (1..=9).map(f64::from).collect();
        v.push(100.0);
        let b = BoxStats::of(&v).unwrap();
        assert_eq!((b.q1, b.median, b.q3), (3.25, 5.5, 7.75));
        assert_eq!((b.low_whisker, b.high_whisker), (1.0, 9.0));
        assert_eq!(b.outliers, 1);
        assert_eq!(BoxStats::of(&[1.0]), None);
    }

    #[test]
    fn renders_a_box_per_kernel_and_category() {
        let groups = vec![Group {
            category: "anon-rw · read".into(),
            boxes: vec![
                BoxStats::of(&[1.0, 2.0, 3.0]),
                BoxStats::of(&[2.0, 3.0, 4.0]),
            ],
        }];
        let svg = render("unpin_ns", "ns", &["a".into(), "b".into()], &groups).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("0 values beyond the whiskers"));
        assert!(svg.contains("anon-rw · read"));
    }
}
