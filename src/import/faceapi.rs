//! Microsoft Face API tables: the FFHQ features table (`faceapi`) and the StyleFlow StyleGAN2
//! table (`styleflow`), which carries a subset of the same fields.
//!
//! Mapping (both formats, where the field exists):
//! - `Male` from gender (`male` / `female`, or StyleFlow's `gender_male` 1 / 0): a label only.
//! - `Young` / `Middle_Aged` / `Senior` from `age` in years by [`AGE_GROUPS`] (under 30, 30-59,
//!   60 and over); `age` itself is kept.
//! - Scores become probabilities and labels by the reliability band (default 0.3 / 0.7):
//!   `Smiling_p` = smile, `No_Beard_p` = 1 - beard, `Mustache_p` = moustache, `Sideburns_p` =
//!   sideburns, `Bald_p` = bald (StyleFlow: baldness), `Black_Hair_p` / `Brown_Hair_p` /
//!   `Blond_Hair_p` / `Gray_Hair_p` = the hair colour confidences (undefined when the hair is
//!   not visible).
//! - Glasses: `ReadingGlasses` and `Sunglasses` are Eyeglasses 1, No_Eyewear -1; `NoGlasses` is
//!   Eyeglasses -1, No_Eyewear 1; `SwimmingGoggles` is -1 on both. StyleFlow's 0 / 1 glasses
//!   field maps 1 to Eyeglasses and 0 to No_Eyewear.
//! - `Heavy_Makeup` from eye_makeup, `Wearing_Lipstick` from lip_makeup, `Wearing_Hat` from hat
//!   (True / False): labels only.
//! - Every original column except the image id is kept after them, under its own name.
//!
//! [`AGE_GROUPS`]: crate::annotations::AGE_GROUPS

use std::path::Path;

use super::ImportError;
use super::input::{CsvFile, read_csv};
use super::table::{Extra, Imported};
use crate::annotations::{AGE_GROUPS, Band};

const AGE: [&str; 3] = ["Young", "Middle_Aged", "Senior"];

/// The age group (index into Young, Middle_Aged, Senior) of an age in years.
pub fn age_group(age: f32) -> Option<usize> {
    AGE_GROUPS.iter().position(|(_, lo, hi)| age >= *lo && age < *hi)
}

/// Keeps every column but `skip` and `age`: `text` ones as text, `flags` as booleans, the rest
/// as numbers.
fn keep_extras(
    csv: &CsvFile,
    skip: &[usize],
    text: &[&str],
    flags: &[&str],
) -> Result<Vec<(String, Extra)>, ImportError> {
    let mut extras = Vec::new();
    for (col, name) in csv.header.iter().enumerate() {
        if skip.contains(&col) || name == "age" {
            continue;
        }
        let extra = if text.contains(&name.as_str()) {
            Extra::Text(
                csv.records
                    .iter()
                    .map(|(_, r)| Some(csv.field(r, col).to_string()))
                    .collect(),
            )
        } else if flags.contains(&name.as_str()) {
            Extra::Flag(
                csv.records
                    .iter()
                    .map(|(l, r)| csv.flag(*l, r, col))
                    .collect::<Result<_, _>>()?,
            )
        } else {
            Extra::Number(
                csv.records
                    .iter()
                    .map(|(l, r)| csv.number(*l, r, col))
                    .collect::<Result<_, _>>()?,
            )
        };
        extras.push((name.clone(), extra));
    }
    Ok(extras)
}

fn age_labels(
    out: &mut Imported,
    csv: &CsvFile,
    line: u64,
    record: &csv::StringRecord,
    col: usize,
) -> Result<(), ImportError> {
    let age = csv.number(line, record, col)?;
    if let Some(a) = age
        && !(0.0..=150.0).contains(&a)
    {
        return Err(csv.error(line, col, format!("expected an age in years, found {a}")));
    }
    out.one_hot(&AGE, age.and_then(age_group));
    out.age.get_or_insert_with(Vec::new).push(age);
    Ok(())
}

