//! `compare_attributes(table, dataset_column [, options])`: a table function comparing every
//! attribute's distribution between every ordered pair of datasets in one call.
//!
//! The comparison runs when the table is scanned: one `attr_hist ... GROUP BY dataset` query over
//! the source (or one weighted query per attribute with `identity=`), then the divergences of
//! every pair ([`row::compare_pair`], one named [`Comparison`] row each).

pub(crate) mod bootstrap;
pub mod options;
pub mod row;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_err};
use datafusion::prelude::SessionContext;

use super::histogram::{key_at, read_hist};
use super::table_source::{Computed, ComputedTable, SourceColumns, ident, source_sql, string_arg};
use options::CompareOptions;
pub use row::Comparison;
use row::{Dist, compare_pair};

const NAME: &str = "compare_attributes";

/// The `compare_attributes` table function.
#[derive(Debug, Default)]
pub struct CompareAttributes;

impl TableFunctionImpl for CompareAttributes {
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
        let options = CompareOptions::parse(&string_arg(NAME, exprs, 2, "options")?.unwrap_or_default())?;
        Ok(Arc::new(Computed(ComparisonTable {
            source,
            dataset,
            options,
        })))
    }
}

/// The output columns of `compare_attributes`.
pub fn output_schema() -> SchemaRef {
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        Field::new("attribute", DataType::Utf8, false),
        Field::new("dataset_p", DataType::Utf8, false),
        Field::new("dataset_q", DataType::Utf8, false),
        Field::new("n_p", DataType::Int64, false),
        Field::new("n_q", DataType::Int64, false),
        f("kl_pq"),
        f("kl_qp"),
        f("js"),
        f("tvd"),
        f("undefined_p"),
        f("undefined_q"),
        f("kl_pq_lo"),
        f("kl_pq_hi"),
        f("kl_qp_lo"),
        f("kl_qp_hi"),
        Field::new("note", DataType::Utf8, true),
    ]))
}

/// A pending comparison: runs when scanned.
#[derive(Debug)]
struct ComparisonTable {
    source: String,
    dataset: String,
    options: CompareOptions,
}

#[async_trait]
impl ComputedTable for ComparisonTable {
    const NAME: &'static str = NAME;

    fn output_schema(&self) -> SchemaRef {
        output_schema()
    }

    async fn compute(&self, ctx: &SessionContext) -> Result<RecordBatch> {
        self.compare(ctx).await
    }
}

impl ComparisonTable {
    async fn compare(&self, ctx: &SessionContext) -> Result<RecordBatch> {
        let src = source_sql(&self.source);
        let columns = SourceColumns::plan(ctx, NAME, &self.source).await?;
        let schema = &columns.schema;
        let field = |name: &str, arg: &str| columns.field(name, arg).cloned();
        field(&self.dataset, "dataset_column")?;
        if let Some(id) = &self.options.identity {
            field(id, "option `identity`")?;
        }
        let attributes: Vec<Field> = if self.options.attributes.is_empty() {
            schema
                .fields()
                .iter()
                .filter(|f| matches!(f.data_type(), DataType::Int8 | DataType::Boolean))
                .filter(|f| f.name() != &self.dataset && Some(f.name()) != self.options.identity.as_ref())
                .map(|f| f.as_ref().clone())
                .collect()
        } else {
            self.options
                .attributes
                .iter()
                .map(|a| field(a, "attribute"))
                .collect::<Result<_>>()?
        };
        if attributes.is_empty() {
            return plan_err!(
                "{NAME}: {} has no Int8 or boolean columns to compare; name them with \
                 'attributes=A;B'",
                self.source
            );
        }
        let dists = match &self.options.identity {
            None => self.counts(ctx, &src, &attributes).await?,
            Some(id) => self.weighted(ctx, &src, &attributes, id).await?,
        };
        self.build(&attributes, &dists)
    }

    /// Unweighted: one `attr_hist` per attribute, grouped by dataset, in one query.
    async fn counts(
        &self,
        ctx: &SessionContext,
        src: &str,
        attributes: &[Field],
    ) -> Result<BTreeMap<String, Vec<Dist>>> {
        let ds = ident(&self.dataset);
        let hists: Vec<String> = attributes
            .iter()
            .map(|a| format!("attr_hist({})", ident(a.name())))
            .collect();
        let sql = format!(
            "SELECT CAST({ds} AS VARCHAR), {} FROM {src} WHERE {ds} IS NOT NULL GROUP BY 1",
            hists.join(", ")
        );
        let mut out = BTreeMap::new();
        for batch in ctx.sql(&sql).await?.collect().await? {
            let names = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
            let names = names.as_string::<i32>();
            for row in 0..batch.num_rows() {
                let mut dists = Vec::with_capacity(attributes.len());
                for i in 0..attributes.len() {
                    let map = batch.column(i + 1).as_map();
                    let entries = read_hist(NAME, "attribute", map, row)?.unwrap_or_default();
                    dists.push(entries.into_iter().map(|(k, w)| (k, w, w as u64)).collect());
                }
                out.insert(names.value(row).to_string(), dists);
            }
        }
        Ok(out)
    }

    /// Weighted by identity: each identity's rows share a weight of 1 (per attribute).
    async fn weighted(
        &self,
        ctx: &SessionContext,
        src: &str,
        attributes: &[Field],
        identity: &str,
    ) -> Result<BTreeMap<String, Vec<Dist>>> {
        let (ds, id) = (ident(&self.dataset), ident(identity));
        let mut out: BTreeMap<String, Vec<Dist>> = BTreeMap::new();
        for (i, a) in attributes.iter().enumerate() {
            let a = ident(a.name());
            let sql = format!(
                "SELECT CAST({ds} AS VARCHAR), {a}, sum(w), count(*) FROM (SELECT {ds}, {a}, \
                 CASE WHEN {id} IS NULL THEN 1.0 ELSE 1.0 / count(*) OVER (PARTITION BY {ds}, {id}) \
                 END AS w FROM {src} WHERE {a} IS NOT NULL AND {ds} IS NOT NULL) GROUP BY 1, 2"
            );
            for batch in ctx.sql(&sql).await?.collect().await? {
                let names = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
                let names = names.as_string::<i32>();
                let w = arrow::compute::cast(batch.column(2), &DataType::Float64)?;
                let w = w.as_primitive::<Float64Type>();
                let n = arrow::compute::cast(batch.column(3), &DataType::Int64)?;
                let n = n.as_primitive::<Int64Type>();
                for row in 0..batch.num_rows() {
                    let dists = out
                        .entry(names.value(row).to_string())
                        .or_insert_with(|| vec![Vec::new(); attributes.len()]);
                    if let Some(k) = key_at(batch.column(1).as_ref(), row)? {
                        dists[i].push((k, w.value(row), n.value(row) as u64));
                    }
                }
            }
        }
        for dists in out.values_mut() {
            for d in dists.iter_mut() {
                d.sort_by(|a, b| a.0.cmp_key(&b.0));
            }
        }
        Ok(out)
    }

    fn build(&self, attributes: &[Field], dists: &BTreeMap<String, Vec<Dist>>) -> Result<RecordBatch> {
        let mut rows = Vec::new();
        for (i, a) in attributes.iter().enumerate() {
            let labelled = a.data_type().is_integer();
            for (p_name, p_all) in dists {
                for (q_name, q_all) in dists {
                    if p_name != q_name {
                        let names = [a.name().as_str(), p_name.as_str(), q_name.as_str()];
                        rows.push(compare_pair(names, &p_all[i], &q_all[i], labelled, &self.options));
                    }
                }
            }
        }
        row::to_batch(&rows)
    }
}
