//! `js_div(p, q)`: Jensen-Shannon divergence in nats between two histograms (at most ln 2).

use super::hist_args::hist_udf;
use super::histogram::{align, proportions};

/// JS(P, Q) = ½ KL(P‖M) + ½ KL(Q‖M) with M = (P + Q) / 2, in nats; symmetric, finite, ≤ ln 2.
/// Equals `scipy.spatial.distance.jensenshannon(p, q) ** 2`. `None` when a histogram is empty.
pub fn js_divergence(p: &[f64], q: &[f64]) -> Option<f64> {
    let p = proportions(p, 0.0)?;
    let q = proportions(q, 0.0)?;
    let mut sum = 0.0;
    for (pi, qi) in p.iter().zip(&q) {
        let m = (pi + qi) / 2.0;
        if *pi > 0.0 {
            sum += pi * (pi / m).ln();
        }
        if *qi > 0.0 {
            sum += qi * (qi / m).ln();
        }
    }
    Some((sum / 2.0).max(0.0))
}

hist_udf!(
    /// The `js_div(p, q)` scalar function.
    JsDiv,
    "js_div",
    ["p", "q"],
    2,
    2,
    false,
    |h, _| {
        let (p, q) = align(&h[0], &h[1]);
        Ok(js_divergence(&p, &q))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjoint_supports_reach_ln_2() {
        let js = js_divergence(&[3.0, 0.0], &[0.0, 5.0]).unwrap();
        assert!((js - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn symmetric_and_zero_on_identical() {
        assert_eq!(js_divergence(&[1.0, 2.0], &[2.0, 4.0]), Some(0.0));
        let a = js_divergence(&[1.0, 2.0, 0.0], &[3.0, 1.0, 1.0]).unwrap();
        let b = js_divergence(&[3.0, 1.0, 1.0], &[1.0, 2.0, 0.0]).unwrap();
        assert!((a - b).abs() < 1e-16);
        assert_eq!(js_divergence(&[], &[1.0]), None);
    }
}
