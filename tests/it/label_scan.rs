//! Label scans (filtered scans of Parquet tables decoded by macsql: registered files and
//! folders, `FROM 'file'`, `CREATE EXTERNAL TABLE`) return exactly what DataFusion's own Parquet
//! reader returns, for every writer layout and filter shape.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float32Array, Int8Array, Int16Array, Int64Array, RecordBatch, StringArray, UInt8Array,
};
use arrow::util::pretty::pretty_format_batches;
use macsql::Engine;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};

/// An annotation table: labels -1 / 0 / 1 (some NULL), other integer widths, strings, floats.
fn annotations(rows: usize) -> RecordBatch {
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let (mut dataset, mut male, mut senior, mut asian, mut smiling, mut age, mut big) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..rows {
        let r = next();
        dataset.push(["ffhq", "stylegan2", "idiff-face"][(r % 3) as usize]);
        male.push((r % 13 != 0).then_some((r / 3 % 3) as i8 - 1));
        senior.push(if i % 1_000 < 300 { 1 } else { (r / 9 % 3) as i8 - 1 });
        asian.push((r / 27 % 3) as i16 - 1);
        smiling.push((r / 81 % 2) as u8);
        age.push((r % 7 != 0).then_some((r % 80) as f32));
        big.push(i64::from(r % 5));
    }
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("dataset", Arc::new(StringArray::from(dataset))),
        ("Male", Arc::new(Int8Array::from(male))),
        ("Senior", Arc::new(Int8Array::from(senior))),
        ("Asian", Arc::new(Int16Array::from(asian))),
        ("Smiling", Arc::new(UInt8Array::from(smiling))),
        ("age", Arc::new(Float32Array::from(age))),
        ("big", Arc::new(Int64Array::from(big))),
    ];
    RecordBatch::try_from_iter(cols).unwrap()
}

const QUERIES: &[&str] = &[
    "SELECT dataset, count(*) AS n, sum(\"Male\"), sum(\"Senior\"), sum(\"Asian\"), sum(\"Smiling\"), sum(age), sum(big) \
     FROM T WHERE \"Male\" = 1 AND \"Senior\" = -1 GROUP BY dataset ORDER BY dataset",
    "SELECT count(*) FROM T WHERE \"Asian\" IN (1, -1) AND \"Smiling\" = 1",
    "SELECT count(*), sum(age) FROM T WHERE \"Male\" = 0 OR \"Male\" = -1",
    "SELECT dataset, count(*) FROM T WHERE \"Male\" = 1 AND age > 40 GROUP BY dataset ORDER BY dataset",
    "SELECT count(*) FROM T WHERE \"Male\" = 5",
    "SELECT count(*), sum(\"Asian\") FROM T WHERE big = 3 AND \"Senior\" = 1",
    "SELECT count(*) FROM (SELECT * FROM T WHERE \"Senior\" = 1 LIMIT 7)",
    "SELECT * FROM T WHERE \"Male\" = -1 AND \"Asian\" = 1 AND \"Smiling\" = 0 ORDER BY dataset, age, big, \"Senior\" LIMIT 20",
    "SELECT dataset, attr_hist(\"Male\") AS h FROM T WHERE \"Senior\" = 1 GROUP BY dataset ORDER BY dataset",
    // A sparse selection over a column with NULLs.
    "SELECT dataset, attr_hist(\"Male\") AS h, count(\"Male\"), sum(\"Male\") FROM T \
     WHERE \"Asian\" = 1 AND \"Smiling\" = 1 GROUP BY dataset ORDER BY dataset",
];

fn layouts() -> Vec<(&'static str, WriterProperties)> {
    let b = || WriterProperties::builder().set_max_row_group_row_count(Some(4_000));
    vec![
        ("dictionary", b().build()),
        (
            "plain-zstd",
            b().set_dictionary_enabled(false)
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .build(),
        ),
        (
            "v2-snappy-small-pages",
            b().set_writer_version(WriterVersion::PARQUET_2_0)
                .set_compression(Compression::SNAPPY)
                .set_data_page_row_count_limit(250)
                .set_write_batch_size(125)
                .build(),
        ),
    ]
}

async fn text(engine: &Engine, sql: &str) -> String {
    let batches = engine
        .sql_collect(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    pretty_format_batches(&batches).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_scans_match_datafusion_on_every_layout() {
    let dir = tempfile::tempdir().unwrap();
    let data = annotations(10_000);
    for (name, props) in layouts() {
        let path = dir.path().join(format!("{name}.parquet"));
        let mut w =
            ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), data.schema(), Some(props)).unwrap();
        w.write(&data).unwrap();
        w.close().unwrap();

        let engine = Engine::new();
        engine.register_path(&path, Some("labels")).await.unwrap();
        // DataFusion's own reader over the same file, for reference.
        let reference = Engine::new();
        reference.register_path(&path, Some("labels")).await.unwrap();
        text(&reference, "SET macsql.label_scans = false").await;
        let explain = QUERIES[0]
            .replace(" T ", " labels ")
            .replacen("SELECT", "EXPLAIN SELECT", 1);
        let plan = text(&engine, &explain).await;
        assert!(plan.contains("LabelScanExec"), "{name}: {plan}");
        let plan = text(&reference, &explain).await;
        assert!(!plan.contains("LabelScanExec"), "{name}: {plan}");
        for q in QUERIES {
            let q = q.replace(" T ", " labels AS T ");
            assert_eq!(text(&engine, &q).await, text(&reference, &q).await, "{name}: {q}");
        }
    }
}

