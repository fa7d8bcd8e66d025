//! The `[detector]` table of a bundle manifest: which ONNX face detector to run, how an image
//! becomes its input, how its outputs are decoded, and the thresholds. Parsing and the checks
//! that need no model; the checks against the model run when it loads ([`super::Detector`]).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::priors::{self, Prior};
use crate::mac::MacError;
use crate::mac::bundle::manifest::{Colour, Layout};
use crate::mac::face::align::LANDMARK_NAMES;
use crate::mac::input::preprocess::Normalise;

/// The output decoding of a detector family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecoderKind {
    /// RetinaFace (biubug6/Pytorch_Retinaface): `loc`, softmaxed `conf`, `landmarks` against
    /// multi-size priors, plain NMS.
    RetinaFace,
    /// MediaPipe BlazeFace: regressors and raw scores against SSD anchors, weighted NMS.
    BlazeFace,
}

/// RetinaFace's prior boxes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorSpec {
    /// Feature-map strides in input pixels, e.g. `[8, 16, 32]`.
    pub strides: Vec<u32>,
    /// Prior sizes (input pixels) at each stride, e.g. `[[16, 32], [64, 128], [256, 512]]`.
    pub sizes: Vec<Vec<f32>>,
    /// Variances of the centre and size offsets, e.g. `[0.1, 0.2]`.
    pub variance: [f32; 2],
}

/// MediaPipe's SSD anchors.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorSpec {
    /// Distinct feature-map strides, e.g. `[8, 16]`.
    pub strides: Vec<u32>,
    /// Anchors per cell at each stride (MediaPipe: 2 per layer of that stride), e.g. `[2, 6]`.
    pub per_cell: Vec<u32>,
    /// Anchor centre within its cell (default 0.5).
    #[serde(default = "half")]
    pub offset: f32,
}

fn half() -> f32 {
    0.5
}

fn nchw() -> Layout {
    Layout::Nchw
}

/// The `[detector]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// ONNX file, relative to the manifest.
    pub file: PathBuf,
    /// Output decoding: `retinaface` or `blazeface`.
    pub decoder: DecoderKind,
    /// Input tensor name.
    pub input: String,
    /// Input size `[width, height]`: every image is letterboxed into it.
    pub size: [u32; 2],
    /// Tensor layout (default NCHW).
    #[serde(default = "nchw")]
    pub layout: Layout,
    /// Channel order: `RGB` or `BGR`.
    pub colour: Colour,
    /// Per-channel (or one) value subtracted from the 0..255 pixel.
    #[serde(default)]
    pub mean: Vec<f32>,
    /// Multiplier applied after subtracting the mean.
    #[serde(default)]
    pub scale: Option<f32>,
    /// Per-channel (or one) divisor applied after subtracting the mean (instead of scale).
    #[serde(default)]
    pub std: Option<Vec<f32>>,
    /// Output tensor names: boxes, scores, then landmarks when the model has a tensor of its own
    /// for them (RetinaFace); BlazeFace's landmarks follow the box in its first output.
    pub outputs: Vec<String>,
    /// What the landmark points are, in output order (names of [`LANDMARK_NAMES`]; left and
    /// right as seen in the image).
    pub landmarks: Vec<String>,
    /// RetinaFace priors.
    #[serde(default)]
    pub priors: Option<PriorSpec>,
    /// BlazeFace anchors.
    #[serde(default)]
    pub anchors: Option<AnchorSpec>,
    /// A face is a detection scoring above this (0..1).
    pub score_threshold: f32,
    /// Detections overlapping a better one by more than this IoU are merged or dropped.
    pub nms_threshold: f32,
    /// A black border added on each side before letterboxing, as a fraction of the image's size
    /// (for detectors that miss faces filling the whole frame, as BlazeFace does).
    #[serde(default)]
    pub margin: f32,
}

fn bad(path: &Path, key: &str, message: impl Into<String>) -> MacError {
    MacError::Manifest {
        path: path.to_path_buf(),
        key: format!("detector.{key}"),
        message: message.into(),
    }
}

