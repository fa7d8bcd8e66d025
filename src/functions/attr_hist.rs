//! `attr_hist(x [, bins])`: aggregate returning the histogram of `x` as a Map from value to count.
//!
//! Int8 / UInt8 / boolean input is counted into a fixed array indexed by value (no hashing);
//! other integers, floats and strings into a hash map. With `bins` (a list of edges, left-closed,
//! or a bin width) numeric input is binned and each key is the bin's lower edge (Float64).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array,
    MapArray, StringArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::{
    DataType, Field, FieldRef, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;

use super::attr_hist_groups::DenseGroupsAccumulator;
use super::histogram::{build_map, hist_type, key_class};

const NAME: &str = "attr_hist";

/// The `attr_hist` aggregate function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AttrHist {
    signature: Signature,
}

impl Default for AttrHist {
    fn default() -> Self {
        Self::new()
    }
}

impl AttrHist {
    /// Creates the function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The key type a histogram of unbinned input of type `dt` has.
fn key_type_for(dt: &DataType) -> DataType {
    match dt {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => DataType::Float64,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        other => other.clone(),
    }
}

fn float_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)))
}

impl AggregateUDFImpl for AttrHist {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [x] => Ok(vec![match x {
                DataType::Null => DataType::Int64,
                DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => DataType::Float64,
                DataType::Dictionary(_, v) if key_class(v).is_some() => key_type_for(v),
                d if key_class(d).is_some() => d.clone(),
                other => {
                    return plan_err!(
                        "{NAME}: argument `x` must be an integer, float, boolean or string column, \
                         got {other}"
                    );
                }
            }]),
            [x, bins] => {
                let numeric = |d: &DataType| d.is_numeric() || matches!(d, DataType::Null);
                if !numeric(x) {
                    return plan_err!("{NAME}: argument `x` must be numeric to be binned, got {x}");
                }
                let bins_type = match bins {
                    DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
                        if numeric(f.data_type()) =>
                    {
                        float_list()
                    }
                    d if d.is_numeric() => DataType::Float64,
                    other => {
                        return plan_err!(
                            "{NAME}: argument `bins` must be a list of bin edges or a bin width, \
                             got {other}"
                        );
                    }
                };
                Ok(vec![DataType::Float64, bins_type])
            }
            _ => plan_err!(
                "{NAME}: takes 1 or 2 arguments (x [, bins]), got {}",
                arg_types.len()
            ),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [x] => Ok(hist_type(key_type_for(x))),
            _ => Ok(hist_type(DataType::Float64)),
        }
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[hist]", args.name),
            args.return_field.data_type().clone(),
            true,
        ))])
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let counter = Counter::for_args(&acc_args)?;
        Ok(Box::new(HistAccumulator { counter }))
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        args.exprs.len() == 1
            && matches!(
                args.expr_fields[0].data_type(),
                DataType::Int8 | DataType::UInt8 | DataType::Boolean
            )
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(DenseGroupsAccumulator::new(
            args.expr_fields[0].data_type().clone(),
        )?))
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        ScalarValue::try_from_array(&empty_hist(data_type)?, 0)
    }
}

/// A one-row histogram column with no entries, of histogram type `dt`.
fn empty_hist(dt: &DataType) -> Result<ArrayRef> {
    let DataType::Map(entries, _) = dt else {
        return exec_err!("{NAME}: internal: {dt} is no histogram type");
    };
    let DataType::Struct(fields) = entries.data_type() else {
        return exec_err!("{NAME}: internal: {dt} is no histogram type");
    };
    let keys = arrow::array::new_empty_array(fields[0].data_type());
    Ok(Arc::new(build_map(keys, vec![], &[0], None)))
}

