//! Turning a detector's raw outputs for one image into faces (in detector-input pixels): box and
//! landmark decoding against the priors, and the score threshold. NMS comes after
//! ([`super::nms`]).

use super::Face;
use super::priors::Prior;

/// The RetinaFace outputs of one image.
#[derive(Debug, Clone, Copy)]
pub struct RetinaOutputs<'a> {
    /// `loc` [A, 4]: centre and size offsets.
    pub loc: &'a [f32],
    /// `conf` [A, 2], softmaxed: background, face.
    pub conf: &'a [f32],
    /// `landmarks` [A, 2k]: point offsets.
    pub landmarks: &'a [f32],
}

/// RetinaFace outputs of one image decoded as biubug6/Pytorch_Retinaface `decode` /
/// `decode_landm` with `variance` [centre, size]. Returns the faces scoring above
/// `threshold`, in prior order, and the best score of all priors.
pub fn retinaface(
    priors: &[Prior],
    RetinaOutputs { loc, conf, landmarks }: RetinaOutputs,
    points: usize,
    variance: [f32; 2],
    (width, height): (f32, f32),
    threshold: f32,
) -> (Vec<Face>, f32) {
    let mut best = 0.0f32;
    let mut faces = Vec::new();
    for (i, p) in priors.iter().enumerate() {
        let score = conf[2 * i + 1];
        best = best.max(score);
        if score.is_nan() || score <= threshold {
            continue;
        }
        let l = &loc[4 * i..4 * i + 4];
        let cx = p.cx + l[0] * variance[0] * p.w;
        let cy = p.cy + l[1] * variance[0] * p.h;
        let w = p.w * (l[2] * variance[1]).exp();
        let h = p.h * (l[3] * variance[1]).exp();
        let bbox = [
            (cx - w / 2.0) * width,
            (cy - h / 2.0) * height,
            (cx + w / 2.0) * width,
            (cy + h / 2.0) * height,
        ];
        let lm = &landmarks[2 * points * i..2 * points * (i + 1)];
        let landmarks = lm
            .chunks_exact(2)
            .map(|d| {
                [
                    (p.cx + d[0] * variance[0] * p.w) * width,
                    (p.cy + d[1] * variance[0] * p.h) * height,
                ]
            })
            .collect();
        faces.push(Face {
            score,
            bbox,
            landmarks,
        });
    }
    (faces, best)
}

/// The logistic function with MediaPipe's clipping of raw scores to [-80, 80] (so that f32
/// does not overflow).
fn sigmoid(raw: f32) -> f32 {
    1.0 / (1.0 + (-raw.clamp(-80.0, 80.0)).exp())
}

/// BlazeFace outputs of one image: `regressors` [A, 4 + 2k] (centre offset, size and k
/// keypoints in input pixels, offsets relative to the anchor centre) and raw scores `[A]`,
/// decoded as MediaPipe's `TfLiteTensorsToDetectionsCalculator` with anchor sizes of 1. Boxes
/// of zero or negative size are dropped. Returns the faces scoring above `threshold` and the
/// best score.
pub fn blazeface(
    anchors: &[Prior],
    regressors: &[f32],
    scores: &[f32],
    points: usize,
    (width, height): (f32, f32),
    threshold: f32,
) -> (Vec<Face>, f32) {
    let stride = 4 + 2 * points;
    let mut best = 0.0f32;
    let mut faces = Vec::new();
    for (i, a) in anchors.iter().enumerate() {
        let score = sigmoid(scores[i]);
        best = best.max(score);
        if score.is_nan() || score <= threshold {
            continue;
        }
        let r = &regressors[stride * i..stride * (i + 1)];
        let cx = r[0] + a.cx * width;
        let cy = r[1] + a.cy * height;
        let (w, h) = (r[2], r[3]);
        if !(w > 0.0 && h > 0.0) {
            continue;
        }
        let bbox = [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0];
        let landmarks = r[4..]
            .chunks_exact(2)
            .map(|d| [d[0] + a.cx * width, d[1] + a.cy * height])
            .collect();
        faces.push(Face {
            score,
            bbox,
            landmarks,
        });
    }
    (faces, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retinaface_decoding_matches_the_reference_formula() {
        // One prior at (0.5, 0.25), size 0.1 x 0.2, in a 200 x 100 input.
        let priors = [Prior {
            cx: 0.5,
            cy: 0.25,
            w: 0.1,
            h: 0.2,
        }];
        let loc = [1.0, -2.0, 0.0, 5.0_f32.ln() / 0.2];
        let conf = [0.1, 0.9];
        let lm = [1.0, 1.0, -1.0, 0.0];
        let out = |conf| RetinaOutputs {
            loc: &loc,
            conf,
            landmarks: &lm,
        };
        let (faces, best) = retinaface(&priors, out(&conf), 2, [0.1, 0.2], (200.0, 100.0), 0.5);
        assert_eq!(best, 0.9);
        let f = &faces[0];
        // cx = 0.5 + 1 * 0.1 * 0.1 = 0.51; cy = 0.25 - 2 * 0.1 * 0.2 = 0.21; w = 0.1; h = 0.2 * 5 = 1.
        let want = [
            (0.51 - 0.05) * 200.0,
            (0.21 - 0.5) * 100.0,
            (0.51 + 0.05) * 200.0,
            (0.21 + 0.5) * 100.0,
        ];
        for (g, w) in f.bbox.iter().zip(want) {
            assert!((g - w).abs() < 1e-3, "{:?}", f.bbox);
        }
        assert!((f.landmarks[0][0] - 0.51 * 200.0).abs() < 1e-3);
        assert!((f.landmarks[0][1] - 0.27 * 100.0).abs() < 1e-3);
        assert!((f.landmarks[1][0] - 0.49 * 200.0).abs() < 1e-3);
        // Below the threshold: no face, but the best score is still reported.
        let (none, best) = retinaface(&priors, out(&[0.7, 0.3]), 2, [0.1, 0.2], (200.0, 100.0), 0.5);
        assert!(none.is_empty());
        assert_eq!(best, 0.3);
    }

    #[test]
    fn blazeface_decoding_adds_anchor_centres_in_pixels() {
        let anchors = [
            Prior {
                cx: 0.25,
                cy: 0.5,
                w: 1.0,
                h: 1.0,
            },
            Prior {
                cx: 0.5,
                cy: 0.5,
                w: 1.0,
                h: 1.0,
            },
        ];
        // 1 keypoint: 6 values per anchor.
        let reg = [2.0, -4.0, 20.0, 10.0, 1.0, 1.0, 0.0, 0.0, -1.0, 5.0, 0.0, 0.0];
        let scores = [3.0, 100.0];
        let (faces, best) = blazeface(&anchors, &reg, &scores, 1, (128.0, 128.0), 0.5);
        // The second anchor has a negative width: dropped, but its score counts as the best.
        assert_eq!(faces.len(), 1);
        assert_eq!(best, 1.0);
        let f = &faces[0];
        assert!((f.score - 1.0 / (1.0 + (-3.0f32).exp())).abs() < 1e-6);
        assert_eq!(f.bbox, [34.0 - 10.0, 60.0 - 5.0, 34.0 + 10.0, 60.0 + 5.0]);
        assert_eq!(f.landmarks, vec![[33.0, 65.0]]);
    }
}
