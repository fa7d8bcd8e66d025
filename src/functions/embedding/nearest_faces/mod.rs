//! `nearest_faces(table, query, k [, options])`: a table function returning the `k` faces of
//! `table` most similar (cosine similarity of the embeddings) to a query face, with the table's
//! own columns, so that one sees which real faces a synthetic one resembles.
//!
//! The query is an embedding literal (`[0.1, ...]`, `make_array(...)`), a SELECT / WITH query
//! whose rows hold embeddings (each row one query), or an image path: one of the table's `path`
//! column, else any image file, annotated on the spot with the session's `mac_annotate`. The
//! search is exact: every row is scored (in parallel), a bounded heap per query keeps the best
//! `k` ([`TopK`]).

mod args;
pub mod topk;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray, new_null_array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;
use rayon::prelude::*;

use super::faces::{FaceMatrix, dot, inverse_norm};
use super::vectors::{Dimension, check_same_dimension, fixed_dimension, is_embedding_type, visit_rows};
use crate::functions::table_source::{Computed, ComputedTable, blocking, source_sql};
use args::{NearestOptions, Query, k_arg, literal_vector, plan_schema, query_column, string_arg};
pub use topk::{Hit, TopK, unit_distance};

const NAME: &str = "nearest_faces";

/// The columns `nearest_faces` puts before the table's own.
const OWN_COLUMNS: [&str; 5] = ["query", "query_path", "rank", "similarity", "distance"];

/// The `nearest_faces` table function.
#[derive(Debug, Default)]
pub struct NearestFaces;

impl TableFunctionImpl for NearestFaces {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if !(3..=4).contains(&exprs.len()) {
            return plan_err!(
                "{NAME}: expected (table, query, k [, options]), got {} arguments",
                exprs.len()
            );
        }
        let source = string_arg(&exprs[0], "table")?;
        let k = k_arg(&exprs[2])?;
        let options = match exprs.get(3) {
            Some(e) => NearestOptions::parse(&string_arg(e, "options")?)?,
            None => NearestOptions::parse("")?,
        };
        let table = plan_schema(
            args.session(),
            format!("SELECT * FROM {} LIMIT 0", source_sql(&source)),
        )?;
        let columns = || {
            let names: Vec<&str> = table.fields().iter().map(|f| f.name().as_str()).collect();
            names.join(", ")
        };
        let emb = &options.embedding;
        let Ok(field) = table.field_with_name(emb) else {
            return plan_err!(
                "{NAME}: embedding column '{emb}' (option `embedding`) is not a column of \
                 {source}; columns: {}",
                columns()
            );
        };
        if !is_embedding_type(field.data_type()) {
            return plan_err!(
                "{NAME}: column '{emb}' of argument `table` must be an embedding (a list of \
                 Float32 or Float64), got {}",
                field.data_type()
            );
        }
        let query = match &exprs[1] {
            Expr::Literal(v, _) => match v.try_as_str() {
                Some(Some(s)) => {
                    let lower = s.trim_start().to_ascii_lowercase();
                    if lower.starts_with("select") || lower.starts_with("with") {
                        let q = plan_schema(args.session(), format!("SELECT * FROM ({s}) LIMIT 0"))?;
                        let column = query_column(&q, emb)?;
                        let qt = q.field_with_name(&column)?.data_type().clone();
                        check_same_dimension(NAME, ("query", &qt), ("table", field.data_type()))?;
                        Query::Sql {
                            sql: s.to_string(),
                            column,
                            path: q.field_with_name("path").is_ok(),
                        }
                    } else {
                        if table.field_with_name("path").is_err() {
                            return plan_err!(
                                "{NAME}: argument `query` '{s}' is read as an image path, but \
                                 {source} has no `path` column; columns: {}",
                                columns()
                            );
                        }
                        Query::Path(s.to_string())
                    }
                }
                _ => {
                    let v = literal_vector(v)?;
                    if let Some(d) = fixed_dimension(field.data_type())
                        && d != v.len()
                    {
                        return plan_err!(
                            "{NAME}: argument `query` has {} dimensions, the table's '{emb}' {d}",
                            v.len()
                        );
                    }
                    Query::Vector(v)
                }
            },
            other => {
                return plan_err!(
                    "{NAME}: argument `query` must be a constant (an embedding, a query string or \
                     a path), got {other}"
                );
            }
        };
        let mut fields: Vec<Field> = vec![Field::new("query", DataType::Int64, false)];
        let has_query_path = matches!(query, Query::Path(_) | Query::Sql { path: true, .. });
        if has_query_path {
            fields.push(Field::new("query_path", DataType::Utf8, true));
        }
        fields.push(Field::new("rank", DataType::Int64, false));
        fields.push(Field::new("similarity", DataType::Float64, false));
        fields.push(Field::new("distance", DataType::Float64, false));
        for f in table.fields() {
            if OWN_COLUMNS.contains(&f.name().as_str()) {
                return plan_err!(
                    "{NAME}: column '{}' of {source} has the name of an output column ({}); \
                     rename it with a SELECT as argument `table`",
                    f.name(),
                    OWN_COLUMNS.join(", ")
                );
            }
            fields.push(f.as_ref().clone().with_nullable(true));
        }
        Ok(Arc::new(Computed(NearestTable {
            source,
            query,
            k,
            options,
            schema: Arc::new(Schema::new(fields)),
            query_path: has_query_path,
        })))
    }
}

