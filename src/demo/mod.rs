//! The simulated paper-scale annotation catalog (`macsql demo`, `macsql --demo`).
//!
//! SIMULATED data: four datasets shaped like those of the seed study (two real, two synthetic),
//! with MAAD-Face attribute labels drawn from CelebA's attribute rates and plausible structure.
//! See [`profile`] for the sources of every number and [`mod@generate`] for the model.

mod generate;
pub(crate) mod profile;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;

use crate::annotations::{MAAD_ATTRIBUTES, meta, write_parquet_atomic};
use crate::catalog::CatalogError;
use crate::engine::Engine;
use crate::foreign::{ForeignError, foreign_from};
use generate::Plan;
use profile::DATASETS;

/// Name of the in-memory table `macsql --demo` registers.
pub const TABLE: &str = "demo";

/// Largest accepted `--scale` (43M rows, about 2.5 GB in memory).
pub const MAX_SCALE: f64 = 10.0;

/// The note stored in the catalog's metadata.
pub const NOTE: &str = "SIMULATED data: not real annotations. A synthetic stand-in for the seed \
    study's four datasets (BUPT-BalancedFace, BUPT-GlobalFace, a GAN set, IDiff-Face), drawn by \
    macsql's simulator from CelebA attribute rates and assumed structure.";

/// Errors of the demo catalog: its arguments, registering or writing it.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// `--scale` out of range.
    #[error("demo: --scale must be in (0, {MAX_SCALE}], got {0}")]
    Scale(f64),
    /// A dataset number past the catalog's four.
    #[error("demo: no dataset number {0}")]
    NoDataset(usize),
    /// The catalog could not be registered as a table.
    #[error("{0}")]
    Catalog(CatalogError),
    /// Building the batches (Arrow) or writing the files failed.
    #[error("{0}")]
    Foreign(ForeignError),
}

foreign_from!(DemoError);

impl From<CatalogError> for DemoError {
    fn from(e: CatalogError) -> Self {
        DemoError::Catalog(e)
    }
}

type Result<T, E = DemoError> = std::result::Result<T, E>;

/// One dataset of the catalog written by [`write()`].
#[derive(Debug, Clone)]
pub struct DemoWritten {
    /// The dataset's name, e.g. `bupt_balancedface`.
    pub name: &'static str,
    /// Real or synthetic.
    pub kind: crate::annotations::Kind,
    /// Rows written.
    pub rows: u64,
    /// The Parquet file.
    pub path: PathBuf,
    /// Seconds spent generating its rows (writing not included).
    pub generated_s: f64,
}

/// The catalog's schema: dataset, kind, identity, then the 47 MAAD attributes as Int8 labels,
/// with metadata saying it is simulated.
pub fn schema(scale: f64, seed: u64) -> SchemaRef {
    let mut fields = vec![
        Field::new("dataset", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("identity", DataType::Utf8, true),
    ];
    fields.extend(
        MAAD_ATTRIBUTES
            .iter()
            .map(|a| Field::new(*a, DataType::Int8, false)),
    );
    let mut metadata = crate::annotations::provenance("simulated", crate::annotations::command_line());
    metadata.insert(meta::NOTE.to_string(), NOTE.to_string());
    metadata.insert("macsql.demo.seed".to_string(), seed.to_string());
    metadata.insert("macsql.demo.scale".to_string(), scale.to_string());
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

fn check_scale(scale: f64) -> Result<()> {
    if !scale.is_finite() || scale <= 0.0 || scale > MAX_SCALE {
        return Err(DemoError::Scale(scale));
    }
    Ok(())
}

/// Generates dataset number `index` of the catalog: its record batches, in order.
pub fn generate_dataset(index: usize, scale: f64, seed: u64, schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
    check_scale(scale)?;
    let profile = DATASETS.get(index).ok_or(DemoError::NoDataset(index))?;
    let plan = Plan::new(profile, index, scale, seed);
    let batches = plan
        .chunks()
        .into_par_iter()
        .map(|(start, end)| plan.batch(schema, start, end))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(batches)
}

/// Generates the whole catalog (all four datasets) as record batches with `schema(scale, seed)`.
pub fn generate(scale: f64, seed: u64) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    check_scale(scale)?;
    let schema = schema(scale, seed);
    let mut batches = Vec::new();
    for index in 0..DATASETS.len() {
        batches.extend(generate_dataset(index, scale, seed, &schema)?);
    }
    Ok((schema, batches))
}

/// Registers the simulated catalog in memory as table `demo` on `engine`.
pub fn register(engine: &Engine, scale: f64, seed: u64) -> Result<()> {
    let (schema, batches) = generate(scale, seed)?;
    Ok(crate::catalog::register_batches(
        engine.context(),
        TABLE,
        schema,
        batches,
    )?)
}

/// The Parquet file of dataset `name` inside `out`.
pub fn dataset_path(out: &Path, name: &str) -> PathBuf {
    out.join(format!("{name}.parquet"))
}

/// Writes the catalog as one Parquet file per dataset into `out` (created if missing), each
/// atomically; `each` is called after every dataset, in order. Returns what was written.
pub fn write(
    out: &Path,
    scale: f64,
    seed: u64,
    mut each: impl FnMut(&DemoWritten),
) -> Result<Vec<DemoWritten>> {
    check_scale(scale)?;
    std::fs::create_dir_all(out).map_err(|e| ForeignError::io(out, e))?;
    let schema = schema(scale, seed);
    let mut written = Vec::with_capacity(DATASETS.len());
    for (index, profile) in DATASETS.iter().enumerate() {
        let t = Instant::now();
        let batches = generate_dataset(index, scale, seed, &schema)?;
        let generated_s = t.elapsed().as_secs_f64();
        let path = dataset_path(out, profile.name);
        let rows = write_parquet_atomic(&path, schema.clone(), batches.into_iter().map(Ok))?;
        let done = DemoWritten {
            name: profile.name,
            kind: profile.kind,
            rows,
            path,
            generated_s,
        };
        each(&done);
        written.push(done);
    }
    Ok(written)
}
