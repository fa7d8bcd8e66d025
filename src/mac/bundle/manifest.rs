//! The model bundle manifest (TOML): which ONNX models to run, how an image becomes each
//! model's input, and how their outputs become MAAD-Face attributes. Parsing and validation
//! only; no model is loaded here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use crate::annotations::{Band, MAAD_ATTRIBUTES};
use crate::mac::MacError;
use crate::mac::bundle::heads::Heads;
use crate::mac::face::align::{AlignSpec, Alignment};
use crate::mac::face::detect::spec::DetectorSpec;

/// Tensor layout of a model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Layout {
    /// Batch, channel, height, width.
    #[serde(rename = "NCHW", alias = "nchw")]
    Nchw,
    /// Batch, height, width, channel.
    #[serde(rename = "NHWC", alias = "nhwc")]
    Nhwc,
}

/// Colour of a model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Colour {
    /// Three channels, red first.
    #[serde(rename = "RGB", alias = "rgb")]
    Rgb,
    /// Three channels, blue first (OpenCV's order, e.g. RetinaFace).
    #[serde(rename = "BGR", alias = "bgr")]
    Bgr,
    /// One channel: ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B), as OpenCV computes it.
    #[serde(rename = "gray", alias = "grey", alias = "GRAY")]
    Gray,
}

impl Colour {
    /// Number of channels.
    pub fn channels(self) -> usize {
        match self {
            Colour::Rgb | Colour::Bgr => 3,
            Colour::Gray => 1,
        }
    }

    /// Channel `k` of the RGB pixel `p` in this colour (0..255, unrounded luma for gray).
    #[inline]
    pub fn value(self, p: &[u8], k: usize) -> f32 {
        match self {
            Colour::Rgb => f32::from(p[k]),
            Colour::Bgr => f32::from(p[2 - k]),
            Colour::Gray => 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]),
        }
    }
}

/// How the face box is resized to the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resize {
    /// Antialiased bilinear (triangle) filter: the most faithful.
    #[default]
    Bilinear,
    /// Integer area averaging when shrinking: about a quarter less CPU per image.
    Area,
}

/// How an attribute is read from a model output row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadKind {
    /// Probability = `output[index]` (of the softmax).
    Index,
    /// Probability = sum of output over a half-open bin range.
    Mass,
    /// `output[index]` as is: a probability, or a number with `numeric = true`.
    Value,
    /// Numeric estimate = sum of `output[i] * weights[i]`.
    Expected,
    /// Probability = a learned linear head over the bundle's features (`heads` file).
    Linear,
}

/// One `[[model]]` table of the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Name that attributes refer to.
    pub name: String,
    /// ONNX file, relative to the manifest.
    pub file: PathBuf,
    /// Input tensor name.
    pub input: String,
    /// Output tensor name (default: the model's first output).
    #[serde(default)]
    pub output: Option<String>,
    /// Input image size, [width, height].
    pub size: [u32; 2],
    /// Tensor layout.
    pub layout: Layout,
    /// Colour of the input.
    pub colour: Colour,
    /// Face box [left, top, right, bottom] as fractions of the image, used when no face is
    /// detected (`detector = "none"` or `--detect none`: images already aligned).
    /// (f64, as Python reads the same manifest, so boxes round the same way.)
    #[serde(default)]
    pub crop: Option<[f64; 4]>,
    /// The face chip cut around the detected landmarks (bundles with a `[detector]`).
    #[serde(default)]
    pub align: Option<AlignSpec>,
    /// Per-channel (or single) value subtracted from the 0..255 pixel.
    #[serde(default)]
    pub mean: Vec<f32>,
    /// Multiplier applied after subtracting the mean.
    #[serde(default)]
    pub scale: Option<f32>,
    /// Per-channel (or single) divisor applied after subtracting the mean (instead of scale).
    #[serde(default)]
    pub std: Option<Vec<f32>>,
    /// Whether the output already holds probabilities (otherwise a softmax is applied).
    #[serde(default)]
    pub softmax_in_graph: bool,
    /// Resampling: `bilinear` (default) or `area`.
    #[serde(default)]
    pub resize: Resize,
    /// Also run each input mirrored left to right and average the two outputs (test-time
    /// augmentation: faces are symmetric, the models' errors less so).
    #[serde(default)]
    pub mirror: bool,
    /// An output holding a flat feature vector per image ([N, k]), read by linear heads and by
    /// `macsql train` (see scripts/expose_features.py).
    #[serde(default)]
    pub features: Option<String>,
}

