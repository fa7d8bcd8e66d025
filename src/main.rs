//! The `macsql` command line: a thin layer over the library (argument parsing in [`cli`], then
//! dispatch; errors are printed here, once).

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, Command};
use macsql::Error;

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| match c.downcast_ref::<Error>() {
        Some(e) => e.is_broken_pipe(),
        None => c
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe),
    })
}

/// The error and its causes on one line. Library errors show what they wrap in their own message
/// and never also as `source()`, so each message appears once.
fn report(e: &anyhow::Error) -> String {
    format!("{e:#}")
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let scripts = cli::sql::scripts_in_order(&matches, &cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: anyhow::Result<()> = runtime.block_on(async {
        match cli.command {
            Some(Command::Annotate(args)) => Ok(cli::annotate::run(args)?),
            Some(Command::Import(args)) => Ok(cli::import::run(args)?),
            Some(Command::Demo(args)) => Ok(cli::demo::run(args)?),
            Some(Command::Train(args)) => Ok(cli::annotate::run_train(args).await?),
            Some(Command::Report(args)) => Ok(cli::report::run(args).await?),
            None => cli::sql::run(cli, scripts).await,
        }
    });
    // A query cancelled with Ctrl-C may leave DataFusion tasks winding down: do not wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {}", report(&e));
            ExitCode::FAILURE
        }
    }
}
