//! The data file formats macsql reads and writes, and the one table of file extensions that
//! names them (registering tables, exporting results and `compare_attributes`' file argument
//! all go through it).

use std::path::{Path, PathBuf};

/// A file whose extension names no format macsql reads or writes.
#[derive(Debug, thiserror::Error)]
#[error("{}: unsupported file type '{ext}' (expected one of: {expected})", path.display())]
pub struct FormatError {
    /// The offending path.
    pub path: PathBuf,
    /// Its extension, lower case (may be empty).
    pub ext: String,
    /// The accepted extensions.
    pub expected: &'static str,
}

/// A data file format, as named by a file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Apache Parquet (`.parquet`, `.pq`).
    Parquet,
    /// Comma-separated values with a header row (`.csv`).
    Csv,
    /// Tab-separated values with a header row (`.tsv`).
    Tsv,
    /// JSON (`.json`): read as one array or as newline-delimited records, written as one array.
    Json,
    /// Newline-delimited JSON (`.ndjson`, `.jsonl`).
    NdJson,
    /// Arrow IPC file (`.arrow`, `.feather`, `.ipc`).
    Arrow,
}

/// Every extension macsql knows (lower case, without the dot) and its format.
pub const EXTENSIONS: [(&str, FileFormat); 10] = [
    ("parquet", FileFormat::Parquet),
    ("pq", FileFormat::Parquet),
    ("csv", FileFormat::Csv),
    ("tsv", FileFormat::Tsv),
    ("json", FileFormat::Json),
    ("ndjson", FileFormat::NdJson),
    ("jsonl", FileFormat::NdJson),
    ("arrow", FileFormat::Arrow),
    ("feather", FileFormat::Arrow),
    ("ipc", FileFormat::Arrow),
];

/// [`EXTENSIONS`] for messages: "parquet, pq, csv, ...".
pub const EXTENSION_LIST: &str = "parquet, pq, csv, tsv, json, ndjson, jsonl, arrow, feather, ipc";

impl FileFormat {
    /// The format of `path` from its extension (case-insensitive); an unknown or missing
    /// extension is an error naming the file and the extensions macsql knows.
    pub fn from_path(path: &Path) -> Result<Self, FormatError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        EXTENSIONS
            .iter()
            .find(|(e, _)| *e == ext)
            .map(|(_, f)| *f)
            .ok_or_else(|| FormatError {
                path: path.to_path_buf(),
                ext,
                expected: EXTENSION_LIST,
            })
    }
}

/// Whether `name` ends with one of the known extensions (`.csv`, ...; case-insensitive).
pub fn has_data_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXTENSIONS
        .iter()
        .any(|(e, _)| lower.strip_suffix(e).is_some_and(|rest| rest.ends_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_extension_in_order() {
        let names: Vec<&str> = EXTENSIONS.iter().map(|(e, _)| *e).collect();
        assert_eq!(names.join(", "), EXTENSION_LIST);
    }

    #[test]
    fn extensions_are_case_insensitive_and_unknown_ones_named() {
        assert_eq!(
            FileFormat::from_path(Path::new("a.JSONL")).unwrap(),
            FileFormat::NdJson
        );
        assert_eq!(
            FileFormat::from_path(Path::new("a.Pq")).unwrap(),
            FileFormat::Parquet
        );
        let err = FileFormat::from_path(Path::new("dir/a.xlsx"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.xlsx") && err.contains("'xlsx'") && err.contains("feather"),
            "{err}"
        );
        assert!(
            has_data_extension("x.FEATHER") && !has_data_extension("feather") && !has_data_extension("t.tbl")
        );
    }
}
