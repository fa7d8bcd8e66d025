//! The float32 dot-product micro-kernel of the nearest-neighbour passes: reference rows packed
//! in panels of [`NR`] (coordinate-major, so one load brings a coordinate of 16 rows), four to
//! eight queries against one panel at a time in a tile of registers, and the bound on its
//! rounding error that lets every strict comparison be settled exactly (in f64) when the f32
//! value alone cannot settle it.

/// Reference rows per panel (two AVX2 registers of f32, one AVX-512).
pub const NR: usize = 16;

/// The unit roundoff of f32 (2⁻²⁴).
const U32: f64 = f32::EPSILON as f64 / 2.0;

/// A bound factor `c` such that, for rows x and y of `dim` values (f32, or f64 rounded to f32),
/// the f32 estimate `fl(|x|²) + fl(|y|²) − 2 fl(x·y)` of |x − y|² — and of its f64 value as
/// [`super::points::Points::sq_dist`] computes it, up to that value's own error — is off by at
/// most `c (|x|² + |y|²)`.
///
/// The dot product of n terms in any order (with or without fused multiply-adds) is off by at
/// most γₙ |x||y| ≤ n u (|x|² + |y|²) / 2 (Higham, Accuracy and Stability, 3.1), rounding the
/// inputs to f32 adds 2u |x||y|, rounding the norms u each, and the two additions of the
/// estimate 3u (|x|² + |y|²): (n + 7) u in all. The factor doubles that, which covers the f64
/// value's own error (2⁻⁵³ terms) and the rounding of the bounds themselves.
pub fn slack_factor(dim: usize) -> f32 {
    (2.0 * (dim as f64 + 8.0) * U32) as f32
}

/// The smallest f32 at or above `x` (for an upper bound on an f64 in f32 comparisons).
pub fn f32_at_or_above(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) < x { y.next_up() } else { y }
}

/// The largest f32 at or below `x`.
pub fn f32_at_or_below(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) > x { y.next_down() } else { y }
}

