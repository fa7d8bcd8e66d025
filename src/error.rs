//! The library's typed error: one variant per subsystem error (catalog, demo, import, mac,
//! output, plot, report, shell) or foreign error (DataFusion, Arrow, Parquet, polars), each shown as its
//! own message. No variant also returns what it wraps from `source()`, so a chain of causes
//! (anyhow's `{:#}`, say) prints every message once.

use std::path::PathBuf;

/// Everything that can go wrong in the macsql library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query failed to plan or execute.
    #[error("{}", clean_datafusion_message(.0))]
    DataFusion(datafusion::error::DataFusionError),
    /// An Arrow operation (conversion, writing) failed.
    #[error("{0}")]
    Arrow(arrow::error::ArrowError),
    /// Writing or reading a Parquet file failed.
    #[error("{0}")]
    Parquet(parquet::errors::ParquetError),
    /// A file or folder could not be read or written.
    #[error("{path}: {error}", path = .path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A data file holds no bytes at all: no header, no schema, nothing to register.
    #[error("{}: the file is empty (0 bytes: no header row, no schema), so there is no table to register", .0.display())]
    EmptyFile(PathBuf),
    /// A path does not exist.
    #[error("no such file or folder: {0}")]
    NotFound(PathBuf),
    /// A file has an extension macsql cannot read or write.
    #[error("{path}: unsupported file type '{ext}' (expected one of: {expected})")]
    UnsupportedFormat {
        /// The offending path.
        path: PathBuf,
        /// Its extension (may be empty).
        ext: String,
        /// The accepted extensions.
        expected: &'static str,
    },
    /// `Engine::sql` was given no statement.
    #[error("no SQL statement given")]
    NoStatement,
    /// `Engine::sql` was given several statements.
    #[error("expected one SQL statement, got {0} (use run_script for several)")]
    SeveralStatements(usize),
    /// A statement of a `.sql` file failed: the file and the error, which stays what it was
    /// (so a closed pipe is still recognised as one).
    #[error("{}: {error}", path.display())]
    InFile {
        /// The `.sql` file.
        path: PathBuf,
        /// What went wrong in it.
        error: Box<Error>,
    },
    /// A file or folder could not be registered as a table.
    #[error("{0}")]
    Catalog(crate::catalog::CatalogError),
    /// The demo catalog's arguments are out of range.
    #[error("{0}")]
    Demo(crate::demo::DemoError),
    /// The attribute classifier failed (model bundle, ONNX Runtime, images, training).
    #[error("{0}")]
    Mac(crate::mac::MacError),
    /// Importing an annotation file failed.
    #[error("{0}")]
    Import(crate::import::ImportError),
    /// A result could not be formatted.
    #[error("{0}")]
    Output(crate::output::OutputError),
    /// A chart could not be drawn (wrong result shape, unknown kind, unwritable file).
    #[error("{0}")]
    Plot(crate::plot::PlotError),
    /// A report could not be made (no datasets to compare, a wrong option).
    #[error("{0}")]
    Report(crate::report::ReportError),
    /// A shell command was misused (usage, unknown command or table, nothing to export).
    #[error("{0}")]
    Shell(crate::shell::ShellError),
    /// A polars operation failed (building or reading a `DataFrame`).
    #[cfg(feature = "polars")]
    #[error("polars: {0}")]
    Polars(polars::error::PolarsError),
    /// A column could not cross between polars and Arrow.
    #[cfg(feature = "polars")]
    #[error("{what}: {message}")]
    PolarsBridge {
        /// The column or step, e.g. `column 'Male'`.
        what: String,
        /// What went wrong.
        message: String,
    },
}

/// `From` for each wrapped error, by hand: thiserror's `#[from]` would also make the wrapped
/// error this one's `source()`, and its message would be printed twice.
macro_rules! wrap {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::$variant(e)
            }
        })*
    };
}

wrap!(
    Arrow(arrow::error::ArrowError),
    Parquet(parquet::errors::ParquetError),
    Catalog(crate::catalog::CatalogError),
    Demo(crate::demo::DemoError),
    Mac(crate::mac::MacError),
    Import(crate::import::ImportError),
    Output(crate::output::OutputError),
    Plot(crate::plot::PlotError),
    Report(crate::report::ReportError),
    Shell(crate::shell::ShellError),
);

#[cfg(feature = "polars")]
wrap!(Polars(polars::error::PolarsError));

