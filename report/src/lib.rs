//! pinbench report: statistics, comparison verdicts and exporters (see issue 5).
//!
//! - [`stats`]: samples, medians, bootstrap ratio CIs, Mann-Whitney / KS tests, BH.
//! - [`compare`]: load run directories, pool boots, decide a verdict per metric and list
//!   behaviour changes apart from speed.
//! - [`table`] and [`export`]: one table model, rendered as text, markdown, JSON or HTML.
//! - [`plot`]: the HTML report's figures (SVG through plotters), one file per figure.

pub mod changepoint;
pub mod compare;
pub mod export;
pub mod plot;
pub mod stats;
pub mod table;
pub mod trend;
