//! Checks of a partitioned annotation dataset (`macsql annotate -o FOLDER/`) when it is
//! registered: every `source=<dataset>/shard=<I>-of-<N>` partition should hold a done-marker.
//! A shard that is missing or unfinished is a warning (its rows are not in the table, or, for a
//! data file whose run was killed before its marker, not known complete); markers made with
//! different model bundles are refused, since their labels do not compare.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::CatalogError;
use crate::mac::dataset::{DATA, MARKER, Marker, SHARD_KEY, SOURCE_KEY, read_marker};

/// What the shards of one dataset folder look like.
#[derive(Debug, Default, PartialEq)]
pub struct ShardReport {
    /// Problems to warn about (missing or unfinished shards), one line each.
    pub warnings: Vec<String>,
    /// Finished shards.
    pub done: usize,
}

/// The `key=value` sub-folders of `dir` with this key, by value, in order.
fn partitions(dir: &Path, key: &str) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let value = name.strip_prefix(key)?.strip_prefix('=')?.to_owned();
            Some((value, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// `I-of-N` as (I, N).
fn shard_of(value: &str) -> Option<(u64, u64)> {
    let (i, n) = value.split_once("-of-")?;
    Some((i.parse().ok()?, n.parse().ok()?))
}

/// Checks the shards under `folder`; `Ok` with no warnings and `done == 0` when it is not a
/// dataset folder of `macsql annotate`.
pub fn check(folder: &Path) -> Result<ShardReport, CatalogError> {
    let mut report = ShardReport::default();
    // The first marker of each bundle hash seen, to name both sides of a mix.
    let mut bundles: BTreeMap<String, (PathBuf, String)> = BTreeMap::new();
    for (dataset, source_dir) in partitions(folder, SOURCE_KEY) {
        let mut counts: BTreeSet<u64> = BTreeSet::new();
        let mut present: BTreeSet<u64> = BTreeSet::new();
        for (value, dir) in partitions(&source_dir, SHARD_KEY) {
            let Some((index, count)) = shard_of(&value) else {
                continue;
            };
            counts.insert(count);
            present.insert(index);
            let marker_path = dir.join(MARKER);
            let marker: Option<Marker> = read_marker(&marker_path).map_err(|e| CatalogError::Folder {
                folder: folder.to_path_buf(),
                part: Some(marker_path.clone()),
                message: e.to_string(),
            })?;
            let shown = format!("{SOURCE_KEY}={dataset}/{SHARD_KEY}={value}");
            match marker {
                Some(m) => {
                    report.done += 1;
                    bundles
                        .entry(m.bundle_hash.clone())
                        .or_insert_with(|| (marker_path.clone(), m.bundle.clone()));
                }
                None if dir.join(DATA).exists() => report.warnings.push(format!(
                    "{}: {shown} has data but no done-marker (its run stopped before it finished): \
                     its rows are read but may be incomplete; run that shard again with --resume",
                    folder.display()
                )),
                None => report.warnings.push(format!(
                    "{}: {shown} is unfinished (no data yet): its images are not in the table; \
                     run that shard again with --resume",
                    folder.display()
                )),
            }
        }
        if counts.len() > 1 {
            report.warnings.push(format!(
                "{}: {SOURCE_KEY}={dataset} mixes shard counts {:?}: shards of different splits overlap, \
                 so images may be read twice",
                folder.display(),
                counts
            ));
        } else if let Some(&count) = counts.first() {
            let missing: Vec<String> = (0..count)
                .filter(|i| !present.contains(i))
                .map(|i| format!("{i}-of-{count}"))
                .collect();
            if !missing.is_empty() {
                report.warnings.push(format!(
                    "{}: {SOURCE_KEY}={dataset} is missing shard {}: its images are not in the table",
                    folder.display(),
                    missing.join(", ")
                ));
            }
        }
    }
    if bundles.len() > 1 {
        let mut sides = bundles.into_values();
        let (a_path, a_name) = sides.next().unwrap_or_default();
        let (b_path, b_name) = sides.next().unwrap_or_default();
        return Err(CatalogError::MixedBundles {
            folder: folder.to_path_buf(),
            first: format!("{} (bundle {a_name})", a_path.display()),
            second: format!("{} (bundle {b_name})", b_path.display()),
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::dataset::write_marker;

    fn marker(shard: u64, shards: u64, hash: &str) -> Marker {
        Marker {
            dataset: "ffhq".into(),
            kind: "real".into(),
            shard,
            shards,
            rows: 1,
            errors: 0,
            no_face: 0,
            bundle: format!("b-{hash}"),
            bundle_hash: hash.into(),
            command: String::new(),
            finished: String::new(),
            macsql: String::new(),
        }
    }

    fn shard_dir(root: &Path, i: u64, n: u64) -> PathBuf {
        let d = root.join(format!("source=ffhq/shard={i}-of-{n}"));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn missing_and_unfinished_shards_are_warned_about() {
        let root = tempfile::tempdir().unwrap();
        let d0 = shard_dir(root.path(), 0, 3);
        write_marker(&d0.join(MARKER), &marker(0, 3, "h")).unwrap();
        shard_dir(root.path(), 2, 3); // started, no data yet
        let r = check(root.path()).unwrap();
        assert_eq!(r.done, 1);
        assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("shard=2-of-3 is unfinished"));
        assert!(r.warnings[1].contains("missing shard 1-of-3"));
    }

    #[test]
    fn shards_of_different_bundles_are_refused() {
        let root = tempfile::tempdir().unwrap();
        for (i, h) in [(0, "h1"), (1, "h2")] {
            let d = shard_dir(root.path(), i, 2);
            write_marker(&d.join(MARKER), &marker(i, 2, h)).unwrap();
        }
        let e = check(root.path()).unwrap_err().to_string();
        assert!(e.contains("b-h1") && e.contains("b-h2"), "{e}");
    }

    #[test]
    fn a_plain_folder_has_nothing_to_say() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(check(root.path()).unwrap(), ShardReport::default());
    }
}