/// Reads the constant `bins` argument: a list of strictly increasing edges or a positive width.
fn read_bins(acc_args: &AccumulatorArgs) -> Result<Counter> {
    let Some(lit) = acc_args.exprs[1].downcast_ref::<Literal>() else {
        return plan_err!("{NAME}: argument `bins` must be a constant (a list of edges or a width)");
    };
    match lit.value() {
        ScalarValue::List(list) => {
            if list.is_null(0) {
                return plan_err!("{NAME}: argument `bins` is NULL");
            }
            let values = list.value(0);
            let values = arrow::compute::cast(&values, &DataType::Float64)?;
            let edges = values.as_primitive::<Float64Type>();
            if edges.null_count() > 0 {
                return plan_err!("{NAME}: argument `bins` has a NULL edge");
            }
            let edges: Vec<f64> = edges.values().to_vec();
            if edges.len() < 2 {
                return plan_err!(
                    "{NAME}: argument `bins` needs at least 2 edges, got {}",
                    edges.len()
                );
            }
            if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
                return plan_err!(
                    "{NAME}: argument `bins` edges must be finite and strictly increasing, got {edges:?}"
                );
            }
            let n = edges.len() - 1;
            Ok(Counter::Edges {
                edges,
                counts: vec![0; n],
            })
        }
        ScalarValue::Float64(Some(w)) if w.is_finite() && w.is_sign_positive() && *w != 0.0 => {
            Ok(Counter::Width {
                width: *w,
                counts: HashMap::new(),
            })
        }
        other => {
            plan_err!("{NAME}: argument `bins` must be a list of edges or a positive bin width, got {other}")
        }
    }
}

/// Counts per value; the variant depends on the input type and binning.
#[derive(Debug)]
pub(crate) enum Counter {
    /// Int8 / UInt8 / Boolean: `counts[v - offset]`; `key_type` is the input type.
    Dense {
        /// The input (and key) type.
        key_type: DataType,
        /// The value stored at index 0.
        offset: i64,
        /// The counts.
        counts: Vec<i64>,
    },
    /// Other integer types (keys keep the input type).
    Ints {
        /// The input (and key) type.
        key_type: DataType,
        /// Count per value.
        counts: HashMap<i64, i64>,
    },
    /// Floats: keyed by the bits of the Float64 value (-0.0 counted as 0.0; NaN ignored).
    Floats(HashMap<u64, i64>),
    /// Strings (keys are Utf8).
    Texts(HashMap<String, i64>),
    /// Binned by edges: `counts[i]` counts `edges[i] <= x < edges[i + 1]`.
    Edges {
        /// Strictly increasing bin edges.
        edges: Vec<f64>,
        /// One count per bin.
        counts: Vec<i64>,
    },
    /// Binned by width: bin `k` counts `k * width <= x < (k + 1) * width`.
    Width {
        /// Bin width.
        width: f64,
        /// Count per bin index.
        counts: HashMap<i64, i64>,
    },
}

impl Counter {
    fn for_args(acc_args: &AccumulatorArgs) -> Result<Self> {
        if acc_args.exprs.len() == 2 {
            return read_bins(acc_args);
        }
        Ok(Self::for_type(acc_args.expr_fields[0].data_type()))
    }

    /// A counter for unbinned input of type `dt`.
    pub(crate) fn for_type(dt: &DataType) -> Self {
        match dt {
            DataType::Int8 => Counter::Dense {
                key_type: dt.clone(),
                offset: -128,
                counts: vec![0; 256],
            },
            DataType::UInt8 => Counter::Dense {
                key_type: dt.clone(),
                offset: 0,
                counts: vec![0; 256],
            },
            DataType::Boolean => Counter::Dense {
                key_type: dt.clone(),
                offset: 0,
                counts: vec![0; 2],
            },
            d if d.is_integer() => Counter::Ints {
                key_type: d.clone(),
                counts: HashMap::new(),
            },
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Counter::Texts(HashMap::new()),
            _ => Counter::Floats(HashMap::new()),
        }
    }

