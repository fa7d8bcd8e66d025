//! `macsql train`: learning attribute heads from labelled images.
//!
//! - [`command`]: the run: labels, features, fits, the new bundle;
//! - [`labels`]: the labels tables, one per source (`path`, 1 / -1 attribute columns, the person);
//! - [`fit`]: one attribute, cross-validated by person, with its reliability band;
//! - [`logistic`]: one head: balanced L2 logistic regression (L-BFGS);
//! - [`metrics`]: ROC AUC, balanced accuracy, reliability bands, grouped stratified folds;
//! - [`source_band`]: a band narrowed until it holds on each label source;
//! - [`standardise`]: per-feature means and deviations;
//! - [`features`]: extracting (or reading back) the images' features;
//! - [`report`]: the markdown and Parquet reports.

pub mod command;
pub mod features;
pub mod fit;
pub mod labels;
pub mod logistic;
pub mod metrics;
pub mod report;
pub mod source_band;
pub mod standardise;

pub use command::{AttributeOutcome, TrainOptions, TrainSummary, train};
pub use fit::Fitted;
pub use metrics::BandChoice;
