//! Tables for people: comfy-table fitted to the terminal width, and Markdown.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

use super::OutputError;

type Result<T, E = OutputError> = std::result::Result<T, E>;
use crate::output::text::column_strings;

/// Cell texts of the first `maxrows` rows (all when 0), row by row.
fn rows_of(batches: &[RecordBatch], maxrows: usize) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for batch in batches {
        let columns: Vec<Vec<String>> = batch
            .columns()
            .iter()
            .map(|c| column_strings(c, "NULL", true))
            .collect::<std::result::Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            if maxrows > 0 && rows.len() >= maxrows {
                return Ok(rows);
            }
            rows.push(columns.iter().map(|c| c[i].clone()).collect());
        }
    }
    Ok(rows)
}

fn is_numeric(dt: &arrow::datatypes::DataType) -> bool {
    dt.is_numeric()
}

/// Longest cell text shown in a table; longer values are cut with `…`.
const MAX_CELL_CHARS: usize = 48;

fn truncate_cell(s: &str) -> String {
    if s.chars().count() > MAX_CELL_CHARS {
        let mut t: String = s.chars().take(MAX_CELL_CHARS - 1).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// Picks which columns fit in `width` terminal columns: as many as fit, alternating from the
/// left and the right edge (as DuckDB does), so the first and last columns stay visible.
/// Returns the indices to show, in order, and whether columns were elided.
fn columns_that_fit(widths: &[usize], width: usize) -> (Vec<usize>, bool) {
    // Each column costs its content plus 3 (two spaces of padding and one border).
    let cost = |w: usize| w + 3;
    let total: usize = 1 + widths.iter().map(|w| cost(*w)).sum::<usize>();
    if total <= width || widths.len() <= 1 {
        return ((0..widths.len()).collect(), false);
    }
    let mut budget = width.saturating_sub(1 + cost(1)); // room for the `…` column
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut lo, mut hi) = (0usize, widths.len());
    let mut take_left = true;
    while lo < hi {
        let i = if take_left { lo } else { hi - 1 };
        if cost(widths[i]) > budget {
            break;
        }
        budget -= cost(widths[i]);
        if take_left {
            left.push(i);
            lo += 1;
        } else {
            right.push(i);
            hi -= 1;
        }
        take_left = !take_left;
    }
    if left.is_empty() {
        left.push(0);
    }
    right.reverse();
    left.extend(right);
    (left, true)
}

/// Renders a table (box drawing) fitted to `width` columns, with a footer that gives the row
/// count and says how many rows are hidden when `maxrows` cut the result. Columns that do not
/// fit the width are elided in the middle (shown as `…`) and counted in the footer.
pub fn render_table(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    total_rows: usize,
    maxrows: usize,
    width: Option<u16>,
) -> Result<String> {
    let rows: Vec<Vec<String>> = rows_of(batches, maxrows)?
        .into_iter()
        .map(|r| r.iter().map(|c| truncate_cell(c)).collect())
        .collect();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().to_string()).collect();
    let widths: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(n.chars().count()))
                .max()
                .unwrap_or(1)
        })
        .collect();
    let (shown_cols, elided) = match width {
        Some(w) => columns_that_fit(&widths, w as usize),
        None => ((0..names.len()).collect(), false),
    };
    let split = shown_cols
        .windows(2)
        .position(|w| w[1] != w[0] + 1)
        .map(|p| p + 1);
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    match width {
        Some(w) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(w);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    let pick = |cells: &[String]| -> Vec<String> {
        let mut out: Vec<String> = shown_cols.iter().map(|i| cells[*i].clone()).collect();
        if elided {
            out.insert(split.unwrap_or(out.len()), "…".to_string());
        }
        out
    };
    table.set_header(pick(&names));
    for row in &rows {
        table.add_row(pick(row));
    }
    let mut positions: Vec<Option<usize>> = shown_cols.iter().map(|i| Some(*i)).collect();
    if elided {
        positions.insert(split.unwrap_or(positions.len()), None);
    }
    for (pos, field_index) in positions.iter().enumerate() {
        if let Some(i) = field_index
            && is_numeric(schema.field(*i).data_type())
            && let Some(col) = table.column_mut(pos)
        {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = table.to_string();
    out.push('\n');
    let shown = rows.len();
    let noun = if total_rows == 1 { "row" } else { "rows" };
    let mut footer = if shown < total_rows {
        format!(
            "{total_rows} {noun} ({shown} shown, {} hidden: .maxrows N or --maxrows 0 shows more)",
            total_rows - shown
        )
    } else {
        format!("{total_rows} {noun}")
    };
    if elided {
        footer.push_str(&format!(
            ", {} columns ({} shown; .mode csv or a narrower SELECT shows the rest)",
            names.len(),
            shown_cols.len()
        ));
    }
    out.push_str(&footer);
    out.push('\n');
    Ok(out)
}

/// Renders a Markdown (GitHub) table of the first `maxrows` rows (all when 0).
pub fn render_markdown(schema: &SchemaRef, batches: &[RecordBatch], maxrows: usize) -> Result<String> {
    let rows = rows_of(batches, maxrows)?;
    let esc = |s: &str| s.replace('|', "\\|");
    let mut out = String::new();
    let names: Vec<String> = schema.fields().iter().map(|f| esc(f.name())).collect();
    out.push_str(&format!("| {} |\n", names.join(" | ")));
    let aligns: Vec<&str> = schema
        .fields()
        .iter()
        .map(|f| if is_numeric(f.data_type()) { "---:" } else { "---" })
        .collect();
    out.push_str(&format!("| {} |\n", aligns.join(" | ")));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| esc(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::columns_that_fit;

    #[test]
    fn wide_results_keep_the_edges_and_elide_the_middle() {
        let widths = vec![10; 20];
        let (cols, elided) = columns_that_fit(&widths, 80);
        assert!(elided);
        assert_eq!(cols.first(), Some(&0));
        assert_eq!(cols.last(), Some(&19));
        let used: usize = 1 + cols.iter().map(|i| widths[*i] + 3).sum::<usize>() + 4;
        assert!(used <= 80, "{used}");
        assert_eq!(columns_that_fit(&[5, 5], 80), (vec![0, 1], false));
    }
}
