//! Registering files and folders as tables: Parquet (files and hive-partitioned folders), CSV,
//! Arrow IPC and newline-delimited JSON.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::datasource::file_format::options::{
    ArrowReadOptions, CsvReadOptions, JsonReadOptions, ParquetReadOptions,
};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::SessionContext;

use crate::foreign::{ForeignError, clean_datafusion_message};
use crate::formats::{FileFormat, FormatError};

mod error;
mod footer;
mod label_scan;
mod remote;
mod shards;

pub use error::CatalogError;
pub use label_scan::LabelTableFactory;
use label_scan::{LabelTable, LabelUrlTables};

/// The file formats a table can be read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// Apache Parquet.
    Parquet,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// Arrow IPC file (.arrow, .feather, .ipc).
    Arrow,
    /// Newline-delimited JSON.
    NdJson,
}

impl SourceFormat {
    /// The format of a file, from its extension ([`crate::formats`]); `.json` is read as one
    /// array or as newline-delimited records, whichever the file holds.
    pub fn from_path(path: &Path) -> Result<Self, FormatError> {
        Ok(match FileFormat::from_path(path)? {
            FileFormat::Parquet => SourceFormat::Parquet,
            FileFormat::Csv => SourceFormat::Csv,
            FileFormat::Tsv => SourceFormat::Tsv,
            FileFormat::Arrow => SourceFormat::Arrow,
            FileFormat::Json | FileFormat::NdJson => SourceFormat::NdJson,
        })
    }
}

/// A table name derived from a path: the file stem (or folder name) with every character
/// outside `[A-Za-z0-9_]` replaced by `_` (and a leading `_` when it would start with a digit).
pub fn table_name_for(path: &Path) -> String {
    let stem = if path.is_dir() {
        path.file_name()
    } else {
        path.file_stem()
    };
    let stem = stem.map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| {
        // `.` or `..`: use the canonical folder name.
        std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "t".to_string())
    });
    sanitize_name(&stem)
}

/// Replaces every character outside `[A-Za-z0-9_]` by `_`; prefixes `_` to a leading digit.
pub fn sanitize_name(raw: &str) -> String {
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// Splits a `--data` argument into an optional explicit name and a path (`NAME=PATH` or `PATH`).
///
/// The part before `=` counts as a name only when it is a valid identifier, so paths that
/// contain `=` (hive partitions such as `dataset=ffhq`) are still read as paths.
pub fn parse_data_spec(spec: &str) -> (Option<String>, PathBuf) {
    if let Some((name, path)) = spec.split_once('=') {
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if valid && !Path::new(spec).exists() {
            return (Some(name.to_string()), PathBuf::from(path));
        }
    }
    (None, PathBuf::from(spec))
}

/// Registers the file or folder at `path` as table `name` in `ctx` (an `s3://`, `gs://` or
/// `az://` URL reads from a bucket).
pub async fn register(ctx: &SessionContext, name: &str, path: &Path) -> Result<(), CatalogError> {
    if let Some(url) = crate::storage::remote_url(path) {
        return remote::register(ctx, name, url).await;
    }
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            CatalogError::NotFound(path.to_path_buf())
        } else {
            ForeignError::io(path, e).into()
        }
    })?;
    let path_str = path
        .to_str()
        .ok_or_else(|| CatalogError::NonUtf8Path(path.to_path_buf()))?;
    if meta.is_dir() {
        return register_folder(ctx, name, path).await;
    }
    // DataFusion registers an empty CSV as a table without columns and prints nothing for it.
    if meta.len() == 0 {
        return Err(CatalogError::EmptyFile(path.to_path_buf()));
    }
    let format = SourceFormat::from_path(path)?;
    if format == SourceFormat::Parquet
        && let Some(message) = footer::footer_problem(path, meta.len())
    {
        return Err(CatalogError::Unreadable {
            path: path.to_path_buf(),
            message,
        });
    }
    let json_array = format == SourceFormat::NdJson && starts_with_bracket(path);
    register_file(ctx, name, path_str, format, json_array).await
}

