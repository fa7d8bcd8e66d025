//! Output: result formats for the terminal and scripts, and streaming export to files.

mod error;
pub mod export;
pub mod format;
pub mod table;
pub mod text;

pub use error::OutputError;
pub use format::PrintFormat;
