//! `macsql report` and the shell's `.report`: one self-contained HTML page that compares the
//! datasets of annotation tables attribute by attribute, the way the seed paper does (KL both
//! ways, the real / synthetic asymmetry), with every number also in a sortable table and a CSV
//! download. The page makes no network request (inline CSS, SVG and a few lines of JavaScript,
//! under a Content-Security-Policy that forbids any), reads without JavaScript, prints, and
//! follows the reader's light or dark colour scheme.

mod embeddings;
mod gather;
mod headline;
mod html;
mod page;
mod svg;

use std::path::{Path, PathBuf};
use std::time::Instant;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};

use crate::engine::Engine;
use crate::foreign::{ForeignError, foreign_from};
use html::{Cell, Table};

pub use gather::UNION_VIEW;

/// What to report on and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// The registered tables to compare (their rows are put together); empty: every table that
    /// has the `by` column and an Int8 / boolean label column.
    pub tables: Vec<String>,
    /// The column that separates datasets.
    pub by: String,
    /// The column that says `real` or `synthetic`.
    pub kind_column: String,
    /// The attributes to compare; empty: every Int8 / boolean column the tables share.
    pub attributes: Vec<String>,
    /// A SQL condition: the datasets are also compared within the rows where it holds.
    pub where_: Option<String>,
    /// Subgroups, one comparison each: `Male` (Male = 1), `!Male` or `Male=-1`.
    pub subgroups: Vec<String>,
    /// `compare_attributes` options, over the report's defaults `bootstrap=200, min_n=30, alpha=0.5`.
    pub options: String,
    /// The page title (default: the datasets compared).
    pub title: Option<String>,
    /// The command shown on the page.
    pub command: String,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            tables: Vec::new(),
            by: "dataset".into(),
            kind_column: "kind".into(),
            attributes: Vec::new(),
            where_: None,
            subgroups: Vec::new(),
            options: String::new(),
            title: None,
            command: crate::annotations::command_line(),
        }
    }
}

/// What a report run wrote.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// The HTML file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: usize,
    /// The datasets compared.
    pub datasets: usize,
    /// The attributes compared.
    pub attributes: usize,
    /// The headline sentence.
    pub headline: String,
    /// Seconds the report took.
    pub seconds: f64,
}

/// Everything that can go wrong making a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No table to report on.
    #[error("report: no table to report on (register one with --data PATH or --demo)")]
    NoTables,
    /// A table named with --table is not registered.
    #[error("report: --table {table}: no such table (registered: {registered})")]
    NoTable {
        /// The name asked for.
        table: String,
        /// The registered tables.
        registered: String,
    },
    /// A table has no dataset column.
    #[error(
        "report: table {table} has no column '{column}' to tell datasets apart (use --by COLUMN); columns: {columns}"
    )]
    NoDatasetColumn {
        /// The table.
        table: String,
        /// The --by column.
        column: String,
        /// Its columns.
        columns: String,
    },
    /// The input holds fewer than two datasets.
    #[error(
        "report: the input has fewer than two datasets in column '{column}' (found: {found}); a report compares datasets"
    )]
    OneDataset {
        /// The --by column.
        column: String,
        /// The datasets found.
        found: String,
    },
    /// No attribute column to compare.
    #[error(
        "report: {0} has no Int8 or boolean attribute column that every table shares (labels read \
         from CSV are Int64: name them with --attributes A,B or convert the file with macsql import)"
    )]
    NoAttributes(String),
    /// An --attributes name that is not a shared attribute column.
    #[error(
        "report: --attributes: '{attribute}' is not an attribute column of the input (available: {available})"
    )]
    NoAttribute {
        /// The name asked for.
        attribute: String,
        /// The attributes there are.
        available: String,
    },
    /// A --subgroups entry that is not `Name`, `!Name` or `Name=value`.
    #[error("report: --subgroups: '{0}' is not NAME, !NAME or NAME=VALUE (an integer label)")]
    Subgroup(String),
    /// `attributes=` given in --options.
    #[error("report: --options: name the attributes with --attributes A,B, not attributes=")]
    AttributesOption,
    /// The output is not an .html file.
    #[error("report: {0}: the report is written as .html")]
    Extension(String),
    /// A query over the tables or writing the page failed.
    #[error("{0}")]
    Foreign(ForeignError),
}

foreign_from!(ReportError);

/// The classifier's held-out figures, when an input was labelled by the built-in bundle.
#[derive(Debug, Clone)]
pub struct Agreement {
    /// The tables labelled by it.
    pub tables: Vec<String>,
    /// The bundle name.
    pub bundle: String,
    /// attribute, AUC, balanced accuracy, coverage, precision of each side, shipped.
    pub table: Table,
}

/// The built-in bundles' training reports (models/mac-report.parquet, models/mac-small-report.parquet),
/// in the order of their manifests in [`crate::mac::bundle::builtin::FILES`].
static MAC_REPORTS: [&[u8]; 2] = [
    include_bytes!("../../models/mac-report.parquet"),
    include_bytes!("../../models/mac-small-report.parquet"),
];

/// The name of the built-in bundle whose manifest is `FILES[k]`.
fn builtin_bundle_name(k: usize) -> Option<String> {
    let manifest = std::str::from_utf8(crate::mac::bundle::builtin::FILES[k].1).ok()?;
    let value: toml::Value = toml::from_str(manifest).ok()?;
    value.get("name")?.as_str().map(String::from)
}