/// Reads the FFHQ Face API table.
pub fn read_faceapi(path: &Path, band: Band) -> Result<Imported, ImportError> {
    let csv = read_csv(path)?;
    let image = csv.column("image")?;
    let gender = csv.column("gender")?;
    let age = csv.column("age")?;
    let smile = csv.column("smile")?;
    let glasses = csv.column("glasses")?;
    let moustache = csv.column("moustache")?;
    let beard = csv.column("beard")?;
    let sideburns = csv.column("sideburns")?;
    let bald = csv.column("bald")?;
    let invisible = csv.column("hair_invisible")?;
    let eye_makeup = csv.column("eye_makeup")?;
    let lip_makeup = csv.column("lip_makeup")?;
    let hat = csv.column("hat")?;
    let hair = [
        ("Black_Hair", csv.column("hair_black")?),
        ("Brown_Hair", csv.column("hair_brown")?),
        ("Blond_Hair", csv.column("hair_blond")?),
        ("Gray_Hair", csv.column("hair_gray")?),
    ];
    let mut out = Imported::default();
    let flag_label = |l: u64, r: &csv::StringRecord, c: usize| -> Result<i8, ImportError> {
        Ok(match csv.flag(l, r, c)? {
            Some(true) => 1,
            Some(false) => -1,
            None => 0,
        })
    };
    for (line, r) in &csv.records {
        let line = *line;
        out.path.push(csv.field(r, image).to_string());
        let g = csv.field(r, gender);
        let male = match g.to_ascii_lowercase().as_str() {
            "male" => 1,
            "female" => -1,
            "" => 0,
            _ => return Err(csv.error(line, gender, format!("expected male or female, found '{g}'"))),
        };
        out.label("Male").push(male);
        age_labels(&mut out, &csv, line, r, age)?;
        out.probability("Smiling", csv.probability(line, r, smile)?, band);
        let gl = csv.field(r, glasses);
        let (eyeglasses, no_eyewear) = match gl {
            "NoGlasses" => (-1, 1),
            "ReadingGlasses" | "Sunglasses" => (1, -1),
            "SwimmingGoggles" => (-1, -1),
            "" => (0, 0),
            _ => {
                return Err(csv.error(
                    line,
                    glasses,
                    format!(
                        "expected NoGlasses, ReadingGlasses, Sunglasses or SwimmingGoggles, found '{gl}'"
                    ),
                ));
            }
        };
        out.label("Eyeglasses").push(eyeglasses);
        out.label("No_Eyewear").push(no_eyewear);
        let b = csv.probability(line, r, beard)?;
        out.probability("No_Beard", b.map(|b| 1.0 - b), band);
        out.probability("Mustache", csv.probability(line, r, moustache)?, band);
        out.probability("Sideburns", csv.probability(line, r, sideburns)?, band);
        out.probability("Bald", csv.probability(line, r, bald)?, band);
        let hidden = csv.flag(line, r, invisible)?.unwrap_or(false);
        for (name, col) in hair {
            let p = csv.probability(line, r, col)?;
            out.probability(name, if hidden { None } else { p }, band);
        }
        let v = flag_label(line, r, eye_makeup)?;
        out.label("Heavy_Makeup").push(v);
        let v = flag_label(line, r, lip_makeup)?;
        out.label("Wearing_Lipstick").push(v);
        let v = flag_label(line, r, hat)?;
        out.label("Wearing_Hat").push(v);
    }
    out.extras = keep_extras(
        &csv,
        &[image],
        &["gender", "glasses"],
        &["hair_invisible", "eye_makeup", "lip_makeup", "hat"],
    )?;
    Ok(out)
}

/// Reads the StyleFlow StyleGAN2 Face API table.
pub fn read_styleflow(path: &Path, band: Band) -> Result<Imported, ImportError> {
    let csv = read_csv(path)?;
    let idx = csv.column("idx")?;
    let gender = csv.column("gender_male")?;
    let glasses = csv.column("glasses")?;
    let baldness = csv.column("baldness")?;
    let beard = csv.column("beard")?;
    let age = csv.column("age")?;
    let smile = csv.column("smile")?;
    let mut out = Imported::default();
    for (line, r) in &csv.records {
        let line = *line;
        out.path.push(csv.field(r, idx).to_string());
        let male = match csv.flag(line, r, gender)? {
            Some(true) => 1,
            Some(false) => -1,
            None => 0,
        };
        out.label("Male").push(male);
        age_labels(&mut out, &csv, line, r, age)?;
        out.probability("Smiling", csv.probability(line, r, smile)?, band);
        let (eyeglasses, no_eyewear) = match csv.flag(line, r, glasses)? {
            Some(true) => (1, -1),
            Some(false) => (-1, 1),
            None => (0, 0),
        };
        out.label("Eyeglasses").push(eyeglasses);
        out.label("No_Eyewear").push(no_eyewear);
        let b = csv.probability(line, r, beard)?;
        out.probability("No_Beard", b.map(|b| 1.0 - b), band);
        out.probability("Bald", csv.probability(line, r, baldness)?, band);
    }
    out.extras = keep_extras(&csv, &[idx], &[], &[])?;
    Ok(out)
}