/// The `[regions]` table: colour and texture statistics of face regions
/// ([`crate::mac::face::regions`]), measured on a chip aligned to dlib's face frame, as more features.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionsSpec {
    /// The chip: `template = "dlib"` and its padding (or box); the regions are defined in
    /// dlib's frame.
    pub align: AlignSpec,
    /// `[width, height]` of the chip the statistics are measured on.
    pub size: [u32; 2],
}

/// One `[[attribute]]` table of the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeSpec {
    name: String,
    #[serde(default)]
    model: Option<String>,
    read: ReadKind,
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    bins: Option<[usize; 2]>,
    #[serde(default)]
    weights: Option<Vec<f32>>,
    #[serde(default)]
    numeric: bool,
    #[serde(default)]
    band: Option<Band>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// `detector = "none"` or a `[detector]` table (read as a value first, so that a mistake in
    /// the table is reported as itself rather than as "no variant matched").
    #[serde(default)]
    detector: Option<toml::Value>,
    model: Vec<ModelSpec>,
    #[serde(default)]
    regions: Option<RegionsSpec>,
    /// The heads file of `read = "linear"` attributes, relative to the manifest.
    #[serde(default)]
    heads: Option<PathBuf>,
    /// What `macsql train` recorded: label source, rows, command, time, licence of the labels.
    #[serde(default)]
    training: Option<toml::Table>,
    /// The model whose `features` output is the face embedding (the `embedding` column).
    #[serde(default)]
    embedding: Option<String>,
    /// The terms the models' own training data puts on their use (carried into every table).
    #[serde(default)]
    terms: Option<String>,
    attribute: Vec<AttributeSpec>,
}

/// The manifest as a canonical TOML text without the keys that do not change what the bundle
/// computes per image (falls back to the text itself if it does not parse).
fn features_text(text: &str) -> String {
    match toml::from_str::<toml::Table>(text) {
        Ok(mut t) => {
            for key in ["name", "version", "description", "terms", "embedding", "training"] {
                t.remove(key);
            }
            toml::to_string(&t).unwrap_or_else(|_| text.to_string())
        }
        Err(_) => text.to_string(),
    }
}

/// How an attribute's value is computed from its model's output row.
#[derive(Debug, Clone, PartialEq)]
pub enum Reader {
    /// `row[i]`.
    Index(usize),
    /// Sum of row[a..b].
    Mass(usize, usize),
    /// Sum of `row[i] * w[i]`.
    Expected(Vec<f32>),
    /// Head `i` of the bundle's heads file, over the feature vector.
    Linear(usize),
}

impl Reader {
    /// The value read from one (already normalised) output row; `None` if the row is too short.
    pub fn read(&self, row: &[f32]) -> Option<f32> {
        match self {
            Reader::Index(i) => row.get(*i).copied(),
            Reader::Mass(a, b) => row.get(*a..*b).map(|s| s.iter().sum::<f32>().clamp(0.0, 1.0)),
            Reader::Expected(w) => {
                (row.len() == w.len()).then(|| row.iter().zip(w).map(|(p, w)| p * w).sum::<f32>())
            }
            Reader::Linear(_) => None,
        }
    }

    /// The smallest output row length this reader needs.
    pub fn min_len(&self) -> usize {
        match self {
            Reader::Index(i) => i + 1,
            Reader::Mass(_, b) => *b,
            Reader::Expected(w) => w.len(),
            Reader::Linear(_) => 0,
        }
    }
}

/// A validated attribute of the bundle.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// MAAD name (probability attributes) or column name (numeric estimates).
    pub name: String,
    /// Index into [`Bundle::models`]; `None` for a linear head (it reads the feature vector).
    pub model: Option<usize>,
    /// How the value is read.
    pub reader: Reader,
    /// Reliability band for probability attributes; `None` for numeric estimates.
    pub band: Option<Band>,
}

