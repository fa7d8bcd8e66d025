//! The `macsql train` run: read the labels, extract every image's features with the bundle's
//! pipeline (detection, alignment, models, region statistics), cross-validate and fit one head
//! per attribute, then write the new bundle (OUT.toml, its heads file) and the report.

use std::io::IsTerminal;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::prelude::*;

use super::fit::{self, FitOptions, Fitted};
use super::report;
use super::{features, labels, metrics, standardise};
use crate::foreign::ForeignError;
use crate::mac::MacError;
use crate::mac::bundle::heads::{Head, Heads};
use crate::mac::bundle::manifest::{Bundle, merged_manifest};
use crate::mac::infer::classifier::{Classifier, Detect};

/// What `macsql train` needs to know.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The labels tables, one per label source.
    pub labels: Vec<PathBuf>,
    /// The column naming each image's person: folds never split a person (`None`: every
    /// image is its own group).
    pub group: Option<String>,
    /// A features file to reuse and extend (`--features`).
    pub features: Option<PathBuf>,
    /// The attributes (columns) to learn.
    pub attributes: Vec<String>,
    /// The bundle to write (its heads file and report go next to it).
    pub output: PathBuf,
    /// The input bundle (`None`: `MACSQL_MODEL`, else the built-in bundle).
    pub model: Option<PathBuf>,
    /// Relative image paths resolve against this folder (default: the table's).
    pub images_root: Option<PathBuf>,
    /// Outer cross-validation folds.
    pub folds: usize,
    /// Splits into folds the nested band figures (the ship gate) are pooled over.
    pub repeats: usize,
    /// The precision the reliability bands must reach.
    pub precision: f64,
    /// The smallest cross-validated AUC a head needs to go into the bundle.
    pub min_auc: f64,
    /// The smallest share of held-out images a head's band must label 1 or -1.
    pub min_coverage: f64,
    /// A band side must also reach the precision on every label source where it labels at
    /// least this many held-out images (0: only pooled over the sources).
    pub source_side: usize,
    /// Threads for decoding, inference and fitting.
    pub threads: usize,
    /// The new bundle's name (default: the output's file stem).
    pub name: Option<String>,
    /// The labels' licence or terms, recorded in the bundle's metadata.
    pub label_licence: Option<String>,
    /// Show a progress bar.
    pub progress: bool,
    /// The command line, recorded in the bundle.
    pub command: String,
}

