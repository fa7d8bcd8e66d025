//! `macsql train`: learning attribute heads from labelled images.
//!
//! - [`command`]: the run: labels, features, fits, the new bundle;
//! - [`labels`]: the labels table (a `path` column and 1 / -1 attribute columns);
//! - [`fit`]: one attribute, cross-validated, with its reliability band;
//! - [`logistic`]: one head: balanced L2 logistic regression (linfa);
//! - [`metrics`]: ROC AUC, balanced accuracy, reliability bands, stratified folds;
//! - [`reduce`]: the exact change of basis that makes fitting on thousands of features cheap;
//! - [`report`]: the markdown and Parquet reports.

pub mod command;
pub mod fit;
pub mod labels;
pub mod logistic;
pub mod metrics;
pub mod reduce;
pub mod report;

pub use command::{AttributeOutcome, TrainOptions, TrainSummary, train};
pub use fit::Fitted;
pub use metrics::BandChoice;
