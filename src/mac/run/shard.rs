//! `macsql annotate --shard I/N`: a stable share of the images for one of N jobs. An image
//! belongs to shard `fnv1a64(key) mod N`, where the key is its path relative to the input root
//! (the folder given, or the path as a CSV listing writes it), so every image is in exactly one
//! shard and a file added later moves no other. `--shard auto` takes I and N from a Slurm job
//! array (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_COUNT`);
//! `--shard auto/N` takes I from `JOB_COMPLETION_INDEX` (a Kubernetes indexed Job) or
//! `SLURM_ARRAY_TASK_ID`, with N given.

use std::fmt;

use crate::mac::MacError;

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0 <= index < count.
    pub index: u64,
    /// Shards in all.
    pub count: u64,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// FNV-1a, 64 bits: the same on every platform and release (unlike std's hasher).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Shard {
    /// Whether the image with shard key `key` belongs to this shard.
    pub fn contains(&self, key: &str) -> bool {
        fnv1a64(key.as_bytes()) % self.count == self.index
    }

    /// Parses `I/N`, `auto` or `auto/N`; `env` reads an environment variable.
    pub fn parse_with(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, MacError> {
        let bad = |why: String| MacError::Annotate(format!("--shard {text}: {why}"));
        let number = |name: &str, value: &str| {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| bad(format!("{name} must be a whole number, got '{value}'")))
        };
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let (index, count) = match text.trim().split_once('/') {
            None if text.trim() == "auto" => {
                let (Some(id), Some(n)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) else {
                    return Err(bad(
                        "auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array); \
                         elsewhere give auto/N (the index from JOB_COMPLETION_INDEX) or I/N"
                            .into(),
                    ));
                };
                let min =
                    var("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |m| number("SLURM_ARRAY_TASK_MIN", &m))?;
                let id = number("SLURM_ARRAY_TASK_ID", &id)?;
                (
                    id.checked_sub(min).ok_or_else(|| {
                        bad(format!(
                            "SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"
                        ))
                    })?,
                    number("SLURM_ARRAY_TASK_COUNT", &n)?,
                )
            }
            Some(("auto", n)) => {
                let count = number("N", n)?;
                let index = match (var("JOB_COMPLETION_INDEX"), var("SLURM_ARRAY_TASK_ID")) {
                    (Some(i), _) => number("JOB_COMPLETION_INDEX", &i)?,
                    (None, Some(i)) => {
                        let min = var("SLURM_ARRAY_TASK_MIN")
                            .map_or(Ok(0), |m| number("SLURM_ARRAY_TASK_MIN", &m))?;
                        number("SLURM_ARRAY_TASK_ID", &i)?.saturating_sub(min)
                    }
                    (None, None) => {
                        return Err(bad(
                            "auto/N needs JOB_COMPLETION_INDEX (a Kubernetes indexed Job) or \
                             SLURM_ARRAY_TASK_ID"
                                .into(),
                        ));
                    }
                };
                (index, count)
            }
            Some((i, n)) => (number("I", i)?, number("N", n)?),
            None => return Err(bad("expected I/N (e.g. 0/4), auto or auto/N".into())),
        };
        if count == 0 || index >= count {
            return Err(bad(format!("needs 0 <= I < N, got I = {index}, N = {count}")));
        }
        Ok(Shard { index, count })
    }
}

impl std::str::FromStr for Shard {
    type Err = MacError;
    fn from_str(s: &str) -> Result<Self, MacError> {
        Shard::parse_with(s, |name| std::env::var(name).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn shards_parse_from_flags_and_job_arrays() {
        let none = env(&[]);
        assert_eq!(
            Shard::parse_with("2/5", &none).unwrap(),
            Shard { index: 2, count: 5 }
        );
        for bad in ["5/5", "1/0", "a/3", "3", "auto", "auto/2", "-1/3"] {
            assert!(Shard::parse_with(bad, &none).is_err(), "{bad}");
        }
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::parse_with("auto", &slurm).unwrap(),
            Shard { index: 2, count: 4 }
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1")]);
        assert_eq!(
            Shard::parse_with("auto/3", &k8s).unwrap(),
            Shard { index: 1, count: 3 }
        );
        let e = Shard::parse_with("auto", &k8s).unwrap_err().to_string();
        assert!(
            e.contains("--shard auto") && e.contains("SLURM_ARRAY_TASK_ID"),
            "{e}"
        );
    }

    #[test]
    fn every_key_is_in_exactly_one_shard_and_the_hash_is_stable() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let keys: Vec<String> = (0..1000).map(|i| format!("ffhq/{i:05}.png")).collect();
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        let mut sizes = [0usize; 3];
        for k in &keys {
            let owners: Vec<usize> = (0..3).filter(|&s| shards[s].contains(k)).collect();
            assert_eq!(owners.len(), 1, "{k}");
            sizes[owners[0]] += 1;
        }
        // Roughly even: each shard within 15% of a third.
        assert!(sizes.iter().all(|&n| (283..=383).contains(&n)), "{sizes:?}");
    }
}
