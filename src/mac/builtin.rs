//! The default bundle built into the binary (`models/mac.toml` and the files it names, embedded
//! at compile time), so that `macsql annotate` and `mac_annotate()` work from any folder and
//! after `cargo install`. On first use it is written to the per-user cache
//! (`<cache dir>/macsql/bundle-<sha256 prefix>/`) and loaded from there like any bundle.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::MacError;

/// The default bundle's files: (name, bytes).
pub const FILES: [(&str, &[u8]); 6] = [
    ("mac.toml", include_bytes!("../../models/mac.toml")),
    (
        "mac-heads.parquet",
        include_bytes!("../../models/mac-heads.parquet"),
    ),
    (
        "retinaface-mnet025.onnx",
        include_bytes!("../../models/retinaface-mnet025.onnx"),
    ),
    (
        "gender-v1-features.onnx",
        include_bytes!("../../models/gender-v1-features.onnx"),
    ),
    (
        "age-v1-features.onnx",
        include_bytes!("../../models/age-v1-features.onnx"),
    ),
    (
        "emotion-fer-minixception-features.onnx",
        include_bytes!("../../models/emotion-fer-minixception-features.onnx"),
    ),
];

/// The manifest a run uses: `explicit` (`--model`), else `MACSQL_MODEL`, else the built-in
/// default bundle (written to the cache on first use).
pub fn bundle_path(explicit: Option<&Path>) -> Result<PathBuf, MacError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("MACSQL_MODEL").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let root = dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("macsql");
    materialise(&root)
}

/// Writes the built-in bundle under `root` (once: the folder is named by the bundle's hash)
/// and returns its manifest's path.
pub fn materialise(root: &Path) -> Result<PathBuf, MacError> {
    let mut h = Sha256::new();
    for (name, bytes) in FILES {
        h.update(name.as_bytes());
        h.update(bytes);
    }
    let hash: String = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    let dir = root.join(format!("bundle-{hash}"));
    let manifest = dir.join(FILES[0].0);
    if manifest.is_file() {
        return Ok(manifest);
    }
    let err = |p: &Path, e: std::io::Error| MacError::Input {
        path: p.to_path_buf(),
        message: format!("cannot write the built-in model bundle: {e} (pass --model or set MACSQL_MODEL)"),
    };
    let tmp = root.join(format!(".bundle-{hash}.{}.tmp", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| err(&tmp, e))?;
    for (name, bytes) in FILES {
        std::fs::write(tmp.join(name), bytes).map_err(|e| err(&tmp.join(name), e))?;
    }
    // Another process may have won the race: its folder is as good as ours.
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        if !manifest.is_file() {
            return Err(err(&dir, std::io::Error::other("rename failed")));
        }
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::manifest::Bundle;

    #[test]
    fn the_built_in_bundle_holds_every_file_its_manifest_names() {
        let root = tempfile::tempdir().unwrap();
        let manifest = materialise(root.path()).unwrap();
        let bundle = Bundle::load(&manifest).unwrap();
        let repo = Bundle::load(Path::new("models/mac.toml")).unwrap();
        // The same bundle as the repository's models/ (and so the same hash in outputs).
        assert_eq!(bundle.hash, repo.hash);
        // A second call reuses the folder.
        assert_eq!(materialise(root.path()).unwrap(), manifest);
    }
}
