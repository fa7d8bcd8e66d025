//! `hist_entropy(p)`: Shannon entropy of a histogram in nats.

use super::hist_args::hist_udf;
use super::histogram::proportions;

/// H(P) = −Σ P_i ln P_i in nats (as `scipy.stats.entropy(p)`); `None` for an empty histogram.
pub fn entropy(counts: &[f64]) -> Option<f64> {
    let p = proportions(counts, 0.0)?;
    // fold from +0.0: an empty f64 `sum()` is -0.0, which would print as "-0.0".
    Some(p.iter().filter(|x| **x > 0.0).fold(0.0, |h, x| h - x * x.ln()))
}

hist_udf!(
    /// The `hist_entropy(p)` scalar function.
    HistEntropy,
    "hist_entropy",
    ["p"],
    1,
    1,
    false,
    |h, _| {
        let counts: Vec<f64> = h[0].iter().map(|(_, c)| *c).collect();
        Ok(entropy(&counts))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_and_single_value() {
        assert!((entropy(&[2.0, 2.0, 2.0, 2.0]).unwrap() - 4f64.ln()).abs() < 1e-15);
        assert_eq!(entropy(&[5.0]), Some(0.0));
        assert_eq!(entropy(&[]), None);
    }
}
