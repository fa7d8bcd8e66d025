//! The errors of what macsql builds on (DataFusion, Arrow, Parquet, the file system): every
//! subsystem's error type holds one as its `Foreign` variant, so `?` on a DataFusion, Arrow or
//! Parquet call works inside any subsystem. Each is shown as its own message, and none also
//! returns what it wraps from `source()`, so a chain of causes prints every message once.

use std::path::PathBuf;

use arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use parquet::errors::ParquetError;

/// An error of a library macsql uses, or of the file system.
#[derive(Debug, thiserror::Error)]
pub enum ForeignError {
    /// A query failed to plan or execute.
    #[error("{}", clean_datafusion_message(.0))]
    DataFusion(DataFusionError),
    /// An Arrow operation (conversion, writing) failed.
    #[error("{0}")]
    Arrow(ArrowError),
    /// Writing or reading a Parquet file failed.
    #[error("{0}")]
    Parquet(ParquetError),
    /// An object-store location could not be read or written.
    #[error("{0}")]
    Storage(crate::storage::StorageError),
    /// A file or folder could not be read or written.
    #[error("{path}: {error}", path = .path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
}

impl ForeignError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        ForeignError::Io {
            path: path.into(),
            error,
        }
    }

    /// Whether this is a write to a closed pipe, e.g. stdout piped into `head`.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            ForeignError::Io { error, .. } => error.kind() == std::io::ErrorKind::BrokenPipe,
            ForeignError::DataFusion(DataFusionError::IoError(e)) => {
                e.kind() == std::io::ErrorKind::BrokenPipe
            }
            _ => false,
        }
    }
}

/// `From` each foreign error (and [`ForeignError`] itself) for error types with a
/// `Foreign(ForeignError)` variant, by hand: thiserror's `#[from]` would also make the wrapped
/// error the `source()`, and its message would be printed twice.
macro_rules! foreign_from {
    ($($ty:ty),* $(,)?) => {$(
        impl From<$crate::foreign::ForeignError> for $ty {
            fn from(e: $crate::foreign::ForeignError) -> Self {
                Self::Foreign(e)
            }
        }
        impl From<datafusion::error::DataFusionError> for $ty {
            fn from(e: datafusion::error::DataFusionError) -> Self {
                Self::Foreign($crate::foreign::ForeignError::DataFusion(e))
            }
        }
        impl From<arrow::error::ArrowError> for $ty {
            fn from(e: arrow::error::ArrowError) -> Self {
                Self::Foreign($crate::foreign::ForeignError::Arrow(e))
            }
        }
        impl From<$crate::storage::StorageError> for $ty {
            fn from(e: $crate::storage::StorageError) -> Self {
                Self::Foreign($crate::foreign::ForeignError::Storage(e))
            }
        }
        impl From<parquet::errors::ParquetError> for $ty {
            fn from(e: parquet::errors::ParquetError) -> Self {
                Self::Foreign($crate::foreign::ForeignError::Parquet(e))
            }
        }
    )*};
}
pub(crate) use foreign_from;

impl From<DataFusionError> for ForeignError {
    fn from(e: DataFusionError) -> Self {
        ForeignError::DataFusion(e)
    }
}

impl From<ArrowError> for ForeignError {
    fn from(e: ArrowError) -> Self {
        ForeignError::Arrow(e)
    }
}

impl From<ParquetError> for ForeignError {
    fn from(e: ParquetError) -> Self {
        ForeignError::Parquet(e)
    }
}

const BUG_BOILERPLATE: &str = "This issue was likely caused by a bug in DataFusion's code.";

/// DataFusion's message, shortened for people: a root cause repeated by nested wrappers is
/// shown once, the "likely a bug" boilerplate around signature mismatches is dropped, and a
/// failed function match keeps only the part naming the function and its candidates.
pub fn clean_datafusion_message(e: &DataFusionError) -> String {
    let full = e.to_string();
    if std::env::var_os("MACSQL_RAW_ERRORS").is_some() {
        return full;
    }
    if let Some(message) = crate::storage::message_in(e) {
        return message;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// No variant hands on what it wraps as its `source()`: its message has it already, and a
    /// chain of causes would print it twice.
    #[test]
    fn wrapped_errors_are_in_the_message_not_the_source() {
        use std::error::Error as _;
        let arrow = ArrowError::ExternalError(Box::new(std::io::Error::other("deep")));
        let errors = [
            ForeignError::io("x.csv", std::io::Error::other("disk on fire")),
            ForeignError::from(arrow),
            ForeignError::from(ParquetError::General("bad footer".into())),
            ForeignError::from(DataFusionError::Plan("no table".into())),
        ];
        for e in &errors {
            assert!(e.source().is_none(), "{e}");
        }
        assert_eq!(errors[0].to_string(), "x.csv: disk on fire");
        assert_eq!(errors[2].to_string(), "Parquet error: bad footer");
    }

    #[test]
    fn a_prefix_repeated_by_a_wrapper_is_shown_once() {
        assert_eq!(
            collapse_repeats("Parquet error: Parquet error: Invalid Parquet file. Corrupt footer"),
            "Parquet error: Invalid Parquet file. Corrupt footer"
        );
        assert_eq!(collapse_repeats("a: b: a: b"), "a: b: a: b");
    }

    #[test]
    fn a_closed_pipe_is_seen_directly_and_inside_datafusion() {
        let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(ForeignError::io("<stdout>", pipe()).is_broken_pipe());
        assert!(ForeignError::from(DataFusionError::IoError(pipe())).is_broken_pipe());
        assert!(!ForeignError::io("<stdout>", std::io::Error::other("full")).is_broken_pipe());
    }
}
