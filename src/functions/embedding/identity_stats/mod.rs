//! `identity_stats(table, dataset_column, identity_column [, options])`: a table function that
//! describes each dataset of a face-recognition table by its identities: images per identity,
//! genuine and impostor similarity, verification figures (EER, TAR at FAR = 1e-3, d') and
//! DCFace's uniqueness and consistency.
//!
//! The figures are computed when the table is scanned: one query reads the dataset, identity and
//! embedding of every row, then each dataset's faces are grouped by identity
//! ([`dataset::identity_row`]).

pub mod dataset;
pub mod dcface;
pub mod options;
pub mod pairs;
pub mod verification;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_err};
use datafusion::prelude::SessionContext;
use rayon::prelude::*;

use super::faces::{FaceMatrix, inverse_norm};
use super::vectors::{Dimension, is_embedding_type, visit_rows};
use crate::functions::table_source::{
    Computed, ComputedTable, SourceColumns, blocking, ident, source_sql, string_arg,
};
use dataset::{IdentityFaces, identity_row, to_batch};
pub use dataset::{IdentityRow, output_schema};
use options::IdentityOptions;

pub(crate) const NAME: &str = "identity_stats";

/// The `identity_stats` table function.
#[derive(Debug, Default)]
pub struct IdentityStats;

impl TableFunctionImpl for IdentityStats {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if !(3..=4).contains(&exprs.len()) {
            return plan_err!(
                "{NAME}: expected (table, dataset_column, identity_column [, options]), got {} arguments",
                exprs.len()
            );
        }
        let source = string_arg(NAME, exprs, 0, "table")?.unwrap_or_default();
        let dataset = string_arg(NAME, exprs, 1, "dataset_column")?.unwrap_or_default();
        let identity = string_arg(NAME, exprs, 2, "identity_column")?.unwrap_or_default();
        let options = IdentityOptions::parse(&string_arg(NAME, exprs, 3, "options")?.unwrap_or_default())?;
        Ok(Arc::new(Computed(IdentityTable {
            source,
            dataset,
            identity,
            options,
        })))
    }
}

/// A pending `identity_stats` call: runs when scanned.
#[derive(Debug)]
struct IdentityTable {
    source: String,
    dataset: String,
    identity: String,
    options: IdentityOptions,
}

#[async_trait]
impl ComputedTable for IdentityTable {
    const NAME: &'static str = NAME;

    fn output_schema(&self) -> SchemaRef {
        output_schema()
    }

    async fn compute(&self, ctx: &SessionContext) -> Result<RecordBatch> {
        let groups = self.load(ctx).await?;
        let options = self.options.clone();
        blocking(move || {
            let rows: Vec<IdentityRow> = groups
                .par_iter()
                .map(|(name, faces)| identity_row(name, faces, &options))
                .collect();
            to_batch(&rows)
        })
        .await?
    }
}

/// One dataset's rows as they are read, before grouping.
#[derive(Debug)]
struct Reading {
    faces: FaceMatrix,
    identity: Vec<u32>,
    names: HashMap<String, u32>,
    no_face: i64,
    no_identity: i64,
}

impl Reading {
    /// The faces grouped by identity: identities in text order; within one identity, faces in
    /// the order of their values, so that the result (and the pair sample) does not depend on
    /// the order in which DataFusion's partitions return the rows.
    fn group(self) -> IdentityFaces {
        let mut names: Vec<(&String, u32)> = self.names.iter().map(|(n, &i)| (n, i)).collect();
        names.sort();
        let mut rank = vec![0u32; names.len()];
        for (r, (_, i)) in names.iter().enumerate() {
            rank[*i as usize] = r as u32;
        }
        let mut order: Vec<usize> = (0..self.faces.len()).collect();
        order.sort_by(|&a, &b| {
            let key = |i: usize| rank[self.identity[i] as usize];
            key(a).cmp(&key(b)).then_with(|| {
                let (ra, rb) = (self.faces.row(a), self.faces.row(b));
                ra.iter()
                    .zip(rb)
                    .map(|(x, y)| x.total_cmp(y))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        });
        // Block boundaries: positions where the identity changes.
        let mut starts = vec![0];
        for p in 1..order.len() {
            if self.identity[order[p]] != self.identity[order[p - 1]] {
                starts.push(p);
            }
        }
        if !order.is_empty() {
            starts.push(order.len());
        }
        IdentityFaces {
            faces: self.faces.select(&order),
            starts,
            no_face: self.no_face,
            no_identity: self.no_identity,
        }
    }
}

impl IdentityTable {
    /// Reads every row's dataset, identity and embedding, grouped by dataset.
    async fn load(&self, ctx: &SessionContext) -> Result<BTreeMap<String, IdentityFaces>> {
        let src = source_sql(&self.source);
        let columns = SourceColumns::plan(ctx, NAME, &self.source).await?;
        columns.field(&self.dataset, "dataset_column")?;
        columns.field(&self.identity, "identity_column")?;
        let emb = &self.options.embedding;
        let field = columns.field(emb, "embedding column (option `embedding`)")?;
        if !is_embedding_type(field.data_type()) {
            return plan_err!(
                "{NAME}: column '{emb}' (option `embedding`) must be an embedding (a list of \
                 Float32 or Float64, such as the `embedding` column of `macsql annotate`), got {}",
                field.data_type()
            );
        }
        let (ds, id) = (ident(&self.dataset), ident(&self.identity));
        let sql = format!(
            "SELECT CAST({ds} AS VARCHAR), CAST({id} AS VARCHAR), {} FROM {src} WHERE {ds} IS NOT NULL",
            ident(emb)
        );
        let mut readings: BTreeMap<String, Reading> = BTreeMap::new();
        let mut dim = Dimension::default();
        let mut seen = 0usize;
        for batch in ctx.sql(&sql).await?.collect().await? {
            self.read_batch(&batch, &mut readings, &mut dim, seen)?;
            seen += batch.num_rows();
        }
        Ok(readings.into_iter().map(|(n, r)| (n, r.group())).collect())
    }

    fn read_batch(
        &self,
        batch: &RecordBatch,
        readings: &mut BTreeMap<String, Reading>,
        dim: &mut Dimension,
        seen: usize,
    ) -> Result<()> {
        let datasets = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let datasets = datasets.as_string::<i32>();
        let identities = arrow::compute::cast(batch.column(1), &DataType::Utf8)?;
        let identities = identities.as_string::<i32>();
        visit_rows(NAME, "embedding", batch.column(2).as_ref(), |row, values| {
            let name = datasets.value(row);
            if !readings.contains_key(name) {
                readings.insert(
                    name.to_string(),
                    Reading {
                        faces: FaceMatrix::new(0),
                        identity: Vec::new(),
                        names: HashMap::new(),
                        no_face: 0,
                        no_identity: 0,
                    },
                );
            }
            let r = readings.get_mut(name).expect("inserted above");
            let Some(values) = values else {
                r.no_face += 1;
                return Ok(());
            };
            let d = dim.check(NAME, "embedding", seen + row, values.len())?;
            if r.faces.is_empty() && r.faces.dim() != d {
                r.faces = FaceMatrix::new(d);
            }
            if inverse_norm(values).is_none() {
                r.no_face += 1;
                return Ok(());
            }
            if identities.is_null(row) {
                r.no_identity += 1;
                return Ok(());
            }
            r.faces.push(values);
            let next = r.names.len() as u32;
            let id = *r.names.entry(identities.value(row).to_string()).or_insert(next);
            r.identity.push(id);
            Ok(())
        })
    }
}
