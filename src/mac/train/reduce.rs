//! An exact change of basis that makes L2-regularised linear models on many features cheap to
//! fit when there are fewer images than features (pure functions).
//!
//! With `X` the standardised features of all n images (n x d, d > n) and `L` the Cholesky factor
//! of their Gram matrix `X Xᵀ = L Lᵀ`, every image's row of `L` is its coordinates in an
//! orthonormal basis `Q = Xᵀ L⁻ᵀ` of the row space. For any subset of images and any weights
//! `w`, `X_S w = L_S β` with `β = Qᵀ w`, and `|w|² = |β|² + |w⊥|²` where the part `w⊥` outside the
//! row space changes no prediction. So an L2 logistic regression fitted on `L_S` (n features) is
//! exactly the one fitted on `X_S` (d features), for every cross-validation fold at once, and
//! `w = Xᵀ (L⁻ᵀ β)` recovers its weights.

/// Per-feature mean and standard deviation over the rows of `x` (`n` rows of `d`), NaN values
/// left out; a constant (or never measured) feature gets a deviation of 1 (it standardises to 0).
pub fn moments(x: &[f32], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; d];
    let mut sq = vec![0.0; d];
    let mut count = vec![0usize; d];
    for row in x.chunks_exact(d) {
        for (k, v) in row.iter().enumerate() {
            if !v.is_nan() {
                let v = f64::from(*v);
                mean[k] += v;
                sq[k] += v * v;
                count[k] += 1;
            }
        }
    }
    let std = (0..d)
        .map(|k| {
            let c = count[k].max(1) as f64;
            mean[k] /= c;
            let var = (sq[k] / c - mean[k] * mean[k]).max(0.0);
            if var > 1e-12 { var.sqrt() } else { 1.0 }
        })
        .collect();
    (mean, std)
}

/// The rows of `x` standardised with `mean` and `std` (a NaN becomes 0: the mean).
pub fn standardise(x: &[f32], mean: &[f64], std: &[f64]) -> Vec<f64> {
    x.chunks_exact(mean.len())
        .flat_map(|row| {
            row.iter().zip(mean).zip(std).map(
                |((v, m), s)| {
                    if v.is_nan() { 0.0 } else { (f64::from(*v) - m) / s }
                },
            )
        })
        .collect()
}

/// The Gram matrix (row-major n x n) of the `n` rows of `z` (each `d` long), computed in
/// parallel over rows.
pub fn gram(z: &[f64], d: usize) -> Vec<f64> {
    use rayon::prelude::*;
    let n = z.len() / d.max(1);
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let a = &z[i * d..(i + 1) * d];
            (0..=i)
                .map(|j| a.iter().zip(&z[j * d..(j + 1) * d]).map(|(x, y)| x * y).sum())
                .collect()
        })
        .collect();
    let mut k = vec![0.0; n * n];
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            k[i * n + j] = *v;
            k[j * n + i] = *v;
        }
    }
    k
}

/// The rows and columns `pick` of the n x n matrix `k`.
pub fn submatrix(k: &[f64], n: usize, pick: &[usize]) -> Vec<f64> {
    pick.iter()
        .flat_map(|&i| pick.iter().map(move |&j| k[i * n + j]))
        .collect()
}

/// The lower-triangular Cholesky factor (row-major) of the n x n Gram matrix `k`, with `ridge`
/// x (mean diagonal) added to the diagonal so that duplicate or dependent images keep it
/// positive definite.
pub fn cholesky(mut k: Vec<f64>, n: usize, ridge: f64) -> Vec<f64> {
    let mean_diag = (0..n).map(|i| k[i * n + i]).sum::<f64>() / n.max(1) as f64;
    let eps = ridge * mean_diag.max(1e-12);
    for i in 0..n {
        k[i * n + i] += eps;
    }
    // In place: the lower triangle becomes L.
    for j in 0..n {
        let lj: Vec<f64> = k[j * n..j * n + j].to_vec();
        let diag = (k[j * n + j] - lj.iter().map(|x| x * x).sum::<f64>())
            .max(eps.max(1e-300))
            .sqrt();
        k[j * n + j] = diag;
        for i in j + 1..n {
            let row = &mut k[i * n..i * n + j + 1];
            let v = row[j] - row[..j].iter().zip(&lj).map(|(a, b)| a * b).sum::<f64>();
            row[j] = v / diag;
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            k[i * n + j] = 0.0;
        }
    }
    k
}

/// The weights on the `d` standardised features of a model fitted on the rows of `l`
/// (coefficients `beta`, n of them): `w = zᵀ (L⁻ᵀ β)`.
pub fn weights(z: &[f64], d: usize, l: &[f64], beta: &[f64]) -> Vec<f64> {
    let n = beta.len();
    // Back substitution: Lᵀ a = β.
    let mut a = beta.to_vec();
    for i in (0..n).rev() {
        let mut v = a[i];
        for j in i + 1..n {
            v -= l[j * n + i] * a[j];
        }
        a[i] = v / l[i * n + i];
    }
    let mut w = vec![0.0; d];
    for (row, ai) in z.chunks_exact(d).zip(&a) {
        for (wk, zk) in w.iter_mut().zip(row) {
            *wk += ai * zk;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardised_columns_have_mean_0_and_deviation_1() {
        let x = [1.0f32, 5.0, 3.0, 5.0, 5.0, 5.0];
        let (m, s) = moments(&x, 2);
        assert_eq!(m, vec![3.0, 5.0]);
        assert_eq!(s[1], 1.0, "a constant column keeps scale 1");
        let z = standardise(&x, &m, &s);
        assert!((z[0] + 1.224_744_871).abs() < 1e-6 && z[1] == 0.0);
    }

    #[test]
    fn the_basis_change_preserves_every_prediction() {
        // 4 images, 7 features: L reproduces the inner products, and weights fitted in the new
        // basis give the same predictions in the old one.
        let z: Vec<f64> = (0..28).map(|i| ((i * 37 % 11) as f64 - 5.0) / 3.0).collect();
        let d = 7;
        let l = cholesky(gram(&z, d), 4, 0.0);
        let n = 4;
        for i in 0..n {
            for j in 0..n {
                let g: f64 = (0..d).map(|k| z[i * d + k] * z[j * d + k]).sum();
                let ll: f64 = (0..n).map(|k| l[i * n + k] * l[j * n + k]).sum();
                assert!((g - ll).abs() < 1e-9, "{i},{j}");
            }
        }
        let beta = [0.3, -1.2, 0.5, 2.0];
        let w = weights(&z, d, &l, &beta);
        for i in 0..n {
            let via_l: f64 = (0..n).map(|k| l[i * n + k] * beta[k]).sum();
            let via_w: f64 = (0..d).map(|k| z[i * d + k] * w[k]).sum();
            assert!((via_l - via_w).abs() < 1e-9);
        }
        // The recovered weights have the norm of beta (they lie in the row space).
        let norm_w: f64 = w.iter().map(|v| v * v).sum();
        let norm_b: f64 = beta.iter().map(|v| v * v).sum();
        assert!((norm_w - norm_b).abs() < 1e-9);
    }
}
