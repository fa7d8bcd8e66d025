//! The SQL shell: a session that runs statements and dot commands (shared by batch mode and the
//! interactive REPL), the rustyline helper, and the REPL loop.

pub mod command;
pub mod helper;
pub mod repl;
pub mod session;

pub use session::{PrintOptions, Session};
