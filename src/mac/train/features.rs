//! The features of the training images: extracted with the bundle's own pipeline (detection,
//! alignment, models, region statistics: exactly what annotation computes), or read back from a
//! features file (`macsql train --features FILE.parquet`) that an earlier run with the same
//! bundle wrote, so that training again with other labels or attributes skips the images
//! already seen. The file is rewritten every few thousand images, so an interrupted run keeps
//! what it extracted.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BooleanArray, ListArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Float32Type, Schema};

use crate::foreign::ForeignError;
use crate::mac::MacError;
use crate::mac::infer::classifier::Classifier;
use crate::mac::infer::pipeline::{self, FaceChoice, Outcome};

/// One image's face: its feature vector and the bundle's own attribute values.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// The feature vector (the classifier's feature layout).
    pub features: Vec<f32>,
    /// The bundle's attribute values, in its attribute order.
    pub scores: Vec<f32>,
}

/// The features of every image of a run.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    /// Per image (in the order given): its largest face, or `None`.
    pub faces: Vec<Option<Face>>,
    /// Images that could not be read: path and reason.
    pub failed: Vec<(PathBuf, String)>,
    /// Images in which no face was found.
    pub no_face: Vec<PathBuf>,
    /// Images whose features came from the features file.
    pub reused: usize,
}

/// What the features file says of one image.
#[derive(Debug, Clone)]
enum Cached {
    Face(Face),
    NoFace,
}

const HASH_KEY: &str = "macsql.features_hash";
const LAYOUT_KEY: &str = "macsql.feature_layout";

/// Images between two writes of the features file.
const SAVE_EVERY: usize = 4096;

