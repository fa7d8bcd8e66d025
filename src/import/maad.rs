//! MAAD-Face CSV: `Filename, Identity`, then MAAD attributes labelled -1 / 0 / 1, kept as is.

use std::path::Path;

use super::ImportError;
use super::input::{parse_label, read_csv};
use super::table::Imported;
use crate::annotations::MAAD_ATTRIBUTES;

/// Reads a MAAD-Face CSV. Every column after `Filename` and `Identity` must be a MAAD attribute
/// (at most once); every value -1, 0 or 1.
pub fn read(path: &Path) -> Result<Imported, ImportError> {
    let csv = read_csv(path)?;
    let file_col = csv.column("Filename")?;
    let id_col = csv.column("Identity")?;
    let mut attrs: Vec<(usize, &'static str)> = Vec::new();
    for (i, h) in csv.header.iter().enumerate() {
        if i == file_col || i == id_col {
            continue;
        }
        let Some(name) = MAAD_ATTRIBUTES.iter().copied().find(|a| *a == h.as_str()) else {
            return Err(csv.error(1, i, format!("unknown column '{h}': not a MAAD-Face attribute")));
        };
        if attrs.iter().any(|(_, a)| *a == name) {
            return Err(csv.error(1, i, format!("column '{h}' appears twice")));
        }
        attrs.push((i, name));
    }
    let mut out = Imported {
        identity: Some(Vec::with_capacity(csv.records.len())),
        ..Default::default()
    };
    for (line, record) in &csv.records {
        out.path.push(csv.field(record, file_col).to_string());
        if let Some(ids) = out.identity.as_mut() {
            ids.push(csv.field(record, id_col).to_string());
        }
        for (col, name) in &attrs {
            let s = csv.field(record, *col);
            let v = parse_label(s)
                .ok_or_else(|| csv.error(*line, *col, format!("expected -1, 0 or 1, found '{s}'")))?;
            out.label(*name).push(v);
        }
    }
    for (_, name) in &attrs {
        out.label(*name);
    }
    Ok(out)
}
