//! Images in: which files to annotate, decoding them, and turning pixels into model inputs.
//!
//! - [`inputs`]: folders searched recursively, or CSV listings of paths;
//! - [`decode`]: decoding image files, refusing cut ones;
//! - [`resample`]: Pillow-exact antialiased bilinear resizing of a crop box;
//! - [`preprocess`]: fixed crops, resizing, normalising (pure functions).

pub mod decode;
pub mod inputs;
pub mod preprocess;
pub mod resample;
