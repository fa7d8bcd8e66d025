//! Count, mean and co-moment of a set of vectors in f64, one pass over each batch and mergeable
//! (Chan, Golub and LeVeque's parallel update), and the register-tiled kernel that sums a
//! batch's centred outer products.

/// Rows of a batch centred and summed together by the co-moment kernel: each tile of the
/// co-moment is summed over the whole block in registers (64 rows of 128-d f64: 64 KiB, in L2).
const BLOCK: usize = 64;
/// Columns per tile of the co-moment kernel (two AVX2 registers of f64, one AVX-512).
const NR: usize = 8;

/// Count, mean and co-moment (sum of outer products of the centred vectors, upper triangle
/// packed row by row: (0,0), (0,1) .. (0,d-1), (1,1) ..) of a set of vectors of one dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    /// Vectors counted.
    pub n: u64,
    /// Their mean.
    pub mean: Vec<f64>,
    /// Σ (x - mean)(x - mean)ᵀ, upper triangle packed row by row (d (d + 1) / 2 values).
    pub comoment: Vec<f64>,
}

/// The number of values of the packed upper triangle of a `dim` x `dim` matrix.
pub fn packed_len(dim: usize) -> usize {
    dim * (dim + 1) / 2
}

impl Moments {
    /// No vectors yet, of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            n: 0,
            mean: vec![0.0; dim],
            comoment: vec![0.0; packed_len(dim)],
        }
    }

    /// The dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Adds `other` (same dimension): n = na + nb, mean += δ nb / n,
    /// M = Ma + Mb + δ δᵀ na nb / n with δ = mean_b - mean_a.
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            self.clone_from(other);
            return;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let delta: Vec<f64> = other.mean.iter().zip(&self.mean).map(|(b, a)| b - a).collect();
        let w = na * nb / n;
        let d = self.dim();
        let mut k = 0;
        for i in 0..d {
            let di = delta[i] * w;
            for dj in &delta[i..] {
                self.comoment[k] += other.comoment[k] + di * dj;
                k += 1;
            }
        }
        for (m, dl) in self.mean.iter_mut().zip(&delta) {
            *m += dl * nb / n;
        }
        self.n += other.n;
    }

    /// Adds a batch of rows (each of length `dim`): the batch's mean first, then its centred
    /// co-moment in blocks of rows, then a merge (so large offsets do not cancel).
    pub fn add_rows(&mut self, rows: &[&[f32]]) {
        if rows.is_empty() {
            return;
        }
        let d = self.dim();
        let mut batch = Moments::new(d);
        batch.n = rows.len() as u64;
        for r in rows {
            for (m, &x) in batch.mean.iter_mut().zip(r.iter()) {
                *m += f64::from(x);
            }
        }
        for m in &mut batch.mean {
            *m /= rows.len() as f64;
        }
        // Centred rows, BLOCK at a time, each padded with zeros to a multiple of the tile width;
        // their co-moment accumulates in a full (padded) matrix, upper tiles only.
        let dp = d.next_multiple_of(NR);
        let mut block = vec![0.0f64; BLOCK * dp];
        let mut full = vec![0.0f64; dp * dp];
        for chunk in rows.chunks(BLOCK) {
            for (b, r) in block.chunks_exact_mut(dp).zip(chunk) {
                for ((c, &x), m) in b.iter_mut().zip(r.iter()).zip(&batch.mean) {
                    *c = f64::from(x) - m;
                }
            }
            add_block(&mut full, &block[..chunk.len() * dp], dp);
        }
        let mut k = 0;
        for i in 0..d {
            for j in i..d {
                batch.comoment[k] = full[i * dp + j];
                k += 1;
            }
        }
        self.merge(&batch);
    }

    /// The unbiased covariance (divided by n - 1) as a full `dim` x `dim` matrix, row-major;
    /// `None` below 2 vectors.
    pub fn covariance(&self) -> Option<Vec<f64>> {
        if self.n < 2 {
            return None;
        }
        let d = self.dim();
        let scale = 1.0 / (self.n - 1) as f64;
        let mut out = vec![0.0; d * d];
        let mut k = 0;
        for i in 0..d {
            for j in i..d {
                let c = self.comoment[k] * scale;
                out[i * d + j] = c;
                out[j * d + i] = c;
                k += 1;
            }
        }
        Some(out)
    }
}

