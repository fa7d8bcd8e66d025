//! The filters a label scan evaluates itself: an integer column equal to one of a few integer
//! constants (`Male = 1`, `Age_Group IN (1, 2)`, `Asian = 1 OR Asian = -1`).

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, PrimitiveArray};
use arrow::buffer::BooleanBuffer;
use arrow::compute::kernels::boolean::{and, or};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{cast, prep_null_mask_filter};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Int8Type, Int16Type, Int32Type, Schema, UInt8Type, UInt16Type,
};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

/// `column IN (values)`: a disjunction of equalities on one integer column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelFilter {
    /// The column's index in the table schema.
    pub column: usize,
    /// The constants it may equal (a row with NULL there never matches).
    pub values: Vec<i64>,
}

impl LabelFilter {
    /// The filter `expr` expresses over `schema`, when it has the shape this module evaluates.
    pub fn from_expr(expr: &Expr, schema: &Schema) -> Option<Self> {
        match expr {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
                Operator::Eq => {
                    let (col, lit) = match (column(left, schema), int_literal(right)) {
                        (Some(c), Some(v)) => (c, v),
                        _ => (column(right, schema)?, int_literal(left)?),
                    };
                    Some(LabelFilter {
                        column: col,
                        values: vec![lit],
                    })
                }
                Operator::Or => {
                    let (a, b) = (Self::from_expr(left, schema)?, Self::from_expr(right, schema)?);
                    (a.column == b.column).then(|| {
                        let mut values = a.values;
                        values.extend(b.values);
                        LabelFilter {
                            column: a.column,
                            values,
                        }
                    })
                }
                _ => None,
            },
            Expr::InList(list) if !list.negated => Some(LabelFilter {
                column: column(&list.expr, schema)?,
                values: list.list.iter().map(int_literal).collect::<Option<_>>()?,
            }),
            _ => None,
        }
    }

    /// The rows of `array` (this filter's column, any integer type) that pass.
    pub fn evaluate(&self, array: &ArrayRef) -> arrow::error::Result<BooleanArray> {
        // What label scans decode: compare the values directly, no widened copy.
        let direct = mask::<Int8Type>(array, &self.values)
            .or_else(|| mask::<Int16Type>(array, &self.values))
            .or_else(|| mask::<Int32Type>(array, &self.values))
            .or_else(|| mask::<UInt8Type>(array, &self.values))
            .or_else(|| mask::<UInt16Type>(array, &self.values));
        if let Some(m) = direct {
            return Ok(m);
        }
        let wide = cast(array, &DataType::Int64)?;
        let mut hit: Option<BooleanArray> = None;
        for &v in &self.values {
            let m = eq(&wide, &Int64Array::new_scalar(v))?;
            hit = Some(match hit {
                None => m,
                Some(h) => or(&h, &m)?,
            });
        }
        let hit = hit.unwrap_or_else(|| BooleanArray::from(vec![false; array.len()]));
        // A NULL comparison is not a match (prep_null_mask_filter requires a null buffer).
        Ok(if hit.null_count() > 0 {
            prep_null_mask_filter(&hit)
        } else {
            hit
        })
    }
}

/// `array IN (values)` when `array` is of type `T` (NULL is no match): one branch-free pass per
/// constant; constants outside `T` never match.
fn mask<T: ArrowPrimitiveType>(array: &ArrayRef, values: &[i64]) -> Option<BooleanArray>
where
    T::Native: TryFrom<i64> + PartialEq,
{
    let a = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
    let native = a.values();
    let mut hit = BooleanBuffer::new_unset(a.len());
    for v in values.iter().filter_map(|&v| T::Native::try_from(v).ok()) {
        let eq = BooleanBuffer::collect_bool(a.len(), |i| native[i] == v);
        hit = &hit | &eq;
    }
    let hit = match a.nulls() {
        Some(valid) => &hit & valid.inner(),
        None => hit,
    };
    Some(BooleanArray::new(hit, None))
}

/// ANDs the masks of several filters (no mask: every row passes).
pub fn conjunction(masks: Vec<BooleanArray>) -> arrow::error::Result<Option<BooleanArray>> {
    let mut all: Option<BooleanArray> = None;
    for m in masks {
        all = Some(match all {
            None => m,
            Some(a) => and(&a, &m)?,
        });
    }
    Ok(all)
}

/// The width in bits and signedness of an integer type.
fn int_kind(t: &DataType) -> Option<(u32, bool)> {
    Some(match t {
        DataType::Int8 => (8, true),
        DataType::Int16 => (16, true),
        DataType::Int32 => (32, true),
        DataType::Int64 => (64, true),
        DataType::UInt8 => (8, false),
        DataType::UInt16 => (16, false),
        DataType::UInt32 => (32, false),
        _ => return None,
    })
}

