//! `mac_annotate(path)`: runs the MAC bundle on the image at `path` and returns a struct of
//! the face columns of its largest face (`faces`, `face_score`, `face_box`, `face_landmarks`)
//! and the attribute labels, probabilities and numeric estimates (the columns of `macsql
//! annotate`). Rows are evaluated in batches; results are cached per process by (path, size,
//! modification time), for at most [`CACHE_IMAGES`] images (the oldest are forgotten first).
//! A missing, unreadable or cut image gives NULL and a warning ([`crate::warnings`]);
//! an image without a face gives a struct with `faces` = 0 and NULL attributes.
//! The bundle is `MACSQL_MODEL` or the built-in default bundle, read on first use (planning);
//! ONNX Runtime and the models load on the first evaluation.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::UNIX_EPOCH;

use arrow::array::{Array, ArrayRef, StringArray, StructArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Fields};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use crate::mac::bundle::manifest::Bundle;
use crate::mac::infer::classifier::{Classifier, Scores};
use crate::mac::infer::pipeline::{self, FaceChoice, Outcome};
use crate::mac::run::table::{self, FaceCells};
use crate::mac::sql::memo::Memo;

/// Images per inference batch inside a query.
const BATCH: usize = 32;

/// The most images whose results `mac_annotate()` remembers: each takes about 1 KiB (its path,
/// face cells and attribute values), so the cache stays under about 100 MiB.
pub const CACHE_IMAGES: usize = 100_000;

type Key = (String, u64, u128);

/// What `mac_annotate` found for one image: its face cells and scores (`None`: the image could
/// not be read).
type Cached = Option<(FaceCells, Option<Scores>, Option<Vec<f32>>)>;

struct State {
    bundle: Arc<Bundle>,
    fields: Fields,
    classifier: OnceLock<std::result::Result<Classifier, String>>,
    cache: Mutex<Memo<Key, Cached>>,
}

/// The `mac_annotate` scalar function.
#[derive(Debug)]
pub struct MacAnnotate {
    signature: Signature,
    state: OnceLock<std::result::Result<Arc<State>, String>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("bundle", &self.bundle.name)
            .finish()
    }
}

impl Default for MacAnnotate {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for MacAnnotate {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for MacAnnotate {}

impl Hash for MacAnnotate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "mac_annotate".hash(state);
    }
}

impl MacAnnotate {
    /// A new `mac_annotate` (loads nothing yet).
    pub fn new() -> Self {
        MacAnnotate {
            signature: Signature::string(1, Volatility::Volatile),
            state: OnceLock::new(),
        }
    }

    fn state(&self) -> Result<&Arc<State>> {
        let state = self.state.get_or_init(|| {
            let path = crate::mac::bundle::builtin::bundle_path(None).map_err(|e| e.to_string())?;
            let bundle = Bundle::load(&path).map_err(|e| e.to_string())?;
            let mut fields = table::face_fields(false);
            fields.extend(table::attribute_fields(&bundle));
            if let Some(dim) = bundle.embedding_dim() {
                fields.push(table::embedding_field(dim));
            }
            let fields: Fields = fields.into();
            Ok(Arc::new(State {
                bundle: Arc::new(bundle),
                fields,
                classifier: OnceLock::new(),
                cache: Mutex::new(Memo::new(CACHE_IMAGES)),
            }))
        });
        match state {
            Ok(s) => Ok(s),
            Err(e) => plan_err!("mac_annotate: {e}"),
        }
    }
}

fn no_face() -> FaceCells {
    FaceCells {
        faces: Some(0),
        face: None,
    }
}

fn file_key(path: &str) -> std::result::Result<Key, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok((path.to_string(), meta.len(), mtime))
}

