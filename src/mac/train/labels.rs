//! The labels tables of `macsql train`: CSV, Parquet, Arrow or JSON tables (anything `--data`
//! reads, so `macsql import` output works), each a label source, with a `path` column, columns
//! named after the attributes holding 1 / -1 (0 or NULL: not labelled; a table without an
//! attribute's column does not label it) and, with `--group COLUMN`, the person of each image.
//!
//! The tables are merged into one [`LabelSet`]: every image once (features are extracted once
//! even when two sources label it), one row per table row, each with its source and group.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};

use crate::mac::MacError;

type Result<T, E = MacError> = std::result::Result<T, E>;

/// The labels of one attribute: per row of the [`LabelSet`] 1 (true), -1 (false) or not
/// labelled (`None`).
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeLabels {
    /// The attribute (column) name.
    pub name: String,
    /// One entry per row of [`LabelSet::rows`].
    pub values: Vec<Option<bool>>,
}

impl AttributeLabels {
    /// (positives, negatives).
    pub fn counts(&self) -> (usize, usize) {
        let pos = self.values.iter().filter(|v| **v == Some(true)).count();
        let neg = self.values.iter().filter(|v| **v == Some(false)).count();
        (pos, neg)
    }
}

/// One labels table.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Its name in reports: the file stem.
    pub name: String,
    /// The table file.
    pub path: PathBuf,
    /// Its rows.
    pub rows: usize,
    /// The attributes it has a column for.
    pub attributes: Vec<String>,
}

/// One row of a labels table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelRow {
    /// The image (index into [`LabelSet::images`]).
    pub image: usize,
    /// The table (index into [`LabelSet::sources`]).
    pub source: usize,
    /// The person (index into the distinct group values; without `--group`, the image).
    pub group: usize,
}

/// The labels tables read, checked and merged.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelSet {
    /// The tables, in the order given.
    pub sources: Vec<Source>,
    /// Each distinct image, resolved against the images root.
    pub images: Vec<PathBuf>,
    /// Every table row, table after table.
    pub rows: Vec<LabelRow>,
    /// Distinct groups (persons).
    pub groups: usize,
    /// The group column, when folds are grouped by person.
    pub group_column: Option<String>,
    /// The attributes asked for, in order.
    pub attributes: Vec<AttributeLabels>,
}

/// The fewest examples an attribute needs on either side.
pub const MIN_EXAMPLES: usize = 20;

