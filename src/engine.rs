//! `Engine`: a DataFusion `SessionContext` with macsql's functions and settings.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::catalog;
use crate::error::{Error, Result};
use crate::output::export;

/// An embedded macsql engine: register annotation tables, run SQL, export results.
///
/// Unquoted identifiers keep their case, so `SELECT Male FROM t` finds the column `Male`.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use macsql::Engine;
/// let engine = Engine::new();
/// let batches = engine.sql_collect("SELECT 1 AS Male").await.unwrap();
/// assert_eq!(batches[0].schema().field(0).name(), "Male");
/// # });
/// ```
#[derive(Clone)]
pub struct Engine {
    ctx: SessionContext,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    /// Creates an engine with macsql's SQL functions registered and case-preserving identifiers.
    pub fn new() -> Self {
        let mut config = SessionConfig::new()
            .with_information_schema(true)
            .with_create_default_catalog_and_schema(true);
        config.options_mut().sql_parser.enable_ident_normalization = false;
        config
            .options_mut()
            .extensions
            .insert(crate::options::MacsqlOptions::default());
        // Buckets (`s3://`, `gs://`, `az://`) are found on first use, from the environment.
        let runtime = RuntimeEnvBuilder::new()
            .with_object_store_registry(Arc::new(crate::storage::Registry::default()))
            .build_arc()
            .expect("a runtime environment without limits builds");
        let mut state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .build();
        state
            .table_factories_mut()
            .insert("PARQUET".into(), Arc::new(catalog::LabelTableFactory::default()));
        // Queries name files directly (`SELECT * FROM 'faces.parquet'`), as label tables.
        let ctx = catalog::with_label_tables(SessionContext::new_with_state(state));
        crate::functions::register_all(&ctx);
        crate::mac::register(&ctx);
        Engine { ctx }
    }

