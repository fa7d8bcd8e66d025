//! A check of a Parquet file's footer before DataFusion reads it. parquet 59's metadata decoder
//! subtracts the metadata length the footer declares from the file's length unchecked: a footer
//! that declares more metadata than the file holds overflows (a panic where overflow checks are
//! on; found by the fuzz target `label_scan`, input `crash-97f60b4c`). Such a file is refused here,
//! named, before any reader sees it.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// What is wrong with the footer of the Parquet file at `path` (`len` bytes long) when it
/// declares more metadata than the file holds; `None` when it does not (other problems are left
/// to the reader, whose messages cover them).
pub fn footer_problem(path: &Path, len: u64) -> Option<String> {
    if len < 8 {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::End(-8)).ok()?;
    let mut tail = [0u8; 8];
    file.read_exact(&mut tail).ok()?;
    declared_too_long(tail, len)
}

/// The check on the last 8 bytes of a file (`u32` metadata length, then `PAR1`).
fn declared_too_long(tail: [u8; 8], len: u64) -> Option<String> {
    if &tail[4..] != b"PAR1" {
        return None;
    }
    let declared = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    (declared + 8 > len).then(|| {
        format!(
            "Parquet footer declares {declared} bytes of metadata, but the file has only {len} bytes: \
             it is cut short or not a Parquet file"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(declared: u32) -> [u8; 8] {
        let mut t = [0u8; 8];
        t[..4].copy_from_slice(&declared.to_le_bytes());
        t[4..].copy_from_slice(b"PAR1");
        t
    }

    #[test]
    fn metadata_longer_than_the_file_is_named() {
        let why = declared_too_long(tail(5000), 4737).unwrap();
        assert!(why.contains("5000") && why.contains("4737"), "{why}");
        assert!(declared_too_long(tail(4730), 4737).is_some());
    }

    #[test]
    fn metadata_that_fits_and_other_footers_are_left_to_the_reader() {
        assert_eq!(declared_too_long(tail(4729), 4737), None);
        assert_eq!(declared_too_long(tail(0), 8), None);
        assert_eq!(declared_too_long(*b"\xff\xff\xff\xffPAR0", 20), None);
    }
}
