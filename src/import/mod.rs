//! Importers for existing annotation sets (MAAD-Face, CelebA, LFWA+, FairFace, Face API tables): each
//! becomes an annotation table in the shared layout of [`crate::annotations`], written atomically.

mod celeba;
mod faceapi;
mod fairface;
pub(crate) mod input;
mod lfwa;
mod maad;
mod table;

use std::path::{Path, PathBuf};

use crate::annotations::{Band, Kind};
use crate::foreign::{ForeignError, foreign_from};

/// Errors of the importers: malformed input, named by file, line and column.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A problem at one place of the input.
    #[error("{}:{line}: {column}{message}", file.display())]
    At {
        /// The input file.
        file: PathBuf,
        /// The line (1-based).
        line: u64,
        /// The column followed by `: `, e.g. `column 3 ('Male'): ` (empty when unknown).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A problem with the whole file.
    #[error("{}: {message}", file.display())]
    File {
        /// The input file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The input file does not exist.
    #[error("no such file or folder: {}", .0.display())]
    NotFound(PathBuf),
    /// Building the table (Arrow) failed.
    #[error("{0}")]
    Foreign(ForeignError),
}

foreign_from!(ImportError);

/// The annotation formats `macsql import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// MAAD-Face CSV.
    Maad,
    /// CelebA list_attr_celeba.txt.
    Celeba,
    /// LFWA+ attribute CSV of LFW (the 73 attributes of Kumar et al. or CelebA's 40).
    Lfwa,
    /// FairFace label CSV.
    Fairface,
    /// FFHQ Face API table.
    Faceapi,
    /// StyleFlow Face API table.
    Styleflow,
}

impl ImportFormat {
    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::Maad => "maad",
            ImportFormat::Celeba => "celeba",
            ImportFormat::Lfwa => "lfwa",
            ImportFormat::Fairface => "fairface",
            ImportFormat::Faceapi => "faceapi",
            ImportFormat::Styleflow => "styleflow",
        }
    }
}

/// Reads `input` in `format` into an annotation table (schema and one record batch) for
/// `dataset` of `kind` (`real` / `synthetic`), probabilities labelled by `band`.
pub fn import(
    format: ImportFormat,
    input: &Path,
    dataset: &str,
    kind: Kind,
    band: Band,
) -> Result<(arrow::datatypes::SchemaRef, arrow::array::RecordBatch), ImportError> {
    if !input.exists() {
        return Err(ImportError::NotFound(input.to_path_buf()));
    }
    let imported = match format {
        ImportFormat::Maad => maad::read(input)?,
        ImportFormat::Celeba => celeba::read(input)?,
        ImportFormat::Lfwa => lfwa::read(input)?,
        ImportFormat::Fairface => fairface::read(input)?,
        ImportFormat::Faceapi => faceapi::read_faceapi(input, band)?,
        ImportFormat::Styleflow => faceapi::read_styleflow(input, band)?,
    };
    let provenance = table::Provenance {
        source: format!("import:{}", format.name()),
        input: input.display().to_string(),
        band,
    };
    table::to_batch(imported, dataset, kind.as_str(), &provenance)
}
