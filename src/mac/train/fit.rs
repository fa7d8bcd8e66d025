//! One attribute's head, cross-validated by person: the L2 strength chosen by inner
//! cross-validation, ROC AUC and balanced accuracy on the outer held-out folds (overall and per
//! label source), the reliability band chosen on the held-out predictions and measured nested
//! (each fold's band chosen without it), and the final head.
//!
//! The final head is the mean of the outer folds' heads (a cross-fitted ensemble: its logit is
//! the mean of theirs, so it is one linear head), not a refit on every image. The band is
//! chosen on those heads' held-out predictions, so it is applied to the very models whose
//! predictions chose it. A refit on more images is more confident than the heads the band was
//! chosen on, which moves images across the band's edges: with a refit the nested positive
//! sides came out about a point lower (models/README.md, "Tried for more heads"). The nested
//! measure mirrors this one level down: each outer fold's band is chosen on its inner folds'
//! held-out predictions and applied to the mean of those inner heads.
//!
//! Where several label sources are pooled, the band is also narrowed until each side holds on
//! every source where it labels enough images ([`source_band`]), unless that leaves too few
//! images labelled; the nested measure chooses its bands by the same rule.
//!
//! Folds are grouped ([`metrics::grouped_folds`]): all images of one person sit in one fold, at
//! both levels, so no figure is measured on a person the head was fitted on.
//!
//! The nested band figures decide whether a head ships, and one split into folds measures them
//! with a noise of a few points where a band side holds a few hundred images (on the same
//! heads, 0.857 to 0.915 between three fold seeds). They are therefore pooled over
//! [`FitOptions::repeats`] splits (repeated cross-validation); the later splits fit at the L2
//! strength the first one chose.

use super::logistic::{self, Head};
use super::metrics::{self, BandChoice};
use super::source_band;

/// The L2 strengths tried, strongest first (scikit-learn's C = 1 / alpha: 0.0003 to 0.003):
/// each fit along this path starts from the one before. Centred on the strength every one of
/// the 47 default heads chose from 1000, 100 and 10 (and that beat 3000, 10000 and 30000 in
/// person-grouped CV of six heads).
pub const ALPHAS: [f64; 3] = [3000.0, 1000.0, 300.0];

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
    /// Splits into folds the nested band figures are pooled over (at least 1).
    pub repeats: usize,
    /// A band side must also reach the precision on every label source where it labels at
    /// least this many images (0: pooled over the sources only).
    pub source_side: usize,
    /// The smallest coverage a band narrowed for the sources may keep; below it, the pooled
    /// band stands (its `per_source` false).
    pub min_coverage: f64,
}

/// The labelled rows of one attribute.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// Each row's image (its row of the feature matrix).
    pub images: &'a [usize],
    /// Each row's label.
    pub labels: &'a [bool],
    /// Each row's group (person): rows of one group share a fold.
    pub groups: &'a [usize],
    /// Each row's label source (index into the sources of the run).
    pub sources: &'a [usize],
}

/// How the held-out predictions score on the rows of one label source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceScore {
    /// The source (index into the run's sources).
    pub source: usize,
    /// Positive and negative rows.
    pub counts: (usize, usize),
    /// ROC AUC of the held-out predictions (`None` with one class only).
    pub auc: Option<f64>,
    /// Accuracy of the held-out predictions at p = 0.5.
    pub accuracy: f64,
    /// The nested band on these rows, pooled over the repeated splits.
    pub nested_band: Nested,
}

