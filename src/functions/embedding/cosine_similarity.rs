//! `cosine_similarity(a, b)`: the cosine of the angle between two embeddings (1 = same
//! direction; for L2-normalised face descriptors, the dot product).

use super::pair_args::embedding_pair_udf;
use super::vectors::cosine;

embedding_pair_udf!(
    /// The `cosine_similarity(a, b)` scalar function: NULL when either embedding is NULL or has
    /// zero length (norm 0).
    CosineSimilarity,
    "cosine_similarity",
    cosine
);
