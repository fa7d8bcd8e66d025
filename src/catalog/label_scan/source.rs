//! Where a label scan's file lives and how its bytes are read: a local file through positioned
//! reads, an object-store object through the column chunks of one row group fetched at once
//! (one coalesced request per row group instead of one per page).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use datafusion::common::{Result, exec_datafusion_err};
use object_store::ObjectStore;
use object_store::path::Path as StorePath;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

/// One Parquet file of a label-scan table.
#[derive(Debug, Clone)]
pub enum Place {
    /// A file on this machine.
    Local(PathBuf),
    /// An object in a bucket.
    Remote {
        /// Its store.
        store: Arc<dyn ObjectStore>,
        /// Its path in the store.
        path: StorePath,
        /// Its URL, for messages.
        url: String,
    },
}

impl Place {
    /// The file's path or URL, for messages and plans.
    pub fn name(&self) -> String {
        match self {
            Place::Local(p) => p.display().to_string(),
            Place::Remote { url, .. } => url.clone(),
        }
    }

    /// A reader for `ranges` of the file (the column chunks a row group's read needs): the open
    /// local file (`file`, opened on first use), or the ranges fetched from the store.
    pub fn chunks(&self, file: &mut Option<Arc<File>>, ranges: Vec<Range<u64>>) -> Result<Chunks> {
        match self {
            Place::Local(path) => {
                if file.is_none() {
                    let f = File::open(path).map_err(|e| exec_datafusion_err!("{}: {e}", path.display()))?;
                    *file = Some(Arc::new(f));
                }
                Ok(Chunks::File(file.clone().expect("opened above")))
            }
            Place::Remote { store, path, url } => {
                let (store, path) = (Arc::clone(store), path.clone());
                let wanted = ranges.clone();
                let fetched = crate::storage::block_on(async move { store.get_ranges(&path, &wanted).await })
                    .map_err(|e| {
                        exec_datafusion_err!("{}", crate::storage::StorageError::from_store(url, &e))
                    })?;
                let mut parts: Vec<(u64, Bytes)> = ranges.iter().map(|r| r.start).zip(fetched).collect();
                parts.sort_by_key(|(start, _)| *start);
                Ok(Chunks::Fetched(Arc::new(parts)))
            }
        }
    }
}

/// The bytes a row group's read may ask for.
#[derive(Debug, Clone)]
pub enum Chunks {
    /// The whole local file.
    File(Arc<File>),
    /// Fetched ranges of an object: (file offset, bytes), by offset.
    Fetched(Arc<Vec<(u64, Bytes)>>),
}

impl Chunks {
    /// The fetched range holding `length` bytes from `start`, and the offset in it.
    fn find(parts: &[(u64, Bytes)], start: u64, length: usize) -> parquet::errors::Result<(&Bytes, usize)> {
        parts
            .iter()
            .rev()
            .find(|(s, _)| *s <= start)
            .and_then(|(s, b)| {
                let at = usize::try_from(start - s).ok()?;
                (at.saturating_add(length) <= b.len()).then_some((b, at))
            })
            .ok_or_else(|| ParquetError::EOF(format!("offset {start} (+{length}) was not fetched")))
    }
}

impl Length for Chunks {
    fn len(&self) -> u64 {
        match self {
            Chunks::File(f) => f.metadata().map(|m| m.len()).unwrap_or(0),
            Chunks::Fetched(parts) => parts.iter().map(|(s, b)| s + b.len() as u64).max().unwrap_or(0),
        }
    }
}

impl ChunkReader for Chunks {
    type T = Box<dyn Read + Send>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        match self {
            Chunks::File(f) => {
                let mut f = f.try_clone()?;
                f.seek(SeekFrom::Start(start))?;
                Ok(Box::new(BufReader::new(f)))
            }
            Chunks::Fetched(parts) => {
                let (b, at) = Self::find(parts, start, 0)?;
                Ok(Box::new(b.slice(at..).reader()))
            }
        }
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        match self {
            Chunks::File(f) => f.as_ref().get_bytes(start, length),
            Chunks::Fetched(parts) => {
                let (b, at) = Self::find(parts, start, length)?;
                Ok(b.slice(at..at + length))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetched_ranges_serve_reads_inside_them_only() {
        let chunks = Chunks::Fetched(Arc::new(vec![
            (10, Bytes::from_static(b"abcdef")),
            (100, Bytes::from_static(b"xyz")),
        ]));
        assert_eq!(chunks.get_bytes(12, 3).unwrap(), Bytes::from_static(b"cde"));
        assert_eq!(chunks.get_bytes(100, 3).unwrap(), Bytes::from_static(b"xyz"));
        let mut rest = String::new();
        chunks.get_read(101).unwrap().read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "yz");
        assert!(chunks.get_bytes(14, 5).is_err());
        assert!(chunks.get_bytes(5, 1).is_err());
        assert_eq!(chunks.len(), 103);
    }
}
