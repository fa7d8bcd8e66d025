//! One attribute head: class-balanced, L2-regularised logistic regression fitted by L-BFGS
//! directly on the standardised features (pure functions).
//!
//! The loss is scikit-learn's `LogisticRegression(C = 1 / alpha, class_weight = "balanced")`
//! divided by the number of images: the mean of the weighted log-losses plus
//! `alpha / (2 n) |w|²` (the intercept is not penalised). Each class's images weigh
//! `n / (2 n_class)`, so both classes count alike however rare one is. Rows are read from one
//! shared feature matrix (`f32`, row-major) through a list of row indices, so the folds of a
//! cross-validation never copy it; the products run on `f32` rows in parallel chunks and
//! accumulate in `f64`.

use rayon::prelude::*;

/// A fitted head on standardised features.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// One coefficient per feature.
    pub beta: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
}

impl Head {
    /// The probability of the positive class for one row of standardised features.
    #[cfg(test)]
    pub fn probability(&self, row: &[f32]) -> f64 {
        sigmoid(self.intercept + dot(row, &self.beta_f32()))
    }

    fn beta_f32(&self) -> Vec<f32> {
        self.beta.iter().map(|v| *v as f32).collect()
    }

    /// The mean of `heads` (all of one width): its logit is the mean of their logits, so it is
    /// one linear head again. `None` for no heads.
    pub fn mean(heads: &[Head]) -> Option<Head> {
        let first = heads.first()?;
        let k = heads.len() as f64;
        let mut beta = vec![0.0; first.beta.len()];
        for h in heads {
            for (b, v) in beta.iter_mut().zip(&h.beta) {
                *b += v / k;
            }
        }
        let intercept = heads.iter().map(|h| h.intercept).sum::<f64>() / k;
        Some(Head { beta, intercept })
    }

    /// Probabilities of `rows` of `x` (`d` wide).
    pub fn predict(&self, x: &[f32], d: usize, rows: &[usize]) -> Vec<f64> {
        let b = self.beta_f32();
        rows.par_iter()
            .with_min_len(256)
            .map(|&r| sigmoid(self.intercept + dot(&x[r * d..(r + 1) * d], &b)))
            .collect()
    }
}

/// The logistic function, without overflow for large |z|.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + exp(z))` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// A dot product of an `f32` row with `f32` weights: eight lanes, so that the compiler
/// vectorises it, summed in `f64` at the end.
fn dot(a: &[f32], b: &[f32]) -> f64 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().map(|v| f64::from(*v)).sum::<f64>() + f64::from(tail)
}

/// `out += s * row`.
fn axpy(out: &mut [f32], s: f32, row: &[f32]) {
    for (o, v) in out.iter_mut().zip(row) {
        *o += s * v;
    }
}

/// The weighted problem of one fit.
struct Problem<'a> {
    x: &'a [f32],
    d: usize,
    rows: &'a [usize],
    /// +1 / -1 per row.
    sign: Vec<f64>,
    /// Weight per row (balanced classes), divided by the number of rows.
    weight: Vec<f64>,
    /// The L2 strength per unit of the mean loss: alpha / n.
    lambda: f64,
}

impl Problem<'_> {
    /// Loss and gradient at `theta` = (beta, intercept).
    fn evaluate(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let d = self.d;
        let beta: Vec<f32> = theta[..d].iter().map(|v| *v as f32).collect();
        let b0 = theta[d];
        let idx: Vec<usize> = (0..self.rows.len()).collect();
        let (loss, grad, g0) = idx
            .par_chunks(512)
            .map(|chunk| {
                let mut g = vec![0f32; d];
                let (mut loss, mut g0) = (0.0f64, 0.0f64);
                for &i in chunk {
                    let r = self.rows[i];
                    let row = &self.x[r * d..(r + 1) * d];
                    let m = self.sign[i] * (b0 + dot(row, &beta));
                    loss += self.weight[i] * softplus(-m);
                    // d/dz of w log(1 + exp(-s z)) = -w s sigmoid(-m)
                    let c = -self.weight[i] * self.sign[i] * sigmoid(-m);
                    g0 += c;
                    axpy(&mut g, c as f32, row);
                }
                (loss, g, g0)
            })
            .reduce(
                || (0.0, vec![0f32; d], 0.0),
                |mut a, b| {
                    a.0 += b.0;
                    for (x, y) in a.1.iter_mut().zip(&b.1) {
                        *x += y;
                    }
                    a.2 += b.2;
                    a
                },
            );
        let mut gradient: Vec<f64> = grad.iter().map(|v| f64::from(*v)).collect();
        let mut penalty = 0.0;
        for (g, t) in gradient.iter_mut().zip(&theta[..d]) {
            *g += self.lambda * t;
            penalty += t * t;
        }
        gradient.push(g0);
        (loss + 0.5 * self.lambda * penalty, gradient)
    }
}

