//! The library's typed error.

use std::path::PathBuf;

/// Everything that can go wrong in the macsql library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query failed to plan or execute.
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// An Arrow operation (conversion, writing) failed.
    #[error("{0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Writing or reading a Parquet file failed.
    #[error("{0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A path does not exist.
    #[error("no such file or folder: {0}")]
    NotFound(PathBuf),
    /// A file has an extension macsql cannot read or write.
    #[error("{path}: unsupported file type '{ext}' (expected one of: {expected})")]
    UnsupportedFormat {
        /// The offending path.
        path: PathBuf,
        /// Its extension (may be empty).
        ext: String,
        /// The accepted extensions.
        expected: &'static str,
    },
    /// A user argument is invalid.
    #[error("{0}")]
    InvalidArgument(String),
    /// The attribute classifier failed (model bundle, ONNX Runtime, images).
    #[error("{0}")]
    Mac(#[from] crate::mac::MacError),
    /// Importing an annotation file failed.
    #[error("{0}")]
    Import(#[from] crate::import::ImportError),
    /// A chart could not be drawn (wrong result shape, unknown kind, unwritable file).
    #[error("{0}")]
    Plot(#[from] crate::plot::PlotError),
    /// A polars operation failed (building or reading a `DataFrame`).
    #[cfg(feature = "polars")]
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
