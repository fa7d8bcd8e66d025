//! Standardising the training features (pure functions): per-feature mean and deviation, and
//! the rows scaled by them, so that one L2 strength suits every feature.

/// Per-feature mean and standard deviation over the rows of `x` (`n` rows of `d`), NaN values
/// left out; a constant (or never measured) feature gets a deviation of 1 (it standardises to 0).
pub fn moments(x: &[f32], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; d];
    let mut sq = vec![0.0; d];
    let mut count = vec![0usize; d];
    for row in x.chunks_exact(d) {
        for (k, v) in row.iter().enumerate() {
            if !v.is_nan() {
                let v = f64::from(*v);
                mean[k] += v;
                sq[k] += v * v;
                count[k] += 1;
            }
        }
    }
    let std = (0..d)
        .map(|k| {
            let c = count[k].max(1) as f64;
            mean[k] /= c;
            let var = (sq[k] / c - mean[k] * mean[k]).max(0.0);
            if var > 1e-12 { var.sqrt() } else { 1.0 }
        })
        .collect();
    (mean, std)
}

/// The rows of `x` standardised with `mean` and `std` (a NaN becomes 0: the mean).
pub fn standardise(x: &[f32], mean: &[f64], std: &[f64]) -> Vec<f32> {
    x.chunks_exact(mean.len())
        .flat_map(|row| {
            row.iter().zip(mean).zip(std).map(|((v, m), s)| {
                if v.is_nan() {
                    0.0
                } else {
                    ((f64::from(*v) - m) / s) as f32
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardised_columns_have_mean_0_and_deviation_1() {
        let x = [1.0f32, 5.0, 3.0, 5.0, 5.0, 5.0];
        let (m, s) = moments(&x, 2);
        assert_eq!(m, vec![3.0, 5.0]);
        assert_eq!(s[1], 1.0, "a constant column keeps scale 1");
        let z = standardise(&x, &m, &s);
        assert!((z[0] + 1.224_744_9).abs() < 1e-6 && z[1] == 0.0);
        let with_nan = standardise(&[f32::NAN, 5.0], &m, &s);
        assert_eq!(with_nan[0], 0.0, "a missing value is the mean");
    }
}