/// The layout of `classifier`'s features as text (`gender 4096, regions 483`).
fn layout_text(classifier: &Classifier) -> String {
    classifier
        .feature_layout()
        .iter()
        .map(|b| format!("{} {}", b.source, b.width))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Extracts (or reads back from `cache`) the features of `images` with `classifier` on `pool`.
pub fn extract(
    images: &[PathBuf],
    classifier: &Classifier,
    pool: &rayon::ThreadPool,
    cache: Option<&Path>,
    progress: bool,
) -> Result<Extracted, MacError> {
    let hash = classifier.bundle.features_hash().to_string();
    let layout = layout_text(classifier);
    let mut known = match cache {
        Some(c) if c.exists() => read_cache(c, &hash, &layout)?,
        _ => HashMap::new(),
    };
    let mut out = Extracted {
        faces: vec![None; images.len()],
        ..Default::default()
    };
    let mut todo = Vec::new();
    for (i, p) in images.iter().enumerate() {
        match known.get(&p.display().to_string()) {
            Some(Cached::Face(f)) => {
                out.faces[i] = Some(f.clone());
                out.reused += 1;
            }
            Some(Cached::NoFace) => {
                out.no_face.push(p.clone());
                out.reused += 1;
            }
            None => todo.push(i),
        }
    }
    let width: usize = classifier.feature_layout().iter().map(|b| b.width).sum();
    let bar = crate::mac::run::progress::bar(progress, todo.len(), "images (features)");
    // Without a terminal (a batch job), a line every few thousand images instead of the bar.
    let log = progress && !std::io::stderr().is_terminal();
    let mut since_save = 0usize;
    let mut extracted = 0usize;
    for chunk in todo.chunks(32) {
        let paths: Vec<&Path> = chunk.iter().map(|&i| images[i].as_path()).collect();
        let batch = pool.install(|| pipeline::load(&paths, classifier));
        let outcomes = pool.install(|| pipeline::label(classifier, 0, batch, FaceChoice::Largest))?;
        for (outcome, &i) in outcomes.into_iter().zip(chunk) {
            let path = &images[i];
            match outcome {
                Outcome::Labelled(mut faces) if !faces.is_empty() => {
                    let face = faces.swap_remove(0);
                    if face.features.len() != width {
                        return Err(MacError::Train(format!(
                            "{}: {} features, expected {width}",
                            path.display(),
                            face.features.len()
                        )));
                    }
                    let f = Face {
                        features: face.features,
                        scores: face.scores,
                    };
                    known.insert(path.display().to_string(), Cached::Face(f.clone()));
                    out.faces[i] = Some(f);
                }
                Outcome::Labelled(_) | Outcome::NoFace { .. } => {
                    known.insert(path.display().to_string(), Cached::NoFace);
                    out.no_face.push(path.clone());
                }
                Outcome::Failed(e) => out.failed.push((path.clone(), e)),
            }
        }
        bar.inc(chunk.len() as u64);
        since_save += chunk.len();
        extracted += chunk.len();
        if log && (extracted % SAVE_EVERY < chunk.len() || extracted == todo.len()) {
            eprintln!("train: features of {extracted}/{} images", todo.len());
        }
        if let Some(c) = cache
            && since_save >= SAVE_EVERY
        {
            write_cache(c, &known, &hash, &layout)?;
            since_save = 0;
        }
    }
    bar.finish_and_clear();
    if let Some(c) = cache
        && since_save > 0
    {
        write_cache(c, &known, &hash, &layout)?;
    }
    Ok(out)
}

/// Reads a features file; one made by another bundle (or feature layout) is ignored, with a
/// note on stderr, and rewritten by this run.
fn read_cache(path: &Path, hash: &str, layout: &str) -> Result<HashMap<String, Cached>, MacError> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(path).map_err(|e| ForeignError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
        MacError::Train(format!(
            "--features {}: not a features file ({e}); delete it or name another",
            path.display()
        ))
    })?;
    let meta = builder.schema().metadata().clone();
    if meta.get(HASH_KEY).map(String::as_str) != Some(hash)
        || meta.get(LAYOUT_KEY).map(String::as_str) != Some(layout)
    {
        eprintln!(
            "note: {} holds the features of another bundle (features hash {}, this bundle's {hash}): extracting them again",
            path.display(),
            meta.get(HASH_KEY).map_or("none", String::as_str)
        );
        return Ok(HashMap::new());
    }
    let bad = |m: &str| MacError::Train(format!("--features {}: {m}", path.display()));
    let mut known = HashMap::new();
    for batch in builder.build().map_err(|e| bad(&e.to_string()))? {
        let batch = batch.map_err(|e| bad(&e.to_string()))?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| bad(&format!("no column '{name}'")))
        };
        let paths = column("path")?;
        let faces = column("face")?;
        let features = column("features")?;
        let scores = column("scores")?;
        let (Some(paths), Some(faces), Some(features), Some(scores)) = (
            paths.as_string_opt::<i32>(),
            faces.as_boolean_opt(),
            features.as_list_opt::<i32>(),
            scores.as_list_opt::<i32>(),
        ) else {
            return Err(bad("unexpected column types"));
        };
        let floats = |l: &ListArray, i: usize| -> Vec<f32> {
            let v = l.value(i);
            v.as_primitive::<Float32Type>().values().to_vec()
        };
        for i in 0..batch.num_rows() {
            let entry = if faces.value(i) {
                Cached::Face(Face {
                    features: floats(features, i),
                    scores: floats(scores, i),
                })
            } else {
                Cached::NoFace
            };
            known.insert(paths.value(i).to_string(), entry);
        }
    }
    Ok(known)
}

/// Writes every known image's features (atomically: a killed run leaves the last whole file).
fn write_cache(
    path: &Path,
    known: &HashMap<String, Cached>,
    hash: &str,
    layout: &str,
) -> Result<(), MacError> {
    let mut keys: Vec<&String> = known.keys().collect();
    keys.sort();
    let list = |get: &dyn Fn(&Face) -> &[f32]| -> ListArray {
        ListArray::from_iter_primitive::<Float32Type, _, _>(keys.iter().map(|k| match &known[*k] {
            Cached::Face(f) => Some(get(f).iter().map(|v| Some(*v)).collect::<Vec<_>>()),
            Cached::NoFace => None,
        }))
    };
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let mut meta = HashMap::new();
    meta.insert(HASH_KEY.to_string(), hash.to_string());
    meta.insert(LAYOUT_KEY.to_string(), layout.to_string());
    let schema = Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("path", DataType::Utf8, false),
            Field::new("face", DataType::Boolean, false),
            Field::new("features", DataType::List(item.clone()), true),
            Field::new("scores", DataType::List(item), true),
        ],
        meta,
    ));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(keys.iter().map(|k| k.as_str()))),
        Arc::new(BooleanArray::from_iter(
            keys.iter().map(|k| Some(matches!(known[*k], Cached::Face(_)))),
        )),
        Arc::new(list(&|f| &f.features)),
        Arc::new(list(&|f| &f.scores)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ForeignError::io(dir, e))?;
    }
    crate::annotations::write_parquet_atomic(path, schema, [Ok(batch)])?;
    Ok(())
}