/// Runs `f` compiled for AVX2 and FMA when the processor has them: the passes' per-pair
/// bookkeeping (bounds, counts, candidates) then vectorises 8 lanes wide instead of 4.
#[inline(always)]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the processor has AVX2 and FMA (checked just above).
        return unsafe { wide_avx2(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn wide_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Whether `x` is not above `t`: true when `x <= t` and when `x` is NaN (an estimate that
/// overflowed is never ruled out; it is checked in f64).
#[inline(always)]
#[allow(clippy::neg_cmp_op_on_partial_ord)]
pub fn not_above(x: f32, t: f32) -> bool {
    !(x > t)
}

/// Whether `x` is not below `t`: true when `x >= t` and when `x` is NaN.
#[inline(always)]
#[allow(clippy::neg_cmp_op_on_partial_ord)]
pub fn not_below(x: f32, t: f32) -> bool {
    !(x < t)
}

/// Rows of `dim` f32 values packed for the kernel: panel `p` holds rows `p * NR ..` coordinate
/// by coordinate (`NR` values per coordinate), the last panel padded with zero rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panels {
    dim: usize,
    data: Vec<f32>,
}

impl Panels {
    /// Packs `rows` (row after row, `dim` values each).
    pub fn pack(dim: usize, rows: &[f32]) -> Self {
        if dim == 0 {
            return Self::default();
        }
        let n = rows.len() / dim;
        let mut data = vec![0.0f32; n.div_ceil(NR) * NR * dim];
        for (i, row) in rows.chunks_exact(dim).enumerate() {
            let panel = &mut data[(i / NR) * NR * dim..(i / NR + 1) * NR * dim];
            for (k, &x) in row.iter().enumerate() {
                panel[k * NR + i % NR] = x;
            }
        }
        Self { dim, data }
    }

    /// The dimension of the rows.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The values of panels `first..first + count`.
    fn panels(&self, first: usize, count: usize) -> &[f32] {
        let size = NR * self.dim;
        &self.data[first * size..(first + count) * size]
    }
}

/// `out[a * stride + j] = q_a · r_j` for the query rows `queries` (row after row, `dim` values
/// each) and the reference rows of panels `first..first + count` of `refs` (`j` counted from the
/// first row of panel `first`; `stride` at least `count * NR`), with AVX-512 (8 queries a
/// tile) or AVX2 and FMA (6 queries) when the processor has them, 4 queries otherwise.
pub fn dots(queries: &[f32], refs: &Panels, first: usize, count: usize, out: &mut [f32], stride: usize) {
    let dim = refs.dim;
    if dim == 0 {
        return;
    }
    assert!(stride >= count * NR && out.len() >= (queries.len() / dim) * stride);
    let panels = refs.panels(first, count);
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor has AVX-512F (checked just above).
            unsafe { dots_avx512(queries, panels, dim, out, stride) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the processor has AVX2 and FMA (checked just above).
            unsafe { dots_avx2_fma(queries, panels, dim, out, stride) };
            return;
        }
    }
    dots_portable::<4, false>(queries, panels, dim, out, stride);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn dots_avx512(queries: &[f32], panels: &[f32], dim: usize, out: &mut [f32], stride: usize) {
    dots_portable::<8, true>(queries, panels, dim, out, stride);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dots_avx2_fma(queries: &[f32], panels: &[f32], dim: usize, out: &mut [f32], stride: usize) {
    dots_portable::<6, true>(queries, panels, dim, out, stride);
}

/// The kernel: for each panel (it stays in L1), every group of `MR` queries (the last group
/// padded with copies of the last query, whose results are dropped).
#[inline(always)]
fn dots_portable<const MR: usize, const FMA: bool>(
    queries: &[f32],
    panels: &[f32],
    dim: usize,
    out: &mut [f32],
    stride: usize,
) {
    let n = queries.len() / dim;
    if n == 0 {
        return;
    }
    let row = |i: usize| &queries[i * dim..(i + 1) * dim];
    for (p, panel) in panels.chunks_exact(NR * dim).enumerate() {
        for a0 in (0..n).step_by(MR) {
            let q: [&[f32]; MR] = std::array::from_fn(|m| row((a0 + m).min(n - 1)));
            let tile = tile::<MR, FMA>(q, panel, dim);
            for (m, t) in tile.iter().enumerate().take(n - a0) {
                let at = (a0 + m) * stride + p * NR;
                out[at..at + NR].copy_from_slice(t);
            }
        }
    }
}

/// `MR` queries' dot products with the `NR` rows of one panel, accumulated in registers.
#[inline(always)]
fn tile<const MR: usize, const FMA: bool>(q: [&[f32]; MR], panel: &[f32], dim: usize) -> [[f32; NR]; MR] {
    let q: [&[f32]; MR] = q.map(|r| &r[..dim]);
    let mut acc = [[0.0f32; NR]; MR];
    for (k, g) in panel.chunks_exact(NR).take(dim).enumerate() {
        let g: &[f32; NR] = g.try_into().expect("a panel row of NR values");
        for (a, r) in acc.iter_mut().zip(&q) {
            let x = r[k];
            for (s, &y) in a.iter_mut().zip(g) {
                *s = if FMA { x.mul_add(y, *s) } else { *s + x * y };
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, dim: usize, seed: f32) -> Vec<f32> {
        (0..n * dim)
            .map(|i| ((i as f32 * 0.61 + seed).sin() * 4.0).fract())
            .collect()
    }

    type Kernel = fn(&[f32], &Panels, usize, usize, &mut [f32], usize);

    /// Every variant of the kernel (the one this processor runs, and the portable ones).
    fn variants() -> Vec<(&'static str, Kernel)> {
        fn portable<const MR: usize, const FMA: bool>(
            q: &[f32],
            r: &Panels,
            first: usize,
            count: usize,
            out: &mut [f32],
            stride: usize,
        ) {
            dots_portable::<MR, FMA>(q, r.panels(first, count), r.dim, out, stride);
        }
        vec![
            ("dispatched", dots),
            ("4, no FMA", portable::<4, false>),
            ("6, FMA", portable::<6, true>),
            ("8, FMA", portable::<8, true>),
        ]
    }

    #[test]
    fn dots_match_f64_within_the_bound_for_any_shape() {
        // Query counts and reference counts that are not multiples of the tile sizes.
        for (name, kernel) in variants() {
            for (nq, nr, dim) in [(1, 1, 1), (5, 17, 3), (9, 40, 130), (4, 16, 128)] {
                let (q, r) = (rows(nq, dim, 1.0), rows(nr, dim, 2.0));
                let panels = Panels::pack(dim, &r);
                let count = nr.div_ceil(NR);
                let stride = count * NR + 3;
                let mut out = vec![f32::NAN; nq * stride];
                kernel(&q, &panels, 0, count, &mut out, stride);
                for a in 0..nq {
                    for j in 0..nr {
                        let (x, y) = (&q[a * dim..(a + 1) * dim], &r[j * dim..(j + 1) * dim]);
                        let exact: f64 = x.iter().zip(y).map(|(u, v)| f64::from(*u) * f64::from(*v)).sum();
                        let nx: f64 = x.iter().map(|u| f64::from(*u).powi(2)).sum();
                        let ny: f64 = y.iter().map(|u| f64::from(*u).powi(2)).sum();
                        let got = f64::from(out[a * stride + j]);
                        // The dot product's share of the bound (half of the squared distance's).
                        let bound = f64::from(slack_factor(dim)) * (nx + ny) / 4.0;
                        assert!(
                            (got - exact).abs() <= bound,
                            "{name} {nq}x{nr}x{dim} ({a},{j}): {got} vs {exact}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_later_panel_range_is_the_same_as_the_whole() {
        let dim = 7;
        let (q, r) = (rows(6, dim, 3.0), rows(50, dim, 4.0));
        let panels = Panels::pack(dim, &r);
        let mut all = vec![0.0; 6 * 64];
        dots(&q, &panels, 0, 4, &mut all, 64);
        let mut part = vec![0.0; 6 * 32];
        dots(&q, &panels, 2, 2, &mut part, 32);
        for a in 0..6 {
            assert_eq!(all[a * 64 + 32..a * 64 + 64], part[a * 32..a * 32 + 32]);
        }
    }

    #[test]
    fn f32_bounds_hold_the_f64_value() {
        for x in [0.1, 1.0 / 3.0, -2.5e-7, 1e300, -1e300, f64::NEG_INFINITY, 0.0] {
            assert!(
                f64::from(f32_at_or_above(x)) >= x && f64::from(f32_at_or_below(x)) <= x,
                "{x}"
            );
        }
        assert_eq!(f32_at_or_above(0.5), 0.5);
        assert_eq!(f32_at_or_below(1e300), f32::MAX);
        assert!(not_above(f32::NAN, 0.0) && not_below(f32::NAN, 0.0) && !not_above(1.0, 0.0));
    }
}
