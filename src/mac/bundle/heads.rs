//! Linear attribute heads (`read = "linear"`): logistic regressions over the bundle's feature
//! vector (the `features` outputs of its models in manifest order, then the `[regions]`
//! statistics), learned by `macsql train`, stored in one Parquet file next to the manifest.
//!
//! The file has one row per head: `attribute` (Utf8), `bias` (Float64) and `weights`
//! (`List<Float32>`, one per feature, the standardisation folded in so that a head reads raw
//! features), and key-value metadata: `macsql.heads.layout` (JSON list of `{source, width}`:
//! which feature blocks, in order), `macsql.heads.mean` (JSON list: each feature's training
//! mean, which stands in for a feature that cannot be measured, e.g. a region outside the
//! image) and whatever the trainer records (label source, rows, command, time).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Float32Builder, Float64Array, ListBuilder, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Float32Type, Float64Type, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};

/// One block of the feature vector: a model's `features` output or the region statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureBlock {
    /// The model name, or `regions`.
    pub source: String,
    /// Number of features.
    pub width: usize,
}

/// One head: `p = sigmoid(bias + weights · x)` on raw features `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// The attribute it labels.
    pub attribute: String,
    /// Intercept.
    pub bias: f64,
    /// One weight per feature.
    pub weights: Vec<f32>,
}

/// A heads file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Heads {
    /// The feature blocks the heads read, in order.
    pub layout: Vec<FeatureBlock>,
    /// Each feature's training mean (used for features that are NaN).
    pub mean: Vec<f32>,
    /// The heads.
    pub heads: Vec<Head>,
    /// Further key-value metadata (e.g. `macsql.training`).
    pub metadata: BTreeMap<String, String>,
}

const LAYOUT: &str = "macsql.heads.layout";
const MEAN: &str = "macsql.heads.mean";

impl Heads {
    /// The length of the feature vector.
    pub fn width(&self) -> usize {
        self.layout.iter().map(|b| b.width).sum()
    }

    /// The index of the head for `attribute`.
    pub fn find(&self, attribute: &str) -> Option<usize> {
        self.heads.iter().position(|h| h.attribute == attribute)
    }

    /// The probability head `i` gives the feature vector `x` (NaN features read as their mean).
    pub fn probability(&self, i: usize, x: &[f32]) -> f32 {
        let h = &self.heads[i];
        let mut z = h.bias;
        for ((w, v), m) in h.weights.iter().zip(x).zip(&self.mean) {
            let v = if v.is_nan() { *m } else { *v };
            z += f64::from(*w) * f64::from(v);
        }
        (1.0 / (1.0 + (-z).exp())) as f32
    }

    /// Reads a heads file and checks that every head has one weight per feature.
    pub fn read(path: &Path) -> Result<Heads, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| e.to_string())?;
        let mut metadata: BTreeMap<String, String> = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .map(|kv| {
                kv.iter()
                    .filter_map(|k| k.value.clone().map(|v| (k.key.clone(), v)))
                    .collect()
            })
            .unwrap_or_default();
        metadata.remove("ARROW:schema");
        let layout: Vec<FeatureBlock> = metadata
            .remove(LAYOUT)
            .ok_or_else(|| format!("no {LAYOUT} metadata: not a heads file written by macsql train"))
            .and_then(|s| serde_json::from_str(&s).map_err(|e| format!("{LAYOUT}: {e}")))?;
        let mean: Vec<f32> = metadata
            .remove(MEAN)
            .ok_or_else(|| format!("no {MEAN} metadata"))
            .and_then(|s| serde_json::from_str(&s).map_err(|e| format!("{MEAN}: {e}")))?;
        let mut heads = Heads {
            layout,
            mean,
            heads: Vec::new(),
            metadata,
        };
        let width = heads.width();
        if heads.mean.len() != width {
            return Err(format!(
                "{MEAN} has {} values but the layout has {width} features",
                heads.mean.len()
            ));
        }
        let reader = builder.build().map_err(|e| e.to_string())?;
        for batch in reader {
            let batch = batch.map_err(|e| e.to_string())?;
            let col = |name: &str| {
                batch
                    .column_by_name(name)
                    .cloned()
                    .ok_or_else(|| format!("no column '{name}'"))
            };
            let (names, bias, weights) = (col("attribute")?, col("bias")?, col("weights")?);
            let (Some(names), Some(bias), Some(weights)) = (
                names.as_string_opt::<i32>(),
                bias.as_primitive_opt::<Float64Type>(),
                weights.as_list_opt::<i32>(),
            ) else {
                return Err("expected attribute: Utf8, bias: Float64, weights: List<Float32>".into());
            };
            for i in 0..batch.num_rows() {
                let w = weights.value(i);
                let w = w
                    .as_primitive_opt::<Float32Type>()
                    .ok_or("weights must be Float32")?;
                let attribute = names.value(i).to_string();
                if w.len() != width || w.null_count() > 0 {
                    return Err(format!(
                        "head {attribute}: {} weights for {width} features",
                        w.len() - w.null_count()
                    ));
                }
                heads.heads.push(Head {
                    attribute,
                    bias: bias.value(i),
                    weights: w.values().to_vec(),
                });
            }
        }
        Ok(heads)
    }

    /// Writes the heads to `path` atomically (a temporary sibling renamed when complete).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut kv = self.metadata.clone();
        kv.insert(
            LAYOUT.into(),
            serde_json::to_string(&self.layout).map_err(|e| e.to_string())?,
        );
        kv.insert(
            MEAN.into(),
            serde_json::to_string(&self.mean).map_err(|e| e.to_string())?,
        );
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        // The schema's metadata becomes the file's key-value metadata.
        let schema = Arc::new(Schema::new_with_metadata(
            vec![
                Field::new("attribute", DataType::Utf8, false),
                Field::new("bias", DataType::Float64, false),
                Field::new("weights", DataType::List(item.clone()), false),
            ],
            kv.into_iter().collect(),
        ));
        let mut weights = ListBuilder::new(Float32Builder::new()).with_field(item);
        for h in &self.heads {
            weights.values().append_slice(&h.weights);
            weights.append(true);
        }
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(
                    self.heads.iter().map(|h| h.attribute.as_str()),
                )),
                Arc::new(Float64Array::from_iter_values(self.heads.iter().map(|h| h.bias))),
                Arc::new(weights.finish()),
            ],
        )
        .map_err(|e| e.to_string())?;
        crate::annotations::write_parquet_atomic(path, schema, [Ok(batch)])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip_and_nan_features_read_as_their_mean() {
        let heads = Heads {
            layout: vec![
                FeatureBlock {
                    source: "gender".into(),
                    width: 2,
                },
                FeatureBlock {
                    source: "regions".into(),
                    width: 1,
                },
            ],
            mean: vec![0.0, 1.0, 3.0],
            heads: vec![Head {
                attribute: "Eyeglasses".into(),
                bias: -1.0,
                weights: vec![1.0, 0.5, 2.0],
            }],
            metadata: [("macsql.training".to_string(), "{}".to_string())].into(),
        };
        let dir = std::env::temp_dir().join(format!("macsql-heads-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("h.parquet");
        heads.write(&path).unwrap();
        let back = Heads::read(&path).unwrap();
        assert_eq!(back, heads);
        // z = -1 + 1*1 + 0.5*2 + 2*3 (NaN -> mean 3) = 7
        let p = back.probability(0, &[1.0, 2.0, f32::NAN]);
        assert!((p - 1.0 / (1.0 + (-7.0f32).exp())).abs() < 1e-6);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
