//! The catalog's errors: why a file or folder could not be registered as a table.

use std::path::PathBuf;

use crate::foreign::{ForeignError, foreign_from};
use crate::formats::FormatError;

/// Why a file or folder could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A path that does not exist.
    #[error("no such file or folder: {}", .0.display())]
    NotFound(PathBuf),
    /// A data file that holds no bytes at all: no header, no schema, nothing to register.
    #[error("{}: the file is empty (0 bytes: no header row, no schema), so there is no table to register", .0.display())]
    EmptyFile(PathBuf),
    /// A file whose extension names no format macsql reads.
    #[error("{0}")]
    Format(FormatError),
    /// A path that is not valid UTF-8 (DataFusion takes paths as URLs).
    #[error("{}: path is not valid UTF-8 (tables are read by URL): rename the file or link it under a UTF-8 name", .0.display())]
    NonUtf8Path(PathBuf),
    /// A file DataFusion could not read (bad header, corrupt footer, ...).
    #[error("cannot read {}: {message}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong, as DataFusion says it.
        message: String,
    },
    /// A folder without Parquet files.
    #[error("{}: folder holds no .parquet files (a folder is read as one Parquet table)", .0.display())]
    NoParquet(PathBuf),
    /// A folder whose Parquet parts cannot be read together.
    #[error("cannot read the folder {}: {}{message}", folder.display(), part.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Folder {
        /// The folder.
        folder: PathBuf,
        /// The part that is broken, when one is.
        part: Option<PathBuf>,
        /// What is wrong.
        message: String,
    },
    /// The shards of a dataset folder were annotated with different model bundles.
    #[error(
        "{}: its shards were annotated with different model bundles, whose labels do not compare: \
         {first} and {second}; annotate them again with one bundle, or register them as separate tables",
        folder.display()
    )]
    MixedBundles {
        /// The dataset folder.
        folder: PathBuf,
        /// One shard's marker and bundle.
        first: String,
        /// Another's, with a different bundle.
        second: String,
    },
    /// DataFusion, Arrow, Parquet or the file system failed.
    #[error("{0}")]
    Foreign(ForeignError),
}

foreign_from!(CatalogError);

impl From<FormatError> for CatalogError {
    fn from(e: FormatError) -> Self {
        CatalogError::Format(e)
    }
}
