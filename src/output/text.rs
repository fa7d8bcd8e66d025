//! Turning Arrow values into text: readable floats, and nested columns flattened for CSV.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// Formats a float for people: up to 6 significant decimals, trailing zeros dropped,
/// scientific notation for very large or very small magnitudes.
pub fn readable_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-4..1e15).contains(&a) {
        let s = format!("{v:.5e}");
        // 1.23400e-7 -> 1.234e-7
        if let Some((mantissa, exp)) = s.split_once('e') {
            let m = mantissa.trim_end_matches('0').trim_end_matches('.');
            return format!("{m}e{exp}");
        }
        return s;
    }
    // Six significant digits, at least as many decimals as needed.
    let digits_before = a.log10().floor() as i32 + 1;
    let decimals = (6 - digits_before).clamp(0, 10) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The display text of every value of `array` (NULL as `null_text`), with readable floats
/// for float columns when `readable` is set.
pub fn column_strings(array: &ArrayRef, null_text: &str, readable: bool) -> Result<Vec<String>, ArrowError> {
    use arrow::array::AsArray;
    use arrow::datatypes::{Float32Type, Float64Type};
    let n = array.len();
    if readable {
        match array.data_type() {
            DataType::Float64 => {
                let a = array.as_primitive::<Float64Type>();
                return Ok((0..n)
                    .map(|i| {
                        if a.is_null(i) {
                            null_text.into()
                        } else {
                            readable_float(a.value(i))
                        }
                    })
                    .collect());
            }
            DataType::Float32 => {
                let a = array.as_primitive::<Float32Type>();
                return Ok((0..n)
                    .map(|i| {
                        if a.is_null(i) {
                            null_text.into()
                        } else {
                            readable_float(a.value(i) as f64)
                        }
                    })
                    .collect());
            }
            _ => {}
        }
    }
    let options = FormatOptions::default().with_null(null_text);
    let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
    Ok((0..n).map(|i| formatter.value(i).to_string()).collect())
}

/// True for types that CSV writers cannot hold (lists, maps, structs, unions).
fn is_nested(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(_, _)
            | DataType::ListView(_)
            | DataType::LargeListView(_)
            | DataType::Map(_, _)
            | DataType::Struct(_)
            | DataType::Union(_, _)
    )
}

/// Replaces nested columns by their display text (e.g. a histogram `{-1: 3, 1: 5}`), so that
/// text formats such as CSV can hold them. Other columns are kept as they are.
pub fn flatten_nested(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    if !batch.schema().fields().iter().any(|f| is_nested(f.data_type())) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if is_nested(field.data_type()) {
            let options = FormatOptions::default();
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
            let mut b = StringBuilder::new();
            for i in 0..column.len() {
                if column.is_null(i) {
                    b.append_null();
                } else {
                    b.append_value(formatter.value(i).to_string());
                }
            }
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(Arc::new(b.finish()));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

#[cfg(test)]
mod tests {
    use super::readable_float;

    #[test]
    fn floats_read_well() {
        assert_eq!(readable_float(0.30102999566398114), "0.30103");
        assert_eq!(readable_float(1234.5678), "1234.57");
        assert_eq!(readable_float(2.0), "2");
        assert_eq!(readable_float(-0.5), "-0.5");
        assert_eq!(readable_float(1.234e-7), "1.234e-7");
        assert_eq!(readable_float(f64::INFINITY), "inf");
        assert_eq!(readable_float(0.0), "0");
    }
}
