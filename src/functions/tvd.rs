//! `tvd(p, q)`: total variation distance between two histograms (0 to 1).

use super::hist_args::hist_udf;
use super::histogram::{align, proportions};

/// TVD(P, Q) = ½ Σ |P_i − Q_i|; `None` when a histogram is empty.
pub fn total_variation(p: &[f64], q: &[f64]) -> Option<f64> {
    let p = proportions(p, 0.0)?;
    let q = proportions(q, 0.0)?;
    Some(p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum::<f64>() / 2.0)
}

hist_udf!(
    /// The `tvd(p, q)` scalar function.
    Tvd,
    "tvd",
    ["p", "q"],
    2,
    2,
    false,
    |h, _| {
        let (p, q) = align(&h[0], &h[1]);
        Ok(total_variation(&p, &q))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_l1_distance_of_proportions() {
        assert_eq!(total_variation(&[1.0, 0.0], &[0.0, 7.0]), Some(1.0));
        assert_eq!(total_variation(&[3.0, 1.0], &[1.0, 1.0]), Some(0.25));
        assert_eq!(total_variation(&[0.0], &[1.0]), None);
    }
}
