//! macsql's integration tests: one test binary, one module per area.

mod cli;
mod common;
mod demo;
mod import;
mod mac;
mod shell_pty;
mod slt;