/// The nested measure of a band on some rows: each outer fold's band, chosen without the fold,
/// applied to it and pooled over the repeated splits. The shares say how large each side is:
/// a side's precision alone says nothing of how many images it labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nested {
    /// The share of rows labelled 1 or -1.
    pub coverage: f64,
    /// The share of rows labelled 1.
    pub share_pos: f64,
    /// The share of rows labelled -1.
    pub share_neg: f64,
    /// The share of the rows labelled 1 that are positive (NaN where none is).
    pub precision_pos: f64,
    /// The share of the rows labelled -1 that are negative (NaN where none is).
    pub precision_neg: f64,
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
    /// The band chosen on the held-out predictions (applied to the final head).
    pub band: BandChoice,
    /// The nested measure of the bands: each outer fold's band chosen on its training images'
    /// inner folds, applied to the fold, pooled over the repeated splits.
    pub nested_band: Nested,
    /// Per label source, the held-out figures on its rows.
    pub sources: Vec<SourceScore>,
    /// The L2 strength the outer folds chose most often.
    pub alpha: f64,
    /// The final head's weights on the standardised features: the mean of the outer folds'
    /// heads.
    pub weights: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
    /// Positives and negatives.
    pub counts: (usize, usize),
    /// Each row's held-out probability (first split): from the head of the outer fold that
    /// left the row out.
    pub held: Vec<f64>,
    /// Each row's nested band label (first split): that fold's band, chosen without the row,
    /// applied to the mean of its inner heads.
    pub held_band: Vec<i8>,
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

/// The band of `probs`: reaching the precision pooled ([`metrics::band`]) and, where
/// `opts.source_side` asks and the coverage stays at least `opts.min_coverage`, on each label
/// source ([`source_band::narrow_to_sources`]).
fn choose_band(
    probs: &[f64],
    labels: &[bool],
    sources: &[usize],
    opts: &FitOptions,
    min_side: usize,
) -> BandChoice {
    let pooled = metrics::band(probs, labels, opts.precision, min_side);
    if opts.source_side == 0 {
        return pooled;
    }
    source_band::narrow_to_sources(
        &pooled,
        probs,
        labels,
        sources,
        opts.precision,
        min_side,
        opts.source_side,
    )
    .filter(|b| b.coverage >= opts.min_coverage)
    .unwrap_or(pooled)
}

fn pick<T: Copy>(v: &[T], at: &[usize]) -> Vec<T> {
    at.iter().map(|&i| v[i]).collect()
}

/// What the inner cross-validation of one outer training part finds.
struct Inner {
    /// Held-out probability of each training row at each strength.
    probs: Vec<Vec<f64>>,
    /// Mean inner AUC per strength.
    aucs: Vec<f64>,
    /// The mean of the inner folds' heads, per strength.
    mean: Vec<Option<Head>>,
}

/// `k`-fold grouped cross-validation over `rows` (indices into the sample) along the strength
/// path `alphas`.
fn inner_cv(
    x: &[f32],
    d: usize,
    s: &Sample,
    rows: &[usize],
    alphas: &[f64],
    seed: u64,
) -> Result<Inner, String> {
    let ys = pick(s.labels, rows);
    let folds = metrics::grouped_folds(&ys, &pick(s.groups, rows), INNER_FOLDS, seed);
    let mut probs = vec![vec![0.5; rows.len()]; alphas.len()];
    let mut aucs = vec![0.0; alphas.len()];
    let mut heads: Vec<Vec<Head>> = vec![Vec::new(); alphas.len()];
    for f in 0..INNER_FOLDS {
        let train: Vec<usize> = (0..rows.len()).filter(|&i| folds[i] != f).collect();
        let test: Vec<usize> = (0..rows.len()).filter(|&i| folds[i] == f).collect();
        if test.is_empty() {
            continue;
        }
        let train_images: Vec<usize> = train.iter().map(|&i| s.images[rows[i]]).collect();
        let train_y = pick(&ys, &train);
        let test_images: Vec<usize> = test.iter().map(|&i| s.images[rows[i]]).collect();
        let test_y = pick(&ys, &test);
        let mut warm: Option<Head> = None;
        for (a, alpha) in alphas.iter().enumerate() {
            let head = logistic::fit(x, d, &train_images, &train_y, *alpha, warm.as_ref())?;
            let p = head.predict(x, d, &test_images);
            aucs[a] += metrics::roc_auc(&p, &test_y).unwrap_or(0.5) / INNER_FOLDS as f64;
            for (&i, v) in test.iter().zip(p) {
                probs[a][i] = v;
            }
            heads[a].push(head.clone());
            warm = Some(head);
        }
    }
    let mean = heads.iter().map(|h| Head::mean(h)).collect();
    Ok(Inner { probs, aucs, mean })
}

