//! Shared helpers for the integration tests: the binary, fixtures in temp dirs, shared data paths.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, Float32Array, Int32Array, RecordBatch, StringArray};
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The `macsql` binary, with history kept out of the user's directory.
pub fn macsql() -> Command {
    let mut cmd = Command::cargo_bin("macsql").expect("macsql binary");
    cmd.env(
        "MACSQL_HISTORY",
        std::env::temp_dir().join("macsql-test-history.txt"),
    );
    cmd
}

/// Annotates the images listed in `list` (a CSV with a `path` column) with the bundle built
/// into macsql (`MACSQL_MODEL` removed) into `out`.
pub fn annotate_with_default_bundle(list: &Path, out: &Path) {
    macsql()
        .env_remove("MACSQL_MODEL")
        .args(["annotate", "--dataset", "ffhq", "--kind", "real", "-q", "-o"])
        .arg(out)
        .arg(list)
        .assert()
        .success();
}

/// `../shared/data/<rel>` relative to the project root.
pub fn shared_data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

/// Writes `contents` to `name` inside `dir` and returns the path.
pub fn write(dir: &tempfile::TempDir, name: &str, contents: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, contents).expect("write fixture");
    p
}

/// The record batches of a Parquet file.
pub fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("output")).expect("parquet");
    builder
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// The Parquet file's key-value metadata.
pub fn file_metadata(path: &Path) -> HashMap<String, String> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("output")).expect("parquet");
    let kv = builder.metadata().file_metadata().key_value_metadata();
    kv.into_iter()
        .flatten()
        .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
        .collect()
}

/// A Utf8 column as options.
pub fn strings(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let col = b.column_by_name(name).unwrap_or_else(|| panic!("column {name}"));
    let col = col.as_any().downcast_ref::<StringArray>().expect("utf8");
    (0..col.len())
        .map(|i| (!col.is_null(i)).then(|| col.value(i).to_string()))
        .collect()
}

/// A Float32 column as options.
pub fn floats(b: &RecordBatch, name: &str) -> Vec<Option<f32>> {
    let col = b.column_by_name(name).unwrap_or_else(|| panic!("column {name}"));
    let col = col.as_any().downcast_ref::<Float32Array>().expect("float32");
    (0..col.len())
        .map(|i| (!col.is_null(i)).then(|| col.value(i)))
        .collect()
}

/// An Int32 column as options.
pub fn ints(b: &RecordBatch, name: &str) -> Vec<Option<i32>> {
    let col = b.column_by_name(name).unwrap_or_else(|| panic!("column {name}"));
    let col = col.as_any().downcast_ref::<Int32Array>().expect("int32");
    (0..col.len())
        .map(|i| (!col.is_null(i)).then(|| col.value(i)))
        .collect()
}

/// All rows of a Parquet file in one batch.
pub fn read_all(path: &Path) -> RecordBatch {
    let batches = read_parquet(path);
    arrow::compute::concat_batches(&batches[0].schema(), &batches).expect("concat")
}

/// The Face API labels of the shared FFHQ images: image id -> (male, smile, age).
pub fn ffhq_labels() -> HashMap<String, (bool, f32, f32)> {
    let mut reader = csv::Reader::from_path(shared_data("annotations/ffhq_faceapi.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (ci, cg, ca, cs) = (col("image"), col("gender"), col("age"), col("smile"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[ci].to_string(),
                (&r[cg] == "male", r[cs].parse().unwrap(), r[ca].parse().unwrap()),
            )
        })
        .collect()
}
