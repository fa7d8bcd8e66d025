//! `macsql import`: the six formats on the shared files and on malformed fixtures.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float32Type, Int8Type};
use macsql::{Band, Kind, meta};
use macsql::{ImportFormat, import};
use predicates::prelude::*;

use crate::common::{macsql, shared_data, write};

fn run(format: ImportFormat, rel: &str, kind: Kind) -> RecordBatch {
    let (_, batch) = import(format, &shared_data(rel), "d", kind, Band::default()).expect(rel);
    batch
}

fn label(batch: &RecordBatch, name: &str, row: usize) -> i8 {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Int8Type>()
        .value(row)
}

fn positives(batch: &RecordBatch, name: &str) -> usize {
    let c = batch.column_by_name(name).unwrap().as_primitive::<Int8Type>();
    c.values().iter().filter(|v| **v == 1).count()
}

fn error_of(format: ImportFormat, path: &std::path::Path) -> String {
    import(format, path, "d", Kind::Real, Band::default())
        .expect_err("malformed input must fail")
        .to_string()
}

#[test]
fn celeba_full_file_keeps_maad_names_and_the_six_others() {
    let b = run(
        ImportFormat::Celeba,
        "annotations/celeba_list_attr.txt",
        Kind::Real,
    );
    assert_eq!(b.num_rows(), 202_599);
    let schema = b.schema();
    let maad = schema
        .fields()
        .iter()
        .filter(|f| macsql::MAAD_ATTRIBUTES.contains(&f.name().as_str()))
        .count();
    assert_eq!(maad, 34);
    for other in [
        "Blurry",
        "Mouth_Slightly_Open",
        "Narrow_Eyes",
        "Pale_Skin",
        "Straight_Hair",
        "Wearing_Necklace",
    ] {
        assert!(schema.field_with_name(other).is_ok(), "{other}");
    }
    // 000001.jpg: -1 1 1 -1 ... Male is the 21st value (-1), Young the 40th (1).
    assert_eq!(b.column(0).as_string::<i32>().value(0), "000001.jpg");
    assert_eq!(label(&b, "Arched_Eyebrows", 0), 1);
    assert_eq!(label(&b, "Male", 0), -1);
    assert_eq!(label(&b, "Young", 0), 1);
    assert_eq!(positives(&b, "Male"), 84_434);
    assert_eq!(schema.metadata()[meta::SOURCE], "import:celeba");
}

/// LFWA+ (both tables): MAAD names kept, 0 is -1, Young from Baby / Child / Youth, Attractive
/// from the sex's own attractiveness column, the person from the folder, other columns kept.
#[test]
fn lfwa_tables_map_onto_maad_names_with_the_person() {
    let b = run(ImportFormat::Lfwa, "annotations/lfwa_att_73.csv", Kind::Real);
    assert_eq!(b.num_rows(), 8792);
    let path = b.column_by_name("path").unwrap().as_string::<i32>();
    let identity = b.column_by_name("identity").unwrap().as_string::<i32>();
    assert_eq!(path.value(0), "Aaron_Eckhart/Aaron_Eckhart_0001.jpg");
    assert_eq!(identity.value(0), "Aaron_Eckhart");
    // Aaron_Eckhart_0001: Male 1, White 1, Asian 0 -> -1; Attractive_Man 1 (a man).
    assert_eq!(label(&b, "Male", 0), 1);
    assert_eq!(label(&b, "White", 0), 1);
    assert_eq!(label(&b, "Asian", 0), -1);
    assert_eq!(label(&b, "Attractive", 0), 1);
    for a in [
        "Young",
        "Big_Nose",
        "Brown_Eyes",
        "Shiny_Skin",
        "Wearing_Necktie",
        "Mouth_Closed",
    ] {
        assert!(b.column_by_name(a).is_some(), "{a}");
    }
    // The 73-attribute table has no unlabelled cell: every MAAD label is 1 or -1.
    let young = b.column_by_name("Young").unwrap().as_primitive::<Int8Type>();
    assert!(young.values().iter().all(|v| *v == 1 || *v == -1));
    // Young is exactly the 40-attribute table's Young (Baby, Child or Youth).
    let b40 = run(ImportFormat::Lfwa, "annotations/lfwa_att_40.csv", Kind::Real);
    assert_eq!(positives(&b, "Young"), positives(&b40, "Young"));
    assert_eq!(positives(&b, "Young"), 2004);
    assert!(b.column_by_name("Sunglasses").is_some() && b40.column_by_name("Narrow_Eyes").is_some());
    // A value that is not 0 / 1 is named with its line and column.
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        &dir,
        "bad.csv",
        "image,Male,Smiling\nA/A_0001.jpg,1,0\nB/B_0001.jpg,yes,1\n",
    );
    let e = error_of(ImportFormat::Lfwa, &bad);
    assert!(
        e.contains("bad.csv:3") && e.contains("Male") && e.contains("'yes'"),
        "{e}"
    );
}

