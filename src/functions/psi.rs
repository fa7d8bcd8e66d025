//! `psi(p, q [, alpha])`: population stability index between two histograms.

use super::hist_args::hist_udf;
use super::histogram::{align, proportions};

/// PSI(P, Q) = Σ (P_i − Q_i) ln(P_i / Q_i) = KL(P‖Q) + KL(Q‖P), after adding `alpha` to every
/// count. +∞ when exactly one side has no mass on a value; `None` when a histogram is empty.
pub fn population_stability(p: &[f64], q: &[f64], alpha: f64) -> Option<f64> {
    let p = proportions(p, alpha)?;
    let q = proportions(q, alpha)?;
    let mut sum = 0.0;
    for (a, b) in p.iter().zip(&q) {
        match (*a > 0.0, *b > 0.0) {
            (true, true) => sum += (a - b) * (a / b).ln(),
            (false, false) => {}
            _ => return Some(f64::INFINITY),
        }
    }
    Some(sum)
}

hist_udf!(
    /// The `psi(p, q [, alpha])` scalar function.
    Psi,
    "psi",
    ["p", "q", "alpha"],
    2,
    2,
    false,
    |h, x| {
        let (p, q) = align(&h[0], &h[1]);
        Ok(population_stability(&p, &q, x.first().copied().unwrap_or(0.0)))
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::kl_div::kl_divergence;

    #[test]
    fn psi_is_the_symmetrised_kl() {
        let (p, q) = ([3.0, 1.0, 2.0], [1.0, 1.0, 4.0]);
        let psi = population_stability(&p, &q, 0.0).unwrap();
        let kl = kl_divergence(&p, &q, 0.0).unwrap() + kl_divergence(&q, &p, 0.0).unwrap();
        assert!((psi - kl).abs() < 1e-15);
        assert_eq!(
            population_stability(&[1.0, 0.0], &[1.0, 1.0], 0.0),
            Some(f64::INFINITY)
        );
        assert!(
            population_stability(&[1.0, 0.0], &[1.0, 1.0], 0.5)
                .unwrap()
                .is_finite()
        );
    }
}
