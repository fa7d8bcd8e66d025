//! SQL over face embeddings (face-recognition descriptors, `macsql annotate`'s `embedding`
//! column): similarity, distribution statistics and comparisons between datasets.
//!
//! Conventions shared by every function here: an embedding is a (fixed-size) list of Float32 or
//! Float64 (see [`vectors`]); a NULL embedding gives NULL (scalars) or is skipped (aggregates);
//! errors name the function and the argument.

pub mod compare_embeddings;
pub mod cosine_similarity;
pub mod embedding_distance;
pub mod embedding_stats;
pub mod faces;
pub mod frechet_distance;
pub mod identity_stats;
pub mod nearest_faces;
mod pair_args;
pub mod symmetric_eigen;
pub mod vectors;
