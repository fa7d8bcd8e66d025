//! `LabelTable`: a registered Parquet file that answers label-filtered scans itself and
//! everything else through DataFusion's own Parquet table.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Constraints, Result, Statistics};
use datafusion::datasource::TableType;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use super::exec::LabelScanExec;
use super::filter::LabelFilter;
use super::scan::LabelScan;

/// A flat Parquet file whose integer-equality filters (`Male = 1 AND Senior = 1`) are evaluated
/// during decoding, so the other columns are only materialised for the matching rows.
#[derive(Debug)]
pub struct LabelTable {
    inner: Arc<dyn TableProvider>,
    path: PathBuf,
}

impl LabelTable {
    /// Wraps `inner`, DataFusion's table over the Parquet file `path`.
    pub fn new(inner: Arc<dyn TableProvider>, path: PathBuf) -> Self {
        LabelTable { inner, path }
    }

    /// The Parquet file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

#[async_trait]
impl TableProvider for LabelTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn statistics(&self) -> Option<Statistics> {
        self.inner.statistics()
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        let schema = self.schema();
        let mut answers = self.inner.supports_filters_pushdown(filters)?;
        for (answer, f) in answers.iter_mut().zip(filters) {
            if LabelFilter::from_expr(f, &schema).is_some() {
                *answer = TableProviderFilterPushDown::Exact;
            }
        }
        Ok(answers)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = self.schema();
        let label: Vec<LabelFilter> = filters
            .iter()
            .filter_map(|f| LabelFilter::from_expr(f, &schema))
            .collect();
        if label.is_empty() {
            // Unfiltered scans stay with DataFusion (statistics, page index, limit pushdown).
            return self.inner.scan(state, projection, filters, limit).await;
        }
        let projection = projection
            .cloned()
            .unwrap_or_else(|| (0..schema.fields().len()).collect());
        let scan = LabelScan::try_new(&self.path, schema, projection, label)?;
        let partitions = state.config_options().execution.target_partitions;
        Ok(Arc::new(LabelScanExec::new(scan, partitions, limit)))
    }

    async fn insert_into(
        &self,
        state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.insert_into(state, input, insert_op).await
    }
}
