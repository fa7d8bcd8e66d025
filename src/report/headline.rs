//! The report's headline: for every real / synthetic pair of datasets, the KL divergence in both
//! directions summed and averaged over the attributes, how many attributes go each way, and the
//! sentence that states it (the seed paper's finding: real data explains the synthetic
//! distributions, KL(synthetic ‖ real) < KL(real ‖ synthetic), not the other way round).

use std::collections::BTreeMap;

use crate::functions::compare_attributes::Comparison;

/// One real / synthetic pair, over the attributes with a finite KL both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct PairSummary {
    /// The real dataset.
    pub real: String,
    /// The synthetic dataset.
    pub synthetic: String,
    /// Attributes with a finite KL in both directions (the ones summed).
    pub attributes: usize,
    /// Attributes left out: a side below min_n, or an infinite KL (no smoothing).
    pub left_out: usize,
    /// Σ KL(real ‖ synthetic) over the attributes, in nats.
    pub kl_rs_sum: f64,
    /// Σ KL(synthetic ‖ real).
    pub kl_sr_sum: f64,
    /// Attributes where KL(synthetic ‖ real) < KL(real ‖ synthetic): real explains synthetic.
    pub real_explains: usize,
    /// Attributes where KL(real ‖ synthetic) < KL(synthetic ‖ real).
    pub synthetic_explains: usize,
}

impl PairSummary {
    /// Mean KL(real ‖ synthetic) over the attributes (NaN when there are none).
    pub fn kl_rs_mean(&self) -> f64 {
        self.kl_rs_sum / self.attributes as f64
    }

    /// Mean KL(synthetic ‖ real) over the attributes.
    pub fn kl_sr_mean(&self) -> f64 {
        self.kl_sr_sum / self.attributes as f64
    }

    /// Whether real explains synthetic better overall: the smaller summed divergence is
    /// KL(synthetic ‖ real).
    pub fn real_explains_synthetic(&self) -> bool {
        self.kl_sr_sum < self.kl_rs_sum
    }
}

/// The summary of every (real, synthetic) pair in `rows`; `kinds` maps a dataset to its kind
/// (`real` / `synthetic`); datasets of another or no kind are in no pair. Pairs are ordered by
/// real, then synthetic dataset name.
pub fn summarise(rows: &[Comparison], kinds: &BTreeMap<String, String>) -> Vec<PairSummary> {
    let kind = |d: &str| kinds.get(d).map(String::as_str);
    let mut pairs: BTreeMap<(String, String), PairSummary> = BTreeMap::new();
    // Each unordered pair appears twice (P, Q) and (Q, P) with the same numbers swapped: use the
    // row whose P is the real dataset.
    for r in rows {
        if kind(&r.dataset_p) != Some("real") || kind(&r.dataset_q) != Some("synthetic") {
            continue;
        }
        let s = pairs
            .entry((r.dataset_p.clone(), r.dataset_q.clone()))
            .or_insert_with(|| PairSummary {
                real: r.dataset_p.clone(),
                synthetic: r.dataset_q.clone(),
                attributes: 0,
                left_out: 0,
                kl_rs_sum: 0.0,
                kl_sr_sum: 0.0,
                real_explains: 0,
                synthetic_explains: 0,
            });
        match (r.kl_pq, r.kl_qp) {
            (Some(rs), Some(sr)) if rs.is_finite() && sr.is_finite() => {
                s.attributes += 1;
                s.kl_rs_sum += rs;
                s.kl_sr_sum += sr;
                if sr < rs {
                    s.real_explains += 1;
                } else if rs < sr {
                    s.synthetic_explains += 1;
                }
            }
            _ => s.left_out += 1,
        }
    }
    pairs.into_values().collect()
}

