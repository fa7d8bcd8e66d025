//! Charts of query results: grouped bars of attribute distributions, heat maps of divergences
//! between ordered dataset pairs, and asymmetry scatters, drawn in the terminal (unicode bars,
//! plain text when the output is not a terminal) or into SVG / PNG files with `plotters`.
//!
//! The chart kind is chosen from the result's shape (see [`data::SHAPES`]) or named by the
//! user. PNG text is rendered with the bundled DejaVu Sans (assets/fonts), so no system font
//! library is needed.

pub mod data;
pub mod draw;
pub mod text;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::foreign::{ForeignError, foreign_from};

/// Which chart to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotKind {
    /// Chosen from the result's shape.
    Auto,
    /// Horizontal bars, grouped when there is a series column.
    Bars,
    /// A heat map of values by (attribute, ordered dataset pair).
    Heatmap,
    /// D(P‖Q) against D(Q‖P) per attribute, with the diagonal.
    Asymmetry,
}

impl fmt::Display for PlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PlotKind::Auto => "auto",
            PlotKind::Bars => "bars",
            PlotKind::Heatmap => "heatmap",
            PlotKind::Asymmetry => "asymmetry",
        })
    }
}

impl FromStr for PlotKind {
    type Err = PlotError;
    fn from_str(s: &str) -> Result<Self, PlotError> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(PlotKind::Auto),
            "bars" | "bar" => Ok(PlotKind::Bars),
            "heatmap" | "heat" => Ok(PlotKind::Heatmap),
            "asymmetry" | "asym" => Ok(PlotKind::Asymmetry),
            other => Err(PlotError::UnknownKind(other.to_string())),
        }
    }
}

/// Everything that can go wrong drawing a chart.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The result has no rows.
    #[error("nothing to plot: the result has no rows")]
    Empty,
    /// The result has more rows than a legible chart can show.
    #[error("the result has {0} rows; charts are drawn from at most {max} (aggregate first, e.g. GROUP BY)", max = data::MAX_ROWS)]
    TooManyRows(usize),
    /// The result's columns do not fit the chart kind.
    #[error(
        "cannot draw a chart ({kind}) of this result: {why}.\nresult columns: {shape}\nshapes .plot understands:\n{}",
        data::SHAPES
    )]
    Shape {
        /// The kind asked for (`auto` when none fits).
        kind: PlotKind,
        /// What is wrong.
        why: String,
        /// The result's columns and their roles.
        shape: String,
    },
    /// Two rows give a value for the same bar or cell.
    #[error("two rows give a value for series '{series}', category '{category}': aggregate them first")]
    Duplicate {
        /// The series (or column) name.
        series: String,
        /// The category (or row) name.
        category: String,
    },
    /// A chart kind name that does not exist.
    #[error("unknown chart kind '{0}' (expected bars, heatmap or asymmetry)")]
    UnknownKind(String),
    /// An output file whose extension is not .svg or .png.
    #[error("{0}: charts are written as .svg or .png")]
    Extension(String),
    /// plotters failed to draw.
    #[error("drawing the chart: {0}")]
    Draw(String),
    /// Running the query, reading the result (Arrow) or writing the file failed.
    #[error("{0}")]
    Foreign(ForeignError),
}

foreign_from!(PlotError);

/// Image files a chart can be written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics (text stays text).
    Svg,
    /// A PNG bitmap.
    Png,
}

impl ImageFormat {
    /// The format of `path`, from its extension.
    pub fn from_path(path: &Path) -> Result<Self, PlotError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => Ok(ImageFormat::Svg),
            Some("png") => Ok(ImageFormat::Png),
            _ => Err(PlotError::Extension(path.display().to_string())),
        }
    }
}

/// Draws a chart of `batches` into the file at `path` (.svg or .png) and returns the chart's
/// size in pixels.
pub fn plot_to_file(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    kind: PlotKind,
    path: &Path,
) -> Result<(u32, u32), PlotError> {
    let format = ImageFormat::from_path(path)?;
    let chart = data::chart_data(schema, batches, kind)?;
    let title = draw::title(&chart);
    let (bytes, size) = draw::render(&chart, &title, format)?;
    std::fs::write(path, bytes).map_err(|e| ForeignError::io(path, e))?;
    Ok(size)
}

/// Runs `df` and charts its result: into the file at `path` (.svg / .png) when given, else as
/// text for a terminal `width` columns wide (`None`: not a terminal, plain ASCII in 80 columns).
/// Returns what to print: the chart as text, or a line saying where the file went.
pub async fn plot_dataframe(
    df: datafusion::dataframe::DataFrame,
    kind: PlotKind,
    path: Option<&Path>,
    width: Option<u16>,
) -> Result<String, PlotError> {
    if let Some(path) = path {
        // Fail on a wrong extension before running the query.
        ImageFormat::from_path(path)?;
    }
    let schema: SchemaRef = df.schema().inner().clone();
    let batches = df.collect().await?;
    Ok(match path {
        Some(path) => {
            let (w, h) = plot_to_file(&schema, &batches, kind, path)?;
            format!("wrote a {w}x{h} chart to {}\n", path.display())
        }
        None => plot_to_text(
            &schema,
            &batches,
            kind,
            width.map_or(80, usize::from),
            width.is_some(),
        )?,
    })
}

/// Renders a chart of `batches` as text `width` columns wide: unicode bars when `unicode`
/// (a terminal), plain ASCII otherwise.
pub fn plot_to_text(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    kind: PlotKind,
    width: usize,
    unicode: bool,
) -> Result<String, PlotError> {
    let chart = data::chart_data(schema, batches, kind)?;
    Ok(text::render(&chart, width, unicode))
}
