//! The `macsql` command line: a thin layer over the library (argument parsing and dispatch).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use macsql::output::PrintFormat;
use macsql::shell::{PrintOptions, Session, repl};
use macsql::{Engine, Error};

/// SQL over face-attribute annotation tables: compare real and synthetic face datasets.
#[derive(Debug, Parser)]
#[command(name = "macsql", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Register a file or folder as a table (PATH, or NAME=PATH); repeatable.
    #[arg(long = "data", value_name = "PATH | NAME=PATH")]
    data: Vec<String>,
    /// Register the simulated paper-scale catalog (table `demo`) in memory.
    #[arg(long)]
    demo: bool,
    /// Size of the --demo catalog relative to the paper's (1.0 = 4.3M rows).
    #[arg(long, default_value_t = 1.0, requires = "demo")]
    scale: f64,
    /// Run SQL (repeatable; -c and -f run in the order given, then macsql exits).
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    commands: Vec<String>,
    /// Run the statements of a .sql file (repeatable).
    #[arg(short = 'f', long = "file", value_name = "FILE.sql")]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PrintFormat::Table)]
    format: PrintFormat,
    /// Write the result of the last statement to OUT (format from the extension).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// Chart the result of the last statement into PATH (.svg or .png).
    #[arg(long = "plot", value_name = "PATH")]
    plot: Option<PathBuf>,
    /// The chart --plot draws: bars, heatmap or asymmetry (default: from the result's shape).
    #[arg(
        long = "plot-kind",
        value_name = "KIND",
        requires = "plot",
        default_value = "auto"
    )]
    plot_kind: String,
    /// Rows shown by table and markdown output (0 = all).
    #[arg(long, default_value_t = 40)]
    maxrows: usize,
    /// No timing or banner lines.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the attribute classifier over image folders and write an annotation table.
    Annotate(macsql::mac::cli::AnnotateArgs),
    /// Convert an existing annotation set (MAAD-Face, CelebA, FairFace, Face API) to macsql's layout.
    Import(macsql::import::ImportArgs),
    /// Generate the simulated paper-scale catalog as Parquet.
    Demo(macsql::demo::DemoArgs),
    /// Learn attribute heads from labelled images and write a bundle that labels them.
    Train(macsql::mac::cli::TrainArgs),
}

/// One `-c` or `-f` item, in command-line order.
enum Script {
    Sql(String),
    File(PathBuf),
}

fn scripts_in_order(matches: &clap::ArgMatches, cli: &Cli) -> Vec<Script> {
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

async fn run_sql_mode(cli: Cli, scripts: Vec<Script>) -> anyhow::Result<()> {
    let engine = Engine::new();
    for spec in &cli.data {
        // Registration errors name the file already.
        engine.register_spec(spec).await?;
    }
    if cli.demo {
        macsql::demo::register(&engine, cli.scale, 42)?;
    }
    let options = PrintOptions {
        format: cli.format,
        maxrows: cli.maxrows,
        quiet: cli.quiet,
        timer: true,
        width: macsql::shell::session::terminal_width(),
    };
    let mut session = Session::new(engine, options);
    let mut out = std::io::stdout();
    if scripts.is_empty() {
        if std::io::stdin().is_terminal() {
            return Ok(repl::run(&mut session).await?);
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
    let kind: macsql::plot::PlotKind = cli
        .plot_kind
        .parse()
        .map_err(Error::from)
        .context("--plot-kind")?;
    let df = session
        .last_query()
        .cloned()
        .context("--plot: no query result to plot (the last statement must be a query)")?;
    let message = macsql::plot::plot_dataframe(df, kind, Some(path), None)
        .await
        .with_context(|| format!("--plot {}", path.display()))?;
    if !cli.quiet {
        eprint!("{message}");
    }
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| match c.downcast_ref::<Error>() {
        Some(e) => e.is_broken_pipe(),
        None => c
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe),
    })
}

/// The error and its causes on one line, each message once (library errors already include
/// their cause's text).
fn report(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let scripts = scripts_in_order(&matches, &cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: anyhow::Result<()> = runtime.block_on(async {
        match cli.command {
            Some(Command::Annotate(args)) => Ok(macsql::mac::cli::run(args)?),
            Some(Command::Import(args)) => Ok(macsql::import::run(args)?),
            Some(Command::Demo(args)) => Ok(macsql::demo::run(args)?),
            Some(Command::Train(args)) => Ok(macsql::mac::cli::run_train(args).await?),
            None => run_sql_mode(cli, scripts).await,
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
