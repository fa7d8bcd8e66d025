//! macsql's errors as Python exceptions: `macsql.Error` and a subclass per kind, each with the
//! message the shell prints.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(macsql, Error, PyException, "Every error macsql raises.");
create_exception!(
    macsql,
    SqlError,
    Error,
    "A statement failed to parse, plan or run."
);
create_exception!(
    macsql,
    FileError,
    Error,
    "A file or folder could not be read, registered, imported or written."
);
create_exception!(
    macsql,
    ModelError,
    Error,
    "The attribute classifier failed: its bundle, ONNX Runtime, images or training."
);

/// Adds the exception classes to the module.
pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("SqlError", py.get_type::<SqlError>())?;
    m.add("FileError", py.get_type::<FileError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    Ok(())
}

/// The Python exception of a macsql error, chosen by what failed.
pub fn to_py(e: macsql::Error) -> PyErr {
    let message = e.to_string();
    match kind(&e) {
        Kind::Sql => SqlError::new_err(message),
        Kind::File => FileError::new_err(message),
        Kind::Model => ModelError::new_err(message),
        Kind::Other => Error::new_err(message),
    }
}

enum Kind {
    Sql,
    File,
    Model,
    Other,
}

fn kind(e: &macsql::Error) -> Kind {
    use macsql::{Error as E, ForeignError as F};
    match e {
        E::InFile { error, .. } => kind(error),
        E::Foreign(F::DataFusion(datafusion::error::DataFusionError::IoError(_))) => Kind::File,
        E::Foreign(F::DataFusion(_)) | E::NoStatement | E::SeveralStatements(_) | E::Shell(_) => Kind::Sql,
        E::Foreign(F::Io { .. } | F::Parquet(_)) => Kind::File,
        E::Mac(_) => Kind::Model,
        E::NotFound(_) | E::Catalog(_) | E::Import(_) | E::Output(_) => Kind::File,
        _ => Kind::Other,
    }
}
