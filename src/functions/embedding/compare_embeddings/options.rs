//! Options of `compare_embeddings(table, dataset_column [, options])`, given as one string:
//! `'k=5, sample=10000, seed=42, bootstrap=0, threshold=0.6, embedding=embedding, identity=person, min_n=2'`.

use datafusion::common::{Result, plan_err};

use super::NAME;

/// Parsed options of `compare_embeddings`.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingOptions {
    /// Neighbours of the k-NN balls of PRDC.
    pub k: usize,
    /// Faces kept per dataset (a seeded sample without replacement above it).
    pub sample: usize,
    /// Seed of the sample, the gallery split and the bootstrap.
    pub seed: u64,
    /// Bootstrap replicates for the Fréchet distance interval (0 = none).
    pub bootstrap: usize,
    /// A fixed copy threshold (cosine similarity) instead of one calibrated on P.
    pub threshold: Option<f64>,
    /// The embedding column.
    pub embedding: String,
    /// Column naming the person of each face (held-out people for the copy threshold).
    pub identity: Option<String>,
    /// Minimum faces on both sides for any figure to be reported.
    pub min_n: usize,
}

impl Default for EmbeddingOptions {
    fn default() -> Self {
        Self {
            k: 5,
            sample: 10_000,
            seed: 42,
            bootstrap: 0,
            threshold: None,
            embedding: "embedding".into(),
            identity: None,
            min_n: 1,
        }
    }
}

const KEYS: &str = "k, sample, seed, bootstrap, threshold, embedding, identity, min_n";

fn number<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T> {
    match value.parse() {
        Ok(v) => Ok(v),
        Err(_) => plan_err!("{NAME}: option `{key}` must be {what}, got '{value}'"),
    }
}

impl EmbeddingOptions {
    /// Parses `key=value` pairs separated by commas.
    pub fn parse(text: &str) -> Result<Self> {
        let mut o = Self::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return plan_err!("{NAME}: option '{part}' is not key=value (options: {KEYS})");
            };
            let (key, value) = (key.trim(), value.trim());
            match key.to_ascii_lowercase().as_str() {
                "k" => o.k = number(key, value, "a whole number of neighbours, at least 1")?,
                "sample" => o.sample = number(key, value, "a whole number of faces, at least 1")?,
                "seed" => o.seed = number(key, value, "a whole number")?,
                "bootstrap" => o.bootstrap = number(key, value, "a whole number of replicates")?,
                "min_n" => o.min_n = number(key, value, "a whole number of faces")?,
                "threshold" => {
                    let t: f64 = number(key, value, "a cosine similarity in [-1, 1]")?;
                    if !(-1.0..=1.0).contains(&t) {
                        return plan_err!(
                            "{NAME}: option `threshold` must be a cosine similarity in [-1, 1], got '{value}'"
                        );
                    }
                    o.threshold = Some(t);
                }
                "embedding" if !value.is_empty() => o.embedding = value.to_string(),
                "embedding" => return plan_err!("{NAME}: option `embedding` needs a column name"),
                "identity" => o.identity = Some(value.to_string()).filter(|v| !v.is_empty()),
                _ => return plan_err!("{NAME}: unknown option `{key}` (options: {KEYS})"),
            }
        }
        if o.k == 0 {
            return plan_err!("{NAME}: option `k` must be at least 1, got 0");
        }
        if o.sample == 0 {
            return plan_err!("{NAME}: option `sample` must be at least 1, got 0");
        }
        if o.bootstrap > 10_000 {
            return plan_err!("{NAME}: option `bootstrap` is at most 10000, got {}", o.bootstrap);
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        let o = EmbeddingOptions::parse(
            "k=3, sample=500, seed=7, bootstrap=20, threshold=0.6, embedding=vec, identity=person, min_n=10",
        )
        .unwrap();
        assert_eq!((o.k, o.sample, o.seed, o.bootstrap, o.min_n), (3, 500, 7, 20, 10));
        assert_eq!(o.threshold, Some(0.6));
        assert_eq!(
            (o.embedding.as_str(), o.identity.as_deref()),
            ("vec", Some("person"))
        );
        assert_eq!(EmbeddingOptions::parse(" ").unwrap(), EmbeddingOptions::default());
    }

    #[test]
    fn errors_name_the_option() {
        for (text, want) in [
            ("k=0", "option `k` must be at least 1"),
            ("k=many", "option `k` must be a whole number"),
            (
                "threshold=2",
                "option `threshold` must be a cosine similarity in [-1, 1]",
            ),
            ("sample=-1", "option `sample` must be a whole number"),
            ("colour=red", "unknown option `colour`"),
            ("k", "option 'k' is not key=value"),
        ] {
            let e = EmbeddingOptions::parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
