//! The attribute classifier end to end: `macsql annotate` quality on FFHQ against the Face API
//! labels, unreadable images, resuming after kill -9, manifest errors, and `mac_annotate()` /
//! `images()` in SQL. ONNX Runtime is loaded as a user's fresh clone would (cache or PyPI).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow::array::{Array, Int8Array};
use predicates::prelude::*;

use crate::common::{file_metadata, floats, macsql, read_parquet, shared_data, strings};

/// Without detection (`--detect none`, each model's fixed crop of the aligned FFHQ images):
/// Male agrees with the Face API gender on >= 90% of the labelled images, Smiling (p > 0.5)
/// with smile > 0.5 on >= 87%, and the age MAE is at most 7.5 years. The face columns are NULL.
#[test]
fn annotate_aligned_ffhq_without_detection() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ffhq.parquet");
    macsql()
        .args([
            "annotate",
            "--dataset",
            "ffhq",
            "--kind",
            "real",
            "--detect",
            "none",
            "-q",
            "-o",
        ])
        .arg(&out)
        .arg(shared_data("images/real/ffhq"))
        .assert()
        .success();
    let b = crate::common::read_all(&out);
    assert_eq!(b.num_rows(), 600);
    assert_eq!(b.column_by_name("faces").unwrap().null_count(), 600);
    assert_eq!(
        file_metadata(&out).get("macsql.detector").map(String::as_str),
        Some("none")
    );
    let (male, smile, mae) = crate::detect::agreement(&b);
    eprintln!("ffhq --detect none: Male agreement {male:.3} Smiling agreement {smile:.3} age MAE {mae:.2}");
    assert!(male >= 0.90, "Male agreement {male}");
    assert!(smile >= 0.87, "Smiling agreement {smile}");
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
        models.contains("faceres-features.onnx")
            && models.contains("26ab19745448e58c")
            && models.contains("dlib-resnet-v1.onnx")
            && models.contains("mac-heads.parquet"),
        "{models}"
    );
    // The default bundle's heads say what they were trained on, and under which terms.
    let training = kv.get("macsql.training").expect("training metadata");
    assert!(
        training.contains("non-commercial") && training.contains("Eyeglasses"),
        "{training}"
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
    let manifest = std::fs::read_to_string("models/mac-small-base.toml").unwrap();
    for m in [
        "retinaface-mnet025.onnx",
        "gender-v1-features.onnx",
        "age-v1-features.onnx",
        "emotion-fer-minixception-features.onnx",
    ] {
        std::fs::copy(Path::new("models").join(m), tmp.path().join(m)).unwrap();
    }
    let cases = [
        (
            manifest.replace("gender-v1-features.onnx", "nope.onnx"),
            "model[0].file",
        ),
        (
            manifest.replacen("size = [32, 32]", "size = [48, 48]", 1),
            "model[0].size",
        ),
        (manifest.replacen("index = 3", "index = 7", 1), "attribute[4]"),
        (
            manifest.replacen("layout = \"NHWC\"", "layout = \"HWC\"", 1),
            "layout",
        ),
        (
            manifest.replacen(
                "crop = [0.2, 0.25, 0.8, 0.85]",
                "crop = [0.8, 0.25, 0.2, 0.85]",
                1,
            ),
            "model[0].crop",
        ),
        (
            manifest.replacen(
                "band = { lo = 0.3, hi = 0.7 }",
                "band = { lo = 0.8, hi = 0.2 }",
                1,
            ),
            "attribute[0].band",
        ),
        (
            manifest.replacen("name = \"Young\"", "name = \"Male\"", 1),
            "duplicate attribute 'Male'",
        ),
        (
            manifest.replacen("bins = [0, 30]", "bins = [30, 0]", 1),
            "attribute[1].bins",
        ),
        (
            manifest.replacen("name = \"Smiling\"", "name = \"Grinning\"", 1),
            "'Grinning' is not a MAAD-Face attribute",
        ),
        (
            manifest.replacen("size = [32, 32]", "size = [32, 32]\ncolour_space = \"RGB\"", 1),
            "unknown field `colour_space`",
        ),
        (
            manifest.replacen(
                "read = \"mass\"\nbins = [0, 30]",
                "read = \"median\"\nbins = [0, 30]",
                1,
            ),
            "unknown variant `median`",
        ),
    ];
    for (text, _) in &cases {
        assert_ne!(text, &manifest, "every case changes the manifest");
    }
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

/// Image files can be given directly, next to folders and CSV listings; anything else is
/// refused with what is accepted.
#[test]
fn image_files_can_be_given_directly() {
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("list.csv");
    let second = shared_data("images/synthetic/dcface");
    let second = std::fs::read_dir(second).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&list, format!("path\n{}\n", second.display())).unwrap();
    let out = tmp.path().join("out.parquet");
    macsql()
        .args(["annotate", "--dataset", "x", "--kind", "real", "-q", "-o"])
        .arg(&out)
        .arg(some_image())
        .arg(&list)
        .assert()
        .success();
    macsql()
        .arg("--data")
        .arg(&out)
        .args([
            "-q",
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n, count(Male) AS labelled FROM out",
        ])
        .assert()
        .success()
        .stdout("n,labelled\n2,2\n");
    let notes = tmp.path().join("notes.txt");
    std::fs::write(&notes, "not an image").unwrap();
    macsql()
        .args(["annotate", "--dataset", "x", "--kind", "real", "-q", "-o"])
        .arg(&out)
        .arg(&notes)
        .assert()
        .failure()
        .stderr(predicate::str::contains("notes.txt").and(predicate::str::contains("expected an image")));
}

