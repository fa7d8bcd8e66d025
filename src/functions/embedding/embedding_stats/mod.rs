//! `embedding_stats(embedding)`: aggregate returning the count, mean and covariance of a
//! column of embeddings, as one struct value that `frechet_distance` compares.
//!
//! The output is `Struct {n Int64, dim Int64, mean List<Float64>, covariance List<Float64>}`:
//! `covariance` is the unbiased (n - 1) covariance, `dim * dim` values row-major (entry (i, j)
//! at `covariance[i * dim + j + 1]` in SQL's 1-based indexing), NULL below 2 embeddings. NULL
//! embeddings are skipped; a group without embeddings gives NULL. One pass: each batch is
//! summed in f64 ([`moments`]) and partitions merge exactly (the state is n, mean and the
//! packed co-moment triangle).

pub mod groups;
pub mod moments;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray, StructArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility};

use super::vectors::{
    Dimension, check_embedding_type, fixed_f32_values, integer_lists_as_floats, visit_rows,
};
use moments::{Moments, packed_len};

const NAME: &str = "embedding_stats";

/// The `embedding_stats(embedding)` aggregate function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EmbeddingStats {
    signature: Signature,
}

impl Default for EmbeddingStats {
    fn default() -> Self {
        Self::new()
    }
}

impl EmbeddingStats {
    /// Creates the function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn float_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)))
}

/// The fields of an `embedding_stats` value.
pub fn stats_fields() -> Fields {
    Fields::from(vec![
        Field::new("n", DataType::Int64, false),
        Field::new("dim", DataType::Int64, false),
        Field::new("mean", float_list(), false),
        Field::new("covariance", float_list(), true),
    ])
}

/// The type of an `embedding_stats` value.
pub fn stats_type() -> DataType {
    DataType::Struct(stats_fields())
}

/// A list array with one list of f64 per entry of `lists`.
fn f64_lists(lists: impl Iterator<Item = Vec<f64>>) -> ListArray {
    let mut lengths = Vec::new();
    let mut values = Vec::new();
    for l in lists {
        lengths.push(l.len());
        values.extend(l);
    }
    ListArray::new(
        Arc::new(Field::new_list_field(DataType::Float64, true)),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(Float64Array::from(values)),
        None,
    )
}

/// A one-row list of `values`.
fn list_of(values: Vec<f64>) -> ListArray {
    f64_lists(std::iter::once(values))
}

/// The `embedding_stats` value of `m` (NULL when it counts no embedding).
pub fn stats_value(m: Option<&Moments>) -> Result<ScalarValue> {
    let Some(m) = m.filter(|m| m.n > 0) else {
        return ScalarValue::try_from(&stats_type());
    };
    let covariance: ArrayRef = match m.covariance() {
        Some(c) => Arc::new(list_of(c)),
        None => arrow::array::new_null_array(&float_list(), 1),
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![m.n as i64])),
        Arc::new(Int64Array::from(vec![m.dim() as i64])),
        Arc::new(list_of(m.mean.clone())),
        covariance,
    ];
    Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(
        stats_fields(),
        columns,
        None,
    )?)))
}

impl AggregateUDFImpl for EmbeddingStats {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [t] = arg_types else {
            return plan_err!("{NAME}: takes 1 argument (embedding), got {}", arg_types.len());
        };
        let t = integer_lists_as_floats(t);
        check_embedding_type(NAME, "embedding", &t)?;
        Ok(vec![t])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(stats_type())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(format!("{}[n]", args.name), DataType::Int64, true)),
            Arc::new(Field::new(format!("{}[mean]", args.name), float_list(), true)),
            Arc::new(Field::new(format!("{}[comoment]", args.name), float_list(), true)),
        ])
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(StatsAccumulator::default()))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(groups::StatsGroups::default()))
    }
}

/// The accumulator: the moments so far (none before the first embedding) and the dimension.
#[derive(Debug, Default)]
struct StatsAccumulator {
    moments: Option<Moments>,
    dim: Dimension,
}

impl StatsAccumulator {
    fn add(&mut self, rows: &[&[f32]]) {
        if let Some(first) = rows.first() {
            let d = first.len();
            self.moments.get_or_insert_with(|| Moments::new(d)).add_rows(rows);
        }
    }
}

