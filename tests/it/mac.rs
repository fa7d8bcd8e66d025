//! The attribute classifier end to end: `macsql annotate` quality on FFHQ against the Face API
//! labels, unreadable images, resuming after kill -9, manifest errors, and `mac_annotate()` /
//! `images()` in SQL. ONNX Runtime is loaded as a user's fresh clone would (cache or PyPI).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow::array::{Array, Float32Array, Int8Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::common::{macsql, shared_data};

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("output")).expect("parquet");
    builder
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// The Parquet file's key-value metadata.
fn file_metadata(path: &Path) -> HashMap<String, String> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("output")).expect("parquet");
    let kv = builder.metadata().file_metadata().key_value_metadata();
    kv.into_iter()
        .flatten()
        .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
        .collect()
}

fn strings(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let col = b.column_by_name(name).unwrap_or_else(|| panic!("column {name}"));
    let col = col.as_any().downcast_ref::<StringArray>().expect("utf8");
    (0..col.len())
        .map(|i| (!col.is_null(i)).then(|| col.value(i).to_string()))
        .collect()
}

fn floats(b: &RecordBatch, name: &str) -> Vec<Option<f32>> {
    let col = b.column_by_name(name).unwrap_or_else(|| panic!("column {name}"));
    let col = col.as_any().downcast_ref::<Float32Array>().expect("float32");
    (0..col.len())
        .map(|i| (!col.is_null(i)).then(|| col.value(i)))
        .collect()
}

/// Male agrees with the Face API gender on >= 90% of the labelled FFHQ images, Smiling
/// (p > 0.5) with smile > 0.5 on >= 87%, and the age MAE is at most 7.5 years.
#[test]
fn annotate_ffhq_matches_face_api_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ffhq.parquet");
    macsql()
        .args(["annotate", "--dataset", "ffhq", "--kind", "real", "-q", "-o"])
        .arg(&out)
        .arg(shared_data("images/real/ffhq"))
        .assert()
        .success();
    let batches = read_parquet(&out);
    let mut ours: HashMap<String, (f32, f32, f32)> = HashMap::new();
    for b in &batches {
        let paths = strings(b, "path");
        let (male, smile, age) = (floats(b, "Male_p"), floats(b, "Smiling_p"), floats(b, "age"));
        for i in 0..b.num_rows() {
            let stem = Path::new(paths[i].as_deref().unwrap())
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            ours.insert(stem, (male[i].unwrap(), smile[i].unwrap(), age[i].unwrap()));
        }
    }
    assert_eq!(ours.len(), 600);
    let mut reader = csv::Reader::from_path(shared_data("annotations/ffhq_faceapi.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (ci, cg, ca, cs) = (col("image"), col("gender"), col("age"), col("smile"));
    let (mut n, mut male_ok, mut smile_ok, mut abs_err) = (0usize, 0usize, 0usize, 0f64);
    for rec in reader.records() {
        let rec = rec.unwrap();
        let Some(&(male, smile, age)) = ours.get(&rec[ci]) else {
            continue;
        };
        n += 1;
        male_ok += usize::from((male > 0.5) == (&rec[cg] == "male"));
        smile_ok += usize::from((smile > 0.5) == (rec[cs].parse::<f32>().unwrap() > 0.5));
        abs_err += (age as f64 - rec[ca].parse::<f64>().unwrap()).abs();
    }
    let (male_acc, smile_acc, mae) = (
        male_ok as f64 / n as f64,
        smile_ok as f64 / n as f64,
        abs_err / n as f64,
    );
    eprintln!("ffhq n={n} Male agreement {male_acc:.3} Smiling agreement {smile_acc:.3} age MAE {mae:.2}");
    assert_eq!(n, 596);
    assert!(male_acc >= 0.90, "Male agreement {male_acc}");
    assert!(smile_acc >= 0.87, "Smiling agreement {smile_acc}");
    assert!(mae <= 7.5, "age MAE {mae}");
}

fn some_image() -> PathBuf {
    shared_data("images/real/ffhq/00001.jpg")
}

/// A corrupt .jpg becomes a row with `error` set; the other images are annotated.
#[test]
fn corrupt_image_becomes_an_error_row() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("imgs/alice");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.jpg"), b"this is not a jpeg").unwrap();
    std::fs::copy(some_image(), dir.join("good.jpg")).unwrap();
    let out = tmp.path().join("out.parquet");
    macsql()
        .args([
            "annotate",
            "--dataset",
            "t",
            "--kind",
            "synthetic",
            "--identity-from-dir",
            "-q",
            "-o",
        ])
        .arg(&out)
        .arg(tmp.path().join("imgs"))
        .assert()
        .success();
    let batches = read_parquet(&out);
    let b = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(b.num_rows(), 2);
    let paths = strings(&b, "path");
    let errors = strings(&b, "error");
    let ids = strings(&b, "identity");
    let male = floats(&b, "Male_p");
    for i in 0..2 {
        assert_eq!(ids[i].as_deref(), Some("alice"));
        if paths[i].as_deref().unwrap().ends_with("broken.jpg") {
            assert!(errors[i].is_some() && male[i].is_none());
        } else {
            assert!(errors[i].is_none() && male[i].is_some());
        }
    }
    let labels = b.column_by_name("Male").unwrap();
    assert!(labels.as_any().downcast_ref::<Int8Array>().is_some());
    let kv = file_metadata(&out);
    let models = kv.get("macsql.models").expect("models metadata");
    assert!(
        models.contains("gender-v1.onnx") && models.contains("d4c4116cf720cde1"),
        "{models}"
    );
    assert!(kv.get("macsql.bands").unwrap().contains("Smiling"));
    assert!(kv.get("macsql.command").unwrap().contains("annotate"));
}