    /// Counts the non-NULL values of `values` (`weight` each; -1 never used but kept general).
    pub(crate) fn update(&mut self, values: &ArrayRef) -> Result<()> {
        match self {
            Counter::Dense {
                key_type: DataType::Boolean,
                counts,
                ..
            } => {
                let b = values.as_boolean();
                let t = b.true_count() as i64;
                counts[1] += t;
                counts[0] += (b.len() - b.null_count()) as i64 - t;
            }
            Counter::Dense {
                key_type: DataType::Int8,
                counts,
                ..
            } => count_dense(values.as_primitive::<Int8Type>(), counts, |v| {
                (v as i16 + 128) as usize
            }),
            Counter::Dense { counts, .. } => {
                count_dense(values.as_primitive::<UInt8Type>(), counts, |v| v as usize)
            }
            Counter::Ints { counts, .. } => {
                let cast = arrow::compute::cast(values, &DataType::Int64).map_err(|e| {
                    datafusion::error::DataFusionError::Execution(format!("{NAME}: argument `x`: {e}"))
                })?;
                for v in cast.as_primitive::<Int64Type>().iter().flatten() {
                    *counts.entry(v).or_insert(0) += 1;
                }
            }
            Counter::Floats(counts) => {
                for v in as_f64(values)?.iter().flatten() {
                    if !v.is_nan() {
                        let v = if v == 0.0 { 0.0 } else { v };
                        *counts.entry(v.to_bits()).or_insert(0) += 1;
                    }
                }
            }
            Counter::Texts(counts) => {
                let cast = arrow::compute::cast(values, &DataType::Utf8)?;
                for v in cast.as_string::<i32>().iter().flatten() {
                    match counts.get_mut(v) {
                        Some(c) => *c += 1,
                        None => {
                            counts.insert(v.to_string(), 1);
                        }
                    }
                }
            }
            Counter::Edges { edges, counts } => {
                let last = edges[edges.len() - 1];
                for x in as_f64(values)?.iter().flatten() {
                    if x >= edges[0] && x < last {
                        counts[edges.partition_point(|e| *e <= x) - 1] += 1;
                    }
                }
            }
            Counter::Width { width, counts } => {
                for x in as_f64(values)?.iter().flatten() {
                    if x.is_finite() {
                        *counts.entry((x / *width).floor() as i64).or_insert(0) += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds the entries of a histogram row (keys + counts) made by another counter like this one.
    pub(crate) fn merge_entries(&mut self, keys: &ArrayRef, counts_in: &Int64Array) -> Result<()> {
        for i in 0..keys.len() {
            if keys.is_null(i) || counts_in.is_null(i) {
                continue;
            }
            let c = counts_in.value(i);
            match self {
                Counter::Dense { key_type, counts, .. } => {
                    let idx = match key_type {
                        DataType::Boolean => keys.as_boolean().value(i) as usize,
                        DataType::Int8 => (keys.as_primitive::<Int8Type>().value(i) as i16 + 128) as usize,
                        _ => keys.as_primitive::<UInt8Type>().value(i) as usize,
                    };
                    counts[idx] += c;
                }
                Counter::Ints { key_type, counts } => {
                    let k = match key_type {
                        DataType::Int16 => keys.as_primitive::<Int16Type>().value(i) as i64,
                        DataType::Int32 => keys.as_primitive::<Int32Type>().value(i) as i64,
                        DataType::UInt16 => keys.as_primitive::<UInt16Type>().value(i) as i64,
                        DataType::UInt32 => keys.as_primitive::<UInt32Type>().value(i) as i64,
                        DataType::UInt64 => keys.as_primitive::<UInt64Type>().value(i) as i64,
                        _ => keys.as_primitive::<Int64Type>().value(i),
                    };
                    *counts.entry(k).or_insert(0) += c;
                }
                Counter::Floats(counts) => {
                    let k = keys.as_primitive::<Float64Type>().value(i);
                    *counts.entry(k.to_bits()).or_insert(0) += c;
                }
                Counter::Texts(counts) => {
                    let k = keys.as_string::<i32>().value(i);
                    *counts.entry(k.to_string()).or_insert(0) += c;
                }
                Counter::Edges { edges, counts } => {
                    let k = keys.as_primitive::<Float64Type>().value(i);
                    let idx = edges.partition_point(|e| *e <= k);
                    if idx == 0 || idx > counts.len() {
                        return exec_err!("{NAME}: internal: bin key {k} is not an edge");
                    }
                    counts[idx - 1] += c;
                }
                Counter::Width { width, counts } => {
                    let k = keys.as_primitive::<Float64Type>().value(i);
                    *counts.entry((k / *width).round() as i64).or_insert(0) += c;
                }
            }
        }
        Ok(())
    }

    /// The sorted keys and counts (zero counts left out).
    pub(crate) fn entries(&self) -> Result<(ArrayRef, Vec<i64>)> {
        Ok(match self {
            Counter::Dense {
                key_type,
                offset,
                counts,
            } => {
                let idx: Vec<usize> = (0..counts.len()).filter(|i| counts[*i] > 0).collect();
                let c = idx.iter().map(|i| counts[*i]).collect();
                let keys: ArrayRef = match key_type {
                    DataType::Boolean => Arc::new(BooleanArray::from(
                        idx.iter().map(|i| *i == 1).collect::<Vec<_>>(),
                    )),
                    DataType::Int8 => Arc::new(Int8Array::from_iter_values(
                        idx.iter().map(|i| (*i as i64 + offset) as i8),
                    )),
                    _ => Arc::new(UInt8Array::from_iter_values(idx.iter().map(|i| *i as u8))),
                };
                (keys, c)
            }
            Counter::Ints { key_type, counts } => {
                let mut e: Vec<(i64, i64)> = counts.iter().map(|(k, c)| (*k, *c)).collect();
                e.sort_unstable();
                let keys = e.iter().map(|(k, _)| *k);
                let keys: ArrayRef = match key_type {
                    DataType::Int16 => Arc::new(Int16Array::from_iter_values(keys.map(|k| k as i16))),
                    DataType::Int32 => Arc::new(Int32Array::from_iter_values(keys.map(|k| k as i32))),
                    DataType::UInt16 => Arc::new(UInt16Array::from_iter_values(keys.map(|k| k as u16))),
                    DataType::UInt32 => Arc::new(UInt32Array::from_iter_values(keys.map(|k| k as u32))),
                    DataType::UInt64 => Arc::new(UInt64Array::from_iter_values(keys.map(|k| k as u64))),
                    _ => Arc::new(Int64Array::from_iter_values(keys)),
                };
                (keys, e.iter().map(|(_, c)| *c).collect())
            }
            Counter::Floats(counts) => {
                let mut e: Vec<(f64, i64)> = counts.iter().map(|(k, c)| (f64::from_bits(*k), *c)).collect();
                e.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                let keys = Float64Array::from_iter_values(e.iter().map(|(k, _)| *k));
                (Arc::new(keys), e.iter().map(|(_, c)| *c).collect())
            }
            Counter::Texts(counts) => {
                let mut e: Vec<(&String, i64)> = counts.iter().map(|(k, c)| (k, *c)).collect();
                e.sort_unstable();
                let keys = StringArray::from_iter_values(e.iter().map(|(k, _)| k.as_str()));
                (Arc::new(keys), e.iter().map(|(_, c)| *c).collect())
            }
            Counter::Edges { edges, counts } => {
                let idx: Vec<usize> = (0..counts.len()).filter(|i| counts[*i] > 0).collect();
                let keys = Float64Array::from_iter_values(idx.iter().map(|i| edges[*i]));
                (Arc::new(keys), idx.iter().map(|i| counts[*i]).collect())
            }
            Counter::Width { width, counts } => {
                let mut e: Vec<(i64, i64)> = counts
                    .iter()
                    .filter(|(_, c)| **c > 0)
                    .map(|(k, c)| (*k, *c))
                    .collect();
                e.sort_unstable();
                let keys = Float64Array::from_iter_values(e.iter().map(|(k, _)| *k as f64 * *width));
                (Arc::new(keys), e.iter().map(|(_, c)| *c).collect())
            }
        })
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + match self {
                Counter::Dense { counts, .. } | Counter::Edges { counts, .. } => counts.len() * 16,
                Counter::Ints { counts, .. } | Counter::Width { counts, .. } => counts.len() * 24,
                Counter::Floats(c) => c.len() * 24,
                Counter::Texts(c) => c.keys().map(|k| k.len() + 40).sum(),
            }
    }
}

fn count_dense<T: arrow::datatypes::ArrowPrimitiveType>(
    values: &arrow::array::PrimitiveArray<T>,
    counts: &mut [i64],
    index: impl Fn(T::Native) -> usize,
) {
    match values.nulls() {
        None => {
            for v in values.values().iter() {
                counts[index(*v)] += 1;
            }
        }
        Some(nulls) => {
            for (i, v) in values.values().iter().enumerate() {
                if nulls.is_valid(i) {
                    counts[index(*v)] += 1;
                }
            }
        }
    }
}

fn as_f64(values: &ArrayRef) -> Result<Float64Array> {
    let cast = arrow::compute::cast(values, &DataType::Float64)?;
    Ok(cast.as_primitive::<Float64Type>().clone())
}

/// The row-at-a-time accumulator (any input type, binned or not).
#[derive(Debug)]
struct HistAccumulator {
    counter: Counter,
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
