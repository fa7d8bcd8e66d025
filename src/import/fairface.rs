//! FairFace label CSV (`file, age, gender, race[, service_test]`).
//!
//! Mapping: `Male` from gender (Male 1, Female -1); the age bin to Young (0-2 ... 20-29),
//! Middle_Aged (30-39 ... 50-59) or Senior (60-69, more than 70), as [`AGE_GROUPS`] draws them;
//! race to MAAD's three groups: East Asian and Southeast Asian are Asian, White is White, Black
//! is Black; Indian, Latino_Hispanic and Middle Eastern are -1 on all three (MAAD-Face has no
//! group for them). The original columns are kept as `age_bin`, `gender`, `race` (and any
//! other column of the file, such as `service_test`, as text).
//!
//! [`AGE_GROUPS`]: crate::annotations::AGE_GROUPS

use std::path::Path;

use super::ImportError;
use super::input::read_csv;
use super::table::{Extra, Imported};

const AGE: [&str; 3] = ["Young", "Middle_Aged", "Senior"];
const RACE: [&str; 3] = ["Asian", "White", "Black"];

/// The age group (index into Young, Middle_Aged, Senior) of a FairFace age bin.
pub fn age_group(bin: &str) -> Option<usize> {
    match bin {
        "0-2" | "3-9" | "10-19" | "20-29" => Some(0),
        "30-39" | "40-49" | "50-59" => Some(1),
        "60-69" | "more than 70" | "70+" => Some(2),
        _ => None,
    }
}

/// The MAAD race group (index into Asian, White, Black; 3 for none of them) of a FairFace race.
pub fn race_group(race: &str) -> Option<usize> {
    match race {
        "East Asian" | "Southeast Asian" => Some(0),
        "White" => Some(1),
        "Black" => Some(2),
        "Indian" | "Latino_Hispanic" | "Middle Eastern" => Some(3),
        _ => None,
    }
}

/// Reads a FairFace label CSV.
pub fn read(path: &Path) -> Result<Imported, ImportError> {
    let csv = read_csv(path)?;
    let file_col = csv.column("file")?;
    let age_col = csv.column("age")?;
    let gender_col = csv.column("gender")?;
    let race_col = csv.column("race")?;
    let others: Vec<usize> = (0..csv.header.len())
        .filter(|i| ![file_col, age_col, gender_col, race_col].contains(i))
        .collect();
    let n = csv.records.len();
    let mut out = Imported::default();
    let (mut ages, mut genders, mut races) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut other_values: Vec<Vec<Option<String>>> = others.iter().map(|_| Vec::with_capacity(n)).collect();
    for (line, record) in &csv.records {
        out.path.push(csv.field(record, file_col).to_string());
        let gender = csv.field(record, gender_col);
        let male = match gender {
            "Male" => 1,
            "Female" => -1,
            _ => {
                return Err(csv.error(
                    *line,
                    gender_col,
                    format!("expected Male or Female, found '{gender}'"),
                ));
            }
        };
        out.label("Male").push(male);
        let age = csv.field(record, age_col);
        let group = age_group(age).ok_or_else(|| {
            csv.error(
                *line,
                age_col,
                format!("unknown age bin '{age}' (expected 0-2, 3-9, 10-19, ..., 60-69, more than 70)"),
            )
        })?;
        out.one_hot(&AGE, Some(group));
        let race = csv.field(record, race_col);
        let group = race_group(race).ok_or_else(|| {
            csv.error(
                *line,
                race_col,
                format!("unknown race '{race}' (expected one of FairFace's 7 groups)"),
            )
        })?;
        out.one_hot(&RACE, Some(group));
        ages.push(Some(age.to_string()));
        genders.push(Some(gender.to_string()));
        races.push(Some(race.to_string()));
        for (values, col) in other_values.iter_mut().zip(&others) {
            values.push(Some(csv.field(record, *col).to_string()));
        }
    }
    for name in ["Male"].iter().chain(AGE.iter()).chain(RACE.iter()) {
        out.label(*name);
    }
    out.extras.push(("age_bin".into(), Extra::Text(ages)));
    out.extras.push(("gender".into(), Extra::Text(genders)));
    out.extras.push(("race".into(), Extra::Text(races)));
    for (col, values) in others.iter().zip(other_values) {
        out.extras.push((csv.header[*col].clone(), Extra::Text(values)));
    }
    Ok(out)
}
