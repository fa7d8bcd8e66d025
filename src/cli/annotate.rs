//! `macsql annotate` and `macsql train`: command-line arguments and what they print.

use std::path::PathBuf;

use macsql::{AnnotateOptions, Detect, FaceChoice, Kind, Result, Shard, TrainOptions, annotate, train};

use macsql::command_line;

use super::threads;

/// Arguments of `macsql annotate`.
#[derive(Debug, Clone, clap::Args)]
pub struct AnnotateArgs {
    /// Images, image folders (searched recursively) or CSV files listing image paths.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Dataset name stored in every row.
    #[arg(long)]
    pub dataset: String,
    /// Whether the images are real or synthetic.
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// Model bundle manifest, or `small` for the small built-in bundle (three small models,
    /// 14 attributes, about 2.5x faster) [default: MACSQL_MODEL, else the default bundle built
    /// into macsql]
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Detect faces (`auto`: when the bundle has a detector) or take each model's fixed crop box
    /// (`none`: the images are aligned already, e.g. FFHQ).
    #[arg(long, value_enum, default_value_t = Detect::Auto)]
    pub detect: Detect,
    /// Label the largest face of each image, or every face (one row each, with face_index).
    #[arg(long, value_enum, default_value_t = FaceChoice::Largest)]
    pub faces: FaceChoice,
    /// Output Parquet file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Images per inference batch.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Threads for decoding and inference (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Take each image's identity from its parent folder's name.
    #[arg(long)]
    pub identity_from_dir: bool,
    /// Leave out the `embedding` column (the labelled face's dlib ResNet descriptor, 128
    /// float32 values: about 0.5 KB a row).
    #[arg(long)]
    pub no_embedding: bool,
    /// Complete an interrupted run: skip images already in the output.
    #[arg(long)]
    pub resume: bool,
    /// Annotate one shard of the images: I/N (0 <= I < N), auto (a Slurm job array) or auto/N
    /// (the index from JOB_COMPLETION_INDEX); an image's shard is a hash of its path relative
    /// to the input folder, so N jobs cover every image exactly once.
    #[arg(long, value_name = "I/N|auto|auto/N")]
    pub shard: Option<String>,
    /// No progress bar or summary.
    #[arg(short, long)]
    pub quiet: bool,
}

impl AnnotateArgs {
    /// The pipeline options these arguments describe.
    pub fn options(&self) -> AnnotateOptions {
        AnnotateOptions {
            paths: self.paths.clone(),
            dataset: self.dataset.clone(),
            kind: self.kind,
            model: self.model.clone(),
            detect: self.detect,
            faces: self.faces,
            output: self.output.clone(),
            batch: self.batch,
            threads: threads(self.threads),
            identity_from_dir: self.identity_from_dir,
            embedding: !self.no_embedding,
            resume: self.resume,
            shard: None,
            progress: !self.quiet,
            command: command_line(),
            cancel: None,
        }
    }
}

/// Runs `macsql annotate`.
pub fn run(args: AnnotateArgs) -> Result<()> {
    let mut options = args.options();
    if let Some(text) = &args.shard {
        options.shard = Some(text.parse::<Shard>()?);
    }
    let summary = annotate(&options)?;
    if summary.already_done {
        let shard = options.shard.map_or(String::new(), |s| format!("shard {s} of "));
        eprintln!(
            "{shard}{} is done already ({} rows in {}, done-marker beside it): nothing to do",
            options.dataset,
            summary.rows,
            summary.output.display()
        );
        return Ok(());
    }
    if !args.quiet {
        let rate = summary.annotated as f64 / summary.seconds.max(1e-9);
        let shard = options.shard.map_or(String::new(), |s| format!("shard {s}: "));
        eprintln!(
            "{shard}annotated {} images ({} unreadable, {} without a face, {} done earlier) in {:.1} s ({rate:.1} images/s); {} rows in {}",
            summary.annotated,
            summary.errors,
            summary.no_face,
            summary.skipped,
            summary.seconds,
            summary.rows,
            summary.output.display()
        );
    }
    Ok(())
}