fn bad(path: &Path, message: impl Into<String>) -> MacError {
    MacError::Labels {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// One table's contents.
struct Table {
    columns: Vec<String>,
    paths: Vec<PathBuf>,
    groups: Option<Vec<String>>,
    /// Per asked attribute, its labels (`None`: no such column).
    values: Vec<Option<Vec<Option<bool>>>>,
}

/// Reads `tables` (each registered as `--data` would), keeps the `path` column, the
/// `attributes` each has and the `group` column (required in every table when given), resolves
/// relative paths against `root` (default: each table's folder) and checks every value.
pub async fn read(
    tables: &[PathBuf],
    attributes: &[String],
    root: Option<&Path>,
    group: Option<&str>,
) -> Result<LabelSet> {
    if attributes.is_empty() {
        return Err(MacError::Train("give at least one --attribute".into()));
    }
    if tables.is_empty() {
        return Err(MacError::Train("give at least one labels table".into()));
    }
    let mut read = Vec::new();
    for table in tables {
        read.push(read_table(table, attributes, root, group).await?);
    }
    for (k, a) in attributes.iter().enumerate() {
        if read.iter().all(|t| t.values[k].is_none()) {
            return Err(match (tables, read.as_slice()) {
                ([one], [t]) => bad(
                    one,
                    format!("no column '{a}' (columns: {})", t.columns.join(", ")),
                ),
                _ => MacError::Train(format!(
                    "no labels table has a column '{a}' ({})",
                    tables
                        .iter()
                        .zip(&read)
                        .map(|(p, t)| format!("{}: {}", p.display(), t.columns.join(", ")))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            });
        }
    }
    let mut set = LabelSet {
        sources: Vec::new(),
        images: Vec::new(),
        rows: Vec::new(),
        groups: 0,
        group_column: group.map(str::to_string),
        attributes: attributes
            .iter()
            .map(|a| AttributeLabels {
                name: a.clone(),
                values: Vec::new(),
            })
            .collect(),
    };
    let mut image_of: HashMap<PathBuf, usize> = HashMap::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    for (s, (table, t)) in tables.iter().zip(read).enumerate() {
        set.sources.push(Source {
            name: table
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or("labels")
                .to_string(),
            path: table.clone(),
            rows: t.paths.len(),
            attributes: attributes
                .iter()
                .zip(&t.values)
                .filter(|(_, v)| v.is_some())
                .map(|(a, _)| a.clone())
                .collect(),
        });
        for (i, path) in t.paths.into_iter().enumerate() {
            let next = set.images.len();
            let image = *image_of.entry(path.clone()).or_insert(next);
            if image == next {
                set.images.push(path);
            }
            // Without groups every image is its own group: an image two sources label is
            // still one group.
            let key = match &t.groups {
                Some(g) => format!("g:{}", g[i]),
                None => format!("i:{image}"),
            };
            let next = group_of.len();
            let group = *group_of.entry(key).or_insert(next);
            set.rows.push(LabelRow {
                image,
                source: s,
                group,
            });
        }
        let rows = set.sources[s].rows;
        for (a, v) in set.attributes.iter_mut().zip(t.values) {
            match v {
                Some(v) => a.values.extend(v),
                None => a.values.extend(std::iter::repeat_n(None, rows)),
            }
        }
    }
    set.groups = group_of.len();
    for a in &set.attributes {
        let (pos, neg) = a.counts();
        if pos < MIN_EXAMPLES || neg < MIN_EXAMPLES {
            let message = format!(
                "attribute {}: {pos} positive and {neg} negative examples; at least {MIN_EXAMPLES} of each are needed",
                a.name
            );
            return Err(match tables {
                [one] => bad(one, message),
                _ => MacError::Train(message),
            });
        }
    }
    Ok(set)
}

/// Reads one labels table.
async fn read_table(
    table: &Path,
    attributes: &[String],
    root: Option<&Path>,
    group: Option<&str>,
) -> Result<Table> {
    let batches = if table.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        // Every column as text: type inference from the first rows would make a column that
        // starts empty (labels of one source after another's) a column of NULLs.
        vec![read_csv_text(table)?]
    } else {
        // Registered as `--data` registers it (a fresh context: the query needs no functions).
        let ctx = datafusion::prelude::SessionContext::new();
        crate::catalog::register(&ctx, "labels", table).await?;
        ctx.table("labels").await?.collect().await?
    };
    let schema = match batches.first() {
        Some(b) => b.schema(),
        None => return Err(bad(table, "the labels table has no rows")),
    };
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let find = |col: &str, what: &str| -> Result<usize> {
        schema.index_of(col).map_err(|_| {
            bad(
                table,
                format!("no {what}column '{col}' (columns: {})", columns.join(", ")),
            )
        })
    };
    let path_col = find("path", "")?;
    let group_col = group.map(|g| find(g, "--group ")).transpose()?;
    let attr_cols: Vec<Option<usize>> = attributes.iter().map(|a| schema.index_of(a).ok()).collect();
    let root = root
        .map(Path::to_path_buf)
        .unwrap_or_else(|| table.parent().map(Path::to_path_buf).unwrap_or_default());
    let mut paths = Vec::new();
    let mut groups = group_col.map(|_| Vec::new());
    let mut values: Vec<Option<Vec<Option<bool>>>> =
        attr_cols.iter().map(|c| c.map(|_| Vec::new())).collect();
    let mut row = 0usize;
    for b in &batches {
        let p = cast(b.column(path_col), &DataType::Utf8)?;
        let p = p.as_string::<i32>();
        for i in 0..b.num_rows() {
            if p.is_null(i) || p.value(i).trim().is_empty() {
                return Err(bad(table, format!("row {}: empty path", row + i + 1)));
            }
            let raw = PathBuf::from(p.value(i).trim());
            paths.push(if raw.is_absolute() { raw } else { root.join(raw) });
        }
        if let (Some(c), Some(groups)) = (group_col, groups.as_mut()) {
            let g = cast(b.column(c), &DataType::Utf8)?;
            let g = g.as_string::<i32>();
            for i in 0..b.num_rows() {
                if g.is_null(i) || g.value(i).trim().is_empty() {
                    return Err(bad(
                        table,
                        format!(
                            "column {}, row {}: empty group (every image needs its person)",
                            group.unwrap_or_default(),
                            row + i + 1
                        ),
                    ));
                }
                groups.push(g.value(i).trim().to_string());
            }
        }
        for (k, c) in attr_cols.iter().enumerate() {
            if let (Some(c), Some(v)) = (c, values[k].as_mut()) {
                v.extend(label_values(table, &attributes[k], b.column(*c), row)?);
            }
        }
        row += b.num_rows();
    }
    Ok(Table {
        columns,
        paths,
        groups,
        values,
    })
}

/// A CSV file with every column read as (nullable) text; empty cells are NULL.
fn read_csv_text(table: &Path) -> Result<arrow::array::RecordBatch> {
    use std::sync::Arc;

    use arrow::array::StringArray;
    use arrow::datatypes::{Field, Schema};

    // The importers' reader: header, field counts and errors with file, line and column.
    let csv = crate::import::input::read_csv(table)?;
    let headers = csv.header;
    let mut cols: Vec<Vec<Option<String>>> = vec![Vec::new(); headers.len()];
    for (_, rec) in &csv.records {
        for (c, v) in cols.iter_mut().zip(rec.iter()) {
            let v = v.trim();
            c.push((!v.is_empty()).then(|| v.to_string()));
        }
    }
    let schema = Arc::new(Schema::new(
        headers
            .iter()
            .map(|h| Field::new(h, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let arrays: Vec<ArrayRef> = cols
        .into_iter()
        .map(|c| Arc::new(StringArray::from(c)) as ArrayRef)
        .collect();
    Ok(arrow::array::RecordBatch::try_new(schema, arrays)?)
}

/// One attribute column as labels; a value other than 1, -1, 0 or NULL is an error naming the
/// column and the row (1-based, counting data rows).
fn label_values(table: &Path, name: &str, col: &ArrayRef, first_row: usize) -> Result<Vec<Option<bool>>> {
    let numbers = match col.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let s = cast(col, &DataType::Utf8)?;
            let s = s.as_string::<i32>();
            let mut out = Vec::with_capacity(s.len());
            for i in 0..s.len() {
                let text = if s.is_null(i) { "" } else { s.value(i).trim() };
                out.push(match text {
                    "" => None,
                    t => Some(t.parse::<f64>().map_err(|_| {
                        bad(
                            table,
                            format!(
                                "column {name}, row {}: '{t}' is not a label (expected 1, -1, 0 or empty)",
                                first_row + i + 1
                            ),
                        )
                    })?),
                });
            }
            out
        }
        DataType::Null => vec![None; col.len()],
        DataType::Boolean => {
            return Err(bad(
                table,
                format!(
                    "column {name}: {} values are not labels (expected 1, -1, 0 or empty)",
                    col.data_type()
                ),
            ));
        }
        t if t.is_numeric() => {
            let f = cast(col, &DataType::Float64)?;
            let f = f.as_primitive::<Float64Type>();
            (0..f.len())
                .map(|i| (!f.is_null(i)).then(|| f.value(i)))
                .collect()
        }
        other => {
            return Err(bad(
                table,
                format!("column {name}: {other} values are not labels"),
            ));
        }
    };
    numbers
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(1.0) => Ok(Some(true)),
            Some(-1.0) => Ok(Some(false)),
            Some(0.0) => Ok(None),
            Some(v) => Err(bad(
                table,
                format!(
                    "column {name}, row {}: value {v} (expected 1, -1, 0 or empty)",
                    first_row + i + 1
                ),
            )),
        })
        .collect()
}
