//! The report's face-embedding section: when the compared tables carry face embeddings
//! (`macsql annotate`'s `embedding` column), how each synthetic set sits in the real sets'
//! embedding space (`compare_embeddings`: Fréchet distance, precision / recall / density /
//! coverage, the copy check), how consistent and separable its identities are
//! (`identity_stats`), and the synthetic faces closest to a real face, as small inline
//! thumbnails side by side.

use std::collections::BTreeMap;
use std::io::Cursor;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};

use super::ReportError;
use super::html::{Cell, Table};
use crate::engine::Engine;
use crate::functions::embedding::vectors::is_embedding_type;
use crate::functions::table_source::ident;

/// How many closest synthetic-to-real pairs the page shows (two thumbnails each).
pub const MAX_PAIRS: usize = 8;
/// Thumbnail size (the longer side, pixels).
const THUMB: u32 = 72;
/// `compare_embeddings` options of the report: a seeded sample keeps the page quick.
pub const OPTIONS: &str = "sample=2000, bootstrap=100, seed=42";

/// One synthetic face and the real face nearest to it.
#[derive(Debug, Clone)]
pub struct ClosePair {
    /// The synthetic dataset and image.
    pub synthetic: (String, String),
    /// The real dataset and image.
    pub real: (String, String),
    /// Their cosine similarity.
    pub similarity: f64,
    /// The two images as data URIs (None when an image could not be read).
    pub thumbnails: (Option<String>, Option<String>),
}

