//! Count, mean and co-moment of a set of vectors in f64, one pass over each batch and mergeable
//! (Chan, Golub and LeVeque's parallel update), and the blocked kernel that sums a batch's
//! centred outer products.

/// Rows of a batch centred and summed together by the co-moment kernel (more rows per block:
/// fewer passes over the co-moment triangle, which is what bounds the kernel's speed).
const BLOCK: usize = 8;

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
        let mut block = vec![0.0f64; BLOCK * d];
        for chunk in rows.chunks(BLOCK) {
            for (b, r) in block.chunks_exact_mut(d).zip(chunk) {
                for ((c, &x), m) in b.iter_mut().zip(r.iter()).zip(&batch.mean) {
                    *c = f64::from(x) - m;
                }
            }
            // A short last chunk: zero rows add nothing.
            block[chunk.len() * d..].fill(0.0);
            add_block(&mut batch.comoment, &block, d);
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

/// Adds Σ_r c_r c_rᵀ (upper triangle, packed) of the `BLOCK` centred rows in `block` to `m`,
/// with AVX2 when the processor has it (the same code, compiled for wider registers).
fn add_block(m: &mut [f64], block: &[f64], d: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above).
        unsafe { add_block_avx2(m, block, d) };
        return;
    }
    add_block_portable(m, block, d);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn add_block_avx2(m: &mut [f64], block: &[f64], d: usize) {
    add_block_portable(m, block, d);
}

/// For each i, the row i of the triangle gets Σ_r c_r[i] c_r[i..]: one pass over the triangle
/// per block of rows, the inner loop over j contiguous in every slice (vectorised).
#[inline(always)]
fn add_block_portable(m: &mut [f64], block: &[f64], d: usize) {
    let rows: [&[f64]; BLOCK] = std::array::from_fn(|r| &block[r * d..(r + 1) * d]);
    let mut start = 0;
    for i in 0..d {
        let len = d - i;
        let out = &mut m[start..start + len];
        let a: [f64; BLOCK] = std::array::from_fn(|r| rows[r][i]);
        let c: [&[f64]; BLOCK] = std::array::from_fn(|r| &rows[r][i..]);
        for j in 0..len {
            let mut s = a[0] * c[0][j];
            for r in 1..BLOCK {
                s += a[r] * c[r][j];
            }
            out[j] += s;
        }
        start += len;
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
        let rows = data(21, 5);
        let slices: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let mut m = Moments::new(5);
        m.add_rows(&slices);
        let (mean, cov) = naive(&rows);
        assert_eq!(m.n, 21);
        close(&m.mean, &mean, 1e-12);
        close(&m.covariance().unwrap(), &cov, 1e-9);
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
