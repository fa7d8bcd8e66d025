//! `macsql import`: command-line arguments and what it prints.

use std::path::PathBuf;

use macsql::{Band, Error, ImportFormat, Kind, MAAD_ATTRIBUTES, Result, import, write_parquet_atomic};

/// Arguments of `macsql import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// Input format.
    #[arg(long)]
    pub format: ImportFormat,
    /// Input file.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Dataset name stored in every row.
    #[arg(long)]
    pub dataset: String,
    /// Whether the images are real or synthetic.
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// Output Parquet file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
}

/// Runs `macsql import`: reads the input, then writes the table atomically (nothing is written
/// when the input is malformed).
pub fn run(args: ImportArgs) -> Result<()> {
    let (schema, batch) = import(
        args.format,
        &args.input,
        &args.dataset,
        args.kind,
        Band::default(),
    )?;
    let labels = schema
        .fields()
        .iter()
        .filter(|f| MAAD_ATTRIBUTES.contains(&f.name().as_str()))
        .count();
    if let Some(parent) = args.output.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let rows = write_parquet_atomic(&args.output, schema, [Ok(batch)])?;
    println!(
        "{}: {rows} rows, {labels} MAAD attributes ({}) -> {}",
        args.input.display(),
        args.format.name(),
        args.output.display()
    );
    Ok(())
}