#[test]
fn fairface_train_maps_gender_age_bins_and_seven_races() {
    let b = run(
        ImportFormat::Fairface,
        "annotations/fairface_train.csv",
        Kind::Real,
    );
    assert_eq!(b.num_rows(), 86_744);
    // train/1.jpg,50-59,Male,East Asian
    assert_eq!(label(&b, "Male", 0), 1);
    assert_eq!(label(&b, "Middle_Aged", 0), 1);
    assert_eq!(label(&b, "Young", 0), -1);
    assert_eq!(label(&b, "Asian", 0), 1);
    // East + Southeast Asian; White; Black; 60-69 + more than 70.
    assert_eq!(positives(&b, "Asian"), 6141 + 5183 + 6146 + 5612);
    assert_eq!(positives(&b, "White"), 7826 + 8701);
    assert_eq!(positives(&b, "Black"), 6137 + 6096);
    assert_eq!(positives(&b, "Senior"), 2779 + 842);
    for original in ["age_bin", "gender", "race", "service_test"] {
        assert!(b.schema().field_with_name(original).is_ok(), "{original}");
    }
}

#[test]
fn faceapi_ffhq_gets_probabilities_labels_by_band_and_originals() {
    let b = run(ImportFormat::Faceapi, "annotations/ffhq_faceapi.csv", Kind::Real);
    assert_eq!(b.num_rows(), 69_471);
    // 00001,female,26.0,1.0,NoGlasses,0.0,0.0,0.0,0.11,False,True,False,False,...
    assert_eq!(b.column(0).as_string::<i32>().value(1), "00001");
    assert_eq!(label(&b, "Male", 1), -1);
    assert_eq!(label(&b, "Young", 1), 1);
    assert_eq!(label(&b, "Smiling", 1), 1);
    assert_eq!(label(&b, "No_Beard", 1), 1);
    assert_eq!(label(&b, "No_Eyewear", 1), 1);
    assert_eq!(label(&b, "Heavy_Makeup", 1), 1);
    let p = b
        .column_by_name("Smiling_p")
        .unwrap()
        .as_primitive::<Float32Type>();
    assert_eq!(p.value(1), 1.0);
    for col in [
        "age",
        "gender",
        "glasses",
        "blur",
        "yaw",
        "hair_red",
        "emo_neutral",
        "hair_invisible",
    ] {
        assert!(b.schema().field_with_name(col).is_ok(), "{col}");
    }
    assert!(b.schema().metadata()[meta::BANDS].contains("\"Smiling\":{\"lo\":0.3,\"hi\":0.7}"));
}

#[test]
fn styleflow_uses_the_same_fields() {
    let b = run(
        ImportFormat::Styleflow,
        "annotations/styleflow_stylegan2_faceapi.csv",
        Kind::Synthetic,
    );
    assert_eq!(b.num_rows(), 1_000);
    // 0,1.0,1.0,2.7,6.5,0.03,0.4,34.0,0.347
    assert_eq!(label(&b, "Male", 0), 1);
    assert_eq!(label(&b, "Eyeglasses", 0), 1);
    assert_eq!(label(&b, "No_Eyewear", 0), -1);
    assert_eq!(label(&b, "Middle_Aged", 0), 1);
    assert_eq!(label(&b, "Smiling", 0), 0, "0.347 is inside the band");
    assert_eq!(label(&b, "Bald", 0), -1);
    assert_eq!(label(&b, "No_Beard", 0), 0, "1 - 0.4 is inside the band");
    let kind = b.column_by_name("kind").unwrap().as_string::<i32>();
    assert_eq!(kind.value(0), "synthetic");
    assert!(b.column_by_name("identity").unwrap().is_null(0));
}

