//! `az://` locations against Azurite, Microsoft's Azure Storage emulator (npm `azurite`,
//! `tests/stores/package.json`, installed into `target/azurite` on first use), started on a
//! loopback port for the test; macsql reaches it by the emulator settings of `object_store`
//! (`AZURE_STORAGE_USE_EMULATOR`, `AZURITE_BLOB_STORAGE_URL`). Covers a table read by
//! `--data`, `FROM` and an external table, `COPY ... TO` and `-o` into a container, annotation
//! from a container into a container, and the errors (no such container, no such object,
//! access denied). What macsql wrote is checked with Azure's Python blob client.

use std::path::Path;

use crate::common::macsql;
use crate::stores::{
    PER_IMAGE, Server, Store, annotated_locally, azurite_blob, fails, images_in, ok_with_stderr, python,
    tables_and_exports,
};

/// The emulator's fixed account and key (the documented development-storage account).
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Azurite's blob service on a free loopback port (in memory), with container `faces`.
struct Azurite(Server);

impl Azurite {
    fn start() -> Self {
        let server = Server::start(
            azurite_blob(),
            |port| {
                ["--blobHost", "127.0.0.1", "--blobPort", port]
                    .into_iter()
                    .chain(["--inMemoryPersistence", "--silent", "--skipApiVersionCheck"])
                    .map(String::from)
                    .collect()
            },
            &[],
        );
        let az = Azurite(server);
        az.blobs("blobs.create_container('faces')");
        az
    }

    /// Runs `code` in Python with `blobs`, a `BlobServiceClient` of the emulator; its stdout.
    fn blobs(&self, code: &str) -> String {
        let script = format!(
            "import os\nfrom azure.storage.blob import BlobServiceClient\n\
             blobs = BlobServiceClient.from_connection_string('DefaultEndpointsProtocol=http;\
             AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={}/{ACCOUNT};')\n{code}",
            self.0.endpoint()
        );
        python(&script, &[])
    }
}

impl Store for Azurite {
    fn root(&self) -> &str {
        "az://faces"
    }

    fn macsql(&self) -> assert_cmd::Command {
        let mut cmd = macsql();
        cmd.env("AZURE_STORAGE_USE_EMULATOR", "true")
            .env("AZURITE_BLOB_STORAGE_URL", self.0.endpoint());
        cmd
    }

    fn keys(&self) -> String {
        self.blobs("print([b.name for b in blobs.get_container_client('faces').list_blobs()])")
    }

    fn text(&self, key: &str) -> String {
        self.blobs(&format!(
            "print(blobs.get_blob_client('faces', '{key}').download_blob().readall().decode(), end='')"
        ))
    }

    fn upload(&self, dir: &Path, names: &[String], prefix: &str) {
        self.blobs(&format!(
            "for n in {names:?}:\n    with open(os.path.join('{}', n), 'rb') as f:\n        \
             blobs.get_blob_client('faces', '{prefix}' + n).upload_blob(f)",
            dir.display()
        ));
    }
}

#[test]
fn tables_copy_and_annotation_live_in_an_azure_container() {
    let az = Azurite::start();
    tables_and_exports(&az);

    // Images uploaded to the container, annotated into a dataset folder in it: one table with
    // every image once, the same probabilities as a local run.
    let (images, names) = images_in(&az, 4);
    let staging = tempfile::tempdir().unwrap();
    let annotate = || {
        ok_with_stderr(
            az.macsql()
                .env("MACSQL_STAGING", staging.path())
                .args(["annotate", "az://faces/images/ffhq/", "--dataset", "ffhq"])
                .args([
                    "--kind",
                    "real",
                    "-o",
                    "az://faces/annotations/",
                    "--shard",
                    "0/1",
                ]),
        )
    };
    annotate();
    let (_, again) = annotate();
    assert!(again.contains("done already"), "{again}");
    let (remote, warnings) = ok_with_stderr(az.macsql().args([
        "--data",
        "ann=az://faces/annotations/",
        "--format",
        "csv",
        "-c",
        PER_IMAGE,
    ]));
    assert!(warnings.is_empty(), "no shard warnings: {warnings}");
    let (local, _, _dir) = annotated_locally(&images, &names);
    assert_eq!(remote, local);
    assert_eq!(remote.lines().count(), 5);

    // Errors name the location and the cause.
    let e = fails(
        az.macsql()
            .args(["--data", "az://nobox/a.parquet", "-c", "SELECT 1"]),
    );
    assert!(
        e.contains("az://nobox/a.parquet: not found (no such bucket)"),
        "{e}"
    );
    let e = fails(
        az.macsql()
            .args(["-c", "SELECT * FROM 'az://faces/missing.parquet'"]),
    );
    assert!(
        e.contains("az://faces/missing.parquet: not found (no such object)"),
        "{e}"
    );
    let e = fails(
        az.macsql()
            .args(["-c", "COPY (SELECT 1 AS a) TO 'az://nobox/y.parquet'"]),
    );
    assert!(
        e.contains("az://nobox/y.parquet: not found") && !e.contains("http://"),
        "{e}"
    );
    // A key the account does not have (base64 of "wrong key").
    let e = fails(
        az.macsql()
            .env("AZURE_STORAGE_ACCOUNT_KEY", "d3Jvbmcga2V5")
            .args(["--data", "t=az://faces/tables/sf.parquet", "-c", "SELECT 1"]),
    );
    assert!(e.contains("az://faces/tables/sf.parquet: access denied"), "{e}");
}
