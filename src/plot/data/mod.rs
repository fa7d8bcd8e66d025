//! From a query result to chart data: classifies the result's columns, picks the chart kind
//! from the result's shape (or checks the kind the user named), and gathers the values (each
//! chart kind in its own file).

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, MapArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};

mod asymmetry;
mod bars;
mod heatmap;

use super::{PlotError, PlotKind};
use asymmetry::asymmetry_long;
pub(crate) use bars::map_entries;
use bars::{histogram_bars, long_bars, wide_bars};
use heatmap::{heatmap_long, pairs};

/// The role a result column can play in a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Names things: text, booleans, dates, and Int8 attribute labels (1 / 0 / -1).
    Label,
    /// A number to draw: wider integers, floats, decimals.
    Value,
    /// Histogram values (`attr_hist`): a map from label to count.
    Histogram,
}

fn role(dt: &DataType) -> Role {
    use DataType::*;
    match dt {
        Int16
        | Int32
        | Int64
        | UInt16
        | UInt32
        | UInt64
        | Float16
        | Float32
        | Float64
        | Decimal32(_, _)
        | Decimal64(_, _)
        | Decimal128(_, _)
        | Decimal256(_, _) => Role::Value,
        Map(_, _) => Role::Histogram,
        _ => Role::Label,
    }
}

/// Bars: one value per (category, series); a single series is drawn as plain bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// What the values are (the value column's name, or "share of rows" for histograms).
    pub value_name: String,
    /// The categories (one group of bars each), in the order first seen.
    pub categories: Vec<String>,
    /// The series: name and one value per category (None where the result has no row).
    pub series: Vec<(String, Vec<Option<f64>>)>,
}

/// A heat map: one value per (row, column).
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// What the values are (the value column's name).
    pub value_name: String,
    /// Row labels (attributes), in the order first seen.
    pub rows: Vec<String>,
    /// Column labels (ordered dataset pairs, `P‖Q`), in the order first seen.
    pub columns: Vec<String>,
    /// `values[row][column]`.
    pub values: Vec<Vec<Option<f64>>>,
}

/// An asymmetry chart: each point is one attribute, x = D(P‖Q), y = D(Q‖P).
#[derive(Debug, Clone, PartialEq)]
pub struct Asymmetry {
    /// The x axis title, e.g. `KL(ffhq‖stylegan2)`.
    pub x_name: String,
    /// The y axis title, e.g. `KL(stylegan2‖ffhq)`.
    pub y_name: String,
    /// (label, x, y) per attribute with both values present.
    pub points: Vec<(String, f64, f64)>,
}

/// The data of one chart, in the shape its kind needs.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartData {
    /// Horizontal (grouped) bars.
    Bars(Bars),
    /// A heat map with a colour scale.
    Heatmap(Heatmap),
    /// A scatter of forward against reverse divergence, with the diagonal.
    Asymmetry(Asymmetry),
}

/// The most rows a chart is drawn from: more would not be legible (aggregate first).
pub const MAX_ROWS: usize = 10_000;

/// The shapes `.plot` understands, for error messages.
pub const SHAPES: &str = "\
  bars:      LABEL, VALUE                 (one bar per row)
             SERIES, LABEL, VALUE          (grouped bars, e.g. per dataset)
             LABEL, VALUE1, VALUE2, ...    (grouped bars, one series per value column)
             [LABEL,] HISTOGRAM            (attr_hist values, one series per row)
  heatmap:   ATTRIBUTE, P, Q, VALUE        (attributes x ordered pairs P‖Q)
             ROW, COLUMN, VALUE  or  ROW, VALUE1, VALUE2, ...
  asymmetry: ATTRIBUTE, P, Q, VALUE        (exactly the pairs P‖Q and Q‖P)
             ATTRIBUTE, KL_PQ, KL_QP
LABEL columns are text, booleans or Int8 labels; VALUE columns are other numbers.";

