//! The columns an importer produces and how they become an annotation table (schema, metadata,
//! record batch) in the shared layout of [`crate::annotations`].

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float32Array, Int8Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::ImportError;
use crate::annotations::{Band, MAAD_ATTRIBUTES, meta, probability_column};

/// An original (source-specific) column kept after the MAAD columns.
#[derive(Debug, Clone)]
pub enum Extra {
    /// Text.
    Text(Vec<Option<String>>),
    /// A number.
    Number(Vec<Option<f32>>),
    /// A boolean.
    Flag(Vec<Option<bool>>),
    /// A label -1 / 0 / 1 that has no MAAD name (CelebA's own attributes).
    Label(Vec<i8>),
}

/// What an importer read: one entry per row in every vector.
#[derive(Debug, Default)]
pub struct Imported {
    /// The image's path or id in the source.
    pub path: Vec<String>,
    /// The identity, where the source has one.
    pub identity: Option<Vec<String>>,
    /// Label columns by MAAD name (written in MAAD order).
    pub labels: HashMap<&'static str, Vec<i8>>,
    /// Probability columns by MAAD name (written as `Name_p` after `Name`).
    pub probabilities: HashMap<&'static str, Vec<Option<f32>>>,
    /// The age estimate in years, where the source has one.
    pub age: Option<Vec<Option<f32>>>,
    /// Original columns, in source order.
    pub extras: Vec<(String, Extra)>,
}

impl Imported {
    /// Rows read.
    pub fn rows(&self) -> usize {
        self.path.len()
    }

    /// The label column of `name`, created (filled with 0) when new.
    pub fn label(&mut self, name: &'static str) -> &mut Vec<i8> {
        self.labels.entry(name).or_default()
    }

    /// Sets label columns `names` to one-hot of `index` (None: all 0 undefined, index past the
    /// end: all -1).
    pub fn one_hot(&mut self, names: &[&'static str], index: Option<usize>) {
        for (i, n) in names.iter().enumerate() {
            let v = match index {
                None => 0,
                Some(k) if k == i => 1,
                Some(_) => -1,
            };
            self.label(n).push(v);
        }
    }

    /// Pushes probability `p` of attribute `name` and its label by `band`.
    pub fn probability(&mut self, name: &'static str, p: Option<f32>, band: Band) {
        self.label(name).push(p.map_or(0, |p| band.label(p)));
        self.probabilities.entry(name).or_default().push(p);
    }
}

/// How the table was made, for its metadata.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// `import:<format>`.
    pub source: String,
    /// The input file.
    pub input: String,
    /// The bands used to turn probabilities into labels.
    pub band: Band,
}

/// Builds the schema and the single record batch of `imported` for `dataset` / `kind`.
pub fn to_batch(
    imported: Imported,
    dataset: &str,
    kind: &str,
    provenance: &Provenance,
) -> Result<(SchemaRef, RecordBatch), ImportError> {
    let n = imported.rows();
    let mut fields = vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("dataset", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("identity", DataType::Utf8, true),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(imported.path)),
        Arc::new(StringArray::from(vec![dataset; n])),
        Arc::new(StringArray::from(vec![kind; n])),
        Arc::new(match imported.identity {
            Some(ids) => StringArray::from(ids),
            None => StringArray::from(vec![None::<&str>; n]),
        }),
    ];
    let mut labels = imported.labels;
    let mut probabilities = imported.probabilities;
    let mut banded = Vec::new();
    for name in MAAD_ATTRIBUTES {
        if let Some(values) = labels.remove(name) {
            fields.push(Field::new(name, DataType::Int8, false));
            columns.push(Arc::new(Int8Array::from(values)));
        }
        if let Some(p) = probabilities.remove(name) {
            fields.push(Field::new(probability_column(name), DataType::Float32, true));
            columns.push(Arc::new(Float32Array::from(p)));
            banded.push(name);
        }
    }
    if let Some(age) = imported.age {
        fields.push(Field::new("age", DataType::Float32, true));
        columns.push(Arc::new(Float32Array::from(age)));
    }
    for (name, extra) in imported.extras {
        let (dt, array): (DataType, ArrayRef) = match extra {
            Extra::Text(v) => (DataType::Utf8, Arc::new(StringArray::from(v))),
            Extra::Number(v) => (DataType::Float32, Arc::new(Float32Array::from(v))),
            Extra::Flag(v) => (DataType::Boolean, Arc::new(BooleanArray::from(v))),
            Extra::Label(v) => (DataType::Int8, Arc::new(Int8Array::from(v))),
        };
        let nullable = !matches!(dt, DataType::Int8);
        fields.push(Field::new(name, dt, nullable));
        columns.push(array);
    }
    let mut metadata =
        crate::annotations::provenance(provenance.source.clone(), crate::annotations::command_line());
    metadata.insert(
        meta::NOTE.to_string(),
        format!("imported from {}", provenance.input),
    );
    if !banded.is_empty() {
        let body: Vec<String> = banded
            .iter()
            .map(|a| {
                format!(
                    "\"{a}\":{{\"lo\":{},\"hi\":{}}}",
                    provenance.band.lo, provenance.band.hi
                )
            })
            .collect();
        metadata.insert(meta::BANDS.to_string(), format!("{{{}}}", body.join(",")));
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok((schema, batch))
}
