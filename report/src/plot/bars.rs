//! Grouped bars: for each category (a buffer kind and pin mode), one bar per kernel at the
//! median, with a whisker over the 95% order-statistic confidence interval of that median
//! ([`crate::stats::median_ci`], Conover 1999 §3.2). Bars start at zero so that heights
//! compare; a missing bar means the kernel has no value there.

use super::{category_labels, category_layout, colour, compact, headroom, sx, PlotError};
use plotters::prelude::*;

/// One bar: a median and its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub median: f64,
    pub low: f64,
    pub high: f64,
    pub n: usize,
}

impl Bar {
    /// The bar of a set of values (any order); `None` when there are none.
    pub fn of(values: &[f64], confidence: f64) -> Option<Bar> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let (low, high) = crate::stats::median_ci(&v, confidence)?;
        let median = if v.len() % 2 == 1 {
            v[v.len() / 2]
        } else {
            (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
        };
        Some(Bar {
            median,
            low,
            high,
            n: v.len(),
        })
    }
}

/// One category: a bar per series (kernel), `None` where that kernel has no value.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub category: String,
    pub bars: Vec<Option<Bar>>,
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
    let (width, label_area) = category_layout(&categories, series.len(), title);
    let height = 340 + label_area;
    let n = groups.len().max(1);
    let k = series.len().max(1);
    let ymax = headroom(
        groups
            .iter()
            .flat_map(|g| g.bars.iter().flatten())
            .map(|b| b.high.max(b.median))
            .fold(0.0, f64::max),
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(title)(e.to_string()))?;
        let keys: Vec<i32> = (0..n).map(|i| sx(i as f64 + 0.5)).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(label_area)
            .y_label_area_size(72)
            .build_cartesian_2d((0..sx(n as f64)).with_key_points(keys), 0f64..ymax)
            .map_err(|e| err(title)(e.to_string()))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&compact)
            .y_desc(format!("median, {unit}"))
            .draw()
            .map_err(|e| err(title)(e.to_string()))?;
        let anchors: Vec<(i32, i32)> = (0..groups.len())
            .map(|i| chart.backend_coord(&(sx(i as f64 + 0.5), 0.0)))
            .collect();
        category_labels(&root, &anchors, &categories).map_err(err(title))?;
        let slot = 0.8 / k as f64;
        for (si, name) in series.iter().enumerate() {
            let c = colour(si);
            let bars: Vec<(f64, Bar)> = groups
                .iter()
                .enumerate()
                .filter_map(|(gi, g)| {
                    g.bars
                        .get(si)
                        .copied()
                        .flatten()
                        .map(|b| (gi as f64 + 0.1 + si as f64 * slot, b))
                })
                .collect();
            chart
                .draw_series(bars.iter().map(|(x0, b)| {
                    Rectangle::new(
                        [(sx(*x0), 0.0), (sx(x0 + slot * 0.88), b.median)],
                        c.filled(),
                    )
                }))
                .map_err(|e| err(title)(e.to_string()))?
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
            // Whiskers: the interval of the median, with caps.
            chart
                .draw_series(bars.iter().filter(|(_, b)| b.n > 1).flat_map(|(x0, b)| {
                    let xc = sx(x0 + slot * 0.44);
                    let cap = sx(slot * 0.2);
                    [
                        PathElement::new(vec![(xc, b.low), (xc, b.high)], BLACK.stroke_width(1)),
                        PathElement::new(
                            vec![(xc - cap, b.low), (xc + cap, b.low)],
                            BLACK.stroke_width(1),
                        ),
                        PathElement::new(
                            vec![(xc - cap, b.high), (xc + cap, b.high)],
                            BLACK.stroke_width(1),
                        ),
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
    fn bar_of_values_has_its_median_inside_its_interval() {
        let v: Vec<f64> = (1..=101).map(f64::from).collect();
        let b = Bar::of(&v, 0.95).unwrap();
        assert_eq!(b.median, 51.0);
        assert!(b.low < 51.0 && b.high > 51.0, "{b:?}");
        assert_eq!(b.n, 101);
        assert_eq!(Bar::of(&[], 0.95), None);
        assert_eq!(Bar::of(&[f64::NAN], 0.95), None);
        let one = Bar::of(&[7.0], 0.95).unwrap();
        assert_eq!((one.low, one.median, one.high), (7.0, 7.0, 7.0));
    }

    #[test]
    fn one_rect_per_bar_and_escaped_names() {
        let groups = vec![
            Group {
                category: "anon-rw · read".into(),
                bars: vec![Bar::of(&[1.0, 2.0, 3.0], 0.95), None],
            },
            Group {
                category: "thp · write".into(),
                bars: vec![Bar::of(&[4.0, 5.0], 0.95), Bar::of(&[6.0], 0.95)],
            },
        ];
        let svg = render(
            "ns_per_page <b>",
            "ns",
            &["base".into(), "<script>x</script>".into()],
            &groups,
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("anon-rw · read") && svg.contains("thp · write"));
        // Three bars of data in the two series' colours.
        let fill =
            |c: plotters::style::RGBColor| format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        let base = svg.matches(&fill(colour(0))).count();
        let cand = svg.matches(&fill(colour(1))).count();
        // Each series also has one legend swatch.
        assert_eq!((base, cand), (3, 2), "{svg}");
    }
}
