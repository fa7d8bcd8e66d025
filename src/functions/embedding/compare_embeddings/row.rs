//! One row of `compare_embeddings`: the comparison of the faces of two datasets, as a named
//! struct, and its Arrow form (the table function's output columns).

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

/// The comparison of the faces of dataset Q against those of dataset P (P the reference).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbeddingComparison {
    /// Dataset P (the real / reference set).
    pub dataset_p: String,
    /// Dataset Q (the set compared with it).
    pub dataset_q: String,
    /// Faces of P compared (non-NULL embeddings, after sampling).
    pub n_p: i64,
    /// Faces of Q compared.
    pub n_q: i64,
    /// Fréchet distance between Gaussians fitted to the two samples.
    pub fd: Option<f64>,
    /// Bootstrap 95% interval of `fd`.
    pub fd_ci: Option<(f64, f64)>,
    /// Share of Q inside P's k-NN balls.
    pub precision: Option<f64>,
    /// Share of P inside Q's k-NN balls.
    pub recall: Option<f64>,
    /// P's balls holding each face of Q, averaged, over k.
    pub density: Option<f64>,
    /// Share of P whose nearest face of Q is inside its ball.
    pub coverage: Option<f64>,
    /// Cosine similarity above which a face of Q counts as a copy of a face of P.
    pub copy_threshold: Option<f64>,
    /// Share of Q's faces more similar than the threshold to their nearest face of P.
    pub copy_share: Option<f64>,
    /// What was used, and why values are missing.
    pub note: Option<String>,
}

/// The output columns of `compare_embeddings`.
pub fn output_schema() -> SchemaRef {
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        Field::new("dataset_p", DataType::Utf8, false),
        Field::new("dataset_q", DataType::Utf8, false),
        Field::new("n_p", DataType::Int64, false),
        Field::new("n_q", DataType::Int64, false),
        f("fd"),
        f("fd_lo"),
        f("fd_hi"),
        f("precision"),
        f("recall"),
        f("density"),
        f("coverage"),
        f("copy_threshold"),
        f("copy_share"),
        Field::new("note", DataType::Utf8, true),
    ]))
}

/// The rows as one batch of [`output_schema`].
pub fn to_batch(rows: &[EmbeddingComparison]) -> Result<RecordBatch> {
    let (mut p, mut q, mut note) = (StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
    let (mut np, mut nq) = (Int64Builder::new(), Int64Builder::new());
    let mut floats: [Float64Builder; 9] = std::array::from_fn(|_| Float64Builder::new());
    for r in rows {
        p.append_value(&r.dataset_p);
        q.append_value(&r.dataset_q);
        np.append_value(r.n_p);
        nq.append_value(r.n_q);
        let values = [
            r.fd,
            r.fd_ci.map(|c| c.0),
            r.fd_ci.map(|c| c.1),
            r.precision,
            r.recall,
            r.density,
            r.coverage,
            r.copy_threshold,
            r.copy_share,
        ];
        for (b, v) in floats.iter_mut().zip(values) {
            b.append_option(v);
        }
        note.append_option(r.note.as_deref());
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(p.finish()),
        Arc::new(q.finish()),
        Arc::new(np.finish()),
        Arc::new(nq.finish()),
    ];
    columns.extend(floats.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.push(Arc::new(note.finish()));
    Ok(RecordBatch::try_new(output_schema(), columns)?)
}
