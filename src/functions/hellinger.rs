//! `hellinger(p, q)`: Hellinger distance between two histograms (0 to 1).

use super::hist_args::hist_udf;
use super::histogram::{align, proportions};

/// H(P, Q) = sqrt(½ Σ (√P_i − √Q_i)²); 0 for identical, 1 for disjoint distributions.
/// `None` when a histogram is empty.
pub fn hellinger_distance(p: &[f64], q: &[f64]) -> Option<f64> {
    let p = proportions(p, 0.0)?;
    let q = proportions(q, 0.0)?;
    let sum: f64 = p.iter().zip(&q).map(|(a, b)| (a.sqrt() - b.sqrt()).powi(2)).sum();
    Some((sum / 2.0).sqrt())
}

hist_udf!(
    /// The `hellinger(p, q)` scalar function.
    Hellinger,
    "hellinger",
    ["p", "q"],
    2,
    2,
    false,
    |h, _| {
        let (p, q) = align(&h[0], &h[1]);
        Ok(hellinger_distance(&p, &q))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(hellinger_distance(&[1.0, 0.0], &[0.0, 1.0]), Some(1.0));
        assert_eq!(hellinger_distance(&[1.0, 1.0], &[5.0, 5.0]), Some(0.0));
        // P = (1, 0), Q = (1/2, 1/2): sqrt(½ ((1 − √½)² + ½)) = sqrt(1 − √½).
        let h = hellinger_distance(&[1.0, 0.0], &[1.0, 1.0]).unwrap();
        assert!((h - (1.0 - 0.5f64.sqrt()).sqrt()).abs() < 1e-15);
    }
}
