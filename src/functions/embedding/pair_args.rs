//! Shared argument handling for the scalar functions over two embeddings (`cosine_similarity`,
//! `embedding_distance`): plan-time checks that name the function and the argument, and
//! row-by-row evaluation over columns and literals.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use super::vectors::{RowReader, check_embedding_type, check_same_dimension, integer_lists_as_floats};

/// The argument names of every two-embedding function.
pub const NAMES: [&str; 2] = ["a", "b"];

/// Plan-time coercion of `func(a, b)`: embeddings unchanged, lists of integers (`[1, 0]`) to
/// lists of Float64; anything else, or two fixed sizes that differ, is a plan error.
pub fn coerce_pair(func: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    if arg_types.len() != 2 {
        return plan_err!("{func}: expected 2 arguments (a, b), got {}", arg_types.len());
    }
    let out: Vec<DataType> = arg_types.iter().map(integer_lists_as_floats).collect();
    for (name, t) in NAMES.iter().zip(&out) {
        check_embedding_type(func, name, t)?;
    }
    check_same_dimension(func, (NAMES[0], &out[0]), (NAMES[1], &out[1]))?;
    Ok(out)
}

/// Evaluates `f(a, b)` row by row; a NULL embedding gives NULL, embeddings of different lengths
/// an error naming the row.
pub fn invoke_pair(
    func: &str,
    args: ScalarFunctionArgs,
    f: impl Fn(&[f32], &[f32]) -> Option<f64>,
) -> Result<ColumnarValue> {
    let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let n = if all_scalar { 1 } else { args.number_rows };
    // A literal is read once (row 0) and paired with every row of the other argument.
    let arrays: Vec<(ArrayRef, bool)> = args
        .args
        .iter()
        .map(|a| match a {
            ColumnarValue::Scalar(s) => Ok((s.to_array_of_size(1)?, true)),
            ColumnarValue::Array(a) => Ok((Arc::clone(a), false)),
        })
        .collect::<Result<_>>()?;
    let mut a = RowReader::new(func, NAMES[0], arrays[0].0.as_ref())?;
    let mut b = RowReader::new(func, NAMES[1], arrays[1].0.as_ref())?;
    let (a_const, b_const) = (arrays[0].1, arrays[1].1);
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let x = a.row(if a_const { 0 } else { row })?;
        let Some(x) = x else {
            out.push(None);
            continue;
        };
        // Two readers borrow separately: copy nothing, but end `x`'s borrow before `b.row`.
        let x: &[f32] = x;
        let y = b.row(if b_const { 0 } else { row })?;
        let Some(y) = y else {
            out.push(None);
            continue;
        };
        if x.len() != y.len() {
            return exec_err!(
                "{func}: arguments `a` and `b` have different dimensions ({} and {}) in row {row}",
                x.len(),
                y.len()
            );
        }
        out.push(f(x, y));
    }
    let result = Float64Array::from(out);
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?))
    } else {
        Ok(ColumnarValue::Array(Arc::new(result) as ArrayRef))
    }
}

/// Defines a scalar UDF over two embeddings: the struct, its constructor and `ScalarUDFImpl`.
/// `eval` is a `fn(&[f32], &[f32]) -> Option<f64>` over two rows of one length.
macro_rules! embedding_pair_udf {
    ($(#[$doc:meta])* $ty:ident, $name:expr, $eval:expr) => {
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
                $crate::functions::embedding::pair_args::coerce_pair($name, arg_types)
            }

            fn return_type(
                &self,
                _arg_types: &[arrow::datatypes::DataType],
            ) -> datafusion::common::Result<arrow::datatypes::DataType> {
                Ok(arrow::datatypes::DataType::Float64)
            }

            fn invoke_with_args(
                &self,
                args: datafusion::logical_expr::ScalarFunctionArgs,
            ) -> datafusion::common::Result<datafusion::logical_expr::ColumnarValue> {
                $crate::functions::embedding::pair_args::invoke_pair($name, args, $eval)
            }
        }
    };
}
pub(crate) use embedding_pair_udf;

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;

    #[test]
    fn integer_lists_become_float_lists_and_others_are_refused() {
        let ints = DataType::List(Arc::new(Field::new_list_field(DataType::Int64, true)));
        let floats = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
        assert_eq!(
            coerce_pair("f", &[ints.clone(), floats.clone()]).unwrap(),
            vec![floats.clone(), floats.clone()]
        );
        let e = coerce_pair("f", &[floats.clone(), DataType::Utf8])
            .unwrap_err()
            .to_string();
        assert!(e.contains("f: argument `b` must be an embedding"), "{e}");
        let fixed = |n| DataType::FixedSizeList(Arc::new(Field::new_list_field(DataType::Float32, true)), n);
        let e = coerce_pair("f", &[fixed(3), fixed(2)]).unwrap_err().to_string();
        assert!(
            e.contains("f: arguments `a` and `b` have different dimensions (3 and 2)"),
            "{e}"
        );
    }
}