/// A result's columns sorted by role.
struct Columns {
    names: Vec<String>,
    labels: Vec<usize>,
    values: Vec<usize>,
    histograms: Vec<usize>,
    shape: String,
}

impl Columns {
    fn of(schema: &SchemaRef) -> Self {
        let mut c = Columns {
            names: Vec::new(),
            labels: Vec::new(),
            values: Vec::new(),
            histograms: Vec::new(),
            shape: String::new(),
        };
        let mut shape = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            c.names.push(f.name().clone());
            let r = role(f.data_type());
            match r {
                Role::Label => c.labels.push(i),
                Role::Value => c.values.push(i),
                Role::Histogram => c.histograms.push(i),
            }
            let r = match r {
                Role::Label => "LABEL",
                Role::Value => "VALUE",
                Role::Histogram => "HISTOGRAM",
            };
            shape.push(format!("{} {r} ({})", f.name(), f.data_type()));
        }
        c.shape = shape.join(", ");
        c
    }

    /// Labels come first, then values: the layout every shape uses.
    fn labels_then_values(&self) -> bool {
        self.labels.iter().all(|l| self.values.iter().all(|v| l < v))
    }
}

/// Builds the chart data for `kind` (or the kind the shape implies) from a result.
pub fn chart_data(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    kind: PlotKind,
) -> Result<ChartData, PlotError> {
    let cols = Columns::of(schema);
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if rows == 0 {
        return Err(PlotError::Empty);
    }
    if rows > MAX_ROWS {
        return Err(PlotError::TooManyRows(rows));
    }
    let table = Table::new(schema, batches)?;
    let kind = match kind {
        PlotKind::Auto => auto_kind(&cols, &table)?,
        k => k,
    };
    let wrong = |why: &str| PlotError::Shape {
        kind,
        why: why.to_string(),
        shape: cols.shape.clone(),
    };
    let (nl, nv, nh) = (cols.labels.len(), cols.values.len(), cols.histograms.len());
    if nh > 0 {
        if kind != PlotKind::Bars || nh > 1 || nv > 0 {
            return Err(wrong(
                "histogram values are drawn as bars: select labels and one histogram column",
            ));
        }
        return Ok(ChartData::Bars(histogram_bars(&cols, &table)));
    }
    if !cols.labels_then_values() {
        return Err(wrong("label columns must come before the value columns"));
    }
    match kind {
        PlotKind::Bars => match (nl, nv) {
            (1, 1) => Ok(ChartData::Bars(long_bars(
                &table,
                None,
                cols.labels[0],
                cols.values[0],
                &cols,
            )?)),
            (2, 1) => Ok(ChartData::Bars(long_bars(
                &table,
                Some(cols.labels[0]),
                cols.labels[1],
                cols.values[0],
                &cols,
            )?)),
            (1, n) if n >= 2 => Ok(ChartData::Bars(wide_bars(
                &table,
                cols.labels[0],
                &cols.values,
                &cols,
            ))),
            _ => Err(wrong(
                "bars need one or two label columns and value columns after them",
            )),
        },
        PlotKind::Heatmap => match (nl, nv) {
            (3, 1) => Ok(ChartData::Heatmap(heatmap_long(&table, &cols, true)?)),
            (2, 1) => Ok(ChartData::Heatmap(heatmap_long(&table, &cols, false)?)),
            (1, n) if n >= 2 => {
                let bars = wide_bars(&table, cols.labels[0], &cols.values, &cols);
                Ok(ChartData::Heatmap(Heatmap {
                    value_name: "value".into(),
                    rows: bars.categories,
                    columns: bars.series.iter().map(|(n, _)| n.clone()).collect(),
                    values: transpose(&bars.series),
                }))
            }
            _ => Err(wrong(
                "a heat map needs ATTRIBUTE, P, Q, VALUE (or ROW, COLUMN, VALUE)",
            )),
        },
        PlotKind::Asymmetry => match (nl, nv) {
            (3, 1) => asymmetry_long(&table, &cols)
                .map(ChartData::Asymmetry)
                .map_err(|w| wrong(&w)),
            (1, 2) => {
                let (x, y) = (cols.values[0], cols.values[1]);
                let points = (0..table.len)
                    .filter_map(|r| {
                        Some((
                            table.text(cols.labels[0], r),
                            table.number(x, r)?,
                            table.number(y, r)?,
                        ))
                    })
                    .collect();
                Ok(ChartData::Asymmetry(Asymmetry {
                    x_name: cols.names[x].clone(),
                    y_name: cols.names[y].clone(),
                    points,
                }))
            }
            _ => Err(wrong(
                "an asymmetry chart needs ATTRIBUTE, P, Q, VALUE with the pairs P‖Q and Q‖P, or ATTRIBUTE, KL_PQ, KL_QP",
            )),
        },
        PlotKind::Auto => unreachable!("auto_kind picks a kind"),
    }
}

