//! The simulator: identities with stable traits, images drawn around them, written column by
//! column into Arrow arrays.
//!
//! Determinism: every identity has its own random stream, seeded from (seed, dataset, identity),
//! which draws the identity's traits and then its images. Chunks are ranges of whole identities,
//! so the output does not depend on chunking or on the number of threads.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int8Array, RecordBatch, StringBuilder};
use arrow::datatypes::SchemaRef;

use super::profile::{DatasetProfile, GENERIC, SMILING, undefined_rate};
use crate::annotations::MAAD_ATTRIBUTES;

/// Rows per record batch, roughly (a batch holds whole identities).
const CHUNK_ROWS: u64 = 65_536;

/// A SplitMix64 generator: tiny, fast, and good enough for simulation.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// A uniform number in [0, 1).
    #[inline]
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / 16_777_216.0)
    }

    /// True with probability `p`.
    #[inline]
    pub fn bern(&mut self, p: f32) -> bool {
        self.uniform() < p
    }

    /// An index drawn from the (not necessarily normalised) weights `w`.
    #[inline]
    pub fn categorical(&mut self, w: &[f32]) -> usize {
        let total: f32 = w.iter().sum();
        let mut u = self.uniform() * total;
        for (i, x) in w.iter().enumerate() {
            if u < *x {
                return i;
            }
            u -= x;
        }
        w.len() - 1
    }
}

/// The SplitMix64 finaliser: a strong 64-bit mixing function.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of one identity's stream.
fn identity_seed(seed: u64, dataset: usize, identity: u64) -> u64 {
    mix64(mix64(seed ^ 0xD1B5_4A32_D192_ED03) ^ ((dataset as u64) << 56) ^ identity)
}

fn col(name: &str) -> usize {
    MAAD_ATTRIBUTES
        .iter()
        .position(|a| *a == name)
        .unwrap_or_else(|| unreachable!("{name} is a MAAD attribute"))
}

/// Column indexes of the attributes with structure.
#[derive(Debug, Clone, Copy)]
struct Cols {
    male: usize,
    age: [usize; 3],
    race: [usize; 3],
    hair: [usize; 4],
    no_beard: usize,
    mustache: usize,
    shadow: usize,
    goatee: usize,
    sideburns: usize,
    shape: [usize; 3],
    obstructed: usize,
    visible: usize,
    brown_eyes: usize,
    smiling: usize,
    mouth_closed: usize,
    cheekbones: usize,
    lipstick: usize,
    no_eyewear: usize,
}

impl Cols {
    fn new() -> Self {
        Cols {
            male: col("Male"),
            age: [col("Young"), col("Middle_Aged"), col("Senior")],
            race: [col("Asian"), col("White"), col("Black")],
            hair: [
                col("Black_Hair"),
                col("Blond_Hair"),
                col("Brown_Hair"),
                col("Gray_Hair"),
            ],
            no_beard: col("No_Beard"),
            mustache: col("Mustache"),
            shadow: col("5_o_Clock_Shadow"),
            goatee: col("Goatee"),
            sideburns: col("Sideburns"),
            shape: [col("Oval_Face"), col("Square_Face"), col("Round_Face")],
            obstructed: col("Obstructed_Forehead"),
            visible: col("Fully_Visible_Forehead"),
            brown_eyes: col("Brown_Eyes"),
            smiling: col("Smiling"),
            mouth_closed: col("Mouth_Closed"),
            cheekbones: col("High_Cheekbones"),
            lipstick: col("Wearing_Lipstick"),
            no_eyewear: col("No_Eyewear"),
        }
    }
}

/// Everything needed to draw one dataset, computed once.
#[derive(Debug, Clone)]
pub struct Plan {
    profile: DatasetProfile,
    dataset_index: usize,
    seed: u64,
    cols: Cols,
    undefined: [f32; 47],
    generic: Vec<(usize, f32, f32, f32, [f32; 3])>,
    gray_factor: f32,
    beard_factors: [f32; 3],
    bald: usize,
    hat: usize,
    bangs: usize,
    eyeglasses: usize,
    heavy_makeup: usize,
    /// Cumulative row boundaries of identities: identity `i` has rows `bounds[i]..bounds[i + 1]`.
    bounds: Vec<u64>,
}

