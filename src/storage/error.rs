//! Errors of object-store access: each names the URL and says the cause in one line (no
//! credentials, bucket or object not found, access denied), without the stack of wrappers the
//! cloud clients print.

/// Why an object-store location could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The URL is not one macsql can read (bad scheme, no bucket).
    #[error("{url}: {why}")]
    BadUrl {
        /// The location given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// No credentials were found for the store.
    #[error("{url}: no credentials: {hint}")]
    NoCredentials {
        /// The location.
        url: String,
        /// Which settings provide them.
        hint: String,
    },
    /// The bucket or the object does not exist.
    #[error("{url}: not found ({what})")]
    NotFound {
        /// The location.
        url: String,
        /// What is missing: the bucket, or the object.
        what: String,
    },
    /// The credentials do not allow the operation.
    #[error("{url}: access denied: {cause}")]
    AccessDenied {
        /// The location.
        url: String,
        /// The store's words.
        cause: String,
    },
    /// Any other failure (network, server error), in the store's words.
    #[error("{url}: {cause}")]
    Other {
        /// The location.
        url: String,
        /// The cause, in one line.
        cause: String,
    },
}

impl StorageError {
    /// Classifies an `object_store` error on `url`.
    pub fn from_store(url: &str, e: object_store::Error) -> Self {
        let url = url.to_string();
        let cause = innermost(&e);
        match e {
            object_store::Error::NotFound { .. } => {
                let what = if cause.contains("NoSuchBucket") || cause.contains("bucket does not exist") {
                    "no such bucket"
                } else {
                    "no such object"
                };
                StorageError::NotFound {
                    url,
                    what: what.into(),
                }
            }
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                StorageError::AccessDenied { url, cause }
            }
            _ if cause.contains("NoSuchBucket") => StorageError::NotFound {
                url,
                what: "no such bucket".into(),
            },
            _ if cause.contains("AccessDenied") || cause.contains("InvalidAccessKeyId") => {
                StorageError::AccessDenied { url, cause }
            }
            _ => StorageError::Other { url, cause },
        }
    }
}

/// The innermost message of an error chain, on one line: what the server or the OS said,
/// without "Generic S3 error: Error performing ..." wrappers.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut messages = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        messages.push(s.to_string());
        source = s.source();
    }
    // An S3 error body names its code (<Code>NoSuchBucket</Code>); keep the most telling line.
    let best = messages
        .iter()
        .rev()
        .find(|m| !m.trim().is_empty())
        .cloned()
        .unwrap_or_default();
    let all = messages.join(" ");
    let code = [
        "NoSuchBucket",
        "NoSuchKey",
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
    ]
    .into_iter()
    .find(|c| all.contains(c));
    let line = best.split_whitespace().collect::<Vec<_>>().join(" ");
    match code {
        Some(c) if !line.contains(c) => format!("{c}: {line}"),
        _ => line,
    }
}
