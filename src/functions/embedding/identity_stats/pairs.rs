//! Which pairs of faces are compared: genuine pairs (two faces of one identity) and impostor
//! pairs (faces of two identities), all of them when there are at most `limit`, else a seeded
//! uniform sample of `limit` (with replacement).
//!
//! Faces are numbered so that each identity's faces are one block `starts[k]..starts[k + 1]`.

use std::ops::Range;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A pair of face numbers, the smaller first.
pub type Pair = (usize, usize);

/// The faces of identity `k`.
fn block(starts: &[usize], k: usize) -> Range<usize> {
    starts[k]..starts[k + 1]
}

/// The number of genuine pairs of identities with at least `min_images` faces.
pub fn genuine_count(starts: &[usize], min_images: usize) -> u64 {
    (0..starts.len() - 1)
        .map(|k| block(starts, k).len() as u64)
        .filter(|&n| n >= min_images.max(2) as u64)
        .map(|n| n * (n - 1) / 2)
        .sum()
}

/// The number of impostor pairs.
pub fn impostor_count(starts: &[usize]) -> u64 {
    let total = *starts.last().unwrap_or(&0) as u64;
    let same: u64 = (0..starts.len() - 1)
        .map(|k| block(starts, k).len() as u64)
        .map(|n| n * n)
        .sum();
    (total * total - same) / 2
}

/// A draw from 0..weights.len() with probability proportional to the weights, given as running
/// totals (`cum[k]` = sum of the weights up to and including k).
fn weighted(rng: &mut StdRng, cum: &[u64]) -> usize {
    let r = rng.random_range(0..*cum.last().expect("some weight"));
    cum.partition_point(|&c| c <= r)
}

/// Genuine pairs of identities with at least `min_images` faces: all of them in order when
/// there are at most `limit`, else `limit` drawn uniformly (identity by its pair count, then two
/// distinct faces of it) with a generator seeded by `seed`.
pub fn genuine_pairs(starts: &[usize], min_images: usize, limit: usize, seed: u64) -> Vec<Pair> {
    let count = genuine_count(starts, min_images);
    let eligible: Vec<usize> = (0..starts.len() - 1)
        .filter(|&k| block(starts, k).len() >= min_images.max(2))
        .collect();
    if count <= limit as u64 {
        let mut out = Vec::with_capacity(count as usize);
        for &k in &eligible {
            let b = block(starts, k);
            for i in b.clone() {
                for j in i + 1..b.end {
                    out.push((i, j));
                }
            }
        }
        return out;
    }
    let mut cum = Vec::with_capacity(eligible.len());
    let mut total = 0u64;
    for &k in &eligible {
        let n = block(starts, k).len() as u64;
        total += n * (n - 1) / 2;
        cum.push(total);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    (0..limit)
        .map(|_| {
            let b = block(starts, eligible[weighted(&mut rng, &cum)]);
            let a = rng.random_range(0..b.len());
            let mut c = rng.random_range(0..b.len() - 1);
            if c >= a {
                c += 1;
            }
            (b.start + a.min(c), b.start + a.max(c))
        })
        .collect()
}

/// Impostor pairs: all of them in order when there are at most `limit`, else `limit` drawn
/// uniformly (a first face weighted by how many faces of other identities there are, then one of
/// those) with a generator seeded by `seed`.
pub fn impostor_pairs(starts: &[usize], limit: usize, seed: u64) -> Vec<Pair> {
    let count = impostor_count(starts);
    let identities = starts.len() - 1;
    let total = *starts.last().unwrap_or(&0);
    if count <= limit as u64 {
        let mut out = Vec::with_capacity(count as usize);
        for k in 0..identities {
            for i in block(starts, k) {
                for j in starts[k + 1]..total {
                    out.push((i, j));
                }
            }
        }
        return out;
    }
    let mut cum = Vec::with_capacity(identities);
    let mut sum = 0u64;
    for k in 0..identities {
        let n = block(starts, k).len() as u64;
        sum += n * (total as u64 - n);
        cum.push(sum);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    (0..limit)
        .map(|_| {
            let b = block(starts, weighted(&mut rng, &cum));
            let a = b.start + rng.random_range(0..b.len());
            let r = rng.random_range(0..total - b.len());
            let c = if r < b.start { r } else { r + b.len() };
            (a.min(c), a.max(c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Identities of 3, 1 and 2 faces: faces 0-2, 3, 4-5.
    const STARTS: [usize; 4] = [0, 3, 4, 6];

    #[test]
    fn all_pairs_when_few() {
        assert_eq!(genuine_count(&STARTS, 2), 4);
        assert_eq!(
            genuine_pairs(&STARTS, 2, 100, 1),
            vec![(0, 1), (0, 2), (1, 2), (4, 5)]
        );
        assert_eq!(genuine_pairs(&STARTS, 3, 100, 1), vec![(0, 1), (0, 2), (1, 2)]);
        assert_eq!(impostor_count(&STARTS), 11);
        let imp = impostor_pairs(&STARTS, 11, 1);
        assert_eq!(imp.len(), 11);
        assert_eq!(&imp[..4], &[(0, 3), (0, 4), (0, 5), (1, 3)]);
    }

    #[test]
    fn samples_are_seeded_valid_and_roughly_uniform() {
        // Identities of 30, 1 and 20 faces: 435 + 190 = 625 genuine pairs, 650 impostor pairs;
        // 600 of each are drawn.
        let starts = [0, 30, 31, 51];
        assert_eq!((genuine_count(&starts, 2), impostor_count(&starts)), (625, 650));
        let g = genuine_pairs(&starts, 2, 600, 7);
        assert_eq!(g.len(), 600);
        assert_eq!(g, genuine_pairs(&starts, 2, 600, 7));
        assert_ne!(g, genuine_pairs(&starts, 2, 600, 8));
        let id = |f: usize| starts.partition_point(|&s| s <= f) - 1;
        assert!(g.iter().all(|&(a, b)| a < b && id(a) == id(b)));
        // The 20-face identity holds 190 / 625 of the genuine pairs (sd of the share 0.019).
        let share = g.iter().filter(|&&(a, _)| id(a) == 2).count() as f64 / 600.0;
        assert!((share - 190.0 / 625.0).abs() < 0.06, "{share}");
        let i = impostor_pairs(&starts, 600, 7);
        assert_eq!(i.len(), 600);
        assert!(i.iter().all(|&(a, b)| a < b && id(a) != id(b)));
        // The single face (30) is in 50 of the 650 impostor pairs (sd of the share 0.011).
        let share = i.iter().filter(|&&(a, b)| a == 30 || b == 30).count() as f64 / 600.0;
        assert!((share - 50.0 / 650.0).abs() < 0.035, "{share}");
    }

    #[test]
    fn no_pairs_without_two_identities_or_two_faces() {
        assert!(impostor_pairs(&[0, 5], 10, 1).is_empty());
        assert!(genuine_pairs(&[0, 1, 2], 2, 10, 1).is_empty());
        assert!(genuine_pairs(&[0], 2, 10, 1).is_empty());
    }
}
