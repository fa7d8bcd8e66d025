//! The annotation pipeline of `macsql annotate`: decode and preprocess batches in parallel
//! (rayon) while the previous batch runs through the models, journal every finished batch to
//! a part file next to the output, and merge the parts into the output atomically at the end.
//! `--resume` keeps the rows of earlier parts (and of an existing output) and skips their images.

use std::collections::HashSet;
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;

use super::MacError;
use super::classifier::Classifier;
use super::inputs::{self, Input};
use super::manifest::Bundle;
use super::preprocess;
use super::table::{self, Row};
use crate::annotations::write_parquet_atomic;
use crate::error::{Error, Result};

/// What `macsql annotate` needs to know.
#[derive(Debug, Clone)]
pub struct AnnotateOptions {
    /// Folders or CSV files.
    pub paths: Vec<PathBuf>,
    /// Dataset name of every row.
    pub dataset: String,
    /// `real` or `synthetic`.
    pub kind: String,
    /// The bundle manifest.
    pub model: PathBuf,
    /// Output Parquet file.
    pub output: PathBuf,
    /// Images per inference batch.
    pub batch: usize,
    /// Threads for decoding and for inference.
    pub threads: usize,
    /// Identity from the parent folder.
    pub identity_from_dir: bool,
    /// Continue an interrupted run.
    pub resume: bool,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
    /// The command line, stored in the output's metadata.
    pub command: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Images annotated by this run.
    pub annotated: usize,
    /// Of those, images that could not be read (rows with `error`).
    pub errors: usize,
    /// Images skipped because an earlier run had done them.
    pub skipped: usize,
    /// Rows in the output.
    pub rows: u64,
    /// Wall time of this run in seconds.
    pub seconds: f64,
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
        .map_err(|e| Error::io(dir, e))?
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

/// Reads a Parquet file written by an earlier run, checking it was made by the same bundle.
fn read_previous(path: &Path, bundle: &Bundle, schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
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
        ))
        .into());
    }
    let mut out = Vec::new();
    for b in builder.build()? {
        let b = b?;
        out.push(RecordBatch::try_new(schema.clone(), b.columns().to_vec())?);
    }
    Ok(out)
}

fn paths_of(batches: &[RecordBatch]) -> HashSet<String> {
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

/// The string stored in the `path` column for an image.
fn path_string(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

struct Prepared {
    inputs: Vec<Input>,
    tensors: Vec<std::result::Result<Vec<Vec<f32>>, String>>,
}

/// Runs the pipeline with an already loaded classifier.
pub fn annotate_with(classifier: &Classifier, opts: &AnnotateOptions) -> Result<Summary> {
    let start = Instant::now();
    let bundle = classifier.bundle.clone();
    let schema = table::schema(&bundle, table::metadata(&bundle, &opts.command));
    let inputs = inputs::list(&opts.paths, opts.identity_from_dir)?;
    if inputs.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "annotate: no images (.jpg .jpeg .png .webp .bmp) found in {}",
            opts.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let parts = parts_dir(&opts.output);
    let mut previous = Vec::new();
    if opts.resume {
        if opts.output.is_file() {
            previous.extend(read_previous(&opts.output, &bundle, &schema)?);
        }
        for p in part_files(&parts)? {
            previous.extend(read_previous(&p, &bundle, &schema)?);
        }
    } else if parts.exists() {
        std::fs::remove_dir_all(&parts).map_err(|e| Error::io(&parts, e))?;
    }
    let done = paths_of(&previous);
    let todo: Vec<Input> = inputs
        .into_iter()
        .filter(|i| !done.contains(&path_string(&i.path)))
        .collect();
    let skipped = done.len();
    std::fs::create_dir_all(&parts).map_err(|e| Error::io(&parts, e))?;
    let first_part = part_files(&parts)?.len();

    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(todo.len() as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} images  {per_sec}  ETA {eta}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| Error::InvalidArgument(format!("annotate: --threads: {e}")))?;
    let (tx, rx) = crossbeam_channel::bounded::<Prepared>(2);
    let models = &bundle.models;
    let mut annotated = 0usize;
    let mut errors = 0usize;
    let batch = opts.batch.max(1);
    let result: Result<()> = std::thread::scope(|s| {
        // Owned by this closure so that an error below drops it, which stops the producer.
        let rx = rx;
        let todo = &todo;
        let pool = &pool;
        s.spawn(move || {
            for chunk in todo.chunks(batch) {
                let tensors = pool.install(|| {
                    chunk
                        .par_iter()
                        .map(|inp| preprocess::decode(&inp.path).map(|img| preprocess::prepare(img, models)))
                        .collect()
                });
                let prepared = Prepared {
                    inputs: chunk.to_vec(),
                    tensors,
                };
                if tx.send(prepared).is_err() {
                    break;
                }
            }
        });
        for (k, prepared) in rx.iter().enumerate() {
            let rows = classify(classifier, prepared)?;
            annotated += rows.len();
            errors += rows.iter().filter(|r| r.error.is_some()).count();
            let batch = table::batch(&schema, &bundle, &opts.dataset, &opts.kind, &rows)?;
            let n = batch.num_rows() as u64;
            let part = parts.join(format!("part-{:06}.parquet", first_part + k));
            write_parquet_atomic(&part, schema.clone(), [Ok(batch)])?;
            bar.inc(n);
        }
        Ok(())
    });
    bar.finish_and_clear();
    result?;

    let mut batches = Vec::new();
    if opts.resume && opts.output.is_file() {
        batches.extend(read_previous(&opts.output, &bundle, &schema)?);
    }
    for p in part_files(&parts)? {
        batches.extend(read_previous(&p, &bundle, &schema)?);
    }
    let rows = write_parquet_atomic(&opts.output, schema.clone(), batches.into_iter().map(Ok))?;
    std::fs::remove_dir_all(&parts).map_err(|e| Error::io(&parts, e))?;
    Ok(Summary {
        annotated,
        errors,
        skipped,
        rows,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Runs the models on one prepared batch (only on the images that decoded).
fn classify(classifier: &Classifier, prepared: Prepared) -> Result<Vec<Row>> {
    let nmodels = classifier.bundle.models.len();
    let mut inputs: Vec<Vec<f32>> = vec![Vec::new(); nmodels];
    let mut ok = 0;
    for t in prepared.tensors.iter().flatten() {
        for (m, v) in t.iter().enumerate() {
            inputs[m].extend_from_slice(v);
        }
        ok += 1;
    }
    let mut scores = classifier.run(inputs, ok)?.into_iter();
    Ok(prepared
        .inputs
        .into_iter()
        .zip(prepared.tensors)
        .map(|(input, t)| {
            let (scores, error) = match t {
                Ok(_) => (scores.next(), None),
                Err(e) => (None, Some(e)),
            };
            Row {
                path: path_string(&input.path),
                identity: input.identity,
                scores,
                error,
            }
        })
        .collect())
}

/// Loads the bundle and its models (failing before any image is read), then runs the pipeline.
pub fn annotate(opts: &AnnotateOptions) -> Result<Summary> {
    if opts.batch == 0 {
        return Err(Error::InvalidArgument(
            "annotate: --batch must be at least 1".into(),
        ));
    }
    let bundle = Arc::new(Bundle::load(&opts.model)?);
    let classifier = Classifier::load(bundle, opts.threads)?;
    annotate_with(&classifier, opts)
}
