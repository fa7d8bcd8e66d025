//! Object storage against a real S3-compatible server: moto's server (PyPI `moto[s3,server]`,
//! installed into `target/stores-venv` on first use) started on a loopback port for the test.
//! Covers tables and a partitioned dataset read from a bucket (label scans included), `COPY
//! ... TO` and `-o` into a bucket, annotation from a bucket into a bucket in two shards, and
//! the errors a user meets (no such bucket, no such object, access denied). What macsql wrote
//! is checked with boto3, not with macsql.

use std::path::Path;

use crate::common::macsql;
use crate::stores::{
    PER_IMAGE, Server, Store, annotated_locally, fails, images_in, ok, ok_with_stderr, python,
    tables_and_exports, venv,
};

/// A moto server on a free loopback port; the tests make their buckets (`faces`) themselves.
struct Moto(Server);

impl Moto {
    fn start() -> Self {
        Moto::start_with(&[])
    }

    /// A server started with the extra environment `env` (moto's own settings).
    fn start_with(env: &[(&str, &str)]) -> Self {
        let server = Server::start(
            &venv().join("bin/moto_server"),
            |port| vec!["-H".into(), "127.0.0.1".into(), "-p".into(), port.into()],
            env,
        );
        Moto(server)
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", self.0.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    /// Runs `code` in Python with `s3`, a boto3 client of the server, and returns its stdout.
    fn boto3(&self, code: &str) -> String {
        let script = format!(
            "import boto3, os, json\ns3 = boto3.client('s3', endpoint_url='{}')\n{code}",
            self.0.endpoint()
        );
        python(&script, &self.env())
    }
}

impl Store for Moto {
    fn root(&self) -> &str {
        "s3://faces"
    }

    fn macsql(&self) -> assert_cmd::Command {
        let mut cmd = macsql();
        cmd.envs(self.env());
        cmd
    }

    fn keys(&self) -> String {
        self.boto3("print([o['Key'] for o in s3.list_objects_v2(Bucket='faces')['Contents']])")
    }

    fn text(&self, key: &str) -> String {
        self.boto3(&format!(
            "print(s3.get_object(Bucket='faces', Key='{key}')['Body'].read().decode(), end='')"
        ))
    }

    fn upload(&self, dir: &Path, names: &[String], prefix: &str) {
        self.boto3(&format!(
            "for n in {names:?}:\n    s3.upload_file(os.path.join('{}', n), 'faces', '{prefix}' + n)",
            dir.display()
        ));
    }
}

#[test]
fn tables_datasets_copy_and_annotation_live_in_a_bucket() {
    let moto = Moto::start();
    moto.boto3("s3.create_bucket(Bucket='faces')");
    tables_and_exports(&moto);

    // Images in the bucket (put there by boto3), annotated in two shards into a dataset folder
    // in the bucket: one table, every image once, the same probabilities as a local run.
    let (images, names) = images_in(&moto, 12);
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
    let (remote, warnings) = ok_with_stderr(moto.macsql().args([
        "--data",
        "ann=s3://faces/annotations/",
        "--format",
        "csv",
        "-c",
        PER_IMAGE,
    ]));
    assert!(warnings.is_empty(), "no shard warnings: {warnings}");
    let (local, one, _dir) = annotated_locally(&images, &names);
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
    // COPY's failure comes from DataFusion's writer, which names the HTTP request; the
    // message names the location written instead.
    let e = fails(
        moto.macsql()
            .args(["-c", "COPY (SELECT 1 AS a) TO 's3://nobucket/y.parquet'"]),
    );
    assert!(
        e.contains("s3://nobucket/y.parquet: not found (no such bucket)") && !e.contains("http://"),
        "{e}"
    );
}

#[test]
fn access_denied_names_the_location() {
    // moto checks credentials after its first four requests (IAM mode): a bucket with an
    // object, and a user with keys but no policy, are made before.
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")]);
    let keys = moto.boto3(
        "s3.create_bucket(Bucket='locked')\n\
         s3.put_object(Bucket='locked', Key='t.csv', Body=b'a,b\\n1,2\\n')\n\
         iam = boto3.client('iam', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1')\n\
         iam.create_user(UserName='reader')\n\
         k = iam.create_access_key(UserName='reader')['AccessKey']\n\
         print(k['AccessKeyId'], k['SecretAccessKey'])",
    );
    let (id, secret) = keys.trim().split_once(' ').unwrap();
    let reader = || {
        let mut cmd = moto.macsql();
        cmd.env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret);
        cmd
    };
    let denied = |e: &str, location: &str| {
        assert!(
            e.contains(&format!("{location}: access denied")) && e.lines().count() <= 2,
            "{e}"
        );
    };
    let e = fails(reader().args(["--data", "t=s3://locked/t.csv", "-c", "SELECT * FROM t"]));
    denied(&e, "s3://locked/t.csv");
    let e = fails(reader().args(["-c", "SELECT * FROM 's3://locked/t.csv'"]));
    denied(&e, "s3://locked/t.csv");
    let e = fails(reader().args(["-c", "COPY (SELECT 1 AS a) TO 's3://locked/out.parquet'"]));
    denied(&e, "s3://locked/out.parquet");
    let e = fails(reader().args(["-c", "SELECT 1 AS a", "-o", "s3://locked/one.csv"]));
    denied(&e, "s3://locked/one.csv");
}
