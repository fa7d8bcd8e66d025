//! Registering tables from a bucket (`s3://`, `gs://`, `az://`): one file, or a folder of
//! Parquet files (hive-partitioned, a `macsql annotate` dataset folder included, whose shards
//! are checked as on a local disk).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::prelude::SessionContext;

use super::label_scan::LabelTable;
use super::{CatalogError, SourceFormat, folder_table, is_table_file, register_file, shards};
use crate::foreign::clean_datafusion_message;
use crate::storage;

/// Registers the object or folder at `url` as table `name`: a folder when the URL ends in `/`
/// or names no file extension.
pub async fn register(ctx: &SessionContext, name: &str, url: &str) -> Result<(), CatalogError> {
    if url.ends_with('/') || Path::new(url).extension().is_none() {
        return register_folder(ctx, name, &storage::as_folder(url)).await;
    }
    let format = SourceFormat::from_path(Path::new(url))?;
    let Some(size) = storage::size(url).await? else {
        return Err(CatalogError::NotFound(PathBuf::from(url)));
    };
    let json_array = format == SourceFormat::NdJson
        && storage::get_range(url, 0..size.min(256))
            .await?
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            == Some(&b'[');
    register_file(ctx, name, url, format, json_array).await
}

/// Registers the bucket folder `url` (`/`-terminated) of Parquet files as one table.
async fn register_folder(ctx: &SessionContext, name: &str, url: &str) -> Result<(), CatalogError> {
    let objects = storage::list(url).await?;
    for warning in shards::check_remote(url, &objects).await?.warnings {
        crate::warnings::warn(warning);
    }
    let in_table = |object: &str| is_table_file(object.strip_prefix(url).unwrap_or(object));
    if !objects.iter().any(|(o, size)| *size > 0 && in_table(o)) {
        return Err(CatalogError::NoParquet(PathBuf::from(url)));
    }
    let table = folder_table(ctx, url).await.map_err(|e| CatalogError::Folder {
        folder: PathBuf::from(url),
        part: None,
        message: clean_datafusion_message(&e),
    })?;
    ctx.register_table(name, LabelTable::wrap(Arc::new(table)))?;
    Ok(())
}
