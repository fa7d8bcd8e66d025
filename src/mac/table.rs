//! Arrow layout of MAC results (see `crate::annotations`): the attribute columns of a bundle
//! and the rows of an annotation table.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float32Array, Int8Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::classifier::Scores;
use super::manifest::Bundle;
use crate::annotations::{meta, probability_column};

/// The attribute columns of `bundle`: `Name` Int8 label and `Name_p` Float32 probability for
/// each probability attribute (manifest order), then the numeric estimates (Float32).
pub fn attribute_fields(bundle: &Bundle) -> Vec<Field> {
    let mut fields = Vec::new();
    for a in bundle.attributes.iter().filter(|a| a.band.is_some()) {
        fields.push(Field::new(&a.name, DataType::Int8, true));
        fields.push(Field::new(probability_column(&a.name), DataType::Float32, true));
    }
    for a in bundle.attributes.iter().filter(|a| a.band.is_none()) {
        fields.push(Field::new(&a.name, DataType::Float32, true));
    }
    fields
}

/// The attribute columns (same order as [`attribute_fields`]) for rows of scores; `None`
/// (an image that could not be read) and NaN values become NULL.
pub fn attribute_arrays(bundle: &Bundle, scores: &[Option<&Scores>]) -> Vec<ArrayRef> {
    let value = |s: &Option<&Scores>, j: usize| s.and_then(|s| s.get(j).copied()).filter(|v| !v.is_nan());
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (j, a) in bundle.attributes.iter().enumerate() {
        if let Some(band) = a.band {
            let labels: Int8Array = scores
                .iter()
                .map(|s| value(s, j).map(|p| band.label(p)))
                .collect();
            let probs: Float32Array = scores.iter().map(|s| value(s, j)).collect();
            arrays.push(Arc::new(labels));
            arrays.push(Arc::new(probs));
        }
    }
    for (j, a) in bundle.attributes.iter().enumerate() {
        if a.band.is_none() {
            let vals: Float32Array = scores.iter().map(|s| value(s, j)).collect();
            arrays.push(Arc::new(vals));
        }
    }
    arrays
}

/// One annotated image.
#[derive(Debug, Clone)]
pub struct Row {
    /// Image path as listed.
    pub path: String,
    /// Identity (from the parent folder or a CSV column), if known.
    pub identity: Option<String>,
    /// Attribute values, `None` when the image could not be read.
    pub scores: Option<Scores>,
    /// Why the image could not be read.
    pub error: Option<String>,
}

/// The schema of an annotation table written by `macsql annotate`, with `metadata`.
pub fn schema(bundle: &Bundle, metadata: HashMap<String, String>) -> SchemaRef {
    let mut fields = vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("dataset", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("identity", DataType::Utf8, true),
    ];
    fields.extend(attribute_fields(bundle));
    fields.push(Field::new("error", DataType::Utf8, true));
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// The key-value metadata of an annotation table.
pub fn metadata(bundle: &Bundle, command: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    m.insert(meta::VERSION.into(), env!("CARGO_PKG_VERSION").into());
    m.insert(meta::SOURCE.into(), format!("mac:{}", bundle.name));
    m.insert(meta::CREATED.into(), crate::annotations::created_now());
    m.insert(meta::COMMAND.into(), command.into());
    m.insert(meta::BANDS.into(), bundle.bands_json());
    m.insert("macsql.bundle".into(), bundle.name.clone());
    m.insert("macsql.bundle_hash".into(), bundle.hash.clone());
    m.insert("macsql.models".into(), bundle.models_json());
    m
}

/// Builds a record batch of `rows` for `schema`.
pub fn batch(
    schema: &SchemaRef,
    bundle: &Bundle,
    dataset: &str,
    kind: &str,
    rows: &[Row],
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let n = rows.len();
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.path.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(dataset, n))),
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(kind, n))),
        Arc::new(
            rows.iter()
                .map(|r| r.identity.as_deref())
                .collect::<StringArray>(),
        ),
    ];
    let scores: Vec<Option<&Scores>> = rows.iter().map(|r| r.scores.as_ref()).collect();
    cols.extend(attribute_arrays(bundle, &scores));
    cols.push(Arc::new(
        rows.iter().map(|r| r.error.as_deref()).collect::<StringArray>(),
    ));
    RecordBatch::try_new(schema.clone(), cols)
}
