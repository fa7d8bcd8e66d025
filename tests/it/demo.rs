//! The simulated catalog: determinism, schema, structure, marginals, and the CLI around it.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int8Type};
use macsql::{DEMO_DATASETS as DATASETS, demo_dataset_path, generate_demo, register_demo};
use macsql::{MAAD_ATTRIBUTES, meta};
use predicates::prelude::*;

use crate::common::macsql;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// One i64 from a single-row, single-column result.
fn scalar(engine: &macsql::Engine, sql: &str) -> f64 {
    let batches = rt().block_on(engine.sql_collect(sql)).expect(sql);
    let col = batches[0].column(0);
    let col = arrow::compute::cast(col, &DataType::Float64).expect("cast");
    col.as_primitive::<arrow::datatypes::Float64Type>().value(0)
}

fn demo_engine(scale: f64, seed: u64) -> macsql::Engine {
    let engine = macsql::Engine::new();
    register_demo(&engine, scale, seed).expect("register demo");
    engine
}

#[test]
fn same_seed_gives_the_same_catalog_whatever_the_thread_count() {
    let (_, a) = generate_demo(0.003, 7).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (_, b) = pool.install(|| generate_demo(0.003, 7).unwrap());
    let rows = |v: &[RecordBatch]| v.iter().map(|b| b.num_rows()).sum::<usize>();
    assert_eq!(rows(&a), rows(&b));
    let a = arrow::compute::concat_batches(&a[0].schema(), &a).unwrap();
    let b = arrow::compute::concat_batches(&b[0].schema(), &b).unwrap();
    assert_eq!(a.columns(), b.columns());
    let (_, c) = generate_demo(0.003, 8).unwrap();
    let c = arrow::compute::concat_batches(&c[0].schema(), &c).unwrap();
    assert_ne!(a.column(10), c.column(10), "another seed gives another catalog");
}

#[test]
fn schema_has_the_maad_layout_and_says_simulated() {
    let (schema, batches) = generate_demo(0.002, 1).unwrap();
    assert_eq!(schema.fields().len(), 3 + 47);
    assert_eq!(schema.field(0).name(), "dataset");
    assert_eq!(schema.field(1).name(), "kind");
    assert_eq!(schema.field(2).name(), "identity");
    for (f, name) in schema.fields()[3..].iter().zip(MAAD_ATTRIBUTES) {
        assert_eq!(f.name(), name);
        assert_eq!(f.data_type(), &DataType::Int8);
    }
    assert_eq!(schema.metadata()[meta::SOURCE], "simulated");
    assert!(schema.metadata()[meta::NOTE].contains("SIMULATED"));
    // Sizes follow the paper at scale 0.002: 2,600 + 4,000 + 1,000 + 1,000 rows.
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 8_600);
    for b in &batches {
        for c in &b.columns()[3..] {
            let labels = c.as_primitive::<Int8Type>();
            assert!(labels.values().iter().all(|v| (-1..=1).contains(v)));
            assert_eq!(labels.null_count(), 0);
        }
    }
}

#[test]
fn structure_holds_exclusive_groups_identity_consistency_beards() {
    let e = demo_engine(0.01, 42);
    let count = |sql: &str| scalar(&e, sql);
    let n = count("SELECT count(*) FROM demo");
    assert_eq!(n, 43_000.0);
    let per_dataset = count("SELECT count(DISTINCT dataset) FROM demo");
    assert_eq!(per_dataset, 4.0);
    // At most one age group, race and hair colour is positive.
    for group in [
        "Young, Middle_Aged, Senior",
        "Asian, White, Black",
        "Black_Hair, Blond_Hair, Brown_Hair, Gray_Hair",
        "Oval_Face, Square_Face, Round_Face",
    ] {
        let sum = group
            .split(", ")
            .map(|c| format!("CASE WHEN {c} = 1 THEN 1 ELSE 0 END"))
            .collect::<Vec<_>>()
            .join(" + ");
        assert_eq!(
            count(&format!("SELECT count(*) FROM demo WHERE {sum} > 1")),
            0.0,
            "{group}"
        );
    }
    // Women never have a beard; forehead and eyewear pairs never agree.
    assert_eq!(
        count("SELECT count(*) FROM demo WHERE Male = -1 AND No_Beard = -1"),
        0.0
    );
    assert_eq!(
        count("SELECT count(*) FROM demo WHERE Male = -1 AND Goatee = 1"),
        0.0
    );
    assert_eq!(
        count("SELECT count(*) FROM demo WHERE Eyeglasses = 1 AND No_Eyewear = 1"),
        0.0
    );
    assert_eq!(
        count("SELECT count(*) FROM demo WHERE Obstructed_Forehead = 1 AND Fully_Visible_Forehead = 1"),
        0.0
    );
    // An identity keeps its gender and race.
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT identity FROM demo WHERE Male <> 0 \
             GROUP BY identity HAVING count(DISTINCT Male) > 1)"
        ),
        0.0
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT identity FROM demo WHERE White <> 0 \
             GROUP BY identity HAVING count(DISTINCT White) > 1)"
        ),
        0.0
    );
    // Seniors are grey far more often than the young.
    let gray_senior =
        count("SELECT avg(CASE WHEN Gray_Hair = 1 THEN 1.0 ELSE 0.0 END) FROM demo WHERE Senior = 1");
    let gray_young =
        count("SELECT avg(CASE WHEN Gray_Hair = 1 THEN 1.0 ELSE 0.0 END) FROM demo WHERE Young = 1");
    assert!(gray_senior > 5.0 * gray_young, "{gray_senior} vs {gray_young}");
}

