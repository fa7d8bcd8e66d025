//! # macsql
//!
//! An embedded SQL analytics engine for face-attribute annotation tables (the MAAD-Face
//! vocabulary: `Male`, `Young`, `Smiling`, ... labelled 1 / 0 / -1), built on DataFusion.
//!
//! It registers annotation tables from files, adds SQL functions that build attribute
//! histograms and compare them between datasets (`attr_hist`, `kl_div`, `js_div`, ...), runs a
//! massive attribute classifier (MAC) on ONNX Runtime over image folders, and exports results.
//!
//! ```no_run
//! # async fn demo() -> Result<(), macsql::Error> {
//! let engine = macsql::Engine::new();
//! engine.register_path("../shared/data/annotations/styleflow_stylegan2_faceapi.csv", None).await?;
//! let batches = engine.sql_collect("SELECT count(*) AS n FROM styleflow_stylegan2_faceapi").await?;
//! assert_eq!(batches[0].num_rows(), 1);
//! # Ok(()) }
//! ```
//!
//! ## polars `DataFrame`s in and out (feature `polars`)
//!
//! With the cargo feature `polars`, `Engine::register_dataframe` registers a polars
//! `DataFrame` as a table and `Engine::sql_to_dataframe` returns a result as one, through the
//! Arrow C Data Interface (the column buffers are shared, not copied; the
//! `polars_bridge` module lists the few types that are converted). A worked example:
//! register the annotations of a real and a synthetic dataset, compare them, get a `DataFrame`.
//!
//! ```
//! # #[cfg(feature = "polars")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use polars::prelude::*;
//!
//! // Annotations in macsql's layout: Int8 labels (1 / -1 / 0) and Float32 probabilities.
//! let real = df!(
//!     "dataset" => ["ffhq"; 4],
//!     "Male" => [1i8, -1, 1, -1],
//!     "Male_p" => [0.9f32, 0.2, 0.8, 0.1],
//! )?;
//! let synthetic = df!(
//!     "dataset" => ["stylegan2"; 4],
//!     "Male" => [1i8, 1, 1, -1],
//!     "Male_p" => [0.7f32, 0.9, 0.6, 0.3],
//! )?;
//!
//! let engine = macsql::Engine::new();
//! engine.register_dataframe("real", &real)?;
//! engine.register_dataframe("synthetic", &synthetic)?;
//!
//! // Compare the two datasets: the share of positive `Male` labels in each.
//! let shares = engine
//!     .sql_to_dataframe(
//!         "SELECT dataset, avg(CASE WHEN Male = 1 THEN 1.0 ELSE 0.0 END) AS male_share \
//!          FROM (SELECT * FROM real UNION ALL SELECT * FROM synthetic) \
//!          GROUP BY dataset ORDER BY dataset",
//!     )
//!     .await?;
//! let share = shares.column("male_share")?.f64()?;
//! assert_eq!(share.get(0), Some(0.5)); // ffhq
//! assert_eq!(share.get(1), Some(0.75)); // stylegan2
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod annotations;
mod catalog;
mod demo;
mod engine;
mod error;
mod foreign;
mod formats;
mod functions;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod import;
mod mac;
mod options;
mod output;
mod plot;
#[cfg(feature = "polars")]
mod polars_bridge;
mod report;
mod shell;
mod storage;
mod warnings;

// The public API. Everything else is crate-private.

// The engine, its errors and the errors of each subsystem it wraps.
pub use catalog::CatalogError;
pub use engine::Engine;
pub use error::{Error, Result};
pub use foreign::ForeignError;
pub use formats::FormatError;
pub use import::ImportError;
pub use mac::MacError;
pub use output::OutputError;
pub use plot::PlotError;
pub use report::ReportError;
pub use shell::ShellError;
pub use storage::StorageError;

// Annotation tables: the MAAD-Face vocabulary, the layout's metadata keys, writing a table.
pub use annotations::{Band, Kind, MAAD_ATTRIBUTES, command_line, meta, write_parquet_atomic};

// `macsql annotate` and `macsql train`: the attribute classifier and its bundles.
pub use mac::bundle::manifest::Bundle;
pub use mac::infer::classifier::Detect;
pub use mac::infer::pipeline::FaceChoice;
pub use mac::run::annotate::{AnnotateOptions, Summary as AnnotateSummary, annotate};
pub use mac::run::shard::Shard;
pub use mac::train::{AttributeOutcome, BandChoice, Fitted, TrainOptions, TrainSummary, train};

// `macsql import`: existing annotation sets.
pub use import::{ImportFormat, import};

// `macsql demo` and `--demo`: the simulated paper-scale catalog.
pub use demo::profile::{DATASETS as DEMO_DATASETS, DatasetProfile as DemoDataset};
pub use demo::{
    DemoError, DemoWritten, dataset_path as demo_dataset_path, generate as generate_demo,
    register as register_demo, write as write_demo,
};

// `macsql report` and `.report`: the HTML comparison report.
pub use report::{ReportOptions, ReportSummary, write_report};
// The shell and its output: sessions (batch and interactive), formats, charts, warnings.
pub use output::PrintFormat;
pub use plot::{PlotKind, plot_dataframe};
pub use shell::{Flow, PrintOptions, Session, repl::run as run_repl, terminal_width};
pub use warnings::{Handler as WarningHandler, set_handler as set_warning_handler};

// polars `DataFrame`s in and out.
#[cfg(feature = "polars")]
pub use polars_bridge::{dataframe_to_record_batches, record_batches_to_dataframe};