/// The chart kind a result's shape implies.
fn auto_kind(cols: &Columns, table: &Table) -> Result<PlotKind, PlotError> {
    let (nl, nv, nh) = (cols.labels.len(), cols.values.len(), cols.histograms.len());
    let kl = |i: usize| cols.names[i].to_ascii_lowercase().contains("kl");
    Ok(match (nl, nv, nh) {
        (_, 0, 1) => PlotKind::Bars,
        (1, 1, 0) | (2, 1, 0) => PlotKind::Bars,
        (1, 2, 0) if kl(cols.values[0]) && kl(cols.values[1]) => PlotKind::Asymmetry,
        (1, n, 0) if n >= 2 => PlotKind::Bars,
        (3, 1, 0) => {
            if pairs(table, cols).len() == 2 && asymmetry_long(table, cols).is_ok() {
                PlotKind::Asymmetry
            } else {
                PlotKind::Heatmap
            }
        }
        _ => {
            return Err(PlotError::Shape {
                kind: PlotKind::Auto,
                why: "no chart fits this result".into(),
                shape: cols.shape.clone(),
            });
        }
    })
}

/// The result's columns as text (labels) or numbers (values), row-addressable.
struct Table {
    columns: Vec<ArrayRef>,
    /// Value columns cast to Float64 once (None for other columns).
    numbers: Vec<Option<Float64Array>>,
    len: usize,
}

impl Table {
    fn new(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Self, PlotError> {
        let batch = arrow::compute::concat_batches(schema, batches)?;
        let numbers = batch
            .columns()
            .iter()
            .map(|c| match role(c.data_type()) {
                Role::Value => cast(c, &DataType::Float64)
                    .ok()
                    .map(|a| a.as_primitive::<Float64Type>().clone()),
                _ => None,
            })
            .collect();
        Ok(Table {
            len: batch.num_rows(),
            columns: batch.columns().to_vec(),
            numbers,
        })
    }

    fn text(&self, col: usize, row: usize) -> String {
        display(&self.columns[col], row)
    }

    fn number(&self, col: usize, row: usize) -> Option<f64> {
        let a = self.numbers[col].as_ref()?;
        (!a.is_null(row)).then(|| a.value(row)).filter(|v| v.is_finite())
    }
}

fn display(array: &ArrayRef, row: usize) -> String {
    let options = FormatOptions::default().with_null("NULL");
    match ArrayFormatter::try_new(array.as_ref(), &options) {
        Ok(f) => f.value(row).to_string(),
        Err(_) => "?".into(),
    }
}

/// Position of `key` in `keys`, adding it when new (keeps first-seen order).
fn index_of(keys: &mut Vec<String>, seen: &mut HashMap<String, usize>, key: String) -> usize {
    *seen.entry(key.clone()).or_insert_with(|| {
        keys.push(key);
        keys.len() - 1
    })
}

fn transpose(series: &[(String, Vec<Option<f64>>)]) -> Vec<Vec<Option<f64>>> {
    let n = series.first().map(|(_, v)| v.len()).unwrap_or(0);
    (0..n)
        .map(|i| series.iter().map(|(_, v)| v[i]).collect())
        .collect()
}
