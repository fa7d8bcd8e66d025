//! macsql's own session settings, under the `macsql.` prefix of DataFusion's configuration:
//! `SET macsql.label_scans = false` sends every Parquet scan of the session to DataFusion's
//! reader (what benchmarks compare label scans against).

use datafusion::common::config::ConfigExtension;
use datafusion::common::extensions_options;

extensions_options! {
    /// macsql's session settings (`SET macsql.NAME = VALUE`, `SHOW macsql.NAME`).
    pub struct MacsqlOptions {
        /// Label-filtered scans of Parquet tables decode the filter columns first and read the
        /// other columns only for the matching rows (false: DataFusion's Parquet reader).
        pub label_scans: bool, default = true
    }
}

impl ConfigExtension for MacsqlOptions {
    const PREFIX: &'static str = "macsql";
}
