//! `macsql report`: command-line arguments, registration of the inputs, and what it prints.

use std::path::PathBuf;

use macsql::{Engine, ReportOptions, Result, register_demo, write_report};

/// Arguments of `macsql report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Annotation tables to compare (PATH or NAME=PATH; files or folders, as in SQL mode).
    #[arg(long = "data", value_name = "PATH", num_args = 1..)]
    pub data: Vec<std::ffi::OsString>,
    /// Compare the simulated paper-scale catalog (table `demo`).
    #[arg(long)]
    pub demo: bool,
    /// Size of the --demo catalog relative to the paper's (1.0 = 4.3M rows).
    #[arg(long, default_value_t = 1.0, requires = "demo")]
    pub scale: f64,
    /// Report on these registered tables only (repeatable; default: every input).
    #[arg(long = "table", value_name = "T")]
    pub tables: Vec<String>,
    /// The column that separates datasets.
    #[arg(long, default_value = "dataset")]
    pub by: String,
    /// The column that says real or synthetic.
    #[arg(long = "kind-column", default_value = "kind")]
    pub kind_column: String,
    /// Attributes to compare, comma-separated (default: every attribute column the inputs share).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub attributes: Vec<String>,
    /// Also compare the datasets within the rows where this SQL condition holds.
    #[arg(long = "where", value_name = "SQL condition")]
    pub where_: Option<String>,
    /// Subgroups to compare within, comma-separated: Male (= 1), !Male or Male=-1.
    #[arg(long, value_delimiter = ',', value_name = "Male,Senior,...")]
    pub subgroups: Vec<String>,
    /// compare_attributes options over the defaults 'bootstrap=200, min_n=30, alpha=0.5'.
    #[arg(
        long,
        default_value = "",
        value_name = "'bootstrap=200, alpha=0.5, min_n=30, undefined=drop'"
    )]
    pub options: String,
    /// The report file (.html).
    #[arg(short = 'o', long = "output", value_name = "report.html")]
    pub output: PathBuf,
    /// The page title (default: the datasets compared).
    #[arg(long)]
    pub title: Option<String>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `macsql report`: registers the inputs, writes the page, prints where it went and the
/// headline.
pub async fn run(args: ReportArgs) -> Result<()> {
    let engine = Engine::new();
    let mut tables = super::register_data(&engine, &args.data).await?;
    if args.demo {
        register_demo(&engine, args.scale, 42)?;
        tables.push("demo".to_string());
    }
    let opts = ReportOptions {
        tables: if args.tables.is_empty() {
            tables
        } else {
            args.tables
        },
        by: args.by,
        kind_column: args.kind_column,
        attributes: args.attributes,
        where_: args.where_,
        subgroups: args.subgroups,
        options: args.options,
        title: args.title,
        ..ReportOptions::default()
    };
    let s = write_report(&engine, &opts, &args.output).await?;
    if !args.quiet {
        println!("{}", s.headline);
        eprintln!(
            "wrote {} ({} KiB: {} datasets, {} attributes) in {:.2} s",
            s.path.display(),
            s.bytes.div_ceil(1024),
            s.datasets,
            s.attributes,
            s.seconds
        );
    }
    Ok(())
}
