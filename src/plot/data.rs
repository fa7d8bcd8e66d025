//! From a query result to chart data: classifies the result's columns, picks the chart kind
//! from the result's shape (or checks the kind the user named), and gathers the values.

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, MapArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use super::{PlotError, PlotKind};

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

fn long_bars(
    table: &Table,
    series_col: Option<usize>,
    label_col: usize,
    value_col: usize,
    cols: &Columns,
) -> Result<Bars, PlotError> {
    let (mut categories, mut cat_seen) = (Vec::new(), HashMap::new());
    let (mut series, mut ser_seen) = (Vec::new(), HashMap::new());
    let mut cells: HashMap<(usize, usize), f64> = HashMap::new();
    for r in 0..table.len {
        let c = index_of(&mut categories, &mut cat_seen, table.text(label_col, r));
        let s = match series_col {
            Some(sc) => index_of(&mut series, &mut ser_seen, table.text(sc, r)),
            None => index_of(&mut series, &mut ser_seen, cols.names[value_col].clone()),
        };
        if let Some(v) = table.number(value_col, r)
            && cells.insert((c, s), v).is_some()
        {
            return Err(PlotError::Duplicate {
                series: series[s].clone(),
                category: categories[c].clone(),
            });
        }
    }
    let series = series
        .into_iter()
        .enumerate()
        .map(|(s, name)| {
            (
                name,
                (0..categories.len())
                    .map(|c| cells.get(&(c, s)).copied())
                    .collect(),
            )
        })
        .collect();
    Ok(Bars {
        value_name: cols.names[value_col].clone(),
        categories,
        series,
    })
}

fn wide_bars(table: &Table, label_col: usize, value_cols: &[usize], cols: &Columns) -> Bars {
    Bars {
        value_name: "value".into(),
        categories: (0..table.len).map(|r| table.text(label_col, r)).collect(),
        series: value_cols
            .iter()
            .map(|&v| {
                (
                    cols.names[v].clone(),
                    (0..table.len).map(|r| table.number(v, r)).collect(),
                )
            })
            .collect(),
    }
}

/// Histogram values as shares of each row's total: one series per row, one category per key.
fn histogram_bars(cols: &Columns, table: &Table) -> Bars {
    let hist = table.columns[cols.histograms[0]].as_map_opt().cloned();
    let (mut keys, mut seen) = (Vec::new(), HashMap::new());
    let mut series = Vec::new();
    for r in 0..table.len {
        let name = if cols.labels.is_empty() {
            format!("row {}", r + 1)
        } else {
            cols.labels
                .iter()
                .map(|&l| table.text(l, r))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let mut counts: Vec<(usize, f64)> = Vec::new();
        if let Some(map) = hist.as_ref().filter(|m| !m.is_null(r)) {
            let entries = map_entries(map, r);
            for (k, v) in entries {
                counts.push((index_of(&mut keys, &mut seen, k), v));
            }
        }
        series.push((name, counts));
    }
    // Numeric keys (attribute labels 1 / 0 / -1, age groups) read best in numeric order.
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if keys.iter().all(|k| k.parse::<f64>().is_ok()) {
        order.sort_by(|&a, &b| {
            keys[b]
                .parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&keys[a].parse::<f64>().unwrap_or(0.0))
        });
    }
    let categories: Vec<String> = order.iter().map(|&i| keys[i].clone()).collect();
    let series = series
        .into_iter()
        .map(|(name, counts)| {
            let total: f64 = counts.iter().map(|(_, v)| v).sum();
            let values = order
                .iter()
                .map(|&k| {
                    let v = counts
                        .iter()
                        .find(|(i, _)| *i == k)
                        .map(|(_, v)| *v)
                        .unwrap_or(0.0);
                    (total > 0.0).then(|| v / total)
                })
                .collect();
            (name, values)
        })
        .collect();
    Bars {
        value_name: "share of rows".into(),
        categories,
        series,
    }
}

