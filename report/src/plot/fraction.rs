//! A metric against the fraction of memory held pinned (the fork-cost workload: fork time,
//! reap time, pages copied as the pinned share grows). One line per kernel and remaining
//! coordinates (buffer size, variant), a point at each pinned fraction's median with the
//! median's 95% order-statistic interval as a whisker ([`crate::stats::median_ci`]).
//!
//! Nothing here knows the fork-cost workload: the caller finds the x coordinate by the
//! parameter names in [`FRACTION_PARAMS`], so any workload that records one gets this plot.

use super::{colour, compact, headroom, PlotError};
use crate::plot::bars::Bar;
use plotters::prelude::*;

/// Record parameters that hold the pinned share, in percent (first match wins). `percent`
/// is what the fork-cost workload records.
pub const FRACTION_PARAMS: [&str; 6] = [
    "pinned_pct",
    "pinned_percent",
    "pct_pinned",
    "pinned_fraction_pct",
    "pinned",
    "percent",
];

/// The pinned-fraction parameter of a record's params and its value in percent, if any.
pub fn fraction_of(
    params: &std::collections::BTreeMap<String, String>,
) -> Option<(&'static str, f64)> {
    FRACTION_PARAMS.iter().find_map(|k| {
        let v = params.get(*k)?;
        let x: f64 = v.trim_end_matches('%').parse().ok()?;
        x.is_finite().then_some((*k, x))
    })
}

/// One line: a label (kernel and coordinates), its colour index and points (x, bar).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub colour: usize,
    /// True for the baseline kernel's lines (drawn solid; candidates dashed).
    pub baseline: bool,
    pub points: Vec<(f64, Bar)>,
}

/// Draw the chart as an SVG document.
pub fn render(title: &str, unit: &str, lines: &[Line]) -> Result<String, PlotError> {
    let err = PlotError::of::<String>;
    let xs = || lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let xmax = xs().fold(0.0, f64::max).max(1.0);
    let ymax = headroom(
        lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1.high.max(p.1.median)))
            .fold(0.0, f64::max),
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(title)(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..xmax * 1.04, 0f64..ymax)
            .map_err(|e| err(title)(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("memory held pinned, %")
            .x_label_formatter(&compact)
            .y_label_formatter(&compact)
            .y_desc(format!("median, {unit}"))
            .draw()
            .map_err(|e| err(title)(e.to_string()))?;
        for line in lines {
            let c = colour(line.colour);
            let mut pts: Vec<(f64, Bar)> = line.points.clone();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let xy: Vec<(f64, f64)> = pts.iter().map(|(x, b)| (*x, b.median)).collect();
            let style = c.stroke_width(2);
            if line.baseline {
                chart
                    .draw_series(LineSeries::new(xy.clone(), style))
                    .map_err(|e| err(title)(e.to_string()))?
                    .label(line.label.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                    });
            } else {
                chart
                    .draw_series(DashedLineSeries::new(xy.clone(), 6, 4, style))
                    .map_err(|e| err(title)(e.to_string()))?
                    .label(line.label.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                    });
            }
            chart
                .draw_series(xy.iter().map(|p| Circle::new(*p, 3, c.filled())))
                .map_err(|e| err(title)(e.to_string()))?;
            chart
                .draw_series(pts.iter().filter(|(_, b)| b.n > 1).map(|(x, b)| {
                    PathElement::new(vec![(*x, b.low), (*x, b.high)], c.stroke_width(1))
                }))
                .map_err(|e| err(title)(e.to_string()))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
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
    fn fraction_parameter_is_found_by_name() {
        let p = |k: &str, v: &str| [(k.to_string(), v.to_string())].into_iter().collect();
        assert_eq!(
            fraction_of(&p("pinned_pct", "25")),
            Some(("pinned_pct", 25.0))
        );
        assert_eq!(fraction_of(&p("pinned", "100%")), Some(("pinned", 100.0)));
        assert_eq!(fraction_of(&p("pinned", "yes")), None);
        assert_eq!(fraction_of(&p("kind", "anon-rw")), None);
    }

    #[test]
    fn one_line_per_series() {
        let bar = |m: f64| Bar::of(&[m, m + 1.0, m + 2.0], 0.95).unwrap();
        let lines = vec![
            Line {
                label: "base 16 MiB".into(),
                colour: 0,
                baseline: true,
                points: vec![(0.0, bar(10.0)), (1.0, bar(12.0)), (100.0, bar(40.0))],
            },
            Line {
                label: "cand 16 MiB".into(),
                colour: 1,
                baseline: false,
                points: vec![(0.0, bar(11.0)), (100.0, bar(80.0))],
            },
        ];
        let svg = render("fork_ns", "ns", &lines).unwrap();
        assert!(svg.contains("base 16 MiB") && svg.contains("cand 16 MiB"));
        assert_eq!(svg.matches("<circle").count(), 5, "{svg}");
    }
}
