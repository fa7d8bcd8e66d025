//! `attr_hists(table, group_columns [, options])`: a table function giving the histogram of every
//! label column per group, one row per (group, attribute), without naming the attributes in SQL.
//!
//! It is the long form that divergences join on (`queries/study.sql`): a query written for the
//! 47 MAAD-Face attributes then runs on any annotation table, whichever attributes it holds.
//! With `attributes=maad` every MAAD attribute gets its rows in MAAD order; one the table does not
//! hold has a NULL histogram (not annotated), which every divergence passes on as NULL.
//! The histograms come from one `attr_hist ... GROUP BY` query over the source, run when the
//! table is scanned.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray, UInt32Array, new_null_array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

use super::compare_attributes::{ident, query_context, source_sql, string_arg};
use super::histogram::hist_type;
use crate::annotations::MAAD_ATTRIBUTES;

const NAME: &str = "attr_hists";

/// The `attr_hists` table function.
#[derive(Debug, Default)]
pub struct AttrHists;

/// Which label columns `attr_hists` counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attributes {
    /// Every Int8 column that is not a group column, in table order (the default).
    AllLabels,
    /// The 47 MAAD-Face attributes in MAAD order; one the table lacks gets NULL histograms.
    Maad,
    /// These columns, in this order.
    Named(Vec<String>),
}

impl Attributes {
    /// Parses the options string: empty, or `attributes=maad` / `attributes=A;B;C`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut out = Self::AllLabels;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return plan_err!("{NAME}: option '{part}' is not key=value (options: attributes)");
            };
            let (key, value) = (key.trim(), value.trim());
            if !key.eq_ignore_ascii_case("attributes") {
                return plan_err!("{NAME}: unknown option `{key}` (options: attributes)");
            }
            let names: Vec<String> = value
                .split(';')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect();
            out = match names.as_slice() {
                [] => return plan_err!("{NAME}: option `attributes` is empty (maad, or A;B;C)"),
                [one] if one.eq_ignore_ascii_case("maad") => Self::Maad,
                _ => Self::Named(names),
            };
        }
        Ok(out)
    }
}

impl TableFunctionImpl for AttrHists {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if !(2..=3).contains(&exprs.len()) {
            return plan_err!(
                "{NAME}: expected (table, group_columns [, options]), got {} arguments",
                exprs.len()
            );
        }
        let source = string_arg(NAME, exprs, 0, "table")?.unwrap_or_default();
        let groups: Vec<String> = string_arg(NAME, exprs, 1, "group_columns")?
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(String::from)
            .collect();
        for (i, g) in groups.iter().enumerate() {
            if groups[..i].contains(g) || ["attr_no", "attribute", "hist"].contains(&g.as_str()) {
                return plan_err!(
                    "{NAME}: group column '{g}' is named twice or clashes with an output column"
                );
            }
        }
        let attributes = Attributes::parse(&string_arg(NAME, exprs, 2, "options")?.unwrap_or_default())?;
        Ok(Arc::new(HistTable {
            source,
            groups,
            attributes,
        }))
    }
}

/// The output columns: the group columns (as text), `attr_no`, `attribute`, `hist`.
fn output_schema(groups: &[String]) -> SchemaRef {
    let mut fields: Vec<Field> = groups
        .iter()
        .map(|g| Field::new(g, DataType::Utf8, true))
        .collect();
    fields.push(Field::new("attr_no", DataType::Int64, false));
    fields.push(Field::new("attribute", DataType::Utf8, false));
    fields.push(Field::new("hist", hist_type(DataType::Int8), true));
    Arc::new(Schema::new(fields))
}

/// A pending histogram table: runs when scanned.
#[derive(Debug)]
struct HistTable {
    source: String,
    groups: Vec<String>,
    attributes: Attributes,
}

#[async_trait]
impl TableProvider for HistTable {
    fn schema(&self) -> SchemaRef {
        output_schema(&self.groups)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let ctx = query_context(NAME, state)?;
        let batch = self.histograms(&ctx).await?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            self.schema(),
            projection.cloned(),
        )?)
    }
}

impl HistTable {
    /// The attributes to report, each with whether the table holds it.
    fn attribute_list(&self, schema: &Schema) -> Result<Vec<(String, bool)>> {
        let label = |name: &str, required: bool| match schema.field_with_name(name) {
            Ok(f) if f.data_type() == &DataType::Int8 => Ok(true),
            Ok(f) => plan_err!(
                "{NAME}: attribute '{name}' of {} is {}, not a label column (Int8: -1 / 0 / 1)",
                self.source,
                f.data_type()
            ),
            Err(_) if !required => Ok(false),
            Err(_) => plan_err!(
                "{NAME}: attribute '{name}' is not a column of {}; columns: {}",
                self.source,
                column_names(schema)
            ),
        };
        let list: Vec<(String, bool)> = match &self.attributes {
            Attributes::AllLabels => schema
                .fields()
                .iter()
                .filter(|f| f.data_type() == &DataType::Int8 && !self.groups.contains(f.name()))
                .map(|f| (f.name().clone(), true))
                .collect(),
            Attributes::Maad => MAAD_ATTRIBUTES
                .iter()
                .map(|a| Ok((a.to_string(), label(a, false)?)))
                .collect::<Result<_>>()?,
            Attributes::Named(names) => names
                .iter()
                .map(|a| Ok((a.clone(), label(a, true)?)))
                .collect::<Result<_>>()?,
        };
        if list.is_empty() {
            return plan_err!(
                "{NAME}: {} has no label columns (Int8: -1 / 0 / 1); name them with \
                 'attributes=A;B' or use 'attributes=maad'",
                self.source
            );
        }
        Ok(list)
    }