/// Writes `batch` to `path` (folders made) in row groups of 1,000 rows.
fn write_parquet(path: &std::path::Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(1_000))
        .build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_folders_url_tables_and_external_tables_get_label_scans() {
    let dir = tempfile::tempdir().unwrap();
    let data = annotations(6_000);
    // The same rows as one file and as a hive-partitioned folder of three files.
    let single = dir.path().join("all.parquet");
    write_parquet(&single, &data);
    let folder = dir.path().join("parts");
    for (k, source) in ["ffhq", "celeba", "stylegan"].iter().enumerate() {
        let part = data.slice(k * 2_000, 2_000);
        write_parquet(
            &folder.join(format!("source={source}/split=a/part.parquet")),
            &part,
        );
    }
    let engine = Engine::new();
    engine.register_path(&single, Some("one")).await.unwrap();
    engine.register_path(&folder, Some("folder")).await.unwrap();
    let quoted = |p: &std::path::Path| p.display().to_string().replace('\'', "''");
    text(
        &engine,
        &format!(
            "CREATE EXTERNAL TABLE ext STORED AS PARQUET LOCATION '{}/'",
            quoted(&folder)
        ),
    )
    .await;
    let reference = Engine::new();
    reference.register_path(&single, Some("one")).await.unwrap();
    text(&reference, "SET macsql.label_scans = false").await;

    let sources = [
        "folder".to_string(),
        "ext".to_string(),
        format!("'{}'", quoted(&single)),
        format!("'{}/'", quoted(&folder)),
    ];
    for src in &sources {
        let plan = text(
            &engine,
            &format!("EXPLAIN SELECT count(*) FROM {src} WHERE \"Male\" = 1"),
        )
        .await;
        assert!(plan.contains("LabelScanExec"), "{src}: {plan}");
        for original in QUERIES {
            // The folder's partition columns are not in the single file.
            let q = if src.contains(".parquet") {
                original.to_string()
            } else {
                original.replace("SELECT * FROM", "SELECT * EXCLUDE (source, split) FROM")
            };
            let got = text(&engine, &q.replace(" T ", &format!(" {src} AS T "))).await;
            let want = text(&reference, &original.replace(" T ", " one AS T ")).await;
            assert_eq!(got, want, "{src}: {q}");
        }
    }
    // A filter on a partition column reads only that partition's file, and the partition
    // columns come back as values.
    let plan = text(
        &engine,
        "EXPLAIN SELECT count(*) FROM folder WHERE source = 'celeba' AND \"Male\" = 1",
    )
    .await;
    assert!(plan.contains("file=") && plan.contains("source=celeba"), "{plan}");
    let got = engine
        .sql_collect(
            "SELECT CAST(source AS VARCHAR) AS source, CAST(split AS VARCHAR) AS split, count(*) AS n \
             FROM folder WHERE source <> 'ffhq' AND \"Male\" = 1 GROUP BY source, split ORDER BY source",
        )
        .await
        .unwrap();
    let got = arrow::compute::concat_batches(&got[0].schema(), &got).unwrap();
    let column = |name: &str| {
        arrow::compute::cast(
            got.column_by_name(name).unwrap(),
            &arrow::datatypes::DataType::Utf8,
        )
        .unwrap()
    };
    let (source, split, n) = (column("source"), column("split"), column("n"));
    let strings = |a: &ArrayRef| -> Vec<String> {
        let a = a.as_any().downcast_ref::<StringArray>().unwrap();
        a.iter().map(|v| v.unwrap().to_string()).collect()
    };
    let males = |b: RecordBatch| {
        let male = b.column_by_name("Male").unwrap();
        let male = male.as_any().downcast_ref::<Int8Array>().unwrap();
        male.iter().filter(|v| *v == Some(1)).count().to_string()
    };
    assert_eq!(strings(&source), ["celeba", "stylegan"]);
    assert_eq!(strings(&split), ["a", "a"]);
    assert_eq!(
        strings(&n),
        [males(data.slice(2_000, 2_000)), males(data.slice(4_000, 2_000))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfiltered_scans_stay_with_datafusion() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.parquet");
    let data = annotations(100);
    let mut w = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), data.schema(), None).unwrap();
    w.write(&data).unwrap();
    w.close().unwrap();
    let engine = Engine::new();
    engine.register_path(&path, Some("a")).await.unwrap();
    let plan = text(&engine, "EXPLAIN SELECT count(*) FROM a WHERE age > 3").await;
    assert!(
        !plan.contains("LabelScanExec") && plan.contains("DataSourceExec"),
        "{plan}"
    );
    let plan = text(&engine, "EXPLAIN SELECT count(*) FROM a WHERE \"Male\" = 1").await;
    assert!(
        plan.contains("LabelScanExec: file=") && plan.contains("filters=[Male IN (1)]"),
        "{plan}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_replaced_by_another_schema_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.parquet");
    let data = annotations(100);
    let write = |batch: &RecordBatch| {
        let mut w =
            ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
    };
    write(&data);
    let engine = Engine::new();
    engine.register_path(&path, Some("a")).await.unwrap();
    write(&data.project(&[0, 2]).unwrap());
    let err = engine
        .sql_collect("SELECT count(*) FROM a WHERE \"Senior\" = 1 AND \"Male\" = 1")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("a.parquet") && msg.contains("changed since it was registered"),
        "{msg}"
    );
}
