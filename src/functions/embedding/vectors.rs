//! Embedding columns as rows of numbers: the types an embedding may have in SQL, plan-time checks
//! that name the function and the argument, and a zero-copy row visitor.
//!
//! An embedding is a fixed-size or variable list of Float32 or Float64 (`macsql annotate` writes
//! `FixedSizeList<Float32>`; numpy / pandas exports are often `List<Float64>`). Float32 rows of a
//! fixed-size list are visited in place; every other layout is converted row by row into a
//! scratch buffer, so f64 input is rounded to f32 (7 significant digits).

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::{Result, exec_err, plan_err};

/// Whether `dt` can hold embeddings: a (fixed-size, large) list of Float32 or Float64.
pub fn is_embedding_type(dt: &DataType) -> bool {
    match dt {
        DataType::FixedSizeList(f, _) | DataType::List(f) | DataType::LargeList(f) => {
            matches!(f.data_type(), DataType::Float32 | DataType::Float64)
        }
        _ => false,
    }
}

/// The fixed dimension of `dt`, when it is a fixed-size list.
pub fn fixed_dimension(dt: &DataType) -> Option<usize> {
    match dt {
        DataType::FixedSizeList(_, n) => Some(*n as usize),
        _ => None,
    }
}

/// Plan-time check that argument `arg` of `func` is an embedding (or NULL).
pub fn check_embedding_type(func: &str, arg: &str, dt: &DataType) -> Result<()> {
    if is_embedding_type(dt) || dt == &DataType::Null {
        return Ok(());
    }
    plan_err!(
        "{func}: argument `{arg}` must be an embedding (a list of Float32 or Float64, such as \
         the `embedding` column of `macsql annotate`), got {dt}"
    )
}

/// Plan-time check that two embedding arguments can be compared: equal fixed dimensions when
/// both are fixed-size lists (variable lists are checked row by row).
pub fn check_same_dimension(func: &str, a: (&str, &DataType), b: (&str, &DataType)) -> Result<()> {
    if let (Some(da), Some(db)) = (fixed_dimension(a.1), fixed_dimension(b.1))
        && da != db
    {
        return plan_err!(
            "{func}: arguments `{}` and `{}` have different dimensions ({da} and {db})",
            a.0,
            b.0
        );
    }
    Ok(())
}

/// Calls `f(row, Some(values))` for each row of an embedding array (`None` for a NULL row), in
/// order. Rows of a variable list may differ in length; callers that need one dimension check
/// it (see [`Dimension`]).
pub fn visit_rows(
    func: &str,
    arg: &str,
    array: &dyn Array,
    mut f: impl FnMut(usize, Option<&[f32]>) -> Result<()>,
) -> Result<()> {
    let mut scratch: Vec<f32> = Vec::new();
    match array.data_type() {
        DataType::Null => {
            for i in 0..array.len() {
                f(i, None)?;
            }
            Ok(())
        }
        DataType::FixedSizeList(item, n) => {
            let list = array.as_fixed_size_list();
            let n = *n as usize;
            let values = list.values();
            let offset = list.offset();
            match item.data_type() {
                DataType::Float32 if values.null_count() == 0 => {
                    let v = values.as_primitive::<Float32Type>().values();
                    for i in 0..list.len() {
                        let start = (offset + i) * n;
                        f(i, list.is_valid(i).then(|| &v[start..start + n]))?;
                    }
                    Ok(())
                }
                _ => {
                    for i in 0..list.len() {
                        if list.is_null(i) {
                            f(i, None)?;
                        } else {
                            to_f32(func, arg, i, list.value(i).as_ref(), &mut scratch)?;
                            f(i, Some(&scratch))?;
                        }
                    }
                    Ok(())
                }
            }
        }
        DataType::List(_) | DataType::LargeList(_) => {
            let values = |i: usize| match array.data_type() {
                DataType::List(_) => array.as_list::<i32>().value(i),
                _ => array.as_list::<i64>().value(i),
            };
            for i in 0..array.len() {
                if array.is_null(i) {
                    f(i, None)?;
                } else {
                    to_f32(func, arg, i, values(i).as_ref(), &mut scratch)?;
                    f(i, Some(&scratch))?;
                }
            }
            Ok(())
        }
        other => exec_err!("{func}: argument `{arg}` must be an embedding, got {other}"),
    }
}

