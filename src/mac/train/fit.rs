//! One attribute's head, cross-validated: L2 strength by inner cross-validation, ROC AUC and
//! balanced accuracy on the outer held-out folds, the reliability band chosen on held-out
//! predictions, and the final head on every labelled image.
//!
//! All fits of one attribute share one change of basis ([`super::reduce`]): the Cholesky
//! factor of the Gram matrix of its labelled images, so each fit has as many features as images.

use super::logistic::{self, Head};
use super::metrics::{self, BandChoice};
use super::reduce;

/// The L2 strengths tried (scikit-learn's C = 1 / alpha: 0.0001, 0.001, 0.01, 0.1, 1). Most
/// heads of the default bundle choose C = 0.001 or less: thousands of features, hundreds of images.
pub const ALPHAS: [f64; 5] = [10_000.0, 1000.0, 100.0, 10.0, 1.0];

/// Inner folds that choose the L2 strength (and the band and threshold of each outer fold).
const INNER_FOLDS: usize = 3;

/// A band side needs this many held-out images.
pub const MIN_SIDE: usize = 10;

/// Settings of a fit.
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    /// Outer folds.
    pub folds: usize,
    /// Precision the bands must reach.
    pub precision: f64,
    /// Seed of the fold shuffles.
    pub seed: u64,
}

/// A cross-validated head.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// ROC AUC on each outer held-out fold.
    pub fold_auc: Vec<f64>,
    /// Balanced accuracy on the outer folds, at thresholds tuned on their training images.
    pub balanced_accuracy: f64,
    /// Balanced accuracy at p = 0.5.
    pub balanced_accuracy_half: f64,
    /// Accuracy of always answering the majority class.
    pub baseline: f64,
    /// The band chosen on the held-out predictions of the final strength (applied to the head).
    pub band: BandChoice,
    /// The nested measure of the bands: each outer fold's band chosen on its training images'
    /// inner folds, applied to the fold: (coverage, precision of 1, precision of -1).
    pub nested_band: (f64, f64, f64),
    /// The L2 strength of the final head.
    pub alpha: f64,
    /// The final head's weights on the standardised features, and its intercept.
    pub weights: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
    /// Positives and negatives.
    pub counts: (usize, usize),
}

impl Fitted {
    /// Mean and (population) deviation of the fold AUCs.
    pub fn auc(&self) -> (f64, f64) {
        let n = self.fold_auc.len().max(1) as f64;
        let m = self.fold_auc.iter().sum::<f64>() / n;
        let v = self.fold_auc.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / n;
        (m, v.sqrt())
    }
}

/// Held-out probabilities of `rows` (indices into the reduced rows `l`, `n` wide) from `k`-fold
/// cross-validation at each strength: (`probs[alpha][i]` for rows[i], mean AUC per strength).
fn cross_validate(
    l: &[f64],
    n: usize,
    rows: &[usize],
    y: &[bool],
    k: usize,
    seed: u64,
) -> Result<(Vec<Vec<f64>>, Vec<f64>), String> {
    let ys: Vec<bool> = rows.iter().map(|&r| y[r]).collect();
    let folds = metrics::stratified_folds(&ys, k, seed);
    let mut probs = vec![vec![0.0; rows.len()]; ALPHAS.len()];
    let mut aucs = vec![0.0; ALPHAS.len()];
    for f in 0..k {
        let train: Vec<usize> = rows
            .iter()
            .zip(&folds)
            .filter(|(_, g)| **g != f)
            .map(|(r, _)| *r)
            .collect();
        let test: Vec<usize> = (0..rows.len()).filter(|&i| folds[i] == f).collect();
        for (a, alpha) in ALPHAS.iter().enumerate() {
            let head = logistic::fit(l, n, &train, y, *alpha)?;
            let p: Vec<f64> = test.iter().map(|&i| predict(&head, l, n, rows[i])).collect();
            let t: Vec<bool> = test.iter().map(|&i| ys[i]).collect();
            aucs[a] += metrics::roc_auc(&p, &t).unwrap_or(0.5) / k as f64;
            for (&i, v) in test.iter().zip(p) {
                probs[a][i] = v;
            }
        }
    }
    Ok((probs, aucs))
}

fn predict(head: &Head, l: &[f64], n: usize, row: usize) -> f64 {
    head.probability(&l[row * n..(row + 1) * n])
}

fn best(aucs: &[f64]) -> usize {
    (0..aucs.len())
        .max_by(|&a, &b| aucs[a].total_cmp(&aucs[b]))
        .unwrap_or(0)
}

/// The threshold with the best balanced accuracy on `probs`.
fn best_threshold(probs: &[f64], labels: &[bool]) -> f64 {
    let mut cands: Vec<f64> = probs.to_vec();
    cands.sort_by(f64::total_cmp);
    cands.dedup();
    cands
        .iter()
        .copied()
        .max_by(|a, b| {
            metrics::balanced_accuracy(probs, labels, *a)
                .total_cmp(&metrics::balanced_accuracy(probs, labels, *b))
        })
        .unwrap_or(0.5)
}

