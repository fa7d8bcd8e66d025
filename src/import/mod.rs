//! Importers for existing annotation sets (MAAD-Face, CelebA, FairFace, Face API tables).

use std::path::PathBuf;

use crate::error::Result;

/// Errors of the importers.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is malformed.
    #[error("{0}")]
    Malformed(String),
}

/// The annotation formats `macsql import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// MAAD-Face CSV.
    Maad,
    /// CelebA list_attr_celeba.txt.
    Celeba,
    /// FairFace label CSV.
    Fairface,
    /// FFHQ Face API table.
    Faceapi,
    /// StyleFlow Face API table.
    Styleflow,
}

/// Arguments of `macsql import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// Input format.
    #[arg(long)]
    pub format: ImportFormat,
    /// Input file.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Dataset name stored in every row.
    #[arg(long)]
    pub dataset: String,
    /// Whether the images are real or synthetic.
    #[arg(long, value_parser = ["real", "synthetic"])]
    pub kind: String,
    /// Output Parquet file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
}

/// Runs `macsql import`.
pub fn run(_args: ImportArgs) -> Result<()> {
    Err(crate::Error::InvalidArgument("import: being built".into()))
}
