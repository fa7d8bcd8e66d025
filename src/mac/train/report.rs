//! The report of a `macsql train` run, next to the bundle: `<stem>-report.md` (what was learned,
//! from which sources, how well, what shipped and why), `<stem>-report.parquet` (the same
//! numbers, one row per attribute, for SQL) and `<stem>-report-sources.parquet` (the held-out
//! figures of each attribute on each label source's images) and `<stem>-heldout.parquet` (each
//! labelled image's held-out prediction per attribute).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int8Array, Int64Array, RecordBatch, StringArray,
    StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};

use super::command::{TrainOptions, TrainSummary, sibling};
use super::fit::Nested;
use super::labels::LabelSet;
use crate::foreign::ForeignError;
use crate::mac::MacError;
use crate::mac::bundle::manifest::Bundle;

/// The nested figures as two table cells: the share of 1 / -1, then the precision of 1 / -1.
fn nested_cells(n: &Nested) -> String {
    format!(
        "{} / {} | {} / {}",
        f3(n.share_pos),
        f3(n.share_neg),
        f3(n.precision_pos),
        f3(n.precision_neg)
    )
}

fn f3(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "-".into()
    }
}

/// Writes the markdown and Parquet reports of `summary`.
pub fn write(
    summary: &TrainSummary,
    opts: &TrainOptions,
    input: &Bundle,
    created: &str,
) -> Result<(), MacError> {
    let md_path = &summary.report;
    std::fs::write(md_path, markdown(summary, opts, input, created))
        .map_err(|e| ForeignError::io(md_path, e))?;
    let a = &summary.attributes;
    let get = |f: &dyn Fn(&super::fit::Fitted) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter(
            a.iter().map(|o| o.fitted.as_ref().map(f)),
        ))
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "attribute",
            Arc::new(StringArray::from_iter_values(a.iter().map(|o| o.name.as_str()))),
        ),
        (
            "positives",
            Arc::new(Int64Array::from_iter(
                a.iter().map(|o| o.fitted.as_ref().map(|f| f.counts.0 as i64)),
            )),
        ),
        (
            "negatives",
            Arc::new(Int64Array::from_iter(
                a.iter().map(|o| o.fitted.as_ref().map(|f| f.counts.1 as i64)),
            )),
        ),
        ("auc", get(&|f| f.auc().0)),
        ("auc_sd", get(&|f| f.auc().1)),
        ("balanced_accuracy", get(&|f| f.balanced_accuracy)),
        ("balanced_accuracy_at_half", get(&|f| f.balanced_accuracy_half)),
        ("majority_baseline", get(&|f| f.baseline)),
        ("band_lo", get(&|f| f.band.lo)),
        ("band_hi", get(&|f| f.band.hi)),
        ("coverage", get(&|f| f.band.coverage)),
        ("precision_pos", get(&|f| f.band.precision_pos)),
        ("precision_neg", get(&|f| f.band.precision_neg)),
        (
            "band_per_source",
            Arc::new(BooleanArray::from_iter(
                a.iter().map(|o| o.fitted.as_ref().map(|f| f.band.per_source)),
            )),
        ),
        ("nested_coverage", get(&|f| f.nested_band.coverage)),
        ("nested_share_pos", get(&|f| f.nested_band.share_pos)),
        ("nested_share_neg", get(&|f| f.nested_band.share_neg)),
        ("nested_precision_pos", get(&|f| f.nested_band.precision_pos)),
        ("nested_precision_neg", get(&|f| f.nested_band.precision_neg)),
        ("alpha", get(&|f| f.alpha)),
        (
            "input_auc",
            Arc::new(Float64Array::from_iter(a.iter().map(|o| o.input_auc))),
        ),
        (
            "shipped",
            Arc::new(BooleanArray::from_iter(a.iter().map(|o| Some(o.shipped)))),
        ),
        (
            "reason",
            Arc::new(StringArray::from_iter_values(a.iter().map(|o| o.reason.as_str()))),
        ),
    ];
    write_table(
        &sibling(&summary.output, "-report.parquet"),
        columns,
        |n, c| n != "attribute" && c.data_type() != &DataType::Boolean,
        meta_of(opts, created),
    )?;
    write_sources(summary, meta_of(opts, created))
}

/// Writes `columns` as one Parquet table at `path` (atomically), each column nullable where
/// `nullable(name, column)` says, with the run's metadata.
fn write_table(
    path: &std::path::Path,
    columns: Vec<(&str, ArrayRef)>,
    nullable: impl Fn(&str, &ArrayRef) -> bool,
    meta: HashMap<String, String>,
) -> Result<(), MacError> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, c)| Field::new(*n, c.data_type().clone(), nullable(n, c)))
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, meta));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, c)| c).collect())?;
    crate::annotations::write_parquet_atomic(path, schema, [Ok(batch)])?;
    Ok(())
}

