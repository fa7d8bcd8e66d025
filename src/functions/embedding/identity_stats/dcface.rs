//! DCFace's dataset measures (Kim et al., "DCFace: Synthetic Face Generation with Dual Condition
//! Diffusion Model", CVPR 2023) over class means of L2-normalised embeddings:
//!
//! - uniqueness: class means, in identity order, are kept greedily when their cosine similarity
//!   to every mean kept so far is below the threshold; uniqueness = kept / classes (1 = no two
//!   identities look like one person to the face matcher);
//! - consistency: the share of a class's faces whose similarity to the class mean is above the
//!   threshold, averaged over the classes (1 = every face looks like its own identity).

use rayon::prelude::*;

use crate::functions::embedding::faces::FaceMatrix;

/// Above this many kept means, the check of a candidate against them runs in parallel.
const PARALLEL_FROM: usize = 2048;

fn dot64(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The mean of the unit-length faces of each identity (`starts[k]..starts[k + 1]`), scaled to
/// unit length (left as it is if it is zero).
pub fn class_means(faces: &FaceMatrix, starts: &[usize]) -> Vec<Vec<f64>> {
    (0..starts.len() - 1)
        .map(|k| {
            let mut mean = vec![0.0f64; faces.dim()];
            for i in starts[k]..starts[k + 1] {
                for (m, x) in mean.iter_mut().zip(faces.unit_row(i)) {
                    *m += x;
                }
            }
            let norm = dot64(&mean, &mean).sqrt();
            if norm > 0.0 {
                mean.iter_mut().for_each(|m| *m /= norm);
            }
            mean
        })
        .collect()
}

/// The share of class means kept by the greedy filter (see the module docs); `None` without
/// classes.
pub fn uniqueness(means: &[Vec<f64>], threshold: f64) -> Option<f64> {
    if means.is_empty() {
        return None;
    }
    let mut kept: Vec<&[f64]> = Vec::new();
    for m in means {
        let close = |k: &&[f64]| dot64(m, k) >= threshold;
        let duplicate = if kept.len() >= PARALLEL_FROM {
            kept.par_iter().any(close)
        } else {
            kept.iter().any(close)
        };
        if !duplicate {
            kept.push(m);
        }
    }
    Some(kept.len() as f64 / means.len() as f64)
}

/// The mean over identities with at least `min_images` faces of the share of their faces whose
/// cosine similarity to the class mean is above `threshold`; `None` without such identities.
pub fn consistency(
    faces: &FaceMatrix,
    starts: &[usize],
    means: &[Vec<f64>],
    threshold: f64,
    min_images: usize,
) -> Option<f64> {
    let shares: Vec<f64> = (0..starts.len() - 1)
        .filter(|&k| starts[k + 1] - starts[k] >= min_images.max(1))
        .map(|k| {
            let b = starts[k]..starts[k + 1];
            let above = b
                .clone()
                .filter(|&i| dot64(&faces.unit_row(i), &means[k]) > threshold)
                .count();
            above as f64 / b.len() as f64
        })
        .collect();
    (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[[f32; 2]]) -> FaceMatrix {
        let mut m = FaceMatrix::new(2);
        for r in rows {
            assert!(m.push(r));
        }
        m
    }

    #[test]
    fn class_means_are_means_of_unit_vectors_renormalised() {
        // (2, 0) and (0, 5) count alike once normalised: the mean points at 45 degrees.
        let m = matrix(&[[2.0, 0.0], [0.0, 5.0]]);
        let means = class_means(&m, &[0, 2]);
        let h = 0.5f64.sqrt();
        assert!((means[0][0] - h).abs() < 1e-12 && (means[0][1] - h).abs() < 1e-12);
    }

    #[test]
    fn uniqueness_keeps_means_greedily_in_order() {
        let deg = |d: f64| vec![d.to_radians().cos(), d.to_radians().sin()];
        // At threshold cos(20°), means under 20° apart are one person: 10 is dropped (10° from
        // 0), 30 kept (30° from 0), 60 kept (30° from 30), 65 dropped (5° from 60).
        let means = vec![deg(0.0), deg(10.0), deg(30.0), deg(60.0), deg(65.0)];
        let t = 20f64.to_radians().cos();
        assert_eq!(uniqueness(&means, t), Some(3.0 / 5.0));
        // Order matters: the greedy filter keeps the first of a close group.
        let means = vec![deg(0.0), deg(15.0), deg(30.0)];
        assert_eq!(uniqueness(&means, t), Some(2.0 / 3.0));
        let means = vec![deg(15.0), deg(0.0), deg(30.0)];
        assert_eq!(uniqueness(&means, t), Some(1.0 / 3.0));
        assert_eq!(uniqueness(&[], t), None);
    }

    #[test]
    fn consistency_averages_shares_over_classes() {
        // Class 0: three faces near 0°, one at 90° (its mean is pulled to about 18°);
        // class 1: one face (left out at min_images 2); class 2: two faces 10° apart.
        let m = matrix(&[
            [1.0, 0.0],
            [1.0, 0.05],
            [1.0, -0.05],
            [0.0, 1.0],
            [0.0, 1.0],
            [1.0, 0.0],
            [0.985, 0.174],
        ]);
        let starts = [0, 4, 5, 7];
        let means = class_means(&m, &starts);
        let t = 0.9;
        // Class 0: the three near 0° are above 0.9, the 90° face is not: 3/4. Class 2: both: 1.
        assert_eq!(consistency(&m, &starts, &means, t, 2), Some((0.75 + 1.0) / 2.0));
        assert_eq!(
            consistency(&m, &starts, &means, t, 1),
            Some((0.75 + 1.0 + 1.0) / 3.0)
        );
        assert_eq!(consistency(&m, &starts, &means, t, 5), None);
    }
}