/// Adds Σ_r c_r c_rᵀ of the centred rows in `block` (`dp` values each, `dp` a multiple of
/// [`NR`]) to the upper tiles of the `dp` x `dp` matrix `m`, with AVX-512 or AVX2 and FMA when
/// the processor has them (the same code, compiled for wider registers).
fn add_block(m: &mut [f64], block: &[f64], dp: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor has AVX-512F (checked just above).
            unsafe { add_block_avx512(m, block, dp) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor has AVX2 and FMA (checked just above).
            unsafe { add_block_avx2(m, block, dp) };
            return;
        }
    }
    add_block_portable::<4, false>(m, block, dp);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn add_block_avx512(m: &mut [f64], block: &[f64], dp: usize) {
    add_block_portable::<8, true>(m, block, dp);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn add_block_avx2(m: &mut [f64], block: &[f64], dp: usize) {
    add_block_portable::<4, true>(m, block, dp);
}

/// The kernel: for each tile of `MR` rows by [`NR`] columns of the matrix on or above the
/// diagonal, Σ_r c_r[i] c_r[j] over every row of the block in registers, then added once.
#[inline(always)]
fn add_block_portable<const MR: usize, const FMA: bool>(m: &mut [f64], block: &[f64], dp: usize) {
    for i0 in (0..dp).step_by(MR) {
        for j0 in ((i0 / NR) * NR..dp).step_by(NR) {
            let mut acc = [[0.0f64; NR]; MR];
            for c in block.chunks_exact(dp) {
                let a: &[f64; MR] = c[i0..i0 + MR].try_into().expect("MR values");
                let b: &[f64; NR] = c[j0..j0 + NR].try_into().expect("NR values");
                for (s, &x) in acc.iter_mut().zip(a) {
                    for (t, &y) in s.iter_mut().zip(b) {
                        *t = if FMA { x.mul_add(y, *t) } else { *t + x * y };
                    }
                }
            }
            for (r, s) in acc.iter().enumerate() {
                let out = &mut m[(i0 + r) * dp + j0..(i0 + r) * dp + j0 + NR];
                out.iter_mut().zip(s).for_each(|(o, v)| *o += v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(rows: &[Vec<f32>]) -> (Vec<f64>, Vec<f64>) {
        let (n, d) = (rows.len() as f64, rows[0].len());
        let mean: Vec<f64> = (0..d)
            .map(|i| rows.iter().map(|r| f64::from(r[i])).sum::<f64>() / n)
            .collect();
        let mut cov = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                cov[i * d + j] = rows
                    .iter()
                    .map(|r| (f64::from(r[i]) - mean[i]) * (f64::from(r[j]) - mean[j]))
                    .sum::<f64>()
                    / (n - 1.0);
            }
        }
        (mean, cov)
    }

    fn data(n: usize, d: usize) -> Vec<Vec<f32>> {
        // A deterministic, correlated, offset set: x_i = 1000 + sin(7 r + i) + 0.5 x_0.
        (0..n)
            .map(|r| {
                let base = ((7 * r) as f32).sin();
                (0..d)
                    .map(|i| 1000.0 + ((7 * r + i) as f32).sin() + 0.5 * base)
                    .collect()
            })
            .collect()
    }

    fn close(a: &[f64], b: &[f64], tol: f64) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn one_pass_matches_the_two_pass_formula_with_short_blocks() {
        // One short block; and blocks of 64 rows and a short one, with a dimension that is not
        // a multiple of the tile width.
        for (n, d) in [(21, 5), (150, 13)] {
            let rows = data(n, d);
            let slices: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
            let mut m = Moments::new(d);
            m.add_rows(&slices);
            let (mean, cov) = naive(&rows);
            assert_eq!(m.n, n as u64);
            close(&m.mean, &mean, 1e-12);
            close(&m.covariance().unwrap(), &cov, 1e-9);
        }
    }

    #[test]
    fn merging_batches_and_partitions_equals_one_batch() {
        let rows = data(50, 9);
        let slices: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let mut one = Moments::new(9);
        one.add_rows(&slices);
        let (mut a, mut b) = (Moments::new(9), Moments::new(9));
        a.add_rows(&slices[..3]);
        a.add_rows(&slices[3..17]);
        b.add_rows(&slices[17..]);
        a.merge(&b);
        a.merge(&Moments::new(9));
        assert_eq!(a.n, one.n);
        close(&a.mean, &one.mean, 1e-12);
        close(&a.comoment, &one.comoment, 1e-9);
        let mut empty = Moments::new(9);
        empty.merge(&one);
        assert_eq!(empty, one);
    }

    #[test]
    fn fewer_than_two_vectors_have_no_covariance() {
        let mut m = Moments::new(2);
        assert_eq!(m.covariance(), None);
        m.add_rows(&[&[1.0, 2.0]]);
        assert_eq!((m.n, m.mean.clone(), m.covariance()), (1, vec![1.0, 2.0], None));
        m.add_rows(&[&[3.0, 0.0]]);
        // Var x = 2, var y = 2, cov = -2.
        assert_eq!(m.covariance().unwrap(), vec![2.0, -2.0, -2.0, 2.0]);
    }
}
