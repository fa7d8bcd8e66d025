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
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

use super::histogram::{key_at, read_hist};
use options::CompareOptions;
pub use row::Comparison;
use row::{Dist, compare_pair};

const NAME: &str = "compare_attributes";

/// The `compare_attributes` table function.
#[derive(Debug, Default)]
pub struct CompareAttributes;

/// Argument `i` (named `name` in errors) of the table function `func`, a constant string;
/// `None` when it was not given. Shared by macsql's table functions.
pub(crate) fn string_arg(func: &str, exprs: &[Expr], i: usize, name: &str) -> Result<Option<String>> {
    let Some(e) = exprs.get(i) else {
        return Ok(None);
    };
    match e {
        Expr::Literal(v, _) => match v.try_as_str() {
            Some(Some(s)) => Ok(Some(s.to_string())),
            _ => plan_err!("{func}: argument `{name}` must be a string, got {v}"),
        },
        other => plan_err!("{func}: argument `{name}` must be a constant string, got {other}"),
    }
}

/// A context over the session a table function is scanned in, to run its own queries; `func`
/// names the function in the error. Shared by macsql's table functions.
pub(crate) fn query_context(func: &str, session: &dyn Session) -> Result<SessionContext> {
    match session.as_any().downcast_ref::<SessionState>() {
        Some(state) => Ok(SessionContext::new_with_state(state.clone())),
        None => plan_err!("{func}: needs a DataFusion SessionState to run its query"),
    }
}

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
        Ok(Arc::new(ComparisonTable {
            source,
            dataset,
            options,
        }))
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
impl TableProvider for ComparisonTable {
    fn schema(&self) -> SchemaRef {
        output_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let ctx = query_context(NAME, state)?;
        let batch = self.compare(&ctx).await?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            output_schema(),
            projection.cloned(),
        )?)
    }
}

/// A quoted SQL identifier (`"5_o_Clock_Shadow"`, inner quotes doubled).
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The FROM clause for the `table` argument: a query, a file path, or a (dotted) table name.
pub(crate) fn source_sql(source: &str) -> String {
    let lower = source.trim_start().to_ascii_lowercase();
    if lower.starts_with("select") || lower.starts_with("with") {
        format!("({source}) AS compare_source")
    } else if source.contains('/') || crate::formats::has_data_extension(&lower) {
        format!("'{}'", source.replace('\'', "''"))
    } else {
        source.split('.').map(ident).collect::<Vec<_>>().join(".")
    }
}

impl ComparisonTable {
    async fn compare(&self, ctx: &SessionContext) -> Result<RecordBatch> {
        let src = source_sql(&self.source);
        let schema = ctx
            .sql(&format!("SELECT * FROM {src} LIMIT 0"))
            .await?
            .schema()
            .as_arrow()
            .clone();
        let field = |name: &str, arg: &str| match schema.field_with_name(name) {
            Ok(f) => Ok(f.clone()),
            Err(_) => {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                plan_err!(
                    "{NAME}: {arg} '{name}' is not a column of {}; columns: {}",
                    self.source,
                    names.join(", ")
                )
            }
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_quoted_by_kind() {
        assert_eq!(source_sql("annotations"), "\"annotations\"");
        assert_eq!(source_sql("s.t"), "\"s\".\"t\"");
        assert_eq!(source_sql("data/x.parquet"), "'data/x.parquet'");
        assert_eq!(
            source_sql("SELECT * FROM t WHERE Male = 1"),
            "(SELECT * FROM t WHERE Male = 1) AS compare_source"
        );
    }
}