impl Error {
    /// Wraps an error of a statement in the `.sql` file at `path`.
    pub fn in_file(path: impl Into<PathBuf>, source: Error) -> Self {
        Error::InFile {
            path: path.into(),
            error: Box::new(source),
        }
    }

    /// Whether this error (or the one it wraps) is a write to a closed pipe, e.g. stdout piped
    /// into `head`: not a failure of the command.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Io { error, .. } => error.kind() == std::io::ErrorKind::BrokenPipe,
            Error::InFile { error, .. } => error.is_broken_pipe(),
            Error::DataFusion(datafusion::error::DataFusionError::IoError(e)) => {
                e.kind() == std::io::ErrorKind::BrokenPipe
            }
            _ => false,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Error::DataFusion(e)
    }
}

const BUG_BOILERPLATE: &str = "This issue was likely caused by a bug in DataFusion's code.";

/// DataFusion's message, shortened for people: a root cause repeated by nested wrappers is
/// shown once, the "likely a bug" boilerplate around signature mismatches is dropped, and a
/// failed function match keeps only the part naming the function and its candidates.
pub fn clean_datafusion_message(e: &datafusion::error::DataFusionError) -> String {
    let full = e.to_string();
    if std::env::var_os("MACSQL_RAW_ERRORS").is_some() {
        return full;
    }
    let root = e.find_root().to_string();
    let mut msg = if !root.is_empty() && full.matches(root.as_str()).count() > 1 {
        root
    } else {
        full
    };
    const COERCION: &str = "user-defined coercion failed with: ";
    if let Some(i) = msg.find(COERCION) {
        // A function with its own argument checks (macsql's functions): its message names the
        // function and the argument.
        let rest = &msg[i + COERCION.len()..];
        let end = rest.find(" No function matches").unwrap_or(rest.len());
        return rest[..end].trim().to_string();
    }
    const SIGNATURE: &str = "failed to match any signature, errors: ";
    if let Some(i) = msg.find(SIGNATURE) {
        // One error means a function with its own argument checks (macsql's functions): its
        // message names the function and the argument, so it is the whole story.
        let errors = &msg[i + SIGNATURE.len()..];
        let errors = &errors[..errors.find(BUG_BOILERPLATE).unwrap_or(errors.len())];
        let errors = errors.trim().trim_end_matches('.');
        if !errors.contains(".,") {
            return errors.to_string();
        }
    }
    if let Some(i) = msg.find("No function matches the given name") {
        let rest = &msg[i..];
        // Keep the first copy only (the message repeats after the candidate list).
        let end = rest.find(": Error during planning").unwrap_or(rest.len());
        msg = format!("Error during planning: {}", &rest[..end]);
    }
    while let Some(i) = msg.find(BUG_BOILERPLATE) {
        let tail = &msg[i..];
        let end = tail
            .find("issues.")
            .map(|j| j + "issues.".len())
            .unwrap_or(tail.len());
        msg.replace_range(i..i + end, "");
    }
    collapse_repeats(msg.trim())
}

/// `msg` with a `": "`-separated part that repeats the part before it dropped: DataFusion's
/// wrappers repeat their inner error's prefix ("Parquet error: Parquet error: Invalid ...").
fn collapse_repeats(msg: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in msg.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// No wrapper hands on what it wraps as its `source()`: its message has it already, and a
    /// chain of causes would print it twice.
    #[test]
    fn wrapped_errors_are_in_the_message_not_the_source() {
        use std::error::Error as _;
        let inner = std::io::Error::other("disk on fire");
        let arrow = arrow::error::ArrowError::ExternalError(Box::new(std::io::Error::other("deep")));
        let errors = [
            Error::io("x.csv", inner),
            Error::from(arrow),
            Error::from(parquet::errors::ParquetError::General("bad footer".into())),
            Error::from(crate::plot::PlotError::UnknownKind("pie".into())),
            Error::in_file("q.sql", Error::NoStatement),
        ];
        for e in &errors {
            assert!(e.source().is_none(), "{e}");
        }
        assert_eq!(errors[0].to_string(), "x.csv: disk on fire");
        assert_eq!(errors[4].to_string(), "q.sql: no SQL statement given");
    }

    #[test]
    fn a_prefix_repeated_by_a_wrapper_is_shown_once() {
        assert_eq!(
            collapse_repeats("Parquet error: Parquet error: Invalid Parquet file. Corrupt footer"),
            "Parquet error: Invalid Parquet file. Corrupt footer"
        );
        assert_eq!(collapse_repeats("a: b: a: b"), "a: b: a: b");
    }
}
