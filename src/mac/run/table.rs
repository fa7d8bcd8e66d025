//! Arrow layout of MAC results (see `crate::annotations`): the face columns, the attribute
//! columns of a bundle, and the rows of an annotation table.
//!
//! Face columns (NULL when faces are not detected): `faces` (Int32: faces found in the image),
//! `face_index` (Int32: the labelled face's rank by box area, 0 = largest), `face_score`
//! (Float32), `face_box` (Struct of Float32 `left`, `top`, `right`, `bottom` in source pixels)
//! and `face_landmarks` (List of Struct of Float32 `x`, `y`: the detector's points in source
//! pixels, named in the `macsql.landmarks` metadata).
//!
//! With a bundle that names an `embedding` model, the `embedding` column holds the labelled
//! face's descriptor (`FixedSizeList<Float32>`, L2-normalised; NULL without a face).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, FixedSizeListArray, Float32Array, Int8Array, Int32Array, ListArray, RecordBatch, StringArray,
    StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};

use crate::annotations::{meta, probability_column};
use crate::mac::bundle::manifest::Bundle;
use crate::mac::face::detect::Face;
use crate::mac::infer::classifier::Scores;
use crate::mac::infer::pipeline::{Labelled, Outcome, no_face_message};

/// The fields of `face_box`.
fn box_fields() -> Fields {
    ["left", "top", "right", "bottom"]
        .map(|n| Field::new(n, DataType::Float32, false))
        .to_vec()
        .into()
}

/// The fields of one landmark point.
fn point_fields() -> Fields {
    vec![
        Field::new("x", DataType::Float32, false),
        Field::new("y", DataType::Float32, false),
    ]
    .into()
}

/// The face columns; `with_index` adds `face_index` (annotation tables; `mac_annotate()`
/// returns the largest face only).
pub fn face_fields(with_index: bool) -> Vec<Field> {
    let mut fields = vec![Field::new("faces", DataType::Int32, true)];
    if with_index {
        fields.push(Field::new("face_index", DataType::Int32, true));
    }
    fields.push(Field::new("face_score", DataType::Float32, true));
    fields.push(Field::new("face_box", DataType::Struct(box_fields()), true));
    let point = Field::new("item", DataType::Struct(point_fields()), false);
    fields.push(Field::new(
        "face_landmarks",
        DataType::List(Arc::new(point)),
        true,
    ));
    fields
}

/// What a row knows of its face.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaceCells {
    /// Faces found in the image (`None`: not detected).
    pub faces: Option<usize>,
    /// Rank and face of the labelled face.
    pub face: Option<(usize, Face)>,
}

/// The face columns (same order as [`face_fields`]) of `cells`.
pub fn face_arrays(cells: &[FaceCells], with_index: bool) -> Vec<ArrayRef> {
    let faces: Int32Array = cells.iter().map(|c| c.faces.map(|n| n as i32)).collect();
    let index: Int32Array = cells
        .iter()
        .map(|c| c.face.as_ref().map(|(i, _)| *i as i32))
        .collect();
    let score: Float32Array = cells
        .iter()
        .map(|c| c.face.as_ref().map(|(_, f)| f.score))
        .collect();
    let valid = NullBuffer::from(cells.iter().map(|c| c.face.is_some()).collect::<Vec<bool>>());
    let coord = |k: usize| -> ArrayRef {
        Arc::new(Float32Array::from_iter_values(
            cells
                .iter()
                .map(|c| c.face.as_ref().map_or(0.0, |(_, f)| f.bbox[k])),
        ))
    };
    let bbox = StructArray::new(box_fields(), (0..4).map(coord).collect(), Some(valid.clone()));
    let points: Vec<&[f32; 2]> = cells
        .iter()
        .flat_map(|c| {
            c.face
                .as_ref()
                .map(|(_, f)| f.landmarks.as_slice())
                .unwrap_or(&[])
        })
        .collect();
    let xs = Float32Array::from_iter_values(points.iter().map(|p| p[0]));
    let ys = Float32Array::from_iter_values(points.iter().map(|p| p[1]));
    let structs = StructArray::new(point_fields(), vec![Arc::new(xs), Arc::new(ys)], None);
    let lengths = cells
        .iter()
        .map(|c| c.face.as_ref().map_or(0, |(_, f)| f.landmarks.len()));
    let item = Arc::new(Field::new("item", DataType::Struct(point_fields()), false));
    let landmarks = ListArray::new(
        item,
        OffsetBuffer::from_lengths(lengths),
        Arc::new(structs),
        Some(valid),
    );
    let mut out: Vec<ArrayRef> = vec![Arc::new(faces)];
    if with_index {
        out.push(Arc::new(index));
    }
    out.push(Arc::new(score));
    out.push(Arc::new(bbox));
    out.push(Arc::new(landmarks));
    out
}

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
/// (an image that could not be read, or without a face) and NaN values become NULL.
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

/// The name of the embedding column.
pub const EMBEDDING: &str = "embedding";

/// The `embedding` column of `dim` dimensions.
pub fn embedding_field(dim: usize) -> Field {
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    Field::new(EMBEDDING, DataType::FixedSizeList(item, dim as i32), true)
}

