//! Nearest-neighbour passes over two sets of points, blocked and parallel. Dot products come
//! from the f32 kernel ([`super::tile`]) a block of reference rows at a time (memory stays
//! O(block) whatever the sizes); every decision is then taken on the exact f64 squared distance
//! ([`Points::sq_dist`]): a comparison with a radius is settled from the f32 estimate only when
//! its error bound cannot reach across, and a pair that might be a nearest neighbour is
//! recomputed in f64. The results are therefore those of an f64 pass over every pair.

use rayon::prelude::*;

use super::points::Centred;
pub use super::points::Points;
use super::tile::{self, NR, f32_at_or_above, f32_at_or_below, not_above, not_below, wide};

/// Query rows handed to one parallel task.
const QUERY_CHUNK: usize = 64;
/// Panels of reference rows (`NR` rows each) per block: 256 rows, 128 KiB of 128-d f32, in L2
/// while a chunk of queries runs over it; the block's dot products (64 KiB) too.
const BLOCK_PANELS: usize = 16;
/// The row stride of a block of dot products.
const STRIDE: usize = BLOCK_PANELS * NR;

/// Calls `visit(start, len, dots)` for each block of rows `start..start + len` of `r`, where
/// `dots[a * STRIDE + j]` is the f32 dot product of query `first + a` of `q` with row
/// `start + j` (for the `count` queries `first..first + count`). Inlined, so that `visit` is
/// compiled inside [`wide`].
#[inline(always)]
fn scan(q: &Centred, first: usize, count: usize, r: &Centred, mut visit: impl FnMut(usize, usize, &[f32])) {
    let dim = q.panels.dim();
    let queries = &q.rows32[first * dim..(first + count) * dim];
    let mut dots = vec![0.0f32; count * STRIDE];
    let rows = r.norms32.len();
    let panels = rows.div_ceil(NR);
    for p in (0..panels).step_by(BLOCK_PANELS) {
        let n = BLOCK_PANELS.min(panels - p);
        tile::dots(queries, &r.panels, p, n, &mut dots, STRIDE);
        let start = p * NR;
        visit(start, (n * NR).min(rows - start), &dots);
    }
}

/// `base + offsets[j] - 2 dots[j]` for every `j`: an f32 squared distance shifted by the bounds.
#[inline(always)]
fn shifted(base: f32, offset: f32, dot: f32) -> f32 {
    base + offset - 2.0 * dot
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
    let view = points.centred(&points.mean());
    // Lower bounds: norm − slack, per reference row.
    let low: Vec<f32> = view.norms32.iter().zip(&view.slack).map(|(n, s)| n - s).collect();
    let mut out = vec![0.0; points.len()];
    out.par_chunks_mut(QUERY_CHUNK).enumerate().for_each(|(c, out)| {
        wide(|| {
            let first = c * QUERY_CHUNK;
            // The k + 1 smallest exact values so far per query, ascending.
            let mut best = vec![f64::INFINITY; out.len() * (k + 1)];
            let mut cand: Vec<(f32, usize)> = Vec::new();
            scan(&view, first, out.len(), &view, |start, len, dots| {
                let low = &low[start..start + len];
                for (a, b) in best.chunks_exact_mut(k + 1).enumerate() {
                    let i = first + a;
                    let row = &dots[a * STRIDE..a * STRIDE + len];
                    let base = view.norms32[i] - view.slack[i];
                    // A row is skipped when its lower bound is above the current k+1-th value: it
                    // cannot be among the k + 1 nearest. NaN (overflow) is never skipped.
                    let t = f32_at_or_above(b[k]);
                    let near: u32 = row
                        .iter()
                        .zip(low)
                        .map(|(&d, &o)| u32::from(not_above(shifted(base, o, d), t)))
                        .sum();
                    if near == 0 {
                        continue;
                    }
                    cand.clear();
                    for (j, (&d, &o)) in row.iter().zip(low).enumerate() {
                        let lo = shifted(base, o, d);
                        if not_above(lo, t) {
                            cand.push((lo, start + j));
                        }
                    }
                    // Nearest first, so the k + 1-th value falls fast and the rest are skipped.
                    if cand.len() > k + 1 {
                        cand.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
                    }
                    for &(lo, j) in &cand {
                        if f64::from(lo) > b[k] {
                            continue;
                        }
                        let sq = points.sq_dist(i, points, j);
                        if sq < b[k] {
                            let mut p = k;
                            while p > 0 && b[p - 1] > sq {
                                b[p] = b[p - 1];
                                p -= 1;
                            }
                            b[p] = sq;
                        }
                    }
                }
            });
            for (o, b) in out.iter_mut().zip(best.chunks_exact(k + 1)) {
                *o = b[k];
            }
        })
    });
    out
}

