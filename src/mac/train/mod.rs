//! `macsql train`: learning attribute heads from labelled images.
//!
//! - [`labels`]: the labels table (a `path` column and 1 / -1 attribute columns);
//! - [`logistic`]: one head: balanced L2 logistic regression (linfa);
//! - [`metrics`]: ROC AUC, balanced accuracy, reliability bands, stratified folds;
//! - [`reduce`]: the exact change of basis that makes fitting on thousands of features cheap.

pub mod labels;
pub mod logistic;
pub mod metrics;
pub mod reduce;
