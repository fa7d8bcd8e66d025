//! The arguments of `nearest_faces`: what the `query` names (an embedding literal, a SELECT /
//! WITH query, an image path), `k`, the options string, and planning a query's schema.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;

use super::NAME;
use crate::functions::embedding::faces::inverse_norm;
use crate::functions::embedding::vectors::{is_embedding_type, visit_rows};

/// What the `query` argument names.
#[derive(Debug, Clone)]
pub(super) enum Query {
    /// An embedding given as a literal.
    Vector(Vec<f32>),
    /// A SELECT / WITH query whose column `column` holds embeddings; `path` if it has a `path`.
    Sql { sql: String, column: String, path: bool },
    /// An image path to look up in the table's `path` column.
    Path(String),
}

/// Options of `nearest_faces`: `'embedding=embedding, exclude_self=true'`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NearestOptions {
    /// The embedding column (of the table, and of a query's rows when they have one so named).
    pub(super) embedding: String,
    /// Leave out faces whose path is the query's.
    pub(super) exclude_self: bool,
}

impl NearestOptions {
    /// Parses `key=value` pairs separated by commas.
    pub(super) fn parse(text: &str) -> Result<Self> {
        const KEYS: &str = "embedding, exclude_self";
        let mut o = Self {
            embedding: "embedding".into(),
            exclude_self: true,
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return plan_err!("{NAME}: option '{part}' is not key=value (options: {KEYS})");
            };
            let (key, value) = (key.trim(), value.trim());
            match key.to_ascii_lowercase().as_str() {
                "embedding" if !value.is_empty() => o.embedding = value.to_string(),
                "embedding" => return plan_err!("{NAME}: option `embedding` needs a column name"),
                "exclude_self" => {
                    o.exclude_self = match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return plan_err!(
                                "{NAME}: option `exclude_self` must be true or false, got '{value}'"
                            );
                        }
                    }
                }
                _ => return plan_err!("{NAME}: unknown option `{key}` (options: {KEYS})"),
            }
        }
        Ok(o)
    }
}

pub(super) fn string_arg(e: &Expr, name: &str) -> Result<String> {
    match e {
        Expr::Literal(v, _) => match v.try_as_str() {
            Some(Some(s)) => Ok(s.to_string()),
            _ => plan_err!("{NAME}: argument `{name}` must be a string, got {v}"),
        },
        other => plan_err!("{NAME}: argument `{name}` must be a constant string, got {other}"),
    }
}

/// The one row of an embedding literal, as f32 (integer lists are read as numbers too).
pub(super) fn literal_vector(v: &ScalarValue) -> Result<Vec<f32>> {
    let mut array = v.to_array()?;
    if let DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) = array.data_type()
        && f.data_type().is_numeric()
        && !is_embedding_type(array.data_type())
    {
        let to = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
        array = arrow::compute::cast(&array, &to)?;
    }
    if !is_embedding_type(array.data_type()) {
        return plan_err!(
            "{NAME}: argument `query` must be an embedding ([0.1, 0.2, ...]), a SELECT / WITH \
             query or an image path of the table's `path` column, got {}",
            array.data_type()
        );
    }
    let mut out = None;
    visit_rows(NAME, "query", array.as_ref(), |_, row| {
        out = row.map(<[f32]>::to_vec);
        Ok(())
    })?;
    match out {
        Some(v) if inverse_norm(&v).is_some() => Ok(v),
        Some(_) => plan_err!("{NAME}: argument `query` is a zero vector: it has no direction"),
        None => plan_err!("{NAME}: argument `query` is NULL"),
    }
}

pub(super) fn k_arg(e: &Expr) -> Result<usize> {
    let Expr::Literal(v, _) = e else {
        return plan_err!("{NAME}: argument `k` must be a constant whole number, got {e}");
    };
    if !v.data_type().is_integer() {
        return plan_err!("{NAME}: argument `k` must be a whole number, got {v}");
    }
    match v.cast_to(&DataType::Int64)? {
        ScalarValue::Int64(Some(k)) if k >= 1 => Ok(k as usize),
        other => plan_err!("{NAME}: argument `k` must be at least 1, got {other}"),
    }
}

/// The schema of `SELECT * FROM (sql)`, planned in `session` (blocking: table functions are
/// planned synchronously).
pub(super) fn plan_schema(session: &dyn Session, sql: String) -> Result<SchemaRef> {
    let Some(state) = session.as_any().downcast_ref::<SessionState>() else {
        return plan_err!("{NAME}: needs a DataFusion SessionState to plan its query");
    };
    let ctx = SessionContext::new_with_state(state.clone());
    crate::storage::block_on(async move { Ok(Arc::new(ctx.sql(&sql).await?.schema().as_arrow().clone())) })
}

/// The embedding column of a query: the one named like the table's, else its only embedding.
pub(super) fn query_column(q: &Schema, emb: &str) -> Result<String> {
    if let Ok(f) = q.field_with_name(emb) {
        if !is_embedding_type(f.data_type()) {
            return plan_err!(
                "{NAME}: column '{emb}' of argument `query` must be an embedding, got {}",
                f.data_type()
            );
        }
        return Ok(emb.to_string());
    }
    let found: Vec<&str> = q
        .fields()
        .iter()
        .filter(|f| is_embedding_type(f.data_type()))
        .map(|f| f.name().as_str())
        .collect();
    match found.as_slice() {
        [one] => Ok(one.to_string()),
        [] => plan_err!("{NAME}: argument `query` has no embedding column (a list of Float32 or Float64)"),
        _ => plan_err!(
            "{NAME}: argument `query` has several embedding columns ({}); name one '{emb}'",
            found.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_literals_are_checked() {
        let o = NearestOptions::parse("embedding=e, exclude_self=false").unwrap();
        assert_eq!((o.embedding.as_str(), o.exclude_self), ("e", false));
        let e = NearestOptions::parse("exclude_self=maybe")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("nearest_faces: option `exclude_self` must be true or false"),
            "{e}"
        );
        let ints = ScalarValue::List(Arc::new(arrow::array::ListArray::from_iter_primitive::<
            arrow::datatypes::Int64Type,
            _,
            _,
        >(vec![Some(vec![Some(3), Some(4)])])));
        assert_eq!(literal_vector(&ints).unwrap(), vec![3.0, 4.0]);
        let e = literal_vector(&ScalarValue::Int64(Some(1)))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("nearest_faces: argument `query` must be an embedding"),
            "{e}"
        );
    }
}