#[test]
fn maad_csv_is_kept_as_is() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "maad.csv",
        "Filename,Identity,Male,Young,5_o_Clock_Shadow\nn000001/0001_01.jpg,n000001,1,-1,0\nn000002/0002_01.jpg,n000002,-1,1,1\n",
    );
    let (schema, b) = import(ImportFormat::Maad, &f, "vgg", Kind::Real, Band::default()).unwrap();
    assert_eq!(b.num_rows(), 2);
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "path",
            "dataset",
            "kind",
            "identity",
            "Male",
            "Young",
            "5_o_Clock_Shadow"
        ]
    );
    assert_eq!(label(&b, "5_o_Clock_Shadow", 1), 1);
    assert_eq!(b.column(3).as_string::<i32>().value(1), "n000002");
}

#[test]
fn malformed_inputs_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    // Bad value.
    let f = write(
        &dir,
        "bad.csv",
        "Filename,Identity,Male,Young\na.jpg,n1,1,-1\nb.jpg,n1,2,1\n",
    );
    let e = error_of(ImportFormat::Maad, &f);
    assert!(
        e.contains("bad.csv:3: column 3 ('Male'): expected -1, 0 or 1, found '2'"),
        "{e}"
    );
    // Unknown column.
    let f = write(
        &dir,
        "unknown.csv",
        "Filename,Identity,Male,Smiley\na.jpg,n1,1,1\n",
    );
    let e = error_of(ImportFormat::Maad, &f);
    assert!(
        e.contains("unknown.csv:1: column 4 ('Smiley'): unknown column"),
        "{e}"
    );
    // Short line.
    let f = write(
        &dir,
        "short.csv",
        "file,age,gender,race\n1.jpg,20-29,Male,White\n2.jpg,20-29,Male\n",
    );
    let e = error_of(ImportFormat::Fairface, &f);
    assert!(
        e.contains("short.csv:3: column 4 ('race'): expected 4 fields (as in the header), found 3"),
        "{e}"
    );
    // Missing header.
    let f = write(&dir, "nohead.csv", "1.jpg,20-29,Male,White\n");
    let e = error_of(ImportFormat::Fairface, &f);
    assert!(
        e.contains("nohead.csv:1: column 'file': missing column 'file'"),
        "{e}"
    );
    let f = write(&dir, "nohead.txt", "1\n000001.jpg -1 1\n");
    let e = error_of(ImportFormat::Celeba, &f);
    assert!(e.contains("nohead.txt:2: column 1: missing header"), "{e}");
    // Wrong row count.
    let f = write(&dir, "count.txt", "3\nMale Young\n1.jpg 1 -1\n2.jpg -1 -1\n");
    let e = error_of(ImportFormat::Celeba, &f);
    assert!(
        e.contains("count.txt:1: column 1: line 1 declares 3 rows, the file has 2"),
        "{e}"
    );
    // CelebA values are -1 / 1 only; short CelebA lines name the first missing attribute.
    let f = write(&dir, "zero.txt", "1\nMale Young\n1.jpg 1 0\n");
    let e = error_of(ImportFormat::Celeba, &f);
    assert!(
        e.contains("zero.txt:3: column 3 ('Young'): expected -1 or 1, found '0'"),
        "{e}"
    );
    let f = write(&dir, "shortc.txt", "1\nMale Young\n1.jpg 1\n");
    let e = error_of(ImportFormat::Celeba, &f);
    assert!(
        e.contains("shortc.txt:3: column 3 ('Young'): expected 2 values"),
        "{e}"
    );
    // Face API: a score outside [0, 1], an unknown glasses value.
    let head = "idx,gender_male,glasses,yaw,pitch,baldness,beard,age,smile\n";
    let f = write(&dir, "sf.csv", &format!("{head}0,1.0,0.0,1,1,1.5,0.1,30,0.5\n"));
    let e = error_of(ImportFormat::Styleflow, &f);
    assert!(
        e.contains("sf.csv:2: column 6 ('baldness'): expected a score between 0 and 1, found 1.5"),
        "{e}"
    );
    let f = write(
        &dir,
        "sf2.csv",
        &format!("{head}0,1.0,0.0,1,1,0.5,0.1,thirty,0.5\n"),
    );
    let e = error_of(ImportFormat::Styleflow, &f);
    assert!(
        e.contains("sf2.csv:2: column 8 ('age'): expected a number, found 'thirty'"),
        "{e}"
    );
    // FairFace: an unknown race.
    let f = write(
        &dir,
        "race.csv",
        "file,age,gender,race\n1.jpg,20-29,Male,Martian\n",
    );
    let e = error_of(ImportFormat::Fairface, &f);
    assert!(
        e.contains("race.csv:2: column 4 ('race'): unknown race 'Martian'"),
        "{e}"
    );
}

