//! The `macsql._macsql` extension module: the Rust engine behind the `macsql` Python package.
//!
//! The Python package (`python/macsql/__init__.py`) re-exports what is defined here:
//! `connect`, `Connection`, `Relation`, `annotate`, `import_labels` and the error classes.

mod connection;
mod errors;
mod functions;
mod relation;
mod stream;
mod wait;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _macsql(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(connection::connect, m)?)?;
    m.add_function(wrap_pyfunction!(functions::annotate, m)?)?;
    m.add_function(wrap_pyfunction!(functions::import_labels, m)?)?;
    m.add_class::<connection::Connection>()?;
    m.add_class::<relation::Relation>()?;
    errors::add(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
