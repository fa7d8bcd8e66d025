//! `macsql.connect()` and `Connection`: an engine with its tables, as in the shell.

use arrow::array::{RecordBatch, RecordBatchReader};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Statement;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::relation::Relation;

/// An engine: the tables registered in it and the SQL functions of macsql.
#[pyclass(module = "macsql", frozen)]
pub struct Connection {
    pub(crate) engine: macsql::Engine,
}

/// Opens an engine. `demo`: also register the simulated paper-scale catalog as table `demo`, at
/// this scale (1.0: the paper's sizes; 0.01 is quick).
#[pyfunction]
#[pyo3(signature = (demo = None, seed = 42))]
pub fn connect(py: Python<'_>, demo: Option<f64>, seed: u64) -> PyResult<Connection> {
    let engine = macsql::Engine::new();
    if let Some(scale) = demo {
        let e = engine.clone();
        crate::wait::run(py, async move {
            macsql::register_demo(&e, scale, seed).map_err(macsql::Error::from)
        })?;
    }
    Ok(Connection { engine })
}

#[pymethods]
impl Connection {
    /// Registers `source` as table `name`: a path (a file or folder of CSV, Parquet, Arrow IPC
    /// or JSON, as `--data`), or a pyarrow Table / RecordBatchReader, a pandas or polars
    /// DataFrame, or anything else with `__arrow_c_stream__`. Replaces a table of that name.
    fn register(&self, py: Python<'_>, name: &str, source: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(path) = source.extract::<std::path::PathBuf>() {
            let engine = self.engine.clone();
            let name = name.to_owned();
            crate::wait::run(py, async move {
                engine.register_path(&path, Some(&name)).await.map(|_| ())
            })?;
            return Ok(());
        }
        let source = to_arrow_source(py, source)?;
        let reader = crate::stream::import(&source, "register")?;
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = py
            .detach(|| reader.collect::<Result<_, _>>())
            .map_err(|e| PyTypeError::new_err(format!("register({name:?}): {e}")))?;
        self.engine
            .register_batches(name, schema, batches)
            .map_err(crate::errors::to_py)
    }

    /// Runs one SQL statement. A query (SELECT, VALUES, WITH, SHOW, DESCRIBE, EXPLAIN) returns
    /// a `Relation`, run when its result is asked for; any other statement (COPY, CREATE, ...)
    /// runs now and returns None.
    fn sql(&self, py: Python<'_>, query: &str) -> PyResult<Option<Relation>> {
        let engine = self.engine.clone();
        let text = query.to_owned();
        let (df, is_query) = crate::wait::run(py, async move {
            let mut statements = engine.parse(&text)?;
            if statements.len() != 1 {
                return Err(if statements.is_empty() {
                    macsql::Error::NoStatement
                } else {
                    macsql::Error::SeveralStatements(statements.len())
                });
            }
            let statement = statements.remove(0);
            let is_query = returns_rows(&statement);
            let df = engine.plan(statement).await?;
            Ok((df, is_query))
        })?;
        if is_query {
            return Ok(Some(Relation::new(df, query)));
        }
        crate::wait::run(py, async move { df.collect().await.map_err(macsql::Error::from) })?;
        Ok(None)
    }

    /// The names of the registered tables, sorted.
    fn tables(&self) -> Vec<String> {
        self.engine.table_names()
    }

    /// The names of macsql's SQL functions (attr_hist, kl_div, ...), sorted.
    fn functions(&self) -> Vec<String> {
        self.engine.function_names()
    }

    fn __repr__(&self) -> String {
        format!("<macsql.Connection tables={:?}>", self.engine.table_names())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(&self, _ty: &Bound<'_, PyAny>, _value: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) -> bool {
        false
    }
}

/// Whether a statement returns rows to look at (so `sql` gives a lazy `Relation`).
fn returns_rows(statement: &DfStatement) -> bool {
    match statement {
        DfStatement::Statement(s) => matches!(
            s.as_ref(),
            Statement::Query(_)
                | Statement::Explain { .. }
                | Statement::ExplainTable { .. }
                | Statement::ShowTables { .. }
                | Statement::ShowColumns { .. }
                | Statement::ShowVariable { .. }
                | Statement::ShowFunctions { .. }
        ),
        DfStatement::Explain(_) => true,
        _ => false,
    }
}

/// A pandas DataFrame becomes a pyarrow Table (without its index); anything else is passed on.
fn to_arrow_source<'py>(py: Python<'py>, source: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if source.hasattr("__arrow_c_stream__")? {
        return Ok(source.clone());
    }
    let is_pandas = source
        .get_type()
        .module()
        .map(|m| m.to_string().starts_with("pandas"))
        .unwrap_or(false);
    if is_pandas {
        let pa = py.import("pyarrow")?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("preserve_index", false)?;
        return pa
            .getattr("Table")?
            .call_method("from_pandas", (source,), Some(&kwargs));
    }
    Ok(source.clone())
}
