//! polars `DataFrame`s in and out of the engine (feature `polars`): a few million rows of the
//! annotation types cross both ways with their values and types intact, and without copies of
//! the fixed-width buffers.
#![cfg(feature = "polars")]

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float32Array, Int8Array, Int64Array, MapArray, RecordBatch, StringArray,
    StringViewArray, StructArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use macsql::Engine;
use macsql::{dataframe_to_record_batches, record_batches_to_dataframe};
use polars::prelude::DataType as PlType;

const ROWS: usize = 2_000_000;
const BATCH: usize = 250_000;

/// The label of row `i` for attribute `Male`: 1, 0 or -1.
fn label(i: usize) -> i8 {
    (i % 3) as i8 - 1
}

/// A histogram value like `attr_hist`'s: label -> count.
fn histogram(offsets_rows: usize, first: usize) -> MapArray {
    let keys = Int8Array::from_iter_values((0..offsets_rows * 3).map(|j| 1 - (j % 3) as i8));
    let values = Int64Array::from_iter_values((0..offsets_rows * 3).map(|j| (first * 3 + j) as i64));
    let entry_fields = Fields::from(vec![
        Field::new("key", DataType::Int8, false),
        Field::new("value", DataType::Int64, true),
    ]);
    let entries = StructArray::try_new(
        entry_fields.clone(),
        vec![Arc::new(keys) as ArrayRef, Arc::new(values)],
        None,
    )
    .unwrap();
    let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(3, offsets_rows));
    MapArray::try_new(
        Arc::new(Field::new("entries", DataType::Struct(entry_fields), false)),
        offsets,
        entries,
        None,
        false,
    )
    .unwrap()
}

fn annotation_batches() -> (SchemaRef, Vec<RecordBatch>) {
    let bbox = Fields::from(vec![
        Field::new("x", DataType::Float32, true),
        Field::new("y", DataType::Float32, true),
    ]);
    let hist = histogram(1, 0);
    let schema = Arc::new(Schema::new(vec![
        Field::new("Male", DataType::Int8, true),
        Field::new("Male_p", DataType::Float32, true),
        Field::new("image", DataType::Utf8, true),
        Field::new("dataset", DataType::Utf8View, true),
        Field::new("has_face", DataType::Boolean, true),
        Field::new("bbox", DataType::Struct(bbox.clone()), true),
        Field::new("hist", hist.data_type().clone(), true),
    ]));
    let mut batches = Vec::new();
    for start in (0..ROWS).step_by(BATCH) {
        let rows = start..start + BATCH;
        let male = Int8Array::from_iter(rows.clone().map(|i| (i % 1000 != 7).then(|| label(i))));
        let p = Float32Array::from_iter_values(rows.clone().map(|i| (i % 100) as f32 / 100.0));
        let image = StringArray::from_iter_values(rows.clone().map(|i| format!("img_{i:07}.png")));
        let dataset = StringViewArray::from_iter_values(rows.clone().map(|i| {
            if i % 2 == 0 {
                "ffhq"
            } else {
                "stylegan2_generated_faces"
            }
        }));
        let face = BooleanArray::from_iter(rows.clone().map(|i| Some(!i.is_multiple_of(5))));
        let x = Float32Array::from_iter_values(rows.clone().map(|i| i as f32));
        let y = Float32Array::from_iter_values(rows.clone().map(|i| -(i as f32)));
        let bbox_arr =
            StructArray::try_new(bbox.clone(), vec![Arc::new(x) as ArrayRef, Arc::new(y)], None).unwrap();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(male),
            Arc::new(p),
            Arc::new(image),
            Arc::new(dataset),
            Arc::new(face),
            Arc::new(bbox_arr),
            Arc::new(histogram(BATCH, start)),
        ];
        batches.push(RecordBatch::try_new(schema.clone(), columns).unwrap());
    }
    (schema, batches)
}

