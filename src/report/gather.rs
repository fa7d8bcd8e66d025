//! Everything the report shows, gathered by SQL over the registered tables: the inputs and their
//! provenance metadata, rows and identities per dataset, `compare_attributes` over the whole
//! input and over each subgroup, and every attribute's histogram per dataset.

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type, SchemaRef};

use super::{ReportError, ReportOptions};
use crate::engine::Engine;
use crate::functions::compare_attributes::{Comparison, row::from_batches};
use crate::functions::table_source::ident;
use crate::plot::data::map_entries;

/// The view the report reads when it unions several tables (dropped at the end).
pub const UNION_VIEW: &str = "__macsql_report_input";

/// One registered table the report reads.
#[derive(Debug, Clone)]
pub struct Input {
    /// The table name.
    pub table: String,
    /// Its rows.
    pub rows: i64,
    /// The Parquet file it was registered from, when it was one.
    pub path: Option<PathBuf>,
    /// macsql's provenance metadata (`macsql.*` keys) of the table or file.
    pub metadata: BTreeMap<String, String>,
}

impl Input {
    /// Whether the table is the simulated demo catalog (or was written from it).
    pub fn simulated(&self) -> bool {
        self.metadata
            .get(crate::annotations::meta::SOURCE)
            .map(String::as_str)
            == Some("simulated")
    }
}

/// Rows and identities of one dataset.
#[derive(Debug, Clone)]
pub struct DatasetRow {
    /// The dataset (the `--by` column's value).
    pub dataset: String,
    /// Its kind (`real` / `synthetic`; None without a kind column; `mixed` when it has several).
    pub kind: Option<String>,
    /// Rows (images).
    pub rows: i64,
    /// Distinct identities, when there is an `identity` column.
    pub identities: Option<i64>,
}

/// One subgroup's comparison.
#[derive(Debug, Clone)]
pub struct Subgroup {
    /// The SQL condition that selects it.
    pub condition: String,
    /// Rows per dataset in the subgroup.
    pub rows: Vec<(String, i64)>,
    /// `compare_attributes` over the subgroup (no bootstrap).
    pub comparisons: Vec<Comparison>,
}

/// Attribute -> (dataset, [(value, count)]), datasets in name order.
pub type Distributions = BTreeMap<String, Vec<(String, Vec<(String, f64)>)>>;

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct Gathered {
    /// The tables read.
    pub inputs: Vec<Input>,
    /// Rows per dataset.
    pub datasets: Vec<DatasetRow>,
    /// Dataset -> kind, for the datasets that have exactly one.
    pub kinds: BTreeMap<String, String>,
    /// The attributes compared, in column order.
    pub attributes: Vec<String>,
    /// Columns that look like attributes but are not compared, and why.
    pub left_out: Vec<(String, String)>,
    /// The options `compare_attributes` ran with.
    pub options: String,
    /// Every attribute and ordered pair of datasets.
    pub comparisons: Vec<Comparison>,
    /// Attribute -> (dataset, [(value, count)]).
    pub distributions: Distributions,
    /// The subgroups asked for.
    pub subgroups: Vec<Subgroup>,
    /// The face-embedding figures, when the tables carry embeddings.
    pub embeddings: Option<super::embeddings::EmbeddingFigures>,
}

/// A SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The `macsql.*` metadata of a table: its schema's (in-memory tables such as the demo), else
/// the footer of the Parquet file it was registered from.
async fn provenance(
    engine: &Engine,
    table: &str,
) -> Result<(Option<PathBuf>, BTreeMap<String, String>), ReportError> {
    let provider = engine.context().table_provider(table).await?;
    let keep = |k: &str| k.starts_with("macsql.");
    let mut metadata: BTreeMap<String, String> = provider
        .schema()
        .metadata()
        .iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let path = crate::catalog::source_path_of(provider.as_ref());
    if metadata.is_empty()
        && let Some(p) = path.as_deref().and_then(crate::catalog::first_parquet_file)
        && let Ok(file) = std::fs::File::open(&p)
        && let Ok(reader) = parquet::file::serialized_reader::SerializedFileReader::new(file)
    {
        use parquet::file::reader::FileReader;
        if let Some(kv) = reader.metadata().file_metadata().key_value_metadata() {
            for e in kv {
                if keep(&e.key)
                    && let Some(v) = &e.value
                {
                    metadata.insert(e.key.clone(), v.clone());
                }
            }
        }
    }
    Ok((path, metadata))
}

