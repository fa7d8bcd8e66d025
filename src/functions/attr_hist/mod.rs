//! `attr_hist(x [, bins])`: aggregate returning the histogram of `x` as a Map from value to count.
//!
//! Int8 / UInt8 / boolean input is counted into a fixed array indexed by value (no hashing);
//! other integers, floats and strings into a hash map. With `bins` (a list of edges, left-closed,
//! or a bin width) numeric input is binned and each key is the bin's lower edge (Float64).
//!
//! The UDAF is here; the counters are in [`counter`], the row-at-a-time accumulator in
//! [`accumulator`] and the vectorised GROUP BY accumulator in [`groups`].

mod accumulator;
mod counter;
mod groups;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;

use super::histogram::{build_map, hist_type, key_class};
use accumulator::HistAccumulator;
use counter::Counter;
use groups::DenseGroupsAccumulator;

const NAME: &str = "attr_hist";

/// The `attr_hist` aggregate function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AttrHist {
    signature: Signature,
}

impl Default for AttrHist {
    fn default() -> Self {
        Self::new()
    }
}

impl AttrHist {
    /// Creates the function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The key type a histogram of unbinned input of type `dt` has.
fn key_type_for(dt: &DataType) -> DataType {
    match dt {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => DataType::Float64,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        other => other.clone(),
    }
}

fn float_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)))
}

impl AggregateUDFImpl for AttrHist {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [x] => Ok(vec![match x {
                DataType::Null => DataType::Int64,
                DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => DataType::Float64,
                DataType::Dictionary(_, v) if key_class(v).is_some() => key_type_for(v),
                d if key_class(d).is_some() => d.clone(),
                other => {
                    return plan_err!(
                        "{NAME}: argument `x` must be an integer, float, boolean or string column, \
                         got {other}"
                    );
                }
            }]),
            [x, bins] => {
                let numeric = |d: &DataType| d.is_numeric() || matches!(d, DataType::Null);
                if !numeric(x) {
                    return plan_err!("{NAME}: argument `x` must be numeric to be binned, got {x}");
                }
                let bins_type = match bins {
                    DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
                        if numeric(f.data_type()) =>
                    {
                        float_list()
                    }
                    d if d.is_numeric() => DataType::Float64,
                    other => {
                        return plan_err!(
                            "{NAME}: argument `bins` must be a list of bin edges or a bin width, \
                             got {other}"
                        );
                    }
                };
                Ok(vec![DataType::Float64, bins_type])
            }
            _ => plan_err!(
                "{NAME}: takes 1 or 2 arguments (x [, bins]), got {}",
                arg_types.len()
            ),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [x] => Ok(hist_type(key_type_for(x))),
            _ => Ok(hist_type(DataType::Float64)),
        }
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[hist]", args.name),
            args.return_field.data_type().clone(),
            true,
        ))])
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let counter = Counter::for_args(&acc_args)?;
        Ok(Box::new(HistAccumulator { counter }))
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        args.exprs.len() == 1
            && matches!(
                args.expr_fields[0].data_type(),
                DataType::Int8 | DataType::UInt8 | DataType::Boolean
            )
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(DenseGroupsAccumulator::new(
            args.expr_fields[0].data_type().clone(),
        )?))
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        ScalarValue::try_from_array(&empty_hist(data_type)?, 0)
    }
}

/// A one-row histogram column with no entries, of histogram type `dt`.
fn empty_hist(dt: &DataType) -> Result<ArrayRef> {
    let DataType::Map(entries, _) = dt else {
        return exec_err!("{NAME}: internal: {dt} is no histogram type");
    };
    let DataType::Struct(fields) = entries.data_type() else {
        return exec_err!("{NAME}: internal: {dt} is no histogram type");
    };
    let keys = arrow::array::new_empty_array(fields[0].data_type());
    Ok(Arc::new(build_map(keys, vec![], &[0], None)))
}

/// Reads the constant `bins` argument: a list of strictly increasing edges or a positive width.
fn read_bins(acc_args: &AccumulatorArgs) -> Result<Counter> {
    let Some(lit) = acc_args.exprs[1].downcast_ref::<Literal>() else {
        return plan_err!("{NAME}: argument `bins` must be a constant (a list of edges or a width)");
    };
    match lit.value() {
        ScalarValue::List(list) => {
            if list.is_null(0) {
                return plan_err!("{NAME}: argument `bins` is NULL");
            }
            let values = list.value(0);
            let values = arrow::compute::cast(&values, &DataType::Float64)?;
            let edges = values.as_primitive::<Float64Type>();
            if edges.null_count() > 0 {
                return plan_err!("{NAME}: argument `bins` has a NULL edge");
            }
            let edges: Vec<f64> = edges.values().to_vec();
            if edges.len() < 2 {
                return plan_err!(
                    "{NAME}: argument `bins` needs at least 2 edges, got {}",
                    edges.len()
                );
            }
            if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
                return plan_err!(
                    "{NAME}: argument `bins` edges must be finite and strictly increasing, got {edges:?}"
                );
            }
            let n = edges.len() - 1;
            Ok(Counter::Edges {
                edges,
                counts: vec![0; n],
            })
        }
        ScalarValue::Float64(Some(w)) if w.is_finite() && w.is_sign_positive() && *w != 0.0 => {
            Ok(Counter::Width {
                width: *w,
                counts: HashMap::new(),
            })
        }
        other => {
            plan_err!("{NAME}: argument `bins` must be a list of edges or a positive bin width, got {other}")
        }
    }
}