/// kill -9 in the middle of a run, then `--resume`: every image appears exactly once.
#[test]
fn resume_completes_a_killed_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ffhq.parquet");
    let parts = tmp.path().join("ffhq.parquet.parts");
    let folder = shared_data("images/real/ffhq");
    let bin = assert_cmd::cargo::cargo_bin("macsql");
    let mut child = std::process::Command::new(&bin)
        .args([
            "annotate",
            "--dataset",
            "ffhq",
            "--kind",
            "real",
            "-q",
            "--batch",
            "8",
            "--threads",
            "2", // two inference streams: parts may finish out of order
            "-o",
        ])
        .arg(&out)
        .arg(&folder)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let count_parts = || {
        std::fs::read_dir(&parts)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("part-"))
                    .count()
            })
            .unwrap_or(0)
    };
    while count_parts() < 3 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "run ended before it could be killed"
        );
        assert!(start.elapsed() < Duration::from_secs(300), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!out.exists(), "no output before the run completes");
    let done_before = count_parts();
    assert!(done_before >= 3);
    macsql()
        .args([
            "annotate",
            "--dataset",
            "ffhq",
            "--kind",
            "real",
            "-q",
            "--resume",
            "-o",
        ])
        .arg(&out)
        .arg(&folder)
        .assert()
        .success();
    let batches = read_parquet(&out);
    let mut seen = HashSet::new();
    let mut rows = 0;
    for b in &batches {
        for p in strings(b, "path") {
            seen.insert(p.unwrap());
            rows += 1;
        }
    }
    assert_eq!(rows, 600);
    assert_eq!(seen.len(), 600);
    assert!(!parts.exists(), "journal removed after the merge");
}

/// Bundle problems are reported with the manifest and the key, before any image is read.
#[test]
fn bad_bundles_are_reported_with_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string("models/mac.toml").unwrap();
    for m in [
        "retinaface-mnet025.onnx",
        "gender-v1.onnx",
        "age-v1.onnx",
        "emotion-fer-minixception.onnx",
    ] {
        std::fs::copy(Path::new("models").join(m), tmp.path().join(m)).unwrap();
    }
    let cases = [
        (manifest.replace("gender-v1.onnx", "nope.onnx"), "model[0].file"),
        (
            manifest.replacen("size = [32, 32]", "size = [48, 48]", 1),
            "model[0].size",
        ),
        (manifest.replacen("index = 3", "index = 7", 1), "attribute[4]"),
        (
            manifest.replacen("layout = \"NHWC\"", "layout = \"HWC\"", 1),
            "layout",
        ),
    ];
    for (text, key) in cases {
        let path = tmp.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = macsql()
            .args(["annotate", "--dataset", "x", "--kind", "real", "-o"])
            .arg(tmp.path().join("o.parquet"))
            .arg("--model")
            .arg(&path)
            .arg(tmp.path().join("no-such-folder"))
            .assert()
            .failure();
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains("bad.toml") && err.contains(key), "{key}: {err}");
    }
}

/// `mac_annotate(path)` over `images(folder)`; a missing file gives NULL, not an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mac_annotate_in_sql() {
    let engine = macsql::Engine::new();
    let folder = shared_data("images/synthetic/dcface");
    let sql = format!(
        "SELECT count(*) AS n, count(mac_annotate(path)['Male']) AS labelled, \
         min(mac_annotate(path)['age']) AS age FROM images('{}')",
        folder.display()
    );
    for _ in 0..2 {
        let b = &engine.sql_collect(&sql).await.unwrap()[0];
        let n = b
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap()
            .value(0);
        let labelled = b
            .column(1)
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap()
            .value(0);
        assert_eq!(n, 21);
        assert_eq!(labelled, 21);
        assert!(!b.column(2).is_null(0));
    }
    let b = &engine
        .sql_collect("SELECT mac_annotate('no/such/image.jpg')['Smiling_p'] AS p")
        .await
        .unwrap()[0];
    assert!(b.column(0).is_null(0));
}
