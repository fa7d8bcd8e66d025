//! The massive attribute classifier (MAC): model bundles, preprocessing, ONNX Runtime, annotation.

pub mod cli;

use datafusion::prelude::SessionContext;

/// Errors of the attribute classifier.
#[derive(Debug, thiserror::Error)]
pub enum MacError {
    /// A model bundle manifest is invalid.
    #[error("{0}")]
    Manifest(String),
}

/// Registers `mac_annotate` and `images` on `ctx`.
pub fn register(_ctx: &SessionContext) {}
