//! Object storage: `s3://`, `gs://` and `az://` locations wherever macsql takes a path (tables,
//! `COPY ... TO`, exports, annotation inputs and outputs), read and written through
//! `object_store`, the crate DataFusion reads through. Credentials and endpoints come from each
//! cloud's standard environment variables and credential chain (for S3 `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`); nothing of them
//! is stored in history or in output metadata.

mod error;
mod io;
mod stores;

use std::path::Path;

pub use error::{Missing, StorageError, message_in};
pub use io::{block_on, get, get_opt, get_range, list, size, upload};
pub use stores::{Registry, location_of, store_for};

/// The URL schemes read as object-store locations.
pub const SCHEMES: [&str; 3] = ["s3", "gs", "az"];

/// Whether `location` is an object-store URL (`s3://`, `gs://`, `az://`).
pub fn is_remote(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// The object-store URL `path` names, when it names one (a `Path` built from `s3://b/k`).
pub fn remote_url(path: &Path) -> Option<&str> {
    path.to_str().filter(|s| is_remote(s))
}

/// `url` with a trailing `/` (a folder, as listings and partitioned datasets name it).
pub fn as_folder(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_locations_are_told_by_their_scheme() {
        assert!(is_remote("s3://bucket/a.parquet"));
        assert!(is_remote("GS://bucket/"));
        assert!(is_remote("az://container/x"));
        assert!(!is_remote("a/b.parquet"));
        assert!(!is_remote("file:///tmp/a.parquet"));
        assert!(!is_remote("http://host/a.parquet"));
        assert_eq!(remote_url(Path::new("s3://b/k")), Some("s3://b/k"));
        assert_eq!(as_folder("s3://b/out"), "s3://b/out/");
        assert_eq!(as_folder("s3://b/out/"), "s3://b/out/");
    }
}
