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
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_err};
use datafusion::prelude::SessionContext;

use super::histogram::hist_type;
use super::table_source::{Computed, ComputedTable, SourceColumns, ident, source_sql, string_arg};
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
        Ok(Arc::new(Computed(HistTable {
            source,
            groups,
            attributes,
        })))
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
impl ComputedTable for HistTable {
    const NAME: &'static str = NAME;

    fn output_schema(&self) -> SchemaRef {
        output_schema(&self.groups)
    }

    async fn compute(&self, ctx: &SessionContext) -> Result<RecordBatch> {
        self.histograms(ctx).await
    }
}

impl HistTable {
    /// The attributes to report, each with whether the table holds it.
    fn attribute_list(&self, columns: &SourceColumns) -> Result<Vec<(String, bool)>> {
        let schema = &columns.schema;
        let label = |name: &str, required: bool| {
            if !required && schema.field_with_name(name).is_err() {
                return Ok(false);
            }
            let f = columns.field(name, "attribute")?;
            if f.data_type() != &DataType::Int8 {
                return plan_err!(
                    "{NAME}: attribute '{name}' of {} is {}, not a label column (Int8: -1 / 0 / 1)",
                    self.source,
                    f.data_type()
                );
            }
            Ok(true)
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
        let columns = SourceColumns::plan(ctx, NAME, &self.source).await?;
        for g in &self.groups {
            columns.field(g, "group column")?;
        }
        let attributes = self.attribute_list(&columns)?;
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
        // The present attributes' histograms are the wide result's columns after the groups, in
        // attribute order; an absent attribute reads from an all-NULL column.
        let present = attributes.iter().filter(|(_, p)| *p).count();
        let missing = new_null_array(&hist_type(DataType::Int8), rows);
        let mut sources: Vec<&dyn Array> = wide.columns()[k..k + present]
            .iter()
            .map(|c| c.as_ref())
            .collect();
        sources.push(missing.as_ref());
        let mut next = 0;
        let slots: Vec<usize> = attributes
            .iter()
            .map(|(_, p)| {
                next += usize::from(*p);
                if *p { next - 1 } else { present }
            })
            .collect();
        let indices: Vec<(usize, usize)> = (0..rows)
            .flat_map(|r| slots.iter().map(move |&s| (s, r)))
            .collect();
        columns.push(arrow::compute::interleave(&sources, &indices)?);
        Ok(RecordBatch::try_new(output_schema(&self.groups), columns)?)
    }
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