/// Arguments of `macsql train`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// Labels tables (CSV, Parquet, ...), one per label source: a `path` column and columns
    /// named after attributes holding 1 / -1 (0 or empty: not labelled; a table without an
    /// attribute's column does not label it).
    #[arg(value_name = "LABELS", required = true, num_args = 1..)]
    pub labels: Vec<PathBuf>,
    /// The column naming each image's person (in every table): cross-validation folds never
    /// put one person's images on both sides [default: every image is its own group, which is
    /// optimistic when a person has several images]
    #[arg(long, value_name = "COLUMN")]
    pub group: Option<String>,
    /// A features file (Parquet) to reuse and extend: images it holds for the same bundle are
    /// not extracted again.
    #[arg(long, value_name = "FILE")]
    pub features: Option<PathBuf>,
    /// Attribute columns to learn (MAAD-Face names), e.g. --attribute Eyeglasses Mustache.
    #[arg(long = "attribute", required = true, num_args = 1.., value_name = "NAME")]
    pub attributes: Vec<String>,
    /// The bundle to write (heads and report go next to it).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Input bundle manifest [default: MACSQL_MODEL, else the bundle built into macsql]
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Folder that relative image paths resolve against [default: the table's folder]
    #[arg(long)]
    pub images_root: Option<PathBuf>,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Splits into folds that the nested band precisions (which decide whether a head ships)
    /// are pooled over: repeated cross-validation, less noisy than one split.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub repeats: u16,
    /// Precision the reliability bands must reach on each side.
    #[arg(long, default_value_t = 0.90)]
    pub precision: f64,
    /// Smallest cross-validated ROC AUC for a head to go into the bundle.
    #[arg(long, default_value_t = 0.80)]
    pub min_auc: f64,
    /// Smallest share of held-out images a head's band must label 1 or -1 to go into the bundle.
    #[arg(long, default_value_t = 0.25)]
    pub min_coverage: f64,
    /// Each band side must also reach the precision on every label source (table) where it
    /// labels at least this many held-out images: narrowed until it does, unless that leaves
    /// less than --min-coverage (then the pooled band stands, marked in the report). 0: the
    /// precision is reached pooled over the sources only.
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub source_side: usize,
    /// The new bundle's name [default: the output's file stem]
    #[arg(long)]
    pub name: Option<String>,
    /// The labels' licence or terms, recorded in the bundle's metadata.
    #[arg(long)]
    pub label_licence: Option<String>,
    /// Threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar or summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `macsql train`.
pub async fn run_train(args: TrainArgs) -> Result<()> {
    let opts = TrainOptions {
        labels: args.labels,
        group: args.group,
        features: args.features,
        attributes: args.attributes,
        output: args.output,
        model: args.model,
        images_root: args.images_root,
        folds: args.folds,
        repeats: usize::from(args.repeats),
        precision: args.precision,
        min_auc: args.min_auc,
        min_coverage: args.min_coverage,
        source_side: args.source_side,
        threads: threads(args.threads),
        name: args.name,
        label_licence: args.label_licence,
        progress: !args.quiet,
        command: command_line(),
    };
    let args_group = opts.group.is_some();
    let s = train(&opts).await?;
    if !args.quiet {
        for (p, e) in &s.failed {
            eprintln!("skipped {}: {e}", p.display());
        }
        eprintln!(
            "{} images used ({} unreadable, {} without a face; {} features reused) from {} rows of {} tables, {} {} in {:.0} s",
            s.used,
            s.failed.len(),
            s.no_face.len(),
            s.reused,
            s.rows,
            s.sources.len(),
            s.groups,
            if args_group { "people" } else { "images as groups" },
            s.seconds
        );
        for a in &s.attributes {
            match &a.fitted {
                Some(f) => {
                    let (auc, sd) = f.auc();
                    eprintln!(
                        "  {:<20} AUC {auc:.3} ± {sd:.3}  balanced accuracy {:.3}  coverage {:.2}  {}",
                        a.name, f.balanced_accuracy, f.band.coverage, a.reason
                    );
                }
                None => eprintln!("  {:<20} {}", a.name, a.reason),
            }
        }
        let shipped = s.attributes.iter().filter(|a| a.shipped).count();
        eprintln!(
            "wrote {} ({shipped} new heads in {}); report {}; held-out predictions {}",
            s.output.display(),
            s.heads.display(),
            s.report.display(),
            s.heldout.display()
        );
    }
    Ok(())
}
