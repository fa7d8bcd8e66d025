//! Reading source files: CSV with a header (every record checked for its field count) and the
//! value parsers every importer shares, all with errors that name file, line and column.

use std::path::{Path, PathBuf};

use super::ImportError;

/// A parsed CSV file: its header and its records with their line numbers.
#[derive(Debug)]
pub struct CsvFile {
    /// The file, for error messages.
    pub file: PathBuf,
    /// Header fields, trimmed.
    pub header: Vec<String>,
    /// (line number, fields) of every data record.
    pub records: Vec<(u64, csv::StringRecord)>,
}

/// Reads the CSV at `path`: the header, then records that must have as many fields as it.
pub fn read_csv(path: &Path) -> Result<CsvFile, ImportError> {
    let file = path.to_path_buf();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| ImportError::file(path, format!("cannot read: {e}")))?;
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(r)) => r.iter().map(|s| s.trim().to_string()).collect::<Vec<_>>(),
        Some(Err(e)) => return Err(csv_error(path, e)),
        None => return Err(ImportError::file(path, "empty file: expected a header line")),
    };
    let mut out = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            let col = record.len().min(header.len());
            return Err(ImportError::at(
                path,
                line,
                col + 1,
                header.get(col).map_or("", |s| s.as_str()),
                format!(
                    "expected {} fields (as in the header), found {}",
                    header.len(),
                    record.len()
                ),
            ));
        }
        out.push((line, record));
    }
    Ok(CsvFile {
        file,
        header,
        records: out,
    })
}

fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    match e.position() {
        Some(p) => ImportError::at(path, p.line(), 0, "", e.to_string()),
        None => ImportError::file(path, e.to_string()),
    }
}

impl CsvFile {
    /// The index of header column `name`; an error naming line 1 when it is missing.
    pub fn column(&self, name: &str) -> Result<usize, ImportError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            ImportError::at(
                &self.file,
                1,
                0,
                name,
                format!(
                    "missing column '{name}' in the header (found: {})",
                    self.header.join(", ")
                ),
            )
        })
    }

    /// Field `col` of the record at `line`, trimmed.
    pub fn field<'a>(&self, record: &'a csv::StringRecord, col: usize) -> &'a str {
        record.get(col).unwrap_or("").trim()
    }

    /// An error at (`line`, column `col`).
    pub fn error(&self, line: u64, col: usize, message: impl Into<String>) -> ImportError {
        ImportError::at(
            &self.file,
            line,
            col + 1,
            self.header.get(col).map_or("", |s| s.as_str()),
            message,
        )
    }

    /// Field `col` as a number (empty: None).
    pub fn number(
        &self,
        line: u64,
        record: &csv::StringRecord,
        col: usize,
    ) -> Result<Option<f32>, ImportError> {
        let s = self.field(record, col);
        if s.is_empty() || s.eq_ignore_ascii_case("nan") {
            return Ok(None);
        }
        s.parse::<f32>()
            .map(Some)
            .map_err(|_| self.error(line, col, format!("expected a number, found '{s}'")))
    }

    /// Field `col` as a probability in [0, 1] (empty: None).
    pub fn probability(
        &self,
        line: u64,
        record: &csv::StringRecord,
        col: usize,
    ) -> Result<Option<f32>, ImportError> {
        match self.number(line, record, col)? {
            Some(p) if !(0.0..=1.0).contains(&p) => {
                Err(self.error(line, col, format!("expected a score between 0 and 1, found {p}")))
            }
            p => Ok(p),
        }
    }

    /// Field `col` as a boolean (True / False, 1 / 0; empty: None).
    pub fn flag(
        &self,
        line: u64,
        record: &csv::StringRecord,
        col: usize,
    ) -> Result<Option<bool>, ImportError> {
        let s = self.field(record, col);
        match s.to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "true" | "1" | "1.0" => Ok(Some(true)),
            "false" | "0" | "0.0" => Ok(Some(false)),
            _ => Err(self.error(line, col, format!("expected True or False, found '{s}'"))),
        }
    }
}

/// A label -1 / 0 / 1 from text, or None.
pub fn parse_label(s: &str) -> Option<i8> {
    match s {
        "-1" => Some(-1),
        "0" => Some(0),
        "1" | "+1" => Some(1),
        _ => None,
    }
}

impl ImportError {
    /// An error at `line`, column number `col` (1-based; 0 when unknown) named `name`.
    pub fn at(file: &Path, line: u64, col: usize, name: &str, message: impl Into<String>) -> Self {
        let column = match (col, name) {
            (0, "") => String::new(),
            (0, n) => format!("column '{n}': "),
            (c, "") => format!("column {c}: "),
            (c, n) => format!("column {c} ('{n}'): "),
        };
        ImportError::At {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error about the whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        ImportError::File {
            file: file.to_path_buf(),
            message: message.into(),
        }
    }
}
