//! The labels table of `macsql train`: a CSV, Parquet, Arrow or JSON table (anything `--data`
//! reads, so `macsql import` output works) with a `path` column and one column per attribute
//! holding 1 / -1 (0 or NULL: not labelled).

use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};

use crate::mac::MacError;

type Result<T, E = MacError> = std::result::Result<T, E>;

/// The labels of one attribute: per image 1 (true), -1 (false) or not labelled (`None`).
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeLabels {
    /// The attribute (column) name.
    pub name: String,
    /// One entry per image of [`Labels::paths`].
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

/// A labels table read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    /// The table file.
    pub source: PathBuf,
    /// Each image's path, resolved against the images root.
    pub paths: Vec<PathBuf>,
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

/// Reads `table` (registered as `--data` would), keeps the `path` column and the `attributes`,
/// resolves relative paths against `root` (default: the table's folder) and checks every value
/// and the counts.
pub async fn read(table: &Path, attributes: &[String], root: Option<&Path>) -> Result<Labels> {
    if attributes.is_empty() {
        return Err(MacError::Train("give at least one --attribute".into()));
    }
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
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let find = |col: &str| -> Result<usize> {
        schema.index_of(col).map_err(|_| {
            bad(
                table,
                format!("no column '{col}' (columns: {})", columns.join(", ")),
            )
        })
    };
    let path_col = find("path")?;
    let attr_cols: Vec<usize> = attributes.iter().map(|a| find(a)).collect::<Result<_>>()?;
    let root = root
        .map(Path::to_path_buf)
        .unwrap_or_else(|| table.parent().map(Path::to_path_buf).unwrap_or_default());
    let mut paths = Vec::new();
    let mut values: Vec<Vec<Option<bool>>> = vec![Vec::new(); attributes.len()];
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
        for (k, &c) in attr_cols.iter().enumerate() {
            values[k].extend(label_values(table, &attributes[k], b.column(c), row)?);
        }
        row += b.num_rows();
    }
    let labels = Labels {
        source: table.to_path_buf(),
        paths,
        attributes: attributes
            .iter()
            .zip(values)
            .map(|(name, values)| AttributeLabels {
                name: name.clone(),
                values,
            })
            .collect(),
    };
    for a in &labels.attributes {
        let (pos, neg) = a.counts();
        if pos < MIN_EXAMPLES || neg < MIN_EXAMPLES {
            return Err(bad(
                table,
                format!(
                    "attribute {}: {pos} positive and {neg} negative examples; at least {MIN_EXAMPLES} of each are needed",
                    a.name
                ),
            ));
        }
    }
    Ok(labels)
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