/// Registers the file at `location` (a path or a bucket URL) as table `name`, in `format` (its
/// extension's); `json_array`: a `.json` file holds one JSON array, not NDJSON.
async fn register_file(
    ctx: &SessionContext,
    name: &str,
    location: &str,
    format: SourceFormat,
    json_array: bool,
) -> Result<(), CatalogError> {
    let path = Path::new(location);
    let with_context = |e: datafusion::error::DataFusionError| CatalogError::Unreadable {
        path: path.to_path_buf(),
        message: clean_datafusion_message(&e),
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    match format {
        SourceFormat::Parquet => {
            ctx.register_parquet(name, location, ParquetReadOptions::default().file_extension(&ext))
                .await
                .map_err(with_context)?;
            with_label_scans(ctx, name).await?;
        }
        fmt @ (SourceFormat::Csv | SourceFormat::Tsv) => {
            let delimiter = if fmt == SourceFormat::Tsv { b'\t' } else { b',' };
            let options = CsvReadOptions::new()
                .has_header(true)
                .delimiter(delimiter)
                .file_extension(&ext);
            ctx.register_csv(name, location, options)
                .await
                .map_err(with_context)?
        }
        SourceFormat::Arrow => {
            let options = ArrowReadOptions {
                file_extension: &ext,
                ..Default::default()
            };
            ctx.register_arrow(name, location, options)
                .await
                .map_err(with_context)?
        }
        SourceFormat::NdJson => {
            // `.json` files may hold one JSON array (as `--format json` writes) or NDJSON.
            let options = JsonReadOptions::default()
                .file_extension(&ext)
                .newline_delimited(!json_array);
            ctx.register_json(name, location, options)
                .await
                .map_err(with_context)?
        }
    }
    Ok(())
}

/// Registers in-memory record batches as table `name` in `ctx` (replacing one of that name).
pub fn register_batches(
    ctx: &SessionContext,
    name: &str,
    schema: arrow::datatypes::SchemaRef,
    batches: Vec<arrow::array::RecordBatch>,
) -> Result<(), CatalogError> {
    let table = datafusion::datasource::MemTable::try_new(schema, vec![batches])?;
    if ctx.table_exist(name)? {
        ctx.deregister_table(name)?;
    }
    ctx.register_table(name, Arc::new(table))?;
    Ok(())
}

/// Replaces table `name` (DataFusion's table over Parquet files) by a `LabelTable`.
async fn with_label_scans(ctx: &SessionContext, name: &str) -> Result<(), CatalogError> {
    let inner = ctx.table_provider(name).await?;
    ctx.deregister_table(name)?;
    ctx.register_table(name, LabelTable::wrap(inner))?;
    Ok(())
}

/// Makes `FROM 'file.parquet'` (folders and bucket URLs too) and `CREATE EXTERNAL TABLE ...
/// STORED AS PARQUET` tables label tables, like registered ones.
pub fn with_label_tables(ctx: SessionContext) -> SessionContext {
    use datafusion::catalog::{DynamicFileCatalog, UrlTableFactory};
    let factory = Arc::new(LabelUrlTables::default());
    let catalogs = Arc::new(DynamicFileCatalog::new(
        Arc::clone(ctx.state().catalog_list()),
        Arc::clone(&factory) as Arc<dyn UrlTableFactory>,
    ));
    let ctx: SessionContext = ctx
        .into_state_builder()
        .with_catalog_list(catalogs)
        .build()
        .into();
    factory.inner.session_store().with_state(ctx.state_weak_ref());
    ctx
}

/// Registers a folder of Parquet files (hive-partitioned or not) as one table.
async fn register_folder(ctx: &SessionContext, name: &str, path: &Path) -> Result<(), CatalogError> {
    // A dataset folder of `macsql annotate -o FOLDER/`: missing or unfinished shards are said,
    // shards of different bundles refused.
    for warning in shards::check(path)?.warnings {
        crate::warnings::warn(warning);
    }
    let parts = parquet_files(path);
    if parts.is_empty() {
        return Err(CatalogError::NoParquet(path.to_path_buf()));
    }
    for part in parts {
        let len = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if let Some(message) = footer::footer_problem(&part, len) {
            return Err(CatalogError::Folder {
                folder: path.to_path_buf(),
                part: Some(part),
                message,
            });
        }
    }
    let url = crate::storage::as_folder(&path.to_string_lossy());
    // A bad part is named: DataFusion's error says what is wrong but not in which file.
    let in_folder = |e: datafusion::error::DataFusionError| {
        let (part, message) = match first_unreadable_parquet(path) {
            Some((file, why)) => (Some(file), why),
            None => (None, clean_datafusion_message(&e)),
        };
        CatalogError::Folder {
            folder: path.to_path_buf(),
            part,
            message,
        }
    };
    let table = folder_table(ctx, &url).await.map_err(in_folder)?;
    ctx.register_table(name, LabelTable::wrap(Arc::new(table)))?;
    Ok(())
}

/// DataFusion's listing table over the Parquet files of the folder `url` (`/`-terminated, a
/// path or a bucket URL), partition columns inferred from `key=value` folders.
async fn folder_table(
    ctx: &SessionContext,
    url: &str,
) -> Result<ListingTable, datafusion::error::DataFusionError> {
    let table_url = ListingTableUrl::parse(url)?;
    let state = ctx.state();
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let schema = union_schema(&state, &options, &table_url).await?;
    let config = ListingTableConfig::new(table_url)
        .with_listing_options(options)
        .infer_partitions_from_path(&state)
        .await?
        .with_schema(schema);
    ListingTable::try_new(config)
}

/// The union of the columns of the folder's files, merged as DataFusion's own inference merges
/// them (files in path order, each read as its Parquet format reads it; one footer read per
/// file), with every column that some file lacks made nullable: it reads as NULL on that file's
/// rows. (Left non-nullable, as an import's labels are, every query on such a column failed with
/// "declared as non-nullable but contains null values" once the folder also held an annotation
/// without it.)
async fn union_schema(
    state: &datafusion::execution::context::SessionState,
    options: &ListingOptions,
    table_url: &ListingTableUrl,
) -> Result<SchemaRef, datafusion::error::DataFusionError> {
    use futures::{StreamExt, TryStreamExt};
    let store = state.runtime_env().object_store(table_url)?;
    let mut files: Vec<_> = table_url
        .list_all_files(state, store.as_ref(), &options.file_extension)
        .await?
        .try_collect()
        .await?;
    if files.is_empty() {
        return datafusion::common::plan_err!("No files found at {table_url}");
    }
    // Empty files have no schema to add.
    files.retain(|f| f.size > 0);
    files.sort_by(|a, b| a.location.cmp(&b.location));
    let store = &store;
    let schemas: Vec<SchemaRef> = futures::stream::iter(files)
        .map(|file| async move {
            options
                .format
                .infer_schema(state, store, std::slice::from_ref(&file))
                .await
        })
        .buffered(32)
        .try_collect()
        .await?;
    let merged = Schema::try_merge(schemas.iter().map(|s| s.as_ref().clone()))?;
    let fields: Vec<Field> = merged
        .fields()
        .iter()
        .map(|f| {
            let everywhere = schemas.iter().all(|s| s.field_with_name(f.name()).is_ok());
            f.as_ref().clone().with_nullable(f.is_nullable() || !everywhere)
        })
        .collect();
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        merged.metadata().clone(),
    )))
}

