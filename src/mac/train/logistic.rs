//! One attribute head: L2-regularised logistic regression (linfa-logistic, L-BFGS), balanced
//! between the classes, on the reduced features of [`super::reduce`].

use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

/// A fitted head on the reduced features.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// One coefficient per reduced feature.
    pub beta: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
}

impl Head {
    /// The probability of the positive class for one row of reduced features.
    pub fn probability(&self, row: &[f64]) -> f64 {
        let z: f64 = self.intercept + row.iter().zip(&self.beta).map(|(a, b)| a * b).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// The most copies of a minority-class image used to balance the classes.
const MAX_COPIES: usize = 50;

/// Fits a head on `rows` of `z` (each `n` values) with labels `labels[row]` and L2 strength
/// `alpha` (scikit-learn's `C` = 1 / alpha). The classes are balanced by repeating each image of
/// the smaller class (the loss then weighs both classes alike, as `class_weight = "balanced"`).
pub fn fit(z: &[f64], n: usize, rows: &[usize], labels: &[bool], alpha: f64) -> Result<Head, String> {
    let pos = rows.iter().filter(|&&r| labels[r]).count();
    let neg = rows.len() - pos;
    if pos == 0 || neg == 0 {
        return Err("a training fold holds only one class".into());
    }
    let minority = pos < neg;
    let copies = ((pos.max(neg) as f64 / pos.min(neg) as f64).round() as usize).clamp(1, MAX_COPIES);
    let mut picked = Vec::with_capacity(rows.len() * 2);
    for &r in rows {
        let k = if labels[r] == minority { copies } else { 1 };
        picked.extend(std::iter::repeat_n(r, k));
    }
    let mut x = Array2::<f64>::zeros((picked.len(), n));
    for (i, &r) in picked.iter().enumerate() {
        x.row_mut(i)
            .assign(&ndarray::ArrayView1::from(&z[r * n..(r + 1) * n]));
    }
    let y: Array1<bool> = picked.iter().map(|&r| labels[r]).collect();
    let model = LogisticRegression::default()
        .alpha(alpha)
        .max_iterations(300)
        .gradient_tolerance(1e-5)
        .fit(&Dataset::new(x, y))
        .map_err(|e| e.to_string())?;
    // linfa orders the two classes itself: `true` may be its negative class.
    let positive_is_true = model.labels().pos.class;
    let sign = if positive_is_true { 1.0 } else { -1.0 };
    Ok(Head {
        beta: model.params().iter().map(|v| sign * v).collect(),
        intercept: sign * model.intercept(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_a_separable_attribute_and_balances_rare_classes() {
        // 2 features; the attribute is x0 > 0.75 (4 positives in 40: balanced by copies), with
        // a gap between the classes.
        let n = 2;
        let pts: Vec<[f64; 2]> = (0..40)
            .map(|i| {
                let x0 = if i % 10 == 0 { 0.9 } else { (i % 10) as f64 / 15.0 };
                [x0, ((i * 7) % 13) as f64 / 13.0]
            })
            .collect();
        let labels: Vec<bool> = pts.iter().map(|p| p[0] > 0.75).collect();
        let z: Vec<f64> = pts.iter().flatten().copied().collect();
        let rows: Vec<usize> = (0..40).collect();
        let head = fit(&z, n, &rows, &labels, 0.01).unwrap();
        for (p, l) in pts.iter().zip(&labels) {
            assert_eq!(head.probability(p) > 0.5, *l, "{p:?}");
        }
        assert!(head.beta[0] > 0.0 && head.beta[0].abs() > head.beta[1].abs());
        assert!(fit(&z, n, &[1, 2, 3], &labels, 1.0).is_err(), "one class only");
    }
}
