//! The SQL shell: a session that runs statements and dot commands (shared by batch mode and the
//! interactive REPL), the rustyline helper, and the REPL loop.

pub mod command;
mod error;
pub mod helper;
pub mod repl;
pub mod session;

pub use error::ShellError;
pub use session::{Flow, PrintOptions, Session, terminal_width};
