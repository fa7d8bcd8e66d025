//! From image files to attribute scores, shared by `macsql annotate` and `mac_annotate()`:
//! [`load`] decodes an image (refusing cut files) and prepares it for the detector, or cuts each
//! model's `crop` box when faces are not detected; [`label`] runs a batch through the detector,
//! cuts each model's aligned face chip around the chosen faces and runs the models.

use std::path::Path;

use image::RgbImage;
use rayon::prelude::*;

use crate::mac::MacError;
use crate::mac::face::align;
use crate::mac::face::chip::Pyramid;
use crate::mac::face::detect::Face;
use crate::mac::face::detect::letterbox::Letterbox;
use crate::mac::infer::classifier::{Classifier, Scored, Scores};
use crate::mac::input::preprocess::{self, Normalise};

/// Which detected faces are labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FaceChoice {
    /// The largest face of each image (one row per image).
    #[default]
    Largest,
    /// Every face (one row per face).
    All,
}

/// A decoded image ready for a batch.
#[derive(Debug)]
pub enum Loaded {
    /// Letterboxed into the batch's detector input; the image is kept for the face chips.
    Detect {
        /// The decoded image.
        image: RgbImage,
        /// Where the image went in its part of the detector input.
        letterbox: Letterbox,
    },
    /// Each model's input from its `crop` box (aligned images, no detection).
    Aligned {
        /// One tensor per model.
        tensors: Vec<Vec<f32>>,
    },
}

/// A batch of decoded images and, with a detector, their detector input (one slot per image,
/// back to back, written in place by [`load`]).
#[derive(Debug)]
pub struct Batch {
    /// Each image, or why it could not be read.
    pub images: Vec<Result<Loaded, String>>,
    /// The detector input of every image (a slot of an unreadable image stays blank).
    pub detector_input: Vec<f32>,
}

/// Decodes the images at `paths` in parallel (rayon's current pool) and prepares them for
/// `classifier`: each letterboxed straight into its slot of the batch's detector input, or each
/// model's `crop` box when faces are not detected.
pub fn load(paths: &[&Path], classifier: &Classifier) -> Batch {
    match classifier.detector() {
        Some(d) => {
            let slot = d.input_len();
            let mut detector_input = vec![0.0; slot * paths.len()];
            let images = detector_input
                .par_chunks_mut(slot)
                .zip(paths.par_iter())
                .map(|(buf, path)| {
                    let image = crate::mac::input::decode::decode_file(path)?;
                    let letterbox = d.prepare(&image, buf);
                    Ok(Loaded::Detect { image, letterbox })
                })
                .collect();
            Batch {
                images,
                detector_input,
            }
        }
        None => Batch {
            images: paths
                .par_iter()
                .map(|path| {
                    let image = crate::mac::input::decode::decode_file(path)?;
                    Ok(Loaded::Aligned {
                        tensors: preprocess::crop_tensors(&image, &classifier.bundle.models),
                    })
                })
                .collect(),
            detector_input: Vec::new(),
        },
    }
}

/// One labelled face (or aligned image).
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// The face, when detected: the number of faces in the image, this face's rank by size
    /// (0 = largest) and the face in source pixels.
    pub face: Option<(usize, usize, Face)>,
    /// The attribute values, in the bundle's order.
    pub scores: Scores,
    /// The feature vector (empty when the bundle has no features).
    pub features: Vec<f32>,
}

/// What became of one image.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Labelled: one entry per chosen face (one for an aligned image).
    Labelled(Vec<Labelled>),
    /// The detector found no face; its best score.
    NoFace {
        /// The best detection score (below the threshold).
        best: f32,
    },
    /// The image could not be read.
    Failed(String),
}

/// What a batch needs after detection, per image.
enum Plan {
    Failed(String),
    NoFace(f32),
    Faces(usize, Vec<(usize, Face)>),
    Aligned,
}