/// The `embedding` column of rows (`None`: NULL); every present row has `dim` values.
pub fn embedding_array<'a>(rows: impl Iterator<Item = Option<&'a [f32]>>, dim: usize) -> ArrayRef {
    let mut values = Vec::new();
    let mut valid = Vec::new();
    for r in rows {
        match r.filter(|r| r.len() == dim) {
            Some(r) => values.extend_from_slice(r),
            None => values.extend(std::iter::repeat_n(0.0, dim)),
        }
        valid.push(r.is_some_and(|r| r.len() == dim));
    }
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    Arc::new(FixedSizeListArray::new(
        item,
        dim as i32,
        Arc::new(Float32Array::from(values)),
        Some(NullBuffer::from(valid)),
    ))
}

/// The L2-normalised embedding in `features[range]` (`None` when the features are missing).
pub fn embedding_of(features: &[f32], range: &std::ops::Range<usize>) -> Option<Vec<f32>> {
    let mut v = features.get(range.clone())?.to_vec();
    crate::functions::embedding::vectors::l2_normalise(&mut v);
    Some(v)
}

/// One row of an annotation table: an image, or one face of it.
#[derive(Debug, Clone)]
pub struct Row {
    /// Image path as listed.
    pub path: String,
    /// Identity (from the parent folder or a CSV column), if known.
    pub identity: Option<String>,
    /// The face.
    pub face: FaceCells,
    /// Attribute values, `None` when the image could not be read or has no face.
    pub scores: Option<Scores>,
    /// The face embedding (L2-normalised), when the bundle has one and a face was labelled.
    pub embedding: Option<Vec<f32>>,
    /// Why the image has no labels.
    pub error: Option<String>,
}

impl Row {
    /// The rows of one image's outcome: one per labelled face, or one with `error` set;
    /// `embedding` is where the embedding sits in each face's features (`None`: no column).
    pub fn of(
        path: String,
        identity: Option<String>,
        outcome: Outcome,
        embedding: Option<&std::ops::Range<usize>>,
    ) -> Vec<Row> {
        let row = |face, scores, embedding, error| Row {
            path: path.clone(),
            identity: identity.clone(),
            face,
            scores,
            embedding,
            error,
        };
        match outcome {
            Outcome::Failed(e) => vec![row(FaceCells::default(), None, None, Some(e))],
            Outcome::NoFace { best } => vec![row(
                FaceCells {
                    faces: Some(0),
                    face: None,
                },
                None,
                None,
                Some(no_face_message(best)),
            )],
            Outcome::Labelled(list) => list
                .into_iter()
                .map(
                    |Labelled {
                         face,
                         scores,
                         features,
                     }| {
                        let e = embedding.and_then(|r| embedding_of(&features, r));
                        let cells = match face {
                            Some((count, rank, f)) => FaceCells {
                                faces: Some(count),
                                face: Some((rank, f)),
                            },
                            None => FaceCells::default(),
                        };
                        row(cells, Some(scores), e, None)
                    },
                )
                .collect(),
        }
    }
}

/// The schema of an annotation table written by `macsql annotate`, with `metadata` and, given
/// its dimension, the `embedding` column.
pub fn schema(bundle: &Bundle, metadata: HashMap<String, String>, embedding: Option<usize>) -> SchemaRef {
    let mut fields = vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("dataset", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("identity", DataType::Utf8, true),
    ];
    fields.extend(face_fields(true));
    fields.extend(attribute_fields(bundle));
    if let Some(dim) = embedding {
        fields.push(embedding_field(dim));
    }
    fields.push(Field::new("error", DataType::Utf8, true));
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// The key-value metadata of an annotation table; `detected` says whether faces were detected.
pub fn metadata(bundle: &Bundle, command: &str, detected: bool) -> HashMap<String, String> {
    let mut m = crate::annotations::provenance(format!("mac:{}", bundle.name), command);
    m.insert(meta::BANDS.into(), bundle.bands_json());
    m.insert("macsql.bundle".into(), bundle.name.clone());
    m.insert("macsql.bundle_hash".into(), bundle.hash.clone());
    m.insert("macsql.models".into(), bundle.models_json());
    let detector = match (&bundle.detector, detected) {
        (Some(d), true) => {
            m.insert("macsql.landmarks".into(), d.landmarks.join(","));
            d.file.display().to_string()
        }
        _ => "none".into(),
    };
    m.insert("macsql.detector".into(), detector);
    if let Some(t) = &bundle.training {
        m.insert("macsql.training".into(), t.clone());
    }
    if let Some(t) = &bundle.terms {
        m.insert("macsql.terms".into(), t.clone());
    }
    m
}

/// Builds a record batch of `rows` for `schema`.
pub fn batch(
    schema: &SchemaRef,
    bundle: &Bundle,
    dataset: &str,
    kind: crate::annotations::Kind,
    rows: &[Row],
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let n = rows.len();
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.path.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(dataset, n))),
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
            kind.as_str(),
            n,
        ))),
        Arc::new(
            rows.iter()
                .map(|r| r.identity.as_deref())
                .collect::<StringArray>(),
        ),
    ];
    let cells: Vec<FaceCells> = rows.iter().map(|r| r.face.clone()).collect();
    cols.extend(face_arrays(&cells, true));
    let scores: Vec<Option<&Scores>> = rows.iter().map(|r| r.scores.as_ref()).collect();
    cols.extend(attribute_arrays(bundle, &scores));
    if let Ok(f) = schema.field_with_name(EMBEDDING)
        && let DataType::FixedSizeList(_, dim) = f.data_type()
    {
        cols.push(embedding_array(
            rows.iter().map(|r| r.embedding.as_deref()),
            *dim as usize,
        ));
    }
    cols.push(Arc::new(
        rows.iter().map(|r| r.error.as_deref()).collect::<StringArray>(),
    ));
    RecordBatch::try_new(schema.clone(), cols)
}