impl ScalarUDFImpl for MacAnnotate {
    fn name(&self) -> &str {
        "mac_annotate"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.state()?.fields.clone()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let state = self.state()?;
        let [arg] = args.args.as_slice() else {
            return exec_err!("mac_annotate: expected one argument, an image path");
        };
        let array = arg.to_array(args.number_rows)?;
        let array = arrow::compute::cast(&array, &DataType::Utf8)?;
        let Some(paths) = array.as_any().downcast_ref::<StringArray>() else {
            return exec_err!("mac_annotate: the argument must be a string (an image path)");
        };
        let n = paths.len();
        let mut results: Vec<Cached> = vec![None; n];
        let mut misses: Vec<(usize, Key)> = Vec::new();
        {
            let cache = state.cache.lock().unwrap_or_else(|p| p.into_inner());
            for (i, p) in paths.iter().enumerate() {
                let Some(p) = p else { continue };
                match file_key(p) {
                    Ok(key) => match cache.get(&key) {
                        Some(hit) => results[i] = hit.clone(),
                        None => misses.push((i, key)),
                    },
                    Err(e) => crate::warnings::warn(format_args!("mac_annotate: {p}: {e}")),
                }
            }
        }
        if !misses.is_empty() {
            let classifier = state
                .classifier
                .get_or_init(|| {
                    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                    Classifier::load(state.bundle.clone(), threads).map_err(|e| e.to_string())
                })
                .as_ref()
                .map_err(|e| datafusion::error::DataFusionError::Execution(format!("mac_annotate: {e}")))?;
            let embedding = classifier.embedding_range();
            for chunk in misses.chunks(BATCH) {
                let paths: Vec<&Path> = chunk.iter().map(|(_, key)| Path::new(&key.0)).collect();
                let batch = pipeline::load(&paths, classifier);
                let outcomes = pipeline::label(classifier, 0, batch, FaceChoice::Largest).map_err(|e| {
                    datafusion::error::DataFusionError::Execution(format!("mac_annotate: {e}"))
                })?;
                let mut cache = state.cache.lock().unwrap_or_else(|p| p.into_inner());
                for ((i, key), outcome) in chunk.iter().zip(outcomes) {
                    let value = match outcome {
                        Outcome::Failed(e) => {
                            crate::warnings::warn(format_args!("mac_annotate: {}: {e}", key.0));
                            None
                        }
                        Outcome::NoFace { .. } => Some((no_face(), None, None)),
                        Outcome::Labelled(list) => match list.into_iter().next() {
                            Some(l) => {
                                let cells = match l.face {
                                    Some((count, rank, f)) => FaceCells {
                                        faces: Some(count),
                                        face: Some((rank, f)),
                                    },
                                    None => FaceCells::default(),
                                };
                                let e = embedding
                                    .as_ref()
                                    .and_then(|r| table::embedding_of(&l.features, r));
                                Some((cells, Some(l.scores), e))
                            }
                            None => Some((no_face(), None, None)),
                        },
                    };
                    results[*i] = value.clone();
                    cache.insert(key.clone(), value);
                }
            }
        }
        let cells: Vec<FaceCells> = results
            .iter()
            .map(|r| r.as_ref().map(|(c, ..)| c.clone()).unwrap_or_default())
            .collect();
        let refs: Vec<Option<&Scores>> = results
            .iter()
            .map(|r| r.as_ref().and_then(|(_, s, _)| s.as_ref()))
            .collect();
        let mut arrays: Vec<ArrayRef> = table::face_arrays(&cells, false);
        arrays.extend(table::attribute_arrays(&state.bundle, &refs));
        if let Some(dim) = state.bundle.embedding_dim() {
            arrays.push(table::embedding_array(
                results
                    .iter()
                    .map(|r| r.as_ref().and_then(|(.., e)| e.as_deref())),
                dim,
            ));
        }
        let nulls = NullBuffer::from(results.iter().map(|r| r.is_some()).collect::<Vec<bool>>());
        let out = StructArray::try_new(state.fields.clone(), arrays, Some(nulls))?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}
