//! The label-scan Parquet decoder: the bytes are registered as a Parquet table and queried the
//! ways the fast subgroup path serves (histograms, counts with label filters). Any file may be
//! refused with an error; none may panic.

#![no_main]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;

const QUERIES: [&str; 3] = [
    "SELECT attr_hist(Male) AS h, count(*) AS n FROM t",
    "SELECT count(*) AS n FROM t WHERE Male = 1 AND Young = -1",
    "SELECT dataset, attr_hist(Smiling) AS h FROM t WHERE Eyeglasses = 1 GROUP BY dataset",
];

/// One runtime and one engine for the whole run (an engine per input would cost more than the
/// input); each input is a new file, registered as `t` in place of the one before.
fn runtime() -> &'static (tokio::runtime::Runtime, macsql::Engine) {
    static RT: OnceLock<(tokio::runtime::Runtime, macsql::Engine)> = OnceLock::new();
    RT.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
        (rt, macsql::Engine::new())
    })
}

fuzz_target!(|data: &[u8]| {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("macsql-fuzz-scan-{}-{n}.parquet", std::process::id()));
    std::fs::write(&path, data).expect("write the input");
    let (rt, engine) = runtime();
    rt.block_on(async {
        if engine.register_path(&path, Some("t")).await.is_ok() {
            for sql in QUERIES {
                let _ = engine.sql_collect(sql).await;
            }
        }
    });
    let _ = std::fs::remove_file(&path);
});
