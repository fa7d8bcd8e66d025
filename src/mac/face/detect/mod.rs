//! Face detection: a single-shot ONNX detector named by the bundle's `[detector]` table finds
//! faces and their landmarks in letterboxed images.
//!
//! - [`spec`]: the manifest table and its checks;
//! - [`letterbox`]: an image of any size into the detector's fixed input, and back;
//! - [`priors`], [`decode`], [`nms`]: from raw outputs to faces (pure functions).

pub mod decode;
pub mod letterbox;
pub mod nms;
pub mod priors;
pub mod spec;

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use ort::value::TensorRef;

use self::letterbox::Letterbox;
use self::priors::Prior;
use self::spec::{DecoderKind, DetectorSpec};
use crate::mac::MacError;
use crate::mac::bundle::manifest::Layout;
use crate::mac::input::preprocess::Normalise;

/// The most images the detector runs on at once.
const DETECT_CHUNK: usize = 8;

/// A detected face.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// Detection score (0..1).
    pub score: f32,
    /// `[left, top, right, bottom]`.
    pub bbox: [f32; 4],
    /// The landmark points `[x, y]`, in the detector's landmark order.
    pub landmarks: Vec<[f32; 2]>,
}

impl Face {
    /// The box's area.
    pub fn area(&self) -> f32 {
        (self.bbox[2] - self.bbox[0]).max(0.0) * (self.bbox[3] - self.bbox[1]).max(0.0)
    }

    /// The face in source pixels, given where the image went in the detector input.
    pub fn to_source(&self, lb: &Letterbox) -> Face {
        let [l, t] = lb.to_source([self.bbox[0], self.bbox[1]]);
        let [r, b] = lb.to_source([self.bbox[2], self.bbox[3]]);
        Face {
            score: self.score,
            bbox: [l, t, r, b],
            landmarks: self.landmarks.iter().map(|p| lb.to_source(*p)).collect(),
        }
    }
}

/// What the detector found in one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Detections {
    /// The faces, largest box first, in source pixels.
    pub faces: Vec<Face>,
    /// The best score of any prior (also when no face passed the threshold).
    pub best: f32,
}

/// A loaded detector: sessions checked against the manifest and its priors.
pub struct Detector {
    /// The manifest's table.
    pub spec: DetectorSpec,
    file: String,
    priors: Vec<Prior>,
    /// One session per stream.
    sessions: Vec<Mutex<Session>>,
    /// The model takes one image per run (batch dimension fixed to 1).
    single: bool,
    norm: Normalise,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector").field("file", &self.file).finish()
    }
}

fn bad(manifest: &Path, key: &str, message: String) -> MacError {
    MacError::Manifest {
        path: manifest.to_path_buf(),
        key: format!("detector.{key}"),
        message,
    }
}

