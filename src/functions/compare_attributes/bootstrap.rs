//! Seeded bootstrap confidence intervals for KL divergences between two histograms.
//!
//! Each replicate redraws both samples from their observed proportions (a multinomial draw of
//! the same size, which is what resampling rows with replacement does to one attribute's
//! histogram) and recomputes KL(P‖Q) and KL(Q‖P).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::functions::kl_div::kl_divergence;

/// A 95% percentile interval `(low, high)` for KL(P‖Q) and one for KL(Q‖P).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KlIntervals {
    /// Interval for KL(P‖Q).
    pub pq: (f64, f64),
    /// Interval for KL(Q‖P).
    pub qp: (f64, f64),
}

/// A stable 64-bit seed for one comparison (FNV-1a over the parts), so that a pair's interval
/// does not depend on which other attributes or datasets were compared in the same call.
pub fn pair_seed(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A standard normal deviate (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A Gamma(shape, 1) deviate for shape >= 1 (Marsaglia and Tsang, 2000).
fn gamma(rng: &mut StdRng, shape: f64) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.random::<f64>();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// An exact Binomial(n, p) deviate: Knuth's recursive halving through the Beta-distributed
/// order statistics (TAOCP 3.4.1), then Bernoulli trials once n is small. O(log n) gammas.
fn binomial(rng: &mut StdRng, mut n: u64, mut p: f64) -> u64 {
    let mut k = 0;
    while n > 64 {
        let a = 1 + n / 2;
        let b = n + 1 - a;
        let (ga, gb) = (gamma(rng, a as f64), gamma(rng, b as f64));
        let x = ga / (ga + gb);
        if x >= p {
            n = a - 1;
            p /= x;
        } else {
            k += a;
            n = b - 1;
            p = (p - x) / (1.0 - x);
        }
    }
    k + (0..n).filter(|_| rng.random::<f64>() < p).count() as u64
}

/// One multinomial draw of `n` items over `weights` (conditional binomials).
fn multinomial(rng: &mut StdRng, n: u64, weights: &[f64]) -> Vec<f64> {
    let mut left = n;
    let mut mass: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(weights.len());
    for w in weights {
        let p = if mass > 0.0 {
            (w / mass).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let x = if left == 0 || p == 0.0 {
            0
        } else if p >= 1.0 {
            left
        } else {
            binomial(rng, left, p)
        };
        out.push(x as f64);
        left -= x;
        mass -= w;
    }
    out
}

/// The `q`-quantile of sorted values, interpolated linearly (numpy's default); ∞ stays ∞.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos - pos.floor());
    let (a, b) = (sorted[i], sorted[(i + 1).min(sorted.len() - 1)]);
    if frac == 0.0 || a == b {
        a
    } else if b.is_infinite() {
        b
    } else {
        a + (b - a) * frac
    }
}

/// Bootstrap intervals from `replicates` redraws of samples of sizes `n_p` and `n_q` from the
/// proportions of the aligned `p` and `q`; KL computed with smoothing `alpha`.
pub fn kl_intervals(
    p: &[f64],
    q: &[f64],
    n_p: u64,
    n_q: u64,
    alpha: f64,
    replicates: usize,
    seed: u64,
) -> Option<KlIntervals> {
    if replicates == 0 || n_p == 0 || n_q == 0 {
        return None;
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut pq, mut qp) = (Vec::with_capacity(replicates), Vec::with_capacity(replicates));
    for _ in 0..replicates {
        let ps = multinomial(&mut rng, n_p, p);
        let qs = multinomial(&mut rng, n_q, q);
        pq.push(kl_divergence(&ps, &qs, alpha)?);
        qp.push(kl_divergence(&qs, &ps, alpha)?);
    }
    pq.sort_by(f64::total_cmp);
    qp.sort_by(f64::total_cmp);
    Some(KlIntervals {
        pq: (quantile(&pq, 0.025), quantile(&pq, 0.975)),
        qp: (quantile(&qp, 0.025), quantile(&qp, 0.975)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_interval_and_it_covers_the_estimate() {
        let (p, q) = ([300.0, 20.0, 680.0], [450.0, 10.0, 540.0]);
        let a = kl_intervals(&p, &q, 1000, 1000, 0.5, 200, 7).unwrap();
        let b = kl_intervals(&p, &q, 1000, 1000, 0.5, 200, 7).unwrap();
        assert_eq!(a, b);
        let c = kl_intervals(&p, &q, 1000, 1000, 0.5, 200, 8).unwrap();
        assert_ne!(a, c);
        let kl = kl_divergence(&p, &q, 0.5).unwrap();
        assert!(a.pq.0 < kl && kl < a.pq.1, "{a:?} vs {kl}");
        assert!(a.pq.0 > 0.0);
    }

    #[test]
    fn multinomial_draws_keep_the_total() {
        let mut rng = StdRng::seed_from_u64(1);
        let d = multinomial(&mut rng, 1000, &[1.0, 0.0, 3.0]);
        assert_eq!(d.iter().sum::<f64>(), 1000.0);
        assert_eq!(d[1], 0.0);
    }

    #[test]
    fn binomial_draws_have_the_right_mean_and_variance() {
        let mut rng = StdRng::seed_from_u64(3);
        let (n, p, reps) = (100_000u64, 0.3, 2000);
        let xs: Vec<f64> = (0..reps).map(|_| binomial(&mut rng, n, p) as f64).collect();
        let mean = xs.iter().sum::<f64>() / reps as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (reps - 1) as f64;
        // Mean 30000, sd 144.9: the mean of 2000 draws is within 4 standard errors (13).
        assert!((mean - 30_000.0).abs() < 13.0, "{mean}");
        // Variance 21000; its sampling sd with 2000 draws is about 664.
        assert!((var - 21_000.0).abs() < 2_700.0, "{var}");
        assert!(xs.iter().all(|x| *x >= 0.0 && *x <= n as f64));
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[1.0, f64::INFINITY], 0.975), f64::INFINITY);
        assert_eq!(pair_seed(1, &["a", "b"]), pair_seed(1, &["a", "b"]));
        assert_ne!(pair_seed(1, &["ab", ""]), pair_seed(1, &["a", "b"]));
    }
}