/// What the section shows.
#[derive(Debug, Clone)]
pub struct EmbeddingFigures {
    /// `compare_embeddings` rows (real P against synthetic Q when kinds are known).
    pub comparisons: Table,
    /// `identity_stats` rows, when the tables have identities.
    pub identities: Option<Table>,
    /// The closest synthetic-to-real pairs, most similar first.
    pub pairs: Vec<ClosePair>,
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

async fn collect(engine: &Engine, sql: &str) -> Result<Vec<RecordBatch>, ReportError> {
    Ok(engine.context().sql(sql).await?.collect().await?)
}

fn text(b: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let c = b.column_by_name(name)?;
    if c.is_null(row) {
        return None;
    }
    let c = arrow::compute::cast(c, &DataType::Utf8).ok()?;
    Some(c.as_string::<i32>().value(row).to_string())
}

fn number(b: &RecordBatch, name: &str, row: usize) -> Option<f64> {
    let c = arrow::compute::cast(b.column_by_name(name)?, &DataType::Float64).ok()?;
    let c = c.as_primitive::<Float64Type>();
    c.is_valid(row).then(|| c.value(row))
}

/// The batches as a table: numbers to three decimals (integers as they are), text as it is.
fn table_of(batches: &[RecordBatch]) -> Table {
    let Some(first) = batches.first() else {
        return Table::default();
    };
    let schema = first.schema();
    let headers: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut t = Table::new(&headers);
    for b in batches {
        for r in 0..b.num_rows() {
            let row = schema
                .fields()
                .iter()
                .map(|f| {
                    let dt = f.data_type();
                    if dt.is_integer() {
                        Cell::num(number(b, f.name(), r), |v| format!("{v:.0}"))
                    } else if dt.is_floating() {
                        Cell::num(number(b, f.name(), r), |v| format!("{v:.3}"))
                    } else {
                        Cell::text(text(b, f.name(), r).unwrap_or_default())
                    }
                })
                .collect();
            t.rows.push(row);
        }
    }
    t
}

/// A small JPEG of the image at `path` as a data URI (local files only).
fn thumbnail(path: &str) -> Option<String> {
    if path.contains("://") {
        return None;
    }
    let img = image::open(path).ok()?.thumbnail(THUMB, THUMB).to_rgb8();
    let mut bytes = Vec::new();
    img.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .ok()?;
    Some(format!("data:image/jpeg;base64,{}", base64(&bytes)))
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether `src` has an embedding column (and the `path` column the thumbnails need).
pub async fn has_embeddings(engine: &Engine, src: &str) -> Result<bool, ReportError> {
    let df = engine
        .context()
        .sql(&format!("SELECT * FROM {} LIMIT 0", ident(src)))
        .await?;
    let schema = df.schema().as_arrow().clone();
    Ok(schema
        .field_with_name("embedding")
        .is_ok_and(|f| is_embedding_type(f.data_type())))
}

/// Gathers the section's figures from `src` (a table or view with `by`, `embedding`, `path`
/// and maybe `identity`); `kinds` maps datasets to `real` / `synthetic`.
pub async fn gather(
    engine: &Engine,
    src: &str,
    by: &str,
    kinds: &BTreeMap<String, String>,
    has_identity: bool,
) -> Result<Option<EmbeddingFigures>, ReportError> {
    if !has_embeddings(engine, src).await? {
        return Ok(None);
    }
    let of_kind = |k: &str| -> Vec<String> {
        kinds
            .iter()
            .filter(|(_, v)| v.as_str() == k)
            .map(|(d, _)| literal(d))
            .collect()
    };
    let (real, synthetic) = (of_kind("real"), of_kind("synthetic"));
    let pair_filter = if real.is_empty() || synthetic.is_empty() {
        String::new()
    } else {
        format!(
            " WHERE dataset_p IN ({}) AND dataset_q IN ({})",
            real.join(", "),
            synthetic.join(", ")
        )
    };
    let sql = format!(
        "SELECT dataset_p, dataset_q, n_p, n_q, fd, fd_lo, fd_hi, precision, recall, density, \
         coverage, copy_threshold, copy_share, note FROM compare_embeddings({}, {}, {}){pair_filter} \
         ORDER BY dataset_p, dataset_q",
        literal(src),
        literal(by),
        literal(OPTIONS)
    );
    let comparisons = table_of(&collect(engine, &sql).await?);
    let identities = if has_identity {
        let sql = format!(
            "SELECT dataset, identities, images, images_per_identity_mean, genuine_mean, \
             impostor_mean, d_prime, eer, tar_at_far_1e3, uniqueness, consistency, note \
             FROM identity_stats({}, {}, 'identity') WHERE identities > 1 ORDER BY dataset",
            literal(src),
            literal(by)
        );
        let t = table_of(&collect(engine, &sql).await?);
        (!t.rows.is_empty()).then_some(t)
    } else {
        None
    };
    let mut pairs = Vec::new();
    if !real.is_empty() && !synthetic.is_empty() {
        let col = ident(by);
        let gallery = format!(
            "SELECT {col} AS real_dataset, path, embedding FROM {} WHERE {col} IN ({}) AND embedding IS NOT NULL",
            ident(src),
            real.join(", ")
        );
        let queries = format!(
            "SELECT path, embedding FROM {} WHERE {col} IN ({}) AND embedding IS NOT NULL",
            ident(src),
            synthetic.join(", ")
        );
        let sql = format!(
            "SELECT n.query_path, q.{col} AS synthetic_dataset, n.real_dataset, n.path, n.similarity \
             FROM nearest_faces({}, {}, 1) n JOIN (SELECT DISTINCT path, {col} FROM {}) q \
             ON q.path = n.query_path ORDER BY n.similarity DESC LIMIT {MAX_PAIRS}",
            literal(&gallery),
            literal(&queries),
            ident(src)
        );
        for b in collect(engine, &sql).await? {
            for r in 0..b.num_rows() {
                let synthetic_path = text(&b, "query_path", r).unwrap_or_default();
                let real_path = text(&b, "path", r).unwrap_or_default();
                pairs.push(ClosePair {
                    thumbnails: (thumbnail(&synthetic_path), thumbnail(&real_path)),
                    synthetic: (
                        text(&b, "synthetic_dataset", r).unwrap_or_default(),
                        synthetic_path,
                    ),
                    real: (text(&b, "real_dataset", r).unwrap_or_default(), real_path),
                    similarity: number(&b, "similarity", r).unwrap_or(f64::NAN),
                });
            }
        }
    }
    Ok(Some(EmbeddingFigures {
        comparisons,
        identities,
        pairs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
