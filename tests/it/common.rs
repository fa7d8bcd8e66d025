//! Shared helpers for the integration tests: the binary, fixtures in temp dirs, shared data paths.

use std::path::PathBuf;

use assert_cmd::Command;

/// The `macsql` binary, with history kept out of the user's directory.
pub fn macsql() -> Command {
    let mut cmd = Command::cargo_bin("macsql").expect("macsql binary");
    cmd.env(
        "MACSQL_HISTORY",
        std::env::temp_dir().join("macsql-test-history.txt"),
    );
    cmd
}

/// `../shared/data/<rel>` relative to the project root.
pub fn shared_data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

/// Writes `contents` to `name` inside `dir` and returns the path.
pub fn write(dir: &tempfile::TempDir, name: &str, contents: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, contents).expect("write fixture");
    p
}