impl Accumulator for StatsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let array = values[0].as_ref();
        if let Some((v, d)) = fixed_f32_values(array) {
            // In place: a slice per non-NULL row, no copy of the column.
            if array.null_count() < array.len() {
                self.dim.check(NAME, "embedding", 0, d)?;
            }
            let rows: Vec<&[f32]> = (0..array.len())
                .filter(|&i| array.is_valid(i))
                .map(|i| &v[i * d..(i + 1) * d])
                .collect();
            self.add(&rows);
            return Ok(());
        }
        let (mut flat, mut d) = (Vec::new(), 0);
        let dim = &mut self.dim;
        visit_rows(NAME, "embedding", array, |i, row| {
            if let Some(r) = row {
                d = dim.check(NAME, "embedding", i, r.len())?;
                flat.extend_from_slice(r);
            }
            Ok(())
        })?;
        if d > 0 {
            let rows: Vec<&[f32]> = flat.chunks_exact(d).collect();
            self.add(&rows);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        stats_value(self.moments.as_ref())
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .moments
                .as_ref()
                .map_or(0, |m| 8 * (m.mean.capacity() + m.comoment.capacity()))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let m = self.moments.clone().unwrap_or_else(|| Moments::new(0));
        Ok(vec![
            ScalarValue::Int64(Some(m.n as i64)),
            ScalarValue::List(Arc::new(list_of(m.mean))),
            ScalarValue::List(Arc::new(list_of(m.comoment))),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let moments = &mut self.moments;
        merge_states(states, &mut self.dim, |_, part| match moments {
            Some(m) => m.merge(&part),
            None => *moments = Some(part),
        })
    }
}

/// Reads the partial states of a merge (n, mean, co-moments per row) and hands each non-empty
/// one, checked (its co-moments fit its dimension, the dimension fits `dim`), to `into` with its
/// row; shared by the plain and the grouped accumulator.
fn merge_states(
    states: &[ArrayRef],
    dim: &mut Dimension,
    mut into: impl FnMut(usize, Moments),
) -> Result<()> {
    let n = states[0].as_primitive::<Int64Type>();
    let (mean, comoment) = (states[1].as_list::<i32>(), states[2].as_list::<i32>());
    for row in 0..n.len() {
        if n.is_null(row) || n.value(row) == 0 {
            continue;
        }
        let part = Moments {
            n: n.value(row) as u64,
            mean: mean.value(row).as_primitive::<Float64Type>().values().to_vec(),
            comoment: comoment
                .value(row)
                .as_primitive::<Float64Type>()
                .values()
                .to_vec(),
        };
        let d = part.dim();
        if part.comoment.len() != packed_len(d) {
            return exec_err!(
                "{NAME}: internal: a partial state of dimension {d} has {} co-moments",
                part.comoment.len()
            );
        }
        dim.check(NAME, "embedding", row, d)?;
        into(row, part);
    }
    Ok(())
}

/// An `embedding_stats` value read back (from a column or a literal struct).
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Embeddings counted.
    pub n: u64,
    /// Their mean.
    pub mean: Vec<f64>,
    /// Their covariance, `dim * dim` row-major (`None` below 2 embeddings).
    pub covariance: Option<Vec<f64>>,
}

/// Plan-time check that argument `arg` of `func` is an `embedding_stats` value: a struct with
/// `n`, `mean` and `covariance` fields (or NULL).
pub fn check_stats_type(func: &str, arg: &str, dt: &DataType) -> Result<()> {
    let ok = match dt {
        DataType::Null => true,
        DataType::Struct(fields) => ["n", "mean", "covariance"]
            .iter()
            .all(|name| fields.iter().any(|f| f.name() == name)),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    plan_err!(
        "{func}: argument `{arg}` must be an embedding_stats value (a struct with n, mean and \
         covariance, as embedding_stats(embedding) returns), got {dt}"
    )
}

/// Reads row `row` of a column of `embedding_stats` values (`None` when NULL).
pub fn read_stats(func: &str, arg: &str, array: &dyn Array, row: usize) -> Result<Option<Stats>> {
    if array.data_type() == &DataType::Null || array.is_null(row) {
        return Ok(None);
    }
    let s = array.as_struct();
    let column = |name: &str| match s.column_by_name(name) {
        Some(c) => Ok(c.slice(row, 1)),
        None => exec_err!("{func}: argument `{arg}` has no field `{name}`"),
    };
    let n = arrow::compute::cast(&column("n")?, &DataType::Int64)?;
    let n = n.as_primitive::<Int64Type>();
    if n.is_null(0) {
        return Ok(None);
    }
    let floats = |name: &str| -> Result<Option<Vec<f64>>> {
        let c = arrow::compute::cast(&column(name)?, &float_list())?;
        let c = c.as_list::<i32>();
        if c.is_null(0) {
            return Ok(None);
        }
        let v = c.value(0);
        if v.null_count() > 0 {
            return exec_err!("{func}: argument `{arg}` has a NULL in `{name}`");
        }
        Ok(Some(v.as_primitive::<Float64Type>().values().to_vec()))
    };
    let Some(mean) = floats("mean")? else {
        return Ok(None);
    };
    let covariance = floats("covariance")?;
    let d = mean.len();
    if let Some(c) = &covariance
        && c.len() != d * d
    {
        return exec_err!(
            "{func}: argument `{arg}` has {} covariance values for a mean of {d} (needs {})",
            c.len(),
            d * d
        );
    }
    Ok(Some(Stats {
        n: n.value(0).max(0) as u64,
        mean,
        covariance,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_reads_back_and_states_merge_like_one_pass() {
        let rows: Vec<Vec<f32>> = (0..30)
            .map(|r| (0..4).map(|i| ((r * 3 + i) as f32).cos()).collect())
            .collect();
        let slices: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let mut one = StatsAccumulator::default();
        one.add(&slices);
        let (mut a, mut b) = (StatsAccumulator::default(), StatsAccumulator::default());
        a.add(&slices[..11]);
        b.add(&slices[11..]);
        let mut merged = StatsAccumulator::default();
        for mut part in [a, b, StatsAccumulator::default()] {
            let state: Vec<ArrayRef> = part
                .state()
                .unwrap()
                .iter()
                .map(|s| s.to_array().unwrap())
                .collect();
            merged.merge_batch(&state).unwrap();
        }
        let (x, y) = (one.evaluate().unwrap(), merged.evaluate().unwrap());
        let (x, y) = (x.to_array().unwrap(), y.to_array().unwrap());
        let (x, y) = (
            read_stats("f", "s", x.as_ref(), 0).unwrap().unwrap(),
            read_stats("f", "s", y.as_ref(), 0).unwrap().unwrap(),
        );
        assert_eq!((x.n, y.n, x.mean.len()), (30, 30, 4));
        for (p, q) in x.covariance.unwrap().iter().zip(&y.covariance.unwrap()) {
            assert!((p - q).abs() < 1e-12, "{p} vs {q}");
        }
        let empty = StatsAccumulator::default().evaluate().unwrap();
        assert!(empty.is_null());
    }
}