/// One attribute's outcome.
#[derive(Debug, Clone)]
pub struct AttributeOutcome {
    /// The attribute.
    pub name: String,
    /// The cross-validated head, unless it could not be fitted.
    pub fitted: Option<Fitted>,
    /// The label rows (indices into the label set's `rows`) it was fitted on, in the order of
    /// [`Fitted::held`].
    pub rows: Vec<usize>,
    /// ROC AUC of the input bundle's own value for this attribute on the same images.
    pub input_auc: Option<f64>,
    /// Whether it went into the bundle.
    pub shipped: bool,
    /// Why (not).
    pub reason: String,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct TrainSummary {
    /// Rows of the labels tables.
    pub rows: usize,
    /// The label sources (tables), in the order given.
    pub sources: Vec<labels::Source>,
    /// Distinct persons (groups), or images without `--group`.
    pub groups: usize,
    /// Images with a face whose features were used.
    pub used: usize,
    /// Of those, images whose features came from the features file.
    pub reused: usize,
    /// Images that could not be read: path and reason.
    pub failed: Vec<(PathBuf, String)>,
    /// Images in which no face was found.
    pub no_face: Vec<PathBuf>,
    /// One per attribute, in the order asked.
    pub attributes: Vec<AttributeOutcome>,
    /// The bundle written.
    pub output: PathBuf,
    /// Its heads file.
    pub heads: PathBuf,
    /// The markdown report.
    pub report: PathBuf,
    /// The held-out predictions, one row per attribute and labelled image.
    pub heldout: PathBuf,
    /// Wall time.
    pub seconds: f64,
}

fn invalid(message: String) -> MacError {
    MacError::Train(message)
}

/// Files next to the output bundle: `<stem><suffix>`.
pub fn sibling(output: &Path, suffix: &str) -> PathBuf {
    let stem = output.file_stem().and_then(|s| s.to_str()).unwrap_or("bundle");
    output.with_file_name(format!("{stem}{suffix}"))
}

/// Runs `macsql train`.
pub async fn train(opts: &TrainOptions) -> Result<TrainSummary, MacError> {
    let start = Instant::now();
    if opts.folds < 2 || opts.folds > 20 {
        return Err(invalid(format!("--folds {}: expected 2..=20", opts.folds)));
    }
    if !(0.5..1.0).contains(&opts.precision) {
        return Err(invalid(format!(
            "--precision {}: expected 0.5 <= p < 1",
            opts.precision
        )));
    }
    if !(0.0..=1.0).contains(&opts.min_coverage) {
        return Err(invalid(format!(
            "--min-coverage {}: expected 0 <= c <= 1",
            opts.min_coverage
        )));
    }
    if opts.output.extension().and_then(|e| e.to_str()) != Some("toml") {
        return Err(invalid(format!(
            "-o {}: the bundle is a .toml manifest",
            opts.output.display()
        )));
    }
    let labels = labels::read(
        &opts.labels,
        &opts.attributes,
        opts.images_root.as_deref(),
        opts.group.as_deref(),
    )
    .await?;
    let manifest = crate::mac::bundle::builtin::bundle_path(opts.model.as_deref())?;
    let bundle = Arc::new(Bundle::load(&manifest)?);
    let classifier = Classifier::load_streams(bundle.clone(), opts.threads.max(1), 1, Detect::Auto)?;
    let layout = classifier.feature_layout().to_vec();
    let d: usize = layout.iter().map(|b| b.width).sum();
    if d == 0 {
        return Err(invalid(format!(
            "{} has no features to learn from: give a model `features = \"...\"` (an output added by scripts/expose_features.py) or a [regions] table",
            manifest.display()
        )));
    }
    if classifier.detector().is_none() {
        return Err(invalid(format!(
            "{} has no [detector]: heads learn on aligned face chips",
            manifest.display()
        )));
    }

    // Features of every image (extracted once however many sources label it).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| invalid(format!("--threads: {e}")))?;
    let extracted = features::extract(
        &labels.images,
        &classifier,
        &pool,
        opts.features.as_deref(),
        opts.progress,
    )?;
    drop(classifier);
    // Images with a face, in order: row k of the feature matrix.
    let mut x_row = vec![None; labels.images.len()];
    let mut raw: Vec<f32> = Vec::new();
    let mut scores: Vec<Vec<f32>> = Vec::new();
    for (i, face) in extracted.faces.iter().enumerate() {
        if let Some(f) = face {
            x_row[i] = Some(scores.len());
            raw.extend_from_slice(&f.features);
            scores.push(f.scores.clone());
        }
    }
    let n = scores.len();
    if n == 0 {
        return Err(invalid(format!(
            "no face found in any image of the labels tables ({} unreadable)",
            extracted.failed.len()
        )));
    }

    // Standardise (NaN: the mean).
    let (mean, mut std) = standardise::moments(&raw, d);
    // The region statistics (a few hundred) and the models' features get the same share of the
    // L2 budget: each block scaled so that it holds half the squared norm. Folded into the
    // deviations, so that the heads stay plain dot products on raw features.
    let regions: usize = layout
        .iter()
        .filter(|b| b.source == "regions")
        .map(|b| b.width)
        .sum();
    if regions > 0 && regions < d {
        let share = |w: usize| (d as f64 / (2.0 * w as f64)).sqrt();
        let (models_scale, regions_scale) = (share(d - regions), share(regions));
        let mut k = 0;
        for b in &layout {
            let scale = if b.source == "regions" {
                regions_scale
            } else {
                models_scale
            };
            for s in &mut std[k..k + b.width] {
                *s /= scale;
            }
            k += b.width;
        }
    }
    let x = standardise::standardise(&raw, &mean, &std);
    drop(raw);
    let fit_opts = FitOptions {
        folds: opts.folds,
        precision: opts.precision,
        seed: 20_240_527,
        repeats: opts.repeats,
        source_side: opts.source_side,
        min_coverage: opts.min_coverage,
    };
    let bar = crate::mac::run::progress::bar(
        opts.progress,
        labels.attributes.len(),
        "heads (cross-validated by person)",
    );
    // Without a terminal (a batch job), one line per attribute instead of the bar.
    let log = opts.progress && !std::io::stderr().is_terminal();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = labels.attributes.len();
    let fitting = Instant::now();
    let outcomes: Vec<AttributeOutcome> = pool.install(|| {
        labels
            .attributes
            .par_iter()
            .map(|a| {
                let _tick = Tick(&bar);
                let _line = log.then(|| Logged {
                    name: &a.name,
                    done: &done,
                    total,
                    since: fitting,
                });
                let mut images = Vec::new();
                let mut y = Vec::new();
                let mut groups = Vec::new();
                let mut sources = Vec::new();
                let mut rows = Vec::new();
                for (r, (row, v)) in labels.rows.iter().zip(&a.values).enumerate() {
                    if let (Some(v), Some(k)) = (v, x_row[row.image]) {
                        rows.push(r);
                        images.push(k);
                        y.push(*v);
                        groups.push(row.group);
                        sources.push(row.source);
                    }
                }
                let pos = y.iter().filter(|v| **v).count();
                let neg = y.len() - pos;
                let input_auc = bundle.attributes.iter().position(|b| b.name == a.name).and_then(|j| {
                    let s: Vec<f64> = images.iter().map(|&k| f64::from(scores[k][j])).collect();
                    metrics::roc_auc(&s, &y)
                });
                let mut out = AttributeOutcome {
                    name: a.name.clone(),
                    fitted: None,
                    rows,
                    input_auc,
                    shipped: false,
                    reason: String::new(),
                };
                if pos < labels::MIN_EXAMPLES || neg < labels::MIN_EXAMPLES {
                    out.reason = format!(
                        "{pos} positive and {neg} negative images with a face; at least {} of each are needed",
                        labels::MIN_EXAMPLES
                    );
                    return out;
                }
                let sample = fit::Sample {
                    images: &images,
                    labels: &y,
                    groups: &groups,
                    sources: &sources,
                };
                match fit::fit(&x, d, &sample, labels.sources.len(), fit_opts) {
                    Err(e) => out.reason = format!("not fitted: {e}"),
                    Ok(f) => {
                        let (auc, _) = f.auc();
                        out.reason = if auc < opts.min_auc {
                            format!("AUC {auc:.3} < {:.2}", opts.min_auc)
                        } else if !f.band.reached {
                            format!("no band reaches precision {:.2} on both sides", opts.precision)
                        } else if !(f.nested_band.precision_pos >= opts.precision
                            && f.nested_band.precision_neg >= opts.precision)
                        {
                            format!(
                                "nested precision {:.3} / {:.3} (of 1 / of -1) < {:.2}: the band does not hold on images it was not chosen on",
                                f.nested_band.precision_pos, f.nested_band.precision_neg, opts.precision
                            )
                        } else if f.band.coverage < opts.min_coverage {
                            format!(
                                "the band labels {:.0}% of images (< {:.0}%)",
                                100.0 * f.band.coverage,
                                100.0 * opts.min_coverage
                            )
                        } else if input_auc.is_some_and(|b| b >= auc) {
                            format!(
                                "the input bundle's own value is better (AUC {:.3})",
                                input_auc.unwrap_or_default()
                            )
                        } else {
                            out.shipped = true;
                            "shipped".into()
                        };
                        out.fitted = Some(f);
                    }
                }
                out
            })
            .collect()
    });
    bar.finish_and_clear();

    // The heads on raw features: the standardisation folded in.
    let mut heads = Heads {
        layout,
        mean: mean.iter().map(|m| *m as f32).collect(),
        heads: Vec::new(),
        metadata: Default::default(),
    };
    let retrained: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.shipped)
        .map(|o| o.name.as_str())
        .collect();
    if let Some(old) = &bundle.heads {
        heads.heads.extend(
            old.heads
                .iter()
                .filter(|h| !retrained.contains(&h.attribute.as_str()))
                .cloned(),
        );
    }
    for o in outcomes.iter().filter(|o| o.shipped) {
        let Some(f) = &o.fitted else { continue };
        let w: Vec<f64> = f.weights.iter().zip(&std).map(|(w, s)| w / s).collect();
        let bias = f.intercept - w.iter().zip(&mean).map(|(w, m)| w * m).sum::<f64>();
        heads.heads.push(Head {
            attribute: o.name.clone(),
            bias,
            weights: w.iter().map(|v| *v as f32).collect(),
        });
    }
    let created = crate::annotations::created_now();
    let training = training_table(opts, &labels, n, &created, &outcomes);
    heads.metadata.insert(
        "macsql.training".into(),
        serde_json::to_string(&training).unwrap_or_default(),
    );
    let heads_path = sibling(&opts.output, "-heads.parquet");
    if let Some(dir) = opts.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ForeignError::io(dir, e))?;
    }
    heads
        .write(&heads_path)
        .map_err(|e| invalid(format!("cannot write {}: {e}", heads_path.display())))?;
    let text = bundle_text(opts, &bundle, &heads_path, training, &outcomes)?;
    let tmp = opts.output.with_extension("toml.tmp");
    std::fs::write(&tmp, text).map_err(|e| ForeignError::io(&tmp, e))?;
    std::fs::rename(&tmp, &opts.output).map_err(|e| ForeignError::io(&opts.output, e))?;
    // The new bundle must load: the same check annotate makes.
    let written = Arc::new(Bundle::load(&opts.output)?);
    Classifier::load_streams(written, 1, 1, Detect::Auto)?;

    let summary = TrainSummary {
        rows: labels.rows.len(),
        sources: labels.sources.clone(),
        groups: labels.groups,
        used: n,
        reused: extracted.reused,
        failed: extracted.failed,
        no_face: extracted.no_face,
        attributes: outcomes,
        output: opts.output.clone(),
        heads: heads_path,
        report: sibling(&opts.output, "-report.md"),
        heldout: sibling(&opts.output, "-heldout.parquet"),
        seconds: start.elapsed().as_secs_f64(),
    };
    report::write(&summary, opts, &bundle, &created)?;
    report::write_heldout(&summary, &labels, opts, &created)?;
    Ok(summary)
}

