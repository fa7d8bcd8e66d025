//! `kl_div(p, q [, alpha])`: Kullback-Leibler divergence KL(P‖Q) in nats between two histograms.

use super::hist_args::hist_udf;
use super::histogram::{align, proportions};

/// KL(P‖Q) = Σ P_i ln(P_i / Q_i) over the union of values, after adding `alpha` to every count
/// (Lidstone smoothing; 0 = exact). `None` when either histogram has no mass; +∞ when Q has no
/// mass on a value that P has (as `scipy.stats.entropy(p, q)`).
pub fn kl_divergence(p: &[f64], q: &[f64], alpha: f64) -> Option<f64> {
    let p = proportions(p, alpha)?;
    let q = proportions(q, alpha)?;
    let mut sum = 0.0;
    for (pi, qi) in p.iter().zip(&q) {
        if *pi > 0.0 {
            if *qi == 0.0 {
                return Some(f64::INFINITY);
            }
            sum += pi * (pi / qi).ln();
        }
    }
    Some(sum)
}

hist_udf!(
    /// The `kl_div(p, q [, alpha])` scalar function.
    KlDiv,
    "kl_div",
    ["p", "q", "alpha"],
    2,
    2,
    false,
    |h, x| {
        let (p, q) = align(&h[0], &h[1]);
        Ok(kl_divergence(&p, &q, x.first().copied().unwrap_or(0.0)))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_have_zero_divergence() {
        assert_eq!(kl_divergence(&[1.0, 3.0], &[2.0, 6.0], 0.0), Some(0.0));
    }

    #[test]
    fn missing_mass_in_q_is_infinite_unless_smoothed() {
        assert_eq!(kl_divergence(&[1.0, 1.0], &[2.0, 0.0], 0.0), Some(f64::INFINITY));
        // P = (1/2, 1/2), Q = (3/4, 1/4) after alpha = 1: ln(2/3)/2 + ln(2)/2.
        let k = kl_divergence(&[1.0, 1.0], &[2.0, 0.0], 1.0).unwrap();
        let expected = 0.5 * (0.5f64 / 0.75).ln() + 0.5 * (0.5f64 / 0.25).ln();
        assert!((k - expected).abs() < 1e-15);
        // Zero mass in P costs nothing.
        let k = kl_divergence(&[0.0, 2.0], &[1.0, 1.0], 0.0).unwrap();
        assert!((k - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn empty_histograms_are_undefined() {
        assert_eq!(kl_divergence(&[], &[], 0.0), None);
        assert_eq!(kl_divergence(&[0.0], &[1.0], 0.0), None);
    }
}
