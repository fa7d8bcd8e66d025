//! The command line's arguments (clap) and the commands that print: the binary side of macsql,
//! over the library's public API.

pub mod annotate;
pub mod demo;
pub mod import;
pub mod report;
pub mod sql;

use clap::{Parser, Subcommand};
use macsql::PrintFormat;
use std::path::PathBuf;

/// SQL over face-attribute annotation tables: compare real and synthetic face datasets.
#[derive(Debug, Parser)]
#[command(name = "macsql", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Register a file or folder as a table (PATH, or NAME=PATH); repeatable.
    #[arg(long = "data", value_name = "PATH | NAME=PATH")]
    pub data: Vec<std::ffi::OsString>,
    /// Register the simulated paper-scale catalog (table `demo`) in memory.
    #[arg(long)]
    pub demo: bool,
    /// Size of the --demo catalog relative to the paper's (1.0 = 4.3M rows).
    #[arg(long, default_value_t = 1.0, requires = "demo")]
    pub scale: f64,
    /// Run SQL (repeatable; -c and -f run in the order given, then macsql exits).
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub commands: Vec<String>,
    /// Run the statements of a .sql file (repeatable).
    #[arg(short = 'f', long = "file", value_name = "FILE.sql")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PrintFormat::Table)]
    pub format: PrintFormat,
    /// Write the result of the last statement to OUT (format from the extension).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Chart the result of the last statement into PATH (.svg or .png).
    #[arg(long = "plot", value_name = "PATH")]
    pub plot: Option<PathBuf>,
    /// The chart --plot draws: bars, heatmap or asymmetry (default: from the result's shape).
    #[arg(
        long = "plot-kind",
        value_name = "KIND",
        requires = "plot",
        default_value = "auto"
    )]
    pub plot_kind: String,
    /// Rows shown by table and markdown output (0 = all).
    #[arg(long, default_value_t = 40)]
    pub maxrows: usize,
    /// No timing or banner lines.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the attribute classifier over image folders and write an annotation table.
    Annotate(annotate::AnnotateArgs),
    /// Convert an existing annotation set (MAAD-Face, CelebA, FairFace, Face API) to macsql's layout.
    Import(import::ImportArgs),
    /// Generate the simulated paper-scale catalog as Parquet.
    Demo(demo::DemoArgs),
    /// Learn attribute heads from labelled images and write a bundle that labels them.
    Train(annotate::TrainArgs),
    /// Write a self-contained HTML report comparing the datasets of annotation tables.
    Report(report::ReportArgs),
}

/// Registers every `--data` spec (PATH or NAME=PATH) and returns the table names. DataFusion
/// reads tables by URL, so a path must be UTF-8: the one that is not is named.
pub async fn register_data(
    engine: &macsql::Engine,
    specs: &[std::ffi::OsString],
) -> macsql::Result<Vec<String>> {
    let mut names = Vec::new();
    for spec in specs {
        let spec = spec
            .to_str()
            .ok_or_else(|| macsql::Error::from(macsql::CatalogError::NonUtf8Path(PathBuf::from(spec))))?;
        // Registration errors name the file already.
        names.push(engine.register_spec(spec).await?);
    }
    Ok(names)
}

/// The threads a command uses: `--threads`, else every core.
pub fn threads(flag: Option<usize>) -> usize {
    flag.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