/// Rows and identities of `profile` at `scale` (at least one of each).
pub fn sizes(profile: &DatasetProfile, scale: f64) -> (u64, u64) {
    let ids = ((profile.identities as f64 * scale).round() as u64).max(1);
    let rows = ((profile.rows as f64 * scale).round() as u64).max(ids);
    (rows, ids)
}

impl Plan {
    /// The plan of dataset number `dataset_index` (`profile`) at `scale` with `seed`.
    pub fn new(profile: &DatasetProfile, dataset_index: usize, scale: f64, seed: u64) -> Self {
        let (rows, ids) = sizes(profile, scale);
        let mut undefined = [0f32; 47];
        for (u, name) in undefined.iter_mut().zip(MAAD_ATTRIBUTES) {
            *u = undefined_rate(name) * profile.undefined_scale;
        }
        let generic = GENERIC
            .iter()
            .map(|g| {
                (
                    col(g.name),
                    g.male,
                    g.female,
                    g.persistence,
                    g.age.map(|a| a * profile.factor(g.name)),
                )
            })
            .collect();
        // Real sets: images per identity vary between 0.4x and 1.6x the mean; synthetic: constant.
        let mut weights = Vec::with_capacity(ids as usize);
        for i in 0..ids {
            let w = if profile.varying_images {
                400 + mix64(identity_seed(seed, dataset_index, i) ^ 0x5EED) % 1201
            } else {
                1
            };
            weights.push(w);
        }
        let total: u64 = weights.iter().sum();
        let mut bounds = Vec::with_capacity(ids as usize + 1);
        bounds.push(0);
        let mut cum = 0u64;
        for w in &weights {
            cum += w;
            bounds.push((rows as u128 * cum as u128 / total as u128) as u64);
        }
        Plan {
            profile: profile.clone(),
            dataset_index,
            seed,
            cols: Cols::new(),
            undefined,
            generic,
            gray_factor: profile.factor("Gray_Hair"),
            beard_factors: [
                profile.factor("Mustache"),
                profile.factor("Goatee"),
                profile.factor("Sideburns"),
            ],
            bald: col("Bald"),
            hat: col("Wearing_Hat"),
            bangs: col("Bangs"),
            eyeglasses: col("Eyeglasses"),
            heavy_makeup: col("Heavy_Makeup"),
            bounds,
        }
    }

    /// Number of rows.
    #[cfg(test)]
    fn rows(&self) -> u64 {
        *self.bounds.last().unwrap_or(&0)
    }

    /// Identity ranges of about `CHUNK_ROWS` rows each.
    pub fn chunks(&self) -> Vec<(u64, u64)> {
        let ids = self.bounds.len() as u64 - 1;
        let mut chunks = Vec::new();
        let mut start = 0u64;
        while start < ids {
            let mut end = start + 1;
            while end < ids && self.bounds[end as usize] - self.bounds[start as usize] < CHUNK_ROWS {
                end += 1;
            }
            chunks.push((start, end));
            start = end;
        }
        chunks
    }

    /// The record batch holding identities `start..end`.
    pub fn batch(&self, schema: &SchemaRef, start: u64, end: u64) -> arrow::error::Result<RecordBatch> {
        let n = (self.bounds[end as usize] - self.bounds[start as usize]) as usize;
        let mut labels: Vec<Vec<i8>> = (0..47).map(|_| Vec::with_capacity(n)).collect();
        let mut ident = StringBuilder::with_capacity(n, n * (self.profile.id_prefix.len() + 7));
        let mut row = [0i8; 47];
        for i in start..end {
            let mut rng = SplitMix64::new(identity_seed(self.seed, self.dataset_index, i));
            let person = self.identity(&mut rng);
            let name = format!("{}_{:06}", self.profile.id_prefix, i + 1);
            let images = self.bounds[i as usize + 1] - self.bounds[i as usize];
            for _ in 0..images {
                self.image(&person, &mut rng, &mut row);
                for (c, v) in labels.iter_mut().zip(row.iter()) {
                    c.push(*v);
                }
                ident.append_value(&name);
            }
        }
        let mut dataset = StringBuilder::with_capacity(n, n * self.profile.name.len());
        let mut kind = StringBuilder::with_capacity(n, n * self.profile.kind.as_str().len());
        for _ in 0..n {
            dataset.append_value(self.profile.name);
            kind.append_value(self.profile.kind.as_str());
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(dataset.finish()),
            Arc::new(kind.finish()),
            Arc::new(ident.finish()),
        ];
        columns.extend(
            labels
                .into_iter()
                .map(|v| Arc::new(Int8Array::from(v)) as ArrayRef),
        );
        RecordBatch::try_new(schema.clone(), columns)
    }

