//! Choosing the best `k` of many scored faces: a bounded min-heap per query, merged across the
//! parallel parts of a search, and the distance that goes with a similarity.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// One scored row: higher similarity first, then the earlier row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Cosine similarity to the query.
    pub similarity: f64,
    /// The row's number among the table's faces.
    pub index: usize,
}

impl Eq for Hit {}

impl Ord for Hit {
    /// `Greater` is better.
    fn cmp(&self, other: &Self) -> Ordering {
        self.similarity
            .total_cmp(&other.similarity)
            .then_with(|| other.index.cmp(&self.index))
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `k` hits seen so far: a min-heap whose root is the worst kept.
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Reverse<Hit>>,
}

impl TopK {
    /// An empty selection of at most `k`.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            heap: BinaryHeap::new(),
        }
    }

    /// Offers one hit.
    pub fn push(&mut self, hit: Hit) {
        if self.heap.len() < self.k {
            self.heap.push(Reverse(hit));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && hit > worst.0
        {
            *worst = Reverse(hit);
        }
    }

    /// The union of two selections, cut to `k`.
    pub fn merge(mut self, other: Self) -> Self {
        for Reverse(h) in other.heap {
            self.push(h);
        }
        self
    }

    /// The hits kept, best first.
    pub fn into_sorted(self) -> Vec<Hit> {
        let mut v: Vec<Hit> = self.heap.into_iter().map(|r| r.0).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

/// Euclidean distance between the unit vectors of two faces with cosine similarity `s`.
pub fn unit_distance(s: f64) -> f64 {
    (2.0 - 2.0 * s).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `k` best of `hits`, best first (ties: the earlier row).
    fn top_k(hits: impl IntoIterator<Item = Hit>, k: usize) -> Vec<Hit> {
        let mut t = TopK::new(k);
        hits.into_iter().for_each(|h| t.push(h));
        t.into_sorted()
    }

    fn hits(scores: &[f64]) -> Vec<Hit> {
        scores
            .iter()
            .enumerate()
            .map(|(index, &similarity)| Hit { similarity, index })
            .collect()
    }

    #[test]
    fn top_k_keeps_the_best_in_order_with_earlier_rows_on_ties() {
        let got = top_k(hits(&[0.1, 0.9, 0.5, 0.9, -0.2, 0.7]), 3);
        let idx: Vec<usize> = got.iter().map(|h| h.index).collect();
        assert_eq!(idx, vec![1, 3, 5]);
        assert_eq!(top_k(hits(&[0.3, 0.2]), 5).len(), 2);
        assert!(top_k(hits(&[0.3]), 0).is_empty());
    }

    #[test]
    fn merged_selections_equal_one_selection() {
        let all = hits(&[0.4, 0.8, 0.1, 0.95, 0.6, 0.8, 0.3, 0.7]);
        let mut a = TopK::new(4);
        let mut b = TopK::new(4);
        for (i, h) in all.iter().enumerate() {
            if i % 3 == 0 { a.push(*h) } else { b.push(*h) }
        }
        assert_eq!(a.merge(b).into_sorted(), top_k(all, 4));
    }

    #[test]
    fn distances_are_between_unit_vectors() {
        assert_eq!(unit_distance(1.0), 0.0);
        assert!((unit_distance(0.0) - 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(unit_distance(-1.0), 2.0);
        assert_eq!(unit_distance(1.0 + 1e-16), 0.0);
    }
}
