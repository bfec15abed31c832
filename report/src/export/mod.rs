//! Exporters. Text and markdown render the shared [`crate::table::Table`]; JSON serializes
//! the full [`Comparison`] (CIs and p-values included).

pub mod json;
pub mod markdown;
pub mod text;

use crate::compare::Comparison;
use crate::table::Table;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

/// Render a comparison in `format`.
pub fn render(c: &Comparison, format: Format) -> String {
    match format {
        Format::Text => text::render(&Table::from_comparison(c)),
        Format::Markdown => markdown::render(&Table::from_comparison(c)),
        Format::Json => json::render(c),
    }
}

#[cfg(test)]
mod tests;