impl Detector {
    /// Loads `file` with `streams` sessions of `threads` threads and checks it against `spec`:
    /// the input's name and shape, the outputs' names, and (by one run on a blank input) that
    /// the outputs have one row per prior of the right width. Errors name `detector.<key>`.
    pub fn load(
        spec: DetectorSpec,
        file: &Path,
        manifest: &Path,
        threads: usize,
        streams: usize,
    ) -> Result<Detector, MacError> {
        let session = crate::mac::infer::runtime::session(file, threads)?;
        let input = session
            .inputs()
            .iter()
            .find(|i| i.name() == spec.input)
            .ok_or_else(|| {
                let names: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
                bad(
                    manifest,
                    "input",
                    format!(
                        "{} has no input '{}' (inputs: {})",
                        file.display(),
                        spec.input,
                        names.join(", ")
                    ),
                )
            })?;
        let [w, h] = spec.size;
        let want: [i64; 4] = match spec.layout {
            Layout::Nchw => [-1, 3, i64::from(h), i64::from(w)],
            Layout::Nhwc => [-1, i64::from(h), i64::from(w), 3],
        };
        let got: Vec<i64> = input
            .dtype()
            .tensor_shape()
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let fits = got.len() == 4 && got.iter().zip(&want).skip(1).all(|(g, w)| *g < 0 || g == w);
        if !fits {
            return Err(bad(
                manifest,
                "size",
                format!(
                    "input '{}' of {} has shape {got:?}, but size/layout give {want:?} (-1 = any)",
                    spec.input,
                    file.display()
                ),
            ));
        }
        let single = got[0] == 1;
        for name in &spec.outputs {
            if !session.outputs().iter().any(|o| o.name() == name) {
                let names: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
                return Err(bad(
                    manifest,
                    "outputs",
                    format!(
                        "{} has no output '{name}' (outputs: {})",
                        file.display(),
                        names.join(", ")
                    ),
                ));
            }
        }
        let mut sessions = vec![Mutex::new(session)];
        for _ in 1..streams.max(1) {
            sessions.push(Mutex::new(crate::mac::infer::runtime::session(file, threads)?));
        }
        let detector = Detector {
            priors: spec.priors(),
            norm: spec.normalise(),
            spec,
            file: file.display().to_string(),
            sessions,
            single,
        };
        detector.check_outputs(manifest)?;
        Ok(detector)
    }

