//! The points of one dataset as the nearest-neighbour passes read them: exact f64 rows and
//! squared norms (the values every figure is decided on), and, per pass, an f32 copy moved by a
//! centre and packed for the tiled kernel ([`super::tile`]) with each row's error slack.

use super::tile::{Panels, f32_at_or_above, slack_factor};

/// Points of one dimension, in f64, with their squared norms.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// The dimension.
    pub dim: usize,
    /// The coordinates, row after row.
    pub data: Vec<f64>,
    /// Each row's squared norm, computed like a dot product (so |x|² + |x|² − 2 x·x is exactly
    /// 0 for identical rows).
    pub norms: Vec<f64>,
}

/// Points moved by a centre (x − m: distances do not change, but the norms that the f32
/// estimate loses precision to become as small as the spread of the points) and rounded to
/// f32, for the kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct Centred {
    /// The moved rows in f32, row after row (the queries of the kernel).
    pub rows32: Vec<f32>,
    /// The same rows packed as kernel references.
    pub panels: Panels,
    /// The squared norms of the moved rows, rounded to f32.
    pub norms32: Vec<f32>,
    /// Each row's share of the error bound of an f32 squared distance (see [`Points::centred`]).
    pub slack: Vec<f32>,
}

impl Points {
    /// Points from rows of `dim` f32 values, one after the other.
    pub fn new(dim: usize, rows: &[f32]) -> Self {
        Self::from_f64(dim, rows.iter().map(|&x| f64::from(x)).collect())
    }

    fn from_f64(dim: usize, data: Vec<f64>) -> Self {
        let norms = data.chunks_exact(dim.max(1)).map(|r| dot(r, r)).collect();
        Self { dim, data, norms }
    }

    /// The mean of the rows (zeros without rows).
    pub fn mean(&self) -> Vec<f64> {
        let mut m = vec![0.0; self.dim];
        for r in self.data.chunks_exact(self.dim.max(1)) {
            m.iter_mut().zip(r).for_each(|(a, x)| *a += x);
        }
        let n = self.len().max(1) as f64;
        m.iter_mut().for_each(|a| *a /= n);
        m
    }

    /// The rows moved by `centre`, in f32, for the kernel. For rows x and y moved to x' and y',
    /// the f32 estimate `norms32[x] + norms32[y] − 2 (x'·y' in f32)` is within
    /// `slack[x] + slack[y]` of [`Points::sq_dist`]: [`slack_factor`] (|x'|² + |y'|²) bounds
    /// the f32 error against the true |x − y|², and 4 (dim + 8) 2⁻⁵³ (|x|² + |y|²) the f64
    /// value's own error against it.
    pub fn centred(&self, centre: &[f64]) -> Centred {
        let dim = self.dim;
        let mut moved = vec![0.0f64; dim];
        let mut rows32 = Vec::with_capacity(self.data.len());
        let mut norms32 = Vec::with_capacity(self.len());
        let mut slack = Vec::with_capacity(self.len());
        let c = f64::from(slack_factor(dim));
        let c64 = 4.0 * (dim as f64 + 8.0) * f64::EPSILON / 2.0;
        for (r, &n) in self.data.chunks_exact(dim.max(1)).zip(&self.norms) {
            moved
                .iter_mut()
                .zip(r)
                .zip(centre)
                .for_each(|((m, x), o)| *m = x - o);
            rows32.extend(moved.iter().map(|&x| x as f32));
            let moved_norm = dot(&moved, &moved);
            norms32.push(moved_norm as f32);
            // Rounded up, so the bound only grows.
            slack.push(f32_at_or_above(c * moved_norm + c64 * n));
        }
        Centred {
            panels: Panels::pack(dim, &rows32),
            rows32,
            norms32,
            slack,
        }
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.norms.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.norms.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The exact squared distance between row `i` and row `j` of `other`, in f64:
    /// `(|x|² + |y|² − 2 x·y).max(0)`, the value every comparison is decided on.
    pub fn sq_dist(&self, i: usize, other: &Points, j: usize) -> f64 {
        (self.norms[i] + other.norms[j] - 2.0 * dot(self.row(i), other.row(j))).max(0.0)
    }

    /// The points scaled to unit length (a zero row stays zero), for cosine similarity.
    pub fn normalised(&self) -> Self {
        let mut data = self.data.clone();
        for (r, n) in data.chunks_exact_mut(self.dim.max(1)).zip(&self.norms) {
            if *n > 0.0 {
                let s = 1.0 / n.sqrt();
                r.iter_mut().for_each(|x| *x *= s);
            }
        }
        Self::from_f64(self.dim, data)
    }

    /// The points at `rows`, in that order.
    pub fn subset(&self, rows: &[usize]) -> Self {
        let mut data = Vec::with_capacity(rows.len() * self.dim);
        for &i in rows {
            data.extend_from_slice(self.row(i));
        }
        Self::from_f64(self.dim, data)
    }
}

/// x·y with four lanes of partial sums (the same order for every pair, vectorised).
#[inline(always)]
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    let (xc, xt) = x.as_chunks::<4>();
    let (yc, yt) = y.as_chunks::<4>();
    let mut acc = [0.0f64; 4];
    for (a, b) in xc.iter().zip(yc) {
        for l in 0..4 {
            acc[l] += a[l] * b[l];
        }
    }
    let tail: f64 = xt.iter().zip(yt).map(|(a, b)| a * b).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_rows_are_at_distance_zero_and_subsets_keep_rows() {
        let p = Points::new(3, &[0.1, 0.2, 0.3, 1.0, -1.0, 2.0, 0.1, 0.2, 0.3]);
        assert_eq!(p.sq_dist(0, &p, 2), 0.0);
        let brute: f64 = p.row(0).iter().zip(p.row(1)).map(|(a, b)| (a - b).powi(2)).sum();
        assert!((p.sq_dist(0, &p, 1) - brute).abs() < 1e-12);
        let s = p.subset(&[1, 0]);
        assert_eq!((s.row(0), s.norms[1]), (p.row(1), p.norms[0]));
        assert_eq!(p.mean()[2], (p.row(0)[2] + p.row(1)[2] + p.row(2)[2]) / 3.0);
        let u = p.normalised();
        assert!((u.norms[1] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn centring_keeps_distances_and_shrinks_the_slack() {
        // Points far from the origin and close together: |x|² is about 1.3e6 times |x − y|².
        let rows: Vec<f32> = (0..40).map(|i| 100.0 + (i as f32 * 0.7).sin() * 0.1).collect();
        let p = Points::new(4, &rows);
        let far = p.centred(&[0.0; 4]);
        let near = p.centred(&p.mean());
        assert!(
            near.slack[0] * 1e4 < far.slack[0],
            "{} vs {}",
            near.slack[0],
            far.slack[0]
        );
        for i in 0..p.len() {
            for j in 0..p.len() {
                let dot: f32 = (0..4)
                    .map(|k| near.rows32[i * 4 + k] * near.rows32[j * 4 + k])
                    .sum();
                let estimate = near.norms32[i] + near.norms32[j] - 2.0 * dot;
                let bound = f64::from(near.slack[i] + near.slack[j]);
                assert!(
                    (f64::from(estimate) - p.sq_dist(i, &p, j)).abs() <= bound,
                    "{i} {j}"
                );
            }
        }
    }
}
