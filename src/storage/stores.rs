//! Object stores built from the environment, one per bucket (or container), cached for the
//! process; `Registry` hands them to DataFusion, so `FROM 's3://...'`, `CREATE EXTERNAL TABLE
//! ... LOCATION 's3://...'` and `COPY ... TO 's3://...'` find them without registration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path as StorePath;
use url::Url;

use super::StorageError;

/// Stores built so far, by `scheme://bucket`.
fn cache() -> &'static Mutex<HashMap<String, Arc<dyn ObjectStore>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Whether the environment variable `name` is set to something.
fn set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Whether the variable is `true` / `1` / `yes`.
fn truthy(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// The store for the bucket of `url` and the object path inside it.
pub fn store_for(url: &str) -> Result<(Arc<dyn ObjectStore>, StorePath), StorageError> {
    let bad = |why: &str| StorageError::BadUrl {
        url: url.to_string(),
        why: why.to_string(),
    };
    let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    let bucket = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("no bucket: write s3://BUCKET/path (gs://BUCKET/path, az://CONTAINER/path)"))?;
    let scheme = parsed.scheme().to_ascii_lowercase();
    let key = format!("{scheme}://{bucket}");
    let path = StorePath::from_url_path(parsed.path()).map_err(|e| bad(&e.to_string()))?;
    let mut stores = cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(store) = stores.get(&key) {
        return Ok((Arc::clone(store), path));
    }
    let built = build(&scheme, &key, url)?;
    stores.insert(key, Arc::clone(&built));
    Ok((built, path))
}

/// The `scheme://bucket/key` location of the object that `request`, the HTTP URL of a request
/// made by a store built here, names: path style (`http://endpoint/bucket/key`, S3-compatible
/// endpoints, GCS, Azure's `account.blob.../container/key`) or virtual-hosted
/// (`https://bucket.s3.region.amazonaws.com/key`). DataFusion's errors carry only the request,
/// a user wrote the location. `None` when no store built so far has the bucket.
pub fn location_of(request: &str) -> Option<String> {
    let keys: Vec<String> = cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .keys()
        .cloned()
        .collect();
    locate(request, &keys)
}

/// [`location_of`] over the store keys `keys` (`scheme://bucket`).
fn locate(request: &str, keys: &[String]) -> Option<String> {
    let url = Url::parse(request).ok()?;
    let host = url.host_str().unwrap_or_default();
    let path = url.path().trim_start_matches('/');
    let segments: Vec<&str> = path.splitn(3, '/').collect();
    keys.iter()
        .filter_map(|key| {
            let (_, bucket) = key.split_once("://")?;
            // Best first: the bucket leads the path (path style); it leads the host (virtual
            // hosted); it follows an account name (Azure's emulator:
            // `http://127.0.0.1:10000/devstoreaccount1/container/key`).
            let (rank, object) = match segments.as_slice() {
                [b, rest @ ..] if *b == bucket => (3, rest.join("/")),
                _ if host.strip_prefix(bucket).is_some_and(|h| h.starts_with('.')) => (2, path.to_string()),
                [_, b, rest @ ..] if *b == bucket => (1, rest.join("/")),
                _ => return None,
            };
            Some(((rank, bucket.len()), format!("{key}/{object}")))
        })
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, location)| location)
}

/// A store for `key` (`scheme://bucket`) from the environment and each cloud's credential chain.
fn build(scheme: &str, key: &str, url: &str) -> Result<Arc<dyn ObjectStore>, StorageError> {
    let fail = |e: object_store::Error| StorageError::from_store(url, &e);
    let store: Arc<dyn ObjectStore> = match scheme {
        "s3" => {
            let chain = ["AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE"]
                .iter()
                .chain(&[
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                ])
                .any(|v| set(v));
            // Without keys the chain ends at the EC2 instance metadata service; where that is
            // switched off (as the AWS CLI reads it), say so now instead of timing out.
            if !chain && !truthy("AWS_SKIP_SIGNATURE") && truthy("AWS_EC2_METADATA_DISABLED") {
                return Err(StorageError::NoCredentials {
                    url: url.to_string(),
                    hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_WEB_IDENTITY_TOKEN_FILE, \
                           or AWS_SKIP_SIGNATURE=true for a public bucket)"
                        .into(),
                });
            }
            Arc::new(AmazonS3Builder::from_env().with_url(key).build().map_err(fail)?)
        }
        "gs" => Arc::new(
            GoogleCloudStorageBuilder::from_env()
                .with_url(key)
                .build()
                .map_err(fail)?,
        ),
        "az" => Arc::new(
            MicrosoftAzureBuilder::from_env()
                .with_url(key)
                .build()
                .map_err(fail)?,
        ),
        other => {
            return Err(StorageError::BadUrl {
                url: url.to_string(),
                why: format!("unknown scheme {other}:// (s3://, gs:// and az:// are read)"),
            });
        }
    };
    Ok(store)
}

/// DataFusion's object-store registry, which builds a store for any `s3://`, `gs://` or
/// `az://` bucket on first use (local files as before).
#[derive(Debug, Default)]
pub struct Registry {
    inner: DefaultObjectStoreRegistry,
}

impl ObjectStoreRegistry for Registry {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        match self.inner.get_store(url) {
            Ok(store) => Ok(store),
            Err(e) if !super::is_remote(url.as_str()) => Err(e),
            Err(_) => {
                let (store, _) = store_for(url.as_str())
                    .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
                self.inner.register_store(url, Arc::clone(&store));
                Ok(store)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn request_urls_map_back_to_the_locations_users_wrote() {
        let keys = [
            "s3://faces".to_string(),
            "s3://nob".to_string(),
            "az://box".to_string(),
        ];
        let at = |r: &str| locate(r, &keys);
        assert_eq!(
            at("http://127.0.0.1:9000/nob/x.parquet").as_deref(),
            Some("s3://nob/x.parquet")
        );
        assert_eq!(
            at("https://faces.s3.us-east-1.amazonaws.com/a/b.csv?partNumber=1").as_deref(),
            Some("s3://faces/a/b.csv")
        );
        assert_eq!(
            at("https://acct.blob.core.windows.net/box/t/1.parquet").as_deref(),
            Some("az://box/t/1.parquet")
        );
        assert_eq!(
            at("http://127.0.0.1:10000/devstoreaccount1/box/a.csv").as_deref(),
            Some("az://box/a.csv")
        );
        assert_eq!(
            at("http://127.0.0.1:9000/nob/faces/y.csv").as_deref(),
            Some("s3://nob/faces/y.csv")
        );
        assert_eq!(at("http://127.0.0.1:9000/other/x.parquet"), None);
        assert_eq!(at("not a url"), None);
    }
}