/// The attribute-like columns of a schema, in order, without the dataset, kind and identity
/// columns: Int8 or boolean (macsql's labels), or any integer column when `named` (the user
/// named them with --attributes, e.g. labels read from a CSV file as Int64).
fn attribute_columns(schema: &SchemaRef, skip: &[&str], named: &[String]) -> Vec<(String, DataType)> {
    schema
        .fields()
        .iter()
        .filter(|f| match f.data_type() {
            DataType::Int8 | DataType::Boolean => true,
            d => d.is_integer() && named.contains(f.name()),
        })
        .filter(|f| !skip.contains(&f.name().as_str()))
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect()
}

/// Sets up the source the comparisons read: the table itself, or a view that unions the
/// shared columns of several. Returns (source name, attributes, left out, has kind, has identity).
async fn source(
    engine: &Engine,
    tables: &[String],
    opts: &ReportOptions,
) -> Result<(String, Vec<String>, Vec<(String, String)>, bool, bool), ReportError> {
    let mut schemas = Vec::new();
    for t in tables {
        let schema = engine.context().table_provider(t).await?.schema();
        if schema.field_with_name(&opts.by).is_err() {
            let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(ReportError::NoDatasetColumn {
                table: t.clone(),
                column: opts.by.clone(),
                columns: columns.join(", "),
            });
        }
        schemas.push(schema);
    }
    let has = |c: &str| schemas.iter().all(|s| s.field_with_name(c).is_ok());
    let has_kind = has(&opts.kind_column);
    let has_identity = has("identity");
    let skip = [opts.by.as_str(), opts.kind_column.as_str(), "identity"];
    let first = attribute_columns(&schemas[0], &skip, &opts.attributes);
    let mut attributes = Vec::new();
    let mut left_out = Vec::new();
    for (name, dt) in &first {
        let problems: Vec<String> = tables
            .iter()
            .zip(&schemas)
            .filter_map(|(t, s)| match s.field_with_name(name) {
                Err(_) => Some(format!("not a column of {t}")),
                Ok(f) if f.data_type() != dt => {
                    Some(format!("{} in {t}, {dt} in {}", f.data_type(), tables[0]))
                }
                Ok(_) => None,
            })
            .collect();
        if problems.is_empty() {
            attributes.push(name.clone());
        } else {
            left_out.push((name.clone(), problems.join("; ")));
        }
    }
    for (t, s) in tables.iter().zip(&schemas).skip(1) {
        for (name, _) in attribute_columns(s, &skip, &opts.attributes) {
            if !first.iter().any(|(n, _)| *n == name) && !left_out.iter().any(|(n, _)| *n == name) {
                left_out.push((name, format!("only in {t}, not in {}", tables[0])));
            }
        }
    }
    if tables.len() == 1 {
        return Ok((tables[0].clone(), attributes, left_out, has_kind, has_identity));
    }
    let mut columns = vec![format!(
        "CAST({} AS VARCHAR) AS {}",
        ident(&opts.by),
        ident(&opts.by)
    )];
    if has_kind {
        columns.push(format!(
            "CAST({} AS VARCHAR) AS {}",
            ident(&opts.kind_column),
            ident(&opts.kind_column)
        ));
    }
    if has_identity {
        columns.push("CAST(\"identity\" AS VARCHAR) AS \"identity\"".into());
    }
    // The face-embedding section reads these when every table has them.
    let same = |c: &str| {
        let types: Vec<Option<&DataType>> = schemas
            .iter()
            .map(|s| s.field_with_name(c).ok().map(|f| f.data_type()))
            .collect();
        types.iter().all(|t| t.is_some() && *t == types[0])
    };
    if same("embedding") && same("path") {
        columns.push("CAST(\"path\" AS VARCHAR) AS \"path\"".into());
        columns.push("\"embedding\"".into());
    }
    columns.extend(attributes.iter().map(|a| ident(a)));
    let selects: Vec<String> = tables
        .iter()
        .map(|t| format!("SELECT {} FROM {}", columns.join(", "), ident(t)))
        .collect();
    collect(
        engine,
        &format!(
            "CREATE OR REPLACE VIEW {} AS {}",
            ident(UNION_VIEW),
            selects.join(" UNION ALL ")
        ),
    )
    .await?;
    Ok((
        UNION_VIEW.to_string(),
        attributes,
        left_out,
        has_kind,
        has_identity,
    ))
}

fn text_at(batch: &RecordBatch, col: usize, row: usize) -> Option<String> {
    let c = batch.column(col);
    if c.is_null(row) {
        return None;
    }
    let c = arrow::compute::cast(c, &DataType::Utf8).ok()?;
    Some(c.as_string::<i32>().value(row).to_string())
}