fn tables(opts: &TrainOptions) -> String {
    opts.labels
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn meta_of(opts: &TrainOptions, created: &str) -> HashMap<String, String> {
    let mut meta = HashMap::new();
    meta.insert("macsql.labels".to_string(), tables(opts));
    meta.insert("macsql.command".to_string(), opts.command.clone());
    meta.insert("macsql.created".to_string(), created.to_string());
    if let Some(l) = &opts.label_licence {
        // The tables carry the labels (the held-out file every one of them): their terms too.
        meta.insert("macsql.label_licence".to_string(), l.clone());
    }
    meta
}

/// `<stem>-report-sources.parquet`: one row per attribute and label source.
fn write_sources(summary: &TrainSummary, meta: HashMap<String, String>) -> Result<(), MacError> {
    let rows: Vec<(&str, &super::fit::SourceScore)> = summary
        .attributes
        .iter()
        .filter_map(|o| o.fitted.as_ref().map(|f| (o.name.as_str(), f)))
        .flat_map(|(name, f)| f.sources.iter().map(move |s| (name, s)))
        .collect();
    let name_of =
        |s: &super::fit::SourceScore| summary.sources.get(s.source).map_or("?", |x| x.name.as_str());
    let float = |g: &dyn Fn(&super::fit::SourceScore) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from_iter(rows.iter().map(|(_, s)| g(s))))
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "attribute",
            Arc::new(StringArray::from_iter_values(rows.iter().map(|(a, _)| *a))),
        ),
        (
            "source",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|(_, s)| name_of(s)),
            )),
        ),
        (
            "positives",
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|(_, s)| s.counts.0 as i64),
            )),
        ),
        (
            "negatives",
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|(_, s)| s.counts.1 as i64),
            )),
        ),
        ("auc", float(&|s| s.auc)),
        ("accuracy_at_half", float(&|s| Some(s.accuracy))),
        ("nested_coverage", float(&|s| Some(s.nested_band.coverage))),
        ("nested_share_pos", float(&|s| Some(s.nested_band.share_pos))),
        ("nested_share_neg", float(&|s| Some(s.nested_band.share_neg))),
        (
            "nested_precision_pos",
            float(&|s| Some(s.nested_band.precision_pos)),
        ),
        (
            "nested_precision_neg",
            float(&|s| Some(s.nested_band.precision_neg)),
        ),
    ];
    write_table(
        &sibling(&summary.output, "-report-sources.parquet"),
        columns,
        |n, c| c.null_count() > 0 || n == "auc",
        meta,
    )
}

