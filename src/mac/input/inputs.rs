//! Listing the images to annotate: folders searched recursively, or CSV files listing paths
//! (with an optional identity column).

use std::path::{Path, PathBuf};

use crate::mac::MacError;

/// File extensions treated as images (lower case).
pub const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "bmp"];

/// One image to annotate.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The image file.
    pub path: PathBuf,
    /// Its identity, when known.
    pub identity: Option<String>,
    /// Its path relative to the input root, `/`-separated (the folder given, or the path as a
    /// CSV listing writes it; a file given directly: its name): what `--shard` hashes.
    pub key: String,
}

/// `path` relative to `root`, with `/` separators.
fn relative_key(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `path` has an image extension.
pub fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Every image file under `dir` (recursively), sorted by path.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>, MacError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| MacError::Input {
            path: d.clone(),
            message: e.to_string(),
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            let ft = entry.file_type().map_err(|e| MacError::Input {
                path: p.clone(),
                message: e.to_string(),
            })?;
            if ft.is_dir() || (ft.is_symlink() && p.is_dir()) {
                stack.push(p);
            } else if is_image(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn parent_name(path: &Path) -> Option<String> {
    path.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
}

/// The images named by `paths` (image files, folders or CSV files), in order. With `identity_from_dir`
/// each image's identity is its parent folder's name (unless a CSV gives one).
pub fn list(paths: &[PathBuf], identity_from_dir: bool) -> Result<Vec<Input>, MacError> {
    let mut out = Vec::new();
    for p in paths {
        if let Some(url) = crate::storage::remote_url(p) {
            out.extend(list_remote(url, identity_from_dir)?);
        } else if p.is_dir() {
            for img in list_images(p)? {
                let identity = identity_from_dir.then(|| parent_name(&img)).flatten();
                let key = relative_key(&img, p);
                out.push(Input {
                    path: img,
                    identity,
                    key,
                });
            }
        } else if p.is_file() {
            let is_csv = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            if is_csv {
                for mut input in read_csv(p)? {
                    if input.identity.is_none() && identity_from_dir {
                        input.identity = parent_name(&input.path);
                    }
                    out.push(input);
                }
            } else if is_image(p) {
                let identity = identity_from_dir.then(|| parent_name(p)).flatten();
                out.push(Input {
                    path: p.clone(),
                    identity,
                    key: p
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                });
            } else {
                return Err(MacError::Input {
                    path: p.clone(),
                    message: "expected an image (.jpg .jpeg .png .webp .bmp), a folder of images or a CSV \
                              file listing image paths"
                        .into(),
                });
            }
        } else {
            return Err(MacError::Input {
                path: p.clone(),
                message: "no such file or folder".into(),
            });
        }
    }
    Ok(out)
}

/// The images in a bucket: the object `url` itself when it is an image, else every image
/// under the folder `url`, in key order.
fn list_remote(url: &str, identity_from_dir: bool) -> Result<Vec<Input>, MacError> {
    let path = Path::new(url);
    if is_image(path) && !url.ends_with('/') {
        let key = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        return Ok(vec![Input {
            path: path.to_path_buf(),
            identity: identity_from_dir.then(|| parent_name(path)).flatten(),
            key,
        }]);
    }
    let folder = crate::storage::as_folder(url);
    let owned = folder.clone();
    let objects = crate::storage::block_on(async move { crate::storage::list(&owned).await })?;
    Ok(objects
        .into_iter()
        .map(|(object, _)| PathBuf::from(object))
        .filter(|p| is_image(p))
        .map(|p| {
            let key = p
                .to_string_lossy()
                .strip_prefix(&folder)
                .unwrap_or_default()
                .to_string();
            Input {
                identity: identity_from_dir.then(|| parent_name(&p)).flatten(),
                path: p,
                key,
            }
        })
        .collect())
}

/// Reads a CSV listing images: a header with a `path` (or `image` / `file` / `filename`)
/// column and an optional `identity` column. Relative paths are relative to the CSV's folder.
pub fn read_csv(csv_path: &Path) -> Result<Vec<Input>, MacError> {
    let err = |line: Option<u64>, message: String| MacError::Input {
        path: csv_path.to_path_buf(),
        message: match line {
            Some(l) => format!("line {l}: {message}"),
            None => message,
        },
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(csv_path)
        .map_err(|e| err(None, e.to_string()))?;
    let headers = reader.headers().map_err(|e| err(Some(1), e.to_string()))?.clone();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let path_col = find(&["path", "image", "file", "filename"]).ok_or_else(|| {
        err(
            Some(1),
            format!(
                "no path column (expected a header named path, image, file or filename; got: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let id_col = find(&["identity", "id", "person"]);
    let dir = csv_path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| err(Some(line), e.to_string()))?;
        let raw = rec.get(path_col).map(str::trim).unwrap_or("");
        if raw.is_empty() {
            return Err(err(Some(line), "empty path".into()));
        }
        let p = PathBuf::from(raw);
        let path = if p.is_absolute() { p } else { dir.join(p) };
        let identity = id_col
            .and_then(|c| rec.get(c))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from);
        out.push(Input {
            path,
            identity,
            key: raw.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_extensions_are_case_insensitive() {
        assert!(is_image(Path::new("a/B.JPG")));
        assert!(is_image(Path::new("a.webp")));
        assert!(!is_image(Path::new("a.txt")));
    }

    #[test]
    fn csv_lists_paths_relative_to_itself() {
        let dir = std::env::temp_dir().join(format!("macsql-inputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("list.csv");
        std::fs::write(&csv, "path,identity\na/1.jpg,alice\n/abs/2.png,\n").unwrap();
        let got = read_csv(&csv).unwrap();
        assert_eq!(got[0].path, dir.join("a/1.jpg"));
        assert_eq!(got[0].identity.as_deref(), Some("alice"));
        assert_eq!(got[1].path, PathBuf::from("/abs/2.png"));
        assert_eq!(got[1].identity, None);
        assert_eq!(
            (got[0].key.as_str(), got[1].key.as_str()),
            ("a/1.jpg", "/abs/2.png")
        );
        std::fs::write(&csv, "name\nx\n").unwrap();
        let e = read_csv(&csv).unwrap_err().to_string();
        assert!(e.contains("list.csv") && e.contains("line 1"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
