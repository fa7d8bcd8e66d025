//! The copy check: which faces of Q are closer to a face of P than real faces of other people
//! are, with the threshold calibrated on P itself.
//!
//! A nearest-neighbour search over a whole gallery finds, for any face, a best match far more
//! similar than a verification threshold for one pair expects (the more faces, the closer the
//! best one), so a per-pair threshold flags ordinary faces as copies. The threshold is therefore
//! taken from the same search made by real faces: P is split into a gallery and held-out probes
//! (by person when `identity` is given, so no probe's person is in the gallery), each probe's
//! best similarity in the gallery is found, and the 99th percentile of those is the threshold.

use super::knn::{Points, best_similarity};
use super::sample::hash_str;
use crate::functions::compare_attributes::bootstrap::quantile;

/// Share of P's faces held out as probes.
const HELD_OUT: f64 = 0.1;
/// The percentile of the probes' best similarities taken as the threshold.
const PERCENTILE: f64 = 0.99;

/// The gallery that Q is searched against, the threshold, and what they are.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// The faces of P that Q is searched against (unit length).
    pub gallery: Points,
    /// The copy threshold (cosine similarity); `None` when it could not be calibrated.
    pub threshold: Option<f64>,
    /// How the threshold was found, for the note.
    pub note: String,
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Splits P (unit-length faces and their people) into probes and gallery: whole people in
/// seeded hash order until a tenth of the faces are held out (with people), otherwise the
/// first tenth of the (already randomly ordered) faces.
fn split(n: usize, identities: &[Option<String>], by_person: bool, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let want = ((n as f64 * HELD_OUT).ceil() as usize).max(1);
    if !by_person {
        return ((0..want.min(n)).collect(), (want.min(n)..n).collect());
    }
    // A face without a person is a person of its own.
    let person = |i: usize| identities[i].clone().unwrap_or_else(|| format!("\u{0}row {i}"));
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_cached_key(|&i| {
        let p = person(i);
        (hash_str(seed, &p), p)
    });
    let mut probes = Vec::new();
    let mut k = 0;
    while k < n && probes.len() < want {
        let p = person(order[k]);
        while k < n && person(order[k]) == p {
            probes.push(order[k]);
            k += 1;
        }
    }
    let mut gallery = order[k..].to_vec();
    probes.sort_unstable();
    gallery.sort_unstable();
    (probes, gallery)
}

/// The copy threshold for P: `fixed` when given (Q is then searched against all of P),
/// otherwise calibrated on held-out probes of P.
pub fn calibrate(
    unit: &Points,
    identities: &[Option<String>],
    identity_column: Option<&str>,
    fixed: Option<f64>,
    seed: u64,
) -> Calibration {
    if let Some(t) = fixed {
        return Calibration {
            gallery: unit.clone(),
            threshold: Some(t),
            note: format!(
                "copy threshold {t}: given; Q searched against all {} faces of P",
                thousands(unit.len())
            ),
        };
    }
    let (probes, gallery) = split(unit.len(), identities, identity_column.is_some(), seed);
    let gallery = unit.subset(&gallery);
    if probes.is_empty() || gallery.is_empty() {
        return Calibration {
            gallery,
            threshold: None,
            note: format!(
                "no copy threshold: {} faces of P are too few to hold some out (set threshold=...)",
                unit.len()
            ),
        };
    }
    let mut best: Vec<f64> = best_similarity(&unit.subset(&probes), &gallery)
        .into_iter()
        .filter(|s| !s.is_nan())
        .collect();
    if best.is_empty() {
        return Calibration {
            gallery,
            threshold: None,
            note: "no copy threshold: the held-out faces of P are all zero vectors".into(),
        };
    }
    best.sort_by(f64::total_cmp);
    let t = quantile(&best, PERCENTILE);
    let who = match identity_column {
        Some(c) => format!("held-out P faces of other people (by `{c}`)"),
        None => "held-out P faces".into(),
    };
    let mut note = format!(
        "copy threshold {t:.4}: 99th percentile of the best cosine similarity of {} {who} against \
         the {}-face P gallery",
        thousands(probes.len()),
        thousands(gallery.len())
    );
    if identity_column.is_none() {
        note.push_str(
            " (split by row: right only when each person has one image; name the person column \
             with identity=...)",
        );
    }
    Calibration {
        gallery,
        threshold: Some(t),
        note,
    }
}

/// Share of Q's faces (unit length) whose best similarity in the gallery is above `threshold`.
pub fn copy_share(q_unit: &Points, c: &Calibration) -> Option<f64> {
    let t = c.threshold?;
    if q_unit.is_empty() || c.gallery.is_empty() {
        return None;
    }
    let best = best_similarity(q_unit, &c.gallery);
    Some(best.iter().filter(|&&s| s > t).count() as f64 / q_unit.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_held_out_whole() {
        let ids: Vec<Option<String>> = (0..40).map(|i| Some(format!("p{}", i / 4))).collect();
        let (probes, gallery) = split(40, &ids, true, 3);
        assert_eq!(probes.len(), 4);
        assert_eq!(probes.len() + gallery.len(), 40);
        for p in &probes {
            assert!(gallery.iter().all(|g| ids[*g] != ids[*p]));
        }
        let (probes, gallery) = split(40, &ids, false, 3);
        assert_eq!((probes.len(), gallery.len()), (4, 36));
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn a_copy_of_p_is_above_the_calibrated_threshold() {
        // P: 50 directions on a circle in the x-y plane; Q: copies of P's faces 1 (held out, so
        // not in the gallery) and 10, and two faces off the plane.
        let p: Vec<f32> = (0..50)
            .flat_map(|i| {
                let a = i as f32 * 0.125;
                [a.cos(), a.sin(), 0.0]
            })
            .collect();
        let q: Vec<f32> = vec![
            p[3], p[4], p[5], p[30], p[31], p[32], 0.0, 0.0, 1.0, 0.0, 0.1, 1.0,
        ];
        let q = Points::new(3, &q).normalised();
        let unit = Points::new(3, &p).normalised();
        let c = calibrate(&unit, &vec![None; 50], None, None, 1);
        let t = c.threshold.unwrap();
        assert!(t < 1.0 && t > 0.9, "{t}");
        assert!(
            c.note
                .contains("5 held-out P faces against the 45-face P gallery"),
            "{}",
            c.note
        );
        // Only the copy of a gallery face is found; against all of P both copies are.
        assert_eq!(copy_share(&q, &c), Some(0.25));
        let fixed = calibrate(&unit, &[], None, Some(0.999), 1);
        assert_eq!(copy_share(&q, &fixed), Some(0.5));
    }
}
