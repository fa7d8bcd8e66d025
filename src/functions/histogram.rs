//! The histogram value shared by every macsql statistics function: a Map from value to Int64 count.
//!
//! `attr_hist` builds it; the divergences read it back (from `attr_hist`, from a Parquet file that
//! stored one, or from a `MAP {...}` literal) as a list of `(Key, weight)` pairs.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, MapArray, StructArray};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err, plan_err};

/// The Arrow type of a histogram whose keys have type `key`: `Map<key, Int64>`, keys sorted.
pub fn hist_type(key: DataType) -> DataType {
    DataType::Map(entries_field(key, DataType::Int64), true)
}

fn entries_field(key: DataType, value: DataType) -> Arc<Field> {
    Arc::new(Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("key", key, false),
            Field::new("value", value, true),
        ])),
        false,
    ))
}

/// What kind of values a histogram counts; divergences need both sides of the same class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    /// Integers and floats (compared by numeric value).
    Numeric,
    /// Strings of any Arrow string type.
    Text,
    /// Booleans.
    Boolean,
}

/// The key class of a histogram type, or `None` when `dt` is no histogram (Null is `Some(None)`).
///
/// A histogram is any `Map` whose values are numbers (counts, or weights).
pub fn hist_key_class(dt: &DataType) -> Option<Option<KeyClass>> {
    match dt {
        DataType::Null => Some(None),
        DataType::Map(entries, _) => {
            let DataType::Struct(fields) = entries.data_type() else {
                return None;
            };
            if fields.len() != 2 || !fields[1].data_type().is_numeric() {
                return None;
            }
            key_class(fields[0].data_type()).map(Some)
        }
        _ => None,
    }
}

/// The key class of a plain (non-histogram) value type.
pub fn key_class(dt: &DataType) -> Option<KeyClass> {
    match dt {
        d if d.is_integer() || d.is_floating() => Some(KeyClass::Numeric),
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => Some(KeyClass::Numeric),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(KeyClass::Text),
        DataType::Boolean => Some(KeyClass::Boolean),
        _ => None,
    }
}

/// Checks at plan time that argument `arg` of `func` is a histogram; returns its key class.
pub fn check_hist_arg(func: &str, arg: &str, dt: &DataType) -> Result<Option<KeyClass>> {
    match hist_key_class(dt) {
        Some(c) => Ok(c),
        None => plan_err!(
            "{func}: argument `{arg}` must be a histogram (a Map from value to count, as made by \
             attr_hist), got {dt}"
        ),
    }
}

/// Checks at plan time that two histogram arguments have comparable keys.
pub fn check_hist_pair(func: &str, p: &DataType, q: &DataType) -> Result<()> {
    let cp = check_hist_arg(func, "p", p)?;
    let cq = check_hist_arg(func, "q", q)?;
    if let (Some(a), Some(b)) = (cp, cq)
        && a != b
    {
        return plan_err!(
            "{func}: argument `q` has {b:?} keys but argument `p` has {a:?} keys; histograms \
             compared must count the same kind of value ({p} vs {q})"
        );
    }
    Ok(())
}

/// One histogram key, normalised so that keys of different Arrow types compare sensibly.
#[derive(Debug, Clone)]
pub enum Key {
    /// Any integer key.
    Int(i64),
    /// A float key (or an integer key compared with floats).
    Float(f64),
    /// A string key.
    Text(String),
    /// A boolean key.
    Bool(bool),
}

impl Key {
    /// The key as a float, for numeric keys.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Key::Int(i) => Some(*i as f64),
            Key::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Orders keys: numbers by value (integers and floats together), strings, booleans.
    pub fn cmp_key(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Int(a), Key::Int(b)) => a.cmp(b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            (Key::Bool(a), Key::Bool(b)) => a.cmp(b),
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                // Mixed classes never reach here (rejected at plan time); order them anyway.
                _ => a.rank().cmp(&b.rank()),
            },
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Key::Int(_) | Key::Float(_) => 0,
            Key::Text(_) => 1,
            Key::Bool(_) => 2,
        }
    }
}