/// Prints "k/N name (s)" on stderr when dropped: the progress of a run without a terminal.
struct Logged<'a> {
    name: &'a str,
    done: &'a std::sync::atomic::AtomicUsize,
    total: usize,
    since: Instant,
}

impl Drop for Logged<'_> {
    fn drop(&mut self) {
        let k = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        eprintln!(
            "train: {k}/{} heads fitted ({}, {:.0} s)",
            self.total,
            self.name,
            self.since.elapsed().as_secs_f64()
        );
    }
}

/// Advances a progress bar when dropped (whichever way an attribute's fit ends).
struct Tick<'a>(&'a ProgressBar);

impl Drop for Tick<'_> {
    fn drop(&mut self) {
        self.0.inc(1);
    }
}

/// The `[training]` table of the new bundle.
fn training_table(
    opts: &TrainOptions,
    labels: &labels::LabelSet,
    used: usize,
    created: &str,
    outcomes: &[AttributeOutcome],
) -> toml::Table {
    let mut t = toml::Table::new();
    let tables: Vec<toml::Value> = labels
        .sources
        .iter()
        .map(|s| s.path.display().to_string().into())
        .collect();
    t.insert("labels".into(), tables.into());
    t.insert("rows".into(), (labels.rows.len() as i64).into());
    if let Some(g) = &labels.group_column {
        t.insert("group".into(), g.clone().into());
        t.insert("groups".into(), (labels.groups as i64).into());
    }
    t.insert("images".into(), (used as i64).into());
    t.insert("command".into(), opts.command.clone().into());
    t.insert("time".into(), created.to_string().into());
    t.insert("folds".into(), (opts.folds as i64).into());
    t.insert("precision".into(), opts.precision.into());
    t.insert("min_auc".into(), opts.min_auc.into());
    t.insert("min_coverage".into(), opts.min_coverage.into());
    t.insert("source_side".into(), (opts.source_side as i64).into());
    if let Some(l) = &opts.label_licence {
        t.insert("label_licence".into(), l.clone().into());
    }
    let shipped: Vec<toml::Value> = outcomes
        .iter()
        .filter(|o| o.shipped)
        .map(|o| o.name.clone().into())
        .collect();
    t.insert("attributes".into(), shipped.into());
    t
}