#[tokio::test]
async fn millions_of_annotation_rows_round_trip_with_values_and_types() {
    let (schema, batches) = annotation_batches();
    let engine = Engine::new();
    engine.register_batches("faces", schema.clone(), batches).unwrap();

    // Engine -> polars.
    let df = engine.sql_to_dataframe("SELECT * FROM faces").await.unwrap();
    assert_eq!(df.height(), ROWS);
    let dtype = |name: &str| df.column(name).unwrap().dtype().clone();
    assert_eq!(dtype("Male"), PlType::Int8);
    assert_eq!(dtype("Male_p"), PlType::Float32);
    assert_eq!(dtype("image"), PlType::String);
    assert_eq!(dtype("dataset"), PlType::String);
    assert_eq!(dtype("has_face"), PlType::Boolean);
    assert!(
        matches!(dtype("bbox"), PlType::Struct(ref f) if f.len() == 2),
        "{:?}",
        dtype("bbox")
    );
    // A Map is a list of {key, value} structs in polars.
    assert!(
        matches!(dtype("hist"), PlType::List(ref inner) if matches!(**inner, PlType::Struct(_))),
        "{:?}",
        dtype("hist")
    );

    // Values: each row carries its index in `image`, whatever order the engine returned.
    let mut whole = df.clone();
    whole.rechunk_mut();
    let image = whole.column("image").unwrap().str().unwrap().clone();
    let male = whole.column("Male").unwrap().i8().unwrap().clone();
    let p = whole.column("Male_p").unwrap().f32().unwrap().clone();
    let face = whole.column("has_face").unwrap().bool().unwrap().clone();
    for row in [0, 1, 7, 999_999, ROWS - 1] {
        let i: usize = image.get(row).unwrap()[4..11].parse().unwrap();
        let want = (i % 1000 != 7).then(|| label(i));
        assert_eq!(male.get(row), want, "Male at image {i}");
        assert_eq!(p.get(row), Some((i % 100) as f32 / 100.0));
        assert_eq!(face.get(row), Some(!i.is_multiple_of(5)));
    }
    let male_sum: i64 = (0..male.len()).filter_map(|i| male.get(i)).map(i64::from).sum();
    let want_sum: i64 = (0..ROWS)
        .filter(|i| i % 1000 != 7)
        .map(|i| i64::from(label(i)))
        .sum();
    assert_eq!(male_sum, want_sum);
    assert_eq!(whole.column("Male").unwrap().null_count(), ROWS / 1000);

    // polars -> engine: the same table comes back with the engine's types (strings as views).
    engine.register_dataframe("back", &df).unwrap();
    let back_schema = engine.table_schema("back").await.unwrap();
    let types: Vec<(String, DataType)> = back_schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    assert_eq!(types[0], ("Male".into(), DataType::Int8));
    assert_eq!(types[1], ("Male_p".into(), DataType::Float32));
    assert_eq!(types[2], ("image".into(), DataType::Utf8View));
    assert_eq!(types[3], ("dataset".into(), DataType::Utf8View));
    assert_eq!(types[4], ("has_face".into(), DataType::Boolean));
    assert!(matches!(types[5].1, DataType::Struct(_)), "{:?}", types[5]);
    assert!(matches!(types[6].1, DataType::Map(_, _)), "{:?}", types[6]);

    let compare = "SELECT count(*) AS n, sum(CAST(Male AS BIGINT)) AS male, count(Male) AS labelled, \
                   sum(CAST(Male_p AS DOUBLE)) AS p, count(DISTINCT image) AS images, \
                   sum(CASE WHEN has_face THEN 1 ELSE 0 END) AS faces, \
                   sum(CAST(bbox['x'] AS DOUBLE)) AS bx, \
                   sum(array_length(map_keys(hist))) AS hist_keys, \
                   sum(map_extract(hist, CAST(-1 AS TINYINT))[1]) AS minus_one, \
                   sum(CASE WHEN dataset = 'ffhq' THEN 1 ELSE 0 END) AS ffhq FROM ";
    let original = engine.sql_collect(&format!("{compare} faces")).await.unwrap();
    let returned = engine.sql_collect(&format!("{compare} back")).await.unwrap();
    let show = |b: &[RecordBatch]| arrow::util::pretty::pretty_format_batches(b).unwrap().to_string();
    assert_eq!(show(&returned), show(&original));
    assert!(show(&original).contains(&ROWS.to_string()), "{}", show(&original));
}

#[test]
fn fixed_width_columns_cross_without_a_copy() {
    let (schema, batches) = annotation_batches();
    let batches = &batches[..1];
    let arrow_ptr = |b: &RecordBatch, i: usize| b.column(i).to_data().buffers()[0].as_ptr();
    let df = record_batches_to_dataframe(&schema, batches).unwrap();
    let polars_ptr = |name: &str| {
        let s = df.column(name).unwrap().as_materialized_series().clone();
        let chunk = s.chunks()[0].clone();
        match name {
            "Male" => chunk
                .as_any()
                .downcast_ref::<polars_arrow::array::PrimitiveArray<i8>>()
                .unwrap()
                .values()
                .as_ptr() as *const u8,
            _ => chunk
                .as_any()
                .downcast_ref::<polars_arrow::array::PrimitiveArray<f32>>()
                .unwrap()
                .values()
                .as_ptr() as *const u8,
        }
    };
    assert_eq!(polars_ptr("Male"), arrow_ptr(&batches[0], 0));
    assert_eq!(polars_ptr("Male_p"), arrow_ptr(&batches[0], 1));

    let (_, back) = dataframe_to_record_batches(&df).unwrap();
    assert_eq!(arrow_ptr(&back[0], 0), arrow_ptr(&batches[0], 0));
    assert_eq!(arrow_ptr(&back[0], 1), arrow_ptr(&batches[0], 1));
}

#[tokio::test]
async fn unsupported_types_name_the_column() {
    let engine = Engine::new();
    let err = engine
        .sql_to_dataframe("SELECT DATE '2024-01-01' AS taken")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("'taken'") && err.contains("CAST"), "{err}");
}