/// The values of an array's rows, `len * dim` of them from its first row on, when it is a
/// fixed-size list of Float32 without NULL elements (the layout `macsql annotate` writes).
pub fn fixed_f32_values(array: &dyn Array) -> Option<(&[f32], usize)> {
    let DataType::FixedSizeList(item, n) = array.data_type() else {
        return None;
    };
    let list = array.as_fixed_size_list();
    if item.data_type() != &DataType::Float32 || list.values().null_count() > 0 {
        return None;
    }
    let n = *n as usize;
    let v = list.values().as_primitive::<Float32Type>().values();
    let start = list.offset() * n;
    Some((&v[start..start + list.len() * n], n))
}

/// A list of integers as the same kind of list of Float64, so that literals such as `[1, 0]`
/// are embeddings; any other type is returned unchanged.
pub fn integer_lists_as_floats(dt: &DataType) -> DataType {
    let float = || std::sync::Arc::new(arrow::datatypes::Field::new_list_field(DataType::Float64, true));
    match dt {
        DataType::List(f) if f.data_type().is_integer() => DataType::List(float()),
        DataType::LargeList(f) if f.data_type().is_integer() => DataType::LargeList(float()),
        DataType::FixedSizeList(f, n) if f.data_type().is_integer() => DataType::FixedSizeList(float(), *n),
        other => other.clone(),
    }
}

/// Random access to the rows of an embedding array: in place for a fixed-size list of Float32
/// without NULL elements, converted into a scratch buffer otherwise (as [`visit_rows`]).
pub struct RowReader<'a> {
    func: &'a str,
    arg: &'a str,
    array: &'a dyn Array,
    fixed: Option<(&'a [f32], usize, usize)>,
    scratch: Vec<f32>,
}

impl<'a> RowReader<'a> {
    /// A reader over `array` (argument `arg` of `func`); an error when it is no embedding array.
    pub fn new(func: &'a str, arg: &'a str, array: &'a dyn Array) -> Result<Self> {
        let mut fixed = None;
        match array.data_type() {
            DataType::Null | DataType::List(_) | DataType::LargeList(_) => {}
            DataType::FixedSizeList(item, n) => {
                let list = array.as_fixed_size_list();
                if item.data_type() == &DataType::Float32 && list.values().null_count() == 0 {
                    let v = list.values().as_primitive::<Float32Type>().values();
                    fixed = Some((&v[..], *n as usize, list.offset()));
                }
            }
            other => return exec_err!("{func}: argument `{arg}` must be an embedding, got {other}"),
        }
        Ok(Self {
            func,
            arg,
            array,
            fixed,
            scratch: Vec::new(),
        })
    }

    /// Row `i` (`None` when it is NULL).
    pub fn row(&mut self, i: usize) -> Result<Option<&[f32]>> {
        if self.array.data_type() == &DataType::Null || self.array.is_null(i) {
            return Ok(None);
        }
        if let Some((v, n, offset)) = self.fixed {
            let start = (offset + i) * n;
            return Ok(Some(&v[start..start + n]));
        }
        let values = match self.array.data_type() {
            DataType::FixedSizeList(..) => self.array.as_fixed_size_list().value(i),
            DataType::List(_) => self.array.as_list::<i32>().value(i),
            _ => self.array.as_list::<i64>().value(i),
        };
        to_f32(self.func, self.arg, i, values.as_ref(), &mut self.scratch)?;
        Ok(Some(&self.scratch))
    }
}

/// Copies one row's values into `out` as f32; a NULL element is an error naming the row.
fn to_f32(func: &str, arg: &str, row: usize, values: &dyn Array, out: &mut Vec<f32>) -> Result<()> {
    out.clear();
    if values.null_count() > 0 {
        return exec_err!("{func}: argument `{arg}` has a NULL element in row {row}");
    }
    match values.data_type() {
        DataType::Float32 => out.extend_from_slice(values.as_primitive::<Float32Type>().values()),
        DataType::Float64 => out.extend(
            values
                .as_primitive::<Float64Type>()
                .values()
                .iter()
                .map(|&x| x as f32),
        ),
        other => return exec_err!("{func}: argument `{arg}` holds {other}, not Float32 / Float64"),
    }
    Ok(())
}

/// The one dimension every embedding of a call must have: set by the first row seen, checked
/// against every later one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dimension(Option<usize>);

impl Dimension {
    /// Records `len` (the first time) or checks it against the dimension seen before.
    pub fn check(&mut self, func: &str, arg: &str, row: usize, len: usize) -> Result<usize> {
        match self.0 {
            None => {
                self.0 = Some(len);
                Ok(len)
            }
            Some(d) if d == len => Ok(d),
            Some(d) => exec_err!("{func}: argument `{arg}` row {row} has {len} dimensions, earlier rows {d}"),
        }
    }