/// `to` relative to the folder `from` (both made absolute), or `to` absolute when they share
/// no root.
fn relative(to: &Path, from: &Path) -> PathBuf {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (to, from) = (abs(to), abs(from));
    let (a, b): (Vec<Component>, Vec<Component>) = (to.components().collect(), from.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return to;
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &a[common..] {
        out.push(c);
    }
    out
}

/// The new manifest: the input's (extends resolved, files relative to the new folder), the
/// heads file, the `[training]` table and the attributes (input attributes that a head
/// replaces left out, new heads appended).
fn bundle_text(
    opts: &TrainOptions,
    bundle: &Bundle,
    heads_path: &Path,
    training: toml::Table,
    outcomes: &[AttributeOutcome],
) -> Result<String, MacError> {
    let mut t = merged_manifest(&bundle.path)?;
    let src = bundle.path.parent().unwrap_or(Path::new("."));
    let dst = opts
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let moved = |file: &toml::Value| -> Option<toml::Value> {
        let f = file.as_str()?;
        Some(relative(&src.join(f), dst).display().to_string().into())
    };
    if let Some(toml::Value::Table(det)) = t.get_mut("detector")
        && let Some(f) = det.get("file").and_then(moved)
    {
        det.insert("file".into(), f);
    }
    if let Some(toml::Value::Array(models)) = t.get_mut("model") {
        for m in models.iter_mut() {
            if let Some(m) = m.as_table_mut()
                && let Some(f) = m.get("file").and_then(moved)
            {
                m.insert("file".into(), f);
            }
        }
    }
    let name = opts.name.clone().unwrap_or_else(|| {
        opts.output
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("trained")
            .to_string()
    });
    t.insert("name".into(), name.into());
    let heads_name = heads_path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    t.insert("heads".into(), heads_name.to_string().into());
    t.insert("training".into(), toml::Value::Table(training));
    let shipped: Vec<&AttributeOutcome> = outcomes.iter().filter(|o| o.shipped).collect();
    let mut attributes: Vec<toml::Value> = match t.remove("attribute") {
        Some(toml::Value::Array(a)) => a
            .into_iter()
            .filter(|a| {
                let name = a.get("name").and_then(|n| n.as_str()).unwrap_or_default();
                !shipped.iter().any(|o| o.name == name)
            })
            .collect(),
        _ => Vec::new(),
    };
    for o in shipped {
        let Some(f) = &o.fitted else { continue };
        let mut a = toml::Table::new();
        a.insert("name".into(), o.name.clone().into());
        a.insert("read".into(), "linear".into());
        let mut band = toml::Table::new();
        band.insert("lo".into(), round4(f.band.lo).into());
        band.insert("hi".into(), round4(f.band.hi).into());
        a.insert("band".into(), toml::Value::Table(band));
        attributes.push(toml::Value::Table(a));
    }
    t.insert("attribute".into(), toml::Value::Array(attributes));
    let body = toml::to_string(&t).map_err(|e| invalid(format!("cannot write the manifest: {e}")))?;
    Ok(format!(
        "# Written by `macsql train` from {} (see that manifest for what each key means).\n# {}\n\n{body}",
        bundle.path.display(),
        opts.command
    ))
}

/// Bands rounded to 4 decimals: a readable manifest, the same labels to well within a band's
/// sampling error.
fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_out_of_the_output_folder() {
        assert_eq!(
            relative(Path::new("/a/models/x.onnx"), Path::new("/a/out/b")),
            PathBuf::from("../../models/x.onnx")
        );
        assert_eq!(
            relative(Path::new("/a/x.onnx"), Path::new("/a")),
            PathBuf::from("x.onnx")
        );
    }
}
