//! One row of `identity_stats`: the figures of one dataset's faces grouped by identity, the
//! computation that fills it, and its Arrow form.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::dcface::{class_means, consistency, uniqueness};
use super::options::IdentityOptions;
use super::pairs::{Pair, genuine_pairs, impostor_pairs};
use super::verification::{d_prime, eer, sorted, summary, tar_at_far};
use crate::functions::embedding::faces::FaceMatrix;

/// TAR is read at FAR = 1 / this.
pub const FAR_DENOMINATOR: usize = 1000;

/// One dataset's faces, each identity's a block `starts[k]..starts[k + 1]` of `faces`.
#[derive(Debug, Clone)]
pub struct IdentityFaces {
    /// The embeddings, grouped by identity.
    pub faces: FaceMatrix,
    /// Where each identity's block starts, and the end of the last.
    pub starts: Vec<usize>,
    /// Rows with no face (a NULL or zero embedding).
    pub no_face: i64,
    /// Rows with a face but a NULL identity.
    pub no_identity: i64,
}

/// The figures of one dataset (see the README's function reference for each column).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityRow {
    /// The dataset (value of `dataset_column`, as text).
    pub dataset: String,
    /// Identities with at least one face.
    pub identities: i64,
    /// Faces counted: rows with an embedding and an identity.
    pub images: i64,
    /// Rows left out for a NULL (or zero) embedding.
    pub no_face: i64,
    /// Rows with a face left out for a NULL identity.
    pub no_identity: i64,
    /// Identities with exactly one face.
    pub singletons: i64,
    /// Faces per identity: mean.
    pub images_per_identity_mean: Option<f64>,
    /// Faces per identity: fewest.
    pub images_per_identity_min: Option<i64>,
    /// Faces per identity: median.
    pub images_per_identity_median: Option<f64>,
    /// Faces per identity: most.
    pub images_per_identity_max: Option<i64>,
    /// Same-identity pairs scored (all, or the sample).
    pub genuine_pairs: i64,
    /// Different-identity pairs scored.
    pub impostor_pairs: i64,
    /// Mean cosine similarity of the genuine pairs.
    pub genuine_mean: Option<f64>,
    /// Population standard deviation of the genuine similarities.
    pub genuine_std: Option<f64>,
    /// Mean cosine similarity of the impostor pairs.
    pub impostor_mean: Option<f64>,
    /// Population standard deviation of the impostor similarities.
    pub impostor_std: Option<f64>,
    /// Decidability d' of the two score lists.
    pub d_prime: Option<f64>,
    /// Equal error rate.
    pub eer: Option<f64>,
    /// The similarity threshold at the EER.
    pub eer_threshold: Option<f64>,
    /// True accept rate at a false accept rate of at most 1e-3.
    pub tar_at_far_1e3: Option<f64>,
    /// The similarity threshold of that TAR.
    pub tar_threshold: Option<f64>,
    /// DCFace's uniqueness: share of class means kept by the greedy filter.
    pub uniqueness: Option<f64>,
    /// DCFace's consistency: mean share of a class's faces close to its mean.
    pub consistency: Option<f64>,
    /// Why figures are NULL.
    pub note: Option<String>,
}

