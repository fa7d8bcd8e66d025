//! Runs every `tests/slt/*.slt` file (sqllogictest) against a fresh macsql engine.
//!
//! Files may use `$SHARED` for the `../shared/data` folder and `$TMP` for a scratch folder.
//!
//! Column types are checked (`query ITR`: I integer, R floating point or decimal, T text, ? any
//! other type such as maps, lists, structs and booleans), and EXPLAIN / DESCRIBE / SHOW results
//! are compared like any query. `MACSQL_SLT_COMPLETE=1 cargo test --test it slt` rewrites the
//! expected results (and type letters) of every file from what macsql returns: review the diff.
//! `MACSQL_SLT_FILTER=embedding` runs (or rewrites) only the files whose name holds that text.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use async_trait::async_trait;
use macsql::Engine;
use sqllogictest::{DBOutput, DefaultColumnType};

struct MacsqlDb {
    engine: Engine,
    shared: String,
    tmp: String,
}

fn cell_text(batch: &RecordBatch, col: usize, row: usize) -> String {
    let array = batch.column(col);
    if array.is_null(row) {
        return "NULL".into();
    }
    let options = FormatOptions::default();
    let f = ArrayFormatter::try_new(array.as_ref(), &options).expect("formatter");
    let s = f.value(row).to_string();
    if s.is_empty() { "(empty)".into() } else { s }
}

/// The sqllogictest type letter of an Arrow column type.
fn column_type(dt: &DataType) -> DefaultColumnType {
    match dt {
        d if d.is_integer() => DefaultColumnType::Integer,
        d if d.is_floating() || matches!(d, DataType::Decimal128(..) | DataType::Decimal256(..)) => {
            DefaultColumnType::FloatingPoint
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DefaultColumnType::Text,
        DataType::Dictionary(_, v) => column_type(v),
        _ => DefaultColumnType::Any,
    }
}

#[async_trait]
impl sqllogictest::AsyncDB for MacsqlDb {
    type Error = macsql::Error;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let sql = sql.replace("$SHARED", &self.shared).replace("$TMP", &self.tmp);
        let is_query = {
            let s = sql.trim_start().to_ascii_lowercase();
            ["select", "with", "values", "show", "explain", "describe"]
                .iter()
                .any(|k| s.starts_with(k))
        };
        let df = self.engine.sql(&sql).await?;
        let types: Vec<DefaultColumnType> = df
            .schema()
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let batches = df.collect().await.map_err(macsql::Error::from)?;
        if !is_query {
            return Ok(DBOutput::StatementComplete(0));
        }
        let mut rows = Vec::new();
        for b in &batches {
            for r in 0..b.num_rows() {
                rows.push((0..b.num_columns()).map(|c| cell_text(b, c, r)).collect());
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "macsql"
    }
}

fn slt_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| match std::env::var("MACSQL_SLT_FILTER") {
            Ok(part) => p.file_name().is_some_and(|n| n.to_string_lossy().contains(&part)),
            Err(_) => true,
        })
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_logic_tests() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let files = slt_files();
    assert!(!files.is_empty(), "no .slt files found");
    let mut failures = Vec::new();
    for file in files {
        let tmp = tempfile::tempdir().expect("tempdir");
        let shared = shared.to_string_lossy().into_owned();
        let tmp_s = tmp.path().to_string_lossy().into_owned();
        let mut runner = sqllogictest::Runner::new(|| {
            let shared = shared.clone();
            let tmp_s = tmp_s.clone();
            async move {
                Ok::<_, macsql::Error>(MacsqlDb {
                    engine: Engine::new(),
                    shared,
                    tmp: tmp_s,
                })
            }
        });
        runner.with_column_validator(sqllogictest::strict_column_validator);
        let outcome = if std::env::var_os("MACSQL_SLT_COMPLETE").is_some() {
            runner
                .update_test_file(
                    &file,
                    " ",
                    sqllogictest::default_validator,
                    sqllogictest::default_normalizer,
                    sqllogictest::strict_column_validator,
                )
                .await
                .map_err(|e| e.to_string())
        } else {
            runner.run_file_async(&file).await.map_err(|e| e.to_string())
        };
        if let Err(e) = outcome {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "sqllogictest failures:\n{}",
        failures.join("\n\n")
    );
}
