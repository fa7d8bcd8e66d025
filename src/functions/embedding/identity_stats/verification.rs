//! Verification figures from two lists of similarity scores: genuine (same identity) and
//! impostor (different identities) pairs.
//!
//! One convention throughout: a pair is accepted when its score is strictly above the threshold.
//! FAR(t) = share of impostor scores > t, FRR(t) = share of genuine scores <= t.

/// Mean and population standard deviation (ddof = 0) of a list of scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
}

/// The mean and standard deviation of `xs`, or `None` when it is empty.
pub fn summary(xs: &[f64]) -> Option<Summary> {
    if xs.is_empty() {
        return None;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    Some(Summary {
        mean,
        std: var.sqrt(),
    })
}

/// Decidability d' = |mu_g - mu_i| / sqrt((var_g + var_i) / 2) (Daugman); `None` when both
/// lists have no spread.
pub fn d_prime(genuine: Summary, impostor: Summary) -> Option<f64> {
    let pooled = (genuine.std * genuine.std + impostor.std * impostor.std) / 2.0;
    (pooled > 0.0).then(|| (genuine.mean - impostor.mean).abs() / pooled.sqrt())
}

/// A figure read at one threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtThreshold {
    /// The figure (EER or TAR), a share in [0, 1].
    pub value: f64,
    /// The threshold it was read at.
    pub threshold: f64,
}

/// Scores sorted ascending (NaN-free input assumed: cosine similarities of non-zero vectors).
pub fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// How many of the ascending `xs` are <= t.
fn at_most(xs: &[f64], t: f64) -> usize {
    xs.partition_point(|&x| x <= t)
}

/// Equal error rate of ascending `genuine` and `impostor` scores: over every distinct score t,
/// the one where |FAR(t) - FRR(t)| is smallest (the smallest such t on ties, compared exactly in
/// integers); the EER is (FAR + FRR) / 2 there. `None` when either list is empty.
pub fn eer(genuine: &[f64], impostor: &[f64]) -> Option<AtThreshold> {
    let (ng, ni) = (genuine.len() as i128, impostor.len() as i128);
    if ng == 0 || ni == 0 {
        return None;
    }
    let mut best: Option<(i128, f64, i128, i128)> = None;
    let (mut g, mut i) = (0usize, 0usize);
    // Merge the two ascending lists: each distinct value once, in ascending order.
    while g < genuine.len() || i < impostor.len() {
        let t = match (genuine.get(g), impostor.get(i)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => unreachable!(),
        };
        g = at_most(genuine, t);
        i = at_most(impostor, t);
        let fr = g as i128;
        let fa = ni - i as i128;
        let gap = (fa * ng - fr * ni).abs();
        if best.is_none_or(|b| gap < b.0) {
            best = Some((gap, t, fa, fr));
        }
    }
    let (_, t, fa, fr) = best?;
    Some(AtThreshold {
        value: (fa as f64 / ni as f64 + fr as f64 / ng as f64) / 2.0,
        threshold: t,
    })
}

/// True accept rate at a false accept rate of at most 1 / `far_denominator`: the threshold is
/// the (m+1)-th highest impostor score with m = floor(impostors / far_denominator), so at most m
/// impostor scores lie above it. `None` when there are fewer than `far_denominator` impostor
/// scores (the FAR could not be told from 0) or no genuine scores.
pub fn tar_at_far(genuine: &[f64], impostor: &[f64], far_denominator: usize) -> Option<AtThreshold> {
    if genuine.is_empty() || impostor.len() < far_denominator {
        return None;
    }
    let m = impostor.len() / far_denominator;
    let t = impostor[impostor.len() - 1 - m];
    let accepted = genuine.len() - at_most(genuine, t);
    Some(AtThreshold {
        value: accepted as f64 / genuine.len() as f64,
        threshold: t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_d_prime_match_hand_values() {
        let g = summary(&[0.8, 0.9, 1.0]).unwrap();
        assert!((g.mean - 0.9).abs() < 1e-12);
        assert!((g.std - (0.02f64 / 3.0).sqrt()).abs() < 1e-12);
        let i = summary(&[0.1, 0.3]).unwrap();
        assert!((i.std - 0.1).abs() < 1e-12);
        let expected = 0.7 / ((0.02 / 3.0 + 0.01) / 2.0f64).sqrt();
        assert!((d_prime(g, i).unwrap() - expected).abs() < 1e-12);
        let flat = summary(&[0.5, 0.5]).unwrap();
        assert_eq!(d_prime(flat, flat), None);
        assert_eq!(summary(&[]), None);
    }

    #[test]
    fn separable_scores_have_zero_eer_at_the_top_impostor() {
        let g = sorted(&[0.9, 0.8, 0.7]);
        let i = sorted(&[0.1, 0.2, 0.3, 0.4]);
        let e = eer(&g, &i).unwrap();
        assert_eq!(e.value, 0.0);
        assert_eq!(e.threshold, 0.4);
    }

    #[test]
    fn overlapping_scores_give_the_crossing_point() {
        // Genuine 0.3 0.5 0.7 0.9, impostor 0.2 0.4 0.6 0.8. At t = 0.4: FAR = 2/4 (0.6, 0.8),
        // FRR = 1/4 (0.3); at t = 0.5: FAR = 2/4, FRR = 2/4: equal, EER 0.5.
        // At t = 0.6: FAR 1/4, FRR 2/4. The first exact crossing wins.
        let g = sorted(&[0.3, 0.5, 0.7, 0.9]);
        let i = sorted(&[0.2, 0.4, 0.6, 0.8]);
        let e = eer(&g, &i).unwrap();
        assert_eq!((e.value, e.threshold), (0.5, 0.5));
        // Unequal list sizes: genuine 0.6 0.8, impostor 0.1 0.5 0.7. t = 0.6: FAR 1/3, FRR 1/2
        // (gap |1*2 - 1*3| = 1); t = 0.5: FAR 1/3, FRR 0 (gap 2); t = 0.7: FAR 0, FRR 1/2 (gap 3).
        let e = eer(&sorted(&[0.6, 0.8]), &sorted(&[0.1, 0.5, 0.7])).unwrap();
        assert_eq!(e.threshold, 0.6);
        assert!((e.value - (1.0 / 3.0 + 0.5) / 2.0).abs() < 1e-15);
        assert_eq!(eer(&[], &i), None);
    }

    #[test]
    fn tar_at_far_reads_the_right_impostor_order_statistic() {
        // 2000 impostors 0.0005 .. 1.0: FAR 1e-3 allows 2 above the threshold, which is then the
        // third highest (0.999); genuine scores strictly above it are accepted.
        let i: Vec<f64> = (1..=2000).map(|k| k as f64 / 2000.0).collect();
        let g = sorted(&[0.999, 0.9995, 0.5, 1.0]);
        let t = tar_at_far(&g, &i, 1000).unwrap();
        assert_eq!(t.threshold, 0.999);
        assert_eq!(t.value, 0.5);
        assert_eq!(tar_at_far(&g, &i[..999], 1000), None);
        // Ties at the threshold are rejected: the FAR never exceeds the target.
        let tied = vec![0.5; 1000];
        let t = tar_at_far(&sorted(&[0.5, 0.6]), &tied, 1000).unwrap();
        assert_eq!((t.threshold, t.value), (0.5, 0.5));
    }
}
