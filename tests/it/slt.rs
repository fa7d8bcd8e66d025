//! Runs every `tests/slt/*.slt` file (sqllogictest) against a fresh macsql engine.
//!
//! Files may use `$SHARED` for the `../shared/data` folder and `$TMP` for a scratch folder.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
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

#[async_trait]
impl sqllogictest::AsyncDB for MacsqlDb {
    type Error = macsql::Error;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let sql = sql.replace("$SHARED", &self.shared).replace("$TMP", &self.tmp);
        let is_query = {
            let s = sql.trim_start().to_ascii_lowercase();
            s.starts_with("select")
                || s.starts_with("with")
                || s.starts_with("values")
                || s.starts_with("show")
        };
        let batches = self.engine.sql_collect(&sql).await?;
        if !is_query {
            return Ok(DBOutput::StatementComplete(0));
        }
        let ncols = batches.first().map(|b| b.num_columns()).unwrap_or(0);
        let mut rows = Vec::new();
        for b in &batches {
            for r in 0..b.num_rows() {
                rows.push((0..b.num_columns()).map(|c| cell_text(b, c, r)).collect());
            }
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; ncols],
            rows,
        })
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
        if let Err(e) = runner.run_file_async(&file).await {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "sqllogictest failures:\n{}",
        failures.join("\n\n")
    );
}
