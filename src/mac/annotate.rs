//! The annotation pipeline of `macsql annotate`: decode and preprocess batches in parallel
//! (rayon) while earlier batches run through the models (two inference streams side by side
//! when there are two threads or more), journal every finished batch to a part file next to
//! the output, and merge the parts into the output atomically at the end (the journal and
//! `--resume` are in [`super::journal`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use arrow::datatypes::SchemaRef;

use super::MacError;
use super::classifier::{Classifier, Detect};
use super::inputs::{self, Input};
use super::journal::{Journal, paths_of};
use super::manifest::Bundle;
use super::pipeline::{self, Batch, FaceChoice};
use super::table::{self, Row};
use crate::annotations::write_parquet_atomic;

type Result<T, E = MacError> = std::result::Result<T, E>;

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
    /// Annotate only this shard of the images (`--shard I/N`).
    pub shard: Option<super::shard::Shard>,
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
    let mut metadata = table::metadata(&bundle, &opts.command, detected);
    if let Some(shard) = opts.shard {
        metadata.insert("macsql.shard".into(), shard.to_string());
    }
    let schema = table::schema(&bundle, metadata);
    let inputs = inputs::list(&opts.paths, opts.identity_from_dir)?;
    if inputs.is_empty() {
        return Err(MacError::Annotate(format!(
            "no images (.jpg .jpeg .png .webp .bmp) found in {}",
            opts.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let inputs: Vec<Input> = match opts.shard {
        Some(shard) => inputs.into_iter().filter(|i| shard.contains(&i.key)).collect(),
        None => inputs,
    };
    let (journal, previous) = Journal::open(&opts.output, opts.resume, &bundle, &schema)?;
    let done = paths_of(&previous);
    let todo: Vec<Input> = inputs
        .into_iter()
        .filter(|i| !done.contains(&path_string(&i.path)))
        .collect();
    let skipped = done.len();

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
        // One inference worker per stream; each journals its batches to their own part files.
        let workers: Vec<_> = (0..streams)
            .map(|stream| {
                let rx = rx.clone();
                let (stop, bar, schema, journal) = (&stop, &bar, &schema, &journal);
                s.spawn(move || -> Result<Counts> {
                    let mut counts = Counts::default();
                    for (k, prepared) in rx.iter() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        match journal_batch(classifier, stream, prepared, schema, opts, &journal.part(k)) {
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
                    first_error.get_or_insert(MacError::Annotate("an inference worker panicked".into()));
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

    let rows = journal.commit(&opts.output, opts.resume, &bundle, &schema)?;
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
        return Err(MacError::Annotate("--batch must be at least 1".into()));
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
