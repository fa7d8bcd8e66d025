//! The row-at-a-time accumulator of `attr_hist` (any input type, binned or not), and the tests
//! that merging partial states equals one pass.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, MapArray};
use arrow::datatypes::Int64Type;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Accumulator;

use super::counter::Counter;
use crate::functions::histogram::build_map;

/// The row-at-a-time accumulator (any input type, binned or not).
#[derive(Debug)]
pub(super) struct HistAccumulator {
    pub(super) counter: Counter,
}

impl HistAccumulator {
    fn to_map(&self) -> Result<MapArray> {
        let (keys, counts) = self.counter.entries()?;
        let n = counts.len();
        Ok(build_map(keys, counts, &[n], None))
    }
}

impl Accumulator for HistAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.counter.update(&values[0])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Map(Arc::new(self.to_map()?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.counter.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.evaluate()?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let map = states[0].as_map();
        for row in 0..map.len() {
            if map.is_null(row) {
                continue;
            }
            let entries = map.value(row);
            let keys = entries.column(0).clone();
            let counts = entries.column(1).as_primitive::<Int64Type>().clone();
            self.counter.merge_entries(&keys, &counts)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use arrow::array::{BooleanArray, Float64Array, Int8Array, Int32Array, StringArray};
    use arrow::datatypes::DataType;

    fn hist_of(counter: &Counter) -> Vec<(String, i64)> {
        let (keys, counts) = counter.entries().unwrap();
        let f = arrow::util::display::ArrayFormatter::try_new(
            keys.as_ref(),
            &arrow::util::display::FormatOptions::default(),
        )
        .unwrap();
        (0..keys.len())
            .map(|i| (f.value(i).to_string(), counts[i]))
            .collect()
    }

    fn split_equals_one_pass(values: ArrayRef, make: impl Fn() -> Counter) {
        let mut one = HistAccumulator { counter: make() };
        one.update_batch(std::slice::from_ref(&values)).unwrap();
        let mid = values.len() / 3;
        let mut a = HistAccumulator { counter: make() };
        a.update_batch(&[values.slice(0, mid)]).unwrap();
        let mut b = HistAccumulator { counter: make() };
        b.update_batch(&[values.slice(mid, values.len() - mid)]).unwrap();
        let mut merged = HistAccumulator { counter: make() };
        let sa = a.state().unwrap()[0].to_array().unwrap();
        let sb = b.state().unwrap()[0].to_array().unwrap();
        let both = arrow::compute::concat(&[sa.as_ref(), sb.as_ref()]).unwrap();
        merged.merge_batch(&[both]).unwrap();
        assert_eq!(hist_of(&merged.counter), hist_of(&one.counter));
        assert!(!hist_of(&one.counter).is_empty());
    }

    #[test]
    fn int8_merge_over_split_input_equals_one_pass() {
        let v: ArrayRef = Arc::new(Int8Array::from(vec![
            Some(1),
            None,
            Some(-1),
            Some(0),
            Some(1),
            Some(-1),
            Some(1),
        ]));
        split_equals_one_pass(v.clone(), || Counter::for_type(&DataType::Int8));
        let mut c = Counter::for_type(&DataType::Int8);
        c.update(&v).unwrap();
        assert_eq!(
            hist_of(&c),
            vec![("-1".into(), 2), ("0".into(), 1), ("1".into(), 3)]
        );
    }

    #[test]
    fn strings_bools_ints_floats_merge_over_split_input_equals_one_pass() {
        let s: ArrayRef = Arc::new(StringArray::from(vec![
            Some("b"),
            Some("a"),
            None,
            Some("b"),
            Some("c"),
        ]));
        split_equals_one_pass(s, || Counter::for_type(&DataType::Utf8));
        let b: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
        ]));
        split_equals_one_pass(b, || Counter::for_type(&DataType::Boolean));
        let i: ArrayRef = Arc::new(Int32Array::from(vec![5, -3, 5, 7, 5, 1000]));
        split_equals_one_pass(i, || Counter::for_type(&DataType::Int32));
        let f: ArrayRef = Arc::new(Float64Array::from(vec![0.5, -0.0, 0.0, f64::NAN, 0.5]));
        split_equals_one_pass(f.clone(), || Counter::for_type(&DataType::Float64));
        let mut c = Counter::for_type(&DataType::Float64);
        c.update(&f).unwrap();
        assert_eq!(hist_of(&c), vec![("0.0".into(), 2), ("0.5".into(), 2)]);
    }

    #[test]
    fn binned_counts_are_left_closed_and_drop_values_outside() {
        let v: ArrayRef = Arc::new(Float64Array::from(vec![
            0.0, 19.9, 20.0, 59.0, 60.0, 200.0, -1.0, 45.0,
        ]));
        let edges = || Counter::Edges {
            edges: vec![0.0, 20.0, 40.0, 60.0, 200.0],
            counts: vec![0; 4],
        };
        let mut c = edges();
        c.update(&v).unwrap();
        assert_eq!(
            hist_of(&c),
            vec![
                ("0.0".into(), 2),
                ("20.0".into(), 1),
                ("40.0".into(), 2),
                ("60.0".into(), 1)
            ]
        );
        split_equals_one_pass(v.clone(), edges);
        let width = || Counter::Width {
            width: 10.0,
            counts: HashMap::new(),
        };
        let mut w = width();
        w.update(&v).unwrap();
        assert_eq!(hist_of(&w)[0], ("-10.0".into(), 1));
        split_equals_one_pass(v, width);
    }
}
