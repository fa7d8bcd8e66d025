//! macsql's SQL functions: histograms, divergences and the comparison table function.

use datafusion::prelude::SessionContext;

/// Registers every macsql SQL function on `ctx`.
pub fn register_all(_ctx: &SessionContext) {}

/// The names of macsql's own SQL functions (for shell completion and `.functions`).
pub fn names() -> Vec<&'static str> {
    Vec::new()
}