/// True when the first non-blank byte of the file is `[` (a JSON array rather than NDJSON).
fn starts_with_bracket(path: &Path) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 256];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let n = f.read(&mut buf).unwrap_or(0);
    buf[..n].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// Whether the file at `rel` (`/`-separated, relative to a folder) is part of the folder's
/// table as DataFusion lists it: a `.parquet` file in the folder or in hive partition folders
/// (`key=value`) below it; other sub-folders (such as a running annotation's
/// `data.parquet.parts/` journal) are not part of the table.
fn is_table_file(rel: &str) -> bool {
    let (dirs, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    Path::new(file)
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("parquet"))
        && (dirs.is_empty() || dirs.split('/').all(|d| d.contains('=')))
}

/// Every file of the folder `dir` that is part of its table ([`is_table_file`]), in path order.
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            let rel = p
                .strip_prefix(dir)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            if p.is_dir() {
                // Only partition folders can hold table files.
                if entry.file_name().to_string_lossy().contains('=') {
                    stack.push(p);
                }
            } else if is_table_file(&rel) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The first `.parquet` file under `dir` (in path order) whose footer cannot be read, and why.
fn first_unreadable_parquet(dir: &Path) -> Option<(PathBuf, String)> {
    parquet_files(dir).into_iter().find_map(|f| {
        let why = match std::fs::File::open(&f) {
            Ok(file) => parquet::file::reader::SerializedFileReader::new(file)
                .err()?
                .to_string(),
            Err(e) => e.to_string(),
        };
        Some((f, why))
    })
}

/// The local file or folder a table was registered from: the Parquet file of a label-scan
/// table, or the first location of a listing table (`file://` URLs only).
pub(crate) fn source_path_of(provider: &dyn datafusion::catalog::TableProvider) -> Option<PathBuf> {
    let listing = match provider.downcast_ref::<LabelTable>() {
        Some(t) => t.listing(),
        None => provider.downcast_ref::<ListingTable>()?,
    };
    let url: &url::Url = listing.table_paths().first()?.as_ref();
    url.to_file_path().ok()
}

/// `path` when it is a Parquet file, else the first Parquet file under the folder `path` (in
/// path order, hive partitions included).
pub(crate) fn first_parquet_file(path: &Path) -> Option<PathBuf> {
    if path.is_file() {
        return path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("parquet"))
            .then(|| path.to_path_buf());
    }
    parquet_files(path).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized() {
        assert_eq!(sanitize_name("ffhq-faceapi.v2"), "ffhq_faceapi_v2");
        assert_eq!(sanitize_name("2024 data"), "_2024_data");
        assert_eq!(
            table_name_for(Path::new("/x/styleflow_stylegan2_faceapi.csv")),
            "styleflow_stylegan2_faceapi"
        );
    }

    #[test]
    fn data_specs_split_on_valid_names_only() {
        assert_eq!(
            parse_data_spec("real=a/b.parquet"),
            (Some("real".into()), PathBuf::from("a/b.parquet"))
        );
        assert_eq!(
            parse_data_spec("out/dataset=ffhq"),
            (None, PathBuf::from("out/dataset=ffhq"))
        );
        assert_eq!(parse_data_spec("a.csv"), (None, PathBuf::from("a.csv")));
    }

    #[test]
    fn formats_follow_extensions() {
        assert_eq!(
            SourceFormat::from_path(Path::new("a.JSONL")).unwrap(),
            SourceFormat::NdJson
        );
        assert_eq!(
            SourceFormat::from_path(Path::new("a.feather")).unwrap(),
            SourceFormat::Arrow
        );
        let err = SourceFormat::from_path(Path::new("a.xlsx"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a.xlsx") && err.contains("xlsx"), "{err}");
    }
}
