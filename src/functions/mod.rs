//! macsql's SQL functions: histograms, divergences and the comparison table function.
//!
//! A histogram is an ordinary SQL value: `Map<value, Int64>` with keys sorted ascending (see
//! [`histogram`]). `attr_hist` makes one; the scalar functions compare them.

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

pub mod attr_hist;
mod attr_hist_groups;
mod hist_args;
pub mod histogram;
pub mod kl_div;

/// Registers every macsql SQL function on `ctx`.
pub fn register_all(ctx: &SessionContext) {
    ctx.register_udaf(AggregateUDF::from(attr_hist::AttrHist::new()));
    ctx.register_udf(ScalarUDF::from(kl_div::KlDiv::new()));
}

/// The names of macsql's own SQL functions (for shell completion and `.functions`).
pub fn names() -> Vec<&'static str> {
    vec!["attr_hist", "kl_div"]
}