/// What one pass over every pair of two sets finds, for PRDC both ways round.
#[derive(Debug, Clone, PartialEq)]
pub struct Cross {
    /// For each point of P: how many Q balls (radius² `q_radii`) hold it strictly.
    pub p_in_q_balls: Vec<u32>,
    /// For each point of P: how many points of Q its own ball holds strictly (coverage: its
    /// nearest point of Q is inside the ball exactly when this is not 0).
    pub p_ball_holds: Vec<u32>,
    /// For each point of Q: how many P balls hold it strictly.
    pub q_in_p_balls: Vec<u32>,
    /// For each point of Q: how many points of P its own ball holds strictly.
    pub q_ball_holds: Vec<u32>,
}

/// f32 bounds below and above each squared radius (`None`: no balls, −∞).
fn radius_bounds(radii: Option<&[f64]>, n: usize) -> (Vec<f32>, Vec<f32>) {
    match radii {
        Some(r) => (
            r.iter().map(|&x| f32_at_or_below(x)).collect(),
            r.iter().map(|&x| f32_at_or_above(x)).collect(),
        ),
        None => (vec![f32::NEG_INFINITY; n], vec![f32::NEG_INFINITY; n]),
    }
}

/// The per-task counts of Q's side of [`cross`], and the uncertain-pair marks of one block row.
struct QSide {
    in_p_balls: Vec<u32>,
    ball_holds: Vec<u32>,
    marks: Vec<u8>,
}

