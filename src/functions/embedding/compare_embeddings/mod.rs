//! `compare_embeddings(table, dataset_column [, options])`: a table function comparing the
//! faces (embeddings) of every ordered pair of datasets: Fréchet distance, PRDC and a copy
//! check, one row per pair.
//!
//! It runs when the table is scanned: one query streams the dataset and embedding columns of
//! the source into a seeded sample per dataset ([`sample`]); each dataset's k-NN radii,
//! moments and copy-threshold calibration ([`copies`]) are computed once; each pair's
//! nearest-neighbour pass ([`knn::cross`]) once for both orders.

pub mod copies;
pub mod fd;
pub mod knn;
pub mod options;
pub mod points;
pub mod prdc;
pub mod row;
pub mod sample;
pub mod tile;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use async_trait::async_trait;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::embedding_stats::moments::Moments;
use super::vectors::{Dimension, is_embedding_type, visit_rows};
use crate::functions::table_source::{
    Computed, ComputedTable, SourceColumns, blocking, ident, source_sql, string_arg,
};
use copies::{Calibration, calibrate, copy_share, thousands};
use knn::{Cross, Points, cross, kth_neighbour_sq};
use options::EmbeddingOptions;
pub use row::{EmbeddingComparison, output_schema};
use sample::Sample;

const NAME: &str = "compare_embeddings";

/// The `compare_embeddings` table function.
#[derive(Debug, Default)]
pub struct CompareEmbeddings;

impl TableFunctionImpl for CompareEmbeddings {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if !(2..=3).contains(&exprs.len()) {
            return plan_err!(
                "{NAME}: expected (table, dataset_column [, options]), got {} arguments",
                exprs.len()
            );
        }
        let source = string_arg(NAME, exprs, 0, "table")?.unwrap_or_default();
        let dataset = string_arg(NAME, exprs, 1, "dataset_column")?.unwrap_or_default();
        let options = EmbeddingOptions::parse(&string_arg(NAME, exprs, 2, "options")?.unwrap_or_default())?;
        Ok(Arc::new(Computed(EmbeddingComparisonTable {
            source,
            dataset,
            options,
        })))
    }
}

/// A pending comparison: runs when scanned.
#[derive(Debug)]
struct EmbeddingComparisonTable {
    source: String,
    dataset: String,
    options: EmbeddingOptions,
}

#[async_trait]
impl ComputedTable for EmbeddingComparisonTable {
    const NAME: &'static str = NAME;

    fn output_schema(&self) -> arrow::datatypes::SchemaRef {
        output_schema()
    }

    async fn compute(&self, ctx: &SessionContext) -> Result<RecordBatch> {
        let (samples, dim) = self.read(ctx).await?;
        let options = self.options.clone();
        // The nearest-neighbour passes are CPU-bound (rayon): off the async workers.
        blocking(move || compare_all(samples, dim, &options)).await?
    }
}

impl EmbeddingComparisonTable {
    /// Streams the dataset, embedding (and identity) columns into one sample per dataset.
    async fn read(&self, ctx: &SessionContext) -> Result<(BTreeMap<String, Sample>, usize)> {
        let src = source_sql(&self.source);
        let columns = SourceColumns::plan(ctx, NAME, &self.source).await?;
        let field = |name: &str, arg: &str| columns.field(name, arg).cloned();
        field(&self.dataset, "dataset_column")?;
        let o = &self.options;
        let emb = field(&o.embedding, "option `embedding`: column")?;
        if !is_embedding_type(emb.data_type()) {
            return plan_err!(
                "{NAME}: option `embedding`: column '{}' must be an embedding (a list of Float32 or \
                 Float64, such as the `embedding` column of `macsql annotate`), got {}",
                o.embedding,
                emb.data_type()
            );
        }
        if let Some(id) = &o.identity {
            field(id, "option `identity`: column")?;
        }
        let identity = match &o.identity {
            Some(id) => format!("CAST({} AS VARCHAR)", ident(id)),
            None => "CAST(NULL AS VARCHAR)".into(),
        };
        let ds = ident(&self.dataset);
        let sql = format!(
            "SELECT CAST({ds} AS VARCHAR), {}, {identity} FROM {src} WHERE {ds} IS NOT NULL",
            ident(&o.embedding)
        );
        let mut stream = ctx.sql(&sql).await?.execute_stream().await?;
        let mut samples: BTreeMap<String, Sample> = BTreeMap::new();
        let mut dim = Dimension::default();
        let mut seen = 0usize;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let names = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
            let names = names.as_string::<i32>();
            let ids = arrow::compute::cast(batch.column(2), &DataType::Utf8)?;
            let ids = ids.as_string::<i32>();
            visit_rows(NAME, "embedding", batch.column(1).as_ref(), |i, row| {
                let sample = samples
                    .entry(names.value(i).to_string())
                    .or_insert_with(|| Sample::new(o.sample, 0, o.seed));
                if let Some(r) = row {
                    dim.check(NAME, "embedding", seen + i, r.len())?;
                    let id = ids.is_valid(i).then(|| ids.value(i));
                    sample.push(r, id);
                }
                Ok(())
            })?;
            seen += batch.num_rows();
        }
        Ok((samples, dim.get().unwrap_or(0)))
    }
}

/// One dataset, ready to compare: its sample and what is computed from it once.
struct Dataset {
    name: String,
    /// Non-NULL embeddings before sampling.
    seen: usize,
    dim: usize,
    points: Points,
    /// Squared k-NN radii (`None` with k or fewer faces).
    radii: Option<Vec<f64>>,
    moments: Moments,
    /// The bootstrap replicates' moments (empty without `bootstrap` or with too few faces).
    replicates: Vec<Moments>,
    unit: Points,
    calibration: Calibration,
}

