//! The Fréchet distance between two samples of faces, and its seeded bootstrap interval
//! (both samples redrawn with replacement, the distance recomputed, 2.5th and 97.5th
//! percentiles).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::functions::compare_attributes::bootstrap::{pair_seed, quantile};
use crate::functions::embedding::embedding_stats::moments::Moments;
use crate::functions::embedding::frechet_distance::frechet;

/// The moments of the rows `dim` values each (all of them, or those at `pick`).
pub fn moments_of(dim: usize, rows: &[f32], pick: Option<&[usize]>) -> Moments {
    let all: Vec<&[f32]> = rows.chunks_exact(dim).collect();
    let mut m = Moments::new(dim);
    match pick {
        None => m.add_rows(&all),
        Some(p) => {
            let chosen: Vec<&[f32]> = p.iter().map(|&i| all[i]).collect();
            m.add_rows(&chosen);
        }
    }
    m
}

/// The Fréchet distance between two sets of moments (each needs more rows than dimensions).
pub fn fd_between(p: &Moments, q: &Moments) -> Option<f64> {
    let d = p.dim();
    if p.n <= d as u64 || q.n <= d as u64 {
        return None;
    }
    Some(frechet(&p.mean, &p.covariance()?, &q.mean, &q.covariance()?))
}

/// A 95% percentile interval of the Fréchet distance over `replicates` redraws of both
/// samples, seeded by `seed` and the two dataset names.
pub fn fd_interval(
    dim: usize,
    p: &[f32],
    q: &[f32],
    replicates: usize,
    seed: u64,
    names: [&str; 2],
) -> Option<(f64, f64)> {
    if replicates == 0 {
        return None;
    }
    let (np, nq) = (p.len() / dim, q.len() / dim);
    let mut fds: Vec<f64> = (0..replicates)
        .into_par_iter()
        .filter_map(|r| {
            let mut rng = StdRng::seed_from_u64(pair_seed(seed, &[names[0], names[1], &r.to_string()]));
            let pp: Vec<usize> = (0..np).map(|_| rng.random_range(0..np)).collect();
            let qq: Vec<usize> = (0..nq).map(|_| rng.random_range(0..nq)).collect();
            fd_between(&moments_of(dim, p, Some(&pp)), &moments_of(dim, q, Some(&qq)))
        })
        .collect();
    if fds.is_empty() {
        return None;
    }
    fds.sort_by(f64::total_cmp);
    Some((quantile(&fds, 0.025), quantile(&fds, 0.975)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_seeded_and_holds_the_estimate() {
        let p: Vec<f32> = (0..400).map(|i| ((i * 7919) % 101) as f32 / 50.0).collect();
        let q: Vec<f32> = (0..400)
            .map(|i| ((i * 104_729) % 97) as f32 / 40.0 + 0.3)
            .collect();
        let fd = fd_between(&moments_of(2, &p, None), &moments_of(2, &q, None)).unwrap();
        let a = fd_interval(2, &p, &q, 100, 7, ["p", "q"]).unwrap();
        assert_eq!(Some(a), fd_interval(2, &p, &q, 100, 7, ["p", "q"]));
        assert_ne!(Some(a), fd_interval(2, &p, &q, 100, 8, ["p", "q"]));
        assert!(a.0 <= fd && fd <= a.1, "{a:?} vs {fd}");
        assert_eq!(
            fd_between(&moments_of(2, &p[..4], None), &moments_of(2, &q, None)),
            None
        );
    }
}
