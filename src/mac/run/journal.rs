//! The journal of `macsql annotate`: every finished batch is written atomically to its own part
//! file in `OUT.parquet.parts/`, so a killed run loses at most the batches in flight; `--resume`
//! reads the parts (and an existing output) back, checking they were made by the same bundle, and
//! skips their images; at the end the parts are merged into the output atomically and removed.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::annotations::write_parquet_atomic;
use crate::foreign::ForeignError;
use crate::mac::MacError;
use crate::mac::bundle::manifest::Bundle;

type Result<T, E = MacError> = std::result::Result<T, E>;

/// The part files of one output: where batches go and what an earlier run left.
pub struct Journal {
    dir: PathBuf,
    first_part: usize,
}

impl Journal {
    /// Opens the journal of `output`. With `resume`, returns the rows already written (the
    /// output's and the parts') with it; without, an earlier run's parts are deleted.
    pub fn open(
        output: &Path,
        resume: bool,
        bundle: &Bundle,
        schema: &SchemaRef,
    ) -> Result<(Journal, Vec<RecordBatch>)> {
        let dir = parts_dir(output);
        let mut previous = Vec::new();
        if resume {
            if output.is_file() {
                previous.extend(read_previous(output, bundle, schema)?);
            }
            for p in part_files(&dir)? {
                previous.extend(read_previous(&p, bundle, schema)?);
            }
        } else if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| ForeignError::io(&dir, e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| ForeignError::io(&dir, e))?;
        let first_part = next_part_index(&dir)?;
        Ok((Journal { dir, first_part }, previous))
    }

    /// The part file of batch `k` of this run (numbered by batch, so the merged output keeps the
    /// input order).
    pub fn part(&self, k: usize) -> PathBuf {
        self.dir.join(format!("part-{:06}.parquet", self.first_part + k))
    }

    /// Merges the output's earlier rows (with `resume`) and every part into `output`
    /// atomically, removes the parts, and returns the rows written.
    pub fn commit(self, output: &Path, resume: bool, bundle: &Bundle, schema: &SchemaRef) -> Result<u64> {
        let mut batches = Vec::new();
        if resume && output.is_file() {
            batches.extend(read_previous(output, bundle, schema)?);
        }
        for p in part_files(&self.dir)? {
            batches.extend(read_previous(&p, bundle, schema)?);
        }
        let rows = write_parquet_atomic(output, schema.clone(), batches.into_iter().map(Ok))?;
        std::fs::remove_dir_all(&self.dir).map_err(|e| ForeignError::io(&self.dir, e))?;
        Ok(rows)
    }
}

/// The journal folder of an output: `OUT.parquet.parts/` next to it.
pub fn parts_dir(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    output.with_file_name(format!("{name}.parts"))
}

fn part_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ForeignError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("part-") && n.ends_with(".parquet"))
        })
        .collect();
    parts.sort();
    Ok(parts)
}

/// The number after the highest `part-N.parquet` in `dir` (0 when there is none): parts of a
/// killed run may have gaps, so counting them would reuse a number.
fn next_part_index(dir: &Path) -> Result<usize> {
    Ok(part_files(dir)?
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            name.strip_prefix("part-")?
                .strip_suffix(".parquet")?
                .parse::<usize>()
                .ok()
        })
        .max()
        .map_or(0, |n| n + 1))
}

/// Reads a Parquet file written by an earlier run, checking it was made by the same bundle.
fn read_previous(path: &Path, bundle: &Bundle, schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(|e| ForeignError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let hash = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "macsql.bundle_hash"))
        .and_then(|k| k.value.clone());
    if hash.as_deref() != Some(bundle.hash.as_str()) {
        return Err(MacError::Resume(format!(
            "{} was not written with the model bundle {} (or the bundle changed since): \
             run without --resume to start over",
            path.display(),
            bundle.path.display()
        )));
    }
    let names = |s: &arrow::datatypes::Schema| -> Vec<String> {
        s.fields().iter().map(|f| f.name().clone()).collect()
    };
    let (had, want) = (names(builder.schema()), names(schema));
    if had != want {
        let embedding = crate::mac::run::table::EMBEDDING;
        let hint = match (
            had.iter().any(|n| n == embedding),
            want.iter().any(|n| n == embedding),
        ) {
            (true, false) => " (it has the embedding column: run without --no-embedding)",
            (false, true) => " (it has no embedding column: run with --no-embedding)",
            _ => "",
        };
        return Err(MacError::Resume(format!(
            "{} has other columns than this run writes{hint}, or run without --resume to start over",
            path.display()
        )));
    }
    let mut out = Vec::new();
    for b in builder.build()? {
        let b = b?;
        out.push(RecordBatch::try_new(schema.clone(), b.columns().to_vec())?);
    }
    Ok(out)
}

/// The `path` column values of `batches` (the images an earlier run finished).
pub fn paths_of(batches: &[RecordBatch]) -> HashSet<String> {
    let mut done = HashSet::new();
    for b in batches {
        if let Some(col) = b.column(0).as_any().downcast_ref::<StringArray>() {
            for i in 0..col.len() {
                done.insert(col.value(i).to_string());
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_numbers_continue_after_the_highest_even_with_gaps() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(next_part_index(&dir.path().join("missing")).unwrap(), 0);
        assert_eq!(next_part_index(dir.path()).unwrap(), 0);
        for n in [0, 1, 3] {
            std::fs::write(dir.path().join(format!("part-{n:06}.parquet")), b"").unwrap();
        }
        std::fs::write(dir.path().join("part-000009.parquet.tmp"), b"").unwrap();
        assert_eq!(next_part_index(dir.path()).unwrap(), 4);
    }
}