/// Reads scalar `row` of `array` (a value of a key type) as a [`Key`]; `None` for NULL.
pub fn key_at(array: &dyn Array, row: usize) -> Result<Option<Key>> {
    use arrow::datatypes::*;
    // `logical_nulls`, not `is_null`: a NullArray (an untyped NULL literal) has no null buffer.
    if array.logical_nulls().is_some_and(|n| n.is_null(row)) {
        return Ok(None);
    }
    let key = match array.data_type() {
        DataType::Int8 => Key::Int(array.as_primitive::<Int8Type>().value(row) as i64),
        DataType::Int16 => Key::Int(array.as_primitive::<Int16Type>().value(row) as i64),
        DataType::Int32 => Key::Int(array.as_primitive::<Int32Type>().value(row) as i64),
        DataType::Int64 => Key::Int(array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => Key::Int(array.as_primitive::<UInt8Type>().value(row) as i64),
        DataType::UInt16 => Key::Int(array.as_primitive::<UInt16Type>().value(row) as i64),
        DataType::UInt32 => Key::Int(array.as_primitive::<UInt32Type>().value(row) as i64),
        DataType::UInt64 => {
            let v = array.as_primitive::<UInt64Type>().value(row);
            match i64::try_from(v) {
                Ok(i) => Key::Int(i),
                Err(_) => Key::Float(v as f64),
            }
        }
        DataType::Float16 => Key::Float(array.as_primitive::<Float16Type>().value(row).to_f64()),
        DataType::Float32 => Key::Float(array.as_primitive::<Float32Type>().value(row) as f64),
        DataType::Float64 => Key::Float(array.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => Key::Text(array.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Key::Text(array.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Key::Text(array.as_string_view().value(row).to_string()),
        DataType::Boolean => Key::Bool(array.as_boolean().value(row)),
        other => {
            let cast = arrow::compute::cast(&array.slice(row, 1), &DataType::Float64).map_err(|e| {
                datafusion::error::DataFusionError::Execution(format!(
                    "histogram key of type {other} cannot be read as a number: {e}"
                ))
            })?;
            Key::Float(cast.as_primitive::<Float64Type>().value(0))
        }
    };
    Ok(Some(key))
}

/// Reads entry `i` of a numeric count column as f64 (NULL counts read as 0).
fn weight_at(values: &ArrayRef, i: usize) -> Result<f64> {
    if values.is_null(i) {
        return Ok(0.0);
    }
    Ok(match key_at(values.as_ref(), i)? {
        Some(k) => k.as_f64().unwrap_or(0.0),
        None => 0.0,
    })
}

/// One histogram row read back: `(key, weight)` pairs, sorted by key, duplicate keys summed.
pub type Entries = Vec<(Key, f64)>;

/// Reads row `row` of a histogram column; `None` when the histogram is NULL.
pub fn read_hist(func: &str, arg: &str, map: &MapArray, row: usize) -> Result<Option<Entries>> {
    if map.is_null(row) {
        return Ok(None);
    }
    let offsets = map.value_offsets();
    let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
    let keys = map.keys();
    let values = map.values();
    let mut out = Vec::with_capacity(end - start);
    for i in start..end {
        let Some(k) = key_at(keys.as_ref(), i)? else {
            continue;
        };
        let w = weight_at(values, i)?;
        if !(w >= 0.0 && w.is_finite()) {
            return exec_err!("{func}: argument `{arg}` has a negative or non-finite count ({w})");
        }
        out.push((k, w));
    }
    Ok(Some(normalise_keys(out)))
}

fn normalise_keys(mut entries: Entries) -> Entries {
    entries.sort_by(|a, b| a.0.cmp_key(&b.0));
    let mut out: Entries = Vec::with_capacity(entries.len());
    for (k, w) in entries {
        match out.last_mut() {
            Some(last) if last.0.cmp_key(&k) == Ordering::Equal => last.1 += w,
            _ => out.push((k, w)),
        }
    }
    out
}

/// Aligns two histograms over the union of their keys: returns the counts of `p` and `q`.
pub fn align(p: &Entries, q: &Entries) -> (Vec<f64>, Vec<f64>) {
    let (_, a, b) = align_with_keys(p, q);
    (a, b)
}

/// Like [`align`], also returning the union of keys (ascending).
pub fn align_with_keys(p: &Entries, q: &Entries) -> (Vec<Key>, Vec<f64>, Vec<f64>) {
    let (mut i, mut j) = (0, 0);
    let (mut keys, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
    while i < p.len() || j < q.len() {
        let ord = match (p.get(i), q.get(j)) {
            (Some(x), Some(y)) => x.0.cmp_key(&y.0),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match ord {
            Ordering::Less => {
                keys.push(p[i].0.clone());
                a.push(p[i].1);
                b.push(0.0);
                i += 1;
            }
            Ordering::Greater => {
                keys.push(q[j].0.clone());
                a.push(0.0);
                b.push(q[j].1);
                j += 1;
            }
            Ordering::Equal => {
                keys.push(p[i].0.clone());
                a.push(p[i].1);
                b.push(q[j].1);
                i += 1;
                j += 1;
            }
        }
    }
    (keys, a, b)
}

/// Normalises counts to proportions after adding `alpha` to each; `None` when nothing was
/// counted (an empty histogram stays undefined however it is smoothed: smoothing zero counts
/// would invent a uniform distribution).
pub fn proportions(counts: &[f64], alpha: f64) -> Option<Vec<f64>> {
    let observed: f64 = counts.iter().sum();
    let total: f64 = counts.iter().map(|c| c + alpha).sum();
    if observed <= 0.0 || total <= 0.0 || counts.is_empty() {
        return None;
    }
    Some(counts.iter().map(|c| (c + alpha) / total).collect())
}

/// Builds a histogram column from per-row sorted `keys` (one array for all rows) and counts.
///
/// `lengths[r]` entries of `keys` / `counts` belong to row `r`; `valid[r] == false` makes it NULL.
pub fn build_map(keys: ArrayRef, counts: Vec<i64>, lengths: &[usize], valid: Option<Vec<bool>>) -> MapArray {
    let key_type = keys.data_type().clone();
    let entries = entries_field(key_type.clone(), DataType::Int64);
    let DataType::Struct(fields) = entries.data_type().clone() else {
        unreachable!("entries_field is a struct")
    };
    let values: ArrayRef = Arc::new(Int64Array::from(counts));
    let structs = StructArray::new(fields, vec![keys, values], None);
    let offsets = OffsetBuffer::from_lengths(lengths.iter().copied());
    let nulls = valid.map(NullBuffer::from);
    MapArray::new(entries, offsets, structs, nulls, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_takes_the_union_of_keys_in_order() {
        let p = vec![(Key::Int(-1), 2.0), (Key::Int(1), 3.0)];
        let q = vec![(Key::Float(0.0), 1.0), (Key::Int(1), 4.0)];
        let (a, b) = align(&p, &q);
        assert_eq!(a, vec![2.0, 0.0, 3.0]);
        assert_eq!(b, vec![0.0, 1.0, 4.0]);
    }

    #[test]
    fn duplicate_keys_are_summed() {
        let e = normalise_keys(vec![
            (Key::Text("b".into()), 1.0),
            (Key::Text("a".into()), 1.0),
            (Key::Text("b".into()), 2.0),
        ]);
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].1, 3.0);
    }

    #[test]
    fn proportions_of_empty_histogram_are_undefined() {
        assert!(proportions(&[], 0.0).is_none());
        assert!(proportions(&[0.0, 0.0], 0.0).is_none());
        assert!(proportions(&[0.0, 0.0], 0.5).is_none());
        assert_eq!(proportions(&[0.0, 2.0], 1.0).unwrap(), vec![0.25, 0.75]);
    }
}
