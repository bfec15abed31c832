//! pinbench report: statistics, comparison verdicts and exporters (see issue 5).
