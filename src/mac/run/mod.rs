//! The annotation run of `macsql annotate`: batches, the journal that makes it resumable, the
//! sharded dataset folder, and the Arrow table it writes.
//!
//! - [`annotate`]: the pipelined, resumable run;
//! - [`journal`]: finished batches kept atomically for `--resume`;
//! - [`dataset`]: `-o FOLDER/`, a partitioned dataset with a done-marker per shard;
//! - [`shard`]: `--shard I/N`, a stable share of the images;
//! - [`table`]: the Arrow layout of the results;
//! - [`progress`]: the progress bar of long runs.

pub mod annotate;
pub mod dataset;
pub mod journal;
pub mod progress;
pub mod shard;
pub mod table;
