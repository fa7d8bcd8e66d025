//! The annotation table layout shared by `macsql annotate`, `macsql import` and `macsql demo`:
//! the MAAD-Face attribute names, column naming, age groups, reliability bands, Parquet metadata
//! keys, and an atomic Parquet writer.
//!
//! Layout of an annotation table (one row per image):
//! `path` (Utf8), `dataset` (Utf8), `kind` (Utf8: `real` / `synthetic`), `identity` (Utf8,
//! nullable), then for each attribute `Name` (Int8 label: 1 positive, -1 negative, 0 undefined)
//! and, where a probability exists, `Name_p` (Float32 in [0, 1]); numeric estimates such as
//! `age` (Float32); source-specific extra columns after that.

use std::fs::File;
use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;

use crate::foreign::ForeignError;
use crate::output::export::{commit_or_discard, parquet_properties, temp_path_for};

/// Whether a dataset's images are real photographs or synthetic (generated): the `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Kind {
    /// Photographs of real people.
    Real,
    /// Generated faces (GAN, diffusion).
    Synthetic,
}

impl Kind {
    /// The value stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Real => "real",
            Kind::Synthetic => "synthetic",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The 47 MAAD-Face attributes, in the dataset's order.
pub const MAAD_ATTRIBUTES: [&str; 47] = [
    "Male",
    "Young",
    "Middle_Aged",
    "Senior",
    "Asian",
    "White",
    "Black",
    "Rosy_Cheeks",
    "Shiny_Skin",
    "Bald",
    "Wavy_Hair",
    "Receding_Hairline",
    "Bangs",
    "Sideburns",
    "Black_Hair",
    "Blond_Hair",
    "Brown_Hair",
    "Gray_Hair",
    "No_Beard",
    "Mustache",
    "5_o_Clock_Shadow",
    "Goatee",
    "Oval_Face",
    "Square_Face",
    "Round_Face",
    "Double_Chin",
    "High_Cheekbones",
    "Chubby",
    "Obstructed_Forehead",
    "Fully_Visible_Forehead",
    "Brown_Eyes",
    "Bags_Under_Eyes",
    "Bushy_Eyebrows",
    "Arched_Eyebrows",
    "Mouth_Closed",
    "Smiling",
    "Big_Lips",
    "Big_Nose",
    "Pointy_Nose",
    "Heavy_Makeup",
    "Wearing_Hat",
    "Wearing_Earrings",
    "Wearing_Necktie",
    "Wearing_Lipstick",
    "No_Eyewear",
    "Eyeglasses",
    "Attractive",
];

/// Suffix of the Float32 probability column that goes with a label column (`Male` -> `Male_p`).
pub const PROBABILITY_SUFFIX: &str = "_p";

/// The probability column name of attribute `name`.
pub fn probability_column(name: &str) -> String {
    format!("{name}{PROBABILITY_SUFFIX}")
}

/// Age groups used everywhere (MAC bundle, Face API and FairFace imports): Young is under
/// 30 years, Middle_Aged 30 to 59, Senior 60 and over. The boundaries fall on FairFace's age
/// bins (20-29 | 30-39 ... 50-59 | 60-69), so every source maps onto them without splitting a bin.
pub const AGE_GROUPS: [(&str, f32, f32); 3] = [
    ("Young", 0.0, 30.0),
    ("Middle_Aged", 30.0, 60.0),
    ("Senior", 60.0, f32::INFINITY),
];

/// The reliability band that turns a probability into a label.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Band {
    /// At or below this probability the label is -1.
    pub lo: f32,
    /// At or above this probability the label is 1.
    pub hi: f32,
}

impl Default for Band {
    /// The default band: -1 at or below 0.3, 1 at or above 0.7, undefined (0) between.
    fn default() -> Self {
        Band { lo: 0.3, hi: 0.7 }
    }
}

impl Band {
    /// The label of probability `p`: 1 at or above `hi`, -1 at or below `lo`, 0 between.
    pub fn label(&self, p: f32) -> i8 {
        if p >= self.hi {
            1
        } else if p <= self.lo {
            -1
        } else {
            0
        }
    }
}

/// Parquet key-value metadata keys written by annotate / import / demo.
pub mod meta {
    /// macsql version that wrote the file.
    pub const VERSION: &str = "macsql.version";
    /// What produced the labels: `mac:<bundle>`, `import:<format>`, `simulated`.
    pub const SOURCE: &str = "macsql.source";
    /// Time of writing (RFC 3339, UTC).
    pub const CREATED: &str = "macsql.created";
    /// The command line that wrote the file.
    pub const COMMAND: &str = "macsql.command";
    /// JSON object: attribute -> {"lo":..,"hi":..}.
    pub const BANDS: &str = "macsql.bands";
    /// Free-text note (e.g. "SIMULATED data").
    pub const NOTE: &str = "macsql.note";
}

/// The metadata every table macsql writes starts with: [`meta::VERSION`], [`meta::SOURCE`]
/// (`source`), [`meta::CREATED`] (now) and [`meta::COMMAND`] (`command`); each writer adds its own
/// keys to it.
pub fn provenance(
    source: impl Into<String>,
    command: impl Into<String>,
) -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([
        (meta::VERSION.to_string(), env!("CARGO_PKG_VERSION").to_string()),
        (meta::SOURCE.to_string(), source.into()),
        (meta::CREATED.to_string(), created_now()),
        (meta::COMMAND.to_string(), command.into()),
    ])
}

/// This process's command line, space-separated: the value of [`meta::COMMAND`].
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// The current UTC time as RFC 3339, to the second (`2026-11-27T22:20:00Z`): the value of
/// [`meta::CREATED`].
pub fn created_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the Unix epoch as RFC 3339 UTC (days-to-civil after H. Hinnant).
pub fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Writes `batches` to a Parquet file at `path` atomically: the data goes to a temporary
/// sibling first and is renamed only when complete, so a failure never leaves a partial file.
/// The schema's metadata is also written as the file's key-value metadata, where tools such as
/// DuckDB's `parquet_kv_metadata` and pyarrow find it.
pub fn write_parquet_atomic(
    path: &Path,
    schema: SchemaRef,
    batches: impl IntoIterator<Item = Result<RecordBatch, ForeignError>>,
) -> Result<u64, ForeignError> {
    let tmp = temp_path_for(path);
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| ForeignError::io(&tmp, e))?;
        let props = parquet_properties(&schema);
        let mut writer = ArrowWriter::try_new(file, schema, Some(props))?;
        let mut rows = 0u64;
        for batch in batches {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            writer.write(&batch)?;
        }
        writer.close()?;
        Ok(rows)
    })();
    commit_or_discard(&tmp, path, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_label_probabilities() {
        let b = Band { lo: 0.3, hi: 0.7 };
        assert_eq!(b.label(0.7), 1);
        assert_eq!(b.label(0.3), -1);
        assert_eq!(b.label(0.5), 0);
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_818_000), "2026-11-27T22:20:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn attribute_names_are_unique() {
        let mut names = MAAD_ATTRIBUTES.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 47);
    }
}
