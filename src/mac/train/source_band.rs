//! A reliability band that holds on each label source, not only pooled over them.
//!
//! A band chosen on the pooled held-out predictions of several sources reaches its precision
//! on the mix, and a source where the head is weaker can sit well below it: with the pooled
//! band, FairFace's `Male` faces were right on 0.86 / 0.85 of each side, FFHQ's hair colours on
//! 0.59-0.73 of the -1 side (models/README.md). Narrowing each side until it also holds on every
//! source where it labels enough images makes a 1 or -1 mean the same on photos like each
//! source's; the images it gives up are labelled 0, MAAD-Face's "not reliable".

use super::metrics::{BandChoice, SideBar};

/// `pooled` (chosen by [`super::metrics::band`] on the same rows) with each side narrowed until
/// it reaches `target` on every source (`sources[i]` is row i's) where it labels at least
/// `min_source` rows, and still pooled on at least `min_side` rows. `None` when a side cannot,
/// or when `pooled` did not reach the target on both sides.
pub fn narrow_to_sources(
    pooled: &BandChoice,
    probs: &[f64],
    labels: &[bool],
    sources: &[usize],
    target: f64,
    min_side: usize,
    min_source: usize,
) -> Option<BandChoice> {
    if !pooled.reached {
        return None;
    }
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let bar = SideBar {
        probs,
        sources: Some((sources, min_source)),
        target,
        min_side,
    };
    // Each side walks from its extreme to the pooled threshold; a side that keeps every row of
    // the pooled one keeps its threshold too.
    let (pos, walked) = bar.walk(&order, |i| labels[i], |p| p >= pooled.hi);
    let pos = pos?;
    let hi = if pos.n == walked { pooled.hi } else { pos.threshold };
    order.reverse();
    let (neg, walked) = bar.walk(&order, |i| !labels[i], |p| p <= pooled.lo);
    let neg = neg?;
    let lo = if neg.n == walked { pooled.lo } else { neg.threshold };
    // Sides narrowed from an overlap may still meet: then one threshold splits them.
    let (lo, hi) = if lo >= hi {
        (pooled.lo, pooled.hi)
    } else {
        (lo, hi)
    };
    let covered = if lo >= hi { probs.len() } else { pos.n + neg.n };
    Some(BandChoice {
        lo,
        hi,
        coverage: covered as f64 / probs.len().max(1) as f64,
        precision_pos: pos.precision,
        precision_neg: neg.precision,
        reached: true,
        per_source: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::train::metrics::band;

    /// Two sources: source 0's images are easy (probabilities far from 0.5 and right), source
    /// 1's 1 side is 60% right.
    fn two_sources() -> (Vec<f64>, Vec<bool>, Vec<usize>) {
        let (mut p, mut y, mut s) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..800 {
            // Source 0: 400 positives at 0.70-0.99, 400 negatives at 0.01-0.30, all right.
            let v = 0.70 + 0.29 * (k % 400) as f64 / 399.0;
            p.push(if k < 400 { v } else { 1.0 - v });
            y.push(k < 400);
            s.push(0);
        }
        for k in 0..100 {
            // Source 1: 40 negatives at 0.70-0.89 (wrong on the 1 side), 60 positives at
            // 0.90-0.99.
            let (v, positive) = if k < 40 {
                (0.70 + 0.19 * k as f64 / 39.0, false)
            } else {
                (0.90 + 0.09 * (k - 40) as f64 / 59.0, true)
            };
            p.push(v);
            y.push(positive);
            s.push(1);
        }
        (p, y, s)
    }

    #[test]
    fn a_side_that_fails_on_one_source_is_narrowed_until_it_holds_there() {
        let (p, y, s) = two_sources();
        let pooled = band(&p, &y, 0.9, 10);
        assert!(pooled.reached);
        // Pooled, the 1 side takes in source 1's negatives: on source 1 it is 60% right.
        let on = |b: &BandChoice, src: usize| {
            let rows: Vec<usize> = (0..p.len()).filter(|&i| s[i] == src && p[i] >= b.hi).collect();
            rows.iter().filter(|&&i| y[i]).count() as f64 / rows.len() as f64
        };
        assert!(on(&pooled, 1) < 0.75, "{pooled:?}");
        let narrowed = narrow_to_sources(&pooled, &p, &y, &s, 0.9, 10, 30).unwrap();
        assert!(narrowed.per_source);
        assert!(narrowed.hi > pooled.hi);
        // Source 1 now has fewer than 30 images on the side, or they are 90% right.
        let n1 = (0..p.len()).filter(|&i| s[i] == 1 && p[i] >= narrowed.hi).count();
        assert!(n1 < 30 || on(&narrowed, 1) >= 0.9, "{narrowed:?}");
        // The -1 side met the bar on both sources already: unchanged.
        assert_eq!(narrowed.lo, pooled.lo);
        assert!(narrowed.coverage < pooled.coverage);
        assert!(narrowed.precision_pos >= pooled.precision_pos);
    }

    #[test]
    fn a_band_that_holds_on_each_source_is_kept() {
        let (p, y, s) = two_sources();
        let pooled = band(&p, &y, 0.9, 10);
        // With a single source the pooled band is the per-source one.
        let one = vec![0; p.len()];
        let same = narrow_to_sources(&pooled, &p, &y, &one, 0.9, 10, 30).unwrap();
        assert_eq!(
            (same.lo, same.hi, same.coverage),
            (pooled.lo, pooled.hi, pooled.coverage)
        );
        // A source too small to count does not narrow anything.
        let big = narrow_to_sources(&pooled, &p, &y, &s, 0.9, 10, 1_000).unwrap();
        assert_eq!((big.lo, big.hi), (pooled.lo, pooled.hi));
    }

    #[test]
    fn a_side_that_holds_nowhere_gives_none() {
        // Source 1 is wrong on every image, at every probability: no 1 side holds there while
        // it keeps 30 images, and the pooled side needs them.
        let mut p: Vec<f64> = (0..100).map(|k| 0.5 + 0.5 * k as f64 / 100.0).collect();
        let mut y = vec![true; 100];
        let mut s = vec![0; 100];
        for k in 0..100 {
            p.push(0.5 + 0.5 * k as f64 / 100.0);
            y.push(false);
            s.push(1);
        }
        for k in 0..200 {
            p.push(0.4 * k as f64 / 200.0);
            y.push(false);
            s.push(k % 2);
        }
        let pooled = BandChoice {
            lo: 0.4,
            hi: 0.5,
            coverage: 1.0,
            precision_pos: 0.5,
            precision_neg: 1.0,
            reached: true,
            per_source: false,
        };
        assert_eq!(narrow_to_sources(&pooled, &p, &y, &s, 0.9, 10, 30), None);
        let unreached = BandChoice {
            reached: false,
            ..pooled
        };
        assert_eq!(narrow_to_sources(&unreached, &p, &y, &s, 0.9, 10, 30), None);
    }
}
