//! The classifier: one ONNX Runtime session per model of a bundle, checked against the
//! manifest, turning batches of preprocessed tensors into attribute values.

use std::sync::{Arc, Mutex};

use ort::session::Session;
use ort::value::Tensor;

use crate::mac::MacError;
use crate::mac::bundle::heads::FeatureBlock;
use crate::mac::bundle::manifest::{Bundle, Layout, Reader};
use crate::mac::face::detect::Detector;

/// Attribute values of one image, in the bundle's attribute order (probabilities for
/// probability attributes, numbers for numeric estimates).
pub type Scores = Vec<f32>;

/// What the models give one image: its attribute values and its feature vector (the
/// bundle's [`Classifier::feature_layout`]; empty when the bundle has no features).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scored {
    /// Attribute values, in the bundle's order.
    pub scores: Scores,
    /// The feature vector.
    pub features: Vec<f32>,
}

/// A loaded bundle: sessions ready to run.
pub struct Classifier {
    /// The bundle.
    pub bundle: Arc<Bundle>,
    /// The face detector, unless the images are aligned already.
    detector: Option<Detector>,
    /// Per model, one session per stream.
    sessions: Vec<Vec<Mutex<Session>>>,
    outputs: Vec<String>,
    widths: Vec<usize>,
    /// Per model, its `features` output and that output's width.
    features: Vec<Option<(String, usize)>>,
    layout: Vec<FeatureBlock>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("bundle", &self.bundle.name)
            .finish()
    }
}

fn shape_err(bundle: &Bundle, key: String, message: String) -> MacError {
    MacError::Manifest {
        path: bundle.path.clone(),
        key,
        message,
    }
}

/// Whether a classifier detects faces: `Auto` when the bundle has a `[detector]`, or `None`
/// (the images are aligned already: each model's `crop` box).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Detect {
    /// Detect faces when the bundle has a detector.
    #[default]
    Auto,
    /// Never: cut each model's `crop` box (FFHQ-style aligned images).
    None,
}

impl Classifier {
    /// Loads ONNX Runtime and one session per model (`threads` intra-op threads each) and
    /// checks input names, input shapes and output widths against the manifest.
    pub fn load(bundle: Arc<Bundle>, threads: usize) -> Result<Classifier, MacError> {
        Self::load_streams(bundle, threads, 1, Detect::Auto)
    }

