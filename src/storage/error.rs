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
        what: Missing,
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

/// What a [`StorageError::NotFound`] found missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The bucket (or container).
    Bucket,
    /// The object, in a bucket that exists.
    Object,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Missing::Bucket => "no such bucket",
            Missing::Object => "no such object",
        })
    }
}

impl StorageError {
    /// Classifies an `object_store` error on `url`.
    pub fn from_store(url: &str, e: &object_store::Error) -> Self {
        let url = url.to_string();
        let cause = innermost(e);
        // No keys in the environment: the credential chain ended at the cloud's instance
        // metadata service (EC2, GCE and Azure all answer at 169.254.169.254), which had none.
        let debug = format!("{e:?}");
        if ["169.254.169.254", "169.254.170.2", "metadata.google.internal"]
            .iter()
            .any(|host| debug.contains(host))
        {
            return StorageError::NoCredentials {
                url,
                hint: format!(
                    "none in the environment, and the instance metadata service gave none ({cause}); set \
                     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (gs://: GOOGLE_APPLICATION_CREDENTIALS; az://: \
                     AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY)"
                ),
            };
        }
        // S3 (and GCS's XML API) say NoSuchBucket, Azure ContainerNotFound.
        let no_bucket = ["NoSuchBucket", "bucket does not exist", "ContainerNotFound"]
            .iter()
            .any(|code| cause.contains(code));
        match e {
            object_store::Error::NotFound { .. } => {
                let what = if no_bucket {
                    Missing::Bucket
                } else {
                    Missing::Object
                };
                StorageError::NotFound { url, what }
            }
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                StorageError::AccessDenied { url, cause }
            }
            _ if no_bucket => StorageError::NotFound {
                url,
                what: Missing::Bucket,
            },
            _ if [
                "AccessDenied",
                "InvalidAccessKeyId",
                "AuthenticationFailed",
                "AuthorizationFailure",
            ]
            .iter()
            .any(|code| cause.contains(code)) =>
            {
                StorageError::AccessDenied { url, cause }
            }
            _ => StorageError::Other { url, cause },
        }
    }
}

/// The message of an object-store failure inside a DataFusion error (a query reading or
/// writing a bucket), in [`StorageError`]'s words and naming the request's URL; `None` when
/// there is none in it.
pub fn message_in(e: &datafusion::error::DataFusionError) -> Option<String> {
    use datafusion::error::DataFusionError as D;
    let store_error: &object_store::Error = match e {
        D::ObjectStore(inner) => inner,
        D::External(b) => {
            if let Some(s) = b.downcast_ref::<StorageError>() {
                return Some(s.to_string());
            }
            b.downcast_ref::<object_store::Error>()?
        }
        D::IoError(io) => io.get_ref()?.downcast_ref::<object_store::Error>()?,
        D::Context(_, inner) => return message_in(inner),
        D::Shared(inner) => return message_in(inner),
        _ => return None,
    };
    // "Error performing PUT http://host/bucket/key in 3ms": the request names the object, by
    // the bucket's location where a store of ours made it.
    let text = store_error.to_string();
    let url = text
        .split_once("Error performing ")
        .and_then(|(_, rest)| rest.split_whitespace().nth(1))
        .map(|request| super::location_of(request).unwrap_or_else(|| request.to_string()))
        .unwrap_or_else(|| match store_error {
            object_store::Error::NotFound { path, .. }
            | object_store::Error::PermissionDenied { path, .. }
            | object_store::Error::Unauthenticated { path, .. } => path.clone(),
            _ => "object store".into(),
        });
    Some(StorageError::from_store(&url, store_error).to_string())
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
    // The innermost non-empty message is the most telling: an XML error body becomes its code
    // and message; otherwise an error code met further out is put in front.
    let best = messages
        .iter()
        .rev()
        .find(|m| !m.trim().is_empty())
        .cloned()
        .unwrap_or_default();
    let line = best.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(words) = server_words(&line) {
        return words;
    }
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
    match code {
        Some(c) if !line.contains(c) => format!("{c}: {line}"),
        _ => line.trim_end_matches(':').to_string(),
    }
}

/// The status and the server's own words of an XML error body (S3, GCS and Azure answer
/// `<Error><Code>AccessDenied</Code><Message>Access Denied</Message>...`), without the request
/// ids: `403 Forbidden: AccessDenied (Access Denied)`. `None` when `line` holds no such body.
fn server_words(line: &str) -> Option<String> {
    let tag = |name: &str| {
        let (_, rest) = line.split_once(&format!("<{name}>"))?;
        rest.split_once(&format!("</{name}>")).map(|(v, _)| v.trim())
    };
    let code = tag("Code")?;
    let status = line
        .split_once("status code: ")
        .and_then(|(_, rest)| rest.split_once(':'))
        .map(|(status, _)| format!("{}: ", status.trim()))
        .unwrap_or_default();
    // Azure's message ends in "RequestId:... Time:...".
    Some(
        match tag("Message").map(|m| m.split("RequestId:").next().unwrap_or(m).trim()) {
            Some(message) if !message.is_empty() => format!("{status}{code} ({message})"),
            _ => format!("{status}{code}"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::server_words;

    #[test]
    fn xml_error_bodies_become_the_status_code_and_message() {
        let s3 = "Server returned non-2xx status code: 403 Forbidden: <?xml version=\"1.0\"?> <Error>\
                  <Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>5pf</RequestId></Error>";
        assert_eq!(
            server_words(s3).as_deref(),
            Some("403 Forbidden: AccessDenied (Access Denied)")
        );
        let azure = "Server returned non-2xx status code: 404 Not Found: <?xml?> <Error> \
                     <Code>ContainerNotFound</Code> <Message>The specified container does not exist. \
                     RequestId:1ece Time:2026-12-02T16:32:05.688Z</Message> </Error>";
        assert_eq!(
            server_words(azure).as_deref(),
            Some("404 Not Found: ContainerNotFound (The specified container does not exist.)")
        );
        assert_eq!(
            server_words("Server returned non-2xx status code: 403 Forbidden:"),
            None
        );
        assert_eq!(
            server_words("<Error><Code>SlowDown</Code></Error>").as_deref(),
            Some("SlowDown")
        );
    }
}
