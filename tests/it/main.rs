//! macsql's integration tests: one test binary, one module per area.

mod azure;
mod cli;
mod common;
mod demo;
mod detect;
mod embedding;
mod import;
mod label_scan;
mod mac;
mod plot;
mod polars_bridge;
mod report;
mod s3;
mod shell_pty;
mod slt;
mod stores;
mod train;
