//! `wasserstein(p, q)`: 1-D Wasserstein (earth mover's) distance between numeric histograms.

use datafusion::common::exec_err;

use super::hist_args::hist_udf;
use super::histogram::{Key, align_with_keys, proportions};

/// W1(P, Q) = Σ_i |F_P(k_i) − F_Q(k_i)| (k_{i+1} − k_i) over the sorted union of keys, where F is
/// the cumulative proportion (as `scipy.stats.wasserstein_distance(keys, keys, p, q)`).
/// `None` when a histogram is empty.
pub fn wasserstein_distance(keys: &[f64], p: &[f64], q: &[f64]) -> Option<f64> {
    let p = proportions(p, 0.0)?;
    let q = proportions(q, 0.0)?;
    let (mut fp, mut fq, mut sum) = (0.0, 0.0, 0.0);
    for i in 0..keys.len().saturating_sub(1) {
        fp += p[i];
        fq += q[i];
        sum += (fp - fq).abs() * (keys[i + 1] - keys[i]);
    }
    Some(sum)
}

hist_udf!(
    /// The `wasserstein(p, q)` scalar function.
    Wasserstein,
    "wasserstein",
    ["p", "q"],
    2,
    2,
    true,
    |h, _| {
        let (keys, p, q) = align_with_keys(&h[0], &h[1]);
        let mut xs = Vec::with_capacity(keys.len());
        for k in &keys {
            match k.as_f64() {
                Some(x) if x.is_finite() => xs.push(x),
                _ => {
                    let k: &Key = k;
                    return exec_err!("wasserstein: histogram keys must be finite numbers, got {k:?}");
                }
            }
        }
        Ok(wasserstein_distance(&xs, &p, &q))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_masses_are_their_distance_apart() {
        assert_eq!(
            wasserstein_distance(&[1.0, 4.0], &[2.0, 0.0], &[0.0, 3.0]),
            Some(3.0)
        );
        assert_eq!(wasserstein_distance(&[1.0], &[2.0], &[3.0]), Some(0.0));
        // Half the mass moves by 2.
        assert_eq!(
            wasserstein_distance(&[0.0, 2.0], &[1.0, 1.0], &[0.0, 1.0]),
            Some(1.0)
        );
    }
}