fn int_at(batch: &RecordBatch, col: usize, row: usize) -> Option<i64> {
    let c = arrow::compute::cast(batch.column(col), &DataType::Int64).ok()?;
    let c = c.as_primitive::<Int64Type>();
    c.is_valid(row).then(|| c.value(row))
}

/// Rows per dataset of `src` where `condition` holds.
async fn rows_per_dataset(
    engine: &Engine,
    src: &str,
    by: &str,
    condition: &str,
) -> Result<Vec<(String, i64)>, ReportError> {
    let sql = format!(
        "SELECT CAST({b} AS VARCHAR), count(*) FROM {} WHERE {b} IS NOT NULL AND ({condition}) GROUP BY 1 ORDER BY 1",
        ident(src),
        b = ident(by)
    );
    let mut out = Vec::new();
    for b in collect(engine, &sql).await? {
        for r in 0..b.num_rows() {
            out.push((
                text_at(&b, 0, r).unwrap_or_default(),
                int_at(&b, 1, r).unwrap_or(0),
            ));
        }
    }
    Ok(out)
}

/// Runs `compare_attributes` over `source` (a table name or a query).
async fn compare(
    engine: &Engine,
    source: &str,
    by: &str,
    options: &str,
) -> Result<Vec<Comparison>, ReportError> {
    let sql = format!(
        "SELECT * FROM compare_attributes({}, {}, {})",
        literal(source),
        literal(by),
        literal(options)
    );
    Ok(from_batches(&collect(engine, &sql).await?)?)
}

/// Runs one SQL statement on the engine's context and collects its result.
async fn collect(engine: &Engine, sql: &str) -> Result<Vec<RecordBatch>, ReportError> {
    Ok(engine.context().sql(sql).await?.collect().await?)
}

