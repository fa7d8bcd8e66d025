//! polars in, SQL, polars out: register two annotation tables built in polars, compare the
//! share of positive labels per attribute between them, get the comparison back as a polars
//! `DataFrame`, and time the conversions.
//!
//! `cargo run --example polars_roundtrip --features polars [-- ROWS]` (ROWS defaults to 1000000;
//! the timings of a debug build are much slower than a release build's).

use std::time::Instant;

use macsql::Engine;
use polars::prelude::*;

/// A synthetic annotation table in macsql's layout: Int8 labels and Float32 probabilities.
fn annotations(dataset: &str, rows: usize, male_every: usize) -> PolarsResult<DataFrame> {
    let male: Vec<i8> = (0..rows)
        .map(|i| if i % male_every == 0 { 1 } else { -1 })
        .collect();
    let male_p: Vec<f32> = male.iter().map(|&m| if m == 1 { 0.9 } else { 0.2 }).collect();
    let smiling: Vec<i8> = (0..rows).map(|i| if i % 3 == 0 { -1 } else { 1 }).collect();
    let path: Vec<String> = (0..rows).map(|i| format!("{dataset}/{i:07}.png")).collect();
    df!(
        "path" => path,
        "dataset" => vec![dataset; rows],
        "Male" => male,
        "Male_p" => male_p,
        "Smiling" => smiling,
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|e| format!("ROWS must be a number: {e}"))?,
        None => 1_000_000,
    };
    let real = annotations("ffhq", rows, 2)?;
    let synthetic = annotations("stylegan2", rows, 3)?;

    let engine = Engine::new();
    let start = Instant::now();
    engine.register_dataframe("real", &real)?;
    engine.register_dataframe("synthetic", &synthetic)?;
    let to_engine = start.elapsed();

    let comparison = engine
        .sql_to_dataframe(
            "SELECT dataset, avg(CASE WHEN Male = 1 THEN 1.0 ELSE 0.0 END) AS male_share, \
                    avg(CASE WHEN Smiling = 1 THEN 1.0 ELSE 0.0 END) AS smiling_share \
             FROM (SELECT * FROM real UNION ALL SELECT * FROM synthetic) \
             GROUP BY dataset ORDER BY dataset",
        )
        .await?;
    println!("{comparison}");

    let start = Instant::now();
    let everything = engine.sql_to_dataframe("SELECT * FROM real").await?;
    let to_polars = start.elapsed();
    assert_eq!(everything.height(), rows);
    assert_eq!(everything.column("Male")?.dtype(), &DataType::Int8);
    assert_eq!(everything.column("Male_p")?.dtype(), &DataType::Float32);

    let per_million = |d: std::time::Duration| d.as_secs_f64() * 1e3 * 1e6 / (2 * rows) as f64;
    println!(
        "{} build: polars -> engine {:.2} ms per million rows (2 tables of {rows} rows), \
         engine -> polars (SELECT * incl. the scan) {:.2} ms per million rows",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        per_million(to_engine),
        to_polars.as_secs_f64() * 1e3 * 1e6 / rows as f64,
    );
    Ok(())
}
