//! Shared argument handling for the scalar functions over histograms (kl_div, js_div, ...):
//! plan-time checks that name the function and the argument, and row-by-row evaluation.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use super::histogram::{Entries, KeyClass, check_hist_arg, check_hist_pair, hist_key_class, read_hist};

/// Plan-time coercion for `func(h1 [, h2], extras...)`: histograms unchanged, extras to Float64.
///
/// `names` are the argument names (histograms first); `required` is the minimum count.
pub fn coerce_hist_args(
    func: &str,
    names: &[&str],
    hists: usize,
    required: usize,
    numeric_keys: bool,
    arg_types: &[DataType],
) -> Result<Vec<DataType>> {
    if arg_types.len() < required || arg_types.len() > names.len() {
        let sig = names.join(", ");
        return plan_err!(
            "{func}: expected {required} to {} arguments ({sig}), got {}",
            names.len(),
            arg_types.len()
        );
    }
    if hists == 2 {
        check_hist_pair(func, &arg_types[0], &arg_types[1])?;
    } else {
        check_hist_arg(func, names[0], &arg_types[0])?;
    }
    if numeric_keys {
        for (i, t) in arg_types.iter().enumerate().take(hists) {
            if let Some(Some(class)) = hist_key_class(t)
                && class != KeyClass::Numeric
            {
                return plan_err!(
                    "{func}: argument `{}` must be a histogram of numbers, got {class:?} keys ({t})",
                    names[i]
                );
            }
        }
    }
    let mut out = arg_types[..hists].to_vec();
    for (i, t) in arg_types.iter().enumerate().skip(hists) {
        if !(t.is_numeric() || matches!(t, DataType::Null)) {
            return plan_err!("{func}: argument `{}` must be a number, got {t}", names[i]);
        }
        out.push(DataType::Float64);
    }
    Ok(out)
}

/// Plan-time check of a constant non-negative argument (e.g. `alpha`).
pub fn check_non_negative(func: &str, name: &str, scalar: Option<&ScalarValue>) -> Result<()> {
    if let Some(v) = scalar
        && !v.is_null()
    {
        let f = v.cast_to(&DataType::Float64)?;
        if let ScalarValue::Float64(Some(x)) = f
            && !(x >= 0.0 && x.is_finite())
        {
            return plan_err!("{func}: argument `{name}` must be a non-negative number, got {x}");
        }
    }
    Ok(())
}

/// Evaluates `f` row by row over `hists` histogram arguments followed by Float64 extras.
///
/// A NULL histogram or NULL extra gives NULL without calling `f`.
pub fn invoke_hists(
    func: &str,
    names: &[&str],
    hists: usize,
    args: ScalarFunctionArgs,
    f: impl Fn(&[Entries], &[f64]) -> Result<Option<f64>>,
) -> Result<ColumnarValue> {
    let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let n = if all_scalar { 1 } else { args.number_rows };
    let arrays: Vec<ArrayRef> = args.args.iter().map(|a| a.to_array(n)).collect::<Result<_>>()?;
    let extras: Vec<Option<Float64Array>> = arrays[hists..]
        .iter()
        .map(|a| {
            arrow::compute::cast(a, &DataType::Float64).map(|c| Some(c.as_primitive::<Float64Type>().clone()))
        })
        .collect::<std::result::Result<_, _>>()?;
    let mut out = Vec::with_capacity(n);
    let mut hs = Vec::with_capacity(hists);
    let mut xs = Vec::with_capacity(extras.len());
    'rows: for row in 0..n {
        hs.clear();
        xs.clear();
        for (i, a) in arrays[..hists].iter().enumerate() {
            let Some(map) = a.as_map_opt() else {
                out.push(None);
                continue 'rows;
            };
            match read_hist(func, names[i], map, row)? {
                Some(e) => hs.push(e),
                None => {
                    out.push(None);
                    continue 'rows;
                }
            }
        }
        for (i, e) in extras.iter().enumerate() {
            let Some(e) = e else { unreachable!() };
            if e.is_null(row) {
                out.push(None);
                continue 'rows;
            }
            let x = e.value(row);
            if !(x >= 0.0 && x.is_finite()) {
                return exec_err!(
                    "{func}: argument `{}` must be a non-negative number, got {x}",
                    names[hists + i]
                );
            }
            xs.push(x);
        }
        out.push(f(&hs, &xs)?);
    }
    let result = Float64Array::from(out);
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?))
    } else {
        Ok(ColumnarValue::Array(Arc::new(result)))
    }
}

/// Defines a scalar UDF over histograms: the struct, its constructor and `ScalarUDFImpl`.
///
/// `eval` is a `fn(&[Entries], &[f64]) -> Result<Option<f64>>` given the histograms and the
/// numeric extras (`names` lists all argument names; the first `hists` are histograms and the
/// first `required` are required; `numeric` demands numeric keys). Constant extras are checked
/// to be non-negative at plan time.
macro_rules! hist_udf {
    ($(#[$doc:meta])* $ty:ident, $name:expr, $names:expr, $hists:expr, $required:expr,
     $numeric:expr, $eval:expr) => {
        $(#[$doc])*
        #[derive(Debug, PartialEq, Eq, Hash)]
        pub struct $ty {
            signature: datafusion::logical_expr::Signature,
        }

        impl Default for $ty {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $ty {
            /// Creates the function.
            pub fn new() -> Self {
                Self {
                    signature: datafusion::logical_expr::Signature::user_defined(
                        datafusion::logical_expr::Volatility::Immutable,
                    ),
                }
            }
        }

        impl datafusion::logical_expr::ScalarUDFImpl for $ty {
            fn name(&self) -> &str {
                $name
            }

            fn signature(&self) -> &datafusion::logical_expr::Signature {
                &self.signature
            }

            fn coerce_types(
                &self,
                arg_types: &[arrow::datatypes::DataType],
            ) -> datafusion::common::Result<Vec<arrow::datatypes::DataType>> {
                $crate::functions::hist_args::coerce_hist_args(
                    $name, &$names, $hists, $required, $numeric, arg_types,
                )
            }

            fn return_type(
                &self,
                _arg_types: &[arrow::datatypes::DataType],
            ) -> datafusion::common::Result<arrow::datatypes::DataType> {
                Ok(arrow::datatypes::DataType::Float64)
            }

            fn return_field_from_args(
                &self,
                args: datafusion::logical_expr::ReturnFieldArgs,
            ) -> datafusion::common::Result<arrow::datatypes::FieldRef> {
                for (i, s) in args.scalar_arguments.iter().enumerate().skip($hists) {
                    $crate::functions::hist_args::check_non_negative($name, $names[i], *s)?;
                }
                Ok(std::sync::Arc::new(arrow::datatypes::Field::new(
                    $name,
                    arrow::datatypes::DataType::Float64,
                    true,
                )))
            }

            fn invoke_with_args(
                &self,
                args: datafusion::logical_expr::ScalarFunctionArgs,
            ) -> datafusion::common::Result<datafusion::logical_expr::ColumnarValue> {
                $crate::functions::hist_args::invoke_hists($name, &$names, $hists, args, $eval)
            }
        }
    };
}
pub(crate) use hist_udf;
