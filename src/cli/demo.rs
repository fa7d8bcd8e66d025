//! `macsql demo`: command-line arguments and what it prints.

use std::path::PathBuf;
use std::time::Instant;

use macsql::{Result, write_demo};

/// Arguments of `macsql demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Size relative to the paper's datasets (1.0 = 4.3M rows).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write the catalog as Parquet into this folder (one file per dataset).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `macsql demo`: writes one Parquet file per dataset into `--out`, a line for each, then a
/// summary.
pub fn run(args: DemoArgs) -> Result<()> {
    let started = Instant::now();
    let written = write_demo(&args.out, args.scale, args.seed, |d| {
        println!(
            "{:<18} {:<9} {:>9} rows  {}",
            d.name,
            d.kind.as_str(),
            d.rows,
            d.path.display()
        );
    })?;
    let total: u64 = written.iter().map(|d| d.rows).sum();
    let generated: f64 = written.iter().map(|d| d.generated_s).sum();
    println!(
        "SIMULATED catalog: {total} rows (seed {}, scale {}), generated in {:.2} s ({:.1}M rows/s), \
         written in {:.2} s in all. Query it with: macsql --data {}",
        args.seed,
        args.scale,
        generated,
        total as f64 / generated.max(1e-9) / 1e6,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
