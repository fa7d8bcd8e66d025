//! Eigenvalues and eigenvectors of real symmetric matrices by the cyclic Jacobi method, and
//! the square root of a positive semi-definite matrix built from them (what the Fréchet
//! distance needs, without a general matrix square root).

/// Sweeps after which the cyclic Jacobi method gives up converging (it needs 6-10 in practice).
const MAX_SWEEPS: usize = 60;

/// The eigen-decomposition of the symmetric `n` x `n` matrix `a` (row-major; only symmetric
/// input is meaningful): eigenvalues (unsorted) and eigenvectors as the columns of a row-major
/// `n` x `n` matrix, so that a = V diag(λ) Vᵀ.
///
/// Cyclic Jacobi: each rotation zeroes one off-diagonal entry; sweeps over every (p, q) until
/// the off-diagonal mass is negligible next to the whole matrix's.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), n * n, "symmetric_eigen: a is not {n} x {n}");
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        if off <= total * 1e-30 || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (a[p * n + p], a[q * n + q]);
                // tan of the rotation angle: the smaller root of t² + 2θt - 1 = 0.
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                a[p * n + q] = 0.0;
                a[q * n + p] = 0.0;
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// The symmetric square root of a symmetric positive semi-definite matrix: V diag(√λ) Vᵀ,
/// with negative eigenvalues (rounding of a singular matrix) clamped to 0.
pub fn psd_sqrt(a: &[f64], n: usize) -> Vec<f64> {
    let (values, v) = symmetric_eigen(a, n);
    let roots: Vec<f64> = values.iter().map(|&l| l.max(0.0).sqrt()).collect();
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let s: f64 = (0..n).map(|k| v[i * n + k] * roots[k] * v[j * n + k]).sum();
            out[i * n + j] = s;
            out[j * n + i] = s;
        }
    }
    out
}

/// The product of two `n` x `n` row-major matrices.
pub fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let x = a[i * n + k];
            for (o, y) in out[i * n..(i + 1) * n].iter_mut().zip(&b[k * n..(k + 1) * n]) {
                *o += x * y;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_spd(n: usize, seed: u64) -> Vec<f64> {
        // B Bᵀ of a deterministic pseudo-random B: symmetric positive semi-definite.
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let b: Vec<f64> = (0..n * n).map(|_| next()).collect();
        let bt: Vec<f64> = (0..n * n).map(|k| b[(k % n) * n + k / n]).collect();
        matmul(&b, &bt, n)
    }

    #[test]
    fn decomposition_rebuilds_the_matrix_with_orthonormal_vectors() {
        let n = 12;
        let a = random_spd(n, 3);
        let (values, v) = symmetric_eigen(&a, n);
        for i in 0..n {
            for j in 0..n {
                let rebuilt: f64 = (0..n).map(|k| v[i * n + k] * values[k] * v[j * n + k]).sum();
                assert!((rebuilt - a[i * n + j]).abs() < 1e-12, "({i},{j})");
                let dot: f64 = (0..n).map(|k| v[k * n + i] * v[k * n + j]).sum();
                assert!((dot - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn two_by_two_eigenvalues_are_exact() {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3.
        let (mut values, _) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        values.sort_by(f64::total_cmp);
        assert!((values[0] - 1.0).abs() < 1e-15 && (values[1] - 3.0).abs() < 1e-15);
        let (values, v) = symmetric_eigen(&[5.0, 0.0, 0.0, -1.0], 2);
        assert_eq!((values, v), (vec![5.0, -1.0], vec![1.0, 0.0, 0.0, 1.0]));
    }

    #[test]
    fn the_square_root_squares_back_even_when_singular() {
        let n = 8;
        let a = random_spd(n, 9);
        let r = psd_sqrt(&a, n);
        let back = matmul(&r, &r, n);
        for (x, y) in back.iter().zip(&a) {
            assert!((x - y).abs() < 1e-12);
        }
        // Rank 1: v vᵀ with v = (1, 2): its root is v vᵀ / |v|.
        let r = psd_sqrt(&[1.0, 2.0, 2.0, 4.0], 2);
        let s5 = 5f64.sqrt();
        for (x, y) in r.iter().zip([1.0 / s5, 2.0 / s5, 2.0 / s5, 4.0 / s5]) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
    }
}
