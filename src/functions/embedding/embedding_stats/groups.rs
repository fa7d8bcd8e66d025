//! The `GroupsAccumulator` of `embedding_stats` (for `GROUP BY`): the rows of each group are
//! read in place from the column's values buffer (a slice per row, no copy of the column, which
//! DataFusion's per-group adapter makes with `take`) and summed by [`Moments::add_rows`].

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

use super::moments::Moments;
use super::{NAME, f64_lists, merge_states, stats_type, stats_value};
use crate::functions::embedding::vectors::{Dimension, fixed_f32_values, visit_rows};

/// The moments of every group (`None` before its first embedding) and the dimension.
#[derive(Debug, Default)]
pub struct StatsGroups {
    groups: Vec<Option<Moments>>,
    dim: Dimension,
}

/// The rows of a batch that count (valid, passing the filter), ordered by group (stable, so
/// each group's rows keep their order), as (group, row).
fn rows_by_group(array: &dyn Array, groups: &[usize], filter: Option<&BooleanArray>) -> Vec<(usize, usize)> {
    let mut rows: Vec<(usize, usize)> = (0..array.len())
        .filter(|&i| array.is_valid(i) && filter.is_none_or(|f| f.is_valid(i) && f.value(i)))
        .map(|i| (groups[i], i))
        .collect();
    rows.sort_by_key(|&(g, _)| g);
    rows
}

/// The state arrays (n, mean, comoment) of `groups`; a group without embeddings is n = 0 with
/// empty lists, as [`super::StatsAccumulator`] writes it.
fn state_arrays(groups: &[Option<Moments>]) -> Vec<ArrayRef> {
    let n: Int64Array = groups
        .iter()
        .map(|m| Some(m.as_ref().map_or(0, |m| m.n as i64)))
        .collect();
    let mean = f64_lists(
        groups
            .iter()
            .map(|m| m.as_ref().map_or_else(Vec::new, |m| m.mean.clone())),
    );
    let co = f64_lists(
        groups
            .iter()
            .map(|m| m.as_ref().map_or_else(Vec::new, |m| m.comoment.clone())),
    );
    vec![Arc::new(n), Arc::new(mean), Arc::new(co)]
}

impl StatsGroups {
    /// Adds the rows of one group (all of dimension `d`).
    fn add(&mut self, group: usize, rows: &[&[f32]], d: usize) {
        if !rows.is_empty() {
            self.groups[group]
                .get_or_insert_with(|| Moments::new(d))
                .add_rows(rows);
        }
    }

    /// Adds each run of `order` (rows by group) to its group, the rows' values given by `row`.
    fn runs<'a>(&mut self, order: &[(usize, usize)], d: usize, row: impl Fn(usize) -> &'a [f32]) {
        let mut slices: Vec<&'a [f32]> = Vec::new();
        for run in order.chunk_by(|a, b| a.0 == b.0) {
            slices.clear();
            slices.extend(run.iter().map(|&(_, i)| row(i)));
            self.add(run[0].0, &slices, d);
        }
    }
}