/// A stable seed for one dataset and one kind of pair (FNV-1a), so that a dataset's sample does
/// not depend on which other datasets are in the table.
fn dataset_seed(seed: u64, dataset: &str, kind: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in dataset.bytes().chain([0xff]).chain(kind.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn median(sorted: &[usize]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// Computes every figure of dataset `name`.
pub fn identity_row(name: &str, f: &IdentityFaces, o: &IdentityOptions) -> IdentityRow {
    let k = f.starts.len() - 1;
    let mut sizes: Vec<usize> = f.starts.windows(2).map(|w| w[1] - w[0]).collect();
    sizes.sort_unstable();
    let mut row = IdentityRow {
        dataset: name.to_string(),
        identities: k as i64,
        images: f.faces.len() as i64,
        no_face: f.no_face,
        no_identity: f.no_identity,
        singletons: sizes.iter().filter(|&&n| n == 1).count() as i64,
        images_per_identity_mean: (k > 0).then(|| f.faces.len() as f64 / k as f64),
        images_per_identity_min: sizes.first().map(|&n| n as i64),
        images_per_identity_median: median(&sizes),
        images_per_identity_max: sizes.last().map(|&n| n as i64),
        ..IdentityRow::default()
    };
    let mut notes = Vec::new();
    if k == 0 {
        notes.push("no faces".to_string());
        row.note = Some(notes.join("; "));
        return row;
    }
    let scores = |pairs: &[Pair]| -> Vec<f64> { pairs.iter().map(|&(a, b)| f.faces.cosine(a, b)).collect() };
    let g_seed = dataset_seed(o.seed, name, "genuine");
    let i_seed = dataset_seed(o.seed, name, "impostor");
    let genuine = sorted(&scores(&genuine_pairs(&f.starts, o.min_images, o.pairs, g_seed)));
    let impostor = sorted(&scores(&impostor_pairs(&f.starts, o.pairs, i_seed)));
    row.genuine_pairs = genuine.len() as i64;
    row.impostor_pairs = impostor.len() as i64;
    if genuine.is_empty() {
        notes.push(format!(
            "no identity has min_images = {} faces: no genuine pairs",
            o.min_images.max(2)
        ));
    }
    if impostor.is_empty() {
        notes.push("fewer than 2 identities: no impostor pairs".to_string());
    }
    let (gs, is) = (summary(&genuine), summary(&impostor));
    row.genuine_mean = gs.map(|s| s.mean);
    row.genuine_std = gs.map(|s| s.std);
    row.impostor_mean = is.map(|s| s.mean);
    row.impostor_std = is.map(|s| s.std);
    if let (Some(g), Some(i)) = (gs, is) {
        row.d_prime = d_prime(g, i);
        if row.d_prime.is_none() {
            notes.push("d' undefined: genuine and impostor scores have no spread".to_string());
        }
    }
    if let Some(e) = eer(&genuine, &impostor) {
        row.eer = Some(e.value);
        row.eer_threshold = Some(e.threshold);
    }
    if let Some(t) = tar_at_far(&genuine, &impostor, FAR_DENOMINATOR) {
        row.tar_at_far_1e3 = Some(t.value);
        row.tar_threshold = Some(t.threshold);
    } else if !genuine.is_empty() && !impostor.is_empty() {
        notes.push(format!(
            "{} impostor pairs: TAR at FAR = 1e-3 needs at least {FAR_DENOMINATOR}",
            impostor.len()
        ));
    }
    let means = class_means(&f.faces, &f.starts);
    if k >= 2 {
        row.uniqueness = uniqueness(&means, o.threshold);
    }
    row.consistency = consistency(&f.faces, &f.starts, &means, o.threshold, o.min_images);
    row.note = (!notes.is_empty()).then(|| notes.join("; "));
    row
}

/// The output columns of `identity_stats`.
pub fn output_schema() -> SchemaRef {
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    let i = |n: &str| Field::new(n, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        Field::new("dataset", DataType::Utf8, false),
        i("identities"),
        i("images"),
        i("no_face"),
        i("no_identity"),
        i("singletons"),
        f("images_per_identity_mean"),
        i("images_per_identity_min"),
        f("images_per_identity_median"),
        i("images_per_identity_max"),
        i("genuine_pairs"),
        i("impostor_pairs"),
        f("genuine_mean"),
        f("genuine_std"),
        f("impostor_mean"),
        f("impostor_std"),
        f("d_prime"),
        f("eer"),
        f("eer_threshold"),
        f("tar_at_far_1e3"),
        f("tar_threshold"),
        f("uniqueness"),
        f("consistency"),
        Field::new("note", DataType::Utf8, true),
    ]))
}

/// The rows as one batch of [`output_schema`].
pub fn to_batch(rows: &[IdentityRow]) -> Result<RecordBatch> {
    let int = |f: fn(&IdentityRow) -> Option<i64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Int64Array>())
    };
    let float = |f: fn(&IdentityRow) -> Option<f64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Float64Array>())
    };
    let text = |f: fn(&IdentityRow) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<StringArray>())
    };
    let columns = vec![
        text(|r| Some(r.dataset.as_str())),
        int(|r| Some(r.identities)),
        int(|r| Some(r.images)),
        int(|r| Some(r.no_face)),
        int(|r| Some(r.no_identity)),
        int(|r| Some(r.singletons)),
        float(|r| r.images_per_identity_mean),
        int(|r| r.images_per_identity_min),
        float(|r| r.images_per_identity_median),
        int(|r| r.images_per_identity_max),
        int(|r| Some(r.genuine_pairs)),
        int(|r| Some(r.impostor_pairs)),
        float(|r| r.genuine_mean),
        float(|r| r.genuine_std),
        float(|r| r.impostor_mean),
        float(|r| r.impostor_std),
        float(|r| r.d_prime),
        float(|r| r.eer),
        float(|r| r.eer_threshold),
        float(|r| r.tar_at_far_1e3),
        float(|r| r.tar_threshold),
        float(|r| r.uniqueness),
        float(|r| r.consistency),
        text(|r| r.note.as_deref()),
    ];
    Ok(RecordBatch::try_new(output_schema(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces(groups: &[&[[f32; 2]]]) -> IdentityFaces {
        let mut m = FaceMatrix::new(2);
        let mut starts = vec![0];
        for g in groups {
            for r in *g {
                m.push(r);
            }
            starts.push(m.len());
        }
        IdentityFaces {
            faces: m,
            starts,
            no_face: 1,
            no_identity: 0,
        }
    }

    #[test]
    fn counts_and_notes_for_small_datasets() {
        let o = IdentityOptions::default();
        let one = faces(&[&[[1.0, 0.0], [1.0, 0.1], [0.9, 0.0]]]);
        let r = identity_row("a", &one, &o);
        assert_eq!(
            (
                r.identities,
                r.images,
                r.no_face,
                r.genuine_pairs,
                r.impostor_pairs
            ),
            (1, 3, 1, 3, 0)
        );
        assert_eq!((r.eer, r.uniqueness, r.d_prime), (None, None, None));
        assert!(r.consistency.is_some());
        assert_eq!(
            r.note.as_deref(),
            Some("fewer than 2 identities: no impostor pairs")
        );

        let singles = faces(&[&[[1.0, 0.0]], &[[0.0, 1.0]], &[[-1.0, 0.0]]]);
        let r = identity_row("b", &singles, &o);
        assert_eq!((r.singletons, r.genuine_pairs, r.impostor_pairs), (3, 0, 3));
        assert_eq!(r.images_per_identity_median, Some(1.0));
        assert_eq!((r.genuine_mean, r.consistency), (None, None));
        assert_eq!(r.uniqueness, Some(1.0));
        assert!(r.note.unwrap().contains("no genuine pairs"));

        let none = faces(&[]);
        let r = identity_row("c", &none, &o);
        assert_eq!((r.identities, r.images_per_identity_mean), (0, None));
        assert_eq!(r.note.as_deref(), Some("no faces"));
    }

    #[test]
    fn two_clean_identities_separate_perfectly() {
        let f = faces(&[&[[1.0, 0.0], [1.0, 0.1], [1.0, -0.1]], &[[0.0, 1.0], [0.1, 1.0]]]);
        let r = identity_row("d", &f, &IdentityOptions::default());
        assert_eq!((r.genuine_pairs, r.impostor_pairs), (4, 6));
        assert_eq!(r.eer, Some(0.0));
        assert_eq!(r.uniqueness, Some(1.0));
        assert_eq!(r.consistency, Some(1.0));
        assert_eq!(r.images_per_identity_median, Some(2.5));
        assert!(r.d_prime.unwrap() > 5.0);
        assert!(
            r.note
                .as_deref()
                .unwrap()
                .contains("6 impostor pairs: TAR at FAR = 1e-3 needs at least 1000")
        );
        let batch = to_batch(&[r]).unwrap();
        assert_eq!(batch.schema(), output_schema());
    }
}