/// One pass over P x Q (parallel over chunks of P) with the squared k-NN radii of each set
/// (`None`: no balls, counts stay 0). Each pair is compared with both radii (`<`, strictly).
pub fn cross(p: &Points, p_radii: Option<&[f64]>, q: &Points, q_radii: Option<&[f64]>) -> Cross {
    let (rp_lo, rp_hi) = radius_bounds(p_radii, p.len());
    let (rq_lo, rq_hi) = radius_bounds(q_radii, q.len());
    let rp = |i: usize| p_radii.map_or(f64::NEG_INFINITY, |r| r[i]);
    let rq = |j: usize| q_radii.map_or(f64::NEG_INFINITY, |r| r[j]);
    let centre = p.mean();
    let (vp, vq) = (p.centred(&centre), q.centred(&centre));
    let q_up: Vec<f32> = vq.norms32.iter().zip(&vq.slack).map(|(n, s)| n + s).collect();
    let q_dn: Vec<f32> = vq.norms32.iter().zip(&vq.slack).map(|(n, s)| n - s).collect();
    let mut p_side = vec![(0u32, 0u32); p.len()];
    let fresh = || QSide {
        in_p_balls: vec![0; q.len()],
        ball_holds: vec![0; q.len()],
        marks: vec![0; STRIDE],
    };
    let q_side = p_side
        .par_chunks_mut(QUERY_CHUNK)
        .enumerate()
        .fold(fresh, |mut side, (c, out)| {
            let first = c * QUERY_CHUNK;
            wide(|| {
                scan(&vp, first, out.len(), &vq, |start, len, dots| {
                    let span = start..start + len;
                    for (a, o) in out.iter_mut().enumerate() {
                        let i = first + a;
                        let (up, dn) = (vp.norms32[i] + vp.slack[i], vp.norms32[i] - vp.slack[i]);
                        let row = Row {
                            dots: &dots[a * STRIDE..a * STRIDE + len],
                            up: &q_up[span.clone()],
                            dn: &q_dn[span.clone()],
                            rq_lo: &rq_lo[span.clone()],
                            rq_hi: &rq_hi[span.clone()],
                        };
                        let (in_q, holds, uncertain) = row.settle(
                            (up, dn),
                            (rp_lo[i], rp_hi[i]),
                            &mut side.in_p_balls[span.clone()],
                            &mut side.ball_holds[span.clone()],
                            &mut side.marks[..len],
                        );
                        o.0 += in_q;
                        o.1 += holds;
                        if !uncertain {
                            continue;
                        }
                        // The pairs the f32 bounds could not settle, in f64.
                        for (j, &m) in side.marks[..len].iter().enumerate() {
                            if m == 0 {
                                continue;
                            }
                            let sq = p.sq_dist(i, q, start + j);
                            if m & 1 != 0 && sq < rq(start + j) {
                                o.0 += 1;
                                side.ball_holds[start + j] += 1;
                            }
                            if m & 2 != 0 && sq < rp(i) {
                                o.1 += 1;
                                side.in_p_balls[start + j] += 1;
                            }
                        }
                    }
                })
            });
            side
        })
        .reduce(fresh, |mut a, b| {
            a.in_p_balls
                .iter_mut()
                .zip(b.in_p_balls)
                .for_each(|(x, y)| *x += y);
            a.ball_holds
                .iter_mut()
                .zip(b.ball_holds)
                .for_each(|(x, y)| *x += y);
            a
        });
    Cross {
        p_in_q_balls: p_side.iter().map(|s| s.0).collect(),
        p_ball_holds: p_side.iter().map(|s| s.1).collect(),
        q_in_p_balls: q_side.in_p_balls,
        q_ball_holds: q_side.ball_holds,
    }
}

/// One query of P against a block of Q in [`cross`]: the f32 dot products and, per row of Q,
/// its squared norm plus and minus its slack and the f32 bounds of its squared radius.
struct Row<'a> {
    dots: &'a [f32],
    up: &'a [f32],
    dn: &'a [f32],
    rq_lo: &'a [f32],
    rq_hi: &'a [f32],
}

impl Row<'_> {
    /// Counts the comparisons the f32 bounds settle: returns (Q balls holding the query, Q
    /// points inside the query's ball, whether any pair is unsettled), adds to Q's counts, and
    /// marks each unsettled pair (bit 0: against Q's radius, bit 1: against P's).
    #[inline]
    fn settle(
        &self,
        (up, dn): (f32, f32),
        (rp_lo, rp_hi): (f32, f32),
        q_in_p: &mut [u32],
        q_holds: &mut [u32],
        marks: &mut [u8],
    ) -> (u32, u32, bool) {
        let n = self.dots.len();
        let (up_j, dn_j, rq_lo, rq_hi) = (&self.up[..n], &self.dn[..n], &self.rq_lo[..n], &self.rq_hi[..n]);
        let (q_in_p, q_holds, marks) = (&mut q_in_p[..n], &mut q_holds[..n], &mut marks[..n]);
        let (mut in_q, mut holds, mut open) = (0u32, 0u32, 0u8);
        for j in 0..n {
            let hi = shifted(up, up_j[j], self.dots[j]);
            let lo = shifted(dn, dn_j[j], self.dots[j]);
            // Certainly inside: the largest the distance can be is below the radius' lower
            // bound; certainly outside: the smallest is at or above its upper bound.
            let (in_a, out_a) = (hi < rq_lo[j], lo >= rq_hi[j]);
            let (in_b, out_b) = (hi < rp_lo, lo >= rp_hi);
            in_q += u32::from(in_a);
            q_holds[j] += u32::from(in_a);
            holds += u32::from(in_b);
            q_in_p[j] += u32::from(in_b);
            let m = u8::from(!(in_a | out_a)) | (u8::from(!(in_b | out_b)) << 1);
            marks[j] = m;
            open |= m;
        }
        (in_q, holds, open != 0)
    }
}

