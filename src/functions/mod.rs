//! macsql's SQL functions: histograms, divergences and the histogram and comparison table functions.
//!
//! A histogram is an ordinary SQL value: `Map<value, Int64>` with keys sorted ascending (see
//! [`histogram`]). `attr_hist` makes one; the scalar functions compare them.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

pub mod attr_hist;
pub mod attr_hists;
pub mod chi2_test;
pub mod compare_attributes;
pub mod embedding;
pub mod hellinger;
mod hist_args;
pub mod hist_entropy;
pub mod hist_frac;
pub mod histogram;
pub mod js_div;
pub mod kl_div;
pub mod psi;
pub(crate) mod table_source;
pub mod tvd;
pub mod wasserstein;

/// Registers every macsql SQL function on `ctx`.
pub fn register_all(ctx: &SessionContext) {
    ctx.register_udaf(AggregateUDF::from(attr_hist::AttrHist::new()));
    ctx.register_udf(ScalarUDF::from(kl_div::KlDiv::new()));
    ctx.register_udf(ScalarUDF::from(js_div::JsDiv::new()));
    ctx.register_udf(ScalarUDF::from(hellinger::Hellinger::new()));
    ctx.register_udf(ScalarUDF::from(tvd::Tvd::new()));
    ctx.register_udf(ScalarUDF::from(psi::Psi::new()));
    ctx.register_udf(ScalarUDF::from(hist_entropy::HistEntropy::new()));
    ctx.register_udf(ScalarUDF::from(hist_frac::HistFrac::new()));
    ctx.register_udf(ScalarUDF::from(wasserstein::Wasserstein::new()));
    ctx.register_udf(ScalarUDF::from(chi2_test::Chi2Test::new()));
    ctx.register_udf(ScalarUDF::from(
        embedding::cosine_similarity::CosineSimilarity::new(),
    ));
    ctx.register_udf(ScalarUDF::from(
        embedding::embedding_distance::EmbeddingDistance::new(),
    ));
    ctx.register_udaf(AggregateUDF::from(
        embedding::embedding_stats::EmbeddingStats::new(),
    ));
    ctx.register_udf(ScalarUDF::from(
        embedding::frechet_distance::FrechetDistance::new(),
    ));
    ctx.register_udtf(
        "compare_embeddings",
        Arc::new(embedding::compare_embeddings::CompareEmbeddings),
    );
    ctx.register_udtf("attr_hists", Arc::new(attr_hists::AttrHists));
    ctx.register_udtf(
        "compare_attributes",
        Arc::new(compare_attributes::CompareAttributes),
    );
    ctx.register_udtf(
        "identity_stats",
        Arc::new(embedding::identity_stats::IdentityStats),
    );
    ctx.register_udtf("nearest_faces", Arc::new(embedding::nearest_faces::NearestFaces));
}

/// The names of macsql's own SQL functions (for shell completion and `.functions`): these and
/// the attribute classifier's (`images`, `mac_annotate`, registered by [`crate::mac`]).
pub fn names() -> Vec<&'static str> {
    vec![
        "attr_hist",
        "attr_hists",
        "kl_div",
        "js_div",
        "hellinger",
        "tvd",
        "psi",
        "hist_entropy",
        "hist_frac",
        "wasserstein",
        "chi2_test",
        "compare_attributes",
        "identity_stats",
        "nearest_faces",
        "cosine_similarity",
        "embedding_distance",
        "embedding_stats",
        "frechet_distance",
        "compare_embeddings",
        "images",
        "mac_annotate",
    ]
}
