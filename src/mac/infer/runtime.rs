//! Loading ONNX Runtime at run time (`ort` with `load-dynamic`): `ORT_DYLIB_PATH` if set,
//! else a per-user cache, else the `onnxruntime` wheel fetched from PyPI with pip and unpacked
//! into that cache. One ORT environment per process, kept in a `OnceLock`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use crate::mac::MacError;

/// The ONNX Runtime version fetched from PyPI (the one `ort` 2.0.0-rc.15 targets).
pub const ORT_VERSION: &str = "1.31.1";

/// The wheel fetched: `onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl` from PyPI.
const WHEEL_SHA256: &str = "5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f";

/// `onnxruntime/capi/libonnxruntime.so.1.31.1` inside that wheel: the only library macsql loads
/// from its cache (a library named by `ORT_DYLIB_PATH` is the user's choice and is not checked).
const LIBRARY_SHA256: &str = "fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3";

/// The sha256 of the file at `path`, in hex.
fn sha256_of(path: &Path) -> Result<String, String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Refuses a file whose sha256 is not `want`.
fn check_sha256(path: &Path, what: &str, want: &str) -> Result<(), String> {
    let got = sha256_of(path)?;
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{} ({what}) has sha256 {got}, not the pinned {want}: refusing to load it \
             (delete it to fetch it again, or set ORT_DYLIB_PATH to a library you trust)",
            path.display()
        ))
    }
}

static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();

/// The process's ONNX Runtime environment, loading the library on first use.
pub fn environment() -> Result<&'static Environment, MacError> {
    ENV.get_or_init(init)
        .as_ref()
        .map_err(|m| MacError::Runtime(m.clone()))
}

/// An ONNX Runtime session over the model `file` with `threads` intra-op threads (all graph
/// optimisations, intra-op spinning off: decoding threads share the cores, and spinning workers
/// would steal their time).
pub fn session(file: &Path, threads: usize) -> Result<Session, MacError> {
    let env = environment()?;
    let onnx = |e: String| MacError::Onnx {
        model: file.display().to_string(),
        message: e,
    };
    Session::builder(env)
        .map_err(|e| onnx(e.to_string()))?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| onnx(e.to_string()))?
        .with_intra_threads(threads.max(1))
        .map_err(|e| onnx(e.to_string()))?
        .with_intra_op_spinning(false)
        .map_err(|e| onnx(e.to_string()))?
        .commit_from_file(file)
        .map_err(|e| onnx(e.to_string()))
}

/// Where the fetched library is cached: `<cache dir>/macsql/onnxruntime-<version>/`.
pub fn cache_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("macsql")
        .join(format!("onnxruntime-{ORT_VERSION}"))
}

fn library_name() -> String {
    format!("libonnxruntime.so.{ORT_VERSION}")
}

fn build(path: &Path) -> Result<Environment, String> {
    let builder = ort::init_from(path).map_err(|e| e.to_string())?;
    builder
        .with_name("macsql")
        .with_telemetry(false)
        .build()
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn init() -> Result<Environment, String> {
    let mut tried = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return build(&p).map_err(|e| {
            format!(
                "cannot load ONNX Runtime from ORT_DYLIB_PATH={}: {e}\n\
                 hint: point ORT_DYLIB_PATH at libonnxruntime.so.{ORT_VERSION} (or a compatible 1.31+ build), or unset it to let macsql fetch it",
                p.display()
            )
        });
    }
    let cached = cache_dir().join(library_name());
    if cached.is_file() {
        match check_sha256(&cached, "cached ONNX Runtime", LIBRARY_SHA256).and_then(|()| build(&cached)) {
            Ok(env) => return Ok(env),
            Err(e) => tried.push(format!("cached library {}: {e}", cached.display())),
        }
    } else {
        tried.push(format!("cached library {}: not present", cached.display()));
    }
    match fetch(&cached) {
        Ok(()) => match build(&cached) {
            Ok(env) => return Ok(env),
            Err(e) => tried.push(format!("fetched library {}: {e}", cached.display())),
        },
        Err(e) => tried.push(format!(
            "fetching onnxruntime=={ORT_VERSION} from PyPI with pip: {e}"
        )),
    }
    Err(format!(
        "cannot load ONNX Runtime. Tried:\n  - ORT_DYLIB_PATH: not set\n  - {}\n\
         To fix: `python3 -m pip install onnxruntime=={ORT_VERSION}` and set \
         ORT_DYLIB_PATH=<site-packages>/onnxruntime/capi/libonnxruntime.so.{ORT_VERSION}, \
         or make `python3 -m pip download` reach PyPI so macsql can fetch it into {}",
        tried.join("\n  - "),
        cache_dir().display()
    ))
}

/// Downloads the `onnxruntime` wheel with pip and unpacks the shared library to `dest`
/// atomically (a temporary sibling, then a rename).
fn fetch(dest: &Path) -> Result<(), String> {
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return Err("automatic download is only set up for Linux x86_64".into());
    }
    let dir = dest.parent().ok_or("bad cache path")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let work = dir.join(format!(".fetch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = (|| {
        crate::warnings::warn(format_args!(
            "fetching ONNX Runtime {ORT_VERSION} from PyPI (once) into {}",
            dir.display()
        ));
        let out = Command::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
            .args(["--platform", "manylinux_2_28_x86_64", "--python-version", "3.11"])
            .arg(format!("onnxruntime=={ORT_VERSION}"))
            .arg("-d")
            .arg(&work)
            .arg("-q")
            .output()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let last: Vec<&str> = err.lines().rev().take(3).collect();
            return Err(format!(
                "pip download failed ({}): {}",
                out.status,
                last.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
        let wheel = std::fs::read_dir(&work)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "whl"))
            .ok_or("pip downloaded no wheel")?;
        check_sha256(&wheel, "the onnxruntime wheel pip downloaded", WHEEL_SHA256)?;
        let tmp = dir.join(format!(".{}.{}.tmp", library_name(), std::process::id()));
        let script = "import sys, zipfile, shutil\n\
            z = zipfile.ZipFile(sys.argv[1])\n\
            with z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:\n    shutil.copyfileobj(src, dst)\n";
        let member = format!("onnxruntime/capi/{}", library_name());
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(&wheel)
            .arg(&member)
            .arg(&tmp)
            .output()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        if !out.status.success() {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "cannot extract {member} from {}: {}",
                wheel.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        if let Err(e) = check_sha256(&tmp, "the library unpacked from the wheel", LIBRARY_SHA256) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, dest).map_err(|e| format!("{}: {e}", dest.display()))
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}