#[test]
fn cli_writes_parquet_atomically_and_keeps_the_old_file_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("styleflow.parquet");
    macsql()
        .args(["import", "--format", "styleflow"])
        .arg(shared_data("annotations/styleflow_stylegan2_faceapi.csv"))
        .args(["--dataset", "StyleFlow", "--kind", "synthetic", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("1000 rows"));
    macsql()
        .arg("--data")
        .arg(&out)
        .args([
            "-q",
            "--format",
            "csv",
            "-c",
            "SELECT dataset, kind, count(*) AS n, sum(CASE WHEN Male = 1 THEN 1 ELSE 0 END) > 0 AS men FROM styleflow GROUP BY dataset, kind",
        ])
        .assert()
        .success()
        .stdout("dataset,kind,n,men\nStyleFlow,synthetic,1000,true\n");
    let before = std::fs::read(&out).unwrap();
    let bad = write(&dir, "bad.csv", "idx,gender_male\n0,1.0\n");
    macsql()
        .args(["import", "--format", "styleflow"])
        .arg(&bad)
        .args(["--dataset", "S", "--kind", "synthetic", "-o"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "bad.csv:1: column 'glasses': missing column 'glasses'",
        ));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "a failed import leaves the old output"
    );
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 2, "no temporary file left behind");
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

fn query_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("queries")
        .join(name)
}

/// Imports a shared file into `dir` as Parquet (as `macsql import` does) and registers it on
/// `engine` as `table`.
fn register_import(
    engine: &macsql::Engine,
    dir: &tempfile::TempDir,
    format: ImportFormat,
    rel: &str,
    dataset: &str,
    kind: Kind,
    table: &str,
) {
    let (schema, batch) = import(format, &shared_data(rel), dataset, kind, Band::default()).expect(rel);
    let path = dir.path().join(format!("{table}.parquet"));
    macsql::write_parquet_atomic(&path, schema, [Ok(batch)]).expect(table);
    rt().block_on(engine.register_path(&path, Some(table)))
        .expect(table);
}