/// Most L-BFGS iterations of one fit.
const MAX_ITERATIONS: usize = 300;
/// The fit stops when the gradient's largest entry falls below this share of its first value:
/// well below what moves a held-out AUC or a band threshold.
const GRADIENT_TOLERANCE: f64 = 1e-4;
/// Pairs of the L-BFGS memory.
const MEMORY: usize = 10;

/// Fits a head on `rows` of `x` (`d` features each, standardised) with labels `labels[i]` for
/// `rows[i]` and L2 strength `alpha` (scikit-learn's `C` = 1 / alpha), starting from `warm`
/// (a head of the same width) when given.
pub fn fit(
    x: &[f32],
    d: usize,
    rows: &[usize],
    labels: &[bool],
    alpha: f64,
    warm: Option<&Head>,
) -> Result<Head, String> {
    let n = rows.len();
    let pos = labels.iter().filter(|v| **v).count();
    let neg = n - pos;
    if pos == 0 || neg == 0 {
        return Err("a training fold holds only one class".into());
    }
    let (wp, wn) = (0.5 / pos as f64, 0.5 / neg as f64);
    let problem = Problem {
        x,
        d,
        rows,
        sign: labels.iter().map(|&l| if l { 1.0 } else { -1.0 }).collect(),
        weight: labels.iter().map(|&l| if l { wp } else { wn }).collect(),
        lambda: alpha / n as f64,
    };
    let mut theta = match warm {
        Some(h) if h.beta.len() == d => {
            let mut t = h.beta.clone();
            t.push(h.intercept);
            t
        }
        _ => vec![0.0; d + 1],
    };
    let theta_out = lbfgs(|t| problem.evaluate(t), &mut theta);
    let intercept = theta_out[d];
    Ok(Head {
        beta: theta_out[..d].to_vec(),
        intercept,
    })
}

