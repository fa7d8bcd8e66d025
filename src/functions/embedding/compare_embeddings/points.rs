//! The points of one dataset as the nearest-neighbour passes read them: exact f64 rows and
//! squared norms (the values every figure is decided on), and an f32 copy packed for the
//! tiled kernel ([`super::tile`]) with each row's error slack.

use super::tile::{Panels, slack_factor};

/// Points of one dimension, in f64 with their squared norms, and in f32 for the fast kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// The dimension.
    pub dim: usize,
    /// The coordinates, row after row.
    pub data: Vec<f64>,
    /// Each row's squared norm, computed like a dot product (so |x|² + |x|² − 2 x·x is exactly
    /// 0 for identical rows).
    pub norms: Vec<f64>,
    /// The rows rounded to f32, row after row (the queries of the kernel).
    pub rows32: Vec<f32>,
    /// The same rows packed as kernel references.
    pub panels: Panels,
    /// The squared norms rounded to f32.
    pub norms32: Vec<f32>,
    /// Each row's share of the error bound of an f32 squared distance:
    /// [`slack_factor`] times its squared norm (see [`Points::sq_dist`]).
    pub slack: Vec<f32>,
}

impl Points {
    /// Points from rows of `dim` f32 values, one after the other.
    pub fn new(dim: usize, rows: &[f32]) -> Self {
        Self::from_f64(dim, rows.iter().map(|&x| f64::from(x)).collect())
    }

    /// Points from rows of `dim` f64 values (norms, f32 copy and panels computed here).
    fn from_f64(dim: usize, data: Vec<f64>) -> Self {
        let norms: Vec<f64> = data.chunks_exact(dim.max(1)).map(|r| dot(r, r)).collect();
        let rows32: Vec<f32> = data.iter().map(|&x| x as f32).collect();
        let panels = Panels::pack(dim, &rows32);
        let c = f64::from(slack_factor(dim));
        Self {
            dim,
            norms32: norms.iter().map(|&n| n as f32).collect(),
            // Rounded up, so the bound only grows.
            slack: norms
                .iter()
                .map(|&n| super::tile::f32_at_or_above(c * n))
                .collect(),
            data,
            norms,
            rows32,
            panels,
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
    /// `(|x|² + |y|² − 2 x·y).max(0)`, the value every comparison is decided on. The f32 estimate
    /// `norms32[i] + other.norms32[j] − 2 (x·y in f32)` is within `slack[i] + other.slack[j]`
    /// of it.
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
        assert_eq!(s.rows32, vec![1.0, -1.0, 2.0, 0.1, 0.2, 0.3]);
        let u = p.normalised();
        assert!((u.norms[1] - 1.0).abs() < 1e-15);
        assert!(u.slack.iter().all(|&s| s > 0.0 && s < 1e-4));
    }
}
