//! One row of `compare_attributes`: the comparison of one attribute between two datasets, as a
//! named struct, the maths that fills it from two distributions, and its Arrow form (to and from
//! the table function's output columns).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{Float64Type, Int64Type};
use datafusion::common::{Result, plan_err};

use super::bootstrap::{kl_intervals, pair_seed};
use super::options::{CompareOptions, Undefined};
use super::output_schema;
use crate::functions::histogram::{Key, align};
use crate::functions::js_div::js_divergence;
use crate::functions::kl_div::kl_divergence;
use crate::functions::tvd::total_variation;

/// One attribute's distribution in one dataset: (value, weight, rows).
pub type Dist = Vec<(Key, f64, u64)>;

/// The comparison of one attribute between datasets P and Q.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The attribute (column) compared.
    pub attribute: String,
    /// Dataset P.
    pub dataset_p: String,
    /// Dataset Q.
    pub dataset_q: String,
    /// Rows of P in the distribution (after `undefined=drop`).
    pub n_p: i64,
    /// Rows of Q in the distribution.
    pub n_q: i64,
    /// KL(P‖Q) in nats.
    pub kl_pq: Option<f64>,
    /// KL(Q‖P) in nats.
    pub kl_qp: Option<f64>,
    /// Jensen-Shannon divergence (nats).
    pub js: Option<f64>,
    /// Total variation distance.
    pub tvd: Option<f64>,
    /// Share of P's rows labelled 0 (labelled attributes only).
    pub undefined_p: Option<f64>,
    /// Share of Q's rows labelled 0.
    pub undefined_q: Option<f64>,
    /// Bootstrap 95% interval of KL(P‖Q).
    pub kl_pq_ci: Option<(f64, f64)>,
    /// Bootstrap 95% interval of KL(Q‖P).
    pub kl_qp_ci: Option<(f64, f64)>,
    /// Why values are missing or infinite.
    pub note: Option<String>,
}

/// Compares attribute `names[0]` between datasets `names[1]` (P) and `names[2]` (Q).
/// `labelled`: the attribute is an integer label column, so 0 means undefined.
pub fn compare_pair(names: [&str; 3], p: &Dist, q: &Dist, labelled: bool, o: &CompareOptions) -> Comparison {
    let undefined = |d: &Dist| -> Option<f64> {
        // fold from +0.0: an empty f64 `sum()` is -0.0.
        let total = d.iter().fold(0.0, |s, e| s + e.1);
        let zero = d
            .iter()
            .filter(|e| matches!(e.0, Key::Int(0)))
            .fold(0.0, |s, e| s + e.1);
        (labelled && total > 0.0).then(|| zero / total)
    };
    let keep = |d: &Dist| -> Dist {
        d.iter()
            .filter(|e| !(labelled && o.undefined == Undefined::Drop && matches!(e.0, Key::Int(0))))
            .cloned()
            .collect()
    };
    let (kp, kq) = (keep(p), keep(q));
    let n = |d: &Dist| d.iter().map(|e| e.2).sum::<u64>();
    let (n_p, n_q) = (n(&kp), n(&kq));
    let mut row = Comparison {
        attribute: names[0].to_string(),
        dataset_p: names[1].to_string(),
        dataset_q: names[2].to_string(),
        n_p: n_p as i64,
        n_q: n_q as i64,
        kl_pq: None,
        kl_qp: None,
        js: None,
        tvd: None,
        undefined_p: undefined(p),
        undefined_q: undefined(q),
        kl_pq_ci: None,
        kl_qp_ci: None,
        note: None,
    };
    let mut notes = Vec::new();
    if n_p < o.min_n || n_q < o.min_n {
        notes.push(format!(
            "n_p = {n_p}, n_q = {n_q}: fewer than min_n = {} rows",
            o.min_n
        ));
    } else {
        let weights = |d: &Dist| d.iter().map(|e| (e.0.clone(), e.1)).collect::<Vec<_>>();
        let (pw, qw) = align(&weights(&kp), &weights(&kq));
        row.kl_pq = kl_divergence(&pw, &qw, o.alpha);
        row.kl_qp = kl_divergence(&qw, &pw, o.alpha);
        row.js = js_divergence(&pw, &qw);
        row.tvd = total_variation(&pw, &qw);
        if row.kl_pq.is_some_and(f64::is_infinite) || row.kl_qp.is_some_and(f64::is_infinite) {
            notes.push("KL infinite: a value has no rows on one side (smooth with alpha=...)".to_string());
        }
        // With identity weights the effective sample size is the number of identities.
        let size = |d: &Dist, rows: u64| match o.identity {
            Some(_) => d.iter().map(|e| e.1).sum::<f64>().round() as u64,
            None => rows,
        };
        let seed = pair_seed(o.seed, &names);
        if let Some(ci) = kl_intervals(
            &pw,
            &qw,
            size(&kp, n_p),
            size(&kq, n_q),
            o.alpha,
            o.bootstrap,
            seed,
        ) {
            row.kl_pq_ci = Some(ci.pq);
            row.kl_qp_ci = Some(ci.qp);
        }
    }
    row.note = (!notes.is_empty()).then(|| notes.join("; "));
    row
}

