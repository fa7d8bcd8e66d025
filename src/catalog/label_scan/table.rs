//! `LabelTable`: DataFusion's listing table over Parquet files (one file, a partitioned folder,
//! local or in a bucket) that answers label-filtered scans itself and everything else through
//! the listing table. `LabelTableFactory` and `LabelUrlTables` make `CREATE EXTERNAL TABLE ...
//! STORED AS PARQUET` and `FROM 'file.parquet'` tables label tables too.

use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory, UrlTableFactory};
use datafusion::common::DFSchema;
use datafusion::common::{Constraints, Result, Statistics, exec_datafusion_err};
use datafusion::datasource::TableType;
use datafusion::datasource::dynamic_file::DynamicListTableFactory;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::helpers::{expr_applicable_for_cols, pruned_partition_list};
use datafusion::datasource::listing::{ListingTable, ListingTableUrl};
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::datasource::provider::DefaultTableFactory;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{CreateExternalTable, Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column as PhysicalColumn;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStore};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};

use super::exec::LabelScanExec;
use super::filter::LabelFilter;
use super::scan::{LabelScan, Part};
use super::source::Place;

/// Whether the session switched label scans off (`SET macsql.label_scans = false`: every scan
/// goes to DataFusion's Parquet reader, as benchmarks compare).
fn switched_off(state: &dyn Session) -> bool {
    let options = state
        .config_options()
        .extensions
        .get::<crate::options::MacsqlOptions>();
    options.is_some_and(|o| !o.label_scans)
}

/// A Parquet listing table whose integer-equality filters (`Male = 1 AND Senior = 1`) are
/// evaluated during decoding, so the other columns are only materialised for the matching
/// rows; filters on partition columns skip whole files first.
#[derive(Debug)]
pub struct LabelTable {
    inner: Arc<dyn TableProvider>,
}

impl LabelTable {
    /// `inner` as a label table when it is a listing table of Parquet files, else unchanged.
    pub fn wrap(inner: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
        let parquet = inner
            .downcast_ref::<ListingTable>()
            .is_some_and(|l| l.options().format.downcast_ref::<ParquetFormat>().is_some());
        if !parquet {
            return inner;
        }
        Arc::new(LabelTable { inner })
    }

    /// The listing table inside.
    pub fn listing(&self) -> &ListingTable {
        self.inner
            .downcast_ref::<ListingTable>()
            .expect("a label table wraps a listing table")
    }

    /// The file (a URL) of `meta`, listed under `table_path` of `store`.
    fn place(table_path: &ListingTableUrl, store: &Arc<dyn ObjectStore>, meta: &ObjectMeta) -> Place {
        let url = format!("{}{}", table_path.object_store().as_str(), meta.location);
        let local = (table_path.scheme() == "file")
            .then(|| url::Url::parse(&url).ok()?.to_file_path().ok())
            .flatten();
        match local {
            Some(path) => Place::Local(path),
            None => Place::Remote {
                store: Arc::clone(store),
                path: meta.location.clone(),
                url,
            },
        }
    }

    /// The table's columns stored in the files (the first ones; partition columns follow).
    fn file_columns(&self) -> usize {
        self.schema().fields().len() - self.listing().options().table_partition_cols.len()
    }

    /// The files of the table whose partition values pass `partition_filters`, with their
    /// footers (through DataFusion's file metadata cache, which registering the table filled);
    /// `None` when one of them cannot be label-scanned (a schema that differs from the table's
    /// in a folder, which DataFusion's reader reconciles).
    async fn parts(&self, state: &dyn Session, partition_filters: &[Expr]) -> Result<Option<Vec<Part>>> {
        let listing = self.listing();
        let options = listing.options();
        let schema = self.schema();
        let file_schema = Arc::new(Schema::new(schema.fields()[..self.file_columns()].to_vec()));
        let size_hint = options
            .format
            .downcast_ref::<ParquetFormat>()
            .and_then(ParquetFormat::metadata_size_hint);
        let cache = state.runtime_env().cache_manager.get_file_metadata_cache();
        let mut parts = Vec::new();
        for table_path in listing.table_paths() {
            let store = state.runtime_env().object_store(table_path)?;
            let files: Vec<_> = pruned_partition_list(
                state,
                store.as_ref(),
                table_path,
                partition_filters,
                &options.file_extension,
                &options.table_partition_cols,
            )
            .await?
            .try_collect()
            .await?;
            let places: Vec<Place> = files
                .iter()
                .map(|f| Self::place(table_path, &store, &f.object_meta))
                .collect();
            // The footers of all files at once (a folder of shards, or objects in a bucket).
            let footers = futures::future::try_join_all(files.iter().map(|f| async {
                let footer = DFParquetMetadata::new(store.as_ref(), &f.object_meta)
                    .with_metadata_size_hint(size_hint)
                    .with_file_metadata_cache(Some(Arc::clone(&cache)))
                    .fetch_metadata()
                    .await?;
                Ok::<_, datafusion::error::DataFusionError>(Arc::new(ArrowReaderMetadata::try_new(
                    footer,
                    ArrowReaderOptions::new(),
                )?))
            }))
            .await?;
            for ((place, footer), file) in places.into_iter().zip(footers).zip(files) {
                let name = place.name();
                match Part::try_new(place, footer, &file_schema, file.partition_values) {
                    Ok(part) => parts.push(part),
                    // One file named by itself: it was rewritten with other columns.
                    Err(why) if !table_path.is_collection() => {
                        return Err(exec_datafusion_err!(
                            "{name}: the file changed since it was registered ({why}); register it again"
                        ));
                    }
                    Err(why) => {
                        log::debug!("{name}: no label scans ({why})");
                        return Ok(None);
                    }
                }
            }
        }
        Ok(Some(parts))
    }

