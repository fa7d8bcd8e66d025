//! What the object-storage tests share: the Python venv with the servers' clients, a free
//! loopback port, waiting for a server, and running macsql expecting success or failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `target/<name>`, beside the test binaries' own temporary folder.
pub fn target_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join(name)
}

/// The venv holding moto, boto3 and Azure's blob client (`tests/stores/requirements.txt`),
/// made once, on first use, by whichever test asks first (the others wait).
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = target_dir("stores-venv");
        let python = venv.join("bin/python");
        let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stores/requirements.txt");
        let wanted = std::fs::read_to_string(&requirements).unwrap();
        // A copy of the requirements, written once they are installed: a venv left half made,
        // or made from other requirements, is installed into again.
        let installed = venv.join("installed-requirements.txt");
        if std::fs::read_to_string(&installed).ok().as_deref() == Some(wanted.as_str()) {
            return venv;
        }
        if !python.exists() {
            let ok = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .unwrap()
                .success();
            assert!(ok, "python3 -m venv {}", venv.display());
        }
        let ok = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(&requirements)
            .status()
            .unwrap()
            .success();
        assert!(ok, "pip install -r {}", requirements.display());
        std::fs::write(&installed, wanted).unwrap();
        venv
    })
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port` (a server started by the test).
pub fn wait_for(port: u16, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
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
