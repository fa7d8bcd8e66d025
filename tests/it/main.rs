//! macsql's integration tests: one test binary, one module per area.

mod cli;
mod common;
mod mac;
mod shell_pty;
mod slt;
mod demo;
mod import;
