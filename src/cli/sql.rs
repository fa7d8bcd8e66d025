//! SQL mode (no subcommand): `--data` / `--demo` registration, then `-c` / `-f` in order, SQL
//! on stdin, or the interactive shell; `-o` and `--plot` take the last statement's result.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::Context;
use macsql::{
    Engine, Error, PlotKind, PrintOptions, Session, plot_dataframe, register_demo, run_repl, terminal_width,
};

use super::Cli;

/// One `-c` or `-f` item, in command-line order.
pub enum Script {
    Sql(String),
    File(PathBuf),
}

pub fn scripts_in_order(matches: &clap::ArgMatches, cli: &Cli) -> Vec<Script> {
    let mut items: Vec<(usize, Script)> = Vec::new();
    if let Some(idx) = matches.indices_of("commands") {
        items.extend(
            idx.zip(cli.commands.iter())
                .map(|(i, c)| (i, Script::Sql(c.clone()))),
        );
    }
    if let Some(idx) = matches.indices_of("files") {
        items.extend(
            idx.zip(cli.files.iter())
                .map(|(i, f)| (i, Script::File(f.clone()))),
        );
    }
    items.sort_by_key(|(i, _)| *i);
    items.into_iter().map(|(_, s)| s).collect()
}

/// Runs SQL mode.
pub async fn run(cli: Cli, scripts: Vec<Script>) -> anyhow::Result<()> {
    let engine = Engine::new();
    super::register_data(&engine, &cli.data).await?;
    if cli.demo {
        register_demo(&engine, cli.scale, 42)?;
    }
    let options = PrintOptions {
        format: cli.format,
        maxrows: cli.maxrows,
        quiet: cli.quiet,
        timer: true,
        width: terminal_width(),
    };
    let mut session = Session::new(engine, options);
    let mut out = std::io::stdout();
    if scripts.is_empty() {
        if std::io::stdin().is_terminal() {
            return Ok(run_repl(&mut session).await?);
        }
        let mut sql = String::new();
        std::io::stdin()
            .read_to_string(&mut sql)
            .context("reading SQL from stdin")?;
        session.run_sql(&sql, &mut out, cli.output.as_deref()).await?;
        return plot_last(&session, &cli).await;
    }
    let n = scripts.len();
    for (i, script) in scripts.into_iter().enumerate() {
        let export = if i + 1 == n { cli.output.as_deref() } else { None };
        match script {
            // `-c .tables`, `-c ".report out.html"`: dot commands work as in the shell.
            Script::Sql(sql) if sql.trim_start().starts_with('.') => {
                session.run_dot(sql.trim(), &mut out).await?;
            }
            Script::Sql(sql) => session.run_sql(&sql, &mut out, export).await?,
            Script::File(path) => session.run_file(&path, &mut out, export).await?,
        }
    }
    plot_last(&session, &cli).await
}

/// `--plot PATH`: charts the last statement's result (re-running it).
async fn plot_last(session: &Session, cli: &Cli) -> anyhow::Result<()> {
    let Some(path) = &cli.plot else {
        return Ok(());
    };
    let kind: PlotKind = cli
        .plot_kind
        .parse()
        .map_err(Error::from)
        .context("--plot-kind")?;
    let df = session
        .last_query()
        .cloned()
        .context("--plot: no query result to plot (the last statement must be a query)")?;
    let message = plot_dataframe(df, kind, Some(path), None)
        .await
        .with_context(|| format!("--plot {}", path.display()))?;
    if !cli.quiet {
        eprint!("{message}");
    }
    Ok(())
}
