//! `az://` locations against Azurite, Microsoft's Azure Storage emulator (npm `azurite`,
//! `tests/stores/package.json`, installed into `target/azurite` on first use), started on a
//! loopback port for the test; macsql reaches it by the emulator settings of `object_store`
//! (`AZURE_STORAGE_USE_EMULATOR`, `AZURITE_BLOB_STORAGE_URL`). Covers a table read by
//! `--data`, `FROM` and an external table, `COPY ... TO` and `-o` into a container, annotation
//! from a container into a container, and the errors (no such container, no such object,
//! access denied). What macsql wrote is checked with Azure's Python blob client.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use crate::common::{macsql, shared_data};
use crate::stores::{fails, free_port, ok, ok_with_stderr, python, target_dir, wait_for};

/// Azurite's blob server script, installed with `npm ci` on first use.
fn azurite_blob() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let prefix = target_dir("azurite");
        let bin = prefix.join("node_modules/.bin/azurite-blob");
        if !bin.exists() {
            std::fs::create_dir_all(&prefix).unwrap();
            let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stores");
            for f in ["package.json", "package-lock.json"] {
                std::fs::copy(from.join(f), prefix.join(f)).unwrap();
            }
            let ok = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&prefix)
                .status()
                .unwrap()
                .success();
            assert!(ok, "npm ci --prefix {}", prefix.display());
        }
        bin
    })
}

/// Azurite's blob service on a free loopback port (in memory), stopped when dropped.
struct Azurite {
    child: Child,
    port: u16,
}

/// The emulator's fixed account and key (the documented development-storage account).
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

impl Azurite {
    fn start() -> Self {
        let port = free_port();
        let child = Command::new(azurite_blob())
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args(["--inMemoryPersistence", "--silent", "--skipApiVersionCheck"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(port, "azurite-blob");
        Azurite { child, port }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
            (
                "AZURITE_BLOB_STORAGE_URL",
                format!("http://127.0.0.1:{}", self.port),
            ),
        ]
    }

    /// macsql with the emulator's settings in its environment.
    fn macsql(&self) -> assert_cmd::Command {
        let mut cmd = macsql();
        cmd.envs(self.env());
        cmd
    }

    /// Runs `code` in Python with `blobs`, a `BlobServiceClient` of the emulator; its stdout.
    fn blobs(&self, code: &str) -> String {
        let script = format!(
            "import os\nfrom azure.storage.blob import BlobServiceClient\n\
             blobs = BlobServiceClient.from_connection_string('DefaultEndpointsProtocol=http;\
             AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint=http://127.0.0.1:{}/{ACCOUNT};')\n{code}",
            self.port
        );
        python(&script, &[])
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tables_copy_and_annotation_live_in_an_azure_container() {
    let az = Azurite::start();
    az.blobs("blobs.create_container('faces')");
    let csv = shared_data("annotations/styleflow_stylegan2_faceapi.csv");
    let query = "SELECT count(*) AS n, sum(CASE WHEN smile > 0.5 THEN 1 ELSE 0 END) AS smiling FROM t";
    let local = ok(macsql()
        .arg("--data")
        .arg(format!("t={}", csv.display()))
        .args(["--format", "csv", "-c", query]));

    // COPY into the container, then the same answer by --data, FROM and an external table.
    let copy = format!(
        "COPY (SELECT * FROM '{}') TO 'az://faces/tables/sf.parquet'",
        csv.display()
    );
    ok(az.macsql().args(["-c", &copy]));
    let listed = az.blobs("print([b.name for b in blobs.get_container_client('faces').list_blobs()])");
    assert!(listed.contains("tables/sf.parquet"), "{listed}");
    let csv_out = |sql: &str| ok(az.macsql().args(["--format", "csv", "-c", sql]));
    let remote = ok(az.macsql().args([
        "--data",
        "t=az://faces/tables/sf.parquet",
        "--format",
        "csv",
        "-c",
        query,
    ]));
    assert_eq!(remote, local);
    assert_eq!(
        csv_out(&query.replace("FROM t", "FROM 'az://faces/tables/sf.parquet'")),
        local
    );
    assert_eq!(
        csv_out(&format!(
            "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION 'az://faces/tables/'; {query}"
        )),
        local
    );

    // -o into the container.
    ok(az
        .macsql()
        .arg("--data")
        .arg(format!("t={}", csv.display()))
        .args([
            "-c",
            "SELECT * FROM t LIMIT 10",
            "-o",
            "az://faces/exports/ten.csv",
        ]));
    let text = az.blobs(
        "print(blobs.get_blob_client('faces', 'exports/ten.csv').download_blob().readall().decode(), end='')",
    );
    assert_eq!(text.lines().count(), 11, "{text}");

    // Images uploaded to the container, annotated into a dataset folder in it: one table with
    // every image once, the same probabilities as a local run.
    let images = shared_data("images/real/ffhq");
    let mut names: Vec<String> = std::fs::read_dir(&images)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.truncate(4);
    az.blobs(&format!(
        "for n in {names:?}:\n    with open(os.path.join('{}', n), 'rb') as f:\n        \
         blobs.get_blob_client('faces', 'images/' + n).upload_blob(f)",
        images.display()
    ));
    let staging = tempfile::tempdir().unwrap();
    let annotate = || {
        ok_with_stderr(
            az.macsql()
                .env("MACSQL_STAGING", staging.path())
                .args([
                    "annotate",
                    "az://faces/images/",
                    "--dataset",
                    "ffhq",
                    "--kind",
                    "real",
                ])
                .args(["-o", "az://faces/annotations/", "--shard", "0/1"]),
        )
    };
    annotate();
    let (_, again) = annotate();
    assert!(again.contains("done already"), "{again}");
    let per_image =
        "SELECT regexp_replace(path, '.*/', '') AS name, round(\"Male_p\", 5) AS p FROM ann ORDER BY name";
    let (remote, warnings) = ok_with_stderr(az.macsql().args([
        "--data",
        "ann=az://faces/annotations/",
        "--format",
        "csv",
        "-c",
        per_image,
    ]));
    assert!(warnings.is_empty(), "no shard warnings: {warnings}");
    let dir = tempfile::tempdir().unwrap();
    for n in &names {
        std::fs::copy(images.join(n), dir.path().join(n)).unwrap();
    }
    let one = dir.path().join("one.parquet");
    ok(macsql()
        .arg("annotate")
        .arg(dir.path())
        .args(["--dataset", "ffhq", "--kind", "real", "-o"])
        .arg(&one));
    let local = ok(macsql()
        .arg("--data")
        .arg(format!("ann={}", one.display()))
        .args(["--format", "csv", "-c", per_image]));
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