impl DetectorSpec {
    /// Checks what can be checked without the model; errors name `detector.<key>` in `path`.
    pub fn validate(&self, path: &Path) -> Result<(), MacError> {
        let [w, h] = self.size;
        if !(16..=4096).contains(&w) || !(16..=4096).contains(&h) {
            return Err(bad(path, "size", "expected [width, height], each 16..=4096"));
        }
        if self.colour == Colour::Gray {
            return Err(bad(path, "colour", "a detector takes RGB or BGR input"));
        }
        if !(self.mean.is_empty() || self.mean.len() == 1 || self.mean.len() == 3) {
            return Err(bad(path, "mean", "expected 1 or 3 values"));
        }
        match (&self.scale, &self.std) {
            (Some(_), Some(_)) => return Err(bad(path, "std", "give either scale or std, not both")),
            (Some(s), None) if !s.is_finite() || *s == 0.0 => {
                return Err(bad(path, "scale", "must be a non-zero number"));
            }
            (None, Some(s)) if !(s.len() == 1 || s.len() == 3) || s.contains(&0.0) => {
                return Err(bad(path, "std", "expected 1 or 3 non-zero values"));
            }
            _ => {}
        }
        if !(self.score_threshold > 0.0 && self.score_threshold < 1.0) {
            return Err(bad(
                path,
                "score_threshold",
                "expected a probability between 0 and 1",
            ));
        }
        if !(self.nms_threshold > 0.0 && self.nms_threshold <= 1.0) {
            return Err(bad(path, "nms_threshold", "expected an IoU in (0, 1]"));
        }
        if !(0.0..=2.0).contains(&self.margin) {
            return Err(bad(
                path,
                "margin",
                "expected a fraction of the image between 0 and 2",
            ));
        }
        for (i, name) in self.landmarks.iter().enumerate() {
            if !LANDMARK_NAMES.contains(&name.as_str()) {
                return Err(bad(
                    path,
                    &format!("landmarks[{i}]"),
                    format!(
                        "unknown landmark '{name}' (expected one of: {})",
                        LANDMARK_NAMES.join(", ")
                    ),
                ));
            }
        }
        let outputs = match self.decoder {
            DecoderKind::RetinaFace => 3,
            DecoderKind::BlazeFace => 2,
        };
        if self.outputs.len() != outputs {
            return Err(bad(
                path,
                "outputs",
                match self.decoder {
                    DecoderKind::RetinaFace => "expected 3 output names: boxes, scores, landmarks",
                    DecoderKind::BlazeFace => {
                        "expected 2 output names: regressors (boxes and landmarks), scores"
                    }
                },
            ));
        }
        match self.decoder {
            DecoderKind::RetinaFace => {
                let p = self
                    .priors
                    .as_ref()
                    .ok_or_else(|| bad(path, "priors", "required for decoder = \"retinaface\""))?;
                if p.strides.is_empty() || p.strides.len() != p.sizes.len() {
                    return Err(bad(path, "priors", "expected one list of sizes per stride"));
                }
                if p.strides.contains(&0) || p.sizes.iter().flatten().any(|s| s.is_nan() || *s <= 0.0) {
                    return Err(bad(path, "priors", "strides and sizes must be positive"));
                }
                if !p.variance.iter().all(|v| *v > 0.0 && v.is_finite()) {
                    return Err(bad(path, "priors.variance", "must be positive"));
                }
                if self.anchors.is_some() {
                    return Err(bad(
                        path,
                        "anchors",
                        "belongs to decoder = \"blazeface\" (RetinaFace uses priors)",
                    ));
                }
            }
            DecoderKind::BlazeFace => {
                let a = self
                    .anchors
                    .as_ref()
                    .ok_or_else(|| bad(path, "anchors", "required for decoder = \"blazeface\""))?;
                if a.strides.is_empty() || a.strides.len() != a.per_cell.len() || a.strides.contains(&0) {
                    return Err(bad(
                        path,
                        "anchors",
                        "expected positive strides and one per_cell count each",
                    ));
                }
                if self.priors.is_some() {
                    return Err(bad(
                        path,
                        "priors",
                        "belongs to decoder = \"retinaface\" (BlazeFace uses anchors)",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The priors (or anchors) of the input size.
    pub fn priors(&self) -> Vec<Prior> {
        let [w, h] = self.size;
        match (&self.priors, &self.anchors) {
            (Some(p), _) => priors::retinaface(w, h, &p.strides, &p.sizes),
            (None, Some(a)) => priors::ssd(w, h, &a.strides, &a.per_cell, a.offset),
            (None, None) => Vec::new(),
        }
    }

    /// The input normalisation.
    pub fn normalise(&self) -> Normalise {
        Normalise::new(&self.mean, self.scale, self.std.as_deref(), 3)
    }
}
