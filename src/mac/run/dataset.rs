//! `macsql annotate -o FOLDER/`: a partitioned annotation dataset that many jobs write into and
//! `macsql --data FOLDER` reads as one table. Each (dataset, shard) is one hive-style partition,
//! `FOLDER/source=<dataset>/shard=<I>-of-<N>/`, holding `data.parquet` (written atomically by the
//! usual journal, whose parts live in `data.parquet.parts/` beside it) and, written last, the
//! done-marker `macsql-done.json` (rows, errors, the bundle and its hash, the command). The
//! partition keys (`source`, `shard`) are not columns of the files (`dataset` is, so the key is
//! named differently). A run of a shard whose marker exists is a no-op that says so; a marker
//! made with another bundle is refused.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::foreign::ForeignError;
use crate::mac::MacError;
use crate::mac::run::shard::Shard;

/// The done-marker's file name in a shard's partition folder.
pub const MARKER: &str = "macsql-done.json";
/// The data file's name in a shard's partition folder.
pub const DATA: &str = "data.parquet";
/// The partition key naming the dataset (`dataset` itself is a column of the files).
pub const SOURCE_KEY: &str = "source";
/// The partition key naming the shard, `I-of-N`.
pub const SHARD_KEY: &str = "shard";

/// Whether `-o PATH` names a partitioned dataset folder: an existing folder, a path ending in
/// `/`, or a path without a file extension.
pub fn is_dataset_folder(path: &Path) -> bool {
    path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/') || path.extension().is_none()
}

/// A shard's place in a dataset folder.
#[derive(Debug, Clone)]
pub struct ShardPlace {
    /// The partition folder, `ROOT/source=<dataset>/shard=<I>-of-<N>`.
    pub dir: PathBuf,
}

impl ShardPlace {
    /// The partition of `dataset`'s `shard` (the whole dataset: shard 0 of 1) under `root`.
    pub fn new(root: &Path, dataset: &str, shard: Shard) -> Result<Self, MacError> {
        if dataset.is_empty() || dataset.contains(['/', '\\']) || dataset.starts_with('.') {
            return Err(MacError::Annotate(format!(
                "--dataset {dataset:?}: a dataset written into a folder names a partition folder, so \
                 it must be non-empty, must not start with '.' and must not contain '/' or '\\'"
            )));
        }
        Ok(Self {
            dir: root
                .join(format!("{SOURCE_KEY}={dataset}"))
                .join(format!("{SHARD_KEY}={}-of-{}", shard.index, shard.count)),
        })
    }

    /// The shard's data file.
    pub fn data(&self) -> PathBuf {
        self.dir.join(DATA)
    }

    /// The shard's done-marker.
    pub fn marker(&self) -> PathBuf {
        self.dir.join(MARKER)
    }
}

/// What a finished shard records, written after its data file is complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// The `dataset` column of its rows.
    pub dataset: String,
    /// `real` or `synthetic`.
    pub kind: String,
    /// This shard's index.
    pub shard: u64,
    /// Shards of the dataset in all.
    pub shards: u64,
    /// Rows in `data.parquet`.
    pub rows: u64,
    /// Rows of images that could not be read.
    pub errors: u64,
    /// Rows of images without a face.
    pub no_face: u64,
    /// The model bundle's name.
    pub bundle: String,
    /// The model bundle's hash (shards of different bundles do not make one table).
    pub bundle_hash: String,
    /// The command line that made it.
    pub command: String,
    /// When it finished (UTC, RFC 3339).
    pub finished: String,
    /// The macsql version.
    pub macsql: String,
}

/// A done-marker's content; the error says why it is not one.
pub fn parse_marker(bytes: &[u8]) -> Result<Marker, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not a macsql done-marker: {e}"))
}

/// Reads a done-marker (a file, or an object when `path` is a bucket URL); `Ok(None)` when
/// there is none.
pub fn read_marker(path: &Path) -> Result<Option<Marker>, MacError> {
    let bytes = match crate::storage::remote_url(path) {
        Some(url) => {
            let url = url.to_string();
            match crate::storage::block_on(async move { crate::storage::get_opt(&url).await })? {
                Some(b) => b.to_vec(),
                None => return Ok(None),
            }
        }
        None => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(MacError::Input {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                });
            }
        },
    };
    parse_marker(&bytes).map(Some).map_err(|message| MacError::Input {
        path: path.to_path_buf(),
        message,
    })
}

/// Writes a done-marker atomically (a temporary file renamed over it, as every output is).
pub fn write_marker(path: &Path, marker: &Marker) -> Result<(), MacError> {
    use crate::output::export::{commit_or_discard, temp_path_for};
    let text = serde_json::to_string_pretty(marker).expect("a marker serialises");
    let tmp = temp_path_for(path);
    let written = std::fs::write(&tmp, text + "\n").map_err(|e| ForeignError::io(&tmp, e).into());
    commit_or_discard(&tmp, path, written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_is_a_two_level_hive_partition() {
        let p = ShardPlace::new(Path::new("/out"), "ffhq", Shard { index: 3, count: 8 }).unwrap();
        assert_eq!(p.data(), Path::new("/out/source=ffhq/shard=3-of-8/data.parquet"));
        assert_eq!(
            p.marker(),
            Path::new("/out/source=ffhq/shard=3-of-8/macsql-done.json")
        );
        assert!(ShardPlace::new(Path::new("/out"), "a/b", Shard { index: 0, count: 1 }).is_err());
    }

    #[test]
    fn folders_are_told_from_files() {
        assert!(is_dataset_folder(Path::new("out/")));
        assert!(is_dataset_folder(Path::new("out")));
        assert!(!is_dataset_folder(Path::new("out.parquet")));
    }

    #[test]
    fn a_marker_round_trips_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MARKER);
        assert_eq!(read_marker(&path).unwrap(), None);
        let m = Marker {
            dataset: "ffhq".into(),
            kind: "real".into(),
            shard: 1,
            shards: 3,
            rows: 10,
            errors: 1,
            no_face: 0,
            bundle: "mac-default".into(),
            bundle_hash: "abc".into(),
            command: "macsql annotate".into(),
            finished: "2026-12-02T00:00:00Z".into(),
            macsql: "0.1.0".into(),
        };
        write_marker(&path, &m).unwrap();
        assert_eq!(read_marker(&path).unwrap(), Some(m));
        std::fs::write(&path, "{").unwrap();
        assert!(
            read_marker(&path)
                .unwrap_err()
                .to_string()
                .contains("not a macsql done-marker")
        );
    }
}
