//! Streaming export of a query result to a file; the writer is chosen by the file extension.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::OutputError;
use crate::foreign::ForeignError;
use crate::formats::{FileFormat, FormatError};
use crate::output::format::{PrintFormat, StreamPrinter};

/// The file formats a result can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV with a header row (nested values as text).
    Csv,
    /// TSV with a header row.
    Tsv,
    /// Parquet (zstd).
    Parquet,
    /// One JSON array.
    Json,
    /// Newline-delimited JSON.
    NdJson,
    /// Arrow IPC file.
    Arrow,
}

impl ExportFormat {
    /// The export format for `path`, from its extension.
    pub fn from_path(path: &Path) -> Result<Self, FormatError> {
        Ok(match FileFormat::from_path(path)? {
            FileFormat::Csv => ExportFormat::Csv,
            FileFormat::Tsv => ExportFormat::Tsv,
            FileFormat::Parquet => ExportFormat::Parquet,
            FileFormat::Json => ExportFormat::Json,
            FileFormat::NdJson => ExportFormat::NdJson,
            FileFormat::Arrow => ExportFormat::Arrow,
        })
    }
}

/// A temporary sibling of `path` that is renamed onto it when the write completes.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// The settings of every Parquet file macsql writes (exports, annotation, import and demo tables):
/// zstd, and the schema's metadata also as the file's key-value metadata, where tools such as
/// DuckDB's `parquet_kv_metadata` and pyarrow find it.
pub fn parquet_properties(schema: &SchemaRef) -> WriterProperties {
    let kv: Vec<KeyValue> = schema
        .metadata()
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_key_value_metadata((!kv.is_empty()).then_some(kv))
        .build()
}

/// Ends an atomic write: on success the temporary file `tmp` is renamed onto `path`, on failure
/// it is removed (so `path` holds either the whole result or what it held before). The error is
/// the caller's own, which a failed rename becomes.
pub fn commit_or_discard<T, E: From<ForeignError>>(
    tmp: &Path,
    path: &Path,
    result: Result<T, E>,
) -> Result<T, E> {
    match result {
        Ok(v) => {
            std::fs::rename(tmp, path).map_err(|e| ForeignError::io(path, e))?;
            Ok(v)
        }
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(e)
        }
    }
}

/// Writes every batch of `stream` to `path` (format from the extension) and returns the row
/// count. The file is written under a temporary name and renamed when complete, so a failed or
/// interrupted export never leaves a half-written file under the final name.
pub async fn write_stream(stream: SendableRecordBatchStream, path: &Path) -> Result<u64, OutputError> {
    let Some(url) = crate::storage::remote_url(path) else {
        return write_local(stream, path).await;
    };
    // A bucket: written to a local file first, then uploaded (the object appears when whole).
    ExportFormat::from_path(path)?;
    let staged = tempfile::Builder::new()
        .prefix(".macsql-upload-")
        .tempdir()
        .map_err(|e| ForeignError::io(std::env::temp_dir(), e))?;
    let name = path.file_name().map_or_else(|| "out".into(), |n| n.to_owned());
    let local = staged.path().join(name);
    let rows = write_local(stream, &local).await?;
    crate::storage::upload(&local, url).await?;
    Ok(rows)
}

/// [`write_stream`] to a local file.
async fn write_local(mut stream: SendableRecordBatchStream, path: &Path) -> Result<u64, OutputError> {
    let format = ExportFormat::from_path(path)?;
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        return Err(OutputError::NotFound(parent.to_path_buf()));
    }
    let tmp = temp_path_for(path);
    let file = File::create(&tmp).map_err(|e| ForeignError::io(&tmp, e))?;
    let schema = stream.schema();
    let result: Result<u64, OutputError> = async {
        let mut sink = Sink::new(format, BufWriter::new(file), &schema)?;
        let mut rows = 0u64;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            sink.write(&batch)?;
        }
        sink.finish(&schema)?;
        Ok(rows)
    }
    .await;
    commit_or_discard(&tmp, path, result)
}

enum Sink {
    Text(StreamPrinter<BufWriter<File>>),
    Parquet(ArrowWriter<BufWriter<File>>),
    Arrow(arrow::ipc::writer::FileWriter<BufWriter<File>>),
}

impl Sink {
    fn new(format: ExportFormat, out: BufWriter<File>, schema: &SchemaRef) -> Result<Self, OutputError> {
        Ok(match format {
            ExportFormat::Csv => Sink::Text(StreamPrinter::new(PrintFormat::Csv, out)),
            ExportFormat::Tsv => Sink::Text(StreamPrinter::new(PrintFormat::Tsv, out)),
            ExportFormat::Json => Sink::Text(StreamPrinter::new(PrintFormat::Json, out)),
            ExportFormat::NdJson => Sink::Text(StreamPrinter::new(PrintFormat::Ndjson, out)),
            ExportFormat::Parquet => Sink::Parquet(ArrowWriter::try_new(
                out,
                schema.clone(),
                Some(parquet_properties(schema)),
            )?),
            ExportFormat::Arrow => Sink::Arrow(arrow::ipc::writer::FileWriter::try_new(out, schema)?),
        })
    }

    fn write(&mut self, batch: &arrow::array::RecordBatch) -> Result<(), OutputError> {
        match self {
            Sink::Text(p) => p.batch(batch),
            Sink::Parquet(w) => Ok(w.write(batch)?),
            Sink::Arrow(w) => Ok(w.write(batch)?),
        }
    }

    fn finish(self, schema: &SchemaRef) -> Result<(), OutputError> {
        match self {
            Sink::Text(p) => p.finish(schema).map(|_| ()),
            Sink::Parquet(w) => w.close().map(|_| ()).map_err(OutputError::from),
            Sink::Arrow(mut w) => Ok(w.finish()?),
        }
    }
}
