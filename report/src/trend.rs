//! The nightly trend page: one line chart per key metric and kernel over the nights, change
//! points marked, every night a link to that night's comparison report.
//!
//! The charts are written as SVG by hand rather than with plotters because each night's
//! point must be an `<a>` element (clickable to that night's report), which plotters'
//! backends cannot emit. The page is one self-contained file: inline SVG and CSS, no
//! script, every string from the history escaped.

use crate::export::html::escape;
use std::fmt::Write;

/// One night of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub date: String,
    pub value: f64,
    /// Link to that night's comparison report, relative to the page.
    pub link: String,
}

/// One kernel's series of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub kernel: String,
    pub metric: String,
    pub unit: String,
    pub points: Vec<Point>,
    /// Indices into `points` where a shift began, with the relative change.
    pub change_points: Vec<(usize, f64)>,
}

/// A row of the nights table.
#[derive(Debug, Clone, PartialEq)]
pub struct NightRow {
    pub date: String,
    pub link: String,
    pub summary: String,
}

const W: f64 = 720.0;
const H: f64 = 220.0;
const ML: f64 = 70.0;
const MR: f64 = 20.0;
const MT: f64 = 28.0;
const MB: f64 = 40.0;

fn fmt_value(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v.abs() >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.1}")
    }
}

/// One chart.
pub fn chart(s: &Series) -> String {
    let mut out = String::new();
    let n = s.points.len();
    let (lo, hi) = s
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.value), b.max(p.value))
        });
    let (lo, hi) = if n == 0 {
        (0.0, 1.0)
    } else if (hi - lo).abs() < f64::EPSILON * hi.abs().max(1.0) {
        (lo * 0.99, hi * 1.01 + 1e-9)
    } else {
        let pad = (hi - lo) * 0.1;
        (lo - pad, hi + pad)
    };
    let x = |i: usize| {
        ML + (W - ML - MR)
            * if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.5
            }
    };
    let y = |v: f64| MT + (H - MT - MB) * (1.0 - (v - lo) / (hi - lo));
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img"><title>{t}</title>"##,
        t = escape(&format!("{} on {}", s.metric, s.kernel))
    );
    let _ = write!(
        out,
        r##"<text x="{ML}" y="16" font-size="12" font-family="sans-serif">{}</text>"##,
        escape(&format!("{} — {} ({})", s.kernel, s.metric, s.unit))
    );
    // Axes and three value ticks.
    let _ = write!(
        out,
        r##"<line x1="{ML}" y1="{MT}" x2="{ML}" y2="{yb}" stroke="#444"/><line x1="{ML}" y1="{yb}" x2="{xr}" y2="{yb}" stroke="#444"/>"##,
        yb = H - MB,
        xr = W - MR
    );
    for k in 0..3 {
        let v = lo + (hi - lo) * (k as f64 + 0.5) / 3.0;
        let _ = write!(
            out,
            r##"<text x="{tx}" y="{ty:.1}" font-size="10" text-anchor="end" font-family="sans-serif">{}</text><line x1="{ML}" y1="{ty0:.1}" x2="{xr}" y2="{ty0:.1}" stroke="#eee"/>"##,
            fmt_value(v),
            tx = ML - 4.0,
            ty = y(v) + 3.0,
            ty0 = y(v),
            xr = W - MR
        );
    }
    // Change points: a red line where the new level begins.
    for (i, rel) in &s.change_points {
        if *i < n {
            let _ = write!(
                out,
                r##"<line x1="{cx:.1}" y1="{MT}" x2="{cx:.1}" y2="{yb}" stroke="#c00" stroke-dasharray="4 3"/><text x="{tx:.1}" y="{ty}" font-size="10" fill="#c00" font-family="sans-serif">{} {:+.1}%</text>"##,
                escape(&s.points[*i].date),
                rel * 100.0,
                cx = x(*i),
                tx = x(*i) + 3.0,
                ty = MT + 10.0,
                yb = H - MB
            );
        }
    }
    // The line, then one clickable point per night.
    let path: Vec<String> = s
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.value)))
        .collect();
    let _ = write!(
        out,
        r##"<polyline fill="none" stroke="#1f5fa8" stroke-width="1.5" points="{}"/>"##,
        path.join(" ")
    );
    for (i, p) in s.points.iter().enumerate() {
        let _ = write!(
            out,
            r##"<a xlink:href="{l}" href="{l}"><circle cx="{:.1}" cy="{:.1}" r="4" fill="#1f5fa8"><title>{}: {}</title></circle></a>"##,
            x(i),
            y(p.value),
            escape(&p.date),
            fmt_value(p.value),
            l = escape(&p.link)
        );
    }
    if let (Some(first), Some(last)) = (s.points.first(), s.points.last()) {
        let _ = write!(
            out,
            r##"<text x="{ML}" y="{ty}" font-size="10" font-family="sans-serif">{}</text><text x="{xr}" y="{ty}" font-size="10" text-anchor="end" font-family="sans-serif">{}</text>"##,
            escape(&first.date),
            escape(&last.date),
            ty = H - MB + 14.0,
            xr = W - MR
        );
    }
    out.push_str("</svg>");
    out
}

/// The whole page.
pub fn render(title: &str, nights: &[NightRow], series: &[Series]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px}}figure{{margin:1em 0}}</style></head><body><h1>{t}</h1>",
        t = escape(title)
    );
    let _ = write!(
        out,
        "<p>{} nights, {} series. Each point links to that night's comparison; red dashed lines mark change points (the first night at a new level).</p><h2>Trends</h2>",
        nights.len(),
        series.len()
    );
    for s in series {
        out.push_str("<figure>");
        out.push_str(&chart(s));
        out.push_str("</figure>");
    }
    out.push_str("<h2>Nights</h2><table><tr><th>night</th><th>summary</th></tr>");
    for n in nights.iter().rev() {
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td></tr>",
            escape(&n.link),
            escape(&n.date),
            escape(&n.summary)
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize) -> Series {
        Series {
            kernel: "debian:6.12<script>".into(),
            metric: "pin-latency/anon-rw/read/pin-fast/1p/ns_per_page".into(),
            unit: "ns".into(),
            points: (0..n)
                .map(|i| Point {
                    date: format!("2026-01-{:02}", i + 1),
                    value: if i < n / 2 { 100.0 } else { 103.0 },
                    link: format!("nights/2026-01-{:02}/compare.html", i + 1),
                })
                .collect(),
            change_points: vec![(n / 2, 0.03)],
        }
    }

    #[test]
    fn every_night_is_a_link_and_change_points_are_marked() {
        let s = series(10);
        let svg = chart(&s);
        assert_eq!(svg.matches("<a xlink:href=\"nights/").count(), 10);
        assert!(svg.contains("2026-01-06 +3.0%"), "{svg}");
        assert!(svg.contains("stroke-dasharray"));
        assert!(!svg.contains("<script>"), "names are escaped");
        let page = render(
            "pinbench nightly",
            &[NightRow {
                date: "2026-01-01".into(),
                link: "nights/2026-01-01/compare.html".into(),
                summary: "0 new <b>".into(),
            }],
            &[s],
        );
        assert!(page.contains("&lt;b&gt;") && page.contains("<figure><svg"));
    }

    #[test]
    fn flat_empty_and_single_point_series_render() {
        let mut s = series(1);
        s.change_points.clear();
        assert!(chart(&s).contains("<circle"));
        s.points.clear();
        assert!(chart(&s).ends_with("</svg>"));
        let mut s = series(5);
        for p in &mut s.points {
            p.value = 7.0;
        }
        assert!(!chart(&s).contains("NaN"));
    }
}