/// The rows as one batch of the table function's [`output_schema`].
pub fn to_batch(rows: &[Comparison]) -> Result<RecordBatch> {
    let mut text: [StringBuilder; 3] = std::array::from_fn(|_| StringBuilder::new());
    let (mut np, mut nq) = (Int64Builder::new(), Int64Builder::new());
    let mut floats: [Float64Builder; 10] = std::array::from_fn(|_| Float64Builder::new());
    let mut note = StringBuilder::new();
    for r in rows {
        text[0].append_value(&r.attribute);
        text[1].append_value(&r.dataset_p);
        text[2].append_value(&r.dataset_q);
        np.append_value(r.n_p);
        nq.append_value(r.n_q);
        let values = [
            r.kl_pq,
            r.kl_qp,
            r.js,
            r.tvd,
            r.undefined_p,
            r.undefined_q,
            r.kl_pq_ci.map(|c| c.0),
            r.kl_pq_ci.map(|c| c.1),
            r.kl_qp_ci.map(|c| c.0),
            r.kl_qp_ci.map(|c| c.1),
        ];
        for (b, v) in floats.iter_mut().zip(values) {
            b.append_option(v);
        }
        note.append_option(r.note.as_deref());
    }
    let mut columns: Vec<ArrayRef> = text
        .iter_mut()
        .map(|b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    columns.push(Arc::new(np.finish()));
    columns.push(Arc::new(nq.finish()));
    columns.extend(floats.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.push(Arc::new(note.finish()));
    Ok(RecordBatch::try_new(output_schema(), columns)?)
}

/// Reads rows back from batches with the table function's output columns (by name, so a
/// `SELECT *` of it in any column order works).
pub fn from_batches(batches: &[RecordBatch]) -> Result<Vec<Comparison>> {
    let mut rows = Vec::new();
    for b in batches {
        let col = |name: &str| match b.column_by_name(name) {
            Some(c) => Ok(c.clone()),
            None => plan_err!("compare_attributes: the result has no column `{name}`"),
        };
        let text = |name: &str| -> Result<Vec<Option<String>>> {
            let c = arrow::compute::cast(&col(name)?, &arrow::datatypes::DataType::Utf8)?;
            let c = c.as_string::<i32>();
            Ok((0..c.len())
                .map(|i| c.is_valid(i).then(|| c.value(i).to_string()))
                .collect())
        };
        let float = |name: &str| -> Result<Float64Array> {
            let c = arrow::compute::cast(&col(name)?, &arrow::datatypes::DataType::Float64)?;
            Ok(c.as_primitive::<Float64Type>().clone())
        };
        let int = |name: &str| -> Result<Vec<i64>> {
            let c = arrow::compute::cast(&col(name)?, &arrow::datatypes::DataType::Int64)?;
            let c = c.as_primitive::<Int64Type>();
            Ok((0..c.len()).map(|i| c.value(i)).collect())
        };
        let (attr, p, q, note) = (
            text("attribute")?,
            text("dataset_p")?,
            text("dataset_q")?,
            text("note")?,
        );
        let (n_p, n_q) = (int("n_p")?, int("n_q")?);
        let names = [
            "kl_pq",
            "kl_qp",
            "js",
            "tvd",
            "undefined_p",
            "undefined_q",
            "kl_pq_lo",
            "kl_pq_hi",
            "kl_qp_lo",
            "kl_qp_hi",
        ];
        let f: Vec<Float64Array> = names.iter().map(|n| float(n)).collect::<Result<_>>()?;
        let at = |k: usize, i: usize| f[k].is_valid(i).then(|| f[k].value(i));
        let pair = |lo: usize, i: usize| at(lo, i).zip(at(lo + 1, i));
        for i in 0..b.num_rows() {
            rows.push(Comparison {
                attribute: attr[i].clone().unwrap_or_default(),
                dataset_p: p[i].clone().unwrap_or_default(),
                dataset_q: q[i].clone().unwrap_or_default(),
                n_p: n_p[i],
                n_q: n_q[i],
                kl_pq: at(0, i),
                kl_qp: at(1, i),
                js: at(2, i),
                tvd: at(3, i),
                undefined_p: at(4, i),
                undefined_q: at(5, i),
                kl_pq_ci: pair(6, i),
                kl_qp_ci: pair(8, i),
                note: note[i].clone(),
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(counts: &[(i64, u64)]) -> Dist {
        counts.iter().map(|&(k, n)| (Key::Int(k), n as f64, n)).collect()
    }

    #[test]
    fn a_pair_gets_kl_both_ways_undefined_rates_and_intervals() {
        let p = dist(&[(-1, 30), (0, 10), (1, 60)]);
        let q = dist(&[(-1, 50), (0, 0), (1, 50)]);
        let o = CompareOptions {
            bootstrap: 50,
            ..CompareOptions::default()
        };
        let r = compare_pair(["Male", "a", "b"], &p, &q, true, &o);
        assert_eq!((r.n_p, r.n_q), (100, 100));
        assert_eq!(r.undefined_p, Some(0.1));
        assert_eq!(r.undefined_q, Some(0.0));
        // Q has no 0 rows: KL(P‖Q) is infinite without smoothing, KL(Q‖P) finite.
        assert_eq!(r.kl_pq, Some(f64::INFINITY));
        let expected = 0.5 * (0.5f64 / 0.3).ln() + 0.5 * (0.5f64 / 0.6).ln();
        assert!((r.kl_qp.unwrap() - expected).abs() < 1e-12);
        assert!(r.note.as_deref().unwrap().contains("KL infinite"));
        let (lo, hi) = r.kl_qp_ci.unwrap();
        assert!(lo <= hi);
    }

    #[test]
    fn dropping_undefined_and_min_n_change_the_rows_counted() {
        let p = dist(&[(-1, 3), (0, 10), (1, 6)]);
        let q = dist(&[(-1, 5), (1, 5)]);
        let o = CompareOptions {
            undefined: Undefined::Drop,
            min_n: 10,
            ..CompareOptions::default()
        };
        let r = compare_pair(["Male", "a", "b"], &p, &q, true, &o);
        assert_eq!((r.n_p, r.n_q), (9, 10));
        assert_eq!(r.kl_pq, None);
        assert!(r.note.unwrap().contains("fewer than min_n = 10"));
    }

    #[test]
    fn rows_survive_the_arrow_round_trip() {
        let p = dist(&[(-1, 30), (1, 70)]);
        let q = dist(&[(-1, 40), (1, 60)]);
        let o = CompareOptions {
            bootstrap: 20,
            ..CompareOptions::default()
        };
        let rows = vec![
            compare_pair(["Male", "a", "b"], &p, &q, true, &o),
            compare_pair(["Male", "b", "a"], &q, &p, true, &o),
        ];
        let batch = to_batch(&rows).unwrap();
        assert_eq!(from_batches(&[batch]).unwrap(), rows);
    }
}
