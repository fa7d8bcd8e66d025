//! LFWA+ attribute tables of LFW: `image` (`Person/Person_NNNN.jpg`), then binarised 0 / 1
//! columns: either the 73 attributes of Kumar et al. ("Attribute and Simile Classifiers", the
//! `lfw_attributes.txt` set: `lfwa_att_73.csv`) or CelebA's 40 attributes annotated on LFW
//! (`lfwa_att_40.csv`). Which of the two is told from the header.
//!
//! Mapping onto MAAD-Face names (1 stays 1, 0 becomes -1: LFWA+ has no "unknown"):
//! - every column whose name is a MAAD-Face name keeps it (45 of the 73, with the two below all
//!   47; 34 of the 40);
//! - `Attractive` (73): `Attractive_Man` for images whose `Male` is 1, `Attractive_Woman` for the
//!   others (each is only meaningful for its own sex);
//! - `Young` (73): 1 when any of `Baby`, `Child`, `Youth` is 1 (Kumar's age groups are Baby,
//!   Child, Youth, Middle_Aged, Senior; MAAD-Face's are Young, Middle_Aged, Senior); the
//!   40-attribute table has CelebA's own `Young`;
//! - the person is the image's folder (`identity`), so that a split by person is one query away;
//! - every other column is kept as a label column after the MAAD ones (`Sunglasses`,
//!   `Frowning`, lighting, `Youth` itself, ...).

use std::path::Path;

use super::ImportError;
use super::input::read_csv;
use super::table::{Extra, Imported};
use crate::annotations::MAAD_ATTRIBUTES;

/// Reads an LFWA+ table (73 or 40 attributes).
pub fn read(path: &Path) -> Result<Imported, ImportError> {
    let csv = read_csv(path)?;
    let image_col = csv.column("image")?;
    let names: Vec<(usize, &str)> = csv
        .header
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != image_col)
        .map(|(i, n)| (i, n.as_str()))
        .collect();
    let kumar = names.iter().any(|(_, n)| *n == "Attractive_Man");
    let n = csv.records.len();
    let mut values: Vec<Vec<i8>> = names.iter().map(|_| Vec::with_capacity(n)).collect();
    let mut out = Imported::default();
    let mut identity = Vec::with_capacity(n);
    for (line, record) in &csv.records {
        let image = record.get(image_col).unwrap_or_default().trim();
        if image.is_empty() {
            return Err(ImportError::at(
                path,
                *line,
                image_col + 1,
                "image",
                "empty image path",
            ));
        }
        let person = match image.rsplit_once('/') {
            Some((dir, _)) => dir.rsplit('/').next().unwrap_or(dir),
            None => image.rsplit_once('_').map_or(image, |(p, _)| p),
        };
        identity.push(person.to_string());
        out.path.push(image.to_string());
        for (k, (i, name)) in names.iter().enumerate() {
            let raw = record.get(*i).unwrap_or_default().trim();
            let v = match raw {
                "1" | "1.0" => 1,
                "0" | "0.0" | "-1" => -1,
                _ => {
                    return Err(ImportError::at(
                        path,
                        *line,
                        i + 1,
                        name,
                        format!("expected 0 or 1, found '{raw}'"),
                    ));
                }
            };
            values[k].push(v);
        }
    }
    out.identity = Some(identity);
    let col = |name: &str| names.iter().position(|(_, n)| *n == name);
    if kumar {
        if let (Some(m), Some(am), Some(aw)) = (col("Male"), col("Attractive_Man"), col("Attractive_Woman")) {
            let v: Vec<i8> = (0..n)
                .map(|r| {
                    if values[m][r] == 1 {
                        values[am][r]
                    } else {
                        values[aw][r]
                    }
                })
                .collect();
            out.labels.insert("Attractive", v);
        }
        let young: Vec<usize> = ["Baby", "Child", "Youth"].iter().filter_map(|a| col(a)).collect();
        if !young.is_empty() {
            let v: Vec<i8> = (0..n)
                .map(|r| {
                    if young.iter().any(|&c| values[c][r] == 1) {
                        1
                    } else {
                        -1
                    }
                })
                .collect();
            out.labels.insert("Young", v);
        }
    }
    for ((_, name), v) in names.iter().zip(values) {
        match MAAD_ATTRIBUTES.iter().copied().find(|a| a == name) {
            Some(maad) if !out.labels.contains_key(maad) => {
                out.labels.insert(maad, v);
            }
            _ => out.extras.push((name.to_string(), Extra::Label(v))),
        }
    }
    Ok(out)
}
