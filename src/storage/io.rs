//! Reading, listing and writing objects by URL, async and (through [`block_on`]) from the
//! threads of the annotation pipeline.

use std::future::Future;
use std::path::Path;
use std::sync::OnceLock;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

use super::{Missing, StorageError, store_for};

/// Parts of an upload (S3's minimum is 5 MiB).
const PART: usize = 8 << 20;

/// Runs `fut` to completion on macsql's own I/O runtime and waits for it: callable from any
/// thread, inside a tokio runtime or not. The stores' connections live on that runtime.
pub fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("macsql-io")
            .enable_all()
            .build()
            .expect("the I/O runtime starts")
    });
    let task = rt.spawn(fut);
    futures::executor::block_on(task).unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// The whole object at `url`.
pub async fn get(url: &str) -> Result<Bytes, StorageError> {
    let (store, path) = store_for(url)?;
    let fail = |e| StorageError::from_store(url, &e);
    store.get(&path).await.map_err(fail)?.bytes().await.map_err(fail)
}

/// Bytes `range` of the object at `url` (inside the object: see [`size`]).
pub async fn get_range(url: &str, range: std::ops::Range<u64>) -> Result<Bytes, StorageError> {
    let (store, path) = store_for(url)?;
    store
        .get_range(&path, range)
        .await
        .map_err(|e| StorageError::from_store(url, &e))
}

/// The whole object at `url`, `None` when there is none.
pub async fn get_opt(url: &str) -> Result<Option<Bytes>, StorageError> {
    match get(url).await {
        Ok(b) => Ok(Some(b)),
        Err(StorageError::NotFound {
            what: Missing::Object,
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The size of the object at `url`, `None` when there is none (a bucket that does not exist
/// is an error).
pub async fn size(url: &str) -> Result<Option<u64>, StorageError> {
    let (store, path) = store_for(url)?;
    match store.head(&path).await {
        Ok(meta) => Ok(Some(meta.size)),
        Err(object_store::Error::NotFound { .. }) => {
            // S3 answers HEAD on a missing bucket with a bare 404 too: tell them apart by listing.
            let listed = store.list(None).try_next().await;
            match listed {
                Err(e) => Err(StorageError::from_store(url, &e)),
                Ok(_) => Ok(None),
            }
        }
        Err(e) => Err(StorageError::from_store(url, &e)),
    }
}

/// Every object under the folder `url` (recursively) as (URL, size), in key order.
pub async fn list(url: &str) -> Result<Vec<(String, u64)>, StorageError> {
    let folder = super::as_folder(url);
    let (store, prefix) = store_for(&folder)?;
    let base = folder
        .split_once("://")
        .and_then(|(scheme, rest)| {
            rest.split_once('/')
                .map(|(bucket, _)| format!("{scheme}://{bucket}/"))
        })
        .unwrap_or_default();
    let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
    let mut found: Vec<(String, u64)> = store
        .list(prefix.as_ref())
        .map_ok(|m| (format!("{base}{}", m.location), m.size))
        .try_collect()
        .await
        .map_err(|e| StorageError::from_store(url, &e))?;
    found.sort();
    Ok(found)
}

/// Writes `bytes` as the object at `url` (whole or not at all).
pub async fn put(url: &str, bytes: Bytes) -> Result<(), StorageError> {
    let (store, path) = store_for(url)?;
    store
        .put(&path, PutPayload::from(bytes))
        .await
        .map(|_| ())
        .map_err(|e| StorageError::from_store(url, &e))
}

/// Uploads the local file `local` to `url` in parts; the object appears only when complete.
pub async fn upload(local: &Path, url: &str) -> Result<u64, StorageError> {
    let local_err = |e: std::io::Error| StorageError::Other {
        url: url.to_string(),
        cause: format!("{}: {e}", local.display()),
    };
    let mut file = tokio::fs::File::open(local).await.map_err(local_err)?;
    let size = file.metadata().await.map_err(local_err)?.len();
    if size as usize <= PART {
        let mut data = Vec::with_capacity(size as usize);
        file.read_to_end(&mut data).await.map_err(local_err)?;
        put(url, Bytes::from(data)).await?;
        return Ok(size);
    }
    let (store, path) = store_for(url)?;
    let fail = |e| StorageError::from_store(url, &e);
    let mut writer =
        WriteMultipart::new_with_chunk_size(store.put_multipart(&path).await.map_err(fail)?, PART);
    let mut buf = vec![0u8; PART];
    loop {
        let n = file.read(&mut buf).await.map_err(local_err)?;
        if n == 0 {
            break;
        }
        writer.wait_for_capacity(4).await.map_err(fail)?;
        writer.write(&buf[..n]);
    }
    writer.finish().await.map_err(fail)?;
    Ok(size)
}
