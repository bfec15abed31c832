//! The behaviour matrix as a coloured HTML table: one row per cell id (a COW scenario, a
//! coherence check, a pin outcome), one column per kernel, each cell coloured by what it
//! says ([`Class`]) and outlined when it differs from the baseline (a behaviour change, see
//! [`crate::compare::BehaviourChange`]). Colour is never the only signal: changed cells
//! also carry a `changed` marker in their text, for colour-blind readers and for grep.

use crate::export::html::escape;
use std::fmt::Write;

/// How a behaviour reads, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Everything asked for happened: all pages pinned, coherent, pass, exit 0.
    Good,
    /// A failure or a broken guarantee: an errno, stale or leaked data, fail, a crash.
    Bad,
    /// Partly: fewer pages pinned than requested.
    Partial,
    /// Not measured here.
    Skipped,
    /// A count or another neutral observation.
    Neutral,
    /// The kernel has no such cell.
    Absent,
}

impl Class {
    pub fn css(self) -> &'static str {
        match self {
            Class::Good => "good",
            Class::Bad => "bad",
            Class::Partial => "partial",
            Class::Skipped => "skipped",
            Class::Neutral => "neutral",
            Class::Absent => "absent",
        }
    }
}

const BAD_WORDS: [&str; 8] = [
    "stale",
    "leak",
    "fail",
    "incoherent",
    "timed out",
    "signal",
    "error",
    "corrupt",
];
const GOOD_WORDS: [&str; 5] = ["coherent", "pass", "ok", "exit 0", "0 pages"];

/// Classify a described behaviour (the strings [`crate::compare`] produces).
pub fn classify(text: Option<&str>) -> Class {
    let Some(t) = text else { return Class::Absent };
    let l = t.to_ascii_lowercase();
    if l.starts_with("skipped") {
        return Class::Skipped;
    }
    // An errno name: "EFAULT (0/16 pinned)".
    if t.starts_with('E') && t.chars().nth(1).is_some_and(|c| c.is_ascii_uppercase()) {
        return Class::Bad;
    }
    if let Some(rest) = l.strip_prefix("pinned ") {
        if let Some((a, b)) = rest.split_once('/') {
            return if a.trim() == b.trim() {
                Class::Good
            } else {
                Class::Partial
            };
        }
    }
    // The cow workload's verdict when a cell's pages disagree.
    if l == "mixed" {
        return Class::Partial;
    }
    if l.starts_with("exit ") && l != "exit 0" {
        return Class::Bad;
    }
    if BAD_WORDS.iter().any(|w| l.contains(w)) {
        return Class::Bad;
    }
    if GOOD_WORDS
        .iter()
        .any(|w| l == *w || l.starts_with(&format!("{w} ")))
    {
        return Class::Good;
    }
    Class::Neutral
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixCell {
    /// What the kernel recorded; `None` when it has no such cell.
    pub text: Option<String>,
    /// Differs from the baseline (a behaviour change).
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRow {
    pub label: String,
    /// One per kernel, baseline first.
    pub cells: Vec<MatrixCell>,
}

/// The table. `kernels` are the column headers, baseline first.
pub fn render(kernels: &[String], rows: &[MatrixRow]) -> String {
    let mut h = String::new();
    h.push_str("<table class=\"matrix\">\n<thead><tr><th>cell</th>");
    for (i, k) in kernels.iter().enumerate() {
        let role = if i == 0 { " (baseline)" } else { "" };
        let _ = write!(h, "<th>{}{role}</th>", escape(k));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        let changed = r.cells.iter().any(|c| c.changed);
        let _ = write!(
            h,
            "<tr{}><td class=\"id\">{}</td>",
            if changed {
                " class=\"changed-row\""
            } else {
                ""
            },
            escape(&r.label)
        );
        for c in &r.cells {
            let class = classify(c.text.as_deref());
            let text = c.text.as_deref().unwrap_or("(absent)");
            let _ = write!(
                h,
                "<td class=\"{}{}\">{}{}</td>",
                class.css(),
                if c.changed { " changed" } else { "" },
                escape(text),
                if c.changed {
                    " <span class=\"badge\">changed</span>"
                } else {
                    ""
                }
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_described_behaviour() {
        assert_eq!(classify(Some("pinned 16/16")), Class::Good);
        assert_eq!(classify(Some("pinned 3/16")), Class::Partial);
        assert_eq!(classify(Some("mixed")), Class::Partial);
        assert_eq!(classify(Some("parent")), Class::Neutral);
        assert_eq!(classify(Some("EFAULT (0/16 pinned)")), Class::Bad);
        assert_eq!(classify(Some("coherent")), Class::Good);
        assert_eq!(classify(Some("stale")), Class::Bad);
        assert_eq!(classify(Some("leak")), Class::Bad);
        assert_eq!(classify(Some("pass")), Class::Good);
        assert_eq!(classify(Some("exit 0")), Class::Good);
        assert_eq!(classify(Some("exit 2")), Class::Bad);
        assert_eq!(classify(Some("0 pages")), Class::Good);
        assert_eq!(classify(Some("12 pages")), Class::Neutral);
        assert_eq!(classify(Some("skipped: no THP")), Class::Skipped);
        assert_eq!(classify(None), Class::Absent);
    }

    #[test]
    fn changed_cells_are_outlined_and_text_is_escaped() {
        let rows = vec![MatrixRow {
            label: "cow/<b>".into(),
            cells: vec![
                MatrixCell {
                    text: Some("coherent".into()),
                    changed: false,
                },
                MatrixCell {
                    text: Some("leak".into()),
                    changed: true,
                },
            ],
        }];
        let h = render(&["a&b".into(), "c".into()], &rows);
        assert!(h.contains("<th>a&amp;b (baseline)</th>"), "{h}");
        assert!(h.contains("cow/&lt;b&gt;"));
        assert!(h.contains("<tr class=\"changed-row\">"));
        assert!(h.contains("<td class=\"good\">coherent</td>"));
        assert!(
            h.contains("<td class=\"bad changed\">leak <span class=\"badge\">changed</span></td>")
        );
    }
}
