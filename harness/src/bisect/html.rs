//! The bisect result as one self-contained HTML page (being written).

use super::ResultView;

/// Render the result page.
pub fn render(v: &ResultView) -> String {
    report::export::html::escape(v.text)
}