/// The default bundle is built into the binary: `macsql annotate` and `mac_annotate()` work from
/// a folder without `models/` (as after `cargo install`), with the same bundle as the repository.
#[test]
fn the_default_bundle_works_from_any_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("list.csv");
    std::fs::write(&list, format!("path\n{}\n", some_image().display())).unwrap();
    macsql()
        .current_dir(tmp.path())
        .env_remove("MACSQL_MODEL")
        .args([
            "annotate",
            "--dataset",
            "x",
            "--kind",
            "real",
            "-q",
            "-o",
            "out.parquet",
            "list.csv",
        ])
        .assert()
        .success();
    let kv = file_metadata(&tmp.path().join("out.parquet"));
    let repo = macsql::Bundle::load(Path::new("models/mac.toml")).unwrap();
    assert_eq!(kv.get("macsql.bundle_hash"), Some(&repo.hash().to_string()));
    let sql = format!("SELECT mac_annotate('{}')['faces'] AS n", some_image().display());
    macsql()
        .current_dir(tmp.path())
        .env_remove("MACSQL_MODEL")
        .args(["-q", "--format", "csv", "-c", &sql])
        .assert()
        .success()
        .stdout("n\n1\n");
}

/// The new-user path: annotate a real and a synthetic folder with the default bundle,
/// put both tables in one folder and run queries/study.sql on it. Every MAAD attribute the
/// bundle labels is compared; those it does not label are named as not annotated.
#[test]
fn the_study_runs_on_a_real_and_a_synthetic_annotation() {
    let tmp = tempfile::tempdir().unwrap();
    let tables = tmp.path().join("tables");
    for (name, kind, folder) in [
        ("ffhq", "real", "images/real/ffhq"),
        ("sfhq", "synthetic", "images/synthetic/sfhq"),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(shared_data(folder))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        let list = tmp.path().join(format!("{name}.csv"));
        let rows: Vec<String> = files.iter().take(6).map(|f| f.display().to_string()).collect();
        std::fs::write(&list, format!("path\n{}\n", rows.join("\n"))).unwrap();
        macsql()
            .args(["annotate", "--dataset", name, "--kind", kind, "-q", "-o"])
            .arg(tables.join(format!("{kind}.parquet")))
            .arg(&list)
            .assert()
            .success();
    }
    let batches = read_parquet(&tables.join("real.parquet"));
    let schema = batches[0].schema();
    let labelled: Vec<&str> = macsql::MAAD_ATTRIBUTES
        .into_iter()
        .filter(|a| schema.field_with_name(a).is_ok())
        .collect();
    assert!(labelled.len() >= 40, "{labelled:?}");
    let out = macsql()
        .arg("--data")
        .arg(format!("demo={}", tables.display()))
        .args(["-q", "--format", "csv", "--maxrows", "0", "-f"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/study.sql"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Section 7, the coverage: the attributes compared, and the others by name.
    let missing: Vec<&str> = macsql::MAAD_ATTRIBUTES
        .into_iter()
        .filter(|a| !labelled.contains(a))
        .collect();
    let names = match missing.len() {
        0 => "none".to_string(),
        1 => missing[0].to_string(),
        _ => format!("\"{}\"", missing.join(", ")),
    };
    let coverage = format!(
        "attributes_compared,not_annotated,not_in_the_table\n{},{},{names}\n",
        labelled.len(),
        missing.len()
    );
    assert!(stdout.contains(&coverage), "{coverage}");
    for a in macsql::MAAD_ATTRIBUTES {
        if labelled.contains(&a) {
            // Section 3: KL both ways for the (ffhq, sfhq) pair, numbers, not NULL.
            let kl = stdout
                .lines()
                .find(|l| l.starts_with(&format!("{a},ffhq,sfhq,")))
                .unwrap_or_else(|| panic!("{a}: no KL row"));
            let v: Vec<&str> = kl.split(',').collect();
            assert!(v[3].parse::<f64>().is_ok() && v[4].parse::<f64>().is_ok(), "{kl}");
        }
    }
}

/// A cached ONNX Runtime library that is not the pinned build (tampered with, or cut short) is
/// refused with its path and both hashes; with PyPI out of reach nothing is labelled.
#[test]
fn a_cached_onnx_runtime_that_is_not_the_pinned_build_is_refused() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("macsql/onnxruntime-1.31.1");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("libonnxruntime.so.1.31.1"), b"not a shared library").unwrap();
    let out = cache.path().join("out.parquet");
    let assert = macsql()
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("MACSQL_MODEL")
        // pip finds nothing: the refused library cannot be replaced by a fresh download.
        .env("PIP_NO_INDEX", "1")
        .args(["annotate", "--dataset", "d", "--kind", "real", "-q", "-o"])
        .arg(&out)
        .arg(some_image())
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("libonnxruntime.so.1.31.1")
            && stderr.contains("not the pinned fc44112fbe06d7d6")
            && stderr.contains("refusing to load it"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// `--shard I/N`: three shards run as separate processes annotate every image exactly once, and
/// their union equals one unsharded run (same rows, same probabilities); `--shard auto` reads a
/// Slurm job array; a bad shard is named.
#[test]
fn three_shards_cover_every_image_once_and_equal_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let images = copy_ffhq(dir.path(), 15);
    let run = |out: &Path, shard: Option<&str>, env: &[(&str, &str)]| {
        let mut cmd = macsql();
        cmd.args(["annotate", "--dataset", "ffhq", "--kind", "real", "-q", "-o"])
            .arg(out)
            .arg(&images);
        if let Some(s) = shard {
            cmd.args(["--shard", s]);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.assert().success();
    };
    let whole = dir.path().join("whole.parquet");
    run(&whole, None, &[]);
    let mut union: Vec<(String, Option<f32>)> = Vec::new();
    for i in 0..3 {
        let out = dir.path().join(format!("shard-{i}.parquet"));
        if i == 2 {
            // The last one as task 3 of a Slurm array numbered 1-3.
            let env = [
                ("SLURM_ARRAY_TASK_ID", "3"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ];
            run(&out, Some("auto"), &env);
        } else {
            run(&out, Some(&format!("{i}/3")), &[]);
        }
        assert_eq!(
            file_metadata(&out).get("macsql.shard").map(String::as_str),
            Some(format!("{i}/3").as_str())
        );
        for b in read_parquet(&out) {
            let paths = strings(&b, "path");
            let male = floats(&b, "Male_p");
            union.extend(paths.into_iter().map(Option::unwrap).zip(male));
        }
    }
    let mut expected = path_and_male_p(&whole);
    union.sort_by(|a, b| a.0.cmp(&b.0));
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(expected.len(), 15);
    let paths: HashSet<&String> = union.iter().map(|r| &r.0).collect();
    assert_eq!(paths.len(), union.len(), "an image in two shards");
    assert_eq!(union, expected, "the shards' union is the unsharded run");
    // A folder of the shards' files is one table.
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    for i in 0..3 {
        let name = format!("shard-{i}.parquet");
        std::fs::rename(dir.path().join(&name), shards.join(&name)).unwrap();
    }
    macsql()
        .arg("--data")
        .arg(&shards)
        .args([
            "-q",
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n, count(DISTINCT path) AS d FROM shards",
        ])
        .assert()
        .success()
        .stdout("n,d\n15,15\n");
    macsql()
        .args([
            "annotate",
            "--dataset",
            "ffhq",
            "--kind",
            "real",
            "-q",
            "--shard",
            "3/3",
            "-o",
        ])
        .arg(dir.path().join("x.parquet"))
        .arg(&images)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--shard 3/3: needs 0 <= I < N, got I = 3, N = 3",
        ));
}

/// `-o FOLDER/ --shard I/N` from three processes at once, one of them killed with kill -9 and
/// resumed: the folder is one partitioned table (`source`, `shard`) holding every image once,
/// equal to an unsharded run; an unfinished shard is warned about, a finished one is a no-op.
#[test]
fn sharded_dataset_folder_survives_kill_and_equals_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let images = copy_ffhq(dir.path(), 30);
    let out = dir.path().join("ds");
    let bin = assert_cmd::cargo::cargo_bin("macsql");
    let shard_cmd = |i: u64, resume: bool| {
        let mut cmd = std::process::Command::new(&bin);
        cmd.args([
            "annotate",
            "--dataset",
            "ffhq",
            "--kind",
            "real",
            "-q",
            "--batch",
            "1",
        ])
        .args(["--threads", "1", "--shard", &format!("{i}/3"), "-o"])
        .arg(format!("{}/", out.display()))
        .arg(&images);
        if resume {
            cmd.arg("--resume");
        }
        cmd
    };
    let mut children: Vec<_> = (0..3)
        .map(|i| {
            shard_cmd(i, false)
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    // Kill shard 1 once it has journalled a batch.
    let parts = out.join("source=ffhq/shard=1-of-3/data.parquet.parts");
    let start = Instant::now();
    let has_part = || {
        std::fs::read_dir(&parts).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("part-"))
        })
    };
    while !has_part() {
        assert!(
            children[1].try_wait().unwrap().is_none(),
            "shard 1 ended before it could be killed"
        );
        assert!(start.elapsed() < Duration::from_secs(300), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    children[1].kill().unwrap(); // SIGKILL
    for c in &mut children {
        c.wait().unwrap();
    }
    assert!(!out.join("source=ffhq/shard=1-of-3/macsql-done.json").exists());
    // Read now: shard 1 is unfinished, and said to be.
    macsql()
        .arg("--data")
        .arg(&out)
        .args(["-q", "-c", "SELECT count(*) FROM ds"])
        .assert()
        .success()
        .stderr(predicate::str::contains("source=ffhq/shard=1-of-3 is unfinished"));
    // Resumed, it completes; a finished shard run again is a no-op that says so.
    let status = shard_cmd(1, true).status().unwrap();
    assert!(status.success());
    let again = shard_cmd(0, false).output().unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is done already"));
    for i in 0..3 {
        let marker =
            std::fs::read_to_string(out.join(format!("source=ffhq/shard={i}-of-3/macsql-done.json")))
                .unwrap();
        assert!(marker.contains("\"bundle_hash\"") && marker.contains(&format!("\"shard\": {i}")));
    }
    // One table: every image once, partition columns included, no warning.
    let csv = macsql()
        .arg("--data")
        .arg(&out)
        .args(["-q", "--format", "csv", "-c"])
        .arg("SELECT path, source, shard, Male_p FROM ds ORDER BY path")
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not())
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(csv).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 30);
    let paths: HashSet<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(paths.len(), 30, "an image in two shards");
    assert!(rows.iter().all(|r| r.contains(",ffhq,") && r.contains("-of-3,")));
    // Equal to one unsharded run: same images, same probabilities.
    let whole = dir.path().join("whole.parquet");
    macsql()
        .args(["annotate", "--dataset", "ffhq", "--kind", "real", "-q", "-o"])
        .arg(&whole)
        .arg(&images)
        .assert()
        .success();
    let mut expected = path_and_male_p(&whole);
    let mut union: Vec<(String, Option<f32>)> = (0..3)
        .flat_map(|i| path_and_male_p(&out.join(format!("source=ffhq/shard={i}-of-3/data.parquet"))))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    union.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(union, expected, "the shards' union is the unsharded run");
}

/// A folder under `dir` with copies of the first `n` shared FFHQ images (in name order).
fn copy_ffhq(dir: &Path, n: usize) -> PathBuf {
    let images = dir.join("images");
    std::fs::create_dir(&images).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_data("images/real/ffhq"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files.iter().take(n) {
        std::fs::copy(f, images.join(f.file_name().unwrap())).unwrap();
    }
    images
}

/// The (path, Male_p) pairs of an annotation file, in file order.
fn path_and_male_p(file: &Path) -> Vec<(String, Option<f32>)> {
    read_parquet(file)
        .iter()
        .flat_map(|b| {
            strings(b, "path")
                .into_iter()
                .map(Option::unwrap)
                .zip(floats(b, "Male_p"))
        })
        .collect()
}