    fn hair_weights(&self, male: bool, race: usize, age: usize) -> [f32; 5] {
        // Black, Blond, Brown, Gray, other (red, dyed, not visible): assumed by race and age.
        let gray = [0.01, 0.12, 0.6][age] * self.gray_factor;
        let rest = 1.0 - gray;
        let [black, blond, brown, other] = match race {
            0 => [0.85, 0.01, 0.10, 0.04],
            2 => [0.90, 0.01, 0.05, 0.04],
            3 => [0.85, 0.01, 0.10, 0.04],
            _ if male => [0.25, 0.12, 0.45, 0.18],
            _ => [0.15, 0.35, 0.35, 0.15],
        };
        [black * rest, blond * rest, brown * rest, gray, other * rest]
    }

    fn shape_weights(male: bool) -> [f32; 4] {
        // Oval (CelebA: men 0.22, women 0.33), Square, Round (assumed), none of them.
        if male {
            [0.22, 0.25, 0.13, 0.40]
        } else {
            [0.33, 0.08, 0.20, 0.39]
        }
    }

    fn identity(&self, rng: &mut SplitMix64) -> Identity {
        let p = &self.profile;
        let male = rng.bern(p.p_male);
        let race = rng.categorical(&p.race);
        let age = rng.categorical(&p.age);
        let hair = rng.categorical(&self.hair_weights(male, race, age));
        let shape = rng.categorical(&Self::shape_weights(male));
        let mut generic = [0f32; GENERIC.len()];
        for (slot, (_, pm, pf, persistence, ages)) in generic.iter_mut().zip(&self.generic) {
            let rate = if male { *pm } else { *pf };
            let base = (rate * ages[age]).min(0.95);
            let own = if rng.bern(base) { 1.0 } else { 0.0 };
            *slot = (1.0 - persistence) * base + persistence * own;
        }
        // Beard: CelebA men have No_Beard = -1 in 39.4% of images.
        let bearded = if male {
            let own = if rng.bern(0.394) { 1.0 } else { 0.0 };
            0.2 * 0.394 + 0.8 * own
        } else {
            0.0
        };
        let smile_base = if male { SMILING.0 } else { SMILING.1 };
        let smile = 0.7 * smile_base + if rng.bern(smile_base) { 0.3 } else { 0.0 };
        // Brown eyes (assumed): common outside the White group.
        let brown_eyes = [0.9, 0.35, 0.95, 0.85][race];
        let brown_eyes = 0.2 * brown_eyes + if rng.bern(brown_eyes) { 0.8 } else { 0.0 };
        Identity {
            male,
            race,
            age,
            hair,
            shape,
            generic,
            bearded,
            smile,
            brown_eyes,
        }
    }

