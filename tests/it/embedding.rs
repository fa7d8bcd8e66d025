//! The `embedding` column of annotation tables: the labelled face's dlib ResNet descriptor,
//! L2-normalised, that tells people apart; `--no-embedding`; resuming across the two layouts;
//! `mac_annotate()` giving the same vector as `macsql annotate`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float32Type};
use predicates::prelude::*;

use crate::common::{file_metadata, macsql, read_all, shared_data, strings};

const PEOPLE: [&str; 4] = ["Abdullah_Gul", "Amelie_Mauresmo", "Andre_Agassi", "Ana_Palacio"];

fn folders() -> Vec<PathBuf> {
    PEOPLE
        .iter()
        .map(|p| shared_data(&format!("images/real/lfw/{p}")))
        .collect()
}

fn annotate(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    macsql()
        .args([
            "annotate",
            "--dataset",
            "lfw",
            "--kind",
            "real",
            "--identity-from-dir",
            "-q",
        ])
        .args(extra)
        .arg("-o")
        .arg(out)
        .args(folders())
        .assert()
}

/// Each row's embedding (`None`: NULL).
fn embeddings(b: &RecordBatch) -> Vec<Option<Vec<f32>>> {
    let list = b
        .column_by_name("embedding")
        .expect("embedding column")
        .as_fixed_size_list();
    (0..list.len())
        .map(|i| {
            list.is_valid(i)
                .then(|| list.value(i).as_primitive::<Float32Type>().values().to_vec())
        })
        .collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Four LFW people, 38 images: every embedding is 128 float32 values of unit length, and the
/// face nearest to each face (by cosine similarity, itself left out) is the same person's for
/// at least 90% of the faces, and a same-person pair is more similar than a pair of different
/// people with a probability (ROC AUC) above 0.97. The table says which model the embedding is and the models' terms.
#[test]
fn embeddings_tell_people_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lfw.parquet");
    annotate(&out, &[]).success();
    let b = read_all(&out);
    match b.schema().field_with_name("embedding").unwrap().data_type() {
        DataType::FixedSizeList(item, 128) => assert_eq!(item.data_type(), &DataType::Float32),
        other => panic!("embedding is {other}"),
    }
    let who: Vec<String> = strings(&b, "identity").into_iter().map(Option::unwrap).collect();
    let e: Vec<Vec<f32>> = embeddings(&b)
        .into_iter()
        .map(|v| v.expect("every LFW image has a face"))
        .collect();
    assert_eq!(e.len(), 38);
    for v in &e {
        assert!((dot(v, v) - 1.0).abs() < 1e-4);
    }
    let (mut same, mut other) = (Vec::new(), Vec::new());
    let mut right = 0;
    for i in 0..e.len() {
        let nearest = (0..e.len())
            .filter(|&j| j != i)
            .max_by(|&a, &b| dot(&e[i], &e[a]).total_cmp(&dot(&e[i], &e[b])))
            .unwrap();
        right += usize::from(who[nearest] == who[i]);
        for j in i + 1..e.len() {
            if who[i] == who[j] { &mut same } else { &mut other }.push(dot(&e[i], &e[j]));
        }
    }
    assert!(
        right * 10 >= e.len() * 9,
        "{right} of {} nearest faces are the same person",
        e.len()
    );
    // The ROC AUC of same-person against different-person similarities.
    let above: usize = same.iter().map(|s| other.iter().filter(|o| s > o).count()).sum();
    let auc = above as f64 / (same.len() * other.len()) as f64;
    assert!(auc > 0.97, "AUC {auc}");
    let meta = file_metadata(&out);
    assert!(
        meta["macsql.embedding"].starts_with("dlib features, 128 dimensions"),
        "{meta:?}"
    );
    assert!(meta["macsql.terms"].contains("non-commercial research only"));
}

/// `--no-embedding` leaves the column out; resuming a table of one layout with the other is
/// refused with what to do, and nothing is lost.
#[test]
fn no_embedding_leaves_it_out_and_resume_keeps_layouts_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lfw.parquet");
    annotate(&out, &["--no-embedding"]).success();
    let b = read_all(&out);
    assert!(b.schema().field_with_name("embedding").is_err());
    assert_eq!(b.num_rows(), 38);
    annotate(&out, &["--resume"])
        .failure()
        .stderr(predicate::str::contains("run with --no-embedding"));
    assert_eq!(read_all(&out).num_rows(), 38);
}

/// `mac_annotate(path)['embedding']` is the vector `macsql annotate` writes for the image.
#[tokio::test]
async fn mac_annotate_gives_the_same_embedding() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lfw.parquet");
    annotate(&out, &[]).success();
    let table = read_all(&out);
    let by_path: HashMap<String, Vec<f32>> = strings(&table, "path")
        .into_iter()
        .map(Option::unwrap)
        .zip(embeddings(&table).into_iter().map(Option::unwrap))
        .collect();
    let engine = macsql::Engine::new();
    let sql = format!(
        "SELECT path, mac_annotate(path)['embedding'] AS embedding FROM images('{}')",
        folders()[0].display()
    );
    let batches = engine.sql_collect(&sql).await.unwrap();
    let mut n = 0;
    for b in &batches {
        for (p, e) in strings(b, "path").into_iter().zip(embeddings(b)) {
            let want = &by_path[&p.unwrap()];
            let got = e.unwrap();
            assert!(want.iter().zip(&got).all(|(a, b)| (a - b).abs() < 1e-5));
            n += 1;
        }
    }
    assert_eq!(n, 10);
}

/// `nearest_faces` with the path of an image file that is not in the table annotates it on the
/// spot: one LFW image left out of the table finds its own person first; a path that is neither
/// in the table nor a file is named in the error.
#[tokio::test]
async fn nearest_faces_annotates_an_image_not_in_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lfw.parquet");
    annotate(&out, &[]).success();
    let engine = macsql::Engine::new();
    engine.register_path(&out, Some("faces")).await.unwrap();
    let probe = strings(&read_all(&out), "path")
        .into_iter()
        .flatten()
        .find(|p| p.contains(PEOPLE[1]))
        .unwrap();
    let sql = format!("CREATE VIEW others AS SELECT * FROM faces WHERE path <> '{probe}'");
    engine.sql_collect(&sql).await.unwrap();
    let sql = format!(
        "SELECT arrow_cast(query_path, 'Utf8') AS query_path, arrow_cast(path, 'Utf8') AS path \
         FROM nearest_faces('others', '{probe}', 3) ORDER BY rank"
    );
    let b = &engine.sql_collect(&sql).await.unwrap()[0];
    assert_eq!(b.num_rows(), 3);
    assert!(
        strings(b, "query_path")
            .iter()
            .all(|p| p.as_deref() == Some(probe.as_str()))
    );
    let nearest = strings(b, "path")[0].clone().unwrap();
    assert!(
        nearest.contains(PEOPLE[1]) && nearest != probe,
        "{nearest} for {probe}"
    );
    let missing = tmp.path().join("no-such.jpg");
    let sql = format!(
        "SELECT * FROM nearest_faces('others', '{}', 3)",
        missing.display()
    );
    let err = engine.sql_collect(&sql).await.unwrap_err().to_string();
    assert!(
        err.contains("nearest_faces") && err.contains("no-such.jpg") && err.contains("neither"),
        "{err}"
    );
}
