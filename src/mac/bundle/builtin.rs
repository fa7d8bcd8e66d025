//! The bundles built into the binary, embedded at compile time so that `macsql annotate` and
//! `mac_annotate()` work from any folder and after `cargo install`: the default
//! (`models/mac.toml`: the face-recognition backbones and the heads learned on them) and the
//! small one (`models/mac-small.toml`: three small models, faster, fewer attributes), picked by
//! `--model small`. On first use they are written to the per-user cache
//! (`<cache dir>/macsql/bundle-<sha256 prefix>/`) and loaded from there like any bundle.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::mac::MacError;

/// The built-in bundles' files: (name, bytes); the two manifests first.
pub const FILES: [(&str, &[u8]); 10] = [
    ("mac.toml", include_bytes!("../../../models/mac.toml")),
    ("mac-small.toml", include_bytes!("../../../models/mac-small.toml")),
    (
        "mac-heads.parquet",
        include_bytes!("../../../models/mac-heads.parquet"),
    ),
    (
        "mac-small-heads.parquet",
        include_bytes!("../../../models/mac-small-heads.parquet"),
    ),
    (
        "retinaface-mnet025.onnx",
        include_bytes!("../../../models/retinaface-mnet025.onnx"),
    ),
    (
        "faceres-features.onnx",
        include_bytes!("../../../models/faceres-features.onnx"),
    ),
    (
        "dlib-resnet-v1.onnx",
        include_bytes!("../../../models/dlib-resnet-v1.onnx"),
    ),
    (
        "gender-v1-features.onnx",
        include_bytes!("../../../models/gender-v1-features.onnx"),
    ),
    (
        "age-v1-features.onnx",
        include_bytes!("../../../models/age-v1-features.onnx"),
    ),
    (
        "emotion-fer-minixception-features.onnx",
        include_bytes!("../../../models/emotion-fer-minixception-features.onnx"),
    ),
];

/// The names `--model` takes for the built-in bundles, with their manifests.
pub const BUILT_IN: [(&str, &str); 2] = [("default", "mac.toml"), ("small", "mac-small.toml")];

/// The manifest a run uses: `explicit` (`--model`), else `MACSQL_MODEL`, else the built-in
/// default bundle (written to the cache on first use). `default` and `small` name the built-in
/// bundles (unless a file of that name exists).
pub fn bundle_path(explicit: Option<&Path>) -> Result<PathBuf, MacError> {
    let chosen = explicit.map(Path::to_path_buf).or_else(|| {
        std::env::var_os("MACSQL_MODEL")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let manifest = match &chosen {
        None => FILES[0].0,
        Some(p) => match BUILT_IN.iter().find(|(name, _)| p.as_os_str() == *name) {
            Some((_, file)) if !p.exists() => file,
            _ => return Ok(p.clone()),
        },
    };
    let root = dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("macsql");
    Ok(materialise(&root)?.with_file_name(manifest))
}

/// Writes the built-in bundles under `root` (once: the folder is named by their hash) and
/// returns the default manifest's path (the others are beside it).
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
    use crate::mac::bundle::manifest::Bundle;

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
        let small = Bundle::load(&manifest.with_file_name("mac-small.toml")).unwrap();
        let repo = Bundle::load(Path::new("models/mac-small.toml")).unwrap();
        assert_eq!(small.hash, repo.hash);
    }
}