/// Fits one attribute on the standardised features `z` (`d` wide, one row per image) whose
/// Gram matrix over all images is `gram` (`total` x `total`), for the images `rows` with labels
/// `labels[i]` (for `rows[i]`).
pub fn fit(
    z: &[f64],
    d: usize,
    gram: &[f64],
    total: usize,
    rows: &[usize],
    labels: &[bool],
    opts: FitOptions,
) -> Result<Fitted, String> {
    let n = rows.len();
    let l = reduce::cholesky(reduce::submatrix(gram, total, rows), n, 1e-6);
    // Rows of `l` are the images in `rows` order: index them 0..n.
    let all: Vec<usize> = (0..n).collect();
    let folds = metrics::stratified_folds(labels, opts.folds, opts.seed);
    let mut fold_auc = Vec::new();
    let (mut held_p, mut held_y, mut held_t) = (Vec::new(), Vec::new(), Vec::new());
    let mut nested = (0usize, 0usize, 0usize, 0usize, 0usize); // covered, pos, pos ok, neg, neg ok
    for f in 0..opts.folds {
        let train: Vec<usize> = all.iter().copied().filter(|&i| folds[i] != f).collect();
        let test: Vec<usize> = all.iter().copied().filter(|&i| folds[i] == f).collect();
        let (probs, aucs) = cross_validate(&l, n, &train, labels, INNER_FOLDS, opts.seed + 1 + f as u64)?;
        let a = best(&aucs);
        let inner_y: Vec<bool> = train.iter().map(|&i| labels[i]).collect();
        let threshold = best_threshold(&probs[a], &inner_y);
        let band = metrics::band(
            &probs[a],
            &inner_y,
            opts.precision,
            MIN_SIDE.min(train.len() / 10).max(1),
        );
        let head = logistic::fit(&l, n, &train, labels, ALPHAS[a])?;
        let p: Vec<f64> = test.iter().map(|&i| predict(&head, &l, n, i)).collect();
        let t: Vec<bool> = test.iter().map(|&i| labels[i]).collect();
        fold_auc.push(metrics::roc_auc(&p, &t).unwrap_or(0.5));
        for (pi, ti) in p.iter().zip(&t) {
            let pos = band.precision_pos.is_finite() && *pi >= band.hi;
            let neg = !pos && band.precision_neg.is_finite() && *pi <= band.lo;
            nested.0 += usize::from(pos || neg);
            nested.1 += usize::from(pos);
            nested.2 += usize::from(pos && *ti);
            nested.3 += usize::from(neg);
            nested.4 += usize::from(neg && !*ti);
        }
        held_t.extend(std::iter::repeat_n(threshold, p.len()));
        held_p.extend(p);
        held_y.extend(t);
    }
    let balanced_accuracy =
        metrics::balanced_accuracy_of(held_p.iter().zip(&held_t).map(|(p, t)| p >= t), &held_y);
    let balanced_accuracy_half = metrics::balanced_accuracy(&held_p, &held_y, 0.5);
    // The final head: strength by cross-validation on every image, band on its held-out
    // predictions, then one fit on everything.
    let (probs, aucs) = cross_validate(&l, n, &all, labels, opts.folds, opts.seed)?;
    let a = best(&aucs);
    let band = metrics::band(&probs[a], labels, opts.precision, MIN_SIDE);
    let head = logistic::fit(&l, n, &all, labels, ALPHAS[a])?;
    let zs: Vec<f64> = rows
        .iter()
        .flat_map(|&r| z[r * d..(r + 1) * d].iter().copied())
        .collect();
    let weights = reduce::weights(&zs, d, &l, &head.beta);
    let pos = labels.iter().filter(|v| **v).count();
    let ratio = |a: usize, b: usize| if b == 0 { f64::NAN } else { a as f64 / b as f64 };
    Ok(Fitted {
        fold_auc,
        balanced_accuracy,
        balanced_accuracy_half,
        baseline: metrics::majority_baseline(labels),
        band,
        nested_band: (
            ratio(nested.0, n),
            ratio(nested.2, nested.1),
            ratio(nested.4, nested.3),
        ),
        alpha: ALPHAS[a],
        weights,
        intercept: head.intercept,
        counts: (pos, n - pos),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learnable_attribute_gets_a_high_auc_and_a_band() {
        // 120 images, 30 features; the attribute is the sign of feature 0 plus noise from the
        // others.
        let (n, d) = (120, 30);
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f64 / (1u64 << 31) as f64) - 0.5
        };
        let z: Vec<f64> = (0..n * d).map(|_| rnd()).collect();
        let labels: Vec<bool> = (0..n).map(|i| z[i * d] + 0.1 * z[i * d + 1] > 0.0).collect();
        let g = reduce::gram(&z, d);
        let rows: Vec<usize> = (0..n).collect();
        let f = fit(
            &z,
            d,
            &g,
            n,
            &rows,
            &labels,
            FitOptions {
                folds: 3,
                precision: 0.9,
                seed: 1,
            },
        )
        .unwrap();
        assert!(f.auc().0 > 0.85, "{:?}", f.fold_auc);
        assert!(f.balanced_accuracy > 0.75);
        assert!(f.band.reached);
        assert_eq!(f.weights.len(), d);
        // Feature 0 carries the attribute.
        let top = (0..d).max_by(|&a, &b| f.weights[a].abs().total_cmp(&f.weights[b].abs()));
        assert_eq!(top, Some(0));
    }
}
