//! Non-maximum suppression of overlapping face detections: plain (keep the best of each
//! cluster, as OpenCV's `NMSBoxes`, used by RetinaFace) and weighted (average each cluster by
//! score, as MediaPipe does for BlazeFace).

use super::Face;

/// Intersection over union of two boxes `[left, top, right, bottom]` (area = width x height).
pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// Faces in descending score order (ties keep their input order).
fn by_score(mut faces: Vec<Face>) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    faces
}

/// Keeps each face whose overlap with every better face already kept is at most `threshold`;
/// the result is in descending score order.
pub fn hard(faces: Vec<Face>, threshold: f32) -> Vec<Face> {
    let mut kept: Vec<Face> = Vec::new();
    for f in by_score(faces) {
        if kept.iter().all(|k| iou(&k.bbox, &f.bbox) <= threshold) {
            kept.push(f);
        }
    }
    kept
}

/// Takes the best remaining face and every remaining face overlapping it by more than
/// `threshold` (itself included), replaces them by their score-weighted mean box and landmarks
/// (keeping the best score), and repeats on the rest.
pub fn weighted(faces: Vec<Face>, threshold: f32) -> Vec<Face> {
    let mut remaining = by_score(faces);
    let mut out = Vec::new();
    while let Some(top) = remaining.first().cloned() {
        let (cluster, rest): (Vec<Face>, Vec<Face>) = remaining
            .into_iter()
            .partition(|f| iou(&f.bbox, &top.bbox) > threshold);
        let total: f32 = cluster.iter().map(|f| f.score).sum();
        let mut merged = Face {
            score: top.score,
            bbox: [0.0; 4],
            landmarks: vec![[0.0; 2]; top.landmarks.len()],
        };
        for f in &cluster {
            let w = f.score / total;
            for (m, v) in merged.bbox.iter_mut().zip(f.bbox) {
                *m += v * w;
            }
            for (m, p) in merged.landmarks.iter_mut().zip(&f.landmarks) {
                m[0] += p[0] * w;
                m[1] += p[1] * w;
            }
        }
        // `top` always overlaps itself, so the cluster is never empty.
        out.push(if cluster.is_empty() { top } else { merged });
        remaining = rest;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(score: f32, bbox: [f32; 4]) -> Face {
        Face {
            score,
            bbox,
            landmarks: vec![[bbox[0], bbox[1]]],
        }
    }

    #[test]
    fn iou_of_known_boxes() {
        assert_eq!(iou(&[0.0, 0.0, 2.0, 2.0], &[1.0, 1.0, 3.0, 3.0]), 1.0 / 7.0);
        assert_eq!(iou(&[0.0, 0.0, 1.0, 1.0], &[2.0, 2.0, 3.0, 3.0]), 0.0);
        assert_eq!(iou(&[0.0, 0.0, 2.0, 2.0], &[0.0, 0.0, 2.0, 2.0]), 1.0);
    }

    #[test]
    fn hard_nms_keeps_the_best_of_each_cluster() {
        let faces = vec![
            face(0.8, [0.0, 0.0, 10.0, 10.0]),
            face(0.9, [1.0, 1.0, 11.0, 11.0]),
            face(0.7, [50.0, 50.0, 60.0, 60.0]),
            // IoU with the 0.9 box: 81 / 119 = 0.68 > 0.4: suppressed.
            face(0.85, [2.0, 2.0, 12.0, 12.0]),
        ];
        let kept = hard(faces, 0.4);
        let scores: Vec<f32> = kept.iter().map(|f| f.score).collect();
        assert_eq!(scores, vec![0.9, 0.7]);
    }

    #[test]
    fn hard_nms_threshold_is_inclusive() {
        // IoU exactly 1/7 is kept at threshold 1/7 (suppressed only above it).
        let faces = vec![face(0.9, [0.0, 0.0, 2.0, 2.0]), face(0.8, [1.0, 1.0, 3.0, 3.0])];
        assert_eq!(hard(faces.clone(), 1.0 / 7.0).len(), 2);
        assert_eq!(hard(faces, 0.1).len(), 1);
    }

    #[test]
    fn weighted_nms_averages_a_cluster_by_score() {
        let faces = vec![
            face(0.6, [2.0, 0.0, 12.0, 10.0]),
            face(0.9, [0.0, 0.0, 10.0, 10.0]),
            face(0.5, [100.0, 100.0, 110.0, 110.0]),
        ];
        let out = weighted(faces, 0.3);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        // x0 = (0 * 0.9 + 2 * 0.6) / 1.5 = 0.8
        assert!((out[0].bbox[0] - 0.8).abs() < 1e-6);
        assert!((out[0].bbox[2] - 10.8).abs() < 1e-5);
        assert!((out[0].landmarks[0][0] - 0.8).abs() < 1e-6);
        assert_eq!(out[1].bbox, [100.0, 100.0, 110.0, 110.0]);
    }
}
