//! Nearest-neighbour passes over two sets of points, blocked and parallel: squared Euclidean
//! distances from dot products and norms (|x|² + |y|² − 2 x·y, in f64), a block of reference
//! rows at a time, so memory stays O(block) whatever the sizes.

use rayon::prelude::*;

/// Query rows handed to one parallel task.
const QUERY_CHUNK: usize = 32;
/// Reference rows whose dot products with one query are computed together (256 x 128-d f64 =
/// 256 KiB: a block stays in the L2 cache while a chunk of queries runs over it).
const REF_BLOCK: usize = 256;

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

impl Points {
    /// Points from rows of `dim` f32 values, one after the other.
    pub fn new(dim: usize, rows: &[f32]) -> Self {
        let data: Vec<f64> = rows.iter().map(|&x| f64::from(x)).collect();
        let norms = data.chunks_exact(dim.max(1)).map(|r| dot(r, r)).collect();
        Self { dim, data, norms }
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

    /// The points scaled to unit length (a zero row stays zero), for cosine similarity.
    pub fn normalised(&self) -> Self {
        let mut data = self.data.clone();
        for (r, n) in data.chunks_exact_mut(self.dim.max(1)).zip(&self.norms) {
            if *n > 0.0 {
                let s = 1.0 / n.sqrt();
                r.iter_mut().for_each(|x| *x *= s);
            }
        }
        let norms = data.chunks_exact(self.dim.max(1)).map(|r| dot(r, r)).collect();
        Self {
            dim: self.dim,
            data,
            norms,
        }
    }

    /// The points at `rows`, in that order.
    pub fn subset(&self, rows: &[usize]) -> Self {
        let mut data = Vec::with_capacity(rows.len() * self.dim);
        for &i in rows {
            data.extend_from_slice(self.row(i));
        }
        Self {
            dim: self.dim,
            data,
            norms: rows.iter().map(|&i| self.norms[i]).collect(),
        }
    }
}

/// x·y with four lanes of partial sums (the same order for every pair, vectorised).
#[inline(always)]
fn dot(x: &[f64], y: &[f64]) -> f64 {
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

/// `out[j] = q · refs[j]` for every row of `refs` (`dim` values each), with AVX2 when the
/// processor has it.
fn dots_into(q: &[f64], refs: &[f64], dim: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above).
        unsafe { dots_into_avx2(q, refs, dim, out) };
        return;
    }
    dots_into_portable(q, refs, dim, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dots_into_avx2(q: &[f64], refs: &[f64], dim: usize, out: &mut [f64]) {
    dots_into_portable(q, refs, dim, out);
}

#[inline(always)]
fn dots_into_portable(q: &[f64], refs: &[f64], dim: usize, out: &mut [f64]) {
    for (o, r) in out.iter_mut().zip(refs.chunks_exact(dim)) {
        *o = dot(q, r);
    }
}

/// Four queries' dot products with one reference row, each summed exactly as [`dot`] sums it
/// (so the results equal four calls of it), but loading the reference row once for all four:
/// the distance passes are bound by loads, not arithmetic.
#[inline(always)]
fn dot4(q: [&[f64]; 4], r: &[f64]) -> [f64; 4] {
    let (rc, rt) = r.as_chunks::<4>();
    let qc = q.map(|x| x.as_chunks::<4>().0);
    let mut acc = [[0.0f64; 4]; 4];
    for (k, b) in rc.iter().enumerate() {
        for (a, row) in acc.iter_mut().zip(&qc) {
            let x = &row[k];
            for l in 0..4 {
                a[l] += x[l] * b[l];
            }
        }
    }
    let mut out = [0.0; 4];
    for (o, (a, x)) in out.iter_mut().zip(acc.iter().zip(q)) {
        let tail: f64 = x[rc.len() * 4..].iter().zip(rt).map(|(a, b)| a * b).sum();
        *o = (a[0] + a[1]) + (a[2] + a[3]) + tail;
    }
    out
}

/// `out[j * 4 + m] = q[m] · refs[j]` for every row of `refs`, with AVX2 when the processor has it.
fn dots4_into(q: [&[f64]; 4], refs: &[f64], dim: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above).
        unsafe { dots4_into_avx2(q, refs, dim, out) };
        return;
    }
    dots4_into_portable(q, refs, dim, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dots4_into_avx2(q: [&[f64]; 4], refs: &[f64], dim: usize, out: &mut [f64]) {
    dots4_into_portable(q, refs, dim, out);
}

#[inline(always)]
fn dots4_into_portable(q: [&[f64]; 4], refs: &[f64], dim: usize, out: &mut [f64]) {
    for (o, r) in out.chunks_exact_mut(4).zip(refs.chunks_exact(dim)) {
        o.copy_from_slice(&dot4(q, r));
    }
}

/// Calls `visit(i, j, squared distance)` for the queries `first..first + count` of `q` against
/// every row `j` of `r`, a block of `r` at a time, four queries at a time.
fn scan(q: &Points, first: usize, count: usize, r: &Points, mut visit: impl FnMut(usize, usize, f64)) {
    let dim = r.dim.max(1);
    let mut buf = vec![0.0; REF_BLOCK * 4];
    for start in (0..r.len()).step_by(REF_BLOCK) {
        let end = (start + REF_BLOCK).min(r.len());
        let refs = &r.data[start * r.dim..end * r.dim];
        let mut i = first;
        while i + 4 <= first + count {
            let out = &mut buf[..(end - start) * 4];
            dots4_into(
                [q.row(i), q.row(i + 1), q.row(i + 2), q.row(i + 3)],
                refs,
                dim,
                out,
            );
            for m in 0..4 {
                let qn = q.norms[i + m];
                for j in 0..end - start {
                    let sq = (qn + r.norms[start + j] - 2.0 * out[j * 4 + m]).max(0.0);
                    visit(i + m, start + j, sq);
                }
            }
            i += 4;
        }
        for i in i..first + count {
            let out = &mut buf[..end - start];
            dots_into(q.row(i), refs, dim, out);
            let qn = q.norms[i];
            for (j, d) in out.iter().enumerate() {
                let sq = (qn + r.norms[start + j] - 2.0 * d).max(0.0);
                visit(i, start + j, sq);
            }
        }
    }
}

/// Each point's squared distance to its `k`-th nearest other point: the `k + 1`-th smallest
/// counting the point itself (the radius of its k-NN ball, as in Naeem et al. 2020). Needs more
/// than `k` points.
pub fn kth_neighbour_sq(points: &Points, k: usize) -> Vec<f64> {
    assert!(
        points.len() > k,
        "kth_neighbour_sq: {} points for k = {k}",
        points.len()
    );
    let mut out = vec![0.0; points.len()];
    out.par_chunks_mut(QUERY_CHUNK).enumerate().for_each(|(c, out)| {
        let first = c * QUERY_CHUNK;
        // The k + 1 smallest so far per query, ascending.
        let mut best = vec![f64::INFINITY; out.len() * (k + 1)];
        scan(points, first, out.len(), points, |i, _, sq| {
            let b = &mut best[(i - first) * (k + 1)..(i - first + 1) * (k + 1)];
            if sq < b[k] {
                let mut p = k;
                while p > 0 && b[p - 1] > sq {
                    b[p] = b[p - 1];
                    p -= 1;
                }
                b[p] = sq;
            }
        });
        for (o, b) in out.iter_mut().zip(best.chunks_exact(k + 1)) {
            *o = b[k];
        }
    });
    out
}

/// What one pass over every pair of two sets finds, for PRDC both ways round.
#[derive(Debug, Clone, PartialEq)]
pub struct Cross {
    /// For each point of P: how many Q balls (radius² `q_radii`) hold it strictly.
    pub p_in_q_balls: Vec<u32>,
    /// For each point of P: the squared distance to its nearest point of Q.
    pub p_nearest_q: Vec<f64>,
    /// For each point of Q: how many P balls hold it strictly.
    pub q_in_p_balls: Vec<u32>,
    /// For each point of Q: the squared distance to its nearest point of P.
    pub q_nearest_p: Vec<f64>,
}

/// One pass over P x Q (parallel over chunks of P) with the squared k-NN radii of each set
/// (`None`: no balls, counts stay 0).
pub fn cross(p: &Points, p_radii: Option<&[f64]>, q: &Points, q_radii: Option<&[f64]>) -> Cross {
    let none_p = vec![f64::NEG_INFINITY; p.len()];
    let none_q = vec![f64::NEG_INFINITY; q.len()];
    let rp = p_radii.unwrap_or(&none_p);
    let rq = q_radii.unwrap_or(&none_q);
    let mut p_side = vec![(0u32, f64::INFINITY); p.len()];
    let fresh = || (vec![0u32; q.len()], vec![f64::INFINITY; q.len()]);
    let (q_in, q_nn) = p_side
        .par_chunks_mut(QUERY_CHUNK)
        .enumerate()
        .fold(fresh, |(mut q_in, mut q_nn), (c, out)| {
            let first = c * QUERY_CHUNK;
            scan(p, first, out.len(), q, |i, j, sq| {
                let o = &mut out[i - first];
                o.0 += u32::from(sq < rq[j]);
                o.1 = o.1.min(sq);
                q_in[j] += u32::from(sq < rp[i]);
                q_nn[j] = q_nn[j].min(sq);
            });
            (q_in, q_nn)
        })
        .reduce(fresh, |(mut a_in, mut a_nn), (b_in, b_nn)| {
            a_in.iter_mut().zip(b_in).for_each(|(a, b)| *a += b);
            a_nn.iter_mut().zip(b_nn).for_each(|(a, b)| *a = a.min(b));
            (a_in, a_nn)
        });
    Cross {
        p_in_q_balls: p_side.iter().map(|s| s.0).collect(),
        p_nearest_q: p_side.iter().map(|s| s.1).collect(),
        q_in_p_balls: q_in,
        q_nearest_p: q_nn,
    }
}

/// For each query, the largest cosine similarity to a gallery point (both sets normalised with
/// [`Points::normalised`]); NaN for a zero query or an empty gallery.
pub fn best_similarity(queries: &Points, gallery: &Points) -> Vec<f64> {
    let mut out = vec![f64::NAN; queries.len()];
    out.par_chunks_mut(QUERY_CHUNK).enumerate().for_each(|(c, out)| {
        let first = c * QUERY_CHUNK;
        let mut best = vec![f64::NEG_INFINITY; out.len()];
        // Unit rows: x·y = (|x|² + |y|² − d²) / 2 = 1 − d² / 2.
        scan(queries, first, out.len(), gallery, |i, j, sq| {
            if gallery.norms[j] > 0.0 {
                let b = &mut best[i - first];
                *b = b.max((queries.norms[i] + gallery.norms[j] - sq) / 2.0);
            }
        });
        for (k, (o, b)) in out.iter_mut().zip(best).enumerate() {
            if queries.norms[first + k] > 0.0 && b.is_finite() {
                *o = b;
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(rows: &[&[f32]]) -> Points {
        let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
        Points::new(rows[0].len(), &flat)
    }

    fn brute_sq(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
    }

    fn cloud(n: usize, dim: usize, seed: u32) -> Points {
        let flat: Vec<f32> = (0..n * dim)
            .map(|i| ((i as f32 * 0.37 + seed as f32).sin() * 3.0).fract())
            .collect();
        Points::new(dim, &flat)
    }

    #[test]
    fn kth_neighbours_match_brute_force_across_blocks() {
        let p = cloud(300, 7, 1);
        for k in [1, 3] {
            let r = kth_neighbour_sq(&p, k);
            for i in [0, 31, 32, 299] {
                let mut d: Vec<f64> = (0..p.len()).map(|j| brute_sq(p.row(i), p.row(j))).collect();
                d.sort_by(f64::total_cmp);
                assert!((r[i] - d[k]).abs() < 1e-9, "k={k} i={i}: {} vs {}", r[i], d[k]);
            }
        }
        // A duplicate: the radius of k = 1 is exactly 0.
        let dup = points(&[&[1.0, 2.0], &[1.0, 2.0], &[5.0, 5.0]]);
        assert_eq!(kth_neighbour_sq(&dup, 1)[..2], [0.0, 0.0]);
    }

    #[test]
    fn cross_counts_match_brute_force_both_ways() {
        let (p, q) = (cloud(70, 5, 2), cloud(45, 5, 9));
        let (rp, rq) = (kth_neighbour_sq(&p, 2), kth_neighbour_sq(&q, 2));
        let c = cross(&p, Some(&rp), &q, Some(&rq));
        for j in 0..q.len() {
            let d: Vec<f64> = (0..p.len()).map(|i| brute_sq(p.row(i), q.row(j))).collect();
            let inside = (0..p.len()).filter(|&i| d[i] < rp[i]).count() as u32;
            assert_eq!(c.q_in_p_balls[j], inside);
            let nn = d.iter().copied().fold(f64::INFINITY, f64::min);
            assert!((c.q_nearest_p[j] - nn).abs() < 1e-9);
        }
        for i in 0..p.len() {
            let inside = (0..q.len())
                .filter(|&j| brute_sq(p.row(i), q.row(j)) < rq[j])
                .count();
            assert_eq!(c.p_in_q_balls[i] as usize, inside);
        }
        let none = cross(&p, None, &q, None);
        assert!(
            none.p_in_q_balls
                .iter()
                .chain(&none.q_in_p_balls)
                .all(|&n| n == 0)
        );
    }

    #[test]
    fn four_queries_at_once_sum_exactly_as_one() {
        let p = cloud(9, 131, 4);
        for j in 0..p.len() {
            let four = dot4([p.row(0), p.row(1), p.row(2), p.row(3)], p.row(j));
            for (m, v) in four.iter().enumerate() {
                assert_eq!(v.to_bits(), dot(p.row(m), p.row(j)).to_bits());
            }
        }
    }

    #[test]
    fn best_similarity_is_the_largest_cosine() {
        let g = points(&[&[1.0, 0.0], &[0.0, 2.0], &[0.0, 0.0]]).normalised();
        let q = points(&[&[1.0, 1.0], &[-3.0, 0.0], &[0.0, 0.0]]).normalised();
        let s = best_similarity(&q, &g);
        assert!((s[0] - 0.5f64.sqrt()).abs() < 1e-12);
        assert!(s[1].abs() < 1e-12);
        assert!(s[2].is_nan());
    }
}
