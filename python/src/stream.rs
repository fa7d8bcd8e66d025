//! Arrow data across the boundary through the Arrow C stream interface (the PyCapsule
//! protocol): results go out as an `arrow_array_stream` capsule that pyarrow, polars or DuckDB
//! read without copying the buffers; tables come in from any object with `__arrow_c_stream__`.

use std::ffi::CStr;

use arrow::array::{RecordBatch, RecordBatchReader};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::StreamExt;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// The capsule name the protocol requires.
const STREAM: &CStr = c"arrow_array_stream";

/// A query's result stream read batch by batch, each batch computed when the reader asks for it.
pub struct LazyReader {
    schema: SchemaRef,
    stream: SendableRecordBatchStream,
}

impl LazyReader {
    /// Wraps a running query's stream.
    pub fn new(stream: SendableRecordBatchStream) -> Self {
        Self {
            schema: stream.schema(),
            stream,
        }
    }
}

impl Iterator for LazyReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = crate::wait::runtime().block_on(self.stream.next())?;
        Some(next.map_err(|e| ArrowError::ExternalError(Box::new(e))))
    }
}

impl RecordBatchReader for LazyReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// An `arrow_array_stream` capsule over `reader`: the consumer moves the stream out of it; a
/// capsule never consumed releases it when collected.
pub fn capsule<'py>(
    py: Python<'py>,
    reader: Box<dyn RecordBatchReader + Send>,
) -> PyResult<Bound<'py, PyCapsule>> {
    let stream = FFI_ArrowArrayStream::new(reader);
    PyCapsule::new_with_value(py, stream, STREAM)
}

/// The stream of an object that has `__arrow_c_stream__` (a pyarrow Table or RecordBatchReader,
/// a polars or pandas DataFrame, a DuckDB relation, a macsql Relation).
pub fn import(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<ArrowArrayStreamReader> {
    if !obj.hasattr("__arrow_c_stream__")? {
        let type_name = obj.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a path, a pyarrow Table / RecordBatchReader, or a pandas or polars \
             DataFrame (anything with __arrow_c_stream__), got {type_name}"
        )));
    }
    let capsule = obj.call_method0("__arrow_c_stream__")?;
    let capsule = capsule
        .cast_into::<PyCapsule>()
        .map_err(|_| PyTypeError::new_err(format!("{what}: __arrow_c_stream__ did not return a capsule")))?;
    let name = capsule.name()?;
    // SAFETY: the name pointer, when set, is a valid C string owned by the capsule.
    let name_ok = name.is_some_and(|n| unsafe { n.as_cstr() } == STREAM);
    if !name_ok {
        return Err(PyTypeError::new_err(format!(
            "{what}: __arrow_c_stream__ returned a capsule not named 'arrow_array_stream'"
        )));
    }
    let pointer = capsule.pointer_checked(Some(STREAM))?;
    // SAFETY: the capsule holds an `ArrowArrayStream` (checked by its name, as the protocol
    // says); `from_raw` moves it out and marks the original released.
    let reader = unsafe { ArrowArrayStreamReader::from_raw(pointer.as_ptr().cast()) }
        .map_err(|e| PyTypeError::new_err(format!("{what}: {e}")))?;
    Ok(reader)
}
