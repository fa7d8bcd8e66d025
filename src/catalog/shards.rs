//! Checks of a partitioned annotation dataset (`macsql annotate -o FOLDER/`) when it is
//! registered: every `source=<dataset>/shard=<I>-of-<N>` partition should hold a done-marker.
//! A shard that is missing or unfinished is a warning (its rows are not in the table, or, for a
//! data file whose run was killed before its marker, not known complete); markers made with
//! different model bundles are refused, since their labels do not compare.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::CatalogError;
use crate::mac::run::dataset::{DATA, MARKER, Marker, SHARD_KEY, SOURCE_KEY, parse_marker, read_marker};

/// What the shards of one dataset folder look like.
#[derive(Debug, Default, PartialEq)]
pub struct ShardReport {
    /// Problems to warn about (missing or unfinished shards), one line each.
    pub warnings: Vec<String>,
    /// Finished shards.
    pub done: usize,
}

/// What a dataset folder holds, as far as its shards go: the `source=*/shard=*` partition
/// folders, the files in them, and their done-markers (read). Built from the file system or
/// from a bucket listing, so the checks are the same for both.
#[derive(Debug, Default)]
struct Listing {
    /// `source=<dataset>/shard=<I>-of-<N>` folders (relative, `/`-separated).
    shard_dirs: BTreeSet<String>,
    /// Files directly in those folders (relative).
    files: BTreeSet<String>,
    /// Each marker's content (or why it could not be read), by its relative path.
    markers: BTreeMap<String, Result<Marker, String>>,
}

/// Whether `name` is a `key=...` partition folder name.
fn is_partition(name: &str, key: &str) -> bool {
    name.strip_prefix(key).is_some_and(|rest| rest.starts_with('='))
}

impl Listing {
    /// The shard folders under the local `folder`.
    fn local(folder: &Path) -> Self {
        let mut listing = Listing::default();
        let subdirs = |dir: &Path, key: &str| -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| is_partition(n, key))
                .collect();
            names.sort();
            names
        };
        for source in subdirs(folder, SOURCE_KEY) {
            for shard in subdirs(&folder.join(&source), SHARD_KEY) {
                let rel = format!("{source}/{shard}");
                let dir = folder.join(&source).join(&shard);
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    if entry.path().is_file() {
                        listing
                            .files
                            .insert(format!("{rel}/{}", entry.file_name().to_string_lossy()));
                    }
                }
                let marker = format!("{rel}/{MARKER}");
                if listing.files.contains(&marker) {
                    let read = read_marker(&dir.join(MARKER)).map_err(|e| e.to_string());
                    let read = read.and_then(|m| m.ok_or_else(|| "it disappeared while read".to_string()));
                    listing.markers.insert(marker, read);
                }
                listing.shard_dirs.insert(rel);
            }
        }
        listing
    }

    /// The shard folders under the bucket folder `url` (`/`-terminated), from its listing
    /// (URL, size); markers are fetched.
    async fn remote(url: &str, objects: &[(String, u64)]) -> Self {
        let mut listing = Listing::default();
        for (object, _) in objects {
            let Some(rel) = object.strip_prefix(url) else {
                continue;
            };
            let parts: Vec<&str> = rel.split('/').collect();
            if let [source, shard, file] = parts.as_slice()
                && is_partition(source, SOURCE_KEY)
                && is_partition(shard, SHARD_KEY)
            {
                listing.shard_dirs.insert(format!("{source}/{shard}"));
                listing.files.insert(rel.to_string());
                if *file == MARKER {
                    let read = match crate::storage::get(object).await {
                        Ok(bytes) => parse_marker(&bytes),
                        Err(e) => Err(e.to_string()),
                    };
                    listing.markers.insert(rel.to_string(), read);
                }
            }
        }
        listing
    }

    /// The `key=value` children of `parent` (`""` for the top) among the shard folders, by value.
    fn values(&self, parent: Option<&str>, key: &str) -> Vec<String> {
        let mut found: BTreeSet<String> = BTreeSet::new();
        for dir in &self.shard_dirs {
            let (source, shard) = dir.split_once('/').unwrap_or((dir, ""));
            let name = match parent {
                None => source,
                Some(p) if p == source => shard,
                Some(_) => continue,
            };
            if let Some(v) = name.strip_prefix(key).and_then(|r| r.strip_prefix('=')) {
                found.insert(v.to_string());
            }
        }
        found.into_iter().collect()
    }
}

