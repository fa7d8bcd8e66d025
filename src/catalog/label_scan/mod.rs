//! Label scans: a Parquet table (a file, a partitioned folder, `FROM 'file'`, `CREATE EXTERNAL
//! TABLE`, local or in a bucket) answers `Male = 1 AND Senior = 1`-style filters while decoding,
//! then materialises the other columns only for the matching rows.
//!
//! Subgroup slices (a few percent of the rows) are the common case in attribute audits. With
//! DataFusion's Parquet defaults every column of every row is decoded before the filter runs;
//! its `pushdown_filters` option avoids that but slows coarse slices down. Here the filter
//! columns (flat INT32 label columns) are decoded by a small dedicated decoder, and every other
//! column is read by arrow-rs with the resulting row selection. Scans without such filters go
//! to DataFusion's own Parquet table unchanged.

mod column;
mod exec;
mod filter;
mod hybrid;
mod scan;
mod source;
mod table;

pub use table::{LabelTable, LabelTableFactory, LabelUrlTables};
