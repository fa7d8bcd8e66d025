//! The shell's errors: misused dot commands and terminal failures.

/// Why a dot command or the terminal failed.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// A dot command with the wrong arguments: its usage line.
    #[error("usage: {0}")]
    Usage(&'static str),
    /// A `.mode` argument that is not a format.
    #[error("{0}\nusage: .mode table|csv|tsv|json|ndjson|markdown")]
    Mode(crate::output::OutputError),
    /// A dot command that does not exist.
    #[error("unknown command '{0}': .help lists the commands")]
    UnknownCommand(String),
    /// `.schema NAME` of a table that is not registered.
    #[error("no table named '{0}' (.tables lists them)")]
    NoTable(String),
    /// `.plot` or `.export` before any query.
    #[error("no result to {0} yet: run a query first")]
    NoResult(&'static str),
    /// The terminal (rustyline) failed.
    #[error("terminal: {0}")]
    Terminal(String),
}
