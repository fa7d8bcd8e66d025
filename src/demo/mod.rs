//! The simulated paper-scale annotation catalog (`macsql demo`, `macsql --demo`).

use std::path::PathBuf;

use crate::engine::Engine;
use crate::error::Result;

/// Arguments of `macsql demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Size relative to the paper's datasets (1.0 = 4.3M rows).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write the catalog as Parquet into this folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `macsql demo`.
pub fn run(_args: DemoArgs) -> Result<()> {
    Err(crate::Error::InvalidArgument("demo: being built".into()))
}

/// Registers the simulated catalog in memory as table `demo` on `engine`.
pub fn register(_engine: &Engine, _scale: f64, _seed: u64) -> Result<()> {
    Err(crate::Error::InvalidArgument("demo: being built".into()))
}