fn best(aucs: &[f64]) -> usize {
    // The strongest regularisation among the best (a tie keeps the simpler head).
    let top = aucs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    aucs.iter().position(|a| *a >= top).unwrap_or(0)
}

/// The threshold with the best balanced accuracy on `probs`.
fn best_threshold(probs: &[f64], labels: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[a].total_cmp(&probs[b]));
    let pos = labels.iter().filter(|v| **v).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    // Threshold at order[k]: everything from k up is predicted positive.
    let (mut tp, mut tn) = (pos, 0.0);
    let (mut best_t, mut best_b) = (0.5, f64::NEG_INFINITY);
    for (k, &i) in order.iter().enumerate() {
        let tied = k > 0 && probs[order[k - 1]] == probs[i];
        if !tied {
            let b = 0.5 * (tp / pos + tn / neg);
            if b > best_b {
                best_b = b;
                best_t = probs[i];
            }
        }
        if labels[i] {
            tp -= 1.0;
        } else {
            tn += 1.0;
        }
    }
    best_t
}

/// The nested figures of `band` (one label per row) on `rows`: the share labelled 1, -1 or
/// either, and the share of each side that `labels` confirms.
fn nested_figures(band: &[i8], labels: &[bool], rows: impl Iterator<Item = usize> + Clone) -> Nested {
    let ratio = |a: usize, b: usize| if b == 0 { f64::NAN } else { a as f64 / b as f64 };
    let (mut n, mut covered, mut pos, mut pos_ok, mut neg, mut neg_ok) = (0, 0, 0, 0, 0, 0);
    for i in rows {
        n += 1;
        covered += usize::from(band[i] != 0);
        pos += usize::from(band[i] == 1);
        pos_ok += usize::from(band[i] == 1 && labels[i]);
        neg += usize::from(band[i] == -1);
        neg_ok += usize::from(band[i] == -1 && !labels[i]);
    }
    Nested {
        coverage: ratio(covered, n),
        share_pos: ratio(pos, n),
        share_neg: ratio(neg, n),
        precision_pos: ratio(pos_ok, pos),
        precision_neg: ratio(neg_ok, neg),
    }
}

/// One split into outer folds: each fold's head and its held-out predictions (when asked
/// for), the threshold and the nested band label its training images chose, and which
/// strength of `alphas` each fold chose.
struct Outer {
    held: Vec<f64>,
    threshold: Vec<f64>,
    nested: Vec<i8>,
    fold_auc: Vec<f64>,
    chosen: Vec<usize>,
    heads: Vec<Head>,
}

/// Outer cross-validation of `s` with fold seed `seed`, the strength of each fold chosen from
/// `alphas` by inner cross-validation. The nested labels need only the inner heads; with
/// `outer_heads` each fold's head is also fitted on its training part and predicts the fold.
fn outer_cv(
    x: &[f32],
    d: usize,
    s: &Sample,
    opts: &FitOptions,
    alphas: &[f64],
    seed: u64,
    outer_heads: bool,
) -> Result<Outer, String> {
    let n = s.images.len();
    let folds = metrics::grouped_folds(s.labels, s.groups, opts.folds, seed);
    let mut out = Outer {
        held: vec![0.5; n],
        threshold: vec![0.5; n],
        nested: vec![0i8; n],
        fold_auc: Vec::new(),
        chosen: vec![0usize; alphas.len()],
        heads: Vec::new(),
    };
    for f in 0..opts.folds {
        let train: Vec<usize> = (0..n).filter(|&i| folds[i] != f).collect();
        let test: Vec<usize> = (0..n).filter(|&i| folds[i] == f).collect();
        if test.is_empty() {
            continue;
        }
        let inner = inner_cv(x, d, s, &train, alphas, seed + 1 + f as u64)?;
        let a = best(&inner.aucs);
        out.chosen[a] += 1;
        let inner_y = pick(s.labels, &train);
        let t = best_threshold(&inner.probs[a], &inner_y);
        let band = choose_band(
            &inner.probs[a],
            &inner_y,
            &pick(s.sources, &train),
            opts,
            MIN_SIDE.min(train.len() / 10).max(1),
        );
        let inner_head = inner.mean[a]
            .as_ref()
            .ok_or("too few rows for inner cross-validation")?;
        let test_images: Vec<usize> = test.iter().map(|&i| s.images[i]).collect();
        for (&i, v) in test.iter().zip(inner_head.predict(x, d, &test_images)) {
            out.nested[i] = band.label(v);
        }
        if !outer_heads {
            continue;
        }
        let train_images: Vec<usize> = train.iter().map(|&i| s.images[i]).collect();
        let head = logistic::fit(x, d, &train_images, &inner_y, alphas[a], Some(inner_head))?;
        let p = head.predict(x, d, &test_images);
        out.fold_auc
            .push(metrics::roc_auc(&p, &pick(s.labels, &test)).unwrap_or(0.5));
        for (&i, v) in test.iter().zip(p) {
            out.held[i] = v;
            out.threshold[i] = t;
        }
        out.heads.push(head);
    }
    Ok(out)
}