impl Dataset {
    fn new(name: String, sample: Sample, dim: usize, o: &EmbeddingOptions) -> Self {
        let seen = sample.seen;
        let (rows, ids) = sample.finish();
        let points = Points::new(dim, &rows);
        let radii = (points.len() > o.k).then(|| kth_neighbour_sq(&points, o.k));
        let moments = fd::moments_of(dim, &rows, None);
        let replicates = if points.len() > dim {
            fd::replicates(dim, &rows, o.bootstrap, o.seed, &name)
        } else {
            Vec::new()
        };
        let unit = points.normalised();
        let calibration = calibrate(&unit, &ids, o.identity.as_deref(), o.threshold, o.seed);
        Self {
            name,
            seen,
            dim,
            points,
            radii,
            moments,
            replicates,
            unit,
            calibration,
        }
    }

    fn n(&self) -> usize {
        self.points.len()
    }

    fn zero_radii(&self) -> usize {
        self.radii
            .as_ref()
            .map_or(0, |r| r.iter().filter(|&&x| x == 0.0).count())
    }
}

/// Every ordered pair of datasets compared.
fn compare_all(samples: BTreeMap<String, Sample>, dim: usize, o: &EmbeddingOptions) -> Result<RecordBatch> {
    let sets: Vec<Dataset> = samples
        .into_iter()
        .map(|(name, s)| Dataset::new(name, s, dim, o))
        .collect();
    let mut crosses: HashMap<(usize, usize), Cross> = HashMap::new();
    let mut rows = Vec::new();
    for (i, p) in sets.iter().enumerate() {
        for (j, q) in sets.iter().enumerate() {
            if i == j {
                continue;
            }
            let key = (i.min(j), i.max(j));
            let wanted = p.n() > 0 && q.n() > 0 && p.n() >= o.min_n && q.n() >= o.min_n && dim > 0;
            if wanted && !crosses.contains_key(&key) {
                let (a, b) = (&sets[key.0], &sets[key.1]);
                crosses.insert(
                    key,
                    cross(&a.points, a.radii.as_deref(), &b.points, b.radii.as_deref()),
                );
            }
            rows.push(compare_pair(p, q, crosses.get(&key).map(|c| (c, i < j)), o));
        }
    }
    if rows.is_empty() && sets.len() < 2 {
        return exec_err!(
            "{NAME}: needs at least 2 datasets with faces to compare, found {}",
            sets.len()
        );
    }
    row::to_batch(&rows)
}

/// Compares Q against P; `cross` is the pair's pass and whether P was its first set.
fn compare_pair(
    p: &Dataset,
    q: &Dataset,
    cross: Option<(&Cross, bool)>,
    o: &EmbeddingOptions,
) -> EmbeddingComparison {
    let mut row = EmbeddingComparison {
        dataset_p: p.name.clone(),
        dataset_q: q.name.clone(),
        n_p: p.n() as i64,
        n_q: q.n() as i64,
        ..Default::default()
    };
    let mut notes = Vec::new();
    for (set, side) in [(p, "P"), (q, "Q")] {
        if set.seen > set.n() {
            notes.push(format!(
                "{side}: a seeded sample of {} of {} faces",
                thousands(set.n()),
                thousands(set.seen)
            ));
        }
    }
    let Some((c, p_first)) = cross else {
        notes.push(format!(
            "n_p = {}, n_q = {}: fewer than min_n = {} faces (or none) on one side",
            p.n(),
            q.n(),
            o.min_n.max(1)
        ));
        row.note = Some(notes.join("; "));
        return row;
    };
    // FD.
    if p.n() > p.dim && q.n() > q.dim {
        row.fd = fd::fd_between(&p.moments, &q.moments);
        row.fd_ci = fd::fd_interval(&p.replicates, &q.replicates);
    } else {
        notes.push(format!(
            "fd NULL: a {}-dimensional covariance needs more faces than dimensions (n_p = {}, n_q = {})",
            p.dim,
            p.n(),
            q.n()
        ));
    }
    // PRDC with P as the real set.
    let (p_in_q, p_holds, q_in_p) = if p_first {
        (&c.p_in_q_balls, &c.p_ball_holds, &c.q_in_p_balls)
    } else {
        (&c.q_in_p_balls, &c.q_ball_holds, &c.p_in_q_balls)
    };
    match &p.radii {
        None => notes.push(format!(
            "PRDC NULL: n_p = {} is not more than k = {} (k-NN balls need k + 1 faces)",
            p.n(),
            o.k
        )),
        Some(_) if p.zero_radii() > 0 => notes.push(format!(
            "PRDC undefined (NULL): {} faces of P have a k-NN radius of 0 (duplicates; k = {})",
            thousands(p.zero_radii()),
            o.k
        )),
        Some(radii) => {
            let f = prdc::prdc(o.k, radii, p_in_q, p_holds, q_in_p);
            row.precision = Some(f.precision);
            row.density = Some(f.density);
            row.coverage = Some(f.coverage);
            if q.radii.is_none() {
                notes.push(format!(
                    "recall NULL: n_q = {} is not more than k = {}",
                    q.n(),
                    o.k
                ));
            } else if q.zero_radii() > 0 {
                notes.push(format!(
                    "recall undefined (NULL): {} faces of Q have a k-NN radius of 0 (duplicates)",
                    thousands(q.zero_radii())
                ));
            } else {
                row.recall = Some(f.recall);
            }
        }
    }
    // Copies.
    row.copy_threshold = p.calibration.threshold;
    row.copy_share = copy_share(&q.unit, &p.calibration);
    notes.push(p.calibration.note.clone());
    row.note = Some(notes.join("; "));
    row
}
