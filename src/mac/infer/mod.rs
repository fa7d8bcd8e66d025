//! Inference: ONNX Runtime, the bundle's sessions, and the path from an image file to scores.
//!
//! - [`runtime`]: loading ONNX Runtime (ORT_DYLIB_PATH, cache, or the PyPI wheel);
//! - [`classifier`]: ONNX sessions checked against the manifest, batched inference;
//! - [`pipeline`]: image file -> detection -> chips -> scores, shared by annotate, SQL and train.

pub mod classifier;
pub mod pipeline;
pub mod runtime;