/// Fits one attribute on the standardised features `x` (`d` wide, one row per image) for the
/// labelled rows of `s`; `sources` is the number of label sources of the run.
pub fn fit(x: &[f32], d: usize, s: &Sample, sources: usize, opts: FitOptions) -> Result<Fitted, String> {
    let n = s.images.len();
    let first = outer_cv(x, d, s, &opts, &ALPHAS, opts.seed, true)?;
    let held = &first.held;
    let balanced_accuracy =
        metrics::balanced_accuracy_of(held.iter().zip(&first.threshold).map(|(p, t)| p >= t), s.labels);
    let balanced_accuracy_half = metrics::balanced_accuracy(held, s.labels, 0.5);
    let band = choose_band(held, s.labels, s.sources, &opts, MIN_SIDE);
    // The strength reported: the one the outer folds chose most often (ties: the stronger).
    // The later splits measure the nested bands at it.
    let a = (0..ALPHAS.len())
        .max_by_key(|&a| (first.chosen[a], usize::MAX - a))
        .unwrap_or(0);
    // The nested labels of every split, the first one's and those of the repeats (at the chosen
    // strength), as one long list over (split, row).
    let held_band = first.nested.clone();
    let mut nested = first.nested;
    for r in 1..opts.repeats.max(1) {
        let seed = opts.seed.wrapping_add(1_000 * r as u64);
        let again = outer_cv(x, d, s, &opts, &ALPHAS[a..=a], seed, false)?;
        nested.extend(again.nested);
    }
    let splits = nested.len() / n.max(1);
    let labels: Vec<bool> = (0..splits).flat_map(|_| s.labels.iter().copied()).collect();
    let head = Head::mean(&first.heads).ok_or("no outer fold has images")?;
    let per_source = (0..sources)
        .filter_map(|src| {
            let rows: Vec<usize> = (0..n).filter(|&i| s.sources[i] == src).collect();
            if rows.is_empty() {
                return None;
            }
            let y = pick(s.labels, &rows);
            let p = pick(held, &rows);
            let pos = y.iter().filter(|v| **v).count();
            let correct = p.iter().zip(&y).filter(|(p, y)| (**p >= 0.5) == **y).count();
            let every_split = (0..splits).flat_map(|k| rows.iter().map(move |&i| k * n + i));
            Some(SourceScore {
                source: src,
                counts: (pos, rows.len() - pos),
                auc: metrics::roc_auc(&p, &y),
                accuracy: correct as f64 / rows.len() as f64,
                nested_band: nested_figures(&nested, &labels, every_split),
            })
        })
        .collect();
    let pos = s.labels.iter().filter(|v| **v).count();
    Ok(Fitted {
        fold_auc: first.fold_auc,
        balanced_accuracy,
        balanced_accuracy_half,
        baseline: metrics::majority_baseline(s.labels),
        band,
        nested_band: nested_figures(&nested, &labels, 0..nested.len()),
        sources: per_source,
        alpha: ALPHAS[a],
        weights: head.beta,
        intercept: head.intercept,
        counts: (pos, n - pos),
        held: first.held,
        held_band,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
    }

    #[test]
    fn a_learnable_attribute_gets_a_high_auc_and_a_band() {
        // 300 images, 30 features; the attribute is the sign of feature 0 plus noise from the
        // others.
        let (n, d) = (300, 30);
        let mut seed = 7u64;
        let x: Vec<f32> = (0..n * d).map(|_| noise(&mut seed)).collect();
        let labels: Vec<bool> = (0..n).map(|i| x[i * d] + 0.1 * x[i * d + 1] > 0.0).collect();
        let images: Vec<usize> = (0..n).collect();
        let sources: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let s = Sample {
            images: &images,
            labels: &labels,
            groups: &images,
            sources: &sources,
        };
        let opts = FitOptions {
            folds: 3,
            precision: 0.9,
            seed: 1,
            repeats: 2,
            source_side: 30,
            min_coverage: 0.25,
        };
        let f = fit(&x, d, &s, 2, opts).unwrap();
        assert!(f.auc().0 > 0.85, "{:?}", f.fold_auc);
        assert!(f.balanced_accuracy > 0.75);
        assert!(f.band.reached);
        assert_eq!(f.weights.len(), d);
        assert_eq!(f.sources.len(), 2);
        assert!(f.sources.iter().all(|s| s.auc.unwrap() > 0.85));
        // Feature 0 carries the attribute.
        let top = (0..d).max_by(|&a, &b| f.weights[a].abs().total_cmp(&f.weights[b].abs()));
        assert_eq!(top, Some(0));
    }

    #[test]
    fn nested_figures_give_each_sides_share_and_precision() {
        // 10 rows: three labelled 1 (two right), five -1 (four right), two left at 0.
        let band = [1, 1, 1, -1, -1, -1, -1, -1, 0, 0];
        let labels = [true, true, false, false, false, false, false, true, true, false];
        let n = nested_figures(&band, &labels, 0..10);
        assert_eq!(n.coverage, 0.8);
        assert_eq!((n.share_pos, n.share_neg), (0.3, 0.5));
        assert_eq!((n.precision_pos, n.precision_neg), (2.0 / 3.0, 0.8));
        // No row labelled 1: its precision is undefined, its share is 0.
        let n = nested_figures(&band, &labels, 3..10);
        assert_eq!(n.share_pos, 0.0);
        assert!(n.precision_pos.is_nan());
    }

    #[test]
    fn repeated_splits_pool_the_nested_figures_and_leave_the_head_alone() {
        // A noisy attribute: the nested band figures move with the split, the head does not.
        let (n, d) = (400, 10);
        let mut seed = 11u64;
        let x: Vec<f32> = (0..n * d).map(|_| noise(&mut seed)).collect();
        let labels: Vec<bool> = (0..n).map(|i| x[i * d] + 0.6 * noise(&mut seed) > 0.0).collect();
        let images: Vec<usize> = (0..n).collect();
        let groups: Vec<usize> = (0..n).map(|i| i / 4).collect();
        let sources = vec![0; n];
        let s = Sample {
            images: &images,
            labels: &labels,
            groups: &groups,
            sources: &sources,
        };
        let with = |repeats| {
            let opts = FitOptions {
                folds: 4,
                precision: 0.9,
                seed: 3,
                repeats,
                source_side: 30,
                min_coverage: 0.25,
            };
            fit(&x, d, &s, 1, opts).unwrap()
        };
        let (one, three) = (with(1), with(3));
        assert_eq!(one.weights, three.weights);
        assert_eq!(one.band, three.band);
        assert_eq!(one.fold_auc, three.fold_auc);
        assert_ne!(one.nested_band, three.nested_band);
        // Pooled over the splits: a share of labelled rows like one split's, not three times it.
        assert!(
            (one.nested_band.coverage - three.nested_band.coverage).abs() < 0.2,
            "{:?} {:?}",
            one.nested_band,
            three.nested_band
        );
        assert_eq!(three.sources[0].nested_band, three.nested_band);
    }

    #[test]
    fn the_threshold_maximises_balanced_accuracy() {
        let probs = [0.1, 0.2, 0.3, 0.6, 0.7, 0.4];
        let labels = [false, false, false, true, true, false];
        assert_eq!(best_threshold(&probs, &labels), 0.6);
    }
}
