//! The annotation pipeline of `macsql annotate`: decode and preprocess batches in parallel
//! (rayon) while earlier batches run through the models (two inference streams side by side
//! when there are two threads or more), journal every finished batch to a part file next to
//! the output, and merge the parts into the output atomically at the end.
//! `--resume` keeps the rows of earlier parts (and of an existing output) and skips their images.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use arrow::array::{Array, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::MacError;
use super::classifier::{Classifier, Detect};
use super::inputs::{self, Input};
use super::manifest::Bundle;
use super::pipeline::{self, Batch, FaceChoice};
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
    /// Real or synthetic images.
    pub kind: crate::annotations::Kind,
    /// The bundle manifest (`None`: `MACSQL_MODEL`, else the default bundle built into macsql).
    pub model: Option<PathBuf>,
    /// Whether faces are detected (`Auto`: when the bundle has a detector).
    pub detect: Detect,
    /// Which faces get a row.
    pub faces: FaceChoice,
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
    /// Of those, images in which no face was found (rows with `error`).
    pub no_face: usize,
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
    batch: Batch,
}

/// What one batch did: images, unreadable images, images without a face.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    images: usize,
    failed: usize,
    no_face: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.images += o.images;
        self.failed += o.failed;
        self.no_face += o.no_face;
    }
}

/// Runs the pipeline with an already loaded classifier.
pub fn annotate_with(classifier: &Classifier, opts: &AnnotateOptions) -> Result<Summary> {
    let start = Instant::now();
    let bundle = classifier.bundle.clone();
    let detected = classifier.detector().is_some();
    let schema = table::schema(&bundle, table::metadata(&bundle, &opts.command, detected));
    let inputs = inputs::list(&opts.paths, opts.identity_from_dir)?;
    if inputs.is_empty() {
        return Err(MacError::Annotate(format!(
            "no images (.jpg .jpeg .png .webp .bmp) found in {}",
            opts.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
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
    let first_part = next_part_index(&parts)?;

    let bar = super::progress::bar(opts.progress, todo.len(), "images");

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| MacError::Annotate(format!("--threads: {e}")))?;
    let streams = classifier.streams();
    let (tx, rx) = crossbeam_channel::bounded::<(usize, Prepared)>(2 * streams);
    let batch = opts.batch.max(1);
    // Set by the first failing worker so that the others stop taking batches.
    let stop = AtomicBool::new(false);
    let result: Result<Counts> = std::thread::scope(|s| {
        let todo = &todo;
        let pool = &pool;
        s.spawn(move || {
            for (k, chunk) in todo.chunks(batch).enumerate() {
                let paths: Vec<&Path> = chunk.iter().map(|i| i.path.as_path()).collect();
                let batch = pool.install(|| pipeline::load(&paths, classifier));
                let prepared = Prepared {
                    inputs: chunk.to_vec(),
                    batch,
                };
                if tx.send((k, prepared)).is_err() {
                    break;
                }
            }
        });
        // One inference worker per stream; each journals its batches to their own part files
        // (numbered by batch, so the merged output keeps the input order).
        let workers: Vec<_> = (0..streams)
            .map(|stream| {
                let rx = rx.clone();
                let (stop, bar, schema, parts) = (&stop, &bar, &schema, &parts);
                s.spawn(move || -> Result<Counts> {
                    let mut counts = Counts::default();
                    for (k, prepared) in rx.iter() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let part = parts.join(format!("part-{:06}.parquet", first_part + k));
                        match journal_batch(classifier, stream, prepared, schema, opts, &part) {
                            Ok(c) => {
                                counts += c;
                                bar.inc(c.images as u64);
                            }
                            Err(e) => {
                                stop.store(true, Ordering::Relaxed);
                                return Err(e);
                            }
                        }
                    }
                    Ok(counts)
                })
            })
            .collect();
        // Only the workers hold the receiver now: when they all stop, the producer stops.
        drop(rx);
        let mut totals = Counts::default();
        let mut first_error = None;
        for worker in workers {
            match worker.join() {
                Ok(Ok(c)) => totals += c,
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(_) => {
                    first_error
                        .get_or_insert(MacError::Annotate("an inference worker panicked".into()).into());
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(totals),
        }
    });
    bar.finish_and_clear();
    let counts = result?;

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
        annotated: counts.images,
        errors: counts.failed,
        no_face: counts.no_face,
        skipped,
        rows,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Classifies a batch on `stream` and journals it to its `part` file.
fn journal_batch(
    classifier: &Classifier,
    stream: usize,
    prepared: Prepared,
    schema: &SchemaRef,
    opts: &AnnotateOptions,
    part: &Path,
) -> Result<Counts> {
    let outcomes = pipeline::label(classifier, stream, prepared.batch, opts.faces)?;
    let mut counts = Counts {
        images: outcomes.len(),
        ..Counts::default()
    };
    let mut rows = Vec::new();
    for (input, outcome) in prepared.inputs.into_iter().zip(outcomes) {
        match &outcome {
            pipeline::Outcome::Failed(_) => counts.failed += 1,
            pipeline::Outcome::NoFace { .. } => counts.no_face += 1,
            pipeline::Outcome::Labelled(_) => {}
        }
        rows.extend(Row::of(path_string(&input.path), input.identity, outcome));
    }
    let batch = table::batch(schema, &classifier.bundle, &opts.dataset, opts.kind, &rows)?;
    write_parquet_atomic(part, schema.clone(), [Ok(batch)])?;
    Ok(counts)
}

/// Loads the bundle and its models (failing before any image is read), then runs the pipeline.
pub fn annotate(opts: &AnnotateOptions) -> Result<Summary> {
    if opts.batch == 0 {
        return Err(MacError::Annotate("--batch must be at least 1".into()).into());
    }
    let bundle = Arc::new(Bundle::load(&super::builtin::bundle_path(
        opts.model.as_deref(),
    )?)?);
    // Two inference streams when there are two threads or more (each session gets half the
    // threads): batches then run side by side instead of splitting every operator.
    let streams = if opts.threads >= 2 { 2 } else { 1 };
    let classifier = Classifier::load_streams(bundle, (opts.threads / streams).max(1), streams, opts.detect)?;
    annotate_with(&classifier, opts)
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
