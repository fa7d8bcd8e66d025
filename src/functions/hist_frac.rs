//! `hist_frac(p, value)`: the proportion of one value in a histogram.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Float64Array};
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::histogram::{Entries, Key, check_hist_arg, key_at, key_class, read_hist};

const NAME: &str = "hist_frac";

/// The share of `key` in `entries` (0 when absent); `None` when the histogram has no mass.
pub fn fraction(entries: &Entries, key: &Key) -> Option<f64> {
    let total: f64 = entries.iter().map(|(_, c)| c).sum();
    if total <= 0.0 {
        return None;
    }
    let hit: f64 = entries
        .iter()
        .filter(|(k, _)| k.cmp_key(key) == Ordering::Equal)
        .fold(0.0, |s, (_, c)| s + c);
    Some(hit / total)
}

/// The `hist_frac(p, value)` scalar function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct HistFrac {
    signature: Signature,
}

impl Default for HistFrac {
    fn default() -> Self {
        Self::new()
    }
}

impl HistFrac {
    /// Creates the function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for HistFrac {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [p, value] = arg_types else {
            return plan_err!("{NAME}: expected 2 arguments (p, value), got {}", arg_types.len());
        };
        let class = check_hist_arg(NAME, "p", p)?;
        if matches!(value, DataType::Null) {
            return Ok(arg_types.to_vec());
        }
        match (class, key_class(value)) {
            (_, None) => {
                plan_err!("{NAME}: argument `value` must be a number, string or boolean, got {value}")
            }
            (Some(c), Some(v)) if c != v => {
                plan_err!("{NAME}: argument `value` is {v:?} but the histogram `p` counts {c:?} values")
            }
            _ => Ok(arg_types.to_vec()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let n = if all_scalar { 1 } else { args.number_rows };
        let arrays: Vec<ArrayRef> = args.args.iter().map(|a| a.to_array(n)).collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(n);
        for row in 0..n {
            let Some(map) = arrays[0].as_map_opt() else {
                out.push(None);
                continue;
            };
            let (Some(h), Some(k)) = (read_hist(NAME, "p", map, row)?, key_at(arrays[1].as_ref(), row)?)
            else {
                out.push(None);
                continue;
            };
            out.push(fraction(&h, &k));
        }
        let result = Float64Array::from(out);
        Ok(if all_scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(Arc::new(result))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_of_one_value() {
        let h = vec![(Key::Int(-1), 1.0), (Key::Int(0), 1.0), (Key::Int(1), 2.0)];
        assert_eq!(fraction(&h, &Key::Int(1)), Some(0.5));
        assert_eq!(fraction(&h, &Key::Float(0.0)), Some(0.25));
        assert_eq!(fraction(&h, &Key::Int(7)), Some(0.0));
        assert_eq!(fraction(&vec![], &Key::Int(7)), None);
    }
}
