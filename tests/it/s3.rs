//! Object storage against a real S3-compatible server: moto's server (PyPI `moto[s3,server]`,
//! installed into `target/s3-venv` on first use) started on a loopback port for the test.
//! Covers tables and a partitioned dataset read from a bucket (label scans included), `COPY
//! ... TO` and `-o` into a bucket, annotation from a bucket into a bucket in two shards, and
//! the errors a user meets (no such bucket, no such object). What macsql wrote is checked with
//! boto3, not with macsql.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{macsql, shared_data};

/// The venv holding moto and boto3, made on first use.
fn venv() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let venv = target.parent().unwrap().join("s3-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap()
            .success();
        assert!(ok, "python3 -m venv {}", venv.display());
        let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/s3/requirements.txt");
        let ok = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(&requirements)
            .status()
            .unwrap()
            .success();
        assert!(ok, "pip install -r {}", requirements.display());
    }
    venv
}

/// A moto server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
    venv: PathBuf,
}

impl Moto {
    fn start() -> Self {
        let venv = venv();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            endpoint,
            venv,
        }
    }

    /// macsql with the server's endpoint and credentials in its environment.
    fn macsql(&self) -> assert_cmd::Command {
        let mut cmd = macsql();
        cmd.envs(self.env());
        cmd
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    /// Runs `code` in Python with `s3`, a boto3 client of the server, and returns its stdout.
    fn boto3(&self, code: &str) -> String {
        let script = format!(
            "import boto3, os, json\ns3 = boto3.client('s3', endpoint_url='{}')\n{code}",
            self.endpoint
        );
        let out = Command::new(self.venv.join("bin/python"))
            .args(["-c", &script])
            .envs(self.env())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// stdout of a successful run.
fn ok(cmd: &mut assert_cmd::Command) -> String {
    ok_with_stderr(cmd).0
}

/// stdout and stderr of a successful run.
fn ok_with_stderr(cmd: &mut assert_cmd::Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

/// stderr of a failed run.
fn fails(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn tables_datasets_copy_and_annotation_live_in_a_bucket() {
    let moto = Moto::start();
    moto.boto3("s3.create_bucket(Bucket='faces')");
    let csv = shared_data("annotations/styleflow_stylegan2_faceapi.csv");
    let query = "SELECT count(*) AS n, sum(CASE WHEN smile > 0.5 THEN 1 ELSE 0 END) AS smiling FROM t";
    let local = ok(macsql()
        .arg("--data")
        .arg(format!("t={}", csv.display()))
        .args(["--format", "csv", "-c", query]));

    // COPY to a bucket, then the same answer from the object, by --data, FROM and an external table.
    let copy = format!(
        "COPY (SELECT * FROM '{}') TO 's3://faces/tables/sf.parquet'",
        csv.display()
    );
    ok(moto.macsql().args(["-c", &copy]));
    let listed = moto.boto3("print([o['Key'] for o in s3.list_objects_v2(Bucket='faces')['Contents']])");
    assert!(listed.contains("tables/sf.parquet"), "{listed}");
    let remote = ok(moto.macsql().args([
        "--data",
        "t=s3://faces/tables/sf.parquet",
        "--format",
        "csv",
        "-c",
        query,
    ]));
    assert_eq!(remote, local);
    let from = query.replace("FROM t", "FROM 's3://faces/tables/sf.parquet'");
    assert_eq!(ok(moto.macsql().args(["--format", "csv", "-c", &from])), local);
    let external =
        format!("CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION 's3://faces/tables/'; {query}");
    assert_eq!(
        ok(moto.macsql().args(["--format", "csv", "-c", &external])),
        local
    );

    // -o into a bucket: the object is what a local export writes.
    ok(moto
        .macsql()
        .arg("--data")
        .arg(format!("t={}", csv.display()))
        .args([
            "-c",
            "SELECT * FROM t LIMIT 10",
            "-o",
            "s3://faces/exports/ten.csv",
        ]));
    let text = moto
        .boto3("print(s3.get_object(Bucket='faces', Key='exports/ten.csv')['Body'].read().decode(), end='')");
    assert_eq!(text.lines().count(), 11, "{text}");

    // Images in the bucket (put there by boto3), annotated in two shards into a dataset folder
    // in the bucket: one table, every image once, the same probabilities as a local run.
    let images = shared_data("images/real/ffhq");
    let mut names: Vec<String> = std::fs::read_dir(&images)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.truncate(12);
    moto.boto3(&format!(
        "for n in {names:?}:\n    s3.upload_file(os.path.join('{}', n), 'faces', 'images/ffhq/' + n)",
        images.display()
    ));
    let staging = tempfile::tempdir().unwrap();
    let annotate_shard = |shard: &str| {
        ok_with_stderr(
            moto.macsql()
                .env("MACSQL_STAGING", staging.path())
                .args(["annotate", "s3://faces/images/ffhq/", "--dataset", "ffhq"])
                .args([
                    "--kind",
                    "real",
                    "-o",
                    "s3://faces/annotations/",
                    "--shard",
                    shard,
                ]),
        )
    };
    for shard in ["0/2", "1/2"] {
        annotate_shard(shard);
    }
    let (_, again) = annotate_shard("1/2");
    assert!(again.contains("done already"), "{again}");
    let markers = moto.boto3(
        "ks = [o['Key'] for o in s3.list_objects_v2(Bucket='faces', Prefix='annotations/')['Contents']]\n\
         print(sorted(k for k in ks if k.endswith('macsql-done.json')))",
    );
    assert!(
        markers.contains("source=ffhq/shard=0-of-2/macsql-done.json")
            && markers.contains("source=ffhq/shard=1-of-2/macsql-done.json"),
        "{markers}"
    );
    let per_image =
        "SELECT regexp_replace(path, '.*/', '') AS name, round(\"Male_p\", 5) AS p FROM ann ORDER BY name";
    let out = moto
        .macsql()
        .args([
            "--data",
            "ann=s3://faces/annotations/",
            "--format",
            "csv",
            "-c",
            per_image,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.stderr.is_empty(),
        "no shard warnings: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let remote = String::from_utf8(out.stdout).unwrap();
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
    assert_eq!(remote.lines().count(), 13);
    // A label scan over the bucket's partitioned dataset.
    let plan = ok(moto.macsql().args([
        "--data",
        "ann=s3://faces/annotations/",
        "--format",
        "csv",
        "-c",
        "EXPLAIN SELECT count(*) FROM ann WHERE \"Male\" = 1 AND shard = '1-of-2'",
    ]));
    assert!(
        plan.contains("LabelScanExec") && plan.contains("s3://faces/annotations/source=ffhq/shard=1-of-2"),
        "{plan}"
    );
    let count = |sql: &str| {
        ok(moto.macsql().args([
            "--data",
            "ann=s3://faces/annotations/",
            "--format",
            "csv",
            "-c",
            sql,
        ]))
    };
    let male = count("SELECT count(*) FROM ann WHERE \"Male\" = 1");
    let male_local = ok(macsql()
        .arg("--data")
        .arg(format!("ann={}", one.display()))
        .args([
            "--format",
            "csv",
            "-c",
            "SELECT count(*) FROM ann WHERE \"Male\" = 1",
        ]));
    assert_eq!(male, male_local);

    // Errors name the URL and the cause.
    let e = fails(
        moto.macsql()
            .args(["--data", "s3://nobucket/a.parquet", "-c", "SELECT 1"]),
    );
    assert!(
        e.contains("s3://nobucket/a.parquet") && e.contains("no such bucket"),
        "{e}"
    );
    let e = fails(
        moto.macsql()
            .args(["-c", "SELECT * FROM 's3://faces/missing.parquet'"]),
    );
    assert!(
        e.contains("s3://faces/missing.parquet") && e.contains("no such object"),
        "{e}"
    );
    let e = fails(
        moto.macsql()
            .args(["-c", "SELECT 1", "-o", "s3://nobucket/x.csv"]),
    );
    assert!(
        e.contains("s3://nobucket/x.csv") && e.contains("no such bucket"),
        "{e}"
    );
}
