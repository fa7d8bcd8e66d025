//! `chi2_test(p, q)`: p-value of Pearson's chi-square test of homogeneity of two histograms.

use super::hist_args::hist_udf;
use super::histogram::align;

/// The p-value of the chi-square test that `p` and `q` (counts) come from one distribution, on
/// the 2 x k contingency table over the union of values (values with no count on either side
/// are left out). As `scipy.stats.chi2_contingency([p, q])[1]`: Yates' continuity correction
/// when there is 1 degree of freedom, p = 1 when there are none (a single value). `None` when a
/// histogram is empty.
pub fn chi2_homogeneity(p: &[f64], q: &[f64]) -> Option<f64> {
    let cols: Vec<(f64, f64)> = p
        .iter()
        .zip(q)
        .filter(|(a, b)| **a + **b > 0.0)
        .map(|(a, b)| (*a, *b))
        .collect();
    let (np, nq): (f64, f64) = (cols.iter().map(|c| c.0).sum(), cols.iter().map(|c| c.1).sum());
    if np <= 0.0 || nq <= 0.0 {
        return None;
    }
    let dof = cols.len() - 1;
    if dof == 0 {
        return Some(1.0);
    }
    let n = np + nq;
    let mut stat = 0.0;
    for (a, b) in &cols {
        let total = a + b;
        for (observed, row) in [(*a, np), (*b, nq)] {
            let expected = row * total / n;
            let mut o = observed;
            if dof == 1 {
                // scipy's Yates correction: move each observation 0.5 towards its expectation.
                let diff = expected - o;
                o += diff.signum() * diff.abs().min(0.5);
            }
            stat += (o - expected).powi(2) / expected;
        }
    }
    Some(chi2_sf(stat, dof as f64))
}

/// The survival function of the chi-square distribution: P(X > x) for `k` degrees of freedom.
pub fn chi2_sf(x: f64, k: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    gamma_q(k / 2.0, x / 2.0)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error about 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a).
fn gamma_q(a: f64, x: f64) -> f64 {
    let log_prefactor = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        // Series for P(a, x), then Q = 1 − P.
        let (mut ap, mut sum, mut del) = (a, 1.0 / a, 1.0 / a);
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - sum * log_prefactor.exp()
    } else {
        // Continued fraction for Q (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-17 {
                break;
            }
        }
        log_prefactor.exp() * h
    }
}

hist_udf!(
    /// The `chi2_test(p, q)` scalar function.
    Chi2Test,
    "chi2_test",
    ["p", "q"],
    2,
    2,
    false,
    |h, _| {
        let (p, q) = align(&h[0], &h[1]);
        Ok(chi2_homogeneity(&p, &q))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    #[test]
    fn survival_function_matches_closed_forms() {
        // k = 2: P(X > x) = exp(−x/2).
        for x in [0.1, 1.0, 5.0, 40.0, 300.0] {
            assert!(close(chi2_sf(x, 2.0), (-x / 2.0).exp()), "x = {x}");
        }
        // k = 1: P(X > x) = erfc(sqrt(x/2)); erfc(1) = 0.157299207050285130658...
        assert!(close(chi2_sf(2.0, 1.0), 0.157_299_207_050_285_13));
        assert!(close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln()));
        assert!(close(ln_gamma(10.0), 362_880f64.ln()));
    }

    #[test]
    fn single_value_and_empty() {
        assert_eq!(chi2_homogeneity(&[3.0], &[5.0]), Some(1.0));
        assert_eq!(chi2_homogeneity(&[0.0, 0.0], &[1.0, 2.0]), None);
    }
}
