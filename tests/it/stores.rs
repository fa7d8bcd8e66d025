//! What the object-storage tests share: the servers' installs (a Python venv, Azurite from npm),
//! a server process on a free loopback port, running macsql expecting success or failure, and
//! the parts of the scenario every store goes through (tables and exports, and annotation
//! compared with a local run).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::{macsql, shared_data};

/// `target/<name>`, beside the test binaries' own temporary folder.
pub fn target_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join(name)
}

/// `tests/stores/<name>`.
fn spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stores")
        .join(name)
}

/// Runs `cmd`, which must succeed.
fn run(cmd: &mut Command) {
    let ok = cmd.status().unwrap().success();
    assert!(ok, "{cmd:?} failed");
}

/// Makes `dir` by `install` unless it was made from the same `specs` (files whose contents
/// decide what is installed): their contents are written to `dir` once `install` succeeds, so
/// an install left half done, or made from other specs, is done again.
fn installed(dir: &Path, specs: &[PathBuf], install: impl FnOnce()) {
    let wanted: String = specs
        .iter()
        .map(|s| std::fs::read_to_string(s).unwrap())
        .collect();
    let stamp = dir.join("installed-from.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return;
    }
    install();
    std::fs::write(&stamp, wanted).unwrap();
}

/// The venv holding moto, boto3 and Azure's blob client (`tests/stores/requirements.txt`),
/// made once, on first use, by whichever test asks first (the others wait).
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = target_dir("stores-venv");
        let requirements = spec("requirements.txt");
        installed(&venv, std::slice::from_ref(&requirements), || {
            if !venv.join("bin/python").exists() {
                run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
            }
            run(Command::new(venv.join("bin/python"))
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(&requirements));
        });
        venv
    })
}

/// Azurite's blob server script (`tests/stores/package.json`), installed with `npm ci` into
/// `target/azurite` once, on first use.
pub fn azurite_blob() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let prefix = target_dir("azurite");
        let specs = [spec("package.json"), spec("package-lock.json")];
        installed(&prefix, &specs, || {
            std::fs::create_dir_all(&prefix).unwrap();
            for s in &specs {
                std::fs::copy(s, prefix.join(s.file_name().unwrap())).unwrap();
            }
            run(Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&prefix));
        });
        prefix.join("node_modules/.bin/azurite-blob")
    })
}

/// A server process on a free loopback port, stopped when dropped.
pub struct Server {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Server {
    /// Starts `program` with `args(port)` (and the extra environment `env`) and waits until it
    /// accepts connections.
    pub fn start(program: &Path, args: impl FnOnce(&str) -> Vec<String>, env: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .args(args(&port.to_string()))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} did not start",
                program.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Server { child, port }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `script` with the venv's Python and the environment `env`; its stdout.
pub fn python(script: &str, env: &[(&'static str, String)]) -> String {
    let out = Command::new(venv().join("bin/python"))
        .args(["-c", script])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// stdout of a successful run.
pub fn ok(cmd: &mut assert_cmd::Command) -> String {
    ok_with_stderr(cmd).0
}

/// stdout and stderr of a successful run.
pub fn ok_with_stderr(cmd: &mut assert_cmd::Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

/// stderr of a failed run.
pub fn fails(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).unwrap()
}

/// An object store the scenario runs against, as the tests reach it.
pub trait Store {
    /// `scheme://bucket` of the bucket (container) the scenario uses.
    fn root(&self) -> &str;
    /// macsql with the store's settings in its environment.
    fn macsql(&self) -> assert_cmd::Command;
    /// The keys in the bucket, printed by the store's own client.
    fn keys(&self) -> String;
    /// The text of object `key`, read by the store's own client.
    fn text(&self, key: &str) -> String;
    /// Puts the files `names` of `dir` into the bucket under `prefix`, by the store's own client.
    fn upload(&self, dir: &Path, names: &[String], prefix: &str);
}

/// `COPY` into the store, then the same answer by `--data`, `FROM` and an external table as
/// from the local file; `-o` into the store, read back by the store's client.
pub fn tables_and_exports(store: &impl Store) {
    let root = store.root();
    let csv = shared_data("annotations/styleflow_stylegan2_faceapi.csv");
    let query = "SELECT count(*) AS n, sum(CASE WHEN smile > 0.5 THEN 1 ELSE 0 END) AS smiling FROM t";
    let local = ok(macsql()
        .arg("--data")
        .arg(format!("t={}", csv.display()))
        .args(["--format", "csv", "-c", query]));
    let object = format!("{root}/tables/sf.parquet");
    let copy = format!("COPY (SELECT * FROM '{}') TO '{object}'", csv.display());
    ok(store.macsql().args(["-c", &copy]));
    let listed = store.keys();
    assert!(listed.contains("tables/sf.parquet"), "{listed}");
    let csv_out = |sql: &str| ok(store.macsql().args(["--format", "csv", "-c", sql]));
    let remote = ok(store
        .macsql()
        .args(["--data", &format!("t={object}"), "--format", "csv", "-c", query]));
    assert_eq!(remote, local);
    assert_eq!(
        csv_out(&query.replace("FROM t", &format!("FROM '{object}'"))),
        local
    );
    assert_eq!(
        csv_out(&format!(
            "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '{root}/tables/'; {query}"
        )),
        local
    );
    ok(store
        .macsql()
        .arg("--data")
        .arg(format!("t={}", csv.display()))
        .args([
            "-c",
            "SELECT * FROM t LIMIT 10",
            "-o",
            &format!("{root}/exports/ten.csv"),
        ]));
    let text = store.text("exports/ten.csv");
    assert_eq!(text.lines().count(), 11, "{text}");
}

/// The first `n` FFHQ images of the shared data (folder, names), put into the store under
/// `images/ffhq/`.
pub fn images_in(store: &impl Store, n: usize) -> (PathBuf, Vec<String>) {
    let images = shared_data("images/real/ffhq");
    let mut names: Vec<String> = std::fs::read_dir(&images)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.truncate(n);
    store.upload(&images, &names, "images/ffhq/");
    (images, names)
}

/// Per image, the name and its rounded `Male_p`, in name order: what the tests compare.
pub const PER_IMAGE: &str =
    "SELECT regexp_replace(path, '.*/', '') AS name, round(\"Male_p\", 5) AS p FROM ann ORDER BY name";

/// The images `names` of `images` annotated locally in one run: `PER_IMAGE` of the result, and
/// the result file (in the returned folder).
pub fn annotated_locally(images: &Path, names: &[String]) -> (String, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for n in names {
        std::fs::copy(images.join(n), dir.path().join(n)).unwrap();
    }
    let one = dir.path().join("one.parquet");
    ok(macsql()
        .arg("annotate")
        .arg(dir.path())
        .args(["--dataset", "ffhq", "--kind", "real", "-o"])
        .arg(&one));
    let per_image = ok(macsql()
        .arg("--data")
        .arg(format!("ann={}", one.display()))
        .args(["--format", "csv", "-c", PER_IMAGE]));
    (per_image, one, dir)
}