impl GroupsAccumulator for StatsGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize(total_num_groups, None);
        let array = values[0].as_ref();
        let order = rows_by_group(array, group_indices, opt_filter);
        if order.is_empty() {
            return Ok(());
        }
        if let Some((v, d)) = fixed_f32_values(array) {
            // In place: a slice per row.
            self.dim.check(NAME, "embedding", order[0].1, d)?;
            self.runs(&order, d, |i| &v[i * d..(i + 1) * d]);
            return Ok(());
        }
        // Other list types: the counted rows converted to f32 once, row after row.
        let mut wanted = vec![false; array.len()];
        order.iter().for_each(|&(_, i)| wanted[i] = true);
        let mut at = vec![usize::MAX; array.len()];
        let (mut flat, mut d) = (Vec::new(), 0);
        let dim = &mut self.dim;
        visit_rows(NAME, "embedding", array, |i, row| {
            if let (Some(r), true) = (row, wanted[i]) {
                d = dim.check(NAME, "embedding", i, r.len())?;
                at[i] = flat.len();
                flat.extend_from_slice(r);
            }
            Ok(())
        })?;
        let order: Vec<(usize, usize)> = order.into_iter().filter(|&(_, i)| at[i] != usize::MAX).collect();
        self.runs(&order, d, |i| &flat[at[i]..at[i] + d]);
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let groups = emit_to.take_needed(&mut self.groups);
        let values = groups
            .iter()
            .map(|m| stats_value(m.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        if values.is_empty() {
            return Ok(arrow::array::new_empty_array(&stats_type()));
        }
        ScalarValue::iter_to_array(values)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(state_arrays(&emit_to.take_needed(&mut self.groups)))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize(total_num_groups, None);
        let groups = &mut self.groups;
        merge_states(values, &mut self.dim, |row, part| {
            match &mut groups[group_indices[row]] {
                Some(m) => m.merge(&part),
                slot => *slot = Some(part),
            }
        })
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row its own group.
        let array = values[0].as_ref();
        let counted = rows_by_group(array, &(0..array.len()).collect::<Vec<_>>(), opt_filter);
        let mut keep = vec![false; array.len()];
        counted.iter().for_each(|&(_, i)| keep[i] = true);
        let mut groups: Vec<Option<Moments>> = vec![None; array.len()];
        let mut dim = self.dim;
        visit_rows(NAME, "embedding", array, |i, row| {
            if let (Some(r), true) = (row, keep[i]) {
                let d = dim.check(NAME, "embedding", i, r.len())?;
                let mut m = Moments::new(d);
                m.add_rows(&[r]);
                groups[i] = Some(m);
            }
            Ok(())
        })?;
        Ok(state_arrays(&groups))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.groups.capacity() * std::mem::size_of::<Option<Moments>>()
            + self
                .groups
                .iter()
                .flatten()
                .map(|m| 8 * (m.mean.capacity() + m.comoment.capacity()))
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, FixedSizeListArray, Float32Array};
    use arrow::datatypes::{DataType, Field, Int64Type};

    fn column(rows: &[[f32; 3]], nulls: &[usize]) -> ArrayRef {
        let values = Float32Array::from(rows.iter().flatten().copied().collect::<Vec<_>>());
        let valid: Vec<bool> = (0..rows.len()).map(|i| !nulls.contains(&i)).collect();
        Arc::new(FixedSizeListArray::new(
            Arc::new(Field::new_list_field(DataType::Float32, true)),
            3,
            Arc::new(values),
            Some(valid.into()),
        ))
    }

    fn moments(rows: &[[f32; 3]]) -> Moments {
        let mut m = Moments::new(3);
        m.add_rows(&rows.iter().map(|r| r.as_slice()).collect::<Vec<_>>());
        m
    }

    #[test]
    fn groups_equal_one_accumulator_per_group_and_merge_through_state() {
        let rows: Vec<[f32; 3]> = (0..40)
            .map(|i| [(i as f32).sin(), (i as f32 * 0.3).cos(), i as f32 / 7.0])
            .collect();
        // Groups 0, 1, 2 interleaved; row 4 NULL; row 5 filtered out.
        let groups: Vec<usize> = (0..40).map(|i| i % 3).collect();
        let filter = BooleanArray::from((0..40).map(|i| i != 5).collect::<Vec<_>>());
        let mut acc = StatsGroups::default();
        acc.update_batch(
            &[column(&rows[..20], &[4])],
            &groups[..20],
            Some(&filter.slice(0, 20)),
            3,
        )
        .unwrap();
        acc.update_batch(&[column(&rows[20..], &[])], &groups[20..], None, 3)
            .unwrap();
        for g in 0..3 {
            let want: Vec<[f32; 3]> = (0..40)
                .filter(|&i| i % 3 == g && i != 4 && i != 5)
                .map(|i| rows[i])
                .collect();
            let (got, want) = (acc.groups[g].as_ref().unwrap(), moments(&want));
            assert_eq!(got.n, want.n);
            for (a, b) in got.comoment.iter().zip(&want.comoment) {
                assert!((a - b).abs() < 1e-9, "{a} vs {b}");
            }
        }
        // State out, merged into groups 1 and 0 of a fresh accumulator (0 twice).
        let state = acc.state(EmitTo::All).unwrap();
        let mut merged = StatsGroups::default();
        merged.merge_batch(&state, &[0, 1, 0], 2).unwrap();
        assert_eq!(merged.groups[0].as_ref().unwrap().n, 14 + 12);
        let out = merged.evaluate(EmitTo::All).unwrap();
        assert_eq!((out.len(), out.is_null(0), out.is_null(1)), (2, false, false));
        // Every row its own state.
        let own = acc.convert_to_state(&[column(&rows[..3], &[1])], None).unwrap();
        let n = own[0].as_primitive::<Int64Type>();
        assert_eq!(n.values().to_vec(), vec![1, 0, 1]);
    }
}