/// The (key, count) entries of row `r` of a histogram map.
pub(crate) fn map_entries(map: &MapArray, r: usize) -> Vec<(String, f64)> {
    let entries = map.value(r);
    let keys = entries.column(0).clone();
    let values = cast(entries.column(1), &DataType::Float64).ok();
    (0..entries.len())
        .map(|i| {
            let v = values
                .as_ref()
                .map(|a| a.as_primitive::<Float64Type>())
                .filter(|a| !a.is_null(i))
                .map(|a| a.value(i))
                .unwrap_or(0.0);
            (display(&keys, i), v)
        })
        .collect()
}

fn heatmap_long(table: &Table, cols: &Columns, pair: bool) -> Result<Heatmap, PlotError> {
    let row_col = cols.labels[0];
    let value_col = cols.values[0];
    let (mut rows, mut row_seen) = (Vec::new(), HashMap::new());
    let (mut columns, mut col_seen) = (Vec::new(), HashMap::new());
    let mut cells: HashMap<(usize, usize), f64> = HashMap::new();
    for r in 0..table.len {
        let i = index_of(&mut rows, &mut row_seen, table.text(row_col, r));
        let name = if pair {
            format!(
                "{}‖{}",
                table.text(cols.labels[1], r),
                table.text(cols.labels[2], r)
            )
        } else {
            table.text(cols.labels[1], r)
        };
        let j = index_of(&mut columns, &mut col_seen, name);
        if let Some(v) = table.number(value_col, r)
            && cells.insert((i, j), v).is_some()
        {
            return Err(PlotError::Duplicate {
                series: columns[j].clone(),
                category: rows[i].clone(),
            });
        }
    }
    let values = (0..rows.len())
        .map(|i| (0..columns.len()).map(|j| cells.get(&(i, j)).copied()).collect())
        .collect();
    Ok(Heatmap {
        value_name: cols.names[value_col].clone(),
        rows,
        columns,
        values,
    })
}

/// The distinct ordered pairs (P, Q) of a long divergence result, in the order first seen.
fn pairs(table: &Table, cols: &Columns) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in 0..table.len {
        let p = (table.text(cols.labels[1], r), table.text(cols.labels[2], r));
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn asymmetry_long(table: &Table, cols: &Columns) -> Result<Asymmetry, String> {
    let pairs = pairs(table, cols);
    let [(p, q), (q2, p2)] = pairs.as_slice() else {
        return Err(format!(
            "found {} ordered pairs (P, Q); an asymmetry chart needs exactly two, P‖Q and Q‖P",
            pairs.len()
        ));
    };
    if p != p2 || q != q2 {
        return Err(format!(
            "the pairs {p}‖{q} and {q2}‖{p2} are not one pair in both orders"
        ));
    }
    let (value, label) = (cols.values[0], cols.labels[0]);
    let (mut names, mut seen) = (Vec::new(), HashMap::new());
    let mut xy: HashMap<usize, (Option<f64>, Option<f64>)> = HashMap::new();
    for r in 0..table.len {
        let i = index_of(&mut names, &mut seen, table.text(label, r));
        let forward = table.text(cols.labels[1], r) == *p;
        let e = xy.entry(i).or_default();
        if forward {
            e.0 = table.number(value, r);
        } else {
            e.1 = table.number(value, r);
        }
    }
    let fname = &cols.names[value];
    let points = names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match xy.get(&i) {
            Some((Some(x), Some(y))) => Some((n.clone(), *x, *y)),
            _ => None,
        })
        .collect();
    Ok(Asymmetry {
        x_name: format!("{fname}({p}‖{q})"),
        y_name: format!("{fname}({q}‖{p})"),
        points,
    })
}

fn transpose(series: &[(String, Vec<Option<f64>>)]) -> Vec<Vec<Option<f64>>> {
    let n = series.first().map(|(_, v)| v.len()).unwrap_or(0);
    (0..n)
        .map(|i| series.iter().map(|(_, v)| v[i]).collect())
        .collect()
}
