//! `Relation`: a query's result, run when it is asked for (as Arrow, pandas, polars or
//! tuples, or read by any Arrow consumer through `__arrow_c_stream__`).

use arrow::array::{RecordBatch, RecordBatchIterator};
use datafusion::dataframe::DataFrame;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// Rows `repr()` shows.
const PREVIEW_ROWS: usize = 10;

/// The result of a query. Each conversion runs the query again (a `Relation` holds the plan,
/// not the rows), like a DuckDB relation.
#[pyclass(module = "macsql", frozen)]
pub struct Relation {
    df: DataFrame,
    query: String,
}

impl Relation {
    /// The relation of a planned query.
    pub fn new(df: DataFrame, query: &str) -> Self {
        Self {
            df,
            query: query.to_owned(),
        }
    }

    /// Runs the query to completion (cancellable with Ctrl-C).
    fn collect(&self, py: Python<'_>) -> PyResult<(arrow::datatypes::SchemaRef, Vec<RecordBatch>)> {
        let df = self.df.clone();
        let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
        let batches = crate::wait::run(py, async move { df.collect().await.map_err(macsql::Error::from) })?;
        Ok((schema, batches))
    }
}

#[pymethods]
impl Relation {
    /// The result as a pyarrow Table (the buffers are handed over, not copied).
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (schema, batches) = self.collect(py)?;
        let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
        let capsule = crate::stream::capsule(py, Box::new(reader))?;
        py.import("pyarrow")?
            .getattr("RecordBatchReader")?
            .call_method1("_import_from_c_capsule", (capsule,))?
            .call_method0("read_all")
    }

    /// The result as a pandas DataFrame (histograms: lists of (key, count) tuples).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.to_arrow(py)?.call_method0("to_pandas")
    }

    /// The result as a polars DataFrame (histograms: lists of {key, value} structs).
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = self.to_arrow(py)?;
        py.import("polars")?.call_method1("from_arrow", (table,))
    }

    /// The rows as a list of tuples.
    fn fetchall<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = self.to_arrow(py)?;
        let columns = table.getattr("columns")?;
        let lists = pyo3::types::PyList::empty(py);
        for column in columns.try_iter()? {
            lists.append(column?.call_method0("to_pylist")?)?;
        }
        let rows = pyo3::types::PyList::empty(py);
        let n: usize = table.getattr("num_rows")?.extract()?;
        for i in 0..n {
            let row: Vec<Bound<'py, PyAny>> = lists.iter().map(|l| l.get_item(i)).collect::<PyResult<_>>()?;
            rows.append(pyo3::types::PyTuple::new(py, row)?)?;
        }
        Ok(rows.into_any())
    }

    /// The Arrow C stream of the result (PyCapsule protocol), read batch by batch as the
    /// consumer asks: `pyarrow.table(rel)`, `polars.DataFrame(rel)`, `duckdb.sql("... rel")`.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema; // the result's own schema is the one given
        let df = self.df.clone();
        let stream = crate::wait::run(py, async move {
            df.execute_stream().await.map_err(macsql::Error::from)
        })?;
        crate::stream::capsule(py, Box::new(crate::stream::LazyReader::new(stream)))
    }

    /// The result's column names.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.df
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The SQL text of the query.
    #[getter]
    fn query(&self) -> String {
        self.query.clone()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let df = self.df.clone();
        let batches = crate::wait::run(py, async move {
            df.limit(0, Some(PREVIEW_ROWS + 1))
                .map_err(macsql::Error::from)?
                .collect()
                .await
                .map_err(macsql::Error::from)
        })?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let mut shown = Vec::new();
        let mut left = PREVIEW_ROWS;
        for b in &batches {
            if left == 0 {
                break;
            }
            let take = b.num_rows().min(left);
            shown.push(b.slice(0, take));
            left -= take;
        }
        let table = arrow::util::pretty::pretty_format_batches(&shown)
            .map_err(|e| crate::errors::Error::new_err(e.to_string()))?;
        let more = if rows > PREVIEW_ROWS {
            format!("\n(first {PREVIEW_ROWS} rows shown)")
        } else {
            String::new()
        };
        Ok(format!("{table}{more}"))
    }
}