    /// The underlying DataFusion context, for anything the engine does not wrap.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Registers the file or folder at `path` as a table and returns the table's name.
    ///
    /// The name is `name` when given, else the file stem (or folder name) with every character
    /// outside `[A-Za-z0-9_]` replaced by `_`. Parquet, CSV / TSV (header row, inferred types),
    /// Arrow IPC (.arrow, .feather, .ipc) and newline-delimited JSON (.ndjson, .jsonl) are read;
    /// a folder of Parquet files (hive-partitioned or not) is one table.
    ///
    /// ```no_run
    /// # async fn f() -> macsql::Result<()> {
    /// let engine = macsql::Engine::new();
    /// let name = engine.register_path("annotations/ffhq.parquet", None).await?;
    /// assert_eq!(name, "ffhq");
    /// engine.register_path("annotations/stylegan", Some("synthetic")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn register_path(&self, path: impl AsRef<Path>, name: Option<&str>) -> Result<String> {
        let path = path.as_ref();
        let name = match name {
            Some(n) => n.to_string(),
            None => catalog::table_name_for(path),
        };
        if self.ctx.table_exist(name.as_str())? {
            self.ctx.deregister_table(name.as_str())?;
        }
        catalog::register(&self.ctx, &name, path).await?;
        Ok(name)
    }

    /// Registers a `--data` argument: `PATH` or `NAME=PATH`. Returns the table's name.
    pub async fn register_spec(&self, spec: &str) -> Result<String> {
        let (name, path) = catalog::parse_data_spec(spec);
        self.register_path(&path, name.as_deref()).await
    }

    /// Registers in-memory record batches as table `name` (replacing one of that name).
    pub fn register_batches(&self, name: &str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<()> {
        Ok(catalog::register_batches(&self.ctx, name, schema, batches)?)
    }

    /// Splits `sql` into statements (`;`-separated), parsed but not yet planned.
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>> {
        let dialect = GenericDialect {};
        let statements = DFParser::parse_sql_with_dialect(sql, &dialect)?;
        Ok(statements.into_iter().collect())
    }

    /// Plans one parsed statement (DDL such as `CREATE VIEW` and `COPY` run when executed).
    pub async fn plan(&self, statement: Statement) -> Result<DataFrame> {
        let state = self.ctx.state();
        let plan = state.statement_to_plan(statement).await?;
        Ok(self.ctx.execute_logical_plan(plan).await?)
    }

    /// Runs one SQL statement and returns its (lazy) result.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame> {
        let mut statements = self.parse(sql)?;
        match statements.len() {
            1 => self.plan(statements.remove(0)).await,
            0 => Err(Error::NoStatement),
            n => Err(Error::SeveralStatements(n)),
        }
    }

    /// Runs one SQL statement and collects its result.
    pub async fn sql_collect(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        Ok(self.sql(sql).await?.collect().await?)
    }

    /// Runs every statement of `sql` in order and returns the result of each.
    pub async fn run_script(&self, sql: &str) -> Result<Vec<Vec<RecordBatch>>> {
        let mut results = Vec::new();
        for statement in self.parse(sql)? {
            results.push(self.plan(statement).await?.collect().await?);
        }
        Ok(results)
    }

    /// Runs every statement of the `.sql` file at `path` and returns the result of each.
    ///
    /// ```no_run
    /// # async fn f() -> macsql::Result<()> {
    /// let engine = macsql::Engine::new();
    /// let results = engine.run_file("queries/study.sql").await?;
    /// println!("{} statements ran", results.len());
    /// # Ok(()) }
    /// ```
    pub async fn run_file(&self, path: impl AsRef<Path>) -> Result<Vec<Vec<RecordBatch>>> {
        let path = path.as_ref();
        let sql = read_sql_file(path)?;
        self.run_script(&sql).await.map_err(|e| Error::in_file(path, e))
    }

    /// Streams the result of `df` into the file at `path`, the format taken from its extension
    /// (.csv, .tsv, .parquet / .pq, .json, .ndjson / .jsonl, .arrow / .feather / .ipc). Returns
    /// the number of rows written.
    ///
    /// Batches are written as they are produced, so results larger than memory can be exported.
    /// The file appears only when complete (written to a temporary file, then renamed).
    ///
    /// ```no_run
    /// # async fn f() -> macsql::Result<()> {
    /// let engine = macsql::Engine::new();
    /// engine.register_path("annotations.parquet", Some("faces")).await?;
    /// let df = engine.sql("SELECT dataset, count(*) AS n FROM faces GROUP BY dataset").await?;
    /// let rows = engine.export(df, "counts.csv").await?;
    /// # Ok(()) }
    /// ```
    pub async fn export(&self, df: DataFrame, path: impl AsRef<Path>) -> Result<u64> {
        let stream = df.execute_stream().await?;
        Ok(export::write_stream(stream, path.as_ref()).await?)
    }

    /// Runs `df` and returns a stream of its record batches.
    pub async fn stream(&self, df: DataFrame) -> Result<SendableRecordBatchStream> {
        Ok(df.execute_stream().await?)
    }

    /// The names of the tables (and views) in the default schema, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Some(catalog) = self.ctx.catalog("datafusion")
            && let Some(schema) = catalog.schema("public")
        {
            names = schema.table_names();
        }
        names.sort();
        names
    }

    /// The schema of table `name`, if it exists.
    pub async fn table_schema(&self, name: &str) -> Result<SchemaRef> {
        let table = self.ctx.table_provider(name).await?;
        Ok(table.schema())
    }

    /// The names of every SQL function known to the engine (built-in and macsql's), sorted.
    pub fn function_names(&self) -> Vec<String> {
        let state = self.ctx.state();
        let mut names: Vec<String> = state
            .scalar_functions()
            .keys()
            .chain(state.aggregate_functions().keys())
            .chain(state.window_functions().keys())
            .cloned()
            .chain(state.table_functions().keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Reads a `.sql` file, naming the path when it cannot be read.
pub fn read_sql_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound(path.to_path_buf())
        } else {
            Error::io(path, e)
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_listed_function_is_registered() {
        let registered = super::Engine::new().function_names();
        for name in crate::functions::names() {
            assert!(
                registered.iter().any(|r| r == name),
                "{name} is listed by .functions but not registered"
            );
        }
    }
}
