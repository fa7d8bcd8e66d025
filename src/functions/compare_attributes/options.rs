//! Options of `compare_attributes(table, dataset_column [, options])`, given as one string:
//! `'bootstrap=200, seed=7, undefined=drop, attributes=Male;Young, identity=person, min_n=30, alpha=0.5'`.

use datafusion::common::{Result, plan_err};

const NAME: &str = "compare_attributes";

/// How label 0 ("undefined") of Int8 attributes enters the distributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undefined {
    /// 0 is a value of the distribution like -1 and 1 (the default).
    Keep,
    /// Rows labelled 0 are left out of the distributions (and of n).
    Drop,
}

/// Parsed options of `compare_attributes`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Bootstrap replicates for the KL confidence intervals (0 = none).
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Treatment of label 0.
    pub undefined: Undefined,
    /// Attributes to compare; empty = every Int8 / boolean column.
    pub attributes: Vec<String>,
    /// Column naming the identity of each row: each identity then weighs 1 in total.
    pub identity: Option<String>,
    /// Minimum rows on both sides for divergences to be reported.
    pub min_n: u64,
    /// Lidstone smoothing added to every count for the KL divergences.
    pub alpha: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            bootstrap: 0,
            seed: 42,
            undefined: Undefined::Keep,
            attributes: Vec::new(),
            identity: None,
            min_n: 1,
            alpha: 0.0,
        }
    }
}

const KEYS: &str = "bootstrap, seed, undefined, attributes, identity, min_n, alpha";

fn number<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T> {
    match value.parse() {
        Ok(v) => Ok(v),
        Err(_) => plan_err!("{NAME}: option `{key}` must be {what}, got '{value}'"),
    }
}

impl CompareOptions {
    /// Parses `key=value` pairs separated by commas (attribute lists use `;`).
    pub fn parse(text: &str) -> Result<Self> {
        let mut o = Self::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return plan_err!("{NAME}: option '{part}' is not key=value (options: {KEYS})");
            };
            let (key, value) = (key.trim(), value.trim());
            match key.to_ascii_lowercase().as_str() {
                "bootstrap" => o.bootstrap = number(key, value, "a whole number of replicates")?,
                "seed" => o.seed = number(key, value, "a whole number")?,
                "min_n" => o.min_n = number(key, value, "a whole number of rows")?,
                "alpha" => {
                    o.alpha = number(key, value, "a non-negative number")?;
                    if !(o.alpha >= 0.0 && o.alpha.is_finite()) {
                        return plan_err!(
                            "{NAME}: option `alpha` must be a non-negative number, got '{value}'"
                        );
                    }
                }
                "undefined" => {
                    o.undefined = match value.to_ascii_lowercase().as_str() {
                        "keep" => Undefined::Keep,
                        "drop" => Undefined::Drop,
                        _ => {
                            return plan_err!(
                                "{NAME}: option `undefined` must be keep or drop, got '{value}'"
                            );
                        }
                    }
                }
                "attributes" => {
                    o.attributes = value
                        .split(';')
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(String::from)
                        .collect();
                }
                "identity" => o.identity = Some(value.to_string()).filter(|v| !v.is_empty()),
                _ => return plan_err!("{NAME}: unknown option `{key}` (options: {KEYS})"),
            }
        }
        if o.bootstrap > 100_000 {
            return plan_err!(
                "{NAME}: option `bootstrap` is at most 100000, got {}",
                o.bootstrap
            );
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        let o = CompareOptions::parse(
            "bootstrap=200, seed=7, undefined=drop, attributes=Male; Young, identity=person, min_n=30, alpha=0.5",
        )
        .unwrap();
        assert_eq!(o.bootstrap, 200);
        assert_eq!(o.seed, 7);
        assert_eq!(o.undefined, Undefined::Drop);
        assert_eq!(o.attributes, vec!["Male", "Young"]);
        assert_eq!(o.identity.as_deref(), Some("person"));
        assert_eq!(o.min_n, 30);
        assert_eq!(o.alpha, 0.5);
        assert_eq!(CompareOptions::parse("").unwrap(), CompareOptions::default());
    }

    #[test]
    fn errors_name_the_option() {
        let e = CompareOptions::parse("bootstrap=lots").unwrap_err().to_string();
        assert!(e.contains("`bootstrap`"), "{e}");
        let e = CompareOptions::parse("colour=red").unwrap_err().to_string();
        assert!(e.contains("unknown option `colour`"), "{e}");
        let e = CompareOptions::parse("alpha=-1").unwrap_err().to_string();
        assert!(e.contains("`alpha`"), "{e}");
    }
}