#[test]
fn marginals_are_near_their_sources() {
    let e = demo_engine(0.02, 3);
    let rate = |attr: &str, filter: &str| {
        scalar(
            &e,
            &format!(
                "SELECT avg(CASE WHEN {attr} = 1 THEN 1.0 ELSE 0.0 END) FROM demo \
                 WHERE {attr} <> 0 AND kind = 'real' AND {filter}"
            ),
        )
    };
    // CelebA: Smiling 0.540 among women, 0.400 among men; Heavy_Makeup 0.661 among women;
    // No_Beard 0.606 among men; Eyeglasses 0.124 among men (before the age factor).
    let checks = [
        ("Smiling", "Male = -1", 0.5405, 0.04),
        ("Smiling", "Male = 1", 0.4003, 0.04),
        ("Heavy_Makeup", "Male = -1", 0.6614 * 1.02, 0.06),
        ("No_Beard", "Male = 1", 0.606, 0.05),
        ("Wearing_Lipstick", "Male = -1", 0.81, 0.06),
        ("Male", "true", 0.635, 0.05),
        ("Black", "true", 0.183, 0.04),
    ];
    for (attr, filter, expected, tol) in checks {
        let got = rate(attr, filter);
        assert!(
            (got - expected).abs() < tol,
            "{attr} where {filter}: {got} vs {expected}"
        );
    }
    // Undefined labels: a few percent to a fifth of each attribute in the real sets.
    let undefined = scalar(
        &e,
        "SELECT avg(CASE WHEN Attractive = 0 THEN 1.0 ELSE 0.0 END) FROM demo WHERE kind = 'real'",
    );
    assert!((undefined - 0.2).abs() < 0.02, "{undefined}");
}

/// Runs a saved query file on `engine` and returns the results of its statements.
fn run_query_file(engine: &macsql::Engine, name: &str) -> Vec<Vec<RecordBatch>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("queries")
        .join(name);
    rt().block_on(engine.run_file(&path)).expect(name)
}

#[test]
fn study_runs_at_small_scale_and_shows_the_kl_asymmetry() {
    let e = demo_engine(0.01, 5);
    let results = run_query_file(&e, "study.sql");
    let shown: Vec<usize> = results
        .iter()
        .map(|r| r.iter().map(|b| b.num_rows()).sum())
        .filter(|n| *n > 0)
        .collect();
    // catalog, distributions, KL per pair, per attribute, per pair summary, undefined (2),
    // coverage, subgroups, subgroup KL.
    assert_eq!(shown, [4, 188, 188, 47, 5, 4, 47, 1, 24, 4]);
    // Synthetic sets are narrower: summed over attributes, KL(real || synthetic) is larger than
    // KL(synthetic || real) for every pair, and most attributes go that way.
    let rows = |sql: &str| rt().block_on(e.sql_collect(sql)).expect(sql);
    let pairs = rows(
        "SELECT real_set, synthetic_set, sum(kl_real_synthetic) / sum(kl_synthetic_real) AS ratio, \
         sum(CASE WHEN kl_real_synthetic > kl_synthetic_real THEN 1 ELSE 0 END) AS real_larger \
         FROM study_kl GROUP BY real_set, synthetic_set",
    );
    let b = arrow::compute::concat_batches(&pairs[0].schema(), &pairs).unwrap();
    assert_eq!(b.num_rows(), 4);
    let ratio = b.column(2).as_primitive::<arrow::datatypes::Float64Type>();
    let larger = b.column(3).as_primitive::<arrow::datatypes::Int64Type>();
    for i in 0..4 {
        assert!(ratio.value(i) > 1.2, "pair {i}: ratio {}", ratio.value(i));
        assert!(larger.value(i) >= 35, "pair {i}: {} attributes", larger.value(i));
    }
    // Values missing from IDiff-Face make KL(real || IDiff) far larger than the reverse.
    let ratio = scalar(
        &e,
        "SELECT min(kl_real_synthetic / kl_synthetic_real) FROM study_kl \
         WHERE synthetic_set = 'IDiff-Face' AND attribute IN ('Eyeglasses', 'Wearing_Hat') AND gap",
    );
    assert!(ratio > 3.0, "{ratio}");
    // IDiff-Face never wears glasses or hats.
    assert_eq!(
        scalar(
            &e,
            "SELECT count(*) FROM demo WHERE dataset = 'IDiff-Face' AND (Eyeglasses = 1 OR Wearing_Hat = 1)"
        ),
        0.0
    );
}

#[test]
fn study_file_runs_from_the_command_line() {
    macsql()
        .args(["--demo", "--scale", "0.002", "-q", "--maxrows", "5", "-f"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/study.sql"))
        .assert()
        .success()
        .stdout(predicate::str::contains("kl_real_synth"))
        .stdout(predicate::str::contains("below min support (30)"));
}

#[test]
fn demo_command_writes_one_parquet_per_dataset_that_reads_back_as_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog");
    macsql()
        .args(["demo", "--scale", "0.002", "--seed", "9", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("SIMULATED catalog: 8600 rows"));
    for d in &DATASETS {
        assert!(demo_dataset_path(&out, d.name).exists(), "{}", d.name);
    }
    macsql()
        .arg("--data")
        .arg(format!("cat={}", out.display()))
        .args([
            "-q",
            "--format",
            "csv",
            "-c",
            "SELECT kind, count(*) AS n FROM cat GROUP BY kind ORDER BY kind",
        ])
        .assert()
        .success()
        .stdout("kind,n\nreal,6600\nsynthetic,2000\n");
}

#[test]
fn bad_scale_is_an_error_naming_the_argument() {
    macsql()
        .args(["demo", "--scale", "0", "--out", "unused-demo-dir"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--scale"));
}
