//! The counters behind `attr_hist`: a dense array for Int8 / UInt8 / boolean labels, hash maps
//! for other integers, floats and strings, and fixed or width bins for binned numeric input.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array,
    StringArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::{
    DataType, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::function::AccumulatorArgs;

use super::{NAME, read_bins};

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
    pub(super) fn for_args(acc_args: &AccumulatorArgs) -> Result<Self> {
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

    pub(super) fn size(&self) -> usize {
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