/// A pending search: runs when scanned.
#[derive(Debug)]
struct NearestTable {
    source: String,
    query: Query,
    k: usize,
    options: NearestOptions,
    schema: SchemaRef,
    query_path: bool,
}

/// One query face.
struct QueryFace {
    number: i64,
    path: Option<String>,
    vector: Vec<f32>,
}

/// The table's faces: the matrix, where each face's row is, and its path (if there is a column).
struct TableFaces {
    batches: Vec<RecordBatch>,
    faces: FaceMatrix,
    located: Vec<(usize, usize)>,
    paths: Vec<Option<String>>,
}

#[async_trait]
impl ComputedTable for NearestTable {
    const NAME: &'static str = NAME;

    fn output_schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    async fn compute(&self, ctx: &SessionContext) -> Result<RecordBatch> {
        let sql = format!("SELECT * FROM {}", source_sql(&self.source));
        let table = self.read_table(ctx.sql(&sql).await?.collect().await?)?;
        let queries = self.queries(ctx, &table).await?;
        let (k, exclude) = (self.k, self.options.exclude_self);
        let (table, queries, hits) = blocking(move || {
            let hits: Vec<Vec<Hit>> = queries
                .iter()
                .map(|q| {
                    let skip = exclude.then_some(q.path.as_deref()).flatten();
                    search(&table, q, k, skip)
                })
                .collect();
            (table, queries, hits)
        })
        .await?;
        self.output(&table, &queries, &hits)
    }
}

/// The embedding of the image file `path` (not in the table): the session's `mac_annotate`
/// runs the bundle on it, as `macsql annotate` would.
async fn annotated(ctx: &SessionContext, path: &str) -> Result<Vec<f32>> {
    let sql = format!(
        "SELECT mac_annotate('{}')['embedding'] AS embedding",
        path.replace('\'', "''")
    );
    let failed = |e: DataFusionError| {
        DataFusionError::Execution(format!(
            "{NAME}: argument `query` '{path}' is not in the table, and annotating the image \
             with mac_annotate() failed: {e}"
        ))
    };
    let batches = ctx
        .sql(&sql)
        .await
        .map_err(failed)?
        .collect()
        .await
        .map_err(failed)?;
    let mut vector = None;
    for batch in &batches {
        let values = batch.column(0);
        visit_rows(NAME, "query", values.as_ref(), |_, v| {
            vector = v.filter(|v| inverse_norm(v).is_some()).map(<[f32]>::to_vec);
            Ok(())
        })?;
    }
    match vector {
        Some(v) => Ok(v),
        None => exec_err!(
            "{NAME}: argument `query` '{path}': the bundle found no face in the image (its \
             embedding is NULL)"
        ),
    }
}

/// The best `k` faces of `table` for query `q`, leaving out faces whose path is `skip`.
fn search(table: &TableFaces, q: &QueryFace, k: usize, skip: Option<&str>) -> Vec<Hit> {
    let inv_q = inverse_norm(&q.vector).unwrap_or(0.0);
    let f = &table.faces;
    (0..f.len())
        .into_par_iter()
        .with_min_len(4096)
        .fold(
            || TopK::new(k),
            |mut t, i| {
                if skip.is_none() || table.paths[i].as_deref() != skip {
                    let similarity = dot(&q.vector, f.row(i)) * inv_q * f.inv_norm(i);
                    t.push(Hit { similarity, index: i });
                }
                t
            },
        )
        .reduce(|| TopK::new(k), TopK::merge)
        .into_sorted()
}