/// A divergence as the report prints it: 4 significant digits, plain notation down to 0.0001.
pub fn nats(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() { "-".into() } else { "∞".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() < 1e-4 {
        return format!("{v:.3e}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// The headline sentence of one pair.
pub fn sentence(s: &PairSummary) -> String {
    if s.attributes == 0 {
        return format!(
            "{} (real) and {} (synthetic): no attribute has a finite KL divergence in both \
             directions ({} left out: too few rows or a value missing on one side; smooth with \
             alpha=...).",
            s.real, s.synthetic, s.left_out
        );
    }
    let (winner, loser, wk, lk) = if s.real_explains_synthetic() {
        (
            format!("{} (real)", s.real),
            format!("{} (synthetic)", s.synthetic),
            "real",
            "synthetic",
        )
    } else {
        (
            format!("{} (synthetic)", s.synthetic),
            format!("{} (real)", s.real),
            "synthetic",
            "real",
        )
    };
    let (small, large) = if s.real_explains_synthetic() {
        (
            (format!("KL({} ‖ {})", s.synthetic, s.real), s.kl_sr_mean()),
            (format!("KL({} ‖ {})", s.real, s.synthetic), s.kl_rs_mean()),
        )
    } else {
        (
            (format!("KL({} ‖ {})", s.real, s.synthetic), s.kl_rs_mean()),
            (format!("KL({} ‖ {})", s.synthetic, s.real), s.kl_sr_mean()),
        )
    };
    let ways = if s.real_explains_synthetic() {
        s.real_explains
    } else {
        s.synthetic_explains
    };
    let left_out = match s.left_out {
        0 => String::new(),
        n => format!(" ({n} left out: too few rows or an infinite divergence)"),
    };
    format!(
        "{winner} explains {loser} better than the other way round: {} averages {} nats over {} \
         attributes{left_out}, against {} for {}, and is the smaller direction on {ways} of them \
         ({wk} data as the reference distribution fits the {lk} data better).",
        small.0,
        nats(small.1),
        s.attributes,
        nats(large.1),
        large.0,
    )
}

/// The sentence over all pairs: how many follow the seed paper's finding.
pub fn overall(pairs: &[PairSummary]) -> String {
    let counted: Vec<&PairSummary> = pairs.iter().filter(|p| p.attributes > 0).collect();
    if counted.is_empty() {
        return "No real / synthetic pair could be compared.".into();
    }
    let real = counted.iter().filter(|p| p.real_explains_synthetic()).count();
    let attrs: usize = counted.iter().map(|p| p.attributes).sum();
    let ways: usize = counted.iter().map(|p| p.real_explains).sum();
    let agree = if real == counted.len() {
        "as the seed paper found"
    } else if real == 0 {
        "the opposite of the seed paper's finding"
    } else {
        "on the others the reverse; the seed paper found it on every pair"
    };
    format!(
        "Real data explains the synthetic distributions better than the reverse on {real} of {} \
         real / synthetic pairs ({agree}); over all pairs, KL(synthetic ‖ real) is the smaller \
         direction on {ways} of {attrs} attribute comparisons.",
        counted.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(a: &str, p: &str, q: &str, pq: Option<f64>, qp: Option<f64>) -> Comparison {
        Comparison {
            attribute: a.into(),
            dataset_p: p.into(),
            dataset_q: q.into(),
            n_p: 100,
            n_q: 100,
            kl_pq: pq,
            kl_qp: qp,
            js: None,
            tvd: None,
            undefined_p: None,
            undefined_q: None,
            kl_pq_ci: None,
            kl_qp_ci: None,
            note: None,
        }
    }

    fn kinds() -> BTreeMap<String, String> {
        [("ffhq", "real"), ("sg2", "synthetic"), ("x", "mixed")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn pairs_sum_both_directions_and_count_the_ways() {
        let rows = vec![
            row("Male", "ffhq", "sg2", Some(0.3), Some(0.1)),
            row("Male", "sg2", "ffhq", Some(0.1), Some(0.3)),
            row("Young", "ffhq", "sg2", Some(0.2), Some(0.4)),
            row("Young", "sg2", "ffhq", Some(0.4), Some(0.2)),
            row("Bald", "ffhq", "sg2", Some(f64::INFINITY), Some(0.5)),
            row("Bald", "ffhq", "x", Some(1.0), Some(1.0)),
        ];
        let s = summarise(&rows, &kinds());
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!((s.real.as_str(), s.synthetic.as_str()), ("ffhq", "sg2"));
        assert_eq!((s.attributes, s.left_out), (2, 1));
        assert!((s.kl_rs_sum - 0.5).abs() < 1e-12 && (s.kl_sr_sum - 0.5).abs() < 1e-12);
        assert_eq!((s.real_explains, s.synthetic_explains), (1, 1));
    }

    #[test]
    fn the_sentence_names_the_direction_and_the_numbers() {
        let rows = vec![
            row("Male", "ffhq", "sg2", Some(0.3), Some(0.1)),
            row("Young", "ffhq", "sg2", Some(0.2), Some(0.05)),
        ];
        let s = summarise(&rows, &kinds());
        let text = sentence(&s[0]);
        assert!(
            text.starts_with("ffhq (real) explains sg2 (synthetic) better"),
            "{text}"
        );
        assert!(
            text.contains("KL(sg2 ‖ ffhq) averages 0.07500 nats over 2 attributes"),
            "{text}"
        );
        assert!(text.contains("against 0.2500 for KL(ffhq ‖ sg2)"), "{text}");
        assert!(text.contains("on 2 of them"), "{text}");
        assert!(overall(&s).contains("on 1 of 1 real / synthetic pairs (as the seed paper found)"));
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(nats(0.123456), "0.1235");
        assert_eq!(nats(12.3456), "12.35");
        assert_eq!(nats(0.0012346), "0.001235");
        assert_eq!(nats(0.0), "0");
        assert_eq!(nats(f64::INFINITY), "∞");
        assert_eq!(nats(2.5e-6), "2.500e-6");
    }
}
