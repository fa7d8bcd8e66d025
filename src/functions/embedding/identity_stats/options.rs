//! Options of `identity_stats(table, dataset_column, identity_column [, options])`, given as one
//! string: `'pairs=100000, seed=42, threshold=0.92, embedding=embedding, min_images=2'`.

use datafusion::common::{Result, plan_err};

use super::NAME;

/// Parsed options of `identity_stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityOptions {
    /// Genuine and impostor pairs per dataset: all pairs when there are at most this many, else
    /// a seeded sample of this many.
    pub pairs: usize,
    /// Seed of the pair samples.
    pub seed: u64,
    /// Cosine similarity above which two faces are one person, for DCFace's uniqueness and
    /// consistency.
    pub threshold: f64,
    /// The embedding column.
    pub embedding: String,
    /// Faces an identity needs to give genuine pairs and a consistency share.
    pub min_images: usize,
}

/// The default `threshold`: dlib's ResNet descriptor matches two faces at a Euclidean distance
/// of 0.4 between L2-normalised descriptors (DeepFace's LFW-tuned `euclidean_l2` 0.4; its cosine
/// distance 0.07 is close), which is a cosine similarity of 1 - 0.4² / 2 = 0.92. dlib's own 0.6
/// is a distance between raw descriptors, not a similarity.
pub const DEFAULT_THRESHOLD: f64 = 0.92;

impl Default for IdentityOptions {
    fn default() -> Self {
        Self {
            pairs: 100_000,
            seed: 42,
            threshold: DEFAULT_THRESHOLD,
            embedding: "embedding".to_string(),
            min_images: 2,
        }
    }
}

const KEYS: &str = "pairs, seed, threshold, embedding, min_images";

/// The most pairs of each kind (two lists of f64 scores of 80 MB each).
const MAX_PAIRS: usize = 10_000_000;

fn number<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T> {
    match value.parse() {
        Ok(v) => Ok(v),
        Err(_) => plan_err!("{NAME}: option `{key}` must be {what}, got '{value}'"),
    }
}

impl IdentityOptions {
    /// Parses `key=value` pairs separated by commas.
    pub fn parse(text: &str) -> Result<Self> {
        let mut o = Self::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return plan_err!("{NAME}: option '{part}' is not key=value (options: {KEYS})");
            };
            let (key, value) = (key.trim(), value.trim());
            match key.to_ascii_lowercase().as_str() {
                "pairs" => {
                    o.pairs = number(key, value, "a whole number of pairs")?;
                    if !(1..=MAX_PAIRS).contains(&o.pairs) {
                        return plan_err!(
                            "{NAME}: option `pairs` must be between 1 and {MAX_PAIRS}, got {value}"
                        );
                    }
                }
                "seed" => o.seed = number(key, value, "a whole number")?,
                "threshold" => {
                    o.threshold = number(key, value, "a cosine similarity in [-1, 1]")?;
                    if !(-1.0..=1.0).contains(&o.threshold) {
                        return plan_err!(
                            "{NAME}: option `threshold` must be a cosine similarity in [-1, 1], got {value}"
                        );
                    }
                }
                "embedding" => {
                    if value.is_empty() {
                        return plan_err!("{NAME}: option `embedding` needs a column name");
                    }
                    o.embedding = value.to_string();
                }
                "min_images" => {
                    o.min_images = number(key, value, "a whole number of faces")?;
                    if o.min_images == 0 {
                        return plan_err!("{NAME}: option `min_images` must be at least 1, got 0");
                    }
                }
                _ => return plan_err!("{NAME}: unknown option `{key}` (options: {KEYS})"),
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        let o =
            IdentityOptions::parse("pairs=500, seed=7, threshold=0.5, embedding=e, min_images=3").unwrap();
        assert_eq!(
            o,
            IdentityOptions {
                pairs: 500,
                seed: 7,
                threshold: 0.5,
                embedding: "e".into(),
                min_images: 3,
            }
        );
        assert_eq!(IdentityOptions::parse(" ").unwrap(), IdentityOptions::default());
    }

    #[test]
    fn errors_name_the_function_and_option() {
        for (text, wanted) in [
            ("pairs=0", "identity_stats: option `pairs` must be between 1"),
            (
                "pairs=many",
                "identity_stats: option `pairs` must be a whole number",
            ),
            (
                "threshold=2",
                "identity_stats: option `threshold` must be a cosine similarity",
            ),
            (
                "min_images=0",
                "identity_stats: option `min_images` must be at least 1",
            ),
            ("colour=red", "identity_stats: unknown option `colour`"),
            ("pairs", "identity_stats: option 'pairs' is not key=value"),
        ] {
            let e = IdentityOptions::parse(text).unwrap_err().to_string();
            assert!(e.contains(wanted), "{text}: {e}");
        }
    }
}
