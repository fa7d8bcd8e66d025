//! Measures of a head on held-out images (pure functions): ROC AUC, balanced accuracy, the
//! majority baseline, the reliability band that reaches a precision, and stratified folds.

/// ROC AUC of `scores` for binary `labels` (the probability that a random positive scores above a
/// random negative, ties counting half); `None` without both classes.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mann-Whitney U with mid-ranks for ties.
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if labels[k] {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    let pos = labels.iter().filter(|l| **l).count() as f64;
    let neg = labels.len() as f64 - pos;
    (pos > 0.0 && neg > 0.0).then(|| (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Mean of the true-positive and true-negative rates of `p >= threshold`.
pub fn balanced_accuracy(probs: &[f64], labels: &[bool], threshold: f64) -> f64 {
    balanced_accuracy_of(probs.iter().map(|p| *p >= threshold), labels)
}

/// Mean of the true-positive and true-negative rates of the `predicted` labels.
pub fn balanced_accuracy_of(predicted: impl IntoIterator<Item = bool>, labels: &[bool]) -> f64 {
    let (mut tp, mut pos, mut tn, mut neg) = (0.0, 0.0, 0.0, 0.0);
    for (p, l) in predicted.into_iter().zip(labels) {
        if *l {
            pos += 1.0;
            tp += f64::from(u8::from(p));
        } else {
            neg += 1.0;
            tn += f64::from(u8::from(!p));
        }
    }
    let rate = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    (rate(tp, pos) + rate(tn, neg)) / 2.0
}

/// The accuracy of always answering the more frequent class.
pub fn majority_baseline(labels: &[bool]) -> f64 {
    let pos = labels.iter().filter(|l| **l).count();
    pos.max(labels.len() - pos) as f64 / labels.len().max(1) as f64
}

/// A reliability band chosen on held-out predictions: label 1 at `p >= hi`, -1 at `p <= lo`,
/// 0 between (MAAD-Face's "the classifier is not reliable here").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandChoice {
    /// The highest probability at which predicted negatives (`p <= lo`) reach the precision.
    pub lo: f64,
    /// The lowest probability at which predicted positives (`p >= hi`) reach the precision.
    pub hi: f64,
    /// Share of images labelled 1 or -1.
    pub coverage: f64,
    /// Precision of `p >= hi` (positives correct).
    pub precision_pos: f64,
    /// Negative predictive value of `p <= lo`.
    pub precision_neg: f64,
    /// Whether both sides reached the target with at least one image.
    pub reached: bool,
}

/// The band reaching `target` precision on both sides: `hi` is the lowest threshold whose
/// predicted positives (p >= hi) are at least `target` correct, `lo` the highest whose predicted
/// negatives (p <= lo) are. Each side needs at least `min_side` images; when a side cannot
/// reach the target its threshold is the extreme (1 or 0) and `reached` is false.
pub fn band(probs: &[f64], labels: &[bool], target: f64, min_side: usize) -> BandChoice {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    // Positives side: walk down from the highest probability; the band may start at any point
    // where the precision of everything above holds (the lowest such threshold wins).
    let (mut hi, mut npos, mut prec_pos) = (1.0f64, 0usize, f64::NAN);
    let mut correct = 0usize;
    for (k, &i) in order.iter().enumerate() {
        correct += usize::from(labels[i]);
        let n = k + 1;
        let last_of_tie = k + 1 == order.len() || probs[order[k + 1]] != probs[i];
        if last_of_tie && n >= min_side && correct as f64 >= target * n as f64 {
            hi = probs[i];
            npos = n;
            prec_pos = correct as f64 / n as f64;
        }
    }
    let (mut lo, mut nneg, mut prec_neg) = (0.0f64, 0usize, f64::NAN);
    let mut correct = 0usize;
    for (k, &i) in order.iter().rev().enumerate() {
        correct += usize::from(!labels[i]);
        let n = k + 1;
        let next = order.len().checked_sub(k + 2).map(|j| probs[order[j]]);
        let last_of_tie = next.is_none_or(|p| p != probs[i]);
        if last_of_tie && n >= min_side && correct as f64 >= target * n as f64 {
            lo = probs[i];
            nneg = n;
            prec_neg = correct as f64 / n as f64;
        }
    }
    // Overlapping sides (a very separable attribute): split at the middle of the overlap.
    if npos > 0 && nneg > 0 && lo >= hi {
        let mid = (lo + hi) / 2.0;
        hi = mid;
        lo = mid;
    }
    let covered = probs
        .iter()
        .filter(|p| (npos > 0 && **p >= hi) || (nneg > 0 && **p <= lo))
        .count();
    BandChoice {
        lo,
        hi,
        coverage: covered as f64 / probs.len().max(1) as f64,
        precision_pos: prec_pos,
        precision_neg: prec_neg,
        reached: npos > 0 && nneg > 0,
    }
}

/// `k` folds stratified by label, shuffled with `seed`: fold index of each image.
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // SplitMix64.
        rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut fold = vec![0; labels.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        for i in (1..members.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            members.swap(i, j);
        }
        for (r, &i) in members.iter().enumerate() {
            fold[i] = r % k.max(1);
        }
    }
    fold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_known_rankings() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.3, 0.4], &labels), Some(1.0));
        assert_eq!(roc_auc(&[0.4, 0.3, 0.2, 0.1], &labels), Some(0.0));
        // sklearn.metrics.roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.75
        assert_eq!(roc_auc(&[0.1, 0.4, 0.35, 0.8], &labels), Some(0.75));
        // Ties count half: roc_auc_score([0,1], [0.5,0.5]) = 0.5
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(roc_auc(&[0.5, 0.6], &[true, true]), None);
    }

    #[test]
    fn balanced_accuracy_and_baseline() {
        let labels = [true, true, false, false, false, false];
        let probs = [0.9, 0.4, 0.1, 0.2, 0.6, 0.3];
        // TPR 1/2, TNR 3/4.
        assert_eq!(balanced_accuracy(&probs, &labels, 0.5), 0.625);
        assert!((majority_baseline(&labels) - 4.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn band_reaches_the_precision_on_both_sides() {
        // Probabilities 0.0, 0.1, ..., 0.9 with positives above 0.45 except one false positive
        // at 0.7 and a false negative at 0.2.
        let probs: Vec<f64> = (0..10).map(|i| i as f64 / 10.0).collect();
        let labels = [false, false, true, false, false, true, true, false, true, true];
        let b = band(&probs, &labels, 0.75, 2);
        // From the top: 0.9 (1/1), 0.8 (2/2), 0.7 (2/3), 0.6 (3/4), 0.5 (4/5), then below 0.75.
        assert_eq!(b.hi, 0.5);
        assert!((b.precision_pos - 0.8).abs() < 1e-12);
        // From the bottom: 0.0, 0.1 (2/2), 0.2 (2/3), 0.3 (3/4), 0.4 (4/5): lo = 0.4.
        assert_eq!(b.lo, 0.4);
        assert!(b.reached && b.coverage == 1.0);
        // An unreachable target leaves the side open.
        let strict = band(&probs, &labels, 1.0, 3);
        assert_eq!(strict.hi, 1.0);
        assert!(!strict.reached);
    }

    #[test]
    fn folds_are_stratified_and_reproducible() {
        let labels: Vec<bool> = (0..100).map(|i| i % 5 == 0).collect();
        let f = stratified_folds(&labels, 5, 7);
        for k in 0..5 {
            let pos = (0..100).filter(|&i| f[i] == k && labels[i]).count();
            let all = (0..100).filter(|&i| f[i] == k).count();
            assert_eq!((pos, all), (4, 20));
        }
        assert_eq!(f, stratified_folds(&labels, 5, 7));
        assert_ne!(f, stratified_folds(&labels, 5, 8));
    }
}
