//! polars `DataFrame`s in and out of the engine, through the Arrow C Data Interface.
//!
//! arrow-rs (DataFusion's Arrow) and polars-arrow are two implementations of the same columnar
//! format. Each column crosses between them as a C Data Interface pair (`ArrowArray` +
//! `ArrowSchema`): the receiving side takes ownership of the exporting side's buffers, so the
//! column data is not copied. Where the two sides disagree on a type, one side converts it,
//! and that is a copy:
//!
//! | direction | type | what happens |
//! |---|---|---|
//! | both | Boolean, Int8, Int32, Int64, UInt32, UInt64, Float32, Float64, Utf8View, BinaryView, Struct, Null | no copy |
//! | engine → polars | Utf8 / LargeUtf8, Binary / LargeBinary | polars rewrites them as views (copy of the strings) |
//! | engine → polars | List (32-bit offsets), Map | polars widens the offsets to 64 bits (copy of the offsets only); a Map becomes `List(Struct{key, value})` |
//! | engine → polars | Int16, UInt8, UInt16 | widened to Int32 / UInt32 before crossing (copy; those polars dtypes are not compiled in) |
//! | polars → engine | `List(Struct{key, value})` | rebuilt as a `Map` (copy of the 64-bit offsets to 32 bits; entries shared) |
//!
//! Other types (dates, timestamps, decimals, dictionaries) are refused with an error naming the
//! column: cast them in SQL first (`CAST(d AS VARCHAR)`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, LargeListArray, MapArray, RecordBatch, StructArray, make_array};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use polars::prelude::{Column, CompatLevel, DataFrame, PlSmallStr, Series};

use crate::engine::Engine;
use crate::error::{Error, Result};

impl Engine {
    /// Registers a polars `DataFrame` as table `name` (replacing one of that name).
    ///
    /// The column buffers are shared with the engine, not copied (see the module docs for the
    /// few types that are converted). Polars `List(Struct{key, value})` columns, which is what
    /// a `Map` becomes in polars, are registered as `Map` again, so histogram values read from
    /// the engine can go back into it.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use polars::prelude::*;
    /// let df = df!("Male" => [1i8, -1, 1], "Male_p" => [0.9f32, 0.1, 0.8]).unwrap();
    /// let engine = macsql::Engine::new();
    /// engine.register_dataframe("faces", &df).unwrap();
    /// let out = engine.sql_to_dataframe("SELECT sum(Male) AS s FROM faces").await.unwrap();
    /// assert_eq!(out.column("s").unwrap().i64().unwrap().get(0), Some(1));
    /// # });
    /// ```
    pub fn register_dataframe(&self, name: &str, df: &DataFrame) -> Result<()> {
        let (schema, batches) = dataframe_to_record_batches(df)?;
        self.register_batches(name, schema, batches)
    }

    /// Runs one SQL statement and returns its result as a polars `DataFrame`.
    ///
    /// Each record batch of the result becomes one chunk of the polars columns; call
    /// `DataFrame::rechunk_mut` if one contiguous chunk per column is needed.
    pub async fn sql_to_dataframe(&self, sql: &str) -> Result<DataFrame> {
        let df = self.sql(sql).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        record_batches_to_dataframe(&schema, &batches)
    }
}

/// Converts Arrow record batches (all of `schema`) into a polars `DataFrame`, one chunk per batch.
pub fn record_batches_to_dataframe(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<DataFrame> {
    let mut columns = Vec::with_capacity(schema.fields().len());
    let height: usize = batches.iter().map(|b| b.num_rows()).sum();
    for (i, field) in schema.fields().iter().enumerate() {
        let arrays: Vec<ArrayRef> = if batches.is_empty() {
            vec![arrow::array::new_empty_array(field.data_type())]
        } else {
            batches.iter().map(|b| b.column(i).clone()).collect()
        };
        columns.push(column_to_polars(field, arrays)?);
    }
    Ok(DataFrame::new(height, columns)?)
}

/// Converts a polars `DataFrame` into Arrow record batches, one per aligned chunk.
///
/// Columns with different chunk boundaries are first rechunked by polars (a copy); a
/// `DataFrame` read from the engine, or built in one piece, is already aligned.
pub fn dataframe_to_record_batches(df: &DataFrame) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let mut df = df.clone();
    df.align_chunks();
    let mut fields: Option<Vec<FieldRef>> = None;
    let mut batches = Vec::new();
    for chunk in df.iter_chunks(CompatLevel::newest(), false) {
        let (pl_schema, arrays) = chunk.into_schema_and_arrays();
        let mut columns = Vec::with_capacity(arrays.len());
        let mut batch_fields = Vec::with_capacity(arrays.len());
        for ((_, pl_field), array) in pl_schema.iter().zip(arrays) {
            let array = array_from_polars(pl_field, array)?;
            let array = maps_from_lists(array);
            batch_fields.push(Arc::new(Field::new(
                pl_field.name.as_str(),
                array.data_type().clone(),
                true,
            )));
            columns.push(array);
        }
        let schema = Arc::new(Schema::new(batch_fields.clone()));
        batches.push(RecordBatch::try_new(schema, columns)?);
        fields.get_or_insert(batch_fields);
    }
    let schema = match fields {
        Some(fields) => Arc::new(Schema::new(fields)),
        // No chunk: an empty frame; take the types from the polars schema.
        None => empty_schema(&df)?,
    };
    Ok((schema, batches))
}

