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

/// The moments of `replicates` redraws (with replacement, at the sample's size) of one
/// dataset's rows, seeded by `seed`, the dataset's name and the replicate: computed once per
/// dataset and shared by every pair it is in.
pub fn replicates(dim: usize, rows: &[f32], replicates: usize, seed: u64, name: &str) -> Vec<Moments> {
    let n = rows.len() / dim.max(1);
    (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng = StdRng::seed_from_u64(pair_seed(seed, &[name, &r.to_string()]));
            let pick: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            moments_of(dim, rows, Some(&pick))
        })
        .collect()
}

/// A 95% percentile interval of the Fréchet distance over paired replicates of the two
/// datasets (see [`replicates`]); `None` without replicates.
pub fn fd_interval(p: &[Moments], q: &[Moments]) -> Option<(f64, f64)> {
    let mut fds: Vec<f64> = p
        .par_iter()
        .zip(q)
        .filter_map(|(a, b)| fd_between(a, b))
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
        let interval = |seed| {
            fd_interval(
                &replicates(2, &p, 100, seed, "p"),
                &replicates(2, &q, 100, seed, "q"),
            )
        };
        let a = interval(7).unwrap();
        assert_eq!(Some(a), interval(7));
        assert_ne!(Some(a), interval(8));
        assert!(a.0 <= fd && fd <= a.1, "{a:?} vs {fd}");
        assert_eq!(
            fd_between(&moments_of(2, &p[..4], None), &moments_of(2, &q, None)),
            None
        );
    }
}