/// A validated model bundle: the manifest with resolved files and their checksums.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The manifest file.
    pub(crate) path: PathBuf,
    /// Bundle name.
    pub(crate) name: String,
    /// Bundle version.
    pub(crate) version: Option<String>,
    /// Free text.
    pub(crate) description: Option<String>,
    /// The face detector, when the bundle has one.
    pub(crate) detector: Option<DetectorSpec>,
    /// Resolved ONNX file of the detector.
    pub(crate) detector_file: Option<PathBuf>,
    /// sha256 (hex) of the detector file.
    pub(crate) detector_sha256: Option<String>,
    /// The models, in manifest order.
    pub(crate) models: Vec<ModelSpec>,
    /// Each model's resolved alignment (with a detector).
    pub(crate) alignments: Vec<Option<Alignment>>,
    /// Resolved ONNX file of each model.
    pub(crate) files: Vec<PathBuf>,
    /// sha256 (hex) of each model file.
    pub(crate) sha256: Vec<String>,
    /// The attributes, in manifest order.
    pub(crate) attributes: Vec<Attribute>,
    /// The region statistics, when the bundle measures them.
    pub(crate) regions: Option<RegionsSpec>,
    /// Their chip's alignment and frame (with a detector).
    pub(crate) regions_alignment: Option<(Alignment, [f64; 4])>,
    /// The heads file (as written in the manifest) and, once loaded, its heads and sha256.
    pub(crate) heads_file: Option<PathBuf>,
    /// The linear heads, loaded by [`Bundle::load`].
    pub(crate) heads: Option<Arc<Heads>>,
    /// sha256 (hex) of the heads file.
    pub(crate) heads_sha256: Option<String>,
    /// The `[training]` table, as JSON.
    pub(crate) training: Option<String>,
    /// Index into [`Bundle::models`] of the model whose features are the face embedding.
    pub(crate) embedding: Option<usize>,
    /// The terms of the models' training data.
    pub(crate) terms: Option<String>,
    /// sha256 (hex) over the manifest text and the model checksums: the bundle's identity.
    pub(crate) hash: String,
    /// sha256 (hex) over what decides the per-image values (see [`Bundle::features_hash`]).
    pub(crate) features_hash: String,
}

fn bad(path: &Path, key: impl Into<String>, message: impl Into<String>) -> MacError {
    MacError::Manifest {
        path: path.to_path_buf(),
        key: key.into(),
        message: message.into(),
    }
}