/// The Arrow schema of a polars frame that has no chunk to export.
fn empty_schema(df: &DataFrame) -> Result<SchemaRef> {
    let mut fields = Vec::new();
    for column in df.columns() {
        let pl_field = column.field().to_arrow(CompatLevel::newest());
        let c_schema = polars_arrow::ffi::export_field_to_c(&pl_field);
        // SAFETY: see `array_to_polars`; the struct was just produced by polars-arrow.
        let c_schema: FFI_ArrowSchema = unsafe { std::mem::transmute(c_schema) };
        let dt = DataType::try_from(&c_schema)?;
        let array = maps_from_lists(arrow::array::new_empty_array(&dt));
        fields.push(Field::new(
            column.name().as_str(),
            array.data_type().clone(),
            true,
        ));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// Moves one Arrow column (its chunks) into a polars `Column` over the C Data Interface.
fn column_to_polars(field: &Field, arrays: Vec<ArrayRef>) -> Result<Column> {
    let target = polars_compatible_type(field.name(), field.data_type())?;
    let mut chunks = Vec::with_capacity(arrays.len());
    for array in arrays {
        let array = if array.data_type() == &target {
            array
        } else {
            arrow::compute::cast(&array, &target)?
        };
        chunks.push(array_to_polars(&array)?);
    }
    let series = Series::from_arrow_chunks(PlSmallStr::from(field.name().as_str()), chunks)
        .map_err(|e| bridge(format!("column '{}'", field.name()), e))?;
    Ok(Column::from(series))
}

/// An error of one step of the bridge, e.g. `column 'Male'`.
fn bridge(what: String, e: impl std::fmt::Display) -> Error {
    Error::PolarsBridge {
        what,
        message: e.to_string(),
    }
}

/// The type a column crosses to polars as, or an error naming the column when polars (as
/// compiled here) has no counterpart.
fn polars_compatible_type(column: &str, dt: &DataType) -> Result<DataType> {
    use DataType::*;
    Ok(match dt {
        Null | Boolean | Int8 | Int32 | Int64 | UInt32 | UInt64 | Float32 | Float64 | Utf8 | LargeUtf8
        | Utf8View | Binary | LargeBinary | BinaryView => dt.clone(),
        Int16 | UInt8 | UInt16 => {
            if matches!(dt, Int16) {
                Int32
            } else {
                UInt32
            }
        }
        List(f) => List(child_field(column, f)?),
        LargeList(f) => LargeList(child_field(column, f)?),
        Struct(fields) => Struct(
            fields
                .iter()
                .map(|f| child_field(column, f))
                .collect::<Result<Fields>>()?,
        ),
        Map(f, sorted) => Map(child_field(column, f)?, *sorted),
        other => {
            return Err(Error::PolarsBridge {
                what: format!("column '{column}'"),
                message: format!(
                    "type {other} is not passed to polars by macsql; \
                     cast it in SQL first (e.g. CAST({column} AS VARCHAR))"
                ),
            });
        }
    })
}

fn child_field(column: &str, f: &FieldRef) -> Result<FieldRef> {
    let dt = polars_compatible_type(column, f.data_type())?;
    Ok(if &dt == f.data_type() {
        f.clone()
    } else {
        Arc::new(f.as_ref().clone().with_data_type(dt))
    })
}

/// Exports an arrow-rs array and imports it as a polars-arrow array (no buffer copy).
fn array_to_polars(array: &ArrayRef) -> Result<Box<dyn polars_arrow::array::Array>> {
    let (c_array, c_schema) = arrow::ffi::to_ffi(&array.to_data())?;
    // SAFETY: arrow-rs's FFI_ArrowArray / FFI_ArrowSchema and polars-arrow's ArrowArray /
    // ArrowSchema are both `#[repr(C)]` definitions of the C Data Interface structs (same
    // fields, same order; `transmute` checks the sizes). Ownership, and the release callback
    // that frees the buffers, moves with the struct.
    let (c_array, c_schema): (polars_arrow::ffi::ArrowArray, polars_arrow::ffi::ArrowSchema) = unsafe {
        (
            std::mem::transmute::<FFI_ArrowArray, polars_arrow::ffi::ArrowArray>(c_array),
            std::mem::transmute::<FFI_ArrowSchema, polars_arrow::ffi::ArrowSchema>(c_schema),
        )
    };
    // SAFETY: the structs were just produced by arrow-rs's exporter, so they are valid.
    let pl_field = unsafe { polars_arrow::ffi::import_field_from_c(&c_schema) }
        .map_err(|e| bridge("exporting to polars".into(), e))?;
    let imported = unsafe { polars_arrow::ffi::import_array_from_c(c_array, pl_field.dtype) }
        .map_err(|e| bridge("exporting to polars".into(), e))?;
    Ok(imported)
}

/// Exports a polars-arrow array and imports it as an arrow-rs array (no buffer copy).
fn array_from_polars(
    pl_field: &polars_arrow::datatypes::Field,
    array: Box<dyn polars_arrow::array::Array>,
) -> Result<ArrayRef> {
    let c_schema = polars_arrow::ffi::export_field_to_c(pl_field);
    let c_array = polars_arrow::ffi::export_array_to_c(array);
    // SAFETY: the same C Data Interface structs in the other direction (see `array_to_polars`).
    let (c_array, c_schema): (FFI_ArrowArray, FFI_ArrowSchema) = unsafe {
        (
            std::mem::transmute::<polars_arrow::ffi::ArrowArray, FFI_ArrowArray>(c_array),
            std::mem::transmute::<polars_arrow::ffi::ArrowSchema, FFI_ArrowSchema>(c_schema),
        )
    };
    // SAFETY: produced by polars-arrow's exporter just above.
    let data = unsafe { arrow::ffi::from_ffi(c_array, &c_schema) }
        .map_err(|e| bridge(format!("importing polars column '{}'", pl_field.name), e))?;
    Ok(make_array(data))
}

/// Turns a `LargeList(Struct{key, value})` column (what polars makes of a `Map`) back into a
/// `Map`; any other array is returned as it is.
fn maps_from_lists(array: ArrayRef) -> ArrayRef {
    let Some(list) = array.as_any().downcast_ref::<LargeListArray>() else {
        return array;
    };
    let Some(entries) = list.values().as_any().downcast_ref::<StructArray>() else {
        return array;
    };
    let names: Vec<&str> = entries.fields().iter().map(|f| f.name().as_str()).collect();
    let is_map_shape = matches!(names.as_slice(), ["key", "value"] | ["keys", "values"]);
    if !is_map_shape || entries.null_count() != 0 || entries.column(0).null_count() != 0 {
        return array;
    }
    let Ok(offsets) = list
        .offsets()
        .iter()
        .map(|&o| i32::try_from(o))
        .collect::<std::result::Result<Vec<i32>, _>>()
    else {
        return array;
    };
    let fields = entries.fields();
    let key_field = Arc::new(fields[0].as_ref().clone().with_nullable(false));
    let entry_fields = Fields::from(vec![key_field, fields[1].clone()]);
    let Ok(entries) = StructArray::try_new(entry_fields.clone(), entries.columns().to_vec(), None) else {
        return array;
    };
    let entries_field = Arc::new(Field::new("entries", DataType::Struct(entry_fields), false));
    match MapArray::try_new(
        entries_field,
        OffsetBuffer::new(offsets.into()),
        entries,
        list.nulls().cloned(),
        false,
    ) {
        Ok(map) => Arc::new(map),
        Err(_) => array,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int8Array, Int64Array, MapBuilder, StringBuilder};

    #[test]
    fn int8_column_crosses_both_ways() {
        let schema = Arc::new(Schema::new(vec![Field::new("Male", DataType::Int8, true)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int8Array::from(vec![Some(1), Some(-1), None]))],
        )
        .unwrap();
        let df = record_batches_to_dataframe(&schema, std::slice::from_ref(&batch)).unwrap();
        assert_eq!(
            df.column("Male").unwrap().dtype(),
            &polars::prelude::DataType::Int8
        );
        let (_, back) = dataframe_to_record_batches(&df).unwrap();
        assert_eq!(back[0].column(0).as_ref(), batch.column(0).as_ref());
    }

    #[test]
    fn map_becomes_list_of_struct_and_comes_back_as_map() {
        let mut builder = MapBuilder::new(None, StringBuilder::new(), arrow::array::Int64Builder::new());
        builder.keys().append_value("1");
        builder.values().append_value(3);
        builder.keys().append_value("-1");
        builder.values().append_value(5);
        builder.append(true).unwrap();
        builder.append(false).unwrap();
        let map: ArrayRef = Arc::new(builder.finish());
        let schema = Arc::new(Schema::new(vec![Field::new("h", map.data_type().clone(), true)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![map]).unwrap();
        let df = record_batches_to_dataframe(&schema, &[batch]).unwrap();
        assert!(matches!(
            df.column("h").unwrap().dtype(),
            polars::prelude::DataType::List(_)
        ));
        let (_, back) = dataframe_to_record_batches(&df).unwrap();
        let back = back[0].column(0).as_any().downcast_ref::<MapArray>().unwrap();
        assert_eq!(back.len(), 2);
        assert!(back.is_null(1));
        let values = back.value(0);
        let counts = values.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(counts.values(), &[3, 5]);
    }

    #[test]
    fn unsupported_type_names_the_column() {
        let schema = Arc::new(Schema::new(vec![Field::new("d", DataType::Date32, true)]));
        let err = record_batches_to_dataframe(&schema, &[]).unwrap_err().to_string();
        assert!(err.contains("column 'd'") && err.contains("Date32"), "{err}");
    }
}
