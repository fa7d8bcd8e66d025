//! Tables for people: comfy-table fitted to the terminal width, and Markdown.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

use crate::error::Result;
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

/// Renders a table (box drawing) fitted to `width` columns, with a footer that gives the row
/// count and says how many rows are hidden when `maxrows` cut the result.
pub fn render_table(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    total_rows: usize,
    maxrows: usize,
    width: Option<u16>,
) -> Result<String> {
    let rows = rows_of(batches, maxrows)?;
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
    table.set_header(schema.fields().iter().map(|f| f.name().to_string()));
    for row in &rows {
        table.add_row(row.clone());
    }
    for (i, field) in schema.fields().iter().enumerate() {
        if is_numeric(field.data_type())
            && let Some(col) = table.column_mut(i)
        {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = table.to_string();
    out.push('\n');
    let shown = rows.len();
    let noun = if total_rows == 1 { "row" } else { "rows" };
    if shown < total_rows {
        out.push_str(&format!(
            "{total_rows} {noun} ({} shown, {} hidden: .maxrows N or --maxrows 0 shows more)\n",
            shown,
            total_rows - shown
        ));
    } else {
        out.push_str(&format!("{total_rows} {noun}\n"));
    }
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