    /// One run on a blank input: every output must have one row per prior.
    fn check_outputs(&self, manifest: &Path) -> Result<(), MacError> {
        let [w, h] = self.spec.size;
        let blank = vec![0.0; 3 * (w * h) as usize];
        let shapes = self.run_raw(0, &blank, 1, |outs| {
            Ok(outs.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>())
        })?;
        let points = self.spec.landmarks.len();
        let widths: Vec<usize> = match self.spec.decoder {
            DecoderKind::RetinaFace => vec![4, 2, 2 * points],
            DecoderKind::BlazeFace => vec![4 + 2 * points, 1],
        };
        for ((name, shape), width) in self.spec.outputs.iter().zip(&shapes).zip(widths) {
            let rows: i64 = shape.iter().skip(1).rev().skip(1).product();
            let last = shape.last().copied().unwrap_or(0);
            if rows as usize != self.priors.len() {
                let key = if self.spec.priors.is_some() {
                    "priors"
                } else {
                    "anchors"
                };
                return Err(bad(
                    manifest,
                    key,
                    format!(
                        "output '{name}' of {} has {rows} rows for a {w}x{h} input, but the {key} give {} (shape {shape:?})",
                        self.file,
                        self.priors.len()
                    ),
                ));
            }
            if last as usize != width {
                return Err(bad(
                    manifest,
                    if width == 2 * points || width == 4 + 2 * points {
                        "landmarks"
                    } else {
                        "outputs"
                    },
                    format!(
                        "output '{name}' of {} has {last} values per prior, expected {width} ({points} landmarks named)",
                        self.file
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Runs the session of `stream` on `n` inputs back to back and hands each output's shape
    /// and values (in `spec.outputs` order) to `read`.
    fn run_raw<T>(
        &self,
        stream: usize,
        data: &[f32],
        n: usize,
        read: impl FnOnce(&[(Vec<i64>, &[f32])]) -> Result<T, MacError>,
    ) -> Result<T, MacError> {
        let onnx = |e: String| MacError::Onnx {
            model: self.file.clone(),
            message: e,
        };
        let [w, h] = self.spec.size;
        let (w, h) = (w as usize, h as usize);
        let shape = match self.spec.layout {
            Layout::Nchw => [n, 3, h, w],
            Layout::Nhwc => [n, h, w, 3],
        };
        let tensor = TensorRef::from_array_view((shape, data)).map_err(|e| onnx(e.to_string()))?;
        let mut session = self.sessions[stream % self.sessions.len()]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let outputs = session
            .run(ort::inputs![self.spec.input.as_str() => tensor])
            .map_err(|e| onnx(e.to_string()))?;
        let mut views = Vec::new();
        for name in &self.spec.outputs {
            let value = outputs
                .get(name)
                .ok_or_else(|| onnx(format!("no output '{name}'")))?;
            let (shape, flat) = value
                .try_extract_tensor::<f32>()
                .map_err(|e| onnx(e.to_string()))?;
            views.push((shape.iter().copied().collect::<Vec<i64>>(), flat));
        }
        read(&views)
    }

    /// The number of values of one image's detector input.
    pub fn input_len(&self) -> usize {
        let [w, h] = self.spec.size;
        3 * (w * h) as usize
    }

    /// Writes the detector input of `img` into `out` ([`Detector::input_len`] values) and
    /// returns where the image went.
    pub fn prepare(&self, img: &image::RgbImage, out: &mut [f32]) -> Letterbox {
        let [w, h] = self.spec.size;
        letterbox::letterbox(
            img,
            (w, h),
            self.spec.margin,
            self.spec.layout,
            self.spec.colour,
            &self.norm,
            out,
        )
    }

    /// Detects the faces of `n` letterboxed images (`inputs` holds their tensors back to back,
    /// `boxes[i]` where image i went) on the sessions of `stream`.
    pub fn detect(
        &self,
        stream: usize,
        inputs: &[f32],
        boxes: &[Letterbox],
    ) -> Result<Vec<Detections>, MacError> {
        let n = boxes.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        // At most DETECT_CHUNK images a run: the detector's activations are large, and smaller
        // runs are as fast per image (measured: 4.9 ms at 8 against 5.6 ms at 32 on 256 x 256)
        // and take a fraction of the memory.
        let chunk = if self.single { 1 } else { DETECT_CHUNK };
        let per = inputs.len() / n;
        let mut found = Vec::with_capacity(n);
        for data in inputs.chunks(per * chunk) {
            let m = data.len() / per;
            found.extend(self.run_raw(stream, data, m, |views| Ok(self.decode(views, m)))?);
        }
        Ok(found
            .into_iter()
            .zip(boxes)
            .map(|((faces, best), lb)| {
                let mut faces: Vec<Face> = faces.iter().map(|f| f.to_source(lb)).collect();
                faces.sort_by(|a, b| b.area().total_cmp(&a.area()));
                Detections { faces, best }
            })
            .collect())
    }

    /// Faces (input pixels, after NMS) and best scores of `n` images from the raw outputs.
    fn decode(&self, views: &[(Vec<i64>, &[f32])], n: usize) -> Vec<(Vec<Face>, f32)> {
        let [w, h] = self.spec.size;
        let size = (w as f32, h as f32);
        let a = self.priors.len();
        let points = self.spec.landmarks.len();
        let thr = self.spec.score_threshold;
        (0..n)
            .map(|i| match self.spec.decoder {
                DecoderKind::RetinaFace => {
                    let variance = self.spec.priors.as_ref().map_or([0.1, 0.2], |p| p.variance);
                    let outputs = decode::RetinaOutputs {
                        loc: &views[0].1[i * a * 4..(i + 1) * a * 4],
                        conf: &views[1].1[i * a * 2..(i + 1) * a * 2],
                        landmarks: &views[2].1[i * a * 2 * points..(i + 1) * a * 2 * points],
                    };
                    let (faces, best) =
                        decode::retinaface(&self.priors, outputs, points, variance, size, thr);
                    (nms::hard(faces, self.spec.nms_threshold), best)
                }
                DecoderKind::BlazeFace => {
                    let stride = 4 + 2 * points;
                    let (faces, best) = decode::blazeface(
                        &self.priors,
                        &views[0].1[i * a * stride..(i + 1) * a * stride],
                        &views[1].1[i * a..(i + 1) * a],
                        points,
                        size,
                        thr,
                    );
                    (nms::weighted(faces, self.spec.nms_threshold), best)
                }
            })
            .collect()
    }
}
