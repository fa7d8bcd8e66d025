//! The annotation pipeline of `macsql annotate`: decode and preprocess batches in parallel
//! (rayon) while earlier batches run through the models (two inference streams side by side
//! when there are two threads or more), journal every finished batch to a part file next to
//! the output, and merge the parts into the output atomically at the end (the journal and
//! `--resume` are in [`crate::mac::run::journal`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use arrow::datatypes::SchemaRef;

use crate::annotations::write_parquet_atomic;
use crate::foreign::ForeignError;
use crate::mac::MacError;
use crate::mac::bundle::manifest::Bundle;
use crate::mac::infer::classifier::{Classifier, Detect};
use crate::mac::infer::pipeline::{self, Batch, FaceChoice};
use crate::mac::input::inputs::{self, Input};
use crate::mac::run::dataset::{self, Marker, ShardPlace, read_marker, write_marker};
use crate::mac::run::journal::{Journal, paths_of};
use crate::mac::run::shard::Shard;
use crate::mac::run::table::{self, Row};

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
    /// Write the `embedding` column (when the bundle names an embedding model).
    pub embedding: bool,
    /// Continue an interrupted run.
    pub resume: bool,
    /// Annotate only this shard of the images (`--shard I/N`).
    pub shard: Option<crate::mac::run::shard::Shard>,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
    /// The command line, stored in the output's metadata.
    pub command: String,
    /// Set from another thread to stop the run between batches (Ctrl-C in Python): the batches
    /// finished so far stay journalled, so a run with `resume` continues from them, and the run
    /// returns [`MacError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
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
    /// The file the rows are in (with `-o FOLDER/`: the shard's `data.parquet`).
    pub output: PathBuf,
    /// The shard was finished by an earlier run (its done-marker exists): nothing was done.
    pub already_done: bool,
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
    let embedding = if opts.embedding {
        classifier.embedding_range()
    } else {
        None
    };
    if let (Some(r), Some(model)) = (&embedding, bundle.embedding_model()) {
        metadata.insert(
            "macsql.embedding".into(),
            format!("{model} features, {} dimensions, L2-normalised", r.len()),
        );
    }
    let schema = table::schema(&bundle, metadata, embedding.as_ref().map(|r| r.len()));
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

    let bar = crate::mac::run::progress::bar(opts.progress, todo.len(), "images");

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| MacError::Annotate(format!("--threads: {e}")))?;
    let streams = classifier.streams();
    let (tx, rx) = crossbeam_channel::bounded::<(usize, Prepared)>(2 * streams);
    let batch = opts.batch.max(1);
    // Set by the first failing worker so that the others stop taking batches.
    let stop = AtomicBool::new(false);
    let cancelled = || opts.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed));
    let result: Result<Counts> = std::thread::scope(|s| {
        let todo = &todo;
        let pool = &pool;
        s.spawn(move || {
            for (k, chunk) in todo.chunks(batch).enumerate() {
                if cancelled() {
                    break;
                }
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
                let (stop, bar, schema, journal, embedding) = (&stop, &bar, &schema, &journal, &embedding);
                s.spawn(move || -> Result<Counts> {
                    let mut counts = Counts::default();
                    for (k, prepared) in rx.iter() {
                        if stop.load(Ordering::Relaxed) || cancelled() {
                            break;
                        }
                        match journal_batch(
                            classifier,
                            stream,
                            prepared,
                            schema,
                            opts,
                            embedding.as_ref(),
                            &journal.part(k),
                        ) {
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
    if cancelled() {
        return Err(MacError::Cancelled {
            output: opts.output.clone(),
            done: skipped + counts.images,
        });
    }

    let rows = journal.commit(&opts.output, opts.resume, &bundle, &schema)?;
    Ok(Summary {
        annotated: counts.images,
        errors: counts.failed,
        no_face: counts.no_face,
        skipped,
        rows,
        seconds: start.elapsed().as_secs_f64(),
        output: opts.output.clone(),
        already_done: false,
    })
}

/// Classifies a batch on `stream` and journals it to its `part` file.
fn journal_batch(
    classifier: &Classifier,
    stream: usize,
    prepared: Prepared,
    schema: &SchemaRef,
    opts: &AnnotateOptions,
    embedding: Option<&std::ops::Range<usize>>,
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
        rows.extend(Row::of(
            path_string(&input.path),
            input.identity,
            outcome,
            embedding,
        ));
    }
    let batch = table::batch(schema, &classifier.bundle, &opts.dataset, opts.kind, &rows)?;
    write_parquet_atomic(part, schema.clone(), [Ok(batch)])?;
    Ok(counts)
}

/// Loads the bundle and its models (failing before any image is read), then runs the pipeline.
/// With `opts.output` a folder (an existing folder, a path ending in `/` or without an extension), the run writes its shard's
/// partition of a dataset folder and its done-marker last; a shard already done is a no-op.
pub fn annotate(opts: &AnnotateOptions) -> Result<Summary> {
    if opts.batch == 0 {
        return Err(MacError::Annotate("--batch must be at least 1".into()));
    }
    let bundle = Arc::new(Bundle::load(&crate::mac::bundle::builtin::bundle_path(
        opts.model.as_deref(),
    )?)?);
    // Into a bucket: the run is journalled and written in a local staging folder as usual, then
    // uploaded (a dataset folder's done-marker after its data).
    let remote = crate::storage::remote_url(&opts.output).map(str::to_string);
    let staging = remote.as_deref().map(staging_for);
    let folder = dataset::is_dataset_folder(&opts.output);
    let shard = opts.shard.unwrap_or(Shard { index: 0, count: 1 });
    // The shard's place in the output, and where this run writes it (the same, or staged).
    let places = if folder {
        let place = ShardPlace::new(&opts.output, &opts.dataset, shard)?;
        if let Some(done) = read_marker(&place.marker())? {
            if done.bundle_hash != bundle.hash {
                return Err(MacError::Annotate(format!(
                    "{}: shard {shard} of {} was annotated with bundle {} (hash {}), this run uses {} \
                     (hash {}): write into another folder, or delete {} to annotate it again",
                    opts.output.display(),
                    opts.dataset,
                    done.bundle,
                    done.bundle_hash,
                    bundle.name,
                    bundle.hash,
                    place.dir.display()
                )));
            }
            return Ok(Summary {
                annotated: 0,
                errors: done.errors as usize,
                no_face: done.no_face as usize,
                skipped: done.rows as usize,
                rows: done.rows,
                seconds: 0.0,
                output: place.data(),
                already_done: true,
            });
        }
        check_split(&opts.output, &opts.dataset, shard)?;
        let local = match &staging {
            Some(dir) => ShardPlace::new(dir, &opts.dataset, shard)?,
            None => place.clone(),
        };
        std::fs::create_dir_all(&local.dir).map_err(|e| ForeignError::io(&local.dir, e))?;
        Some((place, local))
    } else {
        None
    };
    // Two inference streams when there are two threads or more (each session gets half the
    // threads): batches then run side by side instead of splitting every operator.
    let streams = if opts.threads >= 2 { 2 } else { 1 };
    let classifier = Classifier::load_streams(
        bundle.clone(),
        (opts.threads / streams).max(1),
        streams,
        opts.detect,
    )?;
    let Some((place, local)) = places else {
        let (Some(url), Some(dir)) = (&remote, &staging) else {
            return annotate_with(&classifier, opts);
        };
        std::fs::create_dir_all(dir).map_err(|e| ForeignError::io(dir, e))?;
        let mut run = opts.clone();
        run.output = dir.join(opts.output.file_name().unwrap_or("out.parquet".as_ref()));
        let mut summary = annotate_with(&classifier, &run)?;
        upload(&run.output, url)?;
        summary.output = opts.output.clone();
        return Ok(summary);
    };
    let mut run = opts.clone();
    run.output = local.data();
    run.shard = Some(shard);
    let mut summary = annotate_with(&classifier, &run)?;
    let (errors, no_face) = error_counts(&local.data())?;
    write_marker(
        &local.marker(),
        &Marker {
            dataset: opts.dataset.clone(),
            kind: opts.kind.as_str().into(),
            shard: shard.index,
            shards: shard.count,
            rows: summary.rows,
            errors,
            no_face,
            bundle: bundle.name.clone(),
            bundle_hash: bundle.hash.clone(),
            command: opts.command.clone(),
            finished: crate::annotations::created_now(),
            macsql: env!("CARGO_PKG_VERSION").into(),
        },
    )?;
    if remote.is_some() {
        upload(&local.data(), &place.data().to_string_lossy())?;
        upload(&local.marker(), &place.marker().to_string_lossy())?;
    }
    summary.output = place.data();
    Ok(summary)
}

/// Uploads the local file `from` to the bucket URL `to`.
fn upload(from: &Path, to: &str) -> Result<()> {
    let (from, to) = (from.to_path_buf(), to.to_string());
    crate::storage::block_on(async move { crate::storage::upload(&from, &to).await })?;
    Ok(())
}

/// The local folder where a run into the bucket `url` is journalled (`MACSQL_STAGING`, else
/// the system's temporary folder): named after the URL, so `--resume` on the same machine finds it.
fn staging_for(url: &str) -> PathBuf {
    let root = std::env::var_os("MACSQL_STAGING")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("macsql-staging"));
    root.join(crate::catalog::sanitize_name(url))
}

/// Refuses a shard of a split other than the one already in the folder (e.g. `--shard 1/4`
/// where `shard=0-of-8` exists; the folder may be in a bucket): shards of different splits
/// overlap.
fn check_split(root: &Path, dataset: &str, shard: Shard) -> Result<()> {
    let source = root.join(format!("{}={dataset}", dataset::SOURCE_KEY));
    // The names of the shard folders under `source`.
    let names: Vec<String> = match crate::storage::remote_url(&source) {
        Some(url) => {
            let folder = crate::storage::as_folder(url);
            let listed = folder.clone();
            let objects = crate::storage::block_on(async move { crate::storage::list(&listed).await })?;
            objects
                .iter()
                .filter_map(|(o, _)| o.strip_prefix(&folder)?.split('/').next().map(str::to_string))
                .collect()
        }
        None => std::fs::read_dir(&source)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
    };
    let want = format!("-of-{}", shard.count);
    for name in names {
        if name.starts_with(&format!("{}=", dataset::SHARD_KEY)) && !name.ends_with(&want) {
            return Err(MacError::Annotate(format!(
                "{}: holds {name}, a split into other shard counts than this run's {shard}: \
                 shards of different splits overlap; use --shard I/N with the folder's N, or another folder",
                source.display()
            )));
        }
    }
    Ok(())
}

/// Rows with an error in a finished data file: (unreadable or failed, no face found).
fn error_counts(data: &Path) -> Result<(u64, u64)> {
    use arrow::array::{Array, AsArray};
    let file = std::fs::File::open(data).map_err(|e| ForeignError::io(data, e))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?;
    let Some(index) = builder.schema().index_of("error").ok() else {
        return Ok((0, 0));
    };
    let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), [index]);
    let (mut errors, mut no_face) = (0u64, 0u64);
    for batch in builder.with_projection(mask).build()? {
        let batch = batch?;
        let column = batch.column(0);
        let Some(text) = column.as_string_opt::<i32>() else {
            continue;
        };
        for i in 0..text.len() {
            if text.is_valid(i) {
                if text.value(i).starts_with(pipeline::NO_FACE) {
                    no_face += 1;
                } else {
                    errors += 1;
                }
            }
        }
    }
    Ok((errors, no_face))
}
