//! SQL over face embeddings (face-recognition descriptors, `macsql annotate`'s `embedding`
//! column): similarity, distribution statistics and comparisons between datasets.

pub mod faces;
pub mod identity_stats;
pub mod nearest_faces;
pub mod vectors;
