//! The output subsystem's errors.

use std::path::PathBuf;

use crate::foreign::{ForeignError, foreign_from};
use crate::formats::FormatError;

/// Why a result could not be formatted.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A format name that does not exist (`--format`, `.mode`).
    #[error("unknown format '{name}' (expected one of: {})", super::PrintFormat::NAMES.join(", "))]
    UnknownFormat {
        /// The name given.
        name: String,
    },
    /// A display format (table, markdown) given to the streaming printer, which writes only
    /// the line formats.
    #[error("{0} output is not streamed")]
    NotStreamed(super::PrintFormat),
    /// The folder of an export file does not exist.
    #[error("no such file or folder: {}", .0.display())]
    NotFound(PathBuf),
    /// An export file whose extension names no format macsql writes.
    #[error("{0}")]
    Format(FormatError),
    /// Writing (to stdout or a file), Arrow or Parquet failed.
    #[error("{0}")]
    Foreign(ForeignError),
}

foreign_from!(OutputError);

impl From<FormatError> for OutputError {
    fn from(e: FormatError) -> Self {
        OutputError::Format(e)
    }
}

impl OutputError {
    /// Whether this is a write to a closed pipe, e.g. stdout piped into `head`.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, OutputError::Foreign(e) if e.is_broken_pipe())
    }
}
