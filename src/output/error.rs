//! The output subsystem's errors.

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
}
