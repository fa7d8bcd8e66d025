//! The massive attribute classifier (MAC), one folder per step of the pipeline:
//!
//! - [`bundle`]: the model bundle (manifest, the built-in default, learned heads);
//! - [`input`]: images in (listing, decoding, resampling, preprocessing);
//! - [`face`]: the face (detection, alignment, chips, region statistics);
//! - [`infer`]: inference (ONNX Runtime, sessions, image -> scores);
//! - [`run`]: the annotation run (`macsql annotate`: journal, dataset folder, shards, table);
//! - [`sql`]: `mac_annotate(path)` and `images('folder')` in SQL;
//! - [`train`]: `macsql train`, learning heads from labelled images.

pub mod bundle;
pub mod face;
pub mod infer;
pub mod input;
pub mod run;
pub mod sql;
pub mod train;

use std::path::PathBuf;

use datafusion::prelude::SessionContext;

use crate::catalog::CatalogError;
use crate::foreign::{ForeignError, foreign_from};
use crate::import::ImportError;

/// Errors of the attribute classifier.
#[derive(Debug, thiserror::Error)]
pub enum MacError {
    /// A model bundle manifest is invalid (or does not match its models).
    #[error("{}: {key}: {message}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The offending key, e.g. `model[0].crop`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A manifest is not valid TOML or has unknown / missing keys.
    #[error("{}: {message}", path.display())]
    ManifestParse {
        /// The manifest file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A manifest cannot be read.
    #[error("cannot read model bundle {}: {message} (pass --model or set MACSQL_MODEL)", path.display())]
    ManifestRead {
        /// The manifest file.
        path: PathBuf,
        /// The I/O error's message.
        message: String,
    },
    /// ONNX Runtime could not be loaded.
    #[error("{0}")]
    Runtime(String),
    /// ONNX Runtime failed on a model.
    #[error("ONNX Runtime, model {model}: {message}")]
    Onnx {
        /// The model file.
        model: String,
        /// The runtime's message.
        message: String,
    },
    /// An input folder or CSV listing cannot be used.
    #[error("{}: {message}", path.display())]
    Input {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `--resume` cannot continue from the files found.
    #[error("{0}")]
    Resume(String),
    /// `macsql annotate` cannot run as asked (no images, a bad `--batch` or `--threads`).
    #[error("annotate: {0}")]
    Annotate(String),
    /// The run was cancelled (Ctrl-C in Python); the finished batches are kept for `resume`.
    #[error(
        "annotate: cancelled; {done} images of {} are done and kept: run again with resume to continue",
        output.display()
    )]
    Cancelled {
        /// The output the run was writing.
        output: PathBuf,
        /// Images done so far (this run and earlier ones).
        done: usize,
    },
    /// `macsql train` cannot run as asked (bad `--folds`, too few labelled images, ...).
    #[error("train: {0}")]
    Train(String),
    /// A labels table for `macsql train` holds something it cannot use.
    #[error("{}: {message}", path.display())]
    Labels {
        /// The labels table.
        path: PathBuf,
        /// What is wrong, with the row or column.
        message: String,
    },
    /// A labels table for `macsql train` could not be registered.
    #[error("{0}")]
    Catalog(CatalogError),
    /// A labels CSV for `macsql train` is malformed.
    #[error("{0}")]
    Import(ImportError),
    /// DataFusion, Arrow, Parquet or the file system failed.
    #[error("{0}")]
    Foreign(ForeignError),
}

foreign_from!(MacError);

impl From<CatalogError> for MacError {
    fn from(e: CatalogError) -> Self {
        MacError::Catalog(e)
    }
}

impl From<ImportError> for MacError {
    fn from(e: ImportError) -> Self {
        MacError::Import(e)
    }
}

/// Registers `mac_annotate` and `images` on `ctx`. Nothing is loaded here: the bundle and
/// ONNX Runtime load on the first call of `mac_annotate`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(sql::udf::MacAnnotate::new().into());
    ctx.register_udtf("images", std::sync::Arc::new(sql::images::ImagesFunction));
}