/// Hex sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(hex(&Sha256::digest(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_manifest(path: &Path) -> Result<String, MacError> {
    std::fs::read_to_string(path).map_err(|e| MacError::ManifestRead {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// A manifest with `extends = "other.toml"` (a file in the same folder) takes every top-level
/// key it does not set from that manifest: a bundle that differs from another only in its
/// `[detector]`, say, states just that. Returns the merged text (which the bundle hash covers).
fn extend(path: &Path, text: String) -> Result<String, MacError> {
    let parse_err = |p: &Path, e: toml::de::Error| MacError::ManifestParse {
        path: p.to_path_buf(),
        message: e.to_string(),
    };
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| parse_err(path, e))?;
    let Some(base) = table.remove("extends") else {
        return Ok(text);
    };
    let name = match base.as_str() {
        Some(n)
            if !n.is_empty()
                && !n.contains(['/', '\\'])
                && n != path.file_name().and_then(|f| f.to_str()).unwrap_or("") =>
        {
            n.to_string()
        }
        _ => {
            return Err(bad(
                path,
                "extends",
                "expected the file name of another manifest in the same folder",
            ));
        }
    };
    let base_path = path.with_file_name(&name);
    let base_text = read_manifest(&base_path)?;
    let mut merged: toml::Table = toml::from_str(&base_text).map_err(|e| parse_err(&base_path, e))?;
    if merged.contains_key("extends") {
        return Err(bad(
            &base_path,
            "extends",
            "a manifest that is extended cannot extend another",
        ));
    }
    for (k, v) in table {
        merged.insert(k, v);
    }
    toml::to_string(&merged).map_err(|e| bad(path, "extends", e.to_string()))
}

/// The manifest at `path` as a TOML table, `extends` resolved (what [`Bundle::load`] reads).
pub fn merged_manifest(path: &Path) -> Result<toml::Table, MacError> {
    let text = extend(path, read_manifest(path)?)?;
    toml::from_str(&text).map_err(|e| MacError::ManifestParse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

impl Bundle {
    /// The bundle's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bundle's version, when the manifest gives one.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The manifest's free-text description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The manifest file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// sha256 (hex) over the manifest text and the model checksums: the bundle's identity,
    /// stored as `macsql.bundle_hash` in every table it labels.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The attributes the bundle labels 1 / 0 / -1 (those with reliability bands), in manifest
    /// order; scores without bands (e.g. `age`) are left out.
    pub fn labelled_attributes(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(|a| a.band.is_some())
            .map(|a| a.name.as_str())
    }

    /// Reads and validates the manifest at `path`, checks that every model file exists and
    /// checksums it. Errors name the manifest and the offending key.
    pub fn load(path: &Path) -> Result<Bundle, MacError> {
        let text = read_manifest(path)?;
        let text = extend(path, text)?;
        let mut bundle = Bundle::parse(path, &text)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut hasher = Sha256::new();
        hasher.update(text.as_bytes());
        let mut features = Sha256::new();
        features.update(features_text(&text).as_bytes());
        if let Some(d) = &bundle.detector {
            let file = dir.join(&d.file);
            let sum = sha256_file(&file).map_err(|e| {
                bad(
                    path,
                    "detector.file",
                    format!("cannot read detector file {}: {e}", file.display()),
                )
            })?;
            hasher.update(sum.as_bytes());
            features.update(sum.as_bytes());
            bundle.detector_file = Some(file);
            bundle.detector_sha256 = Some(sum);
        }
        for (i, m) in bundle.models.iter().enumerate() {
            let file = dir.join(&m.file);
            let sum = sha256_file(&file).map_err(|e| {
                bad(
                    path,
                    format!("model[{i}].file"),
                    format!("cannot read model file {}: {e}", file.display()),
                )
            })?;
            hasher.update(sum.as_bytes());
            features.update(sum.as_bytes());
            bundle.files.push(file);
            bundle.sha256.push(sum);
        }
        if let Some(h) = bundle.heads_file.clone() {
            let file = dir.join(&h);
            let sum = sha256_file(&file).map_err(|e| {
                bad(
                    path,
                    "heads",
                    format!("cannot read heads file {}: {e}", file.display()),
                )
            })?;
            hasher.update(sum.as_bytes());
            features.update(sum.as_bytes());
            let heads =
                Heads::read(&file).map_err(|e| bad(path, "heads", format!("{}: {e}", file.display())))?;
            for (j, a) in bundle.attributes.iter_mut().enumerate() {
                if let Reader::Linear(i) = &mut a.reader {
                    *i = heads.find(&a.name).ok_or_else(|| {
                        bad(
                            path,
                            format!("attribute[{j}]"),
                            format!("{} has no head for {}", file.display(), a.name),
                        )
                    })?;
                }
            }
            bundle.heads = Some(Arc::new(heads));
            bundle.heads_sha256 = Some(sum);
        }
        bundle.hash = hex(&hasher.finalize());
        bundle.features_hash = hex(&features.finalize());
        Ok(bundle)
    }

    /// The identity of what the bundle computes per image (its features and its own attribute
    /// values): the bundle's hash without the keys that change neither (name, version,
    /// description, terms, embedding, the `[training]` record). `macsql train --features` keys
    /// its cache on it.
    pub fn features_hash(&self) -> &str {
        &self.features_hash
    }

    /// Parses and validates manifest text (`path` is used in messages only); model files
    /// are not touched.
    pub fn parse(path: &Path, text: &str) -> Result<Bundle, MacError> {
        let file: ManifestFile = toml::from_str(text).map_err(|e| MacError::ManifestParse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if file.model.is_empty() {
            return Err(bad(path, "model", "at least one [[model]] is required"));
        }
        let detector = match file.detector {
            None => None,
            Some(toml::Value::String(w)) if w == "none" => None,
            Some(table @ toml::Value::Table(_)) => {
                let d: DetectorSpec = table
                    .try_into()
                    .map_err(|e: toml::de::Error| bad(path, "detector", e.message().trim().to_string()))?;
                d.validate(path)?;
                Some(d)
            }
            Some(other) => {
                return Err(bad(
                    path,
                    "detector",
                    format!("expected \"none\" or a [detector] table, not {other}"),
                ));
            }
        };
        let mut names = BTreeMap::new();
        let mut alignments = Vec::new();
        for (i, m) in file.model.iter().enumerate() {
            validate_model(path, i, m)?;
            alignments.push(match (&detector, &m.align) {
                (Some(d), Some(a)) => Some(a.resolve(&d.landmarks, m.size[0], m.size[1]).map_err(
                    |(k, msg)| bad(path, format!("model[{i}].align.{k}"), msg),
                )?),
                (Some(_), None) => {
                    return Err(bad(
                        path,
                        format!("model[{i}].align"),
                        "required when the bundle has a [detector]: the face chip the model expects, e.g. align = { template = \"dlib\", padding = 0.2 }",
                    ));
                }
                (None, _) => None,
            });
            if detector.is_none() && m.crop.is_none() {
                return Err(bad(
                    path,
                    format!("model[{i}].crop"),
                    "required without a [detector]: the face box of the aligned images, e.g. crop = [0.2, 0.25, 0.8, 0.85]",
                ));
            }
            if names.insert(m.name.clone(), i).is_some() {
                return Err(bad(
                    path,
                    format!("model[{i}].name"),
                    format!("duplicate model name '{}'", m.name),
                ));
            }
        }
        let regions_alignment = match (&file.regions, &detector) {
            (Some(r), Some(d)) => {
                if r.align.points.is_some() || r.align.template.as_deref().is_some_and(|t| t != "dlib") {
                    return Err(bad(
                        path,
                        "regions.align",
                        "the regions are defined in dlib's face frame: use template = \"dlib\"",
                    ));
                }
                if r.size[0] < 16 || r.size[1] < 16 || r.size[0] > 1024 || r.size[1] > 1024 {
                    return Err(bad(
                        path,
                        "regions.size",
                        "expected [width, height], each 16..=1024",
                    ));
                }
                let a = r
                    .align
                    .resolve(&d.landmarks, r.size[0], r.size[1])
                    .map_err(|(k, msg)| bad(path, format!("regions.align.{k}"), msg))?;
                let frame = r
                    .align
                    .frame()
                    .map_err(|(k, msg)| bad(path, format!("regions.align.{k}"), msg))?;
                Some((a, frame))
            }
            _ => None,
        };
        let mut attributes = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, a) in file.attribute.iter().enumerate() {
            let key = |k: &str| format!("attribute[{i}].{k}");
            let model = match (&a.model, a.read) {
                (None, ReadKind::Linear) => None,
                (Some(_), ReadKind::Linear) => {
                    return Err(bad(
                        path,
                        key("model"),
                        "a linear head reads the bundle's features, not one model: leave model out",
                    ));
                }
                (None, _) => return Err(bad(path, key("model"), "required for this read")),
                (Some(m), _) => Some(
                    *names
                        .get(m)
                        .ok_or_else(|| bad(path, key("model"), format!("no [[model]] named '{m}'")))?,
                ),
            };
            let need_index = || {
                a.index
                    .ok_or_else(|| bad(path, key("index"), "required for this read"))
            };
            let (reader, numeric) = match a.read {
                ReadKind::Index => (Reader::Index(need_index()?), false),
                ReadKind::Value => (Reader::Index(need_index()?), a.numeric),
                ReadKind::Mass => {
                    let [lo, hi] = a
                        .bins
                        .ok_or_else(|| bad(path, key("bins"), "required for read = \"mass\""))?;
                    if lo >= hi {
                        return Err(bad(path, key("bins"), "expected [first, end) with first < end"));
                    }
                    (Reader::Mass(lo, hi), false)
                }
                ReadKind::Expected => {
                    let w = a
                        .weights
                        .clone()
                        .ok_or_else(|| bad(path, key("weights"), "required for read = \"expected\""))?;
                    if w.is_empty() {
                        return Err(bad(path, key("weights"), "must not be empty"));
                    }
                    (Reader::Expected(w), true)
                }
                ReadKind::Linear => {
                    if file.heads.is_none() {
                        return Err(bad(
                            path,
                            key("read"),
                            "read = \"linear\" needs heads = \"FILE.parquet\"",
                        ));
                    }
                    (Reader::Linear(usize::MAX), false)
                }
            };
            let reserved = ["path", "dataset", "kind", "identity", "error"];
            if reserved.contains(&a.name.as_str()) || a.name.is_empty() {
                return Err(bad(
                    path,
                    key("name"),
                    format!("'{}' is a reserved column", a.name),
                ));
            }
            if !numeric && !MAAD_ATTRIBUTES.contains(&a.name.as_str()) {
                return Err(bad(
                    path,
                    key("name"),
                    format!(
                        "'{}' is not a MAAD-Face attribute name (e.g. Male, Smiling, Young)",
                        a.name
                    ),
                ));
            }
            if !seen.insert(a.name.clone()) {
                return Err(bad(
                    path,
                    key("name"),
                    format!("duplicate attribute '{}'", a.name),
                ));
            }
            let band = if numeric {
                None
            } else {
                let b = a.band.unwrap_or_default();
                if !(0.0..=1.0).contains(&b.lo) || !(0.0..=1.0).contains(&b.hi) || b.lo > b.hi {
                    return Err(bad(path, key("band"), "expected 0 <= lo <= hi <= 1"));
                }
                Some(b)
            };
            attributes.push(Attribute {
                name: a.name.clone(),
                model,
                reader,
                band,
            });
        }
        if attributes.is_empty() {
            return Err(bad(path, "attribute", "at least one [[attribute]] is required"));
        }
        let embedding = match &file.embedding {
            None => None,
            Some(name) => match file.model.iter().position(|m| &m.name == name) {
                Some(i) if file.model[i].features.is_some() => Some(i),
                Some(_) => {
                    return Err(bad(
                        path,
                        "embedding",
                        format!("model '{name}' has no `features` output to read the embedding from"),
                    ));
                }
                None => {
                    let names: Vec<&str> = file.model.iter().map(|m| m.name.as_str()).collect();
                    return Err(bad(
                        path,
                        "embedding",
                        format!("no model named '{name}' (models: {})", names.join(", ")),
                    ));
                }
            },
        };
        Ok(Bundle {
            path: path.to_path_buf(),
            name: file.name,
            version: file.version,
            description: file.description,
            detector,
            detector_file: None,
            detector_sha256: None,
            models: file.model,
            alignments,
            regions: file.regions,
            regions_alignment,
            heads_file: file.heads,
            heads: None,
            heads_sha256: None,
            training: file
                .training
                .map(|t| serde_json::to_string(&t).unwrap_or_default()),
            embedding,
            terms: file.terms,
            files: Vec::new(),
            sha256: Vec::new(),
            attributes,
            hash: String::new(),
            features_hash: String::new(),
        })
    }

    /// The name of the model whose features are the face embedding, if the bundle has one.
    pub fn embedding_model(&self) -> Option<&str> {
        self.embedding.map(|i| self.models[i].name.as_str())
    }

    /// The embedding's dimension as the heads file records it (known before any model is
    /// loaded), when the bundle has an embedding model and heads.
    pub fn embedding_dim(&self) -> Option<usize> {
        let model = self.embedding_model()?;
        let heads = self.heads.as_ref()?;
        heads.layout.iter().find(|b| b.source == model).map(|b| b.width)
    }

    /// The reliability bands of the probability attributes, as a JSON object.
    pub fn bands_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .attributes
            .iter()
            .filter_map(|a| {
                a.band
                    .map(|b| (a.name.clone(), serde_json::json!({"lo": b.lo, "hi": b.hi})))
            })
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// Model (and detector) file name -> sha256, as a JSON object.
    pub fn models_json(&self) -> String {
        let mut map: serde_json::Map<String, serde_json::Value> = self
            .models
            .iter()
            .zip(&self.sha256)
            .map(|(m, s)| (m.file.display().to_string(), serde_json::Value::from(s.clone())))
            .collect();
        if let (Some(d), Some(s)) = (&self.detector, &self.detector_sha256) {
            map.insert(d.file.display().to_string(), serde_json::Value::from(s.clone()));
        }
        if let (Some(h), Some(s)) = (&self.heads_file, &self.heads_sha256) {
            map.insert(h.display().to_string(), serde_json::Value::from(s.clone()));
        }
        serde_json::Value::Object(map).to_string()
    }

    /// Checks that every model has a `crop` box, as running without detection needs.
    pub fn require_crops(&self) -> Result<(), MacError> {
        match self.models.iter().position(|m| m.crop.is_none()) {
            Some(i) => Err(bad(
                &self.path,
                format!("model[{i}].crop"),
                "required to run without face detection (--detect none): the face box of the aligned images",
            )),
            None => Ok(()),
        }
    }
}

fn validate_model(path: &Path, i: usize, m: &ModelSpec) -> Result<(), MacError> {
    let key = |k: &str| format!("model[{i}].{k}");
    if m.size[0] == 0 || m.size[1] == 0 || m.size[0] > 4096 || m.size[1] > 4096 {
        return Err(bad(path, key("size"), "expected [width, height], each 1..=4096"));
    }
    if let Some([l, t, r, b]) = m.crop {
        let ok = |v: f64| v.is_finite() && (-1.0..=2.0).contains(&v);
        if !(ok(l) && ok(t) && ok(r) && ok(b)) || r <= l || b <= t {
            return Err(bad(
                path,
                key("crop"),
                "expected [left, top, right, bottom] fractions of the image with left < right, top < bottom",
            ));
        }
    }
    let c = m.colour.channels();
    if !(m.mean.is_empty() || m.mean.len() == 1 || m.mean.len() == c) {
        return Err(bad(path, key("mean"), format!("expected 1 or {c} values")));
    }
    match (&m.scale, &m.std) {
        (Some(_), Some(_)) => return Err(bad(path, key("std"), "give either scale or std, not both")),
        (Some(s), None) if !s.is_finite() || *s == 0.0 => {
            return Err(bad(path, key("scale"), "must be a non-zero number"));
        }
        (None, Some(s)) if !(s.len() == 1 || s.len() == c) || s.contains(&0.0) => {
            return Err(bad(
                path,
                key("std"),
                format!("expected 1 or {c} non-zero values"),
            ));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
[[model]]
name = "g"
file = "g.onnx"
input = "images"
size = [32, 32]
layout = "NCHW"
colour = "RGB"
crop = [0.2, 0.25, 0.8, 0.85]
mean = [1, 2, 3]
scale = 0.5
[[attribute]]
name = "Male"
model = "g"
read = "index"
index = 1
[[attribute]]
name = "age"
model = "g"
read = "expected"
weights = [1, 2]
"#;

    fn err(text: &str) -> String {
        Bundle::parse(Path::new("m.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn the_features_hash_ignores_what_does_not_change_the_values() {
        let base = "name = \"a\"\nterms = \"x\"\n[[model]]\nname = \"m\"\nsize = [8, 8]\n";
        let renamed = "name = \"b\"\ndescription = \"d\"\nembedding = \"m\"\nterms = \"y\"\n\n[[model]]\nsize = [8, 8]\nname = \"m\"\n";
        let resized = "name = \"a\"\nterms = \"x\"\n[[model]]\nname = \"m\"\nsize = [9, 8]\n";
        assert_eq!(features_text(base), features_text(renamed));
        assert_ne!(features_text(base), features_text(resized));
    }

    #[test]
    fn parses_a_good_manifest() {
        let b = Bundle::parse(Path::new("m.toml"), GOOD).unwrap();
        assert_eq!(b.attributes.len(), 2);
        assert_eq!(b.attributes[0].reader, Reader::Index(1));
        assert_eq!(b.attributes[0].band, Some(Band::default()));
        assert!(b.attributes[1].band.is_none());
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let e = err(&GOOD.replace(
            "model = \"g\"\nread = \"index\"",
            "model = \"x\"\nread = \"index\"",
        ));
        assert!(e.contains("m.toml") && e.contains("attribute[0].model"), "{e}");
        let e = err(&GOOD.replace("crop = [0.2, 0.25, 0.8, 0.85]", "crop = [0.8, 0.25, 0.2, 0.85]"));
        assert!(e.contains("model[0].crop"), "{e}");
        let e = err(&GOOD.replace("name = \"Male\"", "name = \"Manly\""));
        assert!(e.contains("attribute[0].name") && e.contains("MAAD"), "{e}");
        let e = err(&GOOD.replace("layout = \"NCHW\"", "layout = \"CHW\""));
        assert!(e.contains("m.toml") && e.contains("layout"), "{e}");
        let e = err(&GOOD.replace("index = 1", ""));
        assert!(e.contains("attribute[0].index"), "{e}");
    }

    #[test]
    fn readers_read_rows() {
        let row = [0.1, 0.2, 0.3, 0.4];
        assert_eq!(Reader::Index(2).read(&row), Some(0.3));
        assert!((Reader::Mass(1, 3).read(&row).unwrap() - 0.5).abs() < 1e-6);
        assert!((Reader::Expected(vec![0.0, 1.0, 2.0, 3.0]).read(&row).unwrap() - 2.0).abs() < 1e-6);
        assert_eq!(Reader::Index(9).read(&row), None);
    }
}
