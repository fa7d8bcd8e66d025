//! The classifier in SQL: `mac_annotate(path)` and `images('folder')`.
//!
//! - [`udf`]: `mac_annotate(path)`, with a bounded [`memo`] of recent results;
//! - [`images`]: `images('folder')`, a table of the image files under a folder.

pub mod images;
pub mod memo;
pub mod udf;