    #[inline]
    fn image(&self, person: &Identity, rng: &mut SplitMix64, row: &mut [i8; 47]) {
        let c = &self.cols;
        let pm = |b: bool| if b { 1i8 } else { -1i8 };
        for (slot, (idx, ..)) in person.generic.iter().zip(&self.generic) {
            row[*idx] = pm(rng.bern(*slot));
        }
        row[c.male] = pm(person.male);
        // Age: an identity is photographed at different ages now and then.
        let mut age = person.age;
        if rng.bern(0.08) {
            age = match age {
                0 | 2 => 1,
                _ if rng.bern(0.5) => 0,
                _ if rng.bern((self.profile.age[2] / 0.12).min(1.0)) => 2,
                _ => 1,
            };
        }
        for (g, idx) in c.age.iter().enumerate() {
            row[*idx] = pm(g == age);
        }
        for (g, idx) in c.race.iter().enumerate() {
            row[*idx] = pm(g == person.race);
        }
        // Hair colour: one of four (or none), the identity's own most of the time; none when bald.
        let hair = if row[self.bald] == 1 {
            4
        } else if rng.bern(0.9) {
            person.hair
        } else {
            rng.categorical(&self.hair_weights(person.male, person.race, age))
        };
        for (g, idx) in c.hair.iter().enumerate() {
            row[*idx] = pm(g == hair);
        }
        // Beard: women never; bearded men have No_Beard = -1 and its kinds (CelebA conditional rates).
        let [f_mustache, f_goatee, f_sideburns] = self.beard_factors;
        if person.male && rng.bern(person.bearded) {
            row[c.no_beard] = -1;
            row[c.mustache] = pm(rng.bern(0.25 * f_mustache));
            row[c.goatee] = pm(rng.bern(0.38 * f_goatee));
            row[c.sideburns] = pm(rng.bern(0.34 * f_sideburns));
            row[c.shadow] = pm(rng.bern(0.40));
        } else {
            row[c.no_beard] = 1;
            row[c.mustache] = -1;
            row[c.goatee] = -1;
            row[c.sideburns] = -1;
            row[c.shadow] = pm(person.male && rng.bern(0.18));
        }
        let shape = if rng.bern(0.8) {
            person.shape
        } else {
            rng.categorical(&Self::shape_weights(person.male))
        };
        for (g, idx) in c.shape.iter().enumerate() {
            row[*idx] = pm(g == shape);
        }
        // Forehead: hidden by a hat, bangs or hair now and then; the two labels are exclusive.
        let obstructed = row[self.hat] == 1 || row[self.bangs] == 1 || rng.bern(0.08);
        row[c.obstructed] = pm(obstructed);
        row[c.visible] = pm(!obstructed);
        row[c.no_eyewear] = -row[self.eyeglasses];
        row[c.brown_eyes] = pm(rng.bern(person.brown_eyes));
        // Smiling opens the mouth and lifts the cheekbones (CelebA: High_Cheekbones men 0.31, women 0.56).
        let smiling = rng.bern(person.smile);
        row[c.smiling] = pm(smiling);
        row[c.mouth_closed] = pm(rng.bern(if smiling { 0.3 } else { 0.8 }));
        let cheek = match (person.male, smiling) {
            (true, true) => 0.62,
            (true, false) => 0.05,
            (false, true) => 0.85,
            (false, false) => 0.2,
        };
        row[c.cheekbones] = pm(rng.bern(cheek));
        // Lipstick goes with makeup (CelebA women: 0.81 overall, 0.66 heavy makeup).
        let lip = match (person.male, row[self.heavy_makeup] == 1) {
            (false, true) => 0.98,
            (false, false) => 0.49,
            (true, true) => 0.6,
            (true, false) => 0.005,
        };
        row[c.lipstick] = pm(rng.bern(lip));
        for (v, u) in row.iter_mut().zip(self.undefined.iter()) {
            if rng.bern(*u) {
                *v = 0;
            }
        }
    }
}

/// The stable traits of one simulated identity.
#[derive(Debug, Clone)]
struct Identity {
    male: bool,
    race: usize,
    age: usize,
    hair: usize,
    shape: usize,
    /// Per-image positive probability of each `GENERIC` attribute.
    generic: [f32; GENERIC.len()],
    bearded: f32,
    smile: f32,
    brown_eyes: f32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_uniform_enough() {
        let mut rng = SplitMix64::new(7);
        let n = 100_000;
        let hits = (0..n).filter(|_| rng.bern(0.25)).count();
        assert!((hits as f64 / n as f64 - 0.25).abs() < 0.01, "{hits}");
    }

    #[test]
    fn identities_partition_the_rows() {
        let p = &super::super::profile::DATASETS[0];
        let plan = Plan::new(p, 0, 0.01, 1);
        assert_eq!(plan.rows(), 13_000);
        assert_eq!(plan.bounds.len(), 281);
        assert!(plan.bounds.windows(2).all(|w| w[0] < w[1]));
        let chunks = plan.chunks();
        assert_eq!(chunks.first().map(|c| c.0), Some(0));
        assert_eq!(chunks.last().map(|c| c.1), Some(280));
    }

    #[test]
    fn synthetic_sets_have_fifty_images_per_identity() {
        let p = &super::super::profile::DATASETS[3];
        let plan = Plan::new(p, 3, 0.01, 1);
        assert!(plan.bounds.windows(2).all(|w| w[1] - w[0] == 50));
    }
}
