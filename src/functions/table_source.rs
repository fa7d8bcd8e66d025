//! What macsql's table functions share: their constant string arguments, the `table` argument
//! (a table name, a file path or a query) as SQL and its columns, and the table they return: a
//! [`ComputedTable`], computed when it is scanned by its own queries on the session and served
//! from memory.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

/// A table function's result: its schema is known when the function is called, its rows are
/// computed when the table is scanned.
#[async_trait]
pub(crate) trait ComputedTable: std::fmt::Debug + Send + Sync + 'static {
    /// The function's name, for errors.
    const NAME: &'static str;

    /// The schema of the rows [`ComputedTable::compute`] returns.
    fn output_schema(&self) -> SchemaRef;

    /// Computes the rows, running queries on `ctx` (the session the table is scanned in).
    async fn compute(&self, ctx: &SessionContext) -> Result<RecordBatch>;
}

/// The [`TableProvider`] of a [`ComputedTable`]: a temporary table whose scan computes the rows
/// and serves them (projected) from memory.
#[derive(Debug)]
pub(crate) struct Computed<T>(pub T);

#[async_trait]
impl<T: ComputedTable> TableProvider for Computed<T> {
    fn schema(&self) -> SchemaRef {
        self.0.output_schema()
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
        let ctx = query_context(T::NAME, state)?;
        let batch = self.0.compute(&ctx).await?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            self.schema(),
            projection.cloned(),
        )?)
    }
}

/// Runs CPU-bound work (rayon passes over embeddings) off the async workers.
pub(crate) async fn blocking<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Result<R> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))
}

/// Argument `i` (named `name` in errors) of the table function `func`, a constant string;
/// `None` when it was not given.
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
/// names the function in the error.
pub(crate) fn query_context(func: &str, session: &dyn Session) -> Result<SessionContext> {
    match session.as_any().downcast_ref::<SessionState>() {
        Some(state) => Ok(SessionContext::new_with_state(state.clone())),
        None => plan_err!("{func}: needs a DataFusion SessionState to run its query"),
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

/// The columns of a table function's `table` argument, planned (not run), for looking up the
/// columns its other arguments name.
pub(crate) struct SourceColumns<'a> {
    func: &'a str,
    source: &'a str,
    /// The source's schema.
    pub schema: Schema,
}

impl<'a> SourceColumns<'a> {
    /// Plans `SELECT * FROM source LIMIT 0` in `ctx`; `func` names the function in errors.
    pub(crate) async fn plan(ctx: &SessionContext, func: &'a str, source: &'a str) -> Result<Self> {
        let df = ctx
            .sql(&format!("SELECT * FROM {} LIMIT 0", source_sql(source)))
            .await?;
        let schema = df.schema().as_arrow().clone();
        Ok(Self { func, source, schema })
    }

    /// The column `name`, given as `arg`; an error naming it and listing the columns when the
    /// source has none of that name.
    pub(crate) fn field(&self, name: &str, arg: &str) -> Result<&Field> {
        match self.schema.field_with_name(name) {
            Ok(f) => Ok(f),
            Err(_) => {
                let names: Vec<&str> = self.schema.fields().iter().map(|f| f.name().as_str()).collect();
                plan_err!(
                    "{}: {arg} '{name}' is not a column of {}; columns: {}",
                    self.func,
                    self.source,
                    names.join(", ")
                )
            }
        }
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
