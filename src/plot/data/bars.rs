//! Bar chart data: long results (label, value), wide results (label, value columns) and
//! histograms (`attr_hist` maps) as shares per label value.

use super::*;

pub(super) fn long_bars(
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

pub(super) fn wide_bars(table: &Table, label_col: usize, value_cols: &[usize], cols: &Columns) -> Bars {
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
pub(super) fn histogram_bars(cols: &Columns, table: &Table) -> Bars {
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