/// Runs a batch on `stream`: detection (when the images were letterboxed), the chosen faces'
/// chips, then the models. One outcome per image, in order.
pub fn label(
    classifier: &Classifier,
    stream: usize,
    batch: Batch,
    choice: FaceChoice,
) -> Result<Vec<Outcome>, MacError> {
    let bundle = &classifier.bundle;
    let Batch {
        images,
        detector_input,
    } = batch;
    // Unreadable images keep their (blank) slot: detecting on it costs less than compacting.
    let boxes: Vec<Letterbox> = images
        .iter()
        .map(|img| match img {
            Ok(Loaded::Detect { letterbox, .. }) => *letterbox,
            _ => Letterbox::default(),
        })
        .collect();
    let detected = match classifier.detector() {
        Some(d) if images.iter().any(|i| matches!(i, Ok(Loaded::Detect { .. }))) => {
            d.detect(stream, &detector_input, &boxes)?
        }
        _ => Vec::new(),
    };
    let detected_any = !detected.is_empty();
    let mut detections = detected.into_iter();
    let norms: Vec<Normalise> = bundle.models.iter().map(Normalise::of).collect();
    let mut inputs: Vec<Vec<f32>> = vec![Vec::new(); bundle.models.len()];
    let mut regions: Vec<Vec<f32>> = Vec::new();
    let mut n = 0;
    let mut plans = Vec::with_capacity(images.len());
    // The region chip is sampled only where the statistics read it.
    let region_mask = match (&bundle.regions, &bundle.regions_alignment) {
        (Some(r), Some((_, frame))) => crate::mac::face::regions::read_mask(*frame, r.size[0], r.size[1]),
        _ => Vec::new(),
    };
    for img in images {
        // One detection per slot, also for the blank slot of an unreadable image.
        let found = if detected_any { detections.next() } else { None };
        plans.push(match img {
            Err(e) => Plan::Failed(e),
            Ok(Loaded::Aligned { tensors }) => {
                for (m, t) in tensors.into_iter().enumerate() {
                    inputs[m].extend(t);
                }
                regions.push(Vec::new());
                n += 1;
                Plan::Aligned
            }
            Ok(Loaded::Detect { image, .. }) => {
                let Some(found) = found else {
                    return Err(MacError::Onnx {
                        model: "detector".into(),
                        message: "fewer detections than images".into(),
                    });
                };
                let take = match choice {
                    FaceChoice::Largest => 1,
                    FaceChoice::All => found.faces.len(),
                };
                let mut chosen = Vec::new();
                for (rank, face) in found.faces.iter().enumerate().take(take) {
                    let transforms: Option<Vec<align::Affine>> = bundle
                        .alignments
                        .iter()
                        .map(|a| a.as_ref().and_then(|a| a.transform(&face.landmarks)))
                        .collect();
                    // Landmarks that all coincide give no transform: not a usable face.
                    let Some(transforms) = transforms else { continue };
                    let mut chips: Vec<(align::Affine, u32, u32)> = bundle
                        .models
                        .iter()
                        .zip(transforms)
                        .map(|(spec, t)| (t, spec.size[0], spec.size[1]))
                        .collect();
                    // The region statistics' chip, cut from the same pyramid.
                    let region = match (&bundle.regions, &bundle.regions_alignment) {
                        (Some(r), Some((a, frame))) => a
                            .transform(&face.landmarks)
                            .map(|t| (t, r.size[0], r.size[1], *frame)),
                        _ => None,
                    };
                    if let Some((t, w, h, _)) = region {
                        chips.push((t, w, h));
                    }
                    let pyramid = Pyramid::new(&image, &chips);
                    for (m, (spec, (t, w, h))) in bundle.models.iter().zip(&chips).enumerate() {
                        let chip = pyramid.chip(t, *w, *h);
                        preprocess::append_input(&chip, spec, &norms[m], &mut inputs[m]);
                    }
                    regions.push(match region {
                        Some((t, w, h, frame)) => {
                            let chip = pyramid.chip_where(&t, w, h, Some(&region_mask));
                            let inside = crate::mac::face::regions::inside_mask(
                                &t,
                                w,
                                h,
                                image.width(),
                                image.height(),
                            );
                            crate::mac::face::regions::features(&chip, &inside, frame)
                        }
                        None => Vec::new(),
                    });
                    n += 1;
                    chosen.push((rank, face.clone()));
                }
                if chosen.is_empty() {
                    Plan::NoFace(found.best)
                } else {
                    Plan::Faces(found.faces.len(), chosen)
                }
            }
        });
    }
    let mut scores = classifier.run(stream, inputs, n, regions)?.into_iter();
    let mut next = || scores.next().unwrap_or_default();
    let labelled = |face, Scored { scores, features }| Labelled {
        face,
        scores,
        features,
    };
    Ok(plans
        .into_iter()
        .map(|p| match p {
            Plan::Failed(e) => Outcome::Failed(e),
            Plan::NoFace(best) => Outcome::NoFace { best },
            Plan::Aligned => Outcome::Labelled(vec![labelled(None, next())]),
            Plan::Faces(count, faces) => Outcome::Labelled(
                faces
                    .into_iter()
                    .map(|(rank, face)| labelled(Some((count, rank, face)), next()))
                    .collect(),
            ),
        })
        .collect())
}

/// How the `error` text of an image without a face begins.
pub const NO_FACE: &str = "no face found";

/// The `error` text of an image without a face.
pub fn no_face_message(best: f32) -> String {
    format!("{NO_FACE} (best detection score {best:.3})")
}
