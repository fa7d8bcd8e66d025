//! A seeded sample without replacement that does not depend on the order rows arrive in
//! (bottom-k: each face gets a hash-based priority from its values, its person and the seed; the
//! `k` smallest priorities are kept), so a parallel scan samples the same faces every time.

/// The faces of one dataset: at most `keep` of them, streamed in one at a time.
#[derive(Debug, Clone)]
pub struct Sample {
    keep: usize,
    dim: usize,
    seed: u64,
    /// Faces seen, kept or not.
    pub seen: usize,
    /// (priority, slot) of every face held.
    entries: Vec<(u64, usize)>,
    data: Vec<f32>,
    identities: Vec<Option<String>>,
    /// Faces with a priority at or above this are not kept (once the sample is full).
    cutoff: u64,
}

/// splitmix64's finaliser: a well-mixed 64-bit value from any 64-bit value.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seeded hash of a string (FNV-1a then mixed).
pub fn hash_str(seed: u64, s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h ^ mix(seed))
}

fn priority(seed: u64, row: &[f32], identity: Option<&str>) -> u64 {
    let mut h = mix(seed ^ 0x5851_f42d_4c95_7f2d);
    for x in row {
        h = mix(h ^ u64::from(x.to_bits()));
    }
    if let Some(id) = identity {
        h = mix(h ^ hash_str(seed, id));
    }
    h
}

impl Sample {
    /// An empty sample of at most `keep` faces of dimension `dim`.
    pub fn new(keep: usize, dim: usize, seed: u64) -> Self {
        Self {
            keep,
            dim,
            seed,
            seen: 0,
            entries: Vec::new(),
            data: Vec::new(),
            identities: Vec::new(),
            cutoff: u64::MAX,
        }
    }

    /// Offers one face (the first face sets the dimension of a sample made with `dim` 0).
    pub fn push(&mut self, row: &[f32], identity: Option<&str>) {
        if self.dim == 0 {
            self.dim = row.len();
        }
        self.seen += 1;
        let p = priority(self.seed, row, identity);
        if p >= self.cutoff {
            return;
        }
        self.entries.push((p, self.identities.len()));
        self.data.extend_from_slice(row);
        self.identities.push(identity.map(str::to_string));
        if self.entries.len() >= 2 * self.keep.max(1024) {
            self.compact();
        }
    }

    /// Keeps the `keep` smallest priorities, in priority order.
    fn compact(&mut self) {
        self.entries.sort_unstable();
        self.entries.truncate(self.keep);
        if self.entries.len() == self.keep
            && let Some(last) = self.entries.last()
        {
            self.cutoff = last.0;
        }
        if self.dim == 0 {
            return;
        }
        let mut data = Vec::with_capacity(self.entries.len() * self.dim);
        let mut identities = Vec::with_capacity(self.entries.len());
        for (slot, e) in self.entries.iter_mut().enumerate() {
            data.extend_from_slice(&self.data[e.1 * self.dim..(e.1 + 1) * self.dim]);
            identities.push(self.identities[e.1].take());
            e.1 = slot;
        }
        self.data = data;
        self.identities = identities;
    }

    /// The faces kept (rows of `dim` values, in priority order) and their people.
    pub fn finish(mut self) -> (Vec<f32>, Vec<Option<String>>) {
        self.compact();
        (self.data, self.identities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<[f32; 2]> {
        (0..n).map(|i| [i as f32, (i * i) as f32]).collect()
    }

    #[test]
    fn the_sample_does_not_depend_on_row_order() {
        let all = rows(5000);
        let mut a = Sample::new(300, 2, 7);
        let mut b = Sample::new(300, 2, 7);
        for r in &all {
            a.push(r, None);
        }
        for r in all.iter().rev() {
            b.push(r, None);
        }
        assert_eq!(a.seen, 5000);
        let (da, _) = a.finish();
        assert_eq!(da.len(), 600);
        assert_eq!(da, b.finish().0);
        let mut c = Sample::new(300, 2, 8);
        all.iter().for_each(|r| c.push(r, None));
        assert_ne!(da, c.finish().0);
    }

    #[test]
    fn a_small_dataset_is_kept_whole_with_its_people() {
        let mut s = Sample::new(10, 2, 1);
        for (i, r) in rows(4).iter().enumerate() {
            s.push(r, Some(&format!("p{}", i % 2)));
        }
        let (data, ids) = s.finish();
        let mut got: Vec<(f32, String)> = data
            .chunks(2)
            .zip(ids)
            .map(|(r, id)| (r[0], id.unwrap()))
            .collect();
        got.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(
            got,
            vec![
                (0.0, "p0".into()),
                (1.0, "p1".into()),
                (2.0, "p0".into()),
                (3.0, "p1".into())
            ]
        );
    }
}
