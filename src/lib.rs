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

pub mod annotations;
pub mod catalog;
pub mod demo;
pub mod engine;
pub mod error;
pub mod formats;
pub mod functions;
pub mod import;
pub mod mac;
pub mod output;
pub mod plot;
#[cfg(feature = "polars")]
pub mod polars_bridge;
pub mod shell;
pub mod warnings;

pub use engine::Engine;
pub use error::{Error, Result};