/// Gathers everything for the page from `tables`.
pub async fn gather(
    engine: &Engine,
    tables: &[String],
    opts: &ReportOptions,
) -> Result<Gathered, ReportError> {
    let mut inputs = Vec::new();
    for t in tables {
        let b = collect(engine, &format!("SELECT count(*) FROM {}", ident(t))).await?;
        let rows = b.first().and_then(|b| int_at(b, 0, 0)).unwrap_or(0);
        let (path, metadata) = provenance(engine, t).await?;
        inputs.push(Input {
            table: t.clone(),
            rows,
            path,
            metadata,
        });
    }
    let (src, mut attributes, left_out, has_kind, has_identity) = source(engine, tables, opts).await?;
    if !opts.attributes.is_empty() {
        for a in &opts.attributes {
            if !attributes.contains(a) {
                return Err(ReportError::NoAttribute {
                    attribute: a.clone(),
                    available: attributes.join(", "),
                });
            }
        }
        attributes = opts.attributes.clone();
    }
    let by = ident(&opts.by);
    let kind = if has_kind {
        format!("CAST({} AS VARCHAR)", ident(&opts.kind_column))
    } else {
        "CAST(NULL AS VARCHAR)".into()
    };
    let ids = if has_identity {
        "count(DISTINCT \"identity\")"
    } else {
        "CAST(NULL AS BIGINT)"
    };
    let sql = format!(
        "SELECT CAST({by} AS VARCHAR), {kind}, count(*), {ids} FROM {} WHERE {by} IS NOT NULL \
         GROUP BY 1, 2 ORDER BY 2, 1",
        ident(&src)
    );
    let mut datasets: Vec<DatasetRow> = Vec::new();
    for b in collect(engine, &sql).await? {
        for r in 0..b.num_rows() {
            datasets.push(DatasetRow {
                dataset: text_at(&b, 0, r).unwrap_or_default(),
                kind: text_at(&b, 1, r).map(|k| k.to_ascii_lowercase()),
                rows: int_at(&b, 2, r).unwrap_or(0),
                identities: int_at(&b, 3, r),
            });
        }
    }
    let mut kinds: BTreeMap<String, String> = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for d in &datasets {
        *seen.entry(d.dataset.clone()).or_default() += 1;
        if let Some(k) = &d.kind {
            kinds.insert(d.dataset.clone(), k.clone());
        }
    }
    // A dataset with rows of several kinds is one row, of kind `mixed`.
    for (name, n) in &seen {
        if *n > 1 {
            kinds.insert(name.clone(), "mixed".into());
            let rows: i64 = datasets
                .iter()
                .filter(|d| &d.dataset == name)
                .map(|d| d.rows)
                .sum();
            let at = datasets.iter().position(|d| &d.dataset == name).unwrap_or(0);
            datasets.retain(|d| &d.dataset != name);
            datasets.insert(
                at.min(datasets.len()),
                DatasetRow {
                    dataset: name.clone(),
                    kind: Some("mixed".into()),
                    rows,
                    identities: None,
                },
            );
        }
    }
    if seen.len() < 2 {
        return Err(ReportError::OneDataset {
            column: opts.by.clone(),
            found: seen.keys().cloned().collect::<Vec<_>>().join(", "),
        });
    }
    if attributes.is_empty() {
        return Err(ReportError::NoAttributes(tables.join(", ")));
    }

    if opts
        .options
        .split(',')
        .any(|p| p.trim().to_ascii_lowercase().starts_with("attributes"))
    {
        return Err(ReportError::AttributesOption);
    }
    // The report's defaults, then the user's options (a later key wins).
    let shown = match opts.options.trim() {
        "" => "bootstrap=200, min_n=30, alpha=0.5".to_string(),
        user => format!("bootstrap=200, min_n=30, alpha=0.5, {user}"),
    };
    let options = format!("attributes={}, {shown}", attributes.join(";"));
    let comparisons = compare(engine, &src, &opts.by, &options).await?;

    let hists: Vec<String> = attributes
        .iter()
        .map(|a| format!("attr_hist({})", ident(a)))
        .collect();
    let sql = format!(
        "SELECT CAST({by} AS VARCHAR), {} FROM {} WHERE {by} IS NOT NULL GROUP BY 1 ORDER BY 1",
        hists.join(", "),
        ident(&src)
    );
    let mut distributions = Distributions::new();
    for b in collect(engine, &sql).await? {
        for r in 0..b.num_rows() {
            let name = text_at(&b, 0, r).unwrap_or_default();
            for (i, a) in attributes.iter().enumerate() {
                let entries = map_entries(b.column(i + 1).as_map(), r);
                distributions
                    .entry(a.clone())
                    .or_default()
                    .push((name.clone(), entries));
            }
        }
    }

    let mut conditions: Vec<String> = opts.where_.iter().cloned().collect();
    for s in &opts.subgroups {
        conditions.push(subgroup_condition(s)?);
    }
    let mut subgroups = Vec::new();
    for condition in conditions {
        let rows = rows_per_dataset(engine, &src, &opts.by, &condition).await?;
        let query = format!("SELECT * FROM {} WHERE {condition}", ident(&src));
        let comparisons = compare(engine, &query, &opts.by, &format!("{options}, bootstrap=0")).await?;
        subgroups.push(Subgroup {
            condition,
            rows,
            comparisons,
        });
    }
    let embeddings = super::embeddings::gather(engine, &src, &opts.by, &kinds, has_identity).await?;
    if src == UNION_VIEW {
        collect(engine, &format!("DROP VIEW IF EXISTS {}", ident(UNION_VIEW))).await?;
    }
    Ok(Gathered {
        inputs,
        datasets,
        kinds,
        attributes,
        left_out,
        options: shown,
        comparisons,
        distributions,
        subgroups,
        embeddings,
    })
}

/// The SQL condition of a `--subgroups` entry: `Male` is `"Male" = 1`, `Male=-1` or `!Male` is
/// `"Male" = -1`.
pub fn subgroup_condition(entry: &str) -> Result<String, ReportError> {
    let entry = entry.trim();
    let (name, value) = match (entry.strip_prefix('!'), entry.split_once('=')) {
        (Some(name), _) => (name.trim(), -1),
        (None, Some((name, value))) => match value.trim().parse::<i64>() {
            Ok(v) => (name.trim(), v),
            Err(_) => return Err(ReportError::Subgroup(entry.to_string())),
        },
        (None, None) => (entry, 1),
    };
    if name.is_empty() {
        return Err(ReportError::Subgroup(entry.to_string()));
    }
    Ok(format!("{} = {value}", ident(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subgroup_entries_become_conditions() {
        assert_eq!(subgroup_condition("Male").unwrap(), "\"Male\" = 1");
        assert_eq!(subgroup_condition(" !Senior ").unwrap(), "\"Senior\" = -1");
        assert_eq!(subgroup_condition("Young=-1").unwrap(), "\"Young\" = -1");
        assert_eq!(
            subgroup_condition("5_o_Clock_Shadow").unwrap(),
            "\"5_o_Clock_Shadow\" = 1"
        );
        assert!(subgroup_condition("Male=yes").is_err());
        assert!(subgroup_condition("=1").is_err());
    }
}
