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

pub mod annotations;
pub mod catalog;
pub mod demo;
pub mod engine;
pub mod error;
pub mod functions;
pub mod import;
pub mod mac;
pub mod output;
pub mod shell;

pub use engine::Engine;
pub use error::{Error, Result};