/// The largest `dots[j] + offsets[j] + base` (NaN ignored), in 8 independent lanes so that it
/// vectorises (a running maximum over one lane does not, without fast-math).
#[inline(always)]
fn largest_lower_bound(dots: &[f32], offsets: &[f32], base: f32) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let (dc, dt) = dots.as_chunks::<8>();
    let (oc, ot) = offsets.as_chunks::<8>();
    for (d, o) in dc.iter().zip(oc) {
        for l in 0..8 {
            let lo = d[l] + o[l] + base;
            lanes[l] = if lo > lanes[l] { lo } else { lanes[l] };
        }
    }
    for (&d, &o) in dt.iter().zip(ot) {
        let lo = d + o + base;
        lanes[0] = if lo > lanes[0] { lo } else { lanes[0] };
    }
    lanes
        .into_iter()
        .fold(f32::NEG_INFINITY, |m, x| if x > m { x } else { m })
}

/// For each query, the largest cosine similarity to a gallery point (both sets normalised with
/// [`Points::normalised`]); NaN for a zero query or an empty gallery.
pub fn best_similarity(queries: &Points, gallery: &Points) -> Vec<f64> {
    // With x' = x − m and y' = y − m, the exact (|x|² + |y|² − d²) / 2 is estimated by
    // x'·y' (f32) + (|x|² − |x'|²) / 2 + (|y|² − |y'|²) / 2, within half the squared distance's
    // slack plus the rounding of the halves; each row's bound below is more than its share.
    let centre = gallery.mean();
    let (vq, vg) = (queries.centred(&centre), gallery.centred(&centre));
    let half = |p: &Points, v: &Centred, i: usize| (p.norms[i] - f64::from(v.norms32[i])) / 2.0;
    let bound = |p: &Points, v: &Centred, i: usize| {
        v.slack[i] + f32_at_or_above(4.0 * f64::from(f32::EPSILON) * (p.norms[i] + f64::from(v.norms32[i])))
    };
    // Per gallery row, the offset minus and plus its bound; zero rows are never matched (−∞).
    let (mut g_lo, mut g_hi) = (
        Vec::with_capacity(gallery.len()),
        Vec::with_capacity(gallery.len()),
    );
    for j in 0..gallery.len() {
        let (h, k) = (half(gallery, &vg, j), bound(gallery, &vg, j));
        if gallery.norms[j] > 0.0 {
            g_lo.push(f32_at_or_below(h) - k);
            g_hi.push(f32_at_or_above(h) + k);
        } else {
            g_lo.push(f32::NEG_INFINITY);
            g_hi.push(f32::NEG_INFINITY);
        }
    }
    let mut out = vec![f64::NAN; queries.len()];
    out.par_chunks_mut(QUERY_CHUNK).enumerate().for_each(|(c, out)| {
        wide(|| {
            let first = c * QUERY_CHUNK;
            // The best exact similarity so far per query.
            let mut best = vec![f64::NEG_INFINITY; out.len()];
            let mut cand: Vec<(f32, usize)> = Vec::new();
            scan(&vq, first, out.len(), &vg, |start, len, dots| {
                let (g_lo, g_hi) = (&g_lo[start..start + len], &g_hi[start..start + len]);
                for (a, b) in best.iter_mut().enumerate() {
                    let i = first + a;
                    if queries.norms[i].is_nan() || queries.norms[i] <= 0.0 {
                        continue;
                    }
                    let row = &dots[a * STRIDE..a * STRIDE + len];
                    let (h, k) = (half(queries, &vq, i), bound(queries, &vq, i));
                    let (lo_i, hi_i) = (f32_at_or_below(h) - k, f32_at_or_above(h) + k);
                    // No exact value can be below the best lower bound: rows whose upper bound
                    // is below it are skipped (NaN never is).
                    let floor = largest_lower_bound(row, g_lo, lo_i);
                    let floor = f32_at_or_below(b.max(f64::from(floor)));
                    let above: u32 = row
                        .iter()
                        .zip(g_hi)
                        .map(|(&d, &o)| u32::from(not_below(d + o + hi_i, floor)))
                        .sum();
                    if above == 0 {
                        continue;
                    }
                    cand.clear();
                    for (j, (&d, &o)) in row.iter().zip(g_hi).enumerate() {
                        let hi = d + o + hi_i;
                        if not_below(hi, floor) {
                            cand.push((hi, start + j));
                        }
                    }
                    if cand.len() > 1 {
                        cand.sort_unstable_by(|x, y| y.0.total_cmp(&x.0));
                    }
                    for &(hi, j) in &cand {
                        if f64::from(hi) < *b || gallery.norms[j].is_nan() || gallery.norms[j] <= 0.0 {
                            continue;
                        }
                        let sq = queries.sq_dist(i, gallery, j);
                        // Unit rows: x·y = (|x|² + |y|² − d²) / 2 = 1 − d² / 2.
                        *b = b.max((queries.norms[i] + gallery.norms[j] - sq) / 2.0);
                    }
                }
            });
            for (k, (o, b)) in out.iter_mut().zip(best).enumerate() {
                if queries.norms[first + k] > 0.0 && b.is_finite() {
                    *o = b;
                }
            }
        })
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

    fn cloud(n: usize, dim: usize, seed: u32) -> Points {
        let flat: Vec<f32> = (0..n * dim)
            .map(|i| ((i as f32 * 0.37 + seed as f32).sin() * 3.0).fract())
            .collect();
        Points::new(dim, &flat)
    }

    /// Every exact squared distance from row `i` of `a` to the rows of `b`.
    fn all_sq(a: &Points, i: usize, b: &Points) -> Vec<f64> {
        (0..b.len()).map(|j| a.sq_dist(i, b, j)).collect()
    }

    /// What [`cross`] must give, pair by pair in f64.
    fn naive_cross(p: &Points, rp: &[f64], q: &Points, rq: &[f64]) -> Cross {
        let mut c = Cross {
            p_in_q_balls: vec![0; p.len()],
            p_ball_holds: vec![0; p.len()],
            q_in_p_balls: vec![0; q.len()],
            q_ball_holds: vec![0; q.len()],
        };
        for (i, &r) in rp.iter().enumerate() {
            for (j, sq) in all_sq(p, i, q).into_iter().enumerate() {
                let (a, b) = (u32::from(sq < rq[j]), u32::from(sq < r));
                c.p_in_q_balls[i] += a;
                c.q_ball_holds[j] += a;
                c.p_ball_holds[i] += b;
                c.q_in_p_balls[j] += b;
            }
        }
        c
    }

    fn naive_kth(p: &Points, k: usize) -> Vec<f64> {
        (0..p.len())
            .map(|i| {
                let mut d = all_sq(p, i, p);
                d.sort_by(f64::total_cmp);
                d[k]
            })
            .collect()
    }

    #[test]
    fn kth_neighbours_equal_the_f64_values_across_blocks() {
        let p = cloud(600, 37, 1);
        for k in [1, 3, 5] {
            assert_eq!(kth_neighbour_sq(&p, k), naive_kth(&p, k), "k = {k}");
        }
        // A duplicate: the radius of k = 1 is exactly 0.
        let dup = points(&[&[1.0, 2.0], &[1.0, 2.0], &[5.0, 5.0]]);
        assert_eq!(kth_neighbour_sq(&dup, 1)[..2], [0.0, 0.0]);
    }

    #[test]
    fn cross_counts_equal_the_f64_comparisons_both_ways() {
        let (p, q) = (cloud(300, 21, 2), cloud(290, 21, 9));
        let (rp, rq) = (kth_neighbour_sq(&p, 2), kth_neighbour_sq(&q, 2));
        assert_eq!(cross(&p, Some(&rp), &q, Some(&rq)), naive_cross(&p, &rp, &q, &rq));
        let none = cross(&p, None, &q, None);
        assert!(
            [
                &none.p_in_q_balls,
                &none.p_ball_holds,
                &none.q_in_p_balls,
                &none.q_ball_holds
            ]
            .iter()
            .all(|v| v.iter().all(|&n| n == 0))
        );
    }

    #[test]
    fn points_far_from_the_origin_give_the_f64_values() {
        // Offset by 1000 with a spread of 1: without centring every pair would need f64.
        let shift = |p: &Points| {
            let rows: Vec<f32> = p.data.iter().map(|&x| x as f32 + 1000.0).collect();
            Points::new(p.dim, &rows)
        };
        let (p, q) = (shift(&cloud(200, 19, 4)), shift(&cloud(170, 19, 6)));
        let (rp, rq) = (kth_neighbour_sq(&p, 3), kth_neighbour_sq(&q, 3));
        assert_eq!((rp.clone(), rq.clone()), (naive_kth(&p, 3), naive_kth(&q, 3)));
        assert_eq!(cross(&p, Some(&rp), &q, Some(&rq)), naive_cross(&p, &rp, &q, &rq));
    }

    /// Points on a line near x = 1 (squared norms about 1): their squared distances (2⁻⁴⁰
    /// and so on) are far below what f32 resolves next to the norms (2⁻²⁴), so the f32
    /// estimate alone cannot tell a point just inside a ball from one on its edge.
    #[test]
    fn near_ties_that_f32_cannot_see_are_settled_in_f64() {
        let e = 2f32.powi(-20);
        let p = points(&[&[1.0], &[1.0 + e], &[1.0 + 3.0 * e], &[1.0 + 7.0 * e]]);
        // Q: one point on the edge of P's first ball (2⁻⁴⁰ from it, not inside: strict), one
        // just inside it, one far.
        let q = points(&[&[1.0 - e], &[1.0 - e / 2.0], &[3.0]]);
        let rp = kth_neighbour_sq(&p, 1);
        assert_eq!(rp, naive_kth(&p, 1));
        assert_eq!(rp[0], f64::from(e).powi(2));
        let rq = vec![1e-30; q.len()];
        let c = cross(&p, Some(&rp), &q, Some(&rq));
        assert_eq!(c, naive_cross(&p, &rp, &q, &rq));
        assert_eq!(c.q_in_p_balls[..2], [0, 1]);
        // The f32 estimate alone gets the edge point wrong one way or the other: its value for
        // the edge pair and for the inside pair cannot be told apart from the radius.
        let (vp, vq) = (p.centred(&[0.0]), q.centred(&[0.0]));
        let f32_sq = |j: usize| vp.norms32[0] + vq.norms32[j] - 2.0 * (vp.rows32[0] * vq.rows32[j]);
        assert_eq!(f32_sq(0) < rp[0] as f32, f32_sq(1) < rp[0] as f32);
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

    #[test]
    fn best_similarity_equals_the_f64_maximum() {
        let (q, g) = (cloud(150, 24, 3).normalised(), cloud(700, 24, 5).normalised());
        let s = best_similarity(&q, &g);
        for (i, got) in s.iter().enumerate() {
            let want = all_sq(&q, i, &g)
                .iter()
                .enumerate()
                .map(|(j, sq)| (q.norms[i] + g.norms[j] - sq) / 2.0)
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(got.to_bits(), want.to_bits(), "query {i}");
        }
    }
}