    /// The scan by DataFusion's reader alone, with the label filters (which this table told
    /// the planner it answers exactly) applied after it. A pushed-down limit is dropped: the
    /// planner keeps its own limit above the scan.
    async fn read_by_datafusion(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        label_exprs: Vec<Expr>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = self.schema();
        let mut columns = projection
            .cloned()
            .unwrap_or_else(|| (0..schema.fields().len()).collect());
        let wanted = columns.len();
        for e in &label_exprs {
            for c in e.column_refs() {
                let i = schema.index_of(&c.name)?;
                if !columns.contains(&i) {
                    columns.push(i);
                }
            }
        }
        let plan = self.inner.scan(state, Some(&columns), filters, None).await?;
        let Some(predicate) = datafusion::logical_expr::utils::conjunction(label_exprs) else {
            return Ok(plan);
        };
        let read = DFSchema::try_from(plan.schema())?;
        let predicate = state.create_physical_expr(predicate, &read)?;
        let plan: Arc<dyn ExecutionPlan> = Arc::new(FilterExec::try_new(predicate, plan)?);
        if columns.len() == wanted {
            return Ok(plan);
        }
        let keep: Vec<(Arc<dyn PhysicalExpr>, String)> = plan
            .schema()
            .fields()
            .iter()
            .take(wanted)
            .enumerate()
            .map(|(i, f)| (Arc::new(PhysicalColumn::new(f.name(), i)) as _, f.name().clone()))
            .collect();
        Ok(Arc::new(ProjectionExec::try_new(keep, plan)?))
    }

    /// The names of the partition columns.
    fn partition_names(&self) -> Vec<&str> {
        let cols = &self.listing().options().table_partition_cols;
        cols.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The label filters among `filters` (on stored columns, not partition columns).
    fn label_filters<'a>(&self, filters: impl IntoIterator<Item = &'a Expr>) -> Vec<Option<LabelFilter>> {
        let schema = self.schema();
        let file_columns = self.file_columns();
        filters
            .into_iter()
            .map(|f| LabelFilter::from_expr(f, &schema).filter(|l| l.column < file_columns))
            .collect()
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
        let mut answers = self.inner.supports_filters_pushdown(filters)?;
        for (answer, label) in answers
            .iter_mut()
            .zip(self.label_filters(filters.iter().copied()))
        {
            if label.is_some() {
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
        let found = self.label_filters(filters);
        let label_exprs: Vec<Expr> = filters
            .iter()
            .zip(&found)
            .filter(|(_, l)| l.is_some())
            .map(|(f, _)| f.clone())
            .collect();
        let label: Vec<LabelFilter> = found.into_iter().flatten().collect();
        if label.is_empty() {
            // Unfiltered scans stay with DataFusion (statistics, page index, limit pushdown).
            return self.inner.scan(state, projection, filters, limit).await;
        }
        if switched_off(state) {
            return self
                .read_by_datafusion(state, projection, filters, label_exprs)
                .await;
        }
        let names = self.partition_names();
        // Filters on partition columns only (answered exactly, as the listing table does).
        let partition_filters: Vec<Expr> = filters
            .iter()
            .filter(|f| !names.is_empty() && expr_applicable_for_cols(&names, f))
            .cloned()
            .collect();
        let Some(parts) = self.parts(state, &partition_filters).await? else {
            return self
                .read_by_datafusion(state, projection, filters, label_exprs)
                .await;
        };
        let schema = self.schema();
        let projection = projection
            .cloned()
            .unwrap_or_else(|| (0..schema.fields().len()).collect());
        let scan = LabelScan::new(schema, self.file_columns(), parts, projection, label)?;
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

/// `CREATE EXTERNAL TABLE ... STORED AS PARQUET`: DataFusion's table, as a label table.
#[derive(Debug, Default)]
pub struct LabelTableFactory {
    inner: DefaultTableFactory,
}

#[async_trait]
impl TableProviderFactory for LabelTableFactory {
    async fn create(&self, state: &dyn Session, cmd: &CreateExternalTable) -> Result<Arc<dyn TableProvider>> {
        Ok(LabelTable::wrap(self.inner.create(state, cmd).await?))
    }
}

/// `FROM 'file.parquet'` (and folders, and `s3://` URLs): DataFusion's table, as a label table.
#[derive(Debug, Default)]
pub struct LabelUrlTables {
    /// DataFusion's own factory of tables named by URL.
    pub inner: DynamicListTableFactory,
}

#[async_trait]
impl UrlTableFactory for LabelUrlTables {
    async fn try_new(&self, url: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let table = self.inner.try_new(url).await?;
        if table.is_none() && crate::storage::is_remote(url) && !url.ends_with('/') {
            // DataFusion would say only "table not found": say what the bucket said.
            let missing = |e| datafusion::error::DataFusionError::External(Box::new(e));
            match crate::storage::size(url).await {
                Ok(None) => {
                    return Err(missing(crate::storage::StorageError::NotFound {
                        url: url.to_string(),
                        what: crate::storage::Missing::Object,
                    }));
                }
                Err(e) => return Err(missing(e)),
                Ok(Some(_)) => {}
            }
        }
        Ok(table.map(LabelTable::wrap))
    }
}
