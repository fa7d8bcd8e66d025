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
    /// Whether each side also reaches the target on every label source where it labels enough
    /// images (the `source_band` module); false for a band chosen on the pooled rows only.
    pub per_source: bool,
}

impl BandChoice {
    /// The label the band gives probability `p`: 1 at or above `hi`, -1 at or below `lo`
    /// (each only when that side reached the precision), 0 between.
    pub fn label(&self, p: f64) -> i8 {
        if self.precision_pos.is_finite() && p >= self.hi {
            1
        } else if self.precision_neg.is_finite() && p <= self.lo {
            -1
        } else {
            0
        }
    }
}

/// The margin a band side's precision needs: a side holds when the Wilson lower bound of its
/// precision at this z (one standard error) reaches the target. Choosing the lowest threshold
/// whose *observed* precision just reaches the target leaves the band's precision on new images
/// at about the target minus noise (nested figures of 0.71-0.90 for rare positives); the bound
/// asks more of small sides than of large ones. At z = 1.96 the nested precisions came out at
/// 0.90-0.95 but only 33 heads kept both sides (models/README.md).
pub const BAND_Z: f64 = 1.0;

/// The Wilson score lower bound of a proportion of `correct` in `n` at `z`.
pub fn wilson_lower(correct: usize, n: usize, z: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    let p = correct as f64 / n;
    let z2 = z * z;
    (p + z2 / (2.0 * n) - z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()) / (1.0 + z2 / n)
}

/// Where one side of a band starts: its threshold, the rows it labels and their precision.
#[derive(Debug, Clone, Copy)]
pub(super) struct SideStart {
    pub threshold: f64,
    pub n: usize,
    pub precision: f64,
}

/// The bar one side of a band must reach: [`BAND_Z`]'s Wilson bound of its precision at least
/// `target` on at least `min_side` rows, and, with `sources` (each row's label source and a
/// size), also on every source where the side labels at least that many rows.
pub(super) struct SideBar<'a> {
    pub probs: &'a [f64],
    pub sources: Option<(&'a [usize], usize)>,
    pub target: f64,
    pub min_side: usize,
}

impl SideBar<'_> {
    /// Walks `order` (the rows sorted from the side's extreme inwards) while `inside(p)`, and
    /// returns the start nearest the end of the walk (always after the last row of a tie) that
    /// reaches the bar, if any, with the number of rows walked. `correct(i)` says whether row i
    /// is right on this side.
    pub(super) fn walk(
        &self,
        order: &[usize],
        correct: impl Fn(usize) -> bool,
        inside: impl Fn(f64) -> bool,
    ) -> (Option<SideStart>, usize) {
        let n_sources = self
            .sources
            .map_or(0, |(s, _)| s.iter().max().map_or(0, |m| m + 1));
        let mut per = vec![(0usize, 0usize); n_sources];
        let (mut n, mut ok) = (0usize, 0usize);
        let mut best = None;
        for (k, &i) in order.iter().enumerate() {
            let p = self.probs[i];
            if !inside(p) {
                break;
            }
            let right = correct(i);
            n += 1;
            ok += usize::from(right);
            if let Some((sources, _)) = self.sources {
                let s = &mut per[sources[i]];
                s.0 += 1;
                s.1 += usize::from(right);
            }
            let last_of_tie = order.get(k + 1).is_none_or(|&j| self.probs[j] != p);
            let holds = |&(m, c): &(usize, usize)| {
                self.sources.is_none_or(|(_, min)| m < min) || wilson_lower(c, m, BAND_Z) >= self.target
            };
            if last_of_tie
                && n >= self.min_side
                && wilson_lower(ok, n, BAND_Z) >= self.target
                && per.iter().all(holds)
            {
                best = Some(SideStart {
                    threshold: p,
                    n,
                    precision: ok as f64 / n as f64,
                });
            }
        }
        (best, n)
    }
}

/// The band reaching `target` precision on both sides: `hi` is the lowest threshold whose
/// predicted positives (p >= hi) are `target` correct with confidence ([`BAND_Z`]: the Wilson
/// lower bound of their precision reaches `target`), `lo` the highest whose predicted negatives
/// (p <= lo) are. Each side needs at least `min_side` images; when a side cannot reach the
/// target its threshold is the extreme (1 or 0) and `reached` is false.
pub fn band(probs: &[f64], labels: &[bool], target: f64, min_side: usize) -> BandChoice {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let bar = SideBar {
        probs,
        sources: None,
        target,
        min_side,
    };
    // Positives side: walk down from the highest probability; the band may start at any point
    // where the precision of everything above holds (the lowest such threshold wins).
    let side = |s: Option<SideStart>, extreme: f64| {
        s.map_or((extreme, 0, f64::NAN), |s| (s.threshold, s.n, s.precision))
    };
    let (mut hi, npos, prec_pos) = side(bar.walk(&order, |i| labels[i], |_| true).0, 1.0);
    order.reverse();
    let (mut lo, nneg, prec_neg) = side(bar.walk(&order, |i| !labels[i], |_| true).0, 0.0);
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
        per_source: false,
    }
}