    async fn histograms(&self, ctx: &SessionContext) -> Result<RecordBatch> {
        let src = source_sql(&self.source);
        let schema = ctx
            .sql(&format!("SELECT * FROM {src} LIMIT 0"))
            .await?
            .schema()
            .as_arrow()
            .clone();
        for g in &self.groups {
            if schema.field_with_name(g).is_err() {
                return plan_err!(
                    "{NAME}: group column '{g}' is not a column of {}; columns: {}",
                    self.source,
                    column_names(&schema)
                );
            }
        }
        let attributes = self.attribute_list(&schema)?;
        let present: Vec<&str> = attributes
            .iter()
            .filter(|(_, p)| *p)
            .map(|(a, _)| a.as_str())
            .collect();
        // One row per group: the group values as text, then one histogram per present attribute.
        let keys: Vec<String> = self
            .groups
            .iter()
            .map(|g| format!("CAST({} AS VARCHAR)", ident(g)))
            .collect();
        let mut select = keys.clone();
        select.extend(present.iter().map(|a| format!("attr_hist({})", ident(a))));
        let sql = match (keys.is_empty(), present.is_empty()) {
            (true, true) => "SELECT 1".to_string(),
            (true, false) => format!("SELECT {} FROM {src}", select.join(", ")),
            (false, _) => {
                let by: Vec<String> = (1..=keys.len()).map(|i| i.to_string()).collect();
                format!(
                    "SELECT {} FROM {src} GROUP BY {} ORDER BY {}",
                    select.join(", "),
                    by.join(", "),
                    by.join(", ")
                )
            }
        };
        let df = ctx.sql(&sql).await?;
        let result_schema = df.schema().as_arrow().clone();
        let batches = df.collect().await?;
        let batch = arrow::compute::concat_batches(&Arc::new(result_schema), &batches)?;
        self.long_form(&batch, &attributes)
    }

    /// Turns the wide result (group columns, then one histogram per present attribute) into one
    /// row per (group, attribute).
    fn long_form(&self, wide: &RecordBatch, attributes: &[(String, bool)]) -> Result<RecordBatch> {
        let (rows, k) = (wide.num_rows(), self.groups.len());
        let m = attributes.len();
        let repeat = UInt32Array::from_iter_values((0..rows as u32).flat_map(|r| std::iter::repeat_n(r, m)));
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(k + 3);
        for g in 0..k {
            let text = arrow::compute::cast(wide.column(g), &DataType::Utf8)?;
            columns.push(arrow::compute::take(text.as_ref(), &repeat, None)?);
        }
        columns.push(Arc::new(Int64Array::from_iter_values(
            (0..rows).flat_map(|_| 1..=m as i64),
        )));
        let names: Vec<&str> = (0..rows)
            .flat_map(|_| attributes.iter().map(|(a, _)| a.as_str()))
            .collect();
        columns.push(Arc::new(StringArray::from(names)));
        let hist = hist_type(DataType::Int8);
        let missing = new_null_array(&hist, rows);
        let mut sources: Vec<&dyn Array> = Vec::with_capacity(m + 1);
        let mut which = Vec::with_capacity(m);
        let mut next = k;
        for (_, present) in attributes {
            if *present {
                sources.push(wide.column(next).as_ref());
                next += 1;
                which.push(sources.len() - 1);
            } else {
                which.push(usize::MAX);
            }
        }
        sources.push(missing.as_ref());
        let null_source = sources.len() - 1;
        let indices: Vec<(usize, usize)> = (0..rows)
            .flat_map(|r| {
                which
                    .iter()
                    .map(move |&s| (if s == usize::MAX { null_source } else { s }, r))
            })
            .collect();
        columns.push(arrow::compute::interleave(&sources, &indices)?);
        Ok(RecordBatch::try_new(output_schema(&self.groups), columns)?)
    }
}

fn column_names(schema: &Schema) -> String {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_choose_the_attributes() {
        assert_eq!(Attributes::parse("").unwrap(), Attributes::AllLabels);
        assert_eq!(Attributes::parse("attributes=MAAD").unwrap(), Attributes::Maad);
        assert_eq!(
            Attributes::parse("attributes=Male; Young").unwrap(),
            Attributes::Named(vec!["Male".into(), "Young".into()])
        );
        let e = Attributes::parse("colour=red").unwrap_err().to_string();
        assert!(e.contains("unknown option `colour`"), "{e}");
        let e = Attributes::parse("attributes=").unwrap_err().to_string();
        assert!(e.contains("`attributes` is empty"), "{e}");
    }
}
