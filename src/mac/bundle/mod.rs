//! The model bundle: its TOML manifest, the default bundle built into the binary, and the
//! linear heads file that `macsql train` writes.
//!
//! - [`manifest`]: detector, models, chips, normalisation, attribute readers, bands;
//! - [`builtin`]: the default bundle compiled into the binary;
//! - [`heads`]: the learned heads (`read = "linear"`) and the feature layout they read.

pub mod builtin;
pub mod heads;
pub mod manifest;
