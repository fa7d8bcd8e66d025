//! `frechet_distance(stats_p, stats_q)`: the Fréchet distance between two Gaussians fitted to
//! embeddings (the FID formula over `embedding_stats` values).

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::embedding_stats::{Stats, check_stats_type, read_stats};
use super::symmetric_eigen::{matmul, psd_sqrt, symmetric_eigen};

const NAME: &str = "frechet_distance";
const NAMES: [&str; 2] = ["stats_p", "stats_q"];

/// ‖μp − μq‖² + tr Sp + tr Sq − 2 tr((Sp^½ Sq Sp^½)^½) for two `dim` x `dim` covariances
/// (row-major). Both square roots are symmetric ones, by eigen-decomposition (negative
/// eigenvalues clamped to 0), so the result is real; it equals the usual
/// tr((Sp Sq)^½) form, since Sp Sq and Sp^½ Sq Sp^½ are similar matrices.
pub fn frechet(mu_p: &[f64], cov_p: &[f64], mu_q: &[f64], cov_q: &[f64]) -> f64 {
    let d = mu_p.len();
    let mean: f64 = mu_p.iter().zip(mu_q).map(|(a, b)| (a - b) * (a - b)).sum();
    let trace = |c: &[f64]| (0..d).map(|i| c[i * d + i]).sum::<f64>();
    let root_p = psd_sqrt(cov_p, d);
    let mut m = matmul(&matmul(&root_p, cov_q, d), &root_p, d);
    // Symmetric in exact arithmetic; make it so in floating point for the Jacobi solver.
    for i in 0..d {
        for j in i + 1..d {
            let s = 0.5 * (m[i * d + j] + m[j * d + i]);
            m[i * d + j] = s;
            m[j * d + i] = s;
        }
    }
    let (values, _) = symmetric_eigen(&m, d);
    let tr_root: f64 = values.iter().map(|&l| l.max(0.0).sqrt()).sum();
    mean + trace(cov_p) + trace(cov_q) - 2.0 * tr_root
}

/// The `frechet_distance(stats_p, stats_q)` scalar function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FrechetDistance {
    signature: Signature,
}

impl Default for FrechetDistance {
    fn default() -> Self {
        Self::new()
    }
}

impl FrechetDistance {
    /// Creates the function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The covariance of `s` once it is checked to hold enough embeddings for a full-rank one.
fn covariance<'a>(arg: &str, s: &'a Stats) -> Result<&'a [f64]> {
    let d = s.mean.len();
    match &s.covariance {
        Some(c) if s.n > d as u64 => Ok(c),
        _ => exec_err!(
            "{NAME}: argument `{arg}` holds {} embeddings; a {d}-dimensional covariance needs at \
             least {} (dim + 1)",
            s.n,
            d + 1
        ),
    }
}

impl ScalarUDFImpl for FrechetDistance {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 2 {
            return plan_err!(
                "{NAME}: expected 2 arguments (stats_p, stats_q), got {}",
                arg_types.len()
            );
        }
        for (name, t) in NAMES.iter().zip(arg_types) {
            check_stats_type(NAME, name, t)?;
        }
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let n = if all_scalar { 1 } else { args.number_rows };
        let arrays: Vec<(ArrayRef, bool)> = args
            .args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(s) => Ok((s.to_array_of_size(1)?, true)),
                ColumnarValue::Array(a) => Ok((Arc::clone(a), false)),
            })
            .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(n);
        for row in 0..n {
            let read = |k: usize| {
                let (a, constant) = &arrays[k];
                read_stats(NAME, NAMES[k], a.as_ref(), if *constant { 0 } else { row })
            };
            let (Some(p), Some(q)) = (read(0)?, read(1)?) else {
                out.push(None);
                continue;
            };
            if p.mean.len() != q.mean.len() {
                return exec_err!(
                    "{NAME}: arguments `stats_p` and `stats_q` have different dimensions ({} and {})",
                    p.mean.len(),
                    q.mean.len()
                );
            }
            let (cp, cq) = (covariance(NAMES[0], &p)?, covariance(NAMES[1], &q)?);
            out.push(Some(frechet(&p.mean, cp, &q.mean, cq)));
        }
        let result = Float64Array::from(out);
        if all_scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?))
        } else {
            Ok(ColumnarValue::Array(Arc::new(result)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_gaussians_have_the_closed_form() {
        // Diagonal: Σ (√a − √b)² over the variances, plus the squared mean distance.
        let (mp, mq) = ([0.0, 1.0], [3.0, 1.0]);
        let (cp, cq) = ([4.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 9.0]);
        let fd = frechet(&mp, &cp, &mq, &cq);
        let expected = 9.0 + (2.0f64 - 1.0).powi(2) + (1.0f64 - 3.0).powi(2);
        assert!((fd - expected).abs() < 1e-12, "{fd}");
        assert!(frechet(&mp, &cp, &mp, &cp).abs() < 1e-12);
    }

    #[test]
    fn full_covariances_agree_with_the_trace_of_the_product_root() {
        // Sp = [[2, 1], [1, 2]], Sq = [[1, 0.5], [0.5, 3]]: tr((Sp Sq)^½) by the 2x2 formula
        // tr √M = √(tr M + 2 √det M).
        let (cp, cq) = ([2.0, 1.0, 1.0, 2.0], [1.0, 0.5, 0.5, 3.0]);
        let m = matmul(&cp, &cq, 2);
        let det = m[0] * m[3] - m[1] * m[2];
        let tr_root = (m[0] + m[3] + 2.0 * det.sqrt()).sqrt();
        let expected = 1.0 + 4.0 + 4.0 - 2.0 * tr_root;
        let fd = frechet(&[0.0, 0.0], &cp, &[1.0, 0.0], &cq);
        assert!((fd - expected).abs() < 1e-12, "{fd} vs {expected}");
    }
}
