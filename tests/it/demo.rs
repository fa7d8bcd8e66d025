//! The simulated catalog: determinism, schema, structure, marginals, and the CLI around it.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int8Type};
use macsql::annotations::{MAAD_ATTRIBUTES, meta};
use macsql::demo::{self, profile::DATASETS};
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
    demo::register(&engine, scale, seed).expect("register demo");
    engine
}

#[test]
fn same_seed_gives_the_same_catalog_whatever_the_thread_count() {
    let (_, a) = demo::generate(0.003, 7).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let (_, b) = pool.install(|| demo::generate(0.003, 7).unwrap());
    let rows = |v: &[RecordBatch]| v.iter().map(|b| b.num_rows()).sum::<usize>();
    assert_eq!(rows(&a), rows(&b));
    let a = arrow::compute::concat_batches(&a[0].schema(), &a).unwrap();
    let b = arrow::compute::concat_batches(&b[0].schema(), &b).unwrap();
    assert_eq!(a.columns(), b.columns());
    let (_, c) = demo::generate(0.003, 8).unwrap();
    let c = arrow::compute::concat_batches(&c[0].schema(), &c).unwrap();
    assert_ne!(a.column(10), c.column(10), "another seed gives another catalog");
}

#[test]
fn schema_has_the_maad_layout_and_says_simulated() {
    let (schema, batches) = demo::generate(0.002, 1).unwrap();
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

#[test]
fn synthetic_sets_are_narrower_so_kl_is_asymmetric() {
    let e = demo_engine(0.02, 5);
    // KL over the three label values of Senior, with light smoothing so the narrow side is finite.
    let dist = |dataset: &str| -> [f64; 3] {
        let mut out = [0.0; 3];
        for (i, v) in [-1, 0, 1].iter().enumerate() {
            out[i] = scalar(
                &e,
                &format!("SELECT count(*) FROM demo WHERE dataset = '{dataset}' AND Senior = {v}"),
            ) + 0.5;
        }
        let total: f64 = out.iter().sum();
        out.map(|x| x / total)
    };
    let kl = |p: &[f64; 3], q: &[f64; 3]| p.iter().zip(q).map(|(a, b)| a * (a / b).ln()).sum::<f64>();
    let real = dist(DATASETS[1].name);
    for synthetic in [DATASETS[2].name, DATASETS[3].name] {
        let s = dist(synthetic);
        let (forward, backward) = (kl(&s, &real), kl(&real, &s));
        assert!(
            backward > 3.0 * forward,
            "{synthetic}: KL(s||r) {forward} KL(r||s) {backward}"
        );
    }
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
        assert!(demo::dataset_path(&out, d.name).exists(), "{}", d.name);
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