/// `k` folds stratified by label and grouped: rows of one group (one person) always share a
/// fold, so that no person is on both sides of a split. Groups are shuffled with `seed`, taken
/// largest positive count first, and each goes to the fold with the fewest positives so far
/// (then the fewest rows). With every row its own group this is a plain stratified split.
/// `groups[i]` is row i's group (any numbering); returns each row's fold.
pub fn grouped_folds(labels: &[bool], groups: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let k = k.max(1);
    let mut rng = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // SplitMix64.
        rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    // (group, positives, rows), in first-seen order.
    let mut index = std::collections::HashMap::new();
    let mut stats: Vec<(usize, usize, usize)> = Vec::new();
    for (&g, &l) in groups.iter().zip(labels) {
        let at = *index.entry(g).or_insert_with(|| {
            stats.push((g, 0, 0));
            stats.len() - 1
        });
        stats[at].1 += usize::from(l);
        stats[at].2 += 1;
    }
    for i in (1..stats.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        stats.swap(i, j);
    }
    stats.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)));
    let mut load = vec![(0usize, 0usize); k];
    let mut fold_of = std::collections::HashMap::new();
    for (g, pos, rows) in stats {
        let f = (0..k)
            .min_by_key(|&f| if pos > 0 { load[f] } else { (0, load[f].1) })
            .unwrap_or(0);
        load[f].0 += pos;
        load[f].1 += rows;
        fold_of.insert(g, f);
    }
    groups.iter().map(|g| fold_of[g]).collect()
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
    fn wilson_bound_matches_the_textbook_interval() {
        // 8 of 10 at 95%: (0.490, 0.943).
        assert!((wilson_lower(8, 10, 1.96) - 0.4902).abs() < 1e-4);
        // All correct: n / (n + z^2).
        assert!((wilson_lower(40, 40, 1.96) - 40.0 / (40.0 + 1.96 * 1.96)).abs() < 1e-12);
        assert_eq!(wilson_lower(0, 0, 1.96), 0.0);
    }

    #[test]
    fn band_reaches_the_precision_on_both_sides_with_confidence() {
        // 1,000 probabilities 0.000 .. 0.999: positive from 0.5 up with one in 20 wrong,
        // negative below 0.3, alternating between.
        let probs: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
        let labels: Vec<bool> = (0..1000)
            .map(|i| match i {
                500.. => i % 20 != 7,
                300.. => i % 2 == 0,
                _ => false,
            })
            .collect();
        let b = band(&probs, &labels, 0.9, 10);
        assert!(b.reached);
        let side = |keep: &dyn Fn(f64) -> bool, want: bool| {
            let n = probs.iter().filter(|p| keep(**p)).count();
            let c = (0..1000).filter(|&i| keep(probs[i]) && labels[i] == want).count();
            (c, n)
        };
        let (c, n) = side(&|p| p >= b.hi, true);
        assert!(wilson_lower(c, n, BAND_Z) >= 0.9 && (c as f64 / n as f64 - b.precision_pos).abs() < 1e-12);
        let (c, n) = side(&|p| p <= b.lo, false);
        assert!(wilson_lower(c, n, BAND_Z) >= 0.9 && (c as f64 / n as f64 - b.precision_neg).abs() < 1e-12);
        // The sides reach into the mixed part only as far as the bound allows.
        assert!(b.hi > 0.4 && b.hi < 0.5 && b.lo > 0.3 && b.lo < 0.4, "{b:?}");
    }

    #[test]
    fn a_small_side_needs_more_than_its_observed_precision() {
        // Three positives on top, all right: observed precision 1, but the bound (0.44) is
        // far from 0.90, so the positive side stays open.
        let probs: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        let labels: Vec<bool> = (0..100).map(|i| i >= 97).collect();
        let b = band(&probs, &labels, 0.9, 1);
        assert_eq!(b.hi, 1.0);
        assert!(!b.reached);
        // Forty of them: n / (n + z^2) = 0.91 reaches it.
        let labels: Vec<bool> = (0..100).map(|i| i >= 60).collect();
        let b = band(&probs, &labels, 0.9, 1);
        assert!(b.reached);
    }

    #[test]
    fn folds_are_stratified_and_reproducible() {
        let labels: Vec<bool> = (0..100).map(|i| i % 5 == 0).collect();
        let own: Vec<usize> = (0..100).collect();
        let f = grouped_folds(&labels, &own, 5, 7);
        for k in 0..5 {
            let pos = (0..100).filter(|&i| f[i] == k && labels[i]).count();
            let all = (0..100).filter(|&i| f[i] == k).count();
            assert_eq!((pos, all), (4, 20));
        }
        assert_eq!(f, grouped_folds(&labels, &own, 5, 7));
        assert_ne!(f, grouped_folds(&labels, &own, 5, 8));
    }

    #[test]
    fn a_group_never_spans_two_folds() {
        // 30 people with 1..=6 images each; a person's images share a label half the time.
        let mut labels = Vec::new();
        let mut groups = Vec::new();
        for p in 0..30usize {
            for i in 0..(p % 6 + 1) {
                groups.push(p * 7);
                labels.push(if p % 2 == 0 { p % 3 == 0 } else { i % 2 == 0 });
            }
        }
        let f = grouped_folds(&labels, &groups, 4, 3);
        for (i, g) in groups.iter().enumerate() {
            for (j, h) in groups.iter().enumerate() {
                if g == h {
                    assert_eq!(f[i], f[j], "person {g} split");
                }
            }
        }
        // Positives spread over every fold.
        for k in 0..4 {
            assert!((0..labels.len()).any(|i| f[i] == k && labels[i]), "fold {k}");
        }
    }
}