fn agreement(g: &gather::Gathered) -> Option<Agreement> {
    // The first built-in bundle (the default, then the small one) that labelled an input.
    let (k, bundle, tables) = (0..MAC_REPORTS.len()).find_map(|k| {
        let bundle = builtin_bundle_name(k)?;
        let tables: Vec<String> = g
            .inputs
            .iter()
            .filter(|i| i.metadata.get("macsql.bundle") == Some(&bundle))
            .map(|i| i.table.clone())
            .collect();
        (!tables.is_empty()).then_some((k, bundle, tables))
    })?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::from_static(MAC_REPORTS[k]),
    )
    .ok()?
    .build()
    .ok()?;
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().ok()?;
    let mut t = Table::new(&[
        "attribute",
        "AUC (5-fold)",
        "balanced accuracy",
        "coverage (not 0)",
        "precision of 1",
        "precision of -1",
        "shipped",
    ]);
    for b in &batches {
        let text = |name: &str| {
            b.column_by_name(name)
                .and_then(|c| arrow::compute::cast(c, &DataType::Utf8).ok())
        };
        let float = |name: &str| {
            b.column_by_name(name)
                .and_then(|c| arrow::compute::cast(c, &DataType::Float64).ok())
        };
        let (Some(attr), Some(shipped)) = (text("attribute"), text("shipped")) else {
            continue;
        };
        let cols: Vec<_> = [
            "auc",
            "balanced_accuracy",
            "coverage",
            "precision_pos",
            "precision_neg",
        ]
        .iter()
        .map(|n| float(n))
        .collect();
        for r in 0..b.num_rows() {
            let name = attr.as_string::<i32>().value(r).to_string();
            if !g.attributes.contains(&name) {
                continue;
            }
            let mut row = vec![Cell::text(&name)];
            for c in &cols {
                let v = c.as_ref().and_then(|c| {
                    let c = c.as_primitive::<Float64Type>();
                    c.is_valid(r).then(|| c.value(r))
                });
                row.push(Cell::num(v.filter(|v| v.is_finite()), |v| format!("{v:.3}")));
            }
            let s = shipped.as_string::<i32>();
            row.push(Cell::text(if s.is_valid(r) && s.value(r) == "true" {
                "yes (a learned head)"
            } else {
                "no (the models' own value, or not labelled)"
            }));
            t.rows.push(row);
        }
    }
    (!t.rows.is_empty()).then_some(Agreement {
        tables,
        bundle,
        table: t,
    })
}

/// The tables a report reads: `opts.tables`, else every registered annotation table (one with
/// the `by` column and a label column).
async fn tables(engine: &Engine, opts: &ReportOptions) -> Result<Vec<String>, ReportError> {
    let registered: Vec<String> = engine
        .table_names()
        .into_iter()
        .filter(|t| t != UNION_VIEW)
        .collect();
    if !opts.tables.is_empty() {
        for t in &opts.tables {
            if !registered.contains(t) {
                return Err(ReportError::NoTable {
                    table: t.clone(),
                    registered: registered.join(", "),
                });
            }
        }
        return Ok(opts.tables.clone());
    }
    // Annotation tables: a dataset column and at least one label column (so that a table of
    // results made from them, such as histograms, is not mistaken for one).
    let mut out = Vec::new();
    for t in registered {
        let schema = engine.context().table_provider(&t).await?.schema();
        let labels = schema
            .fields()
            .iter()
            .any(|f| matches!(f.data_type(), DataType::Int8 | DataType::Boolean) && f.name() != &opts.by);
        if schema.field_with_name(&opts.by).is_ok() && labels {
            out.push(t);
        }
    }
    if out.is_empty() {
        return Err(ReportError::NoTables);
    }
    Ok(out)
}

/// Compares the datasets of the registered tables and writes the report to `out` (.html),
/// atomically.
///
/// ```no_run
/// # async fn f() -> macsql::Result<()> {
/// let engine = macsql::Engine::new();
/// macsql::register_demo(&engine, 0.01, 42)?;
/// let summary = macsql::write_report(&engine, &macsql::ReportOptions::default(), "report.html".as_ref()).await?;
/// println!("{}", summary.headline);
/// # Ok(()) }
/// ```
pub async fn write_report(
    engine: &Engine,
    opts: &ReportOptions,
    out: &Path,
) -> Result<ReportSummary, ReportError> {
    let start = Instant::now();
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("html" | "htm")) {
        return Err(ReportError::Extension(out.display().to_string()));
    }
    let tables = tables(engine, opts).await?;
    let g = gather::gather(engine, &tables, opts).await?;
    let figures = agreement(&g);
    let html = page::render(&g, opts, &opts.command, figures.as_ref());
    let tmp = crate::output::export::temp_path_for(out);
    let written = std::fs::write(&tmp, html.as_bytes()).map_err(|e| ForeignError::io(&tmp, e));
    crate::output::export::commit_or_discard(&tmp, out, written)?;
    let pairs = headline::summarise(&g.comparisons, &g.kinds);
    Ok(ReportSummary {
        path: out.to_path_buf(),
        bytes: html.len(),
        datasets: g.datasets.len(),
        attributes: g.attributes.len(),
        headline: if pairs.is_empty() {
            "no real / synthetic pair".into()
        } else {
            headline::overall(&pairs)
        },
        seconds: start.elapsed().as_secs_f64(),
    })
}