/// The batches as CSV, histogram (map) columns left out.
fn csv_of(batches: &[RecordBatch]) -> String {
    let mut out = Vec::new();
    {
        let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut out);
        for b in batches {
            let keep: Vec<usize> = (0..b.num_columns())
                .filter(|i| {
                    !matches!(
                        b.schema().field(*i).data_type(),
                        arrow::datatypes::DataType::Map(..)
                    )
                })
                .collect();
            w.write(&b.project(&keep).unwrap()).unwrap();
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn ffhq_vs_styleflow_query_prints_both_kl_directions() {
    let e = macsql::Engine::new();
    let dir = tempfile::tempdir().unwrap();
    register_import(
        &e,
        &dir,
        ImportFormat::Faceapi,
        "annotations/ffhq_faceapi.csv",
        "FFHQ",
        Kind::Real,
        "ffhq",
    );
    register_import(
        &e,
        &dir,
        ImportFormat::Styleflow,
        "annotations/styleflow_stylegan2_faceapi.csv",
        "StyleFlow",
        Kind::Synthetic,
        "styleflow",
    );
    let results = rt()
        .block_on(e.run_file(query_file("ffhq_vs_styleflow.sql")))
        .unwrap();
    let per_attribute = csv_of(&results[1]);
    // The attributes both tables have, in MAAD order, each with both KL directions.
    let attributes: Vec<&str> = per_attribute
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        attributes,
        [
            "Male",
            "Young",
            "Middle_Aged",
            "Senior",
            "Smiling",
            "Eyeglasses",
            "No_Eyewear",
            "No_Beard",
            "Bald"
        ]
    );
    assert!(per_attribute.lines().next().unwrap().contains("kl_synth_real"));
    // Male: FFHQ 31,083 of 69,471 men, StyleFlow 433 of 1,000: KL(real||synth) with alpha 0.5.
    let male = per_attribute.lines().nth(1).unwrap();
    let p: [f64; 2] = [38388.5 / 69472.0, 31083.5 / 69472.0];
    let q: [f64; 2] = [567.5 / 1001.0, 433.5 / 1001.0];
    let kl: f64 = p.iter().zip(q).map(|(a, b)| a * (a / b).ln()).sum();
    assert!(
        male.contains(&format!("{:.5}", kl).trim_end_matches('0').to_string()),
        "{male} vs {kl}"
    );
    let age = csv_of(&results[2]);
    assert!(age.lines().nth(1).unwrap().starts_with("age,"), "{age}");
}

/// scripts/default_labels.sql maps the four label sources onto MAAD names (its tables written to
/// a temporary folder), and queries/mac_vs_labels.sql measures a MAC's agreement with them on the
/// same images: stand-in annotation tables that copy the labels, with the first 100 FFHQ images'
/// Male flipped (497 of 596 agree: 83.4%) and ages the Face API's plus 2 years.
#[test]
fn mac_vs_labels_query_measures_agreement_on_the_same_images() {
    let e = macsql::Engine::new();
    let dir = tempfile::tempdir().unwrap();
    register_import(
        &e,
        &dir,
        ImportFormat::Lfwa,
        "annotations/lfwa_att_73.csv",
        "lfw",
        Kind::Real,
        "lfwa73",
    );
    register_import(
        &e,
        &dir,
        ImportFormat::Lfwa,
        "annotations/lfwa_att_40.csv",
        "lfw",
        Kind::Real,
        "lfwa40",
    );
    register_import(
        &e,
        &dir,
        ImportFormat::Celeba,
        "annotations/celeba_list_attr.txt",
        "CelebA",
        Kind::Real,
        "celeba",
    );
    for (file, table) in [
        ("annotations/ffhq_faceapi.csv", "ffhq_faceapi"),
        ("annotations/fairface_val_1000.csv", "fairface_val_1000"),
    ] {
        rt().block_on(e.register_path(shared_data(file), Some(table)))
            .unwrap();
    }
    let d = dir.path().display().to_string();
    let in_tmp = |sql: String| sql.replace("'target/labels/", &format!("'{d}/"));
    let mapping = std::fs::read_to_string("scripts/default_labels.sql").unwrap();
    rt().block_on(e.run_script(&in_tmp(mapping))).unwrap();
    for (source, images, people) in [
        ("lfw", 8792, 4847),
        ("celeba", 9723, 5297),
        ("ffhq", 596, 596),
        ("fairface", 1000, 1000),
    ] {
        let table = format!("{source}_labels");
        rt().block_on(e.register_path(dir.path().join(format!("{source}.csv")), Some(&table)))
            .unwrap();
        let counts = rt()
            .block_on(e.sql_collect(&format!("SELECT count(*), count(DISTINCT person) FROM {table}")))
            .unwrap();
        assert_eq!(
            csv_of(&counts).lines().nth(1),
            Some(format!("{images},{people}").as_str()),
            "{source}"
        );
    }
    // The stand-ins: each source's labels as a MAC would write them (only the 32 CelebA images
    // of images/real/celeba), FFHQ's first 100 Male flipped, ages from the Face API plus 2.
    let setup = format!(
        "
        COPY (SELECT * FROM lfw_labels) TO '{d}/mac_lfw.parquet';
        COPY (SELECT * FROM celeba_labels WHERE path <= '../shared/data/images/real/celeba_small/000032.jpg')
          TO '{d}/mac_celeba.parquet';
        COPY (SELECT l.*, f.age + 2 AS age FROM
                (SELECT * EXCEPT (\"Male\"),
                   CASE WHEN path < '../shared/data/images/real/ffhq/00100' THEN -\"Male\" ELSE \"Male\" END AS \"Male\"
                 FROM ffhq_labels) l
              JOIN ffhq_faceapi f ON l.path = '../shared/data/images/real/ffhq/' || lpad(CAST(f.image AS VARCHAR), 5, '0') || '.jpg')
          TO '{d}/mac_ffhq.parquet';
        COPY (SELECT * FROM fairface_labels) TO '{d}/mac_fairface.parquet';"
    );
    rt().block_on(e.run_script(&setup)).unwrap();
    for t in ["mac_lfw", "mac_celeba", "mac_ffhq", "mac_fairface"] {
        rt().block_on(e.register_path(dir.path().join(format!("{t}.parquet")), Some(t)))
            .unwrap();
    }
    let query = std::fs::read_to_string(query_file("mac_vs_labels.sql")).unwrap();
    let results = rt().block_on(e.run_script(&in_tmp(query))).unwrap();
    let n = results.len();
    let table = csv_of(&results[n - 2]);
    let row = |prefix: &str| {
        table
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} in {table}"))
            .to_string()
    };
    let male = row("FFHQ Face API,Male,");
    assert!(
        male.starts_with("FFHQ Face API,Male,596,0.0,0.0,596,83.4,"),
        "{male}"
    );
    let senior = row("FairFace,Senior,");
    assert!(
        senior.starts_with("FairFace,Senior,1000,0.0,0.0,1000,100.0,1.0,"),
        "{senior}"
    );
    let celeba = row("CelebA,Male,");
    // 31: one of the 32 shared CelebA images is not in celeba_small, whose labels the table holds.
    assert!(celeba.starts_with("CelebA,Male,31,0.0,0.0,31,100.0,"), "{celeba}");
    let lfw = row("LFW (LFWA+),Male,");
    assert!(
        lfw.starts_with("LFW (LFWA+),Male,8792,0.0,0.0,8792,100.0,1.0,"),
        "{lfw}"
    );
    // Every attribute of the default bundle is compared with some reference.
    let bundle = macsql::Bundle::load(std::path::Path::new("models/mac.toml")).unwrap();
    for a in bundle.labelled_attributes() {
        assert!(table.contains(&format!(",{a},")), "{a} in {table}");
    }
    // The stand-in's ages are the Face API's plus 2 years.
    let age = csv_of(&results[n - 1]);
    assert_eq!(age.lines().nth(1), Some("596,2.0,2.0"), "{age}");
}

/// queries/heldout_agreement.sql reads a training run's held-out predictions: on a stand-in
/// table that gives FairFace's own classes a probability of 0.9 (else 0.1), with the Male of
/// files 1..100 flipped, it finds 90% sex agreement and full age-group and race agreement, and
/// puts Indian, Latino and Middle Eastern faces (no MAAD attribute) under "other".
#[test]
fn heldout_agreement_query_reads_the_held_out_predictions() {
    let e = macsql::Engine::new();
    rt().block_on(e.register_path(
        shared_data("annotations/fairface_val_1000.csv"),
        Some("fairface_val_1000"),
    ))
    .unwrap();
    // Each attribute's p from a condition; its label from the truth, its band the sign of p
    // except where `unsure`.
    let p = |attribute: &str, positive: &str, truth: &str, unsure: &str| {
        format!(
            "SELECT '../shared/data/images/real/fairface/' || file AS path, 'fairface' AS source, \
             '{attribute}' AS attribute, CASE WHEN {positive} THEN 0.9 ELSE 0.1 END AS p, \
             CAST(CASE WHEN {truth} THEN 1 ELSE -1 END AS TINYINT) AS label, \
             CAST(CASE WHEN {unsure} THEN 0 WHEN {positive} THEN 1 ELSE -1 END AS TINYINT) AS band \
             FROM fairface_val_1000"
        )
    };
    // Male is wrong on images 1-100, and its band leaves exactly those unlabelled.
    let first_100 = "CAST(regexp_replace(file, '[.]jpg$', '') AS INT) <= 100";
    let flipped = format!("(gender = 'Male') <> ({first_100})");
    let parts = [
        p("Male", &flipped, "gender = 'Male'", first_100),
        p(
            "Young",
            "age IN ('0-2', '3-9', '10-19', '20-29')",
            "age IN ('0-2', '3-9', '10-19', '20-29')",
            "false",
        ),
        p(
            "Middle_Aged",
            "age IN ('30-39', '40-49', '50-59')",
            "age IN ('30-39', '40-49', '50-59')",
            "false",
        ),
        p(
            "Senior",
            "age IN ('60-69', 'more than 70')",
            "age IN ('60-69', 'more than 70')",
            "false",
        ),
        p(
            "Asian",
            "race IN ('East Asian', 'Southeast Asian')",
            "race IN ('East Asian', 'Southeast Asian')",
            "false",
        ),
        p("White", "race = 'White'", "race = 'White'", "false"),
        p("Black", "race = 'Black'", "race = 'Black'", "false"),
        "SELECT 'lfw/A/A_0001.jpg', 'lfw', 'Male', 0.9, CAST(1 AS TINYINT), CAST(1 AS TINYINT)".into(),
    ];
    let setup = format!("CREATE TABLE heldout AS {}", parts.join(" UNION ALL "));
    rt().block_on(e.run_script(&setup)).unwrap();
    let query = std::fs::read_to_string(query_file("heldout_agreement.sql")).unwrap();
    let results = rt().block_on(e.run_script(&query)).unwrap();
    let n = results.len();
    let summary = csv_of(&results[n - 4]);
    assert_eq!(summary.lines().nth(1), Some("1000,0.9,1.0,1.0"), "{summary}");
    // The labels: Male leaves the 100 wrong images at 0 and is right on the 900 it labels.
    let labels = csv_of(&results[n - 1]);
    let lines: Vec<&str> = labels.lines().collect();
    assert_eq!(lines.len(), 8, "{labels}");
    assert_eq!(lines[1], "Male,1000,0.9,1.0,1.0,1.0", "{labels}");
    assert_eq!(lines[7], "Black,1000,1.0,1.0,1.0,1.0", "{labels}");
    let races = csv_of(&results[n - 3]);
    for row in [
        "Asian,260,260,0,0,0",
        "Black,173,0,0,173,0",
        "White,188,0,188,0,0",
        "other,379,0,0,0,379",
    ] {
        assert!(races.lines().any(|l| l == row), "{row} in {races}");
    }
}

/// A folder holding an import (its label columns are non-nullable) beside a table without some
/// of them reads as one table: the missing columns are NULL on the other table's rows, and the
/// study runs on the folder. (Before, every query on such a column failed.)
#[test]
fn a_folder_of_tables_with_different_columns_reads_the_missing_ones_as_null() {
    let dir = tempfile::tempdir().unwrap();
    let tables = dir.path().join("tables");
    for (format, file, dataset, kind) in [
        ("lfwa", "annotations/lfwa_att_73.csv", "lfw", "real"),
        (
            "styleflow",
            "annotations/styleflow_stylegan2_faceapi.csv",
            "styleflow",
            "synthetic",
        ),
    ] {
        macsql()
            .args(["import", "--format", format])
            .arg(shared_data(file))
            .args(["--dataset", dataset, "--kind", kind, "-o"])
            .arg(tables.join(format!("{dataset}.parquet")))
            .assert()
            .success();
    }
    let data = format!("t={}", tables.display());
    macsql()
        .args(["--data", &data, "-q", "--format", "csv", "-c"])
        .arg("SELECT dataset, count(*) AS n, count(\"Asian\") AS asian, attr_hist(\"Asian\") AS h FROM t GROUP BY dataset ORDER BY dataset")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("dataset,n,asian,h\nlfw,8792,8792,"))
        .stdout(predicate::str::ends_with("styleflow,1000,0,{}\n"));
    macsql()
        .args([
            "--data",
            &data.replacen("t=", "demo=", 1),
            "-q",
            "--format",
            "csv",
            "-f",
        ])
        .arg(query_file("study.sql"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "attributes_compared,not_annotated,not_in_the_table\n",
        ));
}
