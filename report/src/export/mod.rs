//! Exporters. Text and markdown render the shared [`crate::table::Table`]; JSON serializes
//! the full [`Comparison`] (CIs and p-values included); HTML adds the figures of
//! [`crate::plot`] to a summary, the environment and the same table.

pub mod html;
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
    Html,
}

/// Render a comparison in `format`.
pub fn render(c: &Comparison, format: Format) -> String {
    match format {
        Format::Text => text::render(&Table::from_comparison(c)),
        Format::Markdown => markdown::render(&Table::from_comparison(c)),
        Format::Json => json::render(c),
        Format::Html => html::render(c),
    }
}

#[cfg(test)]
mod tests;