/// `<stem>-heldout.parquet`: one row per attribute and labelled image with a face: the image,
/// its label source, the label, the held-out probability and the nested band label (both from
/// the first split into folds, so from heads that never saw the image's person). For held-out
/// agreement in SQL beyond the report's figures (queries/heldout_agreement.sql).
pub fn write_heldout(
    summary: &TrainSummary,
    labels: &LabelSet,
    opts: &TrainOptions,
    created: &str,
) -> Result<(), MacError> {
    let (mut path, mut source, mut attribute) =
        (StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
    let (mut label, mut p, mut band) = (Vec::new(), Vec::new(), Vec::new());
    for o in &summary.attributes {
        let (Some(f), Some(values)) = (
            &o.fitted,
            labels
                .attributes
                .iter()
                .find(|a| a.name == o.name)
                .map(|a| &a.values),
        ) else {
            continue;
        };
        for (k, &r) in o.rows.iter().enumerate() {
            let row = &labels.rows[r];
            path.append_value(labels.images[row.image].to_string_lossy());
            source.append_value(&labels.sources[row.source].name);
            attribute.append_value(&o.name);
            // Every row a head was fitted on has a label.
            label.push(if values[r] == Some(true) { 1i8 } else { -1 });
            p.push(f.held[k] as f32);
            band.push(f.held_band[k]);
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("path", Arc::new(path.finish())),
        ("source", Arc::new(source.finish())),
        ("attribute", Arc::new(attribute.finish())),
        ("label", Arc::new(Int8Array::from(label))),
        ("p", Arc::new(Float32Array::from(p))),
        ("band", Arc::new(Int8Array::from(band))),
    ];
    write_table(&summary.heldout, columns, |_, _| false, meta_of(opts, created))
}

fn markdown(s: &TrainSummary, opts: &TrainOptions, input: &Bundle, created: &str) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# macsql train: {}\n", s.output.display());
    let _ = writeln!(m, "- labels: {} rows in {} tables:", s.rows, s.sources.len());
    for src in &s.sources {
        let _ = writeln!(
            m,
            "  - `{}` ({}): {} rows; {}",
            src.path.display(),
            src.name,
            src.rows,
            src.attributes.join(", ")
        );
    }
    match &opts.group {
        Some(g) => {
            let _ = writeln!(
                m,
                "- folds grouped by person (column `{g}`): {} people; no person's images are on both sides of a fold",
                s.groups
            );
        }
        None => {
            let _ = writeln!(
                m,
                "- folds by image (no --group): where a person has several images, the figures are optimistic"
            );
        }
    }
    if let Some(l) = &opts.label_licence {
        let _ = writeln!(m, "- label licence: {l}");
    }
    let _ = writeln!(
        m,
        "- images used: {} ({} unreadable, {} without a face; {} features read back from the features file)",
        s.used,
        s.failed.len(),
        s.no_face.len(),
        s.reused
    );
    let _ = writeln!(
        m,
        "- input bundle: `{}` ({}, hash {})",
        input.path.display(),
        input.name,
        &input.hash[..16.min(input.hash.len())]
    );
    let _ = writeln!(
        m,
        "- {}-fold cross-validation (L2 strength by inner 3-fold CV), bands at precision {}, heads ship at AUC >= {} with both band sides reached (Wilson lower bound at z = 1), both nested precisions >= the target (pooled over {} splits into folds) and coverage >= {}; the shipped head is the mean of the outer folds' heads, whose held-out predictions chose its band",
        opts.folds, opts.precision, opts.min_auc, opts.repeats, opts.min_coverage
    );
    if opts.source_side > 0 {
        let _ = writeln!(
            m,
            "- bands hold on each label source: each side is narrowed until it also reaches precision {} on every source where it labels at least {} held-out images; where that would leave less than {} of the images labelled, the pooled band stands (marked \"pooled\" in the band column)",
            opts.precision, opts.source_side, opts.min_coverage
        );
    } else {
        let _ = writeln!(
            m,
            "- bands reach the precision pooled over the label sources only (--source-side 0): a source can sit below it"
        );
    }
    let _ = writeln!(
        m,
        "- held-out predictions of every labelled image: `{}`",
        s.heldout.display()
    );
    let _ = writeln!(m, "- command: `{}`", opts.command);
    let _ = writeln!(m, "- time: {created} ({:.0} s)\n", s.seconds);
    let _ = writeln!(
        m,
        "AUC: mean ± deviation over the outer folds. Balanced accuracy: at thresholds tuned on each fold's training images (at p = 0.5 in brackets). Band: label 1 at p >= hi, -1 at p <= lo, 0 between, chosen on held-out predictions; coverage and precision (of 1 / of -1) on those; nested: each fold's band chosen on its training images only (on the held-out predictions of its inner folds), measured on the fold through the mean of those inner heads, pooled over the repeated splits. Input: the AUC of the input bundle's own value for the attribute, when it has one.\n"
    );
    let _ = writeln!(
        m,
        "| attribute | + / - | AUC | balanced acc. | majority | band lo / hi | coverage | precision 1 / -1 | nested share 1 / -1 | nested precision 1 / -1 | input | shipped |"
    );
    let _ = writeln!(m, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for o in &s.attributes {
        match &o.fitted {
            Some(f) => {
                let (auc, sd) = f.auc();
                let _ = writeln!(
                    m,
                    "| {} | {} / {} | {} ± {} | {} ({}) | {} | {} / {}{} | {} | {} / {} | {} | {} | {} |",
                    o.name,
                    f.counts.0,
                    f.counts.1,
                    f3(auc),
                    f3(sd),
                    f3(f.balanced_accuracy),
                    f3(f.balanced_accuracy_half),
                    f3(f.baseline),
                    f3(f.band.lo),
                    f3(f.band.hi),
                    if opts.source_side > 0 && f.band.reached && !f.band.per_source {
                        " pooled"
                    } else {
                        ""
                    },
                    f3(f.band.coverage),
                    f3(f.band.precision_pos),
                    f3(f.band.precision_neg),
                    nested_cells(&f.nested_band),
                    o.input_auc.map_or("-".into(), f3),
                    if o.shipped {
                        "yes".to_string()
                    } else {
                        format!("no: {}", o.reason)
                    }
                );
            }
            None => {
                let _ = writeln!(m, "| {} | | | | | | | | | | | no: {} |", o.name, o.reason);
            }
        }
    }
    let _ = writeln!(
        m,
        "\n## Per label source\n\nThe held-out predictions above, on the images of each source: AUC, accuracy at p = 0.5, and the nested band's share of images labelled 1 / -1 and its precision (of 1 / of -1).\n"
    );
    let _ = writeln!(
        m,
        "| attribute | source | + / - | AUC | accuracy | nested share 1 / -1 | nested precision 1 / -1 |"
    );
    let _ = writeln!(m, "|---|---|---|---|---|---|---|");
    for o in &s.attributes {
        let Some(f) = &o.fitted else { continue };
        for sc in &f.sources {
            let name = s.sources.get(sc.source).map_or("?", |x| x.name.as_str());
            let _ = writeln!(
                m,
                "| {} | {} | {} / {} | {} | {} | {} |",
                o.name,
                name,
                sc.counts.0,
                sc.counts.1,
                sc.auc.map_or("-".into(), f3),
                f3(sc.accuracy),
                nested_cells(&sc.nested_band)
            );
        }
    }
    if !s.failed.is_empty() || !s.no_face.is_empty() {
        let _ = writeln!(m, "\n## Images left out\n");
        for (p, e) in &s.failed {
            let _ = writeln!(m, "- `{}`: {e}", p.display());
        }
        for p in &s.no_face {
            let _ = writeln!(m, "- `{}`: no face found", p.display());
        }
    }
    m
}