impl NearestTable {
    fn read_table(&self, batches: Vec<RecordBatch>) -> Result<TableFaces> {
        let mut faces: Option<FaceMatrix> = None;
        let (mut located, mut paths) = (Vec::new(), Vec::new());
        let mut dim = Dimension::default();
        let mut seen = 0;
        for (b, batch) in batches.iter().enumerate() {
            let Some(column) = batch.column_by_name(&self.options.embedding) else {
                return exec_err!("{NAME}: the table has no column '{}'", self.options.embedding);
            };
            let path = match batch.column_by_name("path") {
                Some(p) => Some(arrow::compute::cast(p, &DataType::Utf8)?),
                None => None,
            };
            let path = path.as_ref().map(|p| p.as_string::<i32>());
            visit_rows(NAME, "table", column.as_ref(), |row, values| {
                let Some(values) = values else {
                    return Ok(());
                };
                let d = dim.check(NAME, "table", seen + row, values.len())?;
                let m = faces.get_or_insert_with(|| FaceMatrix::new(d));
                if m.push(values) {
                    located.push((b, row));
                    paths.push(path.filter(|p| p.is_valid(row)).map(|p| p.value(row).to_string()));
                }
                Ok(())
            })?;
            seen += batch.num_rows();
        }
        Ok(TableFaces {
            batches,
            faces: faces.unwrap_or_else(|| FaceMatrix::new(dim.get().unwrap_or(0))),
            located,
            paths,
        })
    }

    async fn queries(&self, ctx: &SessionContext, table: &TableFaces) -> Result<Vec<QueryFace>> {
        let dim = table.faces.dim();
        let check = |v: &[f32]| -> Result<()> {
            if !table.faces.is_empty() && v.len() != dim {
                return exec_err!(
                    "{NAME}: argument `query` has {} dimensions, the table's '{}' {dim}",
                    v.len(),
                    self.options.embedding
                );
            }
            Ok(())
        };
        match &self.query {
            Query::Vector(v) => {
                check(v)?;
                Ok(vec![QueryFace {
                    number: 1,
                    path: None,
                    vector: v.clone(),
                }])
            }
            Query::Path(p) => {
                let vector = match table.paths.iter().position(|x| x.as_deref() == Some(p)) {
                    Some(i) => table.faces.row(i).to_vec(),
                    None if std::path::Path::new(p).is_file() => annotated(ctx, p).await?,
                    None => {
                        return exec_err!(
                            "{NAME}: argument `query` '{p}' is neither a path with a face in the \
                             `path` column of {} nor an image file (nor a SELECT / WITH query)",
                            self.source
                        );
                    }
                };
                check(&vector)?;
                Ok(vec![QueryFace {
                    number: 1,
                    path: Some(p.clone()),
                    vector,
                }])
            }
            Query::Sql { sql, column, path } => {
                let mut out = Vec::new();
                let mut number = 0i64;
                for batch in ctx.sql(sql).await?.collect().await? {
                    let paths = match path {
                        true => Some(arrow::compute::cast(
                            batch.column_by_name("path").expect("planned with a path"),
                            &DataType::Utf8,
                        )?),
                        false => None,
                    };
                    let paths = paths.as_ref().map(|p| p.as_string::<i32>());
                    let values = batch.column_by_name(column).expect("planned with the column");
                    visit_rows(NAME, "query", values.as_ref(), |row, v| {
                        number += 1;
                        if let Some(v) = v.filter(|v| inverse_norm(v).is_some()) {
                            check(v)?;
                            out.push(QueryFace {
                                number,
                                path: paths
                                    .filter(|p| p.is_valid(row))
                                    .map(|p| p.value(row).to_string()),
                                vector: v.to_vec(),
                            });
                        }
                        Ok(())
                    })?;
                }
                Ok(out)
            }
        }
    }

    fn output(&self, table: &TableFaces, queries: &[QueryFace], hits: &[Vec<Hit>]) -> Result<RecordBatch> {
        let n: usize = hits.iter().map(Vec::len).sum();
        let (mut number, mut qpath, mut rank, mut sim, mut dist, mut at) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (q, hs) in queries.iter().zip(hits) {
            for (r, h) in hs.iter().enumerate() {
                number.push(q.number);
                qpath.push(q.path.clone());
                rank.push(r as i64 + 1);
                sim.push(h.similarity);
                dist.push(unit_distance(h.similarity));
                at.push(table.located[h.index]);
            }
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(number))];
        if self.query_path {
            columns.push(Arc::new(StringArray::from(qpath)));
        }
        columns.push(Arc::new(Int64Array::from(rank)));
        columns.push(Arc::new(Float64Array::from(sim)));
        columns.push(Arc::new(Float64Array::from(dist)));
        let own = columns.len();
        for (c, field) in self.schema.fields().iter().enumerate().skip(own) {
            let name = field.name();
            let parts: Vec<&dyn Array> = table
                .batches
                .iter()
                .filter_map(|b| b.column_by_name(name).map(|a| a.as_ref()))
                .collect();
            let column = if at.is_empty() || parts.len() != table.batches.len() {
                new_null_array(self.schema.field(c).data_type(), at.len())
            } else {
                arrow::compute::interleave(&parts, &at)?
            };
            columns.push(column);
        }
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}
