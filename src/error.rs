//! The library's typed error, for the engine, the shell and the command line: one variant per
//! subsystem error (catalog, demo, import, mac, output, plot, report, shell) or foreign error
//! ([`ForeignError`]: DataFusion, Arrow, Parquet, I/O; polars), each shown as its own message.
//! No variant also returns what it wraps from `source()`, so a chain of causes (anyhow's `{:#}`,
//! say) prints every message once.

use std::path::PathBuf;

use crate::foreign::{ForeignError, foreign_from};

/// Everything that can go wrong in the macsql library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// DataFusion, Arrow, Parquet or the file system failed.
    #[error("{0}")]
    Foreign(ForeignError),
    /// A `.sql` file does not exist.
    #[error("no such file or folder: {0}")]
    NotFound(PathBuf),
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

foreign_from!(Error);

wrap!(
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
            Error::Foreign(e) => e.is_broken_pipe(),
            Error::Output(e) => e.is_broken_pipe(),
            Error::InFile { error, .. } => error.is_broken_pipe(),
            _ => false,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Foreign(ForeignError::io(path, error))
    }
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
            Error::from(crate::output::OutputError::from(ForeignError::io(
                "<stdout>",
                std::io::Error::other("gone"),
            ))),
        ];
        for e in &errors {
            assert!(e.source().is_none(), "{e}");
        }
        assert_eq!(errors[0].to_string(), "x.csv: disk on fire");
        assert_eq!(errors[4].to_string(), "q.sql: no SQL statement given");
        assert_eq!(errors[5].to_string(), "<stdout>: gone");
    }

    /// A closed pipe stays one through every wrapper: `macsql -c ... | head -1` exits 0.
    #[test]
    fn a_closed_pipe_is_seen_through_the_wrappers() {
        let pipe = || ForeignError::io("<stdout>", std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(Error::from(pipe()).is_broken_pipe());
        assert!(Error::from(crate::output::OutputError::from(pipe())).is_broken_pipe());
        assert!(
            Error::in_file("q.sql", Error::from(crate::output::OutputError::from(pipe()))).is_broken_pipe()
        );
        let df = datafusion::error::DataFusionError::IoError(std::io::ErrorKind::BrokenPipe.into());
        assert!(Error::in_file("q.sql", Error::from(df)).is_broken_pipe());
        assert!(!Error::io("<stdout>", std::io::Error::other("full")).is_broken_pipe());
    }
}
