//! `embedding_distance(a, b)`: the Euclidean distance between two embeddings (for
//! L2-normalised descriptors, sqrt(2 - 2 cos)).

use super::pair_args::embedding_pair_udf;
use super::vectors::euclidean;

embedding_pair_udf!(
    /// The `embedding_distance(a, b)` scalar function: NULL when either embedding is NULL.
    EmbeddingDistance,
    "embedding_distance",
    |a, b| Some(euclidean(a, b))
);