/// Minimises a smooth convex function from `start` by L-BFGS with a backtracking (Armijo) line
/// search; stops when the gradient's largest entry falls below [`GRADIENT_TOLERANCE`] times its
/// first value (or 1e-8), the loss stops moving, or after [`MAX_ITERATIONS`].
fn lbfgs(f: impl Fn(&[f64]) -> (f64, Vec<f64>), start: &mut [f64]) -> Vec<f64> {
    let norm_inf = |g: &[f64]| g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let dotp = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut x = start.to_vec();
    let (mut fx, mut g) = f(&x);
    let tol = (norm_inf(&g) * GRADIENT_TOLERANCE).max(1e-8);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    for _ in 0..MAX_ITERATIONS {
        if norm_inf(&g) <= tol {
            break;
        }
        // Two-loop recursion: direction = -H g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(s_hist.len());
        for (s, y) in s_hist.iter().zip(&y_hist).rev() {
            let rho = 1.0 / dotp(y, s);
            let a = rho * dotp(s, &q);
            for (qi, yi) in q.iter_mut().zip(y) {
                *qi -= a * yi;
            }
            alphas.push((a, rho));
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dotp(s, y) / dotp(y, y),
            _ => 1.0 / norm_inf(&g).max(1.0),
        };
        for v in q.iter_mut() {
            *v *= gamma;
        }
        for ((s, y), (a, rho)) in s_hist.iter().zip(&y_hist).zip(alphas.into_iter().rev()) {
            let b = rho * dotp(y, &q);
            for (qi, si) in q.iter_mut().zip(s) {
                *qi += (a - b) * si;
            }
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dotp(&g, &dir);
        if slope >= 0.0 {
            // Not a descent direction (numerical noise): restart from the gradient.
            s_hist.clear();
            y_hist.clear();
            dir = g.iter().map(|v| -v / norm_inf(&g).max(1.0)).collect();
            slope = dotp(&g, &dir);
        }
        let mut step = 1.0;
        let (mut nx, mut nf, mut ng);
        loop {
            nx = x
                .iter()
                .zip(&dir)
                .map(|(a, b)| a + step * b)
                .collect::<Vec<f64>>();
            (nf, ng) = f(&nx);
            if nf <= fx + 1e-4 * step * slope || step < 1e-10 {
                break;
            }
            step *= 0.5;
        }
        let s: Vec<f64> = nx.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = ng.iter().zip(&g).map(|(a, b)| a - b).collect();
        let moved = (fx - nf).abs() <= 1e-10 * fx.abs().max(1e-12);
        if dotp(&s, &y) > 1e-12 {
            if s_hist.len() == MEMORY {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
        x = nx;
        fx = nf;
        g = ng;
        if moved {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_a_separable_attribute_and_balances_rare_classes() {
        // 2 features; the attribute is x0 > 0.75 (4 positives in 40), with a gap between the
        // classes.
        let d = 2;
        let pts: Vec<[f32; 2]> = (0..40)
            .map(|i| {
                let x0 = if i % 10 == 0 { 0.9 } else { (i % 10) as f32 / 15.0 };
                [x0, ((i * 7) % 13) as f32 / 13.0]
            })
            .collect();
        let labels: Vec<bool> = pts.iter().map(|p| p[0] > 0.75).collect();
        let x: Vec<f32> = pts.iter().flatten().copied().collect();
        let rows: Vec<usize> = (0..40).collect();
        let head = fit(&x, d, &rows, &labels, 0.01, None).unwrap();
        for (p, l) in pts.iter().zip(&labels) {
            assert_eq!(head.probability(p) > 0.5, *l, "{p:?}");
        }
        assert!(head.beta[0] > 0.0 && head.beta[0].abs() > head.beta[1].abs());
        assert!(fit(&x, d, &[1, 2, 3], &[false, false, false], 1.0, None).is_err());
    }

    #[test]
    fn the_mean_head_averages_the_logits() {
        let a = Head {
            beta: vec![1.0, -2.0],
            intercept: 0.5,
        };
        let b = Head {
            beta: vec![3.0, 0.0],
            intercept: -1.5,
        };
        let m = Head::mean(&[a.clone(), b.clone()]).unwrap();
        let row = [0.25f32, -0.5];
        let logit = |h: &Head| h.intercept + dot(&row, &h.beta_f32());
        assert!((logit(&m) - (logit(&a) + logit(&b)) / 2.0).abs() < 1e-12);
        assert!(Head::mean(&[]).is_none());
    }

    #[test]
    fn matches_scikit_learns_balanced_logistic_regression() {
        // sklearn.linear_model.LogisticRegression(C=1.0, class_weight="balanced",
        // tol=1e-10, max_iter=10000).fit(X, y) on these 8 points gives
        // coef_ [[1.31751875, -0.15150299]], intercept_ [-0.62009436].
        let x: Vec<f32> = vec![
            0.0, 1.0, 1.0, 0.5, 2.0, -1.0, -1.0, 0.0, 0.5, 2.0, -2.0, -0.5, 1.5, 1.5, -0.5, -1.0,
        ];
        let y = [false, true, true, false, false, false, true, false];
        let rows: Vec<usize> = (0..8).collect();
        let head = fit(&x, 2, &rows, &y, 1.0, None).unwrap();
        assert!((head.beta[0] - 1.31751875).abs() < 1e-4, "{head:?}");
        assert!((head.beta[1] + 0.15150299).abs() < 1e-4, "{head:?}");
        assert!((head.intercept + 0.62009436).abs() < 1e-4, "{head:?}");
        // A warm start ends at the same optimum.
        let again = fit(&x, 2, &rows, &y, 1.0, Some(&head)).unwrap();
        assert!((again.beta[0] - head.beta[0]).abs() < 1e-4);
    }
}