/// The schema index of an integer column, possibly widened by a cast that keeps every value.
fn column(expr: &Expr, schema: &Schema) -> Option<usize> {
    match expr {
        Expr::Column(c) => {
            let i = schema.index_of(&c.name).ok()?;
            int_kind(schema.field(i).data_type()).map(|_| i)
        }
        Expr::Cast(c) => {
            let i = column(&c.expr, schema)?;
            let (from_bits, from_signed) = int_kind(schema.field(i).data_type())?;
            let (to_bits, to_signed) = int_kind(c.field.data_type())?;
            let lossless = match (from_signed, to_signed) {
                (true, true) | (false, false) => to_bits >= from_bits,
                (false, true) => to_bits > from_bits,
                (true, false) => false,
            };
            lossless.then_some(i)
        }
        _ => None,
    }
}

/// A non-null integer constant.
fn int_literal(expr: &Expr) -> Option<i64> {
    let Expr::Literal(v, _) = expr else { return None };
    match v {
        ScalarValue::Int8(Some(x)) => Some(i64::from(*x)),
        ScalarValue::Int16(Some(x)) => Some(i64::from(*x)),
        ScalarValue::Int32(Some(x)) => Some(i64::from(*x)),
        ScalarValue::Int64(Some(x)) => Some(*x),
        ScalarValue::UInt8(Some(x)) => Some(i64::from(*x)),
        ScalarValue::UInt16(Some(x)) => Some(i64::from(*x)),
        ScalarValue::UInt32(Some(x)) => Some(i64::from(*x)),
        ScalarValue::UInt64(Some(x)) => i64::try_from(*x).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int8Array;
    use arrow::datatypes::Field;
    use datafusion::logical_expr::{cast as cast_expr, ident as col, lit};

    use super::*;

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("dataset", DataType::Utf8, false),
            Field::new("Male", DataType::Int8, true),
            Field::new("age", DataType::Float32, true),
        ])
    }

    #[test]
    fn equalities_in_lists_and_ors_on_one_column_are_label_filters() {
        let s = schema();
        let male = |values: Vec<i64>| Some(LabelFilter { column: 1, values });
        assert_eq!(
            LabelFilter::from_expr(&col("Male").eq(lit(1i8)), &s),
            male(vec![1])
        );
        assert_eq!(
            LabelFilter::from_expr(&lit(-1i64).eq(col("Male")), &s),
            male(vec![-1])
        );
        let either = col("Male").eq(lit(1i8)).or(col("Male").eq(lit(0i8)));
        assert_eq!(LabelFilter::from_expr(&either, &s), male(vec![1, 0]));
        let list = col("Male").in_list(vec![lit(1i8), lit(-1i8)], false);
        assert_eq!(LabelFilter::from_expr(&list, &s), male(vec![1, -1]));
        let widened = cast_expr(col("Male"), DataType::Int64).eq(lit(1i64));
        assert_eq!(LabelFilter::from_expr(&widened, &s), male(vec![1]));
    }

    #[test]
    fn other_shapes_are_left_to_datafusion() {
        let s = schema();
        for e in [
            col("Male").gt(lit(0i8)),
            col("Male").in_list(vec![lit(1i8)], true),
            col("age").eq(lit(30.0f32)),
            col("dataset").eq(lit("ffhq")),
            col("Male").eq(lit(ScalarValue::Int8(None))),
            cast_expr(col("Male"), DataType::UInt8).eq(lit(1u8)),
            col("Male").eq(lit(1i8)).or(col("nope").eq(lit(1i8))),
        ] {
            assert_eq!(LabelFilter::from_expr(&e, &s), None, "{e}");
        }
    }

    #[test]
    fn evaluation_drops_nulls_and_ands_filters() {
        let a: ArrayRef = Arc::new(Int8Array::from(vec![Some(1), Some(-1), None, Some(0), Some(1)]));
        let f = LabelFilter {
            column: 0,
            values: vec![1, 0],
        };
        let m = f.evaluate(&a).unwrap();
        assert_eq!(m, BooleanArray::from(vec![true, false, false, true, true]));
        let g = LabelFilter {
            column: 0,
            values: vec![1],
        };
        let both = conjunction(vec![m, g.evaluate(&a).unwrap()]).unwrap().unwrap();
        assert_eq!(both, BooleanArray::from(vec![true, false, false, false, true]));
        assert_eq!(conjunction(vec![]).unwrap(), None);
        // The decoded form (Int32) gives the same answer.
        let decoded: ArrayRef = Arc::new(arrow::array::Int32Array::from(vec![
            Some(1),
            Some(-1),
            None,
            Some(0),
            Some(1),
        ]));
        assert_eq!(f.evaluate(&decoded).unwrap(), f.evaluate(&a).unwrap());
    }
}
