//! Heat map data: values by (attribute, ordered dataset pair).

use super::*;

pub(super) fn heatmap_long(table: &Table, cols: &Columns, pair: bool) -> Result<Heatmap, PlotError> {
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
pub(super) fn pairs(table: &Table, cols: &Columns) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in 0..table.len {
        let p = (table.text(cols.labels[1], r), table.text(cols.labels[2], r));
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}
