//! `macsql.annotate()` and `macsql.import_labels()`: the `annotate` and `import` commands as
//! functions that return what they did.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `real` or `synthetic`, else a ValueError naming the argument.
fn kind(value: &str) -> PyResult<macsql::Kind> {
    match value {
        "real" => Ok(macsql::Kind::Real),
        "synthetic" => Ok(macsql::Kind::Synthetic),
        other => Err(PyValueError::new_err(format!(
            "kind: expected 'real' or 'synthetic', got {other:?}"
        ))),
    }
}

/// One path or a list of them.
fn paths(value: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if let Ok(one) = value.extract::<PathBuf>() {
        return Ok(vec![one]);
    }
    value.extract::<Vec<PathBuf>>().map_err(|_| {
        PyValueError::new_err("paths: expected a path or a list of paths (folders, images, CSV files)")
    })
}

/// The command line stored in the output's metadata, as Python called it.
fn call_text(name: &str, args: &[(&str, String)]) -> String {
    let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("python: macsql.{name}({})", args.join(", "))
}

/// Annotates the images under `paths` (folders, image files or CSV lists) with the attribute
/// classifier and writes the annotation table `out` (Parquet). Returns a dict: annotated,
/// errors, no_face, skipped, rows, seconds, output (the file written: with `out` a folder,
/// the shard's `data.parquet` of a partitioned dataset), already_done. Ctrl-C stops it between batches; the finished
/// batches are kept and `resume=True` continues from them. `shard`: `"I/N"`, `"auto"` or
/// `"auto/N"`, as `--shard`. `embedding=False` leaves out the `embedding` column, as
/// `--no-embedding`.
#[pyfunction]
#[pyo3(signature = (paths, dataset, kind, out, model = None, batch = 32, threads = None,
                    resume = false, progress = true, identity_from_dir = false,
                    detect = "auto", faces = "largest", shard = None, embedding = true))]
#[allow(clippy::too_many_arguments)]
pub fn annotate<'py>(
    py: Python<'py>,
    paths: &Bound<'py, PyAny>,
    dataset: &str,
    kind: &str,
    out: PathBuf,
    model: Option<PathBuf>,
    batch: usize,
    threads: Option<usize>,
    resume: bool,
    progress: bool,
    identity_from_dir: bool,
    detect: &str,
    faces: &str,
    shard: Option<&str>,
    embedding: bool,
) -> PyResult<Bound<'py, PyDict>> {
    use clap::ValueEnum;
    let paths = self::paths(paths)?;
    let shard = match shard {
        None => None,
        Some(text) => Some(
            text.parse::<macsql::Shard>()
                .map_err(|e| PyValueError::new_err(format!("shard: {e}")))?,
        ),
    };
    let detect = macsql::Detect::from_str(detect, true)
        .map_err(|_| PyValueError::new_err(format!("detect: expected 'auto' or 'none', got {detect:?}")))?;
    let faces = macsql::FaceChoice::from_str(faces, true)
        .map_err(|_| PyValueError::new_err(format!("faces: expected 'largest' or 'all', got {faces:?}")))?;
    let kind = self::kind(kind)?;
    if batch == 0 {
        return Err(PyValueError::new_err("batch: must be at least 1"));
    }
    let threads = match threads {
        Some(0) => return Err(PyValueError::new_err("threads: must be at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let command = call_text(
        "annotate",
        &[
            ("paths", format!("{paths:?}")),
            ("dataset", format!("{dataset:?}")),
            ("kind", format!("{:?}", kind.as_str())),
            ("out", format!("{:?}", out.display().to_string())),
        ],
    );
    let cancel = Arc::new(AtomicBool::new(false));
    let opts = macsql::AnnotateOptions {
        paths,
        dataset: dataset.to_owned(),
        kind,
        model,
        detect,
        faces,
        output: out,
        batch,
        threads,
        identity_from_dir,
        embedding,
        resume,
        shard,
        progress,
        command,
        cancel: Some(cancel.clone()),
    };
    let summary = crate::wait::run_blocking(
        py,
        move || macsql::annotate(&opts).map_err(macsql::Error::from),
        move || cancel.store(true, Ordering::Relaxed),
    )?;
    let d = PyDict::new(py);
    d.set_item("annotated", summary.annotated)?;
    d.set_item("errors", summary.errors)?;
    d.set_item("no_face", summary.no_face)?;
    d.set_item("skipped", summary.skipped)?;
    d.set_item("rows", summary.rows)?;
    d.set_item("seconds", summary.seconds)?;
    d.set_item("output", summary.output)?;
    d.set_item("already_done", summary.already_done)?;
    Ok(d)
}

/// Imports an existing annotation set (`format`: maad, celeba, fairface, faceapi, styleflow)
/// into macsql's table layout and writes it to `out` (Parquet). Returns a dict: rows,
/// attributes (the MAAD-Face attributes it labels), out. `out` is required.
#[pyfunction]
#[pyo3(signature = (path, format, dataset, kind = "real", out = None))]
pub fn import_labels<'py>(
    py: Python<'py>,
    path: PathBuf,
    format: &str,
    dataset: &str,
    kind: &str,
    out: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    use clap::ValueEnum;
    let Some(out) = out else {
        return Err(PyValueError::new_err(
            "out: the Parquet file to write is required",
        ));
    };
    let format = macsql::ImportFormat::from_str(format, true).map_err(|_| {
        PyValueError::new_err(format!(
            "format: expected one of maad, celeba, fairface, faceapi, styleflow, got {format:?}"
        ))
    })?;
    let kind = self::kind(kind)?;
    let dataset = dataset.to_owned();
    let target = out.clone();
    let (rows, attributes) = crate::wait::run_blocking(
        py,
        move || -> macsql::Result<(u64, Vec<String>)> {
            let (schema, batch) = macsql::import(format, &path, &dataset, kind, macsql::Band::default())?;
            let attributes: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .filter(|n| macsql::MAAD_ATTRIBUTES.contains(&n.as_str()))
                .collect();
            if let Some(parent) = target.parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| macsql::Error::io(parent, e))?;
            }
            let rows = macsql::write_parquet_atomic(&target, schema, [Ok(batch)])?;
            Ok((rows, attributes))
        },
        || {},
    )?;
    let d = PyDict::new(py);
    d.set_item("rows", rows)?;
    d.set_item("attributes", attributes)?;
    d.set_item("out", out)?;
    Ok(d)
}