/// `I-of-N` as (I, N).
fn shard_of(value: &str) -> Option<(u64, u64)> {
    let (i, n) = value.split_once("-of-")?;
    Some((i.parse().ok()?, n.parse().ok()?))
}

/// Checks the shards under the local `folder`; `Ok` with no warnings and `done == 0` when it
/// is not a dataset folder of `macsql annotate`.
pub fn check(folder: &Path) -> Result<ShardReport, CatalogError> {
    check_listing(&folder.display().to_string(), &Listing::local(folder))
}

/// Checks the shards under the bucket folder `url` (`/`-terminated), listed as `objects`.
pub async fn check_remote(url: &str, objects: &[(String, u64)]) -> Result<ShardReport, CatalogError> {
    check_listing(url.trim_end_matches('/'), &Listing::remote(url, objects).await)
}

/// The checks, on what `folder` (its path or URL, as shown) holds.
fn check_listing(folder: &str, listing: &Listing) -> Result<ShardReport, CatalogError> {
    let mut report = ShardReport::default();
    // The first marker of each bundle hash seen, to name both sides of a mix.
    let mut bundles: BTreeMap<String, (String, String)> = BTreeMap::new();
    for dataset in listing.values(None, SOURCE_KEY) {
        let source = format!("{SOURCE_KEY}={dataset}");
        let mut counts: BTreeSet<u64> = BTreeSet::new();
        let mut present: BTreeSet<u64> = BTreeSet::new();
        for value in listing.values(Some(&source), SHARD_KEY) {
            let Some((index, count)) = shard_of(&value) else {
                continue;
            };
            counts.insert(count);
            present.insert(index);
            let shown = format!("{source}/{SHARD_KEY}={value}");
            let marker_rel = format!("{shown}/{MARKER}");
            match listing.markers.get(&marker_rel) {
                Some(Ok(m)) => {
                    report.done += 1;
                    bundles
                        .entry(m.bundle_hash.clone())
                        .or_insert_with(|| (format!("{folder}/{marker_rel}"), m.bundle.clone()));
                }
                Some(Err(message)) => {
                    return Err(CatalogError::Folder {
                        folder: PathBuf::from(folder),
                        part: Some(PathBuf::from(format!("{folder}/{marker_rel}"))),
                        message: message.clone(),
                    });
                }
                None if listing.files.contains(&format!("{shown}/{DATA}")) => report.warnings.push(format!(
                    "{folder}: {shown} has data but no done-marker (its run stopped before it finished): \
                     its rows are read but may be incomplete; run that shard again with --resume"
                )),
                None => report.warnings.push(format!(
                    "{folder}: {shown} is unfinished (no data yet): its images are not in the table; \
                     run that shard again with --resume"
                )),
            }
        }
        if counts.len() > 1 {
            report.warnings.push(format!(
                "{folder}: {source} mixes shard counts {counts:?}: shards of different splits overlap, \
                 so images may be read twice"
            ));
        } else if let Some(&count) = counts.first() {
            let missing: Vec<String> = (0..count)
                .filter(|i| !present.contains(i))
                .map(|i| format!("{i}-of-{count}"))
                .collect();
            if !missing.is_empty() {
                report.warnings.push(format!(
                    "{folder}: {source} is missing shard {}: its images are not in the table",
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
            folder: PathBuf::from(folder),
            first: format!("{a_path} (bundle {a_name})"),
            second: format!("{b_path} (bundle {b_name})"),
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::run::dataset::write_marker;

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
