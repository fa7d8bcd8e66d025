//! The vectorised GROUP BY path of `attr_hist` for Int8, UInt8 and boolean input.
//!
//! Counts live in one flat `Vec<i64>` of `groups x stride`, indexed by `group * stride + (v - lo)`,
//! where `[lo, lo + stride)` is the range of values seen so far (grown on demand): labels -1 / 0 / 1
//! cost 3 counters per group, not 256, and no value is hashed.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int8Array, PrimitiveArray, UInt8Array};
use arrow::datatypes::{DataType, Int8Type, Int64Type, UInt8Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

use crate::functions::histogram::build_map;

/// Histogram counts for many groups at once over a small integer domain.
#[derive(Debug)]
pub struct DenseGroupsAccumulator {
    key_type: DataType,
    /// Smallest value representable; only meaningful once `stride > 0`.
    lo: i64,
    /// Number of values represented per group.
    stride: usize,
    /// `groups * stride` counts.
    counts: Vec<i64>,
    groups: usize,
}

impl DenseGroupsAccumulator {
    /// Creates an accumulator for input of `key_type` (Int8, UInt8 or Boolean).
    pub fn new(key_type: DataType) -> Result<Self> {
        if !matches!(key_type, DataType::Int8 | DataType::UInt8 | DataType::Boolean) {
            return exec_err!("attr_hist: internal: no dense counter for {key_type}");
        }
        Ok(Self {
            key_type,
            lo: 0,
            stride: 0,
            counts: Vec::new(),
            groups: 0,
        })
    }

    /// Makes the value range include `[min, max]`, re-laying out existing counts if needed.
    fn ensure_range(&mut self, min: i64, max: i64) {
        let (lo, hi) = if self.stride == 0 {
            (min, max)
        } else {
            (self.lo.min(min), (self.lo + self.stride as i64 - 1).max(max))
        };
        let stride = (hi - lo + 1) as usize;
        if self.stride == stride && self.lo == lo {
            return;
        }
        let mut counts = vec![0i64; self.groups * stride];
        let shift = (self.lo - lo) as usize;
        for g in 0..self.groups {
            let old = &self.counts[g * self.stride..(g + 1) * self.stride];
            counts[g * stride + shift..g * stride + shift + self.stride].copy_from_slice(old);
        }
        self.counts = counts;
        self.lo = lo;
        self.stride = stride;
    }

    fn resize(&mut self, total_num_groups: usize) {
        if total_num_groups > self.groups {
            self.groups = total_num_groups;
            self.counts.resize(self.groups * self.stride, 0);
        }
    }

    /// Adds one to `group` at value `v` for each selected row of a column viewed as i64.
    fn add_rows(
        &mut self,
        values: impl Iterator<Item = Option<i64>>,
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
    ) {
        let (lo, stride) = (self.lo, self.stride);
        for (row, (v, g)) in values.zip(group_indices).enumerate() {
            if let Some(f) = opt_filter
                && !(f.is_valid(row) && f.value(row))
            {
                continue;
            }
            if let Some(v) = v {
                self.counts[g * stride + (v - lo) as usize] += 1;
            }
        }
    }

    fn emit(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let n = match emit_to {
            EmitTo::All => self.groups,
            EmitTo::First(n) => n.min(self.groups),
        };
        let taken: Vec<i64> = self.counts.drain(0..n * self.stride).collect();
        self.groups -= n;
        let mut keys: Vec<i64> = Vec::new();
        let mut counts = Vec::new();
        let mut lengths = Vec::with_capacity(n);
        for g in 0..n {
            let row = &taken[g * self.stride..(g + 1) * self.stride];
            let before = counts.len();
            for (i, c) in row.iter().enumerate() {
                if *c > 0 {
                    keys.push(self.lo + i as i64);
                    counts.push(*c);
                }
            }
            lengths.push(counts.len() - before);
        }
        let keys: ArrayRef = match self.key_type {
            DataType::Boolean => Arc::new(BooleanArray::from(
                keys.iter().map(|k| *k == 1).collect::<Vec<_>>(),
            )),
            DataType::Int8 => Arc::new(Int8Array::from_iter_values(keys.iter().map(|k| *k as i8))),
            _ => Arc::new(UInt8Array::from_iter_values(keys.iter().map(|k| *k as u8))),
        };
        Ok(Arc::new(build_map(keys, counts, &lengths, None)))
    }
}

fn min_max<T: arrow::datatypes::ArrowPrimitiveType>(a: &PrimitiveArray<T>) -> Option<(i64, i64)>
where
    T::Native: Into<i64>,
{
    let min = arrow::compute::min(a)?;
    let max = arrow::compute::max(a)?;
    Some((min.into(), max.into()))
}

impl GroupsAccumulator for DenseGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let values = &values[0];
        let range = match self.key_type {
            DataType::Boolean => Some((0, 1)),
            DataType::Int8 => min_max(values.as_primitive::<Int8Type>()),
            _ => min_max(values.as_primitive::<UInt8Type>()),
        };
        if let Some((min, max)) = range {
            self.ensure_range(min, max);
        }
        self.resize(total_num_groups);
        if range.is_none() {
            return Ok(());
        }
        match self.key_type {
            DataType::Boolean => {
                let b = values.as_boolean();
                self.add_rows(b.iter().map(|v| v.map(i64::from)), group_indices, opt_filter)
            }
            DataType::Int8 => {
                let a = values.as_primitive::<Int8Type>();
                if a.null_count() == 0 && opt_filter.is_none() {
                    // The hot path: no NULLs, no FILTER.
                    let (lo, stride) = (self.lo, self.stride);
                    for (v, g) in a.values().iter().zip(group_indices) {
                        self.counts[g * stride + (*v as i64 - lo) as usize] += 1;
                    }
                } else {
                    self.add_rows(a.iter().map(|v| v.map(i64::from)), group_indices, opt_filter)
                }
            }
            _ => {
                let a = values.as_primitive::<UInt8Type>();
                self.add_rows(a.iter().map(|v| v.map(i64::from)), group_indices, opt_filter)
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        self.emit(emit_to)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.emit(emit_to)?])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        let map = values[0].as_map();
        let keys = arrow::compute::cast(map.keys(), &DataType::Int64)?;
        let keys = keys.as_primitive::<Int64Type>();
        if let Some((min, max)) = min_max(keys) {
            self.ensure_range(min, max);
        }
        self.resize(total_num_groups);
        let counts = map.values().as_primitive::<Int64Type>();
        let offsets = map.value_offsets();
        for (row, g) in group_indices.iter().enumerate() {
            if map.is_null(row) {
                continue;
            }
            for i in offsets[row] as usize..offsets[row + 1] as usize {
                let slot = g * self.stride + (keys.value(i) - self.lo) as usize;
                self.counts[slot] += counts.value(i);
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row is its own group: a histogram of one entry (or none for NULL / filtered out).
        let values = &values[0];
        let keep: Vec<bool> = (0..values.len())
            .map(|r| values.is_valid(r) && opt_filter.is_none_or(|f| f.is_valid(r) && f.value(r)))
            .collect();
        let mask = BooleanArray::from(keep.clone());
        let keys = arrow::compute::filter(values.as_ref(), &mask)?;
        let counts = vec![1; keys.len()];
        let lengths: Vec<usize> = keep.iter().map(|k| *k as usize).collect();
        Ok(vec![Arc::new(build_map(keys, counts, &lengths, None))])
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.counts.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::util::display::{ArrayFormatter, FormatOptions};

    fn show(a: &ArrayRef) -> Vec<String> {
        let f = ArrayFormatter::try_new(a.as_ref(), &FormatOptions::default()).unwrap();
        (0..a.len()).map(|i| f.value(i).to_string()).collect()
    }

    #[test]
    fn merge_batch_over_split_input_equals_one_pass() {
        let values: ArrayRef = Arc::new(Int8Array::from(vec![
            Some(1),
            Some(-1),
            None,
            Some(0),
            Some(1),
            Some(5),
            Some(-1),
            Some(1),
            Some(1),
        ]));
        let groups = vec![0, 1, 0, 2, 0, 1, 1, 2, 0];
        let mut one = DenseGroupsAccumulator::new(DataType::Int8).unwrap();
        one.update_batch(std::slice::from_ref(&values), &groups, None, 3)
            .unwrap();
        let expected = show(&one.evaluate(EmitTo::All).unwrap());
        assert_eq!(expected, vec!["{1: 3}", "{-1: 2, 5: 1}", "{0: 1, 1: 1}"]);

        // Two partial accumulators over the two halves, merged into a third.
        let mut a = DenseGroupsAccumulator::new(DataType::Int8).unwrap();
        a.update_batch(&[values.slice(0, 4)], &groups[0..4], None, 3)
            .unwrap();
        let mut b = DenseGroupsAccumulator::new(DataType::Int8).unwrap();
        b.update_batch(&[values.slice(4, 5)], &groups[4..], None, 3)
            .unwrap();
        let mut merged = DenseGroupsAccumulator::new(DataType::Int8).unwrap();
        merged
            .merge_batch(&a.state(EmitTo::All).unwrap(), &[0, 1, 2], 3)
            .unwrap();
        merged
            .merge_batch(&b.state(EmitTo::All).unwrap(), &[0, 1, 2], 3)
            .unwrap();
        assert_eq!(show(&merged.evaluate(EmitTo::All).unwrap()), expected);
    }

    #[test]
    fn convert_to_state_then_merge_equals_update() {
        // The path DataFusion takes when partial aggregation does not reduce the row count.
        let values: ArrayRef = Arc::new(Int8Array::from(vec![Some(1), None, Some(-1), Some(1)]));
        let filter = BooleanArray::from(vec![true, true, true, false]);
        let groups = [0, 0, 1, 1];
        let mut direct = DenseGroupsAccumulator::new(DataType::Int8).unwrap();
        direct
            .update_batch(std::slice::from_ref(&values), &groups, Some(&filter), 2)
            .unwrap();
        let mut via_state = DenseGroupsAccumulator::new(DataType::Int8).unwrap();
        let state = via_state.convert_to_state(&[values], Some(&filter)).unwrap();
        via_state.merge_batch(&state, &groups, 2).unwrap();
        let expected = show(&direct.evaluate(EmitTo::All).unwrap());
        assert_eq!(expected, vec!["{1: 1}", "{-1: 1}"]);
        assert_eq!(show(&via_state.evaluate(EmitTo::All).unwrap()), expected);
    }

    #[test]
    fn emit_first_keeps_the_remaining_groups() {
        let values: ArrayRef = Arc::new(BooleanArray::from(vec![true, false, true, true]));
        let filter = BooleanArray::from(vec![true, true, false, true]);
        let mut acc = DenseGroupsAccumulator::new(DataType::Boolean).unwrap();
        acc.update_batch(&[values], &[0, 1, 1, 2], Some(&filter), 3)
            .unwrap();
        assert_eq!(show(&acc.evaluate(EmitTo::First(1)).unwrap()), vec!["{true: 1}"]);
        assert_eq!(
            show(&acc.evaluate(EmitTo::All).unwrap()),
            vec!["{false: 1}", "{true: 1}"]
        );
    }
}