    /// The dimension, once a row has been seen.
    pub fn get(&self) -> Option<usize> {
        self.0
    }
}

/// Cosine similarity of two vectors of one length (`None` when either has zero norm).
pub fn cosine(a: &[f32], b: &[f32]) -> Option<f64> {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    (aa > 0.0 && bb > 0.0).then(|| ab / (aa.sqrt() * bb.sqrt()))
}

/// Euclidean distance of two vectors of one length.
pub fn euclidean(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = f64::from(x) - f64::from(y);
            d * d
        })
        .sum::<f64>()
        .sqrt()
}

/// Scales `v` to unit length in place (a zero vector is left as it is).
pub fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
    if norm > 0.0 {
        for x in v {
            *x = (f64::from(*x) / norm) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{FixedSizeListArray, Float32Array, Float64Array, ListArray};
    use arrow::buffer::{NullBuffer, OffsetBuffer};
    use arrow::datatypes::Field;

    use super::*;

    fn rows(array: &dyn Array) -> Vec<Option<Vec<f32>>> {
        let mut out = Vec::new();
        visit_rows("f", "x", array, |_, r| {
            out.push(r.map(<[f32]>::to_vec));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn fixed_lists_are_read_in_place_with_nulls_and_offsets() {
        let values = Arc::new(Float32Array::from(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
        let item = Arc::new(Field::new("item", DataType::Float32, true));
        let nulls = NullBuffer::from(vec![true, false, true]);
        let list = FixedSizeListArray::new(item, 2, values, Some(nulls));
        assert_eq!(
            rows(&list),
            vec![Some(vec![1.0, 2.0]), None, Some(vec![5.0, 6.0])]
        );
        assert_eq!(rows(&list.slice(2, 1)), vec![Some(vec![5.0, 6.0])]);
    }

    #[test]
    fn variable_f64_lists_are_converted_and_dimensions_checked() {
        let values = Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0]));
        let item = Arc::new(Field::new("item", DataType::Float64, true));
        let list = ListArray::new(item, OffsetBuffer::from_lengths([2, 1]), values, None);
        assert_eq!(rows(&list), vec![Some(vec![1.0, 2.0]), Some(vec![3.0])]);
        let mut dim = Dimension::default();
        assert_eq!(dim.check("f", "x", 0, 2).unwrap(), 2);
        let e = dim.check("f", "x", 1, 1).unwrap_err().to_string();
        assert!(
            e.contains("f: argument `x` row 1 has 1 dimensions, earlier rows 2"),
            "{e}"
        );
    }

    #[test]
    fn cosine_and_distance_match_hand_values() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 1.0]).unwrap() - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), None);
        assert!((euclidean(&[0.0, 0.0], &[3.0, 4.0]) - 5.0).abs() < 1e-12);
        let mut v = [3.0f32, 4.0];
        l2_normalise(&mut v);
        assert_eq!(v, [0.6, 0.8]);
    }

    #[test]
    fn the_row_reader_sees_what_the_visitor_sees() {
        let values = Arc::new(Float32Array::from(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
        let item = Arc::new(Field::new("item", DataType::Float32, true));
        let nulls = NullBuffer::from(vec![true, false, true]);
        let fixed = FixedSizeListArray::new(item, 2, values, Some(nulls)).slice(1, 2);
        let values = Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0]));
        let item = Arc::new(Field::new("item", DataType::Float64, true));
        let list = ListArray::new(item, OffsetBuffer::from_lengths([2, 1]), values, None);
        for array in [&fixed as &dyn Array, &list] {
            let mut reader = RowReader::new("f", "x", array).unwrap();
            let read: Vec<_> = (0..array.len())
                .map(|i| reader.row(i).unwrap().map(<[f32]>::to_vec))
                .collect();
            assert_eq!(read, rows(array));
        }
    }

    #[test]
    fn only_float_lists_are_embeddings() {
        let f = |t| Arc::new(Field::new("item", t, true));
        assert!(is_embedding_type(&DataType::FixedSizeList(
            f(DataType::Float32),
            128
        )));
        assert!(is_embedding_type(&DataType::List(f(DataType::Float64))));
        assert!(!is_embedding_type(&DataType::List(f(DataType::Int32))));
        let e = check_embedding_type("g", "a", &DataType::Utf8)
            .unwrap_err()
            .to_string();
        assert!(e.contains("g: argument `a` must be an embedding"), "{e}");
    }
}