    /// Like [`Classifier::load`], with `streams` sessions per model so that `streams` batches
    /// can run at once ([`Classifier::run`]), each session with `threads` intra-op threads.
    /// On few cores, two single-threaded streams beat one two-threaded stream: no worker
    /// hand-offs and no idle waits inside each operator. The detector (if the bundle has one
    /// and `detect` is `Auto`) is loaded and checked first.
    pub fn load_streams(
        bundle: Arc<Bundle>,
        threads: usize,
        streams: usize,
        detect: Detect,
    ) -> Result<Classifier, MacError> {
        let detector = match (&bundle.detector, &bundle.detector_file, detect) {
            (Some(spec), Some(file), Detect::Auto) => Some(Detector::load(
                spec.clone(),
                file,
                &bundle.path,
                threads,
                streams,
            )?),
            _ => {
                bundle.require_crops()?;
                None
            }
        };
        let mut sessions = Vec::new();
        let mut outputs = Vec::new();
        let mut widths = Vec::new();
        let mut features = Vec::new();
        let mut layout = Vec::new();
        for (i, (m, file)) in bundle.models.iter().zip(&bundle.files).enumerate() {
            let session = crate::mac::infer::runtime::session(file, threads)?;
            let input = session
                .inputs()
                .iter()
                .find(|o| o.name() == m.input)
                .ok_or_else(|| {
                    let names: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
                    shape_err(
                        &bundle,
                        format!("model[{i}].input"),
                        format!(
                            "{} has no input '{}' (inputs: {})",
                            file.display(),
                            m.input,
                            names.join(", ")
                        ),
                    )
                })?;
            let [w, h] = m.size;
            let c = m.colour.channels() as i64;
            let want: [i64; 4] = match m.layout {
                Layout::Nchw => [-1, c, h as i64, w as i64],
                Layout::Nhwc => [-1, h as i64, w as i64, c],
            };
            let got: Vec<i64> = input
                .dtype()
                .tensor_shape()
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
            let fits = got.len() == 4 && got.iter().zip(&want).skip(1).all(|(g, w)| *g < 0 || g == w);
            if !fits {
                return Err(shape_err(
                    &bundle,
                    format!("model[{i}].size"),
                    format!(
                        "input '{}' of {} has shape {:?}, but size/layout/colour give {:?} (-1 = any)",
                        m.input,
                        file.display(),
                        got,
                        want
                    ),
                ));
            }
            let output = match &m.output {
                Some(name) => session
                    .outputs()
                    .iter()
                    .find(|o| o.name() == name)
                    .ok_or_else(|| {
                        shape_err(
                            &bundle,
                            format!("model[{i}].output"),
                            format!("{} has no output '{name}'", file.display()),
                        )
                    })?,
                None => session.outputs().first().ok_or_else(|| {
                    shape_err(
                        &bundle,
                        format!("model[{i}].output"),
                        "model has no outputs".into(),
                    )
                })?,
            };
            let width = output
                .dtype()
                .tensor_shape()
                .and_then(|s| s.last().copied())
                .filter(|w| *w > 0)
                .map(|w| w as usize);
            if let Some(width) = width {
                for (j, a) in bundle.attributes.iter().enumerate() {
                    if a.model == Some(i) && a.reader.min_len() > width {
                        return Err(shape_err(
                            &bundle,
                            format!("attribute[{j}]"),
                            format!(
                                "reads {} values but output '{}' of {} has {width}",
                                a.reader.min_len(),
                                output.name(),
                                file.display()
                            ),
                        ));
                    }
                }
            }
            outputs.push(output.name().to_string());
            widths.push(width.unwrap_or(0));
            features.push(match &m.features {
                None => None,
                Some(name) => {
                    let out = session
                        .outputs()
                        .iter()
                        .find(|o| o.name() == name)
                        .ok_or_else(|| {
                            shape_err(
                                &bundle,
                                format!("model[{i}].features"),
                                format!(
                                    "{} has no output '{name}' (scripts/expose_features.py adds one)",
                                    file.display()
                                ),
                            )
                        })?;
                    let shape: Vec<i64> = out
                        .dtype()
                        .tensor_shape()
                        .map(|s| s.iter().copied().collect())
                        .unwrap_or_default();
                    let width = match shape.as_slice() {
                        [_, w] if *w > 0 => *w as usize,
                        _ => {
                            return Err(shape_err(
                                &bundle,
                                format!("model[{i}].features"),
                                format!("output '{name}' has shape {shape:?}; expected [N, k]"),
                            ));
                        }
                    };
                    layout.push(FeatureBlock {
                        source: m.name.clone(),
                        width,
                    });
                    Some((name.clone(), width))
                }
            });
            let mut copies = vec![Mutex::new(session)];
            for _ in 1..streams.max(1) {
                copies.push(Mutex::new(crate::mac::infer::runtime::session(file, threads)?));
            }
            sessions.push(copies);
        }
        if bundle.regions.is_some() {
            layout.push(FeatureBlock {
                source: "regions".into(),
                width: crate::mac::face::regions::WIDTH,
            });
        }
        if let (Some(heads), Some(file)) = (&bundle.heads, &bundle.heads_file)
            && heads.layout != layout
        {
            let show = |l: &[FeatureBlock]| {
                l.iter()
                    .map(|b| format!("{} {}", b.source, b.width))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(shape_err(
                &bundle,
                "heads".into(),
                format!(
                    "{} reads features [{}] but the bundle gives [{}]",
                    file.display(),
                    show(&heads.layout),
                    show(&layout)
                ),
            ));
        }
        Ok(Classifier {
            bundle,
            detector,
            sessions,
            outputs,
            widths,
            features,
            layout,
        })
    }

    /// The blocks of the feature vector: each model's `features` output, then the regions.
    pub fn feature_layout(&self) -> &[FeatureBlock] {
        &self.layout
    }

    /// Where the face embedding (the features of the bundle's `embedding` model) sits in the
    /// feature vector, when the bundle names one.
    pub fn embedding_range(&self) -> Option<std::ops::Range<usize>> {
        let name = self.bundle.embedding_model()?;
        let mut start = 0;
        for b in &self.layout {
            if b.source == name {
                return Some(start..start + b.width);
            }
            start += b.width;
        }
        None
    }

    /// Whether the bundle measures region statistics (the pipeline then passes them to
    /// [`Classifier::run`]).
    pub fn has_regions(&self) -> bool {
        self.bundle.regions.is_some()
    }

    /// The face detector, when faces are detected.
    pub fn detector(&self) -> Option<&Detector> {
        self.detector.as_ref()
    }

    /// Number of streams (batches that can run at once).
    pub fn streams(&self) -> usize {
        self.sessions.first().map_or(1, Vec::len)
    }

    /// Runs every model on a batch of `n` images on the sessions of `stream` (taken modulo
    /// [`Classifier::streams`]); `inputs[m]` holds model m's tensors of the n images back to
    /// back (twice each, as is and mirrored, for a model with `mirror`: their outputs are
    /// averaged). `regions` holds each image's region statistics when the bundle measures
    /// them (empty: not measured, NaN). Returns the scores and features of each image.
    pub fn run(
        &self,
        stream: usize,
        inputs: Vec<Vec<f32>>,
        n: usize,
        regions: Vec<Vec<f32>>,
    ) -> Result<Vec<Scored>, MacError> {
        let nattr = self.bundle.attributes.len();
        let mut scores = vec![vec![f32::NAN; nattr]; n];
        let width: usize = self.layout.iter().map(|b| b.width).sum();
        let mut features = vec![Vec::with_capacity(width); n];
        if n == 0 {
            return Ok(Vec::new());
        }
        for (i, data) in inputs.into_iter().enumerate() {
            let m = &self.bundle.models[i];
            let file = &self.bundle.files[i];
            let onnx = |e: String| MacError::Onnx {
                model: file.display().to_string(),
                message: e,
            };
            let [w, h] = m.size;
            let c = m.colour.channels();
            // A mirrored model has each image twice: as is, then mirrored.
            let views = if m.mirror { 2 } else { 1 };
            let batch = n * views;
            let shape = match m.layout {
                Layout::Nchw => [batch, c, h as usize, w as usize],
                Layout::Nhwc => [batch, h as usize, w as usize, c],
            };
            let tensor = Tensor::from_array((shape, data)).map_err(|e| onnx(e.to_string()))?;
            let copies = &self.sessions[i];
            let mut session = copies[stream % copies.len()]
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let outputs = session
                .run(ort::inputs![m.input.as_str() => tensor])
                .map_err(|e| onnx(e.to_string()))?;
            if let Some((name, fw)) = &self.features[i] {
                let value = outputs
                    .get(name)
                    .ok_or_else(|| onnx(format!("no output '{name}'")))?;
                let (_, flat) = value
                    .try_extract_tensor::<f32>()
                    .map_err(|e| onnx(e.to_string()))?;
                if flat.len() != fw * batch {
                    return Err(onnx(format!(
                        "features '{name}': {} values for {batch} inputs of {fw}",
                        flat.len()
                    )));
                }
                for (f, rows) in features.iter_mut().zip(flat.chunks(fw * views)) {
                    if views == 2 {
                        f.extend(rows[..*fw].iter().zip(&rows[*fw..]).map(|(a, b)| (a + b) / 2.0));
                    } else {
                        f.extend_from_slice(rows);
                    }
                }
            }
            let value = outputs
                .get(&self.outputs[i])
                .ok_or_else(|| onnx(format!("no output '{}'", self.outputs[i])))?;
            let (_, flat) = value
                .try_extract_tensor::<f32>()
                .map_err(|e| onnx(e.to_string()))?;
            let width = if self.widths[i] > 0 {
                self.widths[i]
            } else {
                flat.len() / batch
            };
            if width == 0 || flat.len() != width * batch {
                return Err(onnx(format!(
                    "unexpected output size {} for {batch} inputs",
                    flat.len()
                )));
            }
            for (k, rows) in flat.chunks(width * views).enumerate() {
                let probabilities = |row: &[f32]| {
                    if m.softmax_in_graph {
                        row.to_vec()
                    } else {
                        softmax(row)
                    }
                };
                let mut row = probabilities(&rows[..width]);
                if views == 2 {
                    for (r, v) in row.iter_mut().zip(probabilities(&rows[width..])) {
                        *r = (*r + v) / 2.0;
                    }
                }
                for (j, a) in self.bundle.attributes.iter().enumerate() {
                    if a.model == Some(i) {
                        scores[k][j] = a.reader.read(&row).unwrap_or(f32::NAN);
                    }
                }
            }
        }
        if self.has_regions() {
            let mut regions = regions.into_iter();
            for f in &mut features {
                match regions.next() {
                    Some(r) if r.len() == crate::mac::face::regions::WIDTH => f.extend(r),
                    _ => f.extend(std::iter::repeat_n(f32::NAN, crate::mac::face::regions::WIDTH)),
                }
            }
        }
        if let Some(heads) = &self.bundle.heads {
            for (s, f) in scores.iter_mut().zip(&features) {
                for (j, a) in self.bundle.attributes.iter().enumerate() {
                    if let Reader::Linear(h) = a.reader {
                        s[j] = heads.probability(h, f);
                    }
                }
            }
        }
        Ok(scores
            .into_iter()
            .zip(features)
            .map(|(scores, features)| Scored { scores, features })
            .collect())
    }
}

/// The softmax of a row of logits.
pub fn softmax(row: &[f32]) -> Vec<f32> {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = row.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|v| v / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::softmax;

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(&[1.0, 2.0, 3.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[2] > p[1] && p[1] > p[0]);
    }
}
